//! GRANTs and row-level security as PostgreSQL's catalog shows them:
//! `pg_class.relacl` and `pg_attribute.attacl` (`aclitem[]` text, what
//! psql's `\dp` prints), `information_schema.table_privileges` and
//! `column_privileges`, `pg_policy` and the `pg_policies` view, all from a
//! table's [`TableMeta`] (`acl`, `policies`).
//!
//! The owner holds every privilege without a grant. As in PostgreSQL, its
//! own aclitem (`owner=arwdDxt/owner`) appears in `relacl` only once the
//! table has a table-wide grant, and `relacl` stays NULL before; every
//! grant's grantor is the owner. Role names come from the accounts; a
//! grantee no account has (a dropped role) shows its address.
//!
//! A user schema's `nspacl` follows the same rule: NULL until its owner
//! grants USAGE or CREATE on it, then the owner's `UC` item first.
//!
//! Deliberately absent: the per-role filtering PostgreSQL applies to the
//! information_schema views (rows are shown as a superuser sees them), and
//! full deparsing of policy expressions: `pg_get_expr` gives the stored
//! text with the outer parentheses PostgreSQL prints, not its casts.

use node_core::catalog::{privilege, GrantMeta, PolicyMeta, TableMeta};
use node_core::schema::SchemaMeta;
use rusqlite::types::Value as V;

use super::array;
use super::snapshot::{derived_oid, role_oid, Rows, Snapshot, TableFacts};

/// The letters of the privileges the owner holds: every grantable one,
/// plus REFERENCES (`x`) and TRIGGER (`t`), which rowchain never grants.
const OWNER_EXTRA_LETTERS: &str = "xt";

/// `information_schema.table_privileges`' privilege types, in the order
/// PostgreSQL's view lists them, with the bit a grant holds them by
/// (`None`: the owner's alone).
const TABLE_PRIVILEGES: [(&str, Option<u8>); 7] = [
    ("SELECT", Some(privilege::SELECT)),
    ("INSERT", Some(privilege::INSERT)),
    ("UPDATE", Some(privilege::UPDATE)),
    ("DELETE", Some(privilege::DELETE)),
    ("TRUNCATE", Some(privilege::TRUNCATE)),
    ("REFERENCES", None),
    ("TRIGGER", None),
];

/// The privilege types that apply to columns, for `column_privileges`.
const COLUMN_PRIVILEGES: [(&str, Option<u8>); 4] = [
    ("SELECT", Some(privilege::SELECT)),
    ("INSERT", Some(privilege::INSERT)),
    ("UPDATE", Some(privilege::UPDATE)),
    ("REFERENCES", None),
];

/// A table's privileges with every role named.
pub(super) struct TableAcl<'a> {
    /// The owner's role name, the grantor of every grant.
    owner: String,
    /// Grants to roles other than the owner (whose rights are all implied),
    /// with the grantee's name (empty for PUBLIC), by name, PUBLIC last.
    grants: Vec<(String, &'a GrantMeta)>,
}

impl<'a> TableAcl<'a> {
    /// `owner` is the table owner's role OID, as `pg_class.relowner` has it.
    pub(super) fn new(meta: &'a TableMeta, owner: u32, snap: &Snapshot) -> Self {
        let mut grants: Vec<(String, &GrantMeta)> =
            meta.acl.iter().filter(|g| g.grantee != meta.owner).map(|g| (grantee_name(&g.grantee, snap), g)).collect();
        // PostgreSQL lists grantees in the order of their first grant, which
        // the chain does not keep: by name here, PUBLIC last.
        grants.sort_by(|a, b| (a.1.grantee.is_empty(), &a.0).cmp(&(b.1.grantee.is_empty(), &b.0)));
        TableAcl { owner: snap.role_name(owner).unwrap_or_else(|| owner.to_string()), grants }
    }

