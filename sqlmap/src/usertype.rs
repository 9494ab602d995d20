//! User-defined types: `CREATE TYPE ... AS ENUM`, `CREATE DOMAIN`, `DROP
//! TYPE` / `DROP DOMAIN` and `ALTER TYPE ... ADD VALUE | RENAME VALUE` as
//! DDL plans, and how a column or a cast of such a type renders for SQLite.
//!
//! A type is named as relations are (`mood`, `s.mood`: [`crate::qualify`]);
//! `pg_temp.mood` is the session's own type, never a chain tx.
//!
//! An enum value is stored as its label, in a `TEXT` column that
//! - checks its values with `rc_enum_in(value, key, type)`, which fails
//!   with PostgreSQL's 22P02 for a label the type lacks, and
//! - orders by declaration with the collation named by the key itself
//!   (`"rc_enum:3:sad2:ok5:happy"`): the node's collation reads the labels
//!   back out of the name it is asked for, so every connection orders
//!   alike with nothing registered per type.
//!
//! `ALTER TYPE ... ADD VALUE` changes the key; the node rewrites the
//! definitions of the tables that use the type. Labels already there keep
//! their order among themselves, so indexes stay ordered.
//!
//! A domain's column is its base type's, with the domain's NOT NULL and
//! CHECKs as `rc_domain_ok(condition, domain, constraint)`, which fails with
//! PostgreSQL's 23514 (or 23502 for NOT NULL) naming the domain.

use sqlparser::ast::{
    self, AlterTypeAddValuePosition, AlterTypeOperation, DataType, Expr, Ident, ObjectName, ObjectNamePart,
    TableConstraint, UserDefinedTypeRepresentation, VisitMut, VisitorMut,
};
use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Span, Token, TokenWithSpan, Tokenizer, Whitespace};
use std::ops::ControlFlow;

use crate::error::PlanError;
use crate::names;
use crate::schema::Schema;
use crate::types::PgType;

/// PostgreSQL's NAMEDATALEN - 1: the longest enum label, in bytes.
pub const LABEL_BYTES_MAX: usize = 63;
/// The most labels one enum may have (PostgreSQL allows about 2^31; a
/// chain type's labels travel in every table definition that uses it).
pub const LABELS_MAX: usize = 4096;

/// PostgreSQL's built-in types rowchain does not store: planned without a
/// catalog, these stay "not supported" rather than standing in for a
/// user-defined type of that name.
const BUILTIN_TYPES_NOT_STORED: &[&str] = &[
    "money",
    "point",
    "line",
    "lseg",
    "box",
    "path",
    "polygon",
    "circle",
    "xml",
    "tsvector",
    "tsquery",
    "pg_lsn",
    "txid_snapshot",
    "pg_snapshot",
    "int4range",
    "int8range",
    "numrange",
    "tsrange",
    "tstzrange",
    "daterange",
    "int4multirange",
    "int8multirange",
    "nummultirange",
    "tsmultirange",
    "tstzmultirange",
    "datemultirange",
    "regclass",
    "regtype",
    "regproc",
    "regprocedure",
    "regoper",
    "regoperator",
    "regnamespace",
    "regrole",
    "regconfig",
    "regdictionary",
    "name",
    "xid",
    "xid8",
    "cid",
    "tid",
    "int2vector",
    "oidvector",
    "aclitem",
    "jsonpath",
    "interval",
    "timetz",
    "record",
    "void",
    "unknown",
    "anyelement",
    "cstring",
];

/// The prefix of an enum's key: the collation (and `rc_enum_in` argument)
/// that carries its labels.
pub const ENUM_KEY_PREFIX: &str = "rc_enum:";

/// A user-defined type as planning and typing need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserType {
    /// Its SQLite-style name (`mood`, `s.mood`).
    pub name: String,
    /// Its `pg_type.oid`.
    pub oid: u32,
    pub kind: UserTypeKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserTypeKind {
    /// The labels in declaration (sort) order.
    Enum(Vec<String>),
    Domain(DomainDef),
}

/// What `CREATE DOMAIN` declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainDef {
    pub base: PgType,
    pub not_null: bool,
    /// The DEFAULT expression, PostgreSQL text.
    pub default: Option<String>,
    pub checks: Vec<DomainCheck>,
}

/// One `CHECK` of a domain: its name and its condition, PostgreSQL text in
/// which `VALUE` is the value checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainCheck {
    pub name: String,
    pub expr: String,
}

