//! Who may do what with a table: ownership, GRANT/REVOKE privileges and
//! row-level security policies. Pure functions over the catalog, so every
//! validator decides alike; the executor calls them while it executes a tx,
//! the front ends before they answer a read.
//!
//! - The owner (the creator) and admins (genesis roles) may do anything,
//!   and row-level security does not apply to them, as in PostgreSQL.
//! - Anyone else needs a privilege granted to them or to PUBLIC: SELECT to
//!   read any column (in a WHERE clause, a subquery or RETURNING too),
//!   INSERT, UPDATE (table-wide or per column), DELETE, TRUNCATE.
//! - Under row-level security, PERMISSIVE policies that apply to the role
//!   are OR-ed and RESTRICTIVE ones AND-ed onto them; with no permissive
//!   policy nothing passes. SELECT policies become a filter in front of
//!   every read of the table ([`row_filter`]); write policies become
//!   triggers the executor installs ([`policy_triggers`]): INSERT's and
//!   UPDATE's WITH CHECK refuse a row (42501), UPDATE's and DELETE's USING
//!   skip rows the role may not touch. Policy expressions run with the
//!   table owner's rights (like a SECURITY DEFINER function), so a
//!   rows-per-account cap works for a role that may not read the table.

use crate::catalog::{privilege, Catalog, GrantMeta, PolicyCommand, PolicyMeta, TableMeta};
use crate::sqlerror::SqlError;

/// The role a check is for.
#[derive(Debug, Clone, Copy)]
pub struct Who<'a> {
    pub address: &'a str,
    pub name: &'a str,
    /// A genesis role: PostgreSQL's superuser.
    pub admin: bool,
}

/// The SQLSTATE of every refusal here.
pub const INSUFFICIENT_PRIVILEGE: &str = "42501";

/// The message SQLite's RAISE carries out of a policy trigger; the
/// executor turns it into PostgreSQL's error (see [`policy_violation`]).
pub const RLS_MARK: &str = "__rc_rls:";

pub fn owns(meta: &TableMeta, who: Who<'_>) -> bool {
    who.admin || meta.owner == who.address
}

/// PostgreSQL's error for a privilege the role lacks.
pub fn denied(table: &str) -> SqlError {
    // PostgreSQL names the relation without its schema.
    let (_, relation) = sqlmap::relation_schema(table);
    SqlError::new(INSUFFICIENT_PRIVILEGE, format!("permission denied for table {relation}"))
}

/// 42501 unless `who` owns the table: DROP, ALTER, GRANT, policies.
pub fn must_own(meta: &TableMeta, who: Who<'_>) -> Result<(), SqlError> {
    if owns(meta, who) {
        Ok(())
    } else {
        Err(SqlError::new(INSUFFICIENT_PRIVILEGE, format!("must be owner of table {}", meta.name)))
    }
}

/// The grants that reach `who`: its own and PUBLIC's.
fn grants<'a>(meta: &'a TableMeta, who: Who<'a>) -> impl Iterator<Item = &'a GrantMeta> {
    meta.acl.iter().filter(move |g| g.grantee.is_empty() || g.grantee == who.address)
}

/// Whether `who` holds the table-wide privilege `bit` (bits of [`privilege`]).
pub fn has(meta: &TableMeta, who: Who<'_>, bit: u8) -> bool {
    owns(meta, who) || grants(meta, who).any(|g| g.privileges & bit != 0)
}

/// Whether `who` may update `column`: table-wide UPDATE or UPDATE on it.
pub fn may_update(meta: &TableMeta, who: Who<'_>, column: &str) -> bool {
    has(meta, who, privilege::UPDATE) || grants(meta, who).any(|g| g.update_columns.iter().any(|c| c == column))
}

/// What a statement does to a table, as SQLite's authorizer reports it
/// while compiling the statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Touch {
    Read(String),
    Insert(String),
    Update { table: String, column: String },
    Delete(String),
}