    /// `pg_class.relacl`: NULL until a table-wide grant exists, then the
    /// owner's aclitem followed by each grantee's.
    pub(super) fn relacl(&self) -> Option<String> {
        let table_wide: Vec<_> = self.grants.iter().filter(|(_, g)| g.privileges != 0).collect();
        if table_wide.is_empty() {
            return None;
        }
        let owner_letters = letters(privilege::ALL) + OWNER_EXTRA_LETTERS;
        let mut items = vec![Some(self.aclitem(&self.owner, &owner_letters))];
        items.extend(table_wide.iter().map(|(name, g)| Some(self.aclitem(name, &letters(g.privileges)))));
        Some(array::format(&items))
    }

    /// `pg_attribute.attacl`: the column-level grants on `column`, NULL
    /// when there are none.
    pub(super) fn attacl(&self, column: &str) -> Option<String> {
        let items: Vec<Option<String>> = self
            .grants
            .iter()
            .filter(|(_, g)| g.update_columns.iter().any(|c| c == column))
            .map(|(name, _)| Some(self.aclitem(name, &letters(privilege::UPDATE))))
            .collect();
        (!items.is_empty()).then(|| array::format(&items))
    }

    fn aclitem(&self, grantee: &str, letters: &str) -> String {
        aclitem(grantee, letters, &self.owner)
    }

    /// The rows of `information_schema.table_privileges` and
    /// `column_privileges` for the relation `f`: the owner's own
    /// (grantable) first, then each grant's.
    pub(super) fn information_rows(&self, rows: &mut Rows, f: &TableFacts<'_>, database: &str) {
        let meta = f.meta;
        let holders = self.holders();
        let table = |grantee: &str, kind: &str, grantable: bool| {
            vec![
                ("grantor", V::Text(self.owner.clone())),
                ("grantee", V::Text(grantee.into())),
                ("table_catalog", V::Text(database.into())),
                ("table_schema", V::Text(f.schema.into())),
                ("table_name", V::Text(f.rel.into())),
                ("privilege_type", V::Text(kind.into())),
                ("is_grantable", yes_no(grantable)),
            ]
        };
        for h in &holders {
            for (kind, _) in TABLE_PRIVILEGES.into_iter().filter(|(_, bit)| h.holds(*bit)) {
                let mut row = table(&h.grantee, kind, h.owner);
                row.push(("with_hierarchy", yes_no(kind == "SELECT")));
                rows.push("information_schema", "table_privileges", &row);
            }
        }
        for column in &meta.columns {
            for h in &holders {
                let on_column = h.update_columns.contains(&column.name);
                for (kind, bit) in COLUMN_PRIVILEGES {
                    if !(h.holds(bit) || on_column && bit == Some(privilege::UPDATE)) {
                        continue;
                    }
                    let mut row = table(&h.grantee, kind, h.owner);
                    row.push(("column_name", V::Text(column.name.clone())));
                    rows.push("information_schema", "column_privileges", &row);
                }
            }
        }
    }

    /// Who holds privileges on the table: the owner first, then each grantee.
    fn holders(&self) -> Vec<Holder<'a>> {
        let mut out =
            vec![Holder { grantee: self.owner.clone(), bits: privilege::ALL, update_columns: &[], owner: true }];
        for (name, g) in &self.grants {
            out.push(Holder {
                grantee: if g.grantee.is_empty() { "PUBLIC".to_string() } else { name.clone() },
                bits: g.privileges,
                update_columns: &g.update_columns,
                owner: false,
            });
        }
        out
    }
}

/// One role's privileges on a table, as information_schema lists them.
struct Holder<'a> {
    /// The grantee as information_schema names it (`PUBLIC` for PUBLIC).
    grantee: String,
    /// Table-wide privileges, bits of [`privilege`].
    bits: u8,
    update_columns: &'a [String],
    /// The owner: every privilege, each grantable.
    owner: bool,
}

impl Holder<'_> {
    /// Whether the holder has the privilege held by `bit` table-wide
    /// (`None`: a privilege only the owner has).
    fn holds(&self, bit: Option<u8>) -> bool {
        match bit {
            Some(bit) => self.bits & bit != 0,
            None => self.owner,
        }
    }
}

fn yes_no(x: bool) -> V {
    V::Text(if x { "YES" } else { "NO" }.into())
}