/// Where `ALTER TYPE ... ADD VALUE` puts the new label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LabelPosition {
    Last,
    Before(String),
    After(String),
}

/// A user-defined type statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypePlan {
    CreateEnum {
        name: String,
        labels: Vec<String>,
    },
    CreateDomain {
        name: String,
        domain: DomainDef,
    },
    /// `DROP TYPE` (`domain` false) or `DROP DOMAIN`.
    Drop {
        names: Vec<String>,
        if_exists: bool,
        cascade: bool,
        domain: bool,
    },
    AddValue {
        name: String,
        label: String,
        if_not_exists: bool,
        position: LabelPosition,
    },
    RenameValue {
        name: String,
        from: String,
        to: String,
    },
}

impl TypePlan {
    /// The command tag PostgreSQL answers with.
    pub fn tag(&self) -> &'static str {
        match self {
            TypePlan::CreateEnum { .. } => "CREATE TYPE",
            TypePlan::CreateDomain { .. } => "CREATE DOMAIN",
            TypePlan::Drop { domain: false, .. } => "DROP TYPE",
            TypePlan::Drop { domain: true, .. } => "DROP DOMAIN",
            TypePlan::AddValue { .. } | TypePlan::RenameValue { .. } => "ALTER TYPE",
        }
    }
}

/// A type name resolved: its SQLite-style name, and whether it names the
/// session's temporary schema (`pg_temp.mood`).
pub(crate) fn resolve_name(name: &ObjectName) -> Result<(String, bool), PlanError> {
    if let [ObjectNamePart::Identifier(schema), ObjectNamePart::Identifier(ident)] = name.0.as_slice() {
        if names::fold(schema) == "pg_temp" {
            let name = names::fold(ident);
            names::check_reserved(&name)?;
            return Ok((name, true));
        }
    }
    Ok((names::resolve_target(name)?, false))
}

/// The plan of a `CREATE TYPE`; `temporary` when it names `pg_temp`.
pub(crate) fn plan_create_type(
    name: &ObjectName,
    representation: &Option<UserDefinedTypeRepresentation>,
) -> Result<(TypePlan, bool), PlanError> {
    let (name, temporary) = resolve_name(name)?;
    match representation {
        Some(UserDefinedTypeRepresentation::Enum { labels }) => {
            let labels: Vec<String> = labels.iter().map(|l| l.value.clone()).collect();
            check_labels(&labels)?;
            Ok((TypePlan::CreateEnum { name, labels }, temporary))
        }
        Some(UserDefinedTypeRepresentation::Composite { .. }) => Err(PlanError::unsupported("composite types")
            .with_hint("use a table, or a jsonb column, for structured values")),
        Some(UserDefinedTypeRepresentation::Range { .. }) => Err(PlanError::unsupported("range types")),
        _ => Err(PlanError::unsupported("base types (CREATE TYPE without AS)")),
    }
}

fn check_labels(labels: &[String]) -> Result<(), PlanError> {
    if labels.len() > LABELS_MAX {
        return Err(PlanError::new("54000", format!("an enum may have at most {LABELS_MAX} labels")));
    }
    for (i, label) in labels.iter().enumerate() {
        check_label(label)?;
        if labels.iter().take(i).any(|l| l == label) {
            return Err(PlanError::new("23505", format!("enum label \"{label}\" used more than once")));
        }
    }
    Ok(())
}

/// PostgreSQL's limit on a label (42602); SQLite cannot hold a NUL in a
/// collation name either.
pub fn check_label(label: &str) -> Result<(), PlanError> {
    if label.len() > LABEL_BYTES_MAX {
        return Err(PlanError::new("42602", format!("invalid enum label \"{label}\""))
            .with_hint(format!("Labels must be {LABEL_BYTES_MAX} bytes or less.")));
    }
    if label.contains('\0') {
        return Err(PlanError::new("22021", "invalid byte sequence for encoding \"UTF8\": 0x00"));
    }
    Ok(())
}