/// Checks every touch against the privileges: the first missing one is
/// PostgreSQL's 42501 `permission denied for table t`. Tables that are
/// not in the catalog (SQLite's own, rowchain's) are not checked here.
/// A read of a view is checked with [`may_read`]; what SQLite reports the
/// view itself reads is not a touch of the statement's.
pub fn check_touches(
    catalog: &Catalog,
    who: Who<'_>,
    touches: &[Touch],
    is_admin: &dyn Fn(&str) -> bool,
) -> Result<(), SqlError> {
    for t in touches {
        let (Touch::Read(table) | Touch::Insert(table) | Touch::Delete(table) | Touch::Update { table, .. }) = t;
        let Some(meta) = catalog.get(table) else { continue };
        let allowed = match t {
            Touch::Read(_) if meta.is_view() => {
                may_read(catalog, who, table, is_admin)?;
                true
            }
            Touch::Read(_) => has(meta, who, privilege::SELECT),
            Touch::Insert(_) => has(meta, who, privilege::INSERT),
            Touch::Update { column, .. } => may_update(meta, who, column),
            Touch::Delete(_) => has(meta, who, privilege::DELETE),
        };
        if !allowed {
            return Err(denied(&meta.name));
        }
    }
    Ok(())
}

/// How deep views may read through other views (PostgreSQL has no such
/// bound; a chain of 32 views is already beyond what anyone writes).
pub const VIEW_DEPTH_MAX: usize = 32;

/// 42501 unless `who` may read `table`: SELECT on it and, for a view,
/// SELECT on what the view reads, held by the role the view reads as: its
/// owner (PostgreSQL's default), or the reader for a `security_invoker`
/// view; and so on down through views over views. `is_admin` tells
/// whether an owner's address is an admin's.
///
/// An owner's view is rendered with the owner's row filters (the executor
/// builds it so); a `security_invoker` view cannot apply its reader's, so
/// reading one over a table whose policies filter the reader is 0A000
/// rather than an unfiltered answer.
pub fn may_read(catalog: &Catalog, who: Who<'_>, table: &str, is_admin: &dyn Fn(&str) -> bool) -> Result<(), SqlError> {
    read_through(catalog, who, table, is_admin, 0)
}

fn read_through(
    catalog: &Catalog,
    who: Who<'_>,
    table: &str,
    is_admin: &dyn Fn(&str) -> bool,
    depth: usize,
) -> Result<(), SqlError> {
    let Some(meta) = catalog.get(table) else { return Ok(()) };
    if !has(meta, who, privilege::SELECT) {
        return Err(denied(&meta.name));
    }
    let Some(view) = &meta.view else { return Ok(()) };
    if depth >= VIEW_DEPTH_MAX {
        return Err(SqlError::new(
            "54001",
            format!("view \"{}\" reads through more than {VIEW_DEPTH_MAX} views", meta.name),
        ));
    }
    // The owner's name only binds `current_user` in row filters, which
    // the owner's view already carries; the privilege checks use the rest.
    let owner = Who { address: &meta.owner, name: "", admin: is_admin(&meta.owner) };
    let reader = if view.security_invoker { who } else { owner };
    for dep in &view.depends {
        if view.security_invoker && row_filter(catalog.get(dep), dep, who).is_some() {
            return Err(SqlError::new(
                "0A000",
                format!(
                    "view \"{}\" is security_invoker and reads table \"{dep}\", whose row-level security filters this role",
                    meta.name
                ),
            )
            .hinted("rowchain applies the reader's policies only to tables a query names; query the table, or make the view security_invoker = false"));
        }
        read_through(catalog, reader, dep, is_admin, depth + 1)?;
    }
    Ok(())
}