/// `grantee=letters/grantor`, names quoted as PostgreSQL's `putid` does
/// (an empty grantee is PUBLIC).
fn aclitem(grantee: &str, letters: &str, grantor: &str) -> String {
    format!("{}={letters}/{}", aclitem_name(grantee), aclitem_name(grantor))
}

/// `pg_namespace.nspacl` of a user schema whose owner has the role OID
/// `owner`: NULL until a grant to another role exists, then the owner's
/// aclitem (`UC`) followed by each grantee's, by name, PUBLIC last.
pub(super) fn schema_acl(schema: &SchemaMeta, owner: u32, snap: &Snapshot) -> Option<String> {
    let mut grants: Vec<(String, u8)> = schema
        .acl
        .iter()
        .filter(|g| g.grantee != schema.owner && g.privileges != 0)
        .map(|g| (grantee_name(&g.grantee, snap), g.privileges))
        .collect();
    if grants.is_empty() {
        return None;
    }
    grants.sort_by(|a, b| (a.0.is_empty(), &a.0).cmp(&(b.0.is_empty(), &b.0)));
    let owner = snap.role_name(owner).unwrap_or_else(|| owner.to_string());
    let all = node_core::schema::privilege::USAGE | node_core::schema::privilege::CREATE;
    let mut items = vec![Some(aclitem(&owner, &schema_letters(all), &owner))];
    items.extend(grants.iter().map(|(grantee, bits)| Some(aclitem(grantee, &schema_letters(*bits), &owner))));
    Some(array::format(&items))
}

/// The aclitem letters of schema privilege bits, in PostgreSQL's order.
fn schema_letters(bits: u8) -> String {
    use node_core::schema::privilege::{CREATE, USAGE};
    [(USAGE, 'U'), (CREATE, 'C')].iter().filter(|(bit, _)| bits & bit != 0).map(|(_, letter)| *letter).collect()
}

/// The aclitem letters of `bits`, in PostgreSQL's order (`arwdD`).
fn letters(bits: u8) -> String {
    privilege::LETTERS.iter().filter(|(bit, _, _)| bits & bit != 0).map(|(_, letter, _)| *letter).collect()
}

/// A role's name for its address; empty for PUBLIC, the address itself
/// for a role no account has.
fn grantee_name(address: &str, snap: &Snapshot) -> String {
    if address.is_empty() {
        return String::new();
    }
    snap.roles.get(&role_oid(address)).cloned().unwrap_or_else(|| address.to_string())
}