/// The plan of a `CREATE DOMAIN`; `temporary` when it names `pg_temp`.
pub(crate) fn plan_create_domain(create: &ast::CreateDomain) -> Result<(TypePlan, bool), PlanError> {
    let (name, temporary) = resolve_name(&create.name)?;
    let base = crate::types::cast_target(&create.data_type).map_err(|e| match &create.data_type {
        DataType::Custom(..) => PlanError::unsupported(format!("a domain over type {}", create.data_type))
            .with_hint("a domain's base type must be a built-in type"),
        _ => e,
    })?;
    crate::types::check_storable(base)?;
    if create.collation.is_some() {
        return Err(PlanError::unsupported("COLLATE in CREATE DOMAIN"));
    }
    let bare = relation_name(&name);
    let mut domain =
        DomainDef { base, not_null: false, default: create.default.as_ref().map(Expr::to_string), checks: vec![] };
    for constraint in &create.constraints {
        match constraint {
            TableConstraint::Check(check)
                if check.name.as_ref().is_some_and(|n| n.value == NOT_NULL_MARK)
                    && check.expr.to_string() == "VALUE IS NOT NULL" =>
            {
                domain.not_null = true;
            }
            TableConstraint::Check(check) => {
                let name = check.name.as_ref().map(names::fold).unwrap_or_else(|| unique_check_name(bare, &domain));
                domain.checks.push(DomainCheck { name, expr: check.expr.to_string() });
            }
            other => {
                return Err(PlanError::unsupported(format!("domain constraint {other}")));
            }
        }
    }
    Ok((TypePlan::CreateDomain { name, domain }, temporary))
}

/// `d_check`, then `d_check1`, ... as PostgreSQL names unnamed checks.
fn unique_check_name(domain: &str, def: &DomainDef) -> String {
    let base = format!("{domain}_check");
    (0..)
        .map(|n| if n == 0 { base.clone() } else { format!("{base}{n}") })
        .find(|candidate| !def.checks.iter().any(|c| &c.name == candidate))
        .unwrap_or(base)
}

/// The name `CREATE DOMAIN`'s `NOT NULL` is carried under to the planner
/// ([`domain_clauses_ordered`]), as a check `VALUE IS NOT NULL`.
const NOT_NULL_MARK: &str = "rowchain: not null";

/// `CREATE DOMAIN`'s clauses in the order sqlparser 0.64 reads them:
/// PostgreSQL takes `DEFAULT`, `NOT NULL`, `NULL`, `COLLATE` and
/// `[CONSTRAINT name] CHECK (...)` in any order, sqlparser only `COLLATE`,
/// then `DEFAULT`, then checks, and no `NOT NULL` at all. So each such
/// statement's clauses are read from the tokens (at parenthesis depth 0;
/// a DEFAULT expression runs to the next clause) and put back in that
/// order, `NOT NULL` as `CONSTRAINT "rowchain: not null" CHECK (VALUE IS
/// NOT NULL)` (the planner's [`plan_create_domain`] turns it back), `NULL`
/// dropped. Other statements are left as they are.
pub(crate) fn domain_clauses_ordered(tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    let mut out = Vec::with_capacity(tokens.len());
    let mut statement = Vec::new();
    for token in tokens {
        if token.token == Token::SemiColon {
            out.extend(domain_statement(std::mem::take(&mut statement)));
            out.push(token);
        } else {
            statement.push(token);
        }
    }
    out.extend(domain_statement(statement));
    out
}

fn keyword_of(t: &TokenWithSpan) -> Option<Keyword> {
    match &t.token {
        Token::Word(w) if w.quote_style.is_none() => Some(w.keyword),
        _ => None,
    }
}