/// What reading `tables` reads through views, beyond `tables` themselves:
/// every relation a listed view reads, down through views over views. A
/// read connection may let SQLite read these (it reports some reads of a
/// view's tables, such as `count(*)`'s, as the statement's own), since
/// [`may_read`] has checked them as each view's reader.
pub fn read_through_views(catalog: &Catalog, tables: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut frontier: Vec<&str> = tables.iter().map(String::as_str).collect();
    while let Some(name) = frontier.pop() {
        let Some(view) = catalog.get(name).and_then(|m| m.view.as_ref()) else { continue };
        for dep in &view.depends {
            if !tables.contains(dep) && !out.contains(dep) {
                out.push(dep.clone());
                frontier.push(dep);
            }
        }
    }
    out
}

/// GRANT (or REVOKE) `bits` and UPDATE on `columns` to (from) `grantee`
/// (an address, empty for PUBLIC). The ACL stays sorted and holds no
/// empty entries, so equal rights always encode alike.
pub fn apply_grant(meta: &mut TableMeta, grantee: &str, bits: u8, columns: &[String], revoke: bool) {
    // Taken out, changed, and put back unless it ends up empty.
    let (pos, mut g) = match meta.acl.binary_search_by(|g| g.grantee.as_str().cmp(grantee)) {
        Ok(p) => (p, meta.acl.remove(p)),
        Err(p) => (p, GrantMeta { grantee: grantee.to_string(), privileges: 0, update_columns: Vec::new() }),
    };
    if revoke {
        g.privileges &= !bits;
        g.update_columns.retain(|c| !columns.contains(c));
        // REVOKE UPDATE takes back the column grants too, as in PostgreSQL.
        if bits & privilege::UPDATE != 0 {
            g.update_columns.clear();
        }
    } else {
        g.privileges |= bits;
        for c in columns {
            if let Err(at) = g.update_columns.binary_search(c) {
                g.update_columns.insert(at, c.clone());
            }
        }
    }
    if g.privileges != 0 || !g.update_columns.is_empty() {
        meta.acl.insert(pos, g);
    }
}

fn applies_to(p: &PolicyMeta, address: &str) -> bool {
    p.roles.is_empty() || p.roles.iter().any(|r| r == address)
}

/// The expression a policy contributes for `command`: SELECT and DELETE
/// use USING; INSERT uses WITH CHECK; UPDATE uses USING for the old row
/// and WITH CHECK for the new one. An ALL policy with only USING uses it
/// for new rows too. A policy without the expression contributes nothing.
fn policy_expr(p: &PolicyMeta, command: PolicyCommand, new_row: bool) -> Option<&str> {
    match (command, new_row) {
        (PolicyCommand::Insert, _) | (PolicyCommand::Update, true) => p.check.as_deref().or(p.using.as_deref()),
        _ => p.using.as_deref(),
    }
}

/// Combines policy expressions the way PostgreSQL does: permissive ones
/// OR-ed, restrictive ones AND-ed onto them; no permissive one: `false`.
/// `role_test` is how a policy's role list becomes a condition: `None`
/// leaves the policy out, `Some(None)` applies it unconditionally,
/// `Some(Some(test))` applies it where `test` holds.
fn combine(
    meta: &TableMeta,
    command: PolicyCommand,
    new_row: bool,
    mut render: impl FnMut(&str) -> Result<String, SqlError>,
    role_test: impl Fn(&PolicyMeta) -> Option<Option<String>>,
) -> Result<String, SqlError> {
    let mut permissive = Vec::new();
    let mut restrictive = Vec::new();
    for p in meta.policies.iter().filter(|p| p.command.covers(command)) {
        let test = role_test(p);
        let Some(test) = test else { continue };
        let Some(expr) = policy_expr(p, command, new_row) else { continue };
        let expr = render(expr)?;
        match (p.permissive, test) {
            (true, None) => permissive.push(format!("({expr})")),
            (true, Some(t)) => permissive.push(format!("({t} AND ({expr}))")),
            (false, None) => restrictive.push(format!("({expr})")),
            (false, Some(t)) => restrictive.push(format!("(NOT {t} OR ({expr}))")),
        }
    }
    if permissive.is_empty() {
        return Ok("false".into());
    }
    let mut out = format!("({})", permissive.join(" OR "));
    for r in restrictive {
        out.push_str(" AND ");
        out.push_str(&r);
    }
    Ok(out)
}