/// A role name inside an aclitem: double-quoted (quotes doubled) unless
/// it is letters, digits and underscores only, as PostgreSQL's `putid`.
fn aclitem_name(name: &str) -> String {
    if name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// The rows of `pg_policy` and `pg_policies` for the table `f`, in
/// creation order.
pub(super) fn policy_rows(rows: &mut Rows, snap: &Snapshot, f: &TableFacts<'_>) {
    let (meta, relation) = (f.meta, f.oid);
    for p in &meta.policies {
        let role_oids: Vec<Option<String>> = if p.roles.is_empty() {
            vec![Some("0".into())]
        } else {
            p.roles.iter().map(|r| Some(role_oid(r).to_string())).collect()
        };
        let (using, check) = (p.using.as_deref().map(pg_get_expr), p.check.as_deref().map(pg_get_expr));
        rows.push(
            "pg_catalog",
            "pg_policy",
            &[
                ("oid", V::Integer(derived_oid("policy", &[&meta.id, p.name.as_bytes()]).into())),
                ("polname", V::Text(p.name.clone())),
                ("polrelid", V::Integer(relation.into())),
                ("polcmd", V::Text(p.command.letter().to_string())),
                ("polpermissive", V::Integer(p.permissive as i64)),
                ("polroles", V::Text(array::format(&role_oids))),
                ("polqual", opt(using.clone())),
                ("polwithcheck", opt(check.clone())),
            ],
        );
        rows.push(
            "pg_catalog",
            "pg_policies",
            &[
                ("schemaname", V::Text(f.schema.into())),
                ("tablename", V::Text(f.rel.into())),
                ("policyname", V::Text(p.name.clone())),
                ("permissive", V::Text(if p.permissive { "PERMISSIVE" } else { "RESTRICTIVE" }.into())),
                ("roles", V::Text(policy_role_names(p, snap))),
                ("cmd", V::Text(p.command.name().into())),
                ("qual", opt(using)),
                ("with_check", opt(check)),
            ],
        );
    }
}

/// `pg_policies.roles`: the roles' names sorted, `{public}` for PUBLIC.
fn policy_role_names(p: &PolicyMeta, snap: &Snapshot) -> String {
    if p.roles.is_empty() {
        return array::format(&[Some("public")]);
    }
    let mut names: Vec<String> = p.roles.iter().map(|r| grantee_name(r, snap)).collect();
    names.sort();
    array::format(&names.into_iter().map(Some).collect::<Vec<_>>())
}

fn opt(s: Option<String>) -> V {
    s.map(V::Text).unwrap_or(V::Null)
}

/// A stored policy expression as `pg_get_expr` prints it: PostgreSQL puts
/// an operator expression in parentheses and leaves a constant, a column,
/// a function call or an already parenthesized expression bare.
pub(super) fn pg_get_expr(text: &str) -> String {
    let text = text.trim();
    let atom = text.chars().all(|c| c.is_alphanumeric() || matches!(c, '_' | '.'));
    let quoted = text.len() >= 2 && text.starts_with('\'') && closing(text, 0) == Some(text.len() - 1);
    let call_or_nested = text.find('(').is_some_and(|open| {
        text.get(..open).is_some_and(|name| name.chars().all(|c| c.is_alphanumeric() || matches!(c, '_' | '.')))
            && closing(text, open) == Some(text.len() - 1)
    });
    if text.is_empty() || atom || quoted || call_or_nested {
        text.to_string()
    } else {
        format!("({text})")
    }
}

/// The byte offset of what closes the `(` or `'` at byte `open`, skipping
/// quoted strings and identifiers and nested parentheses.
fn closing(text: &str, open: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    if bytes.get(open) == Some(&b'\'') {
        return quote_end(bytes, open);
    }
    let mut depth = 0usize;
    let mut k = open;
    while let Some(b) = bytes.get(k) {
        match b {
            b'\'' | b'"' => k = quote_end(bytes, k)?,
            b'(' => depth += 1,
            b')' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(k);
                }
            }
            _ => {}
        }
        k += 1;
    }
    None
}

/// The closing quote of the quoted string or identifier opened at `open`
/// (a doubled quote stands for itself).
fn quote_end(bytes: &[u8], open: usize) -> Option<usize> {
    let quote = *bytes.get(open)?;
    let mut k = open + 1;
    while let Some(b) = bytes.get(k) {
        if *b == quote {
            if bytes.get(k + 1) == Some(&quote) {
                k += 2;
                continue;
            }
            return Some(k);
        }
        k += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pg_get_expr_parenthesizes_operator_expressions_only() {
        for (stored, shown) in [
            ("price > 1", "(price > 1)"),
            ("(price > 1)", "(price > 1)"),
            ("(a > 1) AND (b < 2)", "((a > 1) AND (b < 2))"),
            ("true", "true"),
            ("owner", "owner"),
            ("'x'", "'x'"),
            ("'it''s' = name", "('it''s' = name)"),
            ("lower(name)", "lower(name)"),
            ("lower(name) = 'a'", "(lower(name) = 'a')"),
            ("f(a) OR g(b)", "(f(a) OR g(b))"),
            ("name = ')'", "(name = ')')"),
        ] {
            assert_eq!(pg_get_expr(stored), shown, "{stored}");
        }
    }

    #[test]
    fn aclitem_names_are_quoted_as_postgresql_quotes_them() {
        assert_eq!(aclitem_name("alice"), "alice");
        assert_eq!(aclitem_name("Bob_2"), "Bob_2");
        assert_eq!(aclitem_name("a b"), "\"a b\"");
        assert_eq!(aclitem_name("x\"y"), "\"x\"\"y\"");
        assert_eq!(letters(privilege::ALL), "arwdD");
        assert_eq!(letters(privilege::SELECT | privilege::UPDATE), "rw");
    }
}