/// One statement's tokens, its clauses reordered if it is a CREATE DOMAIN.
fn domain_statement(tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    let solid: Vec<usize> = (0..tokens.len())
        .filter(|i| tokens.get(*i).is_some_and(|t| !matches!(t.token, Token::Whitespace(_))))
        .collect();
    let keyword = |n: usize| solid.get(n).and_then(|i| tokens.get(*i)).and_then(keyword_of);
    if keyword(0) != Some(Keyword::CREATE) || keyword(1) != Some(Keyword::DOMAIN) {
        return tokens;
    }
    // The type follows the (possibly qualified) name, after an `AS`
    // PostgreSQL lets out and sqlparser requires.
    let mut type_at = 3;
    while solid.get(type_at).and_then(|i| tokens.get(*i)).is_some_and(|t| t.token == Token::Period) {
        type_at += 2;
    }
    let has_as = keyword(type_at) == Some(Keyword::AS);
    // Where each clause starts: a clause keyword at depth 0, after the
    // name (solid token 2) and the type.
    let mut depth = 0i64;
    let mut starts = Vec::new();
    let mut previous: Option<Keyword> = None;
    let mut default_open = false;
    for (n, &i) in solid.iter().enumerate().skip(type_at + usize::from(has_as)) {
        let Some(t) = tokens.get(i) else { break };
        match t.token {
            Token::LParen => depth += 1,
            Token::RParen => depth -= 1,
            _ => {}
        }
        let k = keyword_of(t);
        let clause = depth == 0
            && match k {
                Some(Keyword::DEFAULT | Keyword::COLLATE | Keyword::CONSTRAINT) => true,
                // CHECK right after `CONSTRAINT name` belongs to it.
                Some(Keyword::CHECK) => {
                    !starts.last().is_some_and(|s: &usize| keyword(*s) == Some(Keyword::CONSTRAINT) && n == s + 2)
                }
                Some(Keyword::NOT) => keyword(n + 1) == Some(Keyword::NULL) && previous != Some(Keyword::IS),
                Some(Keyword::NULL) => previous != Some(Keyword::NOT) && !default_open,
                _ => false,
            }
            && !(default_open && previous == Some(Keyword::DEFAULT));
        if clause {
            // `CONSTRAINT name NOT NULL`: the NOT NULL is that clause's.
            let named = starts.last().is_some_and(|s: &usize| keyword(*s) == Some(Keyword::CONSTRAINT) && n == s + 2);
            if !named {
                starts.push(n);
            }
            default_open = k == Some(Keyword::DEFAULT);
        } else if previous == Some(Keyword::DEFAULT) {
            default_open = false;
        }
        previous = k;
    }
    let index = |n: usize| solid.get(n).copied().unwrap_or(tokens.len());
    let first = starts.first().copied().unwrap_or(solid.len());
    let clause_tokens = |from: usize, to: usize| tokens.get(index(from)..index(to)).unwrap_or_default().to_vec();
    let (mut collate, mut default, mut constraints) = (Vec::new(), Vec::new(), Vec::new());
    for (c, &start) in starts.iter().enumerate() {
        let end = starts.get(c + 1).copied().unwrap_or(solid.len());
        let mut clause = clause_tokens(start, end);
        let span = tokens.get(index(start)).map(|t| t.span).unwrap_or(Span::empty());
        let at = |token: Token| TokenWithSpan { token, span };
        let space = || at(Token::Whitespace(Whitespace::Space));
        let words: Vec<Option<Keyword>> = (start..end).map(keyword).collect();
        match words.as_slice() {
            [Some(Keyword::COLLATE), ..] => collate.append(&mut clause),
            [Some(Keyword::DEFAULT), ..] => default.append(&mut clause),
            [Some(Keyword::NULL)] => {}
            [Some(Keyword::NOT), Some(Keyword::NULL)]
            | [Some(Keyword::CONSTRAINT), _, Some(Keyword::NOT), Some(Keyword::NULL)] => {
                let check = format!("CONSTRAINT \"{NOT_NULL_MARK}\" CHECK (VALUE IS NOT NULL)");
                match Tokenizer::new(&sqlparser::dialect::PostgreSqlDialect {}, &check).tokenize() {
                    Ok(mark) => constraints.extend(mark.into_iter().map(at)),
                    Err(_) => constraints.append(&mut clause),
                }
            }
            _ => constraints.append(&mut clause),
        }
        for part in [&mut collate, &mut default, &mut constraints] {
            if !part.is_empty() {
                part.push(space());
            }
        }
    }
    let mut out = tokens.get(..index(type_at)).unwrap_or_default().to_vec();
    if !has_as {
        let span = tokens.get(index(type_at)).map(|t| t.span).unwrap_or(Span::empty());
        out.push(TokenWithSpan { token: Token::make_keyword("AS"), span });
        out.push(TokenWithSpan { token: Token::Whitespace(Whitespace::Space), span });
    }
    out.extend(tokens.get(index(type_at)..index(first)).unwrap_or_default().iter().cloned());
    if first == solid.len() {
        // No clauses: whatever followed the last solid token (a comment).
        out.extend(tokens.get(index(first)..).unwrap_or_default().iter().cloned());
        return out;
    }
    out.extend(collate);
    out.extend(default);
    out.extend(constraints);
    out
}

/// The name of a type within its schema.
pub fn relation_name(name: &str) -> &str {
    names::relation_schema(name).1
}

