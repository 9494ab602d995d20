//! Sequences in SQL: `CREATE SEQUENCE` and `DROP SEQUENCE` as DDL plans,
//! the options of a sequence or identity column, the sequence a serial or
//! identity column draws from, and the text form of a sequence's name that
//! `nextval('...')` takes (PostgreSQL's `regclass` input: dotted,
//! identifiers folded unless double-quoted).
//!
//! `nextval`, `currval`, `setval` and `lastval` render as the node's
//! `rc_nextval` ... `rc_lastval`; the executor draws (`node_exec`), and a
//! SELECT that draws is planned as a write (`WriteKind::Select`): every
//! validator must draw the same values in block order.

use sqlparser::ast::{self, Expr, ObjectName, UnaryOperator, Value};

use crate::error::{PlanError, SYNTAX_ERROR};
use crate::names;
use crate::types::PgType;

/// The integer type a sequence counts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeqType {
    Int2,
    Int4,
    Int8,
}

impl SeqType {
    pub fn min(self) -> i64 {
        match self {
            SeqType::Int2 => i16::MIN.into(),
            SeqType::Int4 => i32::MIN.into(),
            SeqType::Int8 => i64::MIN,
        }
    }

    pub fn max(self) -> i64 {
        match self {
            SeqType::Int2 => i16::MAX.into(),
            SeqType::Int4 => i32::MAX.into(),
            SeqType::Int8 => i64::MAX,
        }
    }

    /// The type's name as `format_type` prints it.
    pub fn pg_name(self) -> &'static str {
        match self {
            SeqType::Int2 => "smallint",
            SeqType::Int4 => "integer",
            SeqType::Int8 => "bigint",
        }
    }

    /// The sequence type of an integer column type.
    pub fn of_column(ty: PgType) -> Option<SeqType> {
        match ty {
            PgType::Int2 => Some(SeqType::Int2),
            PgType::Int4 => Some(SeqType::Int4),
            PgType::Int8 => Some(SeqType::Int8),
            _ => None,
        }
    }
}

/// The options of `CREATE SEQUENCE` or of an identity column, as written;
/// `None` takes PostgreSQL's default (which depends on the type and the
/// direction: the node works it out).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SequenceOptions {
    pub data_type: Option<SeqType>,
    pub increment: Option<i64>,
    pub min: Option<i64>,
    pub max: Option<i64>,
    pub start: Option<i64>,
    pub cache: Option<i64>,
    pub cycle: Option<bool>,
}

/// `GRANT` or `REVOKE` on sequences: privilege bits USAGE 1, SELECT 2,
/// UPDATE 4 (as the node keeps them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SequenceGrant {
    pub revoke: bool,
    /// SQLite names.
    pub sequences: Vec<String>,
    pub privileges: u8,
    /// Role names; `None` is PUBLIC.
    pub grantees: Vec<Option<String>>,
}

/// The privilege bits of `GRANT ... ON SEQUENCE`: USAGE, SELECT, UPDATE or
/// ALL; others are 0LP01, as PostgreSQL says.
pub(crate) fn privileges(privileges: ast::Privileges) -> Result<u8, PlanError> {
    match privileges {
        ast::Privileges::All { .. } => Ok(1 | 2 | 4),
        ast::Privileges::Actions(actions) => actions.into_iter().try_fold(0u8, |bits, action| {
            Ok(bits
                | match action {
                    ast::Action::Usage => 1,
                    ast::Action::Select { columns: None } => 2,
                    ast::Action::Update { columns: None } => 4,
                    other => {
                        return Err(PlanError::new("0LP01", format!("invalid privilege type {other} for sequence")))
                    }
                })
        }),
    }
}

/// `CREATE SEQUENCE`, or the sequence of a serial or identity column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateSequence {
    /// The SQLite name, as a table's (`s`, `schema.s`).
    pub name: String,
    pub if_not_exists: bool,
    pub options: SequenceOptions,
    /// The type when the options name none: bigint, or the column's.
    pub default_type: SeqType,
    /// `OWNED BY table.column` (a column's own sequence): (table SQLite
    /// name, column).
    pub owned_by: Option<(String, String)>,
}