/// The condition (PostgreSQL text, `current_user` bound to `who`) rows
/// must meet for `who` to see them, or `None` when nothing filters the
/// table for `who`. `rowchain.transactions` shows others' txs to admins
/// only: a statement's text carries the values it wrote.
pub fn row_filter(meta: Option<&TableMeta>, sqlite_table: &str, who: Who<'_>) -> Option<String> {
    if sqlite_table == "__rc_transactions" {
        return (!who.admin).then(|| format!("account = '{}'", who.address.replace('\'', "''")));
    }
    let meta = meta?;
    if !meta.row_security || owns(meta, who) {
        return None;
    }
    let bind = |text: &str| sqlmap::bind_current_user(text, who.name).map_err(SqlError::from);
    let applies = |p: &PolicyMeta| applies_to(p, who.address).then_some(None);
    Some(combine(meta, PolicyCommand::Select, false, bind, applies).unwrap_or_else(|_| "false".into()))
}

/// The catalog as `who` plans against it: reads of tables with SELECT
/// policies come out filtered.
pub struct PolicyView<'a> {
    pub catalog: &'a Catalog,
    pub types: &'a crate::usertype::UserTypes,
    pub who: Who<'a>,
}

impl PolicyView<'_> {
    fn view(&self) -> crate::catalog::SchemaView<'_> {
        crate::catalog::SchemaView(self.catalog, self.types)
    }
}

impl sqlmap::Schema for PolicyView<'_> {
    fn column_type(&self, table: &str, column: &str) -> Option<sqlmap::PgType> {
        self.view().column_type(table, column)
    }

    fn column_names(&self, table: &str) -> Option<Vec<String>> {
        self.view().column_names(table)
    }

    fn row_filter(&self, table: &str) -> Option<String> {
        row_filter(self.catalog.get(table), table, self.who)
    }

    fn auto_increment_column(&self, table: &str) -> Option<String> {
        self.view().auto_increment_column(table)
    }

    fn always_identity(&self, table: &str, column: &str) -> bool {
        self.view().always_identity(table, column)
    }

    fn generated(&self, table: &str, column: &str) -> bool {
        self.view().generated(table, column)
    }

    fn rowid_sequence(&self, sequence: &str) -> Option<String> {
        self.view().rowid_sequence(sequence)
    }

    fn user_type(&self, name: &str) -> Option<sqlmap::UserType> {
        self.view().user_type(name)
    }

    fn knows_user_types(&self) -> bool {
        true
    }
}

/// A read as `who` may run it: 42501 when `who` may not read a relation
/// it names ([`may_read`]), and the query planned again with row filters when a table it
/// reads has SELECT policies for `who` (`None`: run `plan` as it is).
/// `text` is the statement `plan` was planned from.
pub fn secure_read(
    catalog: &Catalog,
    types: &crate::usertype::UserTypes,
    who: Who<'_>,
    plan: &sqlmap::ReadPlan,
    text: &str,
    is_admin: &dyn Fn(&str) -> bool,
) -> Result<Option<sqlmap::ReadPlan>, SqlError> {
    for t in &plan.tables {
        may_read(catalog, who, t, is_admin)?;
    }
    if !plan.tables.iter().any(|t| row_filter(catalog.get(t), t, who).is_some()) {
        return Ok(None);
    }
    match sqlmap::plan_in(text, &PolicyView { catalog, types, who })?.pop() {
        Some(sqlmap::Plan::Read(r)) if r.param_count == plan.param_count => Ok(Some(r)),
        _ => Err(SqlError::new("XX000", "the query planned differently with its row filters")),
    }
}