/// `DROP TYPE` / `DROP DOMAIN`; `temporary` when all name `pg_temp`.
pub(crate) fn plan_drop(
    object_names: &[ObjectName],
    if_exists: bool,
    cascade: bool,
    domain: bool,
) -> Result<(TypePlan, bool), PlanError> {
    let mut resolved = Vec::with_capacity(object_names.len());
    let mut temporaries = 0;
    for name in object_names {
        let (name, temporary) = resolve_name(name)?;
        temporaries += usize::from(temporary);
        resolved.push(name);
    }
    if temporaries != 0 && temporaries != resolved.len() {
        return Err(PlanError::unsupported("dropping temporary and permanent types in one statement"));
    }
    Ok((TypePlan::Drop { names: resolved, if_exists, cascade, domain }, temporaries != 0))
}

/// `ALTER TYPE ... ADD VALUE | RENAME VALUE`.
pub(crate) fn plan_alter_type(alter: &ast::AlterType) -> Result<(TypePlan, bool), PlanError> {
    let (name, temporary) = resolve_name(&alter.name)?;
    let plan = match &alter.operation {
        AlterTypeOperation::AddValue(add) => {
            check_label(&add.value.value)?;
            let position = match &add.position {
                None => LabelPosition::Last,
                Some(AlterTypeAddValuePosition::Before(l)) => LabelPosition::Before(l.value.clone()),
                Some(AlterTypeAddValuePosition::After(l)) => LabelPosition::After(l.value.clone()),
            };
            TypePlan::AddValue { name, label: add.value.value.clone(), if_not_exists: add.if_not_exists, position }
        }
        AlterTypeOperation::RenameValue(rename) => {
            check_label(&rename.to.value)?;
            TypePlan::RenameValue { name, from: rename.from.value.clone(), to: rename.to.value.clone() }
        }
        AlterTypeOperation::Rename(_) => return Err(PlanError::unsupported("ALTER TYPE ... RENAME TO")),
    };
    Ok((plan, temporary))
}

/// An enum's labels after `ALTER TYPE ... ADD VALUE`, with PostgreSQL's
/// errors; `None` when the label is there and `IF NOT EXISTS` allows it.
pub fn add_label(
    labels: &[String],
    label: &str,
    if_not_exists: bool,
    position: &LabelPosition,
) -> Result<Option<Vec<String>>, (&'static str, String)> {
    if labels.iter().any(|l| l == label) {
        if if_not_exists {
            return Ok(None);
        }
        return Err(("42710", format!("enum label \"{label}\" already exists")));
    }
    if labels.len() >= LABELS_MAX {
        return Err(("54000", format!("an enum may have at most {LABELS_MAX} labels")));
    }
    let at = match position {
        LabelPosition::Last => labels.len(),
        LabelPosition::Before(n) | LabelPosition::After(n) => {
            let Some(i) = labels.iter().position(|l| l == n) else {
                return Err(("22023", format!("\"{n}\" is not an existing enum label")));
            };
            if matches!(position, LabelPosition::After(_)) {
                i + 1
            } else {
                i
            }
        }
    };
    let mut out = labels.to_vec();
    out.insert(at, label.to_string());
    Ok(Some(out))
}

/// The key of an enum's labels: each as its byte length, `:` and itself,
/// after [`ENUM_KEY_PREFIX`]. It names the collation that orders the
/// type's values and is `rc_enum_in`'s second argument.
pub fn enum_key(labels: &[String]) -> String {
    let mut key = String::from(ENUM_KEY_PREFIX);
    for label in labels {
        key.push_str(&label.len().to_string());
        key.push(':');
        key.push_str(label);
    }
    key
}

/// The labels back from an [`enum_key`]; `None` when `key` is not one.
pub fn enum_labels(key: &str) -> Option<Vec<String>> {
    let mut rest = key.strip_prefix(ENUM_KEY_PREFIX)?;
    let mut labels = Vec::new();
    while !rest.is_empty() {
        let (length, tail) = rest.split_once(':')?;
        let length: usize = length.parse().ok()?;
        let (label, tail) = tail.split_at_checked(length)?;
        labels.push(label.to_string());
        rest = tail;
        if labels.len() > LABELS_MAX {
            return None;
        }
    }
    Some(labels)
}

impl UserType {
    /// How a value of the type is stored: an enum's label as text, a
    /// domain's as its base type.
    pub fn storage(&self) -> PgType {
        match &self.kind {
            UserTypeKind::Enum(_) => PgType::Text,
            UserTypeKind::Domain(d) => d.base,
        }
    }
}