pub(crate) fn plan_create(
    temporary: bool,
    if_not_exists: bool,
    name: &ObjectName,
    options: &[ast::SequenceOptions],
) -> Result<CreateSequence, PlanError> {
    if temporary {
        return Err(PlanError::unsupported("CREATE TEMPORARY SEQUENCE")
            .with_hint("a temporary table's serial column counts on its own"));
    }
    let name = names::resolve_target(name)?;
    let mut owned_by = None;
    let plain: Vec<&ast::SequenceOptions> = options
        .iter()
        .filter(|o| match o {
            ast::SequenceOptions::OwnedBy(target) => {
                owned_by = Some(target.clone());
                false
            }
            _ => true,
        })
        .collect();
    let owned_by = match owned_by.flatten() {
        None => None,
        Some(target) => Some(owner_column(&name, &target)?),
    };
    Ok(CreateSequence { name, if_not_exists, options: plan_options(plain)?, default_type: SeqType::Int8, owned_by })
}

/// `OWNED BY table.column`: the table must be in the sequence's schema.
fn owner_column(sequence: &str, target: &ObjectName) -> Result<(String, String), PlanError> {
    let mut parts = target.0.clone();
    let Some(column) = parts.pop().and_then(|p| p.as_ident().map(names::fold)) else {
        return Err(PlanError::new(SYNTAX_ERROR, "invalid OWNED BY option")
            .with_hint("Specify OWNED BY table.column or OWNED BY NONE."));
    };
    if parts.is_empty() {
        return Err(PlanError::new(SYNTAX_ERROR, "invalid OWNED BY option")
            .with_hint("Specify OWNED BY table.column or OWNED BY NONE."));
    }
    let table = names::resolve_target(&ObjectName(parts))?;
    if names::relation_schema(&table).0 != names::relation_schema(sequence).0 {
        return Err(PlanError::new("55000", "sequence must be in same schema as table it is linked to"));
    }
    Ok((table, column))
}

/// The options in the order written; each at most once (42601).
pub(crate) fn plan_options<'a>(
    options: impl IntoIterator<Item = &'a ast::SequenceOptions>,
) -> Result<SequenceOptions, PlanError> {
    let mut out = SequenceOptions::default();
    let mut seen = Vec::new();
    for option in options {
        let kind = std::mem::discriminant(option);
        if seen.contains(&kind) {
            return Err(PlanError::new(SYNTAX_ERROR, "conflicting or redundant options"));
        }
        seen.push(kind);
        match option {
            ast::SequenceOptions::DataType(data_type) => {
                let ty = crate::types::declared_type(data_type).ok().and_then(|d| SeqType::of_column(d.ty));
                out.data_type =
                    Some(ty.ok_or_else(|| {
                        PlanError::new("22023", "sequence type must be smallint, integer, or bigint")
                    })?);
            }
            ast::SequenceOptions::IncrementBy(expr, _) => out.increment = Some(integer(expr)?),
            ast::SequenceOptions::MinValue(expr) => out.min = expr.as_ref().map(integer).transpose()?,
            ast::SequenceOptions::MaxValue(expr) => out.max = expr.as_ref().map(integer).transpose()?,
            ast::SequenceOptions::StartWith(expr, _) => out.start = Some(integer(expr)?),
            ast::SequenceOptions::Cache(expr) => out.cache = Some(integer(expr)?),
            ast::SequenceOptions::Cycle(no) => out.cycle = Some(!no),
            ast::SequenceOptions::OwnedBy(_) => {
                return Err(PlanError::unsupported("OWNED BY in an identity column's options"))
            }
        }
    }
    Ok(out)
}