/// The three policy triggers' names: stable across renames (they carry the
/// table id), reserved (`__rc_`), so users can neither create nor drop them.
pub fn trigger_names(meta: &TableMeta) -> [String; 3] {
    let id = hex::encode(meta.id);
    ["ins", "upd", "del"].map(|k| format!("__rc_rls_{k}_{id}"))
}

/// The SQLite statements that create the table's write-policy triggers
/// (none when row-level security is off). `render` turns a policy
/// expression into SQLite text with the table's columns in scope.
pub fn policy_triggers(
    meta: &TableMeta,
    mut render: impl FnMut(&str) -> Result<String, SqlError>,
) -> Result<Vec<String>, SqlError> {
    if !meta.row_security {
        return Ok(Vec::new());
    }
    let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    let literal = |s: &str| format!("'{}'", s.replace('\'', "''"));
    let table = quote(&meta.name);
    // Decided when the row is written: rc_account() is the signer's address.
    let role_test = |p: &PolicyMeta| {
        Some(if p.roles.is_empty() {
            None
        } else {
            Some(format!("(rc_account() IN ({}))", p.roles.iter().map(|r| literal(r)).collect::<Vec<_>>().join(", ")))
        })
    };
    // The row as a one-row table named like the table, so the policy's
    // bare and table-qualified column names mean the row's values.
    let row = |which: &str| {
        let cols: Vec<String> =
            meta.columns.iter().map(|c| format!("{which}.{} AS {}", quote(&c.name), quote(&c.name))).collect();
        format!("(SELECT {}) AS {table}", cols.join(", "))
    };
    let holds = |cond: &str, which: &str| format!("coalesce((SELECT {cond} FROM {}), 0)", row(which));
    let refuse = format!("RAISE(ABORT, {})", literal(&format!("{RLS_MARK}{}", meta.name)));
    let bypass = format!("rc_account() <> {} AND NOT rc_is_admin()", literal(&meta.owner));
    let [ins, upd, del] = trigger_names(meta);
    let mut r = |text: &str| render(text);
    let insert_check = combine(meta, PolicyCommand::Insert, true, &mut r, role_test)?;
    // UPDATE and DELETE read the rows they change, so SELECT policies
    // apply to them too (PostgreSQL applies them whenever the statement
    // reads the row: a WHERE clause, RETURNING).
    let select_using = combine(meta, PolicyCommand::Select, false, &mut r, role_test)?;
    let update_using = combine(meta, PolicyCommand::Update, false, &mut r, role_test)?;
    let update_check = combine(meta, PolicyCommand::Update, true, &mut r, role_test)?;
    let delete_using = combine(meta, PolicyCommand::Delete, false, &mut r, role_test)?;
    Ok(vec![
        format!(
            "CREATE TRIGGER {} BEFORE INSERT ON {table} FOR EACH ROW WHEN {bypass} BEGIN \
             SELECT {refuse} WHERE NOT {}; END",
            quote(&ins),
            holds(&insert_check, "NEW")
        ),
        format!(
            "CREATE TRIGGER {} BEFORE UPDATE ON {table} FOR EACH ROW WHEN {bypass} BEGIN \
             SELECT RAISE(IGNORE) WHERE NOT ({} AND {}); \
             SELECT {refuse} WHERE NOT {}; END",
            quote(&upd),
            holds(&update_using, "OLD"),
            holds(&select_using, "OLD"),
            holds(&update_check, "NEW")
        ),
        format!(
            "CREATE TRIGGER {} BEFORE DELETE ON {table} FOR EACH ROW WHEN {bypass} BEGIN \
             SELECT RAISE(IGNORE) WHERE NOT ({} AND {}); END",
            quote(&del),
            holds(&delete_using, "OLD"),
            holds(&select_using, "OLD")
        ),
    ])
}