/// The user-defined type a column or cast names, if it names one the
/// schema has. An unqualified name looks among the session's temporary
/// types first (`pg_temp.name`), as PostgreSQL searches `pg_temp` first.
pub(crate) fn column_type(data_type: &DataType, schema: &dyn Schema) -> Result<Option<UserType>, PlanError> {
    let DataType::Custom(name, modifiers) = data_type else { return Ok(None) };
    if !modifiers.is_empty() {
        return Ok(None);
    }
    let Ok((resolved, temporary)) = resolve_name(name) else { return Ok(None) };
    let found = if temporary {
        schema.user_type(&format!("pg_temp.{resolved}"))
    } else {
        lookup(&resolved, name.0.len() > 1, schema)
    };
    let builtin = !temporary && name.0.len() == 1 && BUILTIN_TYPES_NOT_STORED.contains(&resolved.as_str());
    if found.is_some() || schema.knows_user_types() || builtin || crate::types::declared_type(data_type).is_ok() {
        return Ok(found);
    }
    // Planned without a catalog: a stand-in, never run (the executor
    // plans the statement again against its catalog).
    Ok(Some(UserType { name: resolved, oid: 0, kind: UserTypeKind::Enum(Vec::new()) }))
}

/// The name a cast to a type that is no built-in one gives, as
/// [`ParamHint::Named`](crate::ParamHint) carries it: `pg_temp.name` when
/// written so, else the SQLite-style name.
pub(crate) fn named_type(data_type: &DataType) -> Option<String> {
    let DataType::Custom(name, modifiers) = data_type else { return None };
    if !modifiers.is_empty() {
        return None;
    }
    match resolve_name(name).ok()? {
        (name, true) => Some(format!("pg_temp.{name}")),
        (name, false) => Some(name),
    }
}

/// The user-defined type a name from [`named_type`] means: an unqualified
/// name finds the session's temporary type first.
pub fn lookup(name: &str, qualified: bool, schema: &dyn Schema) -> Option<UserType> {
    if !qualified && !name.contains('.') {
        if let Some(ty) = schema.user_type(&format!("pg_temp.{name}")) {
            return Some(ty);
        }
    }
    schema.user_type(name)
}

/// A schema with the types that earlier statements of the same query
/// create over it: `CREATE TYPE mood ...; CREATE TABLE t (m mood)` plans
/// as PostgreSQL runs it, one statement after the other.
pub(crate) struct Created<'a> {
    base: &'a dyn Schema,
    types: Vec<UserType>,
}

impl<'a> Created<'a> {
    pub(crate) fn new(base: &'a dyn Schema) -> Self {
        Created { base, types: Vec::new() }
    }

    /// Takes note of the type `plan` creates, if it creates one.
    pub(crate) fn note(&mut self, plan: &crate::Plan) {
        let crate::Plan::Ddl(crate::DdlPlan::Type { plan, temporary }) = plan else { return };
        let (name, kind) = match plan {
            TypePlan::CreateEnum { name, labels } => (name, UserTypeKind::Enum(labels.clone())),
            TypePlan::CreateDomain { name, domain } => (name, UserTypeKind::Domain(domain.clone())),
            _ => return,
        };
        let name = if *temporary { format!("pg_temp.{name}") } else { name.clone() };
        self.types.push(UserType { name, oid: 0, kind });
    }
}

// Every method is the base schema's but `user_type`.
impl Schema for Created<'_> {
    fn column_type(&self, table: &str, column: &str) -> Option<PgType> {
        self.base.column_type(table, column)
    }
    fn column_names(&self, table: &str) -> Option<Vec<String>> {
        self.base.column_names(table)
    }
    fn row_filter(&self, table: &str) -> Option<String> {
        self.base.row_filter(table)
    }
    fn auto_increment_column(&self, table: &str) -> Option<String> {
        self.base.auto_increment_column(table)
    }
    fn always_identity(&self, table: &str, column: &str) -> bool {
        self.base.always_identity(table, column)
    }
    fn rowid_sequence(&self, sequence: &str) -> Option<String> {
        self.base.rowid_sequence(sequence)
    }
    fn generated(&self, table: &str, column: &str) -> bool {
        self.base.generated(table, column)
    }
    fn user_type(&self, name: &str) -> Option<UserType> {
        self.types.iter().rev().find(|t| t.name == name).cloned().or_else(|| self.base.user_type(name))
    }
    fn knows_user_types(&self) -> bool {
        self.base.knows_user_types()
    }
}