/// A sequence option's value: an integer literal, maybe signed.
fn integer(expr: &Expr) -> Result<i64, PlanError> {
    let (negative, inner) = match expr {
        Expr::UnaryOp { op: UnaryOperator::Minus, expr } => (true, &**expr),
        Expr::UnaryOp { op: UnaryOperator::Plus, expr } => (false, &**expr),
        other => (false, other),
    };
    let text = match inner {
        Expr::Value(v) => match &v.value {
            Value::Number(n, _) => n.clone(),
            _ => String::new(),
        },
        _ => String::new(),
    };
    let signed = if negative { format!("-{text}") } else { text.clone() };
    signed.parse::<i64>().map_err(|_| {
        if text.is_empty() {
            PlanError::new(SYNTAX_ERROR, format!("syntax error at or near \"{expr}\""))
        } else if text.bytes().all(|b| b.is_ascii_digit()) {
            PlanError::new("22003", format!("value \"{signed}\" is out of range for type bigint"))
        } else {
            PlanError::new("22P02", format!("invalid input syntax for type bigint: \"{signed}\""))
        }
    })
}

/// The name PostgreSQL gives the sequence of column `column` of table
/// `table` (a SQLite name): `table_column_seq`, in the table's schema.
pub fn column_sequence_name(table: &str, column: &str) -> String {
    let (schema, relation) = names::relation_schema(table);
    names::qualify(schema, &format!("{relation}_{column}_seq"))
}

/// A sequence's name as `nextval` takes it and PostgreSQL prints a
/// `regclass`: `s`, `sales.s`, `"Odd Name"`.
pub fn regclass_text(sqlite: &str) -> String {
    let (schema, relation) = names::relation_schema(sqlite);
    if schema == "public" {
        quote_ident(relation)
    } else {
        format!("{}.{}", quote_ident(schema), quote_ident(relation))
    }
}

/// PostgreSQL's `quote_ident` without its keyword list: quoted unless all
/// lower-case letters, digits and underscores, not starting with a digit.
fn quote_ident(name: &str) -> String {
    let plain = name.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// The SQLite name of the relation `text` names, read as PostgreSQL reads
/// a `regclass` (`'s'`, `'sales.s'`, `'"Odd"'`); search_path is `public`.
/// 42602 for text that is no name.
pub fn relation_from_text(text: &str) -> Result<String, PlanError> {
    let invalid = || PlanError::new("42602", format!("invalid name syntax: \"{text}\""));
    let mut parts = Vec::new();
    let mut chars = text.trim().chars().peekable();
    loop {
        let mut part = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        part.push('"');
                    }
                    Some('"') => break,
                    Some(c) => part.push(c),
                    None => return Err(invalid()),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == '.' || c == '"' {
                    break;
                }
                part.extend(c.to_lowercase());
                chars.next();
            }
            part = part.trim().to_string();
        }
        if part.is_empty() {
            return Err(invalid());
        }
        parts.push(part);
        match chars.next() {
            None => break,
            Some('.') => continue,
            Some(_) => return Err(invalid()),
        }
    }
    match parts.as_slice() {
        [name] => Ok(names::qualify("public", name)),
        [schema, name] | [_, schema, name] => Ok(names::qualify(schema, name)),
        _ => Err(PlanError::new(SYNTAX_ERROR, format!("improper relation name (too many dotted names): {text}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_as_regclass_reads_them_and_print_back() {
        assert_eq!(relation_from_text("Orders_ID_seq").unwrap(), "orders_id_seq");
        assert_eq!(relation_from_text("public.s").unwrap(), "s");
        assert_eq!(relation_from_text("Sales.\"My Seq\"").unwrap(), "sales.My Seq");
        assert_eq!(relation_from_text("\"a\"\"b\"").unwrap(), "a\"b");
        assert_eq!(relation_from_text("db.sales.s").unwrap(), "sales.s");
        for bad in ["", "a.", "\"open", "a\"b\"", ".s"] {
            assert_eq!(relation_from_text(bad).unwrap_err().sqlstate, "42602", "{bad:?}");
        }
        assert_eq!(relation_from_text("a.b.c.d").unwrap_err().sqlstate, "42601");
        for sqlite in ["s", "sales.s", "My Seq", "sales.Odd\"Name", "public.a.b"] {
            assert_eq!(relation_from_text(&regclass_text(sqlite)).unwrap(), sqlite, "{sqlite}");
        }
        assert_eq!(regclass_text("sales.t_id_seq"), "sales.t_id_seq");
        assert_eq!(column_sequence_name("sales.t", "id"), "sales.t_id_seq");
        assert_eq!(column_sequence_name("t", "Id"), "t_Id_seq");
    }
}