/// PostgreSQL's error for a row a WITH CHECK policy refused, when the
/// message of a trigger's RAISE came from a policy trigger.
pub fn policy_violation(message: &str) -> Option<SqlError> {
    let table = message.strip_prefix(RLS_MARK)?;
    Some(SqlError::new(
        INSUFFICIENT_PRIVILEGE,
        format!("new row violates row-level security policy for table \"{table}\""),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::ColumnMeta;

    fn table(owner: &str) -> TableMeta {
        TableMeta {
            id: [7; 16],
            name: "t".into(),
            owner: owner.into(),
            columns: vec![ColumnMeta {
                name: "a".into(),
                pg_type: "integer".into(),
                not_null: false,
                serial: false,
                identity: false,
                always: false,
                generated: false,
                comment: None,
                user_type: None,
            }],
            primary_key: vec![],
            rowid_alias: None,
            indexes: vec![],
            created_height: 1,
            acl: vec![],
            row_security: false,
            policies: vec![],
            comment: None,
            part_comments: vec![],
            view: None,
            materialized: None,
        }
    }

    /// A view named `name`, owned by `owner`, reading `depends`.
    fn view(name: &str, owner: &str, depends: &[&str], security_invoker: bool) -> TableMeta {
        TableMeta {
            name: name.into(),
            view: Some(crate::catalog::ViewMeta {
                query: "SELECT a FROM t".into(),
                column_names: vec![],
                security_invoker,
                depends: depends.iter().map(|d| d.to_string()).collect(),
            }),
            ..table(owner)
        }
    }

    fn who(address: &str) -> Who<'_> {
        Who { address, name: address, admin: false }
    }

    fn policy(
        name: &str,
        command: PolicyCommand,
        permissive: bool,
        roles: &[&str],
        using: Option<&str>,
        check: Option<&str>,
    ) -> PolicyMeta {
        PolicyMeta {
            name: name.into(),
            command,
            permissive,
            roles: roles.iter().map(|r| r.to_string()).collect(),
            using: using.map(str::to_string),
            check: check.map(str::to_string),
        }
    }

    /// Each row: who asks, which grants exist, which privilege, the answer.
    #[test]
    fn privileges_by_grant() {
        use privilege::*;
        type Grant<'a> = (&'a str, u8, &'a [&'a str]);
        let cases: &[(&str, &[Grant], u8, bool)] = &[
            ("owner", &[], ALL, true),
            ("bob", &[], SELECT, false),
            ("bob", &[("bob", SELECT, &[])], SELECT, true),
            ("bob", &[("bob", SELECT, &[])], INSERT, false),
            ("bob", &[("", INSERT, &[])], INSERT, true),
            ("carol", &[("bob", ALL, &[])], DELETE, false),
            ("bob", &[("bob", 0, &["a"])], UPDATE, false),
        ];
        for (i, (asker, acl, bit, want)) in cases.iter().enumerate() {
            let mut t = table("owner");
            for (grantee, bits, cols) in acl.iter() {
                let cols: Vec<String> = cols.iter().map(|c| c.to_string()).collect();
                apply_grant(&mut t, grantee, *bits, &cols, false);
            }
            assert_eq!(has(&t, who(asker), *bit), *want, "case {i}");
        }
        let admin = Who { address: "root", name: "admin", admin: true };
        assert!(has(&table("owner"), admin, DELETE));
    }

    #[test]
    fn grants_and_revokes_keep_the_acl_canonical() {
        use privilege::*;
        let mut t = table("owner");
        apply_grant(&mut t, "bob", SELECT | UPDATE, &[], false);
        apply_grant(&mut t, "", SELECT, &[], false);
        apply_grant(&mut t, "amy", 0, &["a".into()], false);
        assert_eq!(t.acl.iter().map(|g| g.grantee.as_str()).collect::<Vec<_>>(), ["", "amy", "bob"]);
        assert!(may_update(&t, who("amy"), "a"));
        assert!(!may_update(&t, who("amy"), "b"));
        assert!(may_update(&t, who("bob"), "b"));
        apply_grant(&mut t, "amy", UPDATE, &[], true);
        apply_grant(&mut t, "bob", SELECT | UPDATE, &[], true);
        assert_eq!(t.acl.iter().map(|g| g.grantee.as_str()).collect::<Vec<_>>(), [""]);
        assert!(has(&t, who("bob"), SELECT), "PUBLIC's grant still reaches bob");
        assert_eq!(TableMeta::decode(&t.encode()).unwrap(), t);
        apply_grant(&mut t, "", SELECT, &[], true);
        assert_eq!(t.encode(), table("owner").encode(), "no grants left: version 1 encoding");
    }

    #[test]
    fn touches_need_their_privilege() {
        use privilege::*;
        let mut t = table("owner");
        apply_grant(&mut t, "bob", INSERT, &[], false);
        apply_grant(&mut t, "bob", 0, &["a".into()], false);
        let catalog: Catalog = [("t".to_string(), t)].into();
        let ok = |touches: &[Touch]| check_touches(&catalog, who("bob"), touches, &|_| false);
        assert!(ok(&[Touch::Insert("t".into())]).is_ok());
        assert!(ok(&[Touch::Update { table: "t".into(), column: "a".into() }]).is_ok());
        let e = ok(&[Touch::Update { table: "t".into(), column: "b".into() }]).unwrap_err();
        assert_eq!((e.sqlstate, e.message.as_str()), ("42501", "permission denied for table t"));
        assert!(ok(&[Touch::Read("t".into())]).is_err());
        assert!(ok(&[Touch::Delete("t".into())]).is_err());
        assert!(ok(&[Touch::Read("sqlite_master".into())]).is_ok(), "not a user table");
    }

    /// PostgreSQL's rule: SELECT on the view, and what the view reads is
    /// checked as the view's owner (as the reader for security_invoker),
    /// view by view down to the tables.
    #[test]
    fn reads_through_views_are_checked_as_each_views_reader() {
        use privilege::*;
        let mut t = table("alice");
        apply_grant(&mut t, "carol", SELECT, &[], false);
        let mut v = view("v", "carol", &["t"], false);
        apply_grant(&mut v, "bob", SELECT, &[], false);
        let mut w = view("w", "dave", &["v"], false);
        apply_grant(&mut w, "", SELECT, &[], false);
        let mut catalog: Catalog = [("t".to_string(), t), ("v".to_string(), v), ("w".to_string(), w)].into();
        let read = |catalog: &Catalog, asker: &str, rel: &str| {
            may_read(catalog, who(asker), rel, &|a| a == "root").map_err(|e| (e.sqlstate, e.message))
        };
        assert_eq!(read(&catalog, "bob", "v"), Ok(()), "carol may read t, and bob may read v");
        assert_eq!(read(&catalog, "bob", "t"), Err(("42501", "permission denied for table t".into())));
        assert_eq!(read(&catalog, "erin", "v"), Err(("42501", "permission denied for table v".into())));
        // dave owns w but may not read v: nobody reads through w.
        assert_eq!(read(&catalog, "bob", "w"), Err(("42501", "permission denied for table v".into())));
        let touch = [Touch::Read("w".into())];
        let e = check_touches(&catalog, who("bob"), &touch, &|_| false).unwrap_err();
        assert_eq!((e.sqlstate, e.message.as_str()), ("42501", "permission denied for table v"));
        // An admin's view reads with an admin's rights.
        if let Some(w) = catalog.get_mut("w") {
            w.owner = "root".into();
        }
        assert_eq!(read(&catalog, "bob", "w"), Ok(()));
        // security_invoker: the reader needs SELECT on t itself.
        let mut iv = view("iv", "carol", &["t"], true);
        apply_grant(&mut iv, "", SELECT, &[], false);
        catalog.insert("iv".into(), iv);
        assert_eq!(read(&catalog, "bob", "iv"), Err(("42501", "permission denied for table t".into())));
        assert_eq!(read(&catalog, "carol", "iv"), Ok(()));
        // ... and cannot apply the reader's row filters: refused, not unfiltered.
        if let Some(t) = catalog.get_mut("t") {
            t.row_security = true;
        }
        let e = read(&catalog, "carol", "iv").unwrap_err();
        assert_eq!(e.0, "0A000");
        assert!(e.1.contains("security_invoker") && e.1.contains("\"t\""), "{}", e.1);
        assert_eq!(read(&catalog, "alice", "iv"), Ok(()), "the table's owner is not filtered");
    }

    #[test]
    fn views_nested_too_deep_are_refused() {
        let mut catalog = Catalog::new();
        catalog.insert("t".into(), table("alice"));
        let mut below = "t".to_string();
        for i in 0..=VIEW_DEPTH_MAX {
            let name = format!("v{i}");
            catalog.insert(name.clone(), view(&name, "alice", &[below.as_str()], false));
            below = name;
        }
        let e = may_read(&catalog, who("alice"), &below, &|_| false).unwrap_err();
        assert_eq!(e.sqlstate, "54001");
        assert!(may_read(&catalog, who("alice"), "v3", &|_| false).is_ok());
    }

    #[test]
    fn select_filters_combine_policies() {
        let mut t = table("owner");
        t.row_security = true;
        assert_eq!(row_filter(Some(&t), "t", who("bob")).as_deref(), Some("false"), "no policy: no rows");
        assert_eq!(row_filter(Some(&t), "t", who("owner")), None, "owners bypass");
        t.policies.push(policy("mine", PolicyCommand::All, true, &[], Some("who = current_user"), None));
        t.policies.push(policy("bobs", PolicyCommand::Select, true, &["bob"], Some("a > 1"), None));
        t.policies.push(policy("cap", PolicyCommand::Select, false, &[], Some("a < 100"), None));
        t.policies.push(policy("ins", PolicyCommand::Insert, true, &[], None, Some("a = 5")));
        assert_eq!(row_filter(Some(&t), "t", who("bob")).as_deref(), Some("((who = 'bob') OR (a > 1)) AND (a < 100)"));
        assert_eq!(row_filter(Some(&t), "t", who("amy")).as_deref(), Some("((who = 'amy')) AND (a < 100)"));
        t.row_security = false;
        assert_eq!(row_filter(Some(&t), "t", who("bob")), None);
        assert_eq!(row_filter(None, "__rc_transactions", who("bob")).as_deref(), Some("account = 'bob'"));
    }

    #[test]
    fn write_triggers_follow_the_policies() {
        let mut t = table("owner");
        assert!(policy_triggers(&t, |e| Ok(e.to_string())).unwrap().is_empty());
        t.row_security = true;
        t.policies.push(policy("ins", PolicyCommand::Insert, true, &["bob"], None, Some("a = 5")));
        let triggers = policy_triggers(&t, |e| Ok(format!("<{e}>"))).unwrap();
        assert_eq!(triggers.len(), 3);
        assert!(triggers[0].contains("((rc_account() IN ('bob')) AND (<a = 5>))"), "{}", triggers[0]);
        assert!(triggers[0].contains("WHEN rc_account() <> 'owner' AND NOT rc_is_admin()"), "{}", triggers[0]);
        assert!(triggers[2].contains("coalesce((SELECT false FROM"), "no DELETE policy: {}", triggers[2]);
        assert_eq!(
            policy_violation("__rc_rls:t").map(|e| e.message),
            Some("new row violates row-level security policy for table \"t\"".to_string())
        );
    }
}