/// A single-quoted SQL string literal.
pub(crate) fn sql_literal(text: &str) -> String {
    literal(text)
}

/// A single-quoted SQL string literal.
fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// The SQLite column clauses (after the type) of column `column` of an
/// enum type: its collation and the check of its labels.
pub(crate) fn enum_column_clauses(column: &str, ty: &UserType, labels: &[String]) -> Vec<String> {
    let key = enum_key(labels);
    vec![
        format!("COLLATE {}", names::quote(&key)),
        format!(
            "CHECK (rc_enum_in({}, {}, {}))",
            names::quote(column),
            literal(&key),
            literal(&display_name(&ty.name))
        ),
    ]
}

/// How PostgreSQL names the type in messages: `mood`, `s.mood`; a
/// temporary type by its bare name (`pg_temp` is on every search path).
pub fn display_name(name: &str) -> String {
    match names::relation_schema(name) {
        ("public" | "pg_temp", bare) => bare.to_string(),
        _ => name.to_string(),
    }
}

/// `expr::enum_type`: the checked label, ordered as the type orders.
pub(crate) fn enum_cast(inner: Expr, ty: &UserType, labels: &[String]) -> Expr {
    let key = enum_key(labels);
    let checked = crate::render::call(
        "rc_enum",
        vec![inner, crate::render::string(&key), crate::render::string(&display_name(&ty.name))],
    );
    Expr::Collate { expr: Box::new(checked), collation: ObjectName::from(vec![Ident::with_quote('"', key)]) }
}

/// The conditions a domain puts on `value` (an expression, the column or
/// the cast operand), each as `(PostgreSQL text of the condition, the
/// constraint's name)`; the NOT NULL one has no name.
pub(crate) fn domain_conditions(domain: &DomainDef, value: &Expr) -> Result<Vec<(Expr, Option<String>)>, PlanError> {
    let mut out = Vec::new();
    if domain.not_null {
        out.push((Expr::IsNotNull(Box::new(value.clone())), None));
    }
    for check in &domain.checks {
        let mut expr = crate::parse::expression(&check.expr)
            .map_err(|e| PlanError::new(crate::error::SYNTAX_ERROR, format!("domain check: {e}")))?;
        let _ = expr.visit(&mut ReplaceValue(value));
        out.push((expr, Some(check.name.clone())));
    }
    Ok(out)
}

/// The identifier a domain condition's `VALUE` is while the condition is
/// rendered on its own, before the rendered value takes its place
/// ([`put_value`]).
pub(crate) const VALUE_PLACEHOLDER: &str = "rowchain domain value";

/// Puts `value` in place of [`VALUE_PLACEHOLDER`] in a rendered condition.
pub(crate) fn put_value(condition: &mut Expr, value: &Expr) {
    struct Put<'a>(&'a Expr);
    impl VisitorMut for Put<'_> {
        type Break = ();
        fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
            if matches!(expr, Expr::Identifier(i) if i.quote_style.is_some() && i.value == VALUE_PLACEHOLDER) {
                *expr = self.0.clone();
            }
            ControlFlow::Continue(())
        }
    }
    let _ = condition.visit(&mut Put(value));
}

/// The PostgreSQL type a domain's base type is, as a parsed data type
/// (what a cast to it takes).
pub(crate) fn base_data_type(base: PgType) -> Result<DataType, PlanError> {
    match crate::parse::expression(&format!("NULL::{}", base.name())) {
        Ok(Expr::Cast { data_type, .. }) => Ok(data_type),
        _ => Err(PlanError::new("XX000", format!("type {} does not parse back", base.name()))),
    }
}

/// Puts the checked value in place of `VALUE` in a domain's condition.
struct ReplaceValue<'a>(&'a Expr);

impl VisitorMut for ReplaceValue<'_> {
    type Break = ();

    fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        if let Expr::Identifier(ident) = expr {
            if ident.quote_style.is_none() && ident.value.eq_ignore_ascii_case("value") {
                *expr = self.0.clone();
            }
        }
        ControlFlow::Continue(())
    }
}

/// `rc_domain_ok(condition, domain, constraint)`: true, or PostgreSQL's
/// domain error.
pub(crate) fn domain_ok(condition: Expr, domain: &str, constraint: Option<&str>) -> Expr {
    crate::render::call(
        "rc_domain_ok",
        vec![
            condition,
            crate::render::string(&display_name(domain)),
            constraint.map_or_else(crate::render::null, crate::render::string),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enum_keys_round_trip_any_label() {
        let cases: &[&[&str]] = &[&[], &["sad", "ok", "happy"], &["", "a:b", "1:x", "Zähler", "\"q'"], &["12:"]];
        for labels in cases {
            let labels: Vec<String> = labels.iter().map(|l| l.to_string()).collect();
            assert_eq!(enum_labels(&enum_key(&labels)).as_ref(), Some(&labels), "{labels:?}");
        }
        assert_eq!(enum_key(&["sad".into(), "ok".into()]), "rc_enum:3:sad2:ok");
        for bad in ["rc_numeric", "rc_enum:3:sa", "rc_enum:x:abc", "rc_enum:1:ä", "rc_enum:1"] {
            assert_eq!(enum_labels(bad), None, "{bad}");
        }
    }

    #[test]
    fn labels_are_added_where_postgres_puts_them() {
        let labels: Vec<String> = ["sad", "ok"].iter().map(|l| l.to_string()).collect();
        let add = |label: &str, position: LabelPosition| add_label(&labels, label, false, &position);
        assert_eq!(add("happy", LabelPosition::Last).unwrap().unwrap(), ["sad", "ok", "happy"]);
        assert_eq!(add("meh", LabelPosition::Before("ok".into())).unwrap().unwrap(), ["sad", "meh", "ok"]);
        assert_eq!(add("meh", LabelPosition::After("sad".into())).unwrap().unwrap(), ["sad", "meh", "ok"]);
        assert_eq!(add("ok", LabelPosition::Last).unwrap_err().0, "42710");
        assert_eq!(add_label(&labels, "ok", true, &LabelPosition::Last), Ok(None));
        let missing = add("x", LabelPosition::After("nope".into())).unwrap_err();
        assert_eq!(missing, ("22023", "\"nope\" is not an existing enum label".to_string()));
    }

    fn domain(sql: &str) -> DomainDef {
        let statement = crate::parse::statements(sql).unwrap().pop().unwrap();
        let sqlparser::ast::Statement::CreateDomain(create) = statement else { panic!("{sql}") };
        match plan_create_domain(&create).unwrap().0 {
            TypePlan::CreateDomain { domain, .. } => domain,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn domain_clauses_come_in_any_order() {
        let check = |name: &str, expr: &str| DomainCheck { name: name.into(), expr: expr.into() };
        let d = domain("CREATE DOMAIN pos AS integer NOT NULL CONSTRAINT positive CHECK (VALUE > 0) DEFAULT 5");
        assert!(d.not_null);
        assert_eq!((d.default.as_deref(), d.checks), (Some("5"), vec![check("positive", "VALUE > 0")]));
        let d = domain("create domain c text check (length(value) = 3) null default NULL check (value <> 'abc')");
        assert!(!d.not_null);
        assert_eq!(d.default.as_deref(), Some("NULL"));
        assert_eq!(d.checks, vec![check("c_check", "length(value) = 3"), check("c_check1", "value <> 'abc'")]);
        let d = domain("CREATE DOMAIN n AS numeric(10, 2) DEFAULT 1 + 2 CONSTRAINT nn NOT NULL");
        assert!(d.not_null);
        assert_eq!(d.default.as_deref(), Some("1 + 2"));
        assert_eq!(d.base, PgType::Numeric { precision: Some(10), scale: Some(2) });
        let d = domain("CREATE DOMAIN b AS boolean DEFAULT NOT false");
        assert_eq!((d.default.as_deref(), d.not_null), (Some("NOT false"), false));
    }

    #[test]
    fn labels_are_checked_as_postgres_checks_them() {
        let long = "a".repeat(64);
        assert_eq!(check_label(&long).unwrap_err().sqlstate, "42602");
        assert!(check_label(&"ä".repeat(31)).is_ok());
        assert_eq!(check_label(&"ä".repeat(32)).unwrap_err().sqlstate, "42602");
        let twice = check_labels(&["a".into(), "a".into()]).unwrap_err();
        assert_eq!((twice.sqlstate, twice.message.as_str()), ("23505", "enum label \"a\" used more than once"));
    }
}
