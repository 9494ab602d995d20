//! MySQL column types and column options, as the PostgreSQL path's types
//! and options, so the catalog and typing code stay shared.
//!
//! | MySQL | PostgreSQL type | and |
//! | --- | --- | --- |
//! | `TINYINT(1)`, `BOOL` | boolean | |
//! | `TINYINT` | smallint | CHECK -128..127 (0..255 UNSIGNED) |
//! | `SMALLINT` | smallint (integer UNSIGNED) | CHECK 0..65535 UNSIGNED |
//! | `MEDIUMINT` | integer | CHECK of its range |
//! | `INT`, `INTEGER` | integer (bigint UNSIGNED) | CHECK 0..4294967295 UNSIGNED |
//! | `BIGINT` | bigint | CHECK >= 0 UNSIGNED |
//! | `FLOAT` / `DOUBLE`, `REAL` | real / double precision | CHECK >= 0 UNSIGNED |
//! | `DECIMAL(p,s)` | numeric(p,s); `DECIMAL` is (10,0) | CHECK >= 0 UNSIGNED |
//! | `CHAR(n)`, `VARCHAR(n)` | character(n), character varying(n) | |
//! | `TEXT` and `TINY`/`MEDIUM`/`LONGTEXT` | text | |
//! | `BLOB` and variants, `BINARY`, `VARBINARY` | bytea | |
//! | `DATE` | date | |
//! | `DATETIME(n)`, `TIMESTAMP(n)` | timestamp | |
//! | `JSON` | jsonb (MySQL normalises JSON as jsonb does) | |
//! | `ENUM('a', ..)` | text | CHECK in the list |
//! | `SET('a', ..)` | text | CHECK each comma-separated member is in the list |
//!
//! `TIMESTAMP` is timestamp without time zone because the session time
//! zone is UTC and MySQL prints it without an offset. `AUTO_INCREMENT`
//! makes the column a `serial` of its integer type, planned as
//! PostgreSQL's: SQLite's rowid, so it must be the single-column primary
//! key. ENUM and SET values are compared as written (MySQL ignores case)
//! and SET values are stored as written, not reordered. `COMMENT`,
//! `CHARACTER SET` and `COLLATE` are accepted and ignored, as are table
//! options (`ENGINE=InnoDB`, `DEFAULT CHARSET=..`, `AUTO_INCREMENT=n`).

use sqlparser::ast::{
    CheckConstraint, ColumnDef, ColumnOption, ColumnOptionDef, DataType, EnumMember, ExactNumberInfo, Expr, ObjectName,
    TableConstraint, TimezoneInfo,
};
use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::Token;

use crate::error::PlanError;
use crate::names::{self, quote};

/// The most members a SET column has.
const SET_MEMBERS_MAX: usize = 64;

/// A column type: the PostgreSQL type it is planned as, and what values
/// MySQL allows in it beyond that type's range.
struct Mapped {
    data_type: DataType,
    allowed: Allowed,
}

enum Allowed {
    Any,
    /// An inclusive integer range.
    Range(i64, i64),
    NotNegative,
    OneOf(Vec<String>),
    SetOf(Vec<String>),
}

/// Lowers one column definition in place: type, AUTO_INCREMENT, checks.
pub(super) fn column(column: &mut ColumnDef) -> Result<(), PlanError> {
    let mapped = map_type(&column.data_type)?;
    let name = names::fold(&column.name);
    let mut auto_increment = false;
    let mut options = Vec::with_capacity(column.options.len() + 1);
    for option in std::mem::take(&mut column.options) {
        match &option.option {
            ColumnOption::DialectSpecific(tokens) if is_auto_increment(tokens) => auto_increment = true,
            ColumnOption::CharacterSet(_) | ColumnOption::Collation(_) => {}
            ColumnOption::OnUpdate(_) => {
                return Err(PlanError::unsupported("ON UPDATE in a column definition")
                    .with_hint("set the column in each UPDATE"))
            }
            _ => options.push(option),
        }
    }
    column.data_type = if auto_increment { serial(&mapped.data_type)? } else { mapped.data_type };
    if let Some(check) = check(&name, &mapped.allowed)? {
        options.push(ColumnOptionDef {
            name: None,
            option: ColumnOption::Check(CheckConstraint {
                // Marks the check as the type's, not the user's (sqlmap's
                // CREATE TABLE writes the mark after it; see
                // `constraints::MYSQL_TYPE_CHECK_MARK`).
                name: Some(sqlparser::ast::Ident::new(crate::constraints::MYSQL_TYPE_CHECK_MARK)),
                expr: Box::new(check),
                no_inherit: false,
                enforced: None,
            }),
        });
    }
    column.options = options;
    Ok(())
}

fn is_auto_increment(tokens: &[Token]) -> bool {
    matches!(tokens, [Token::Word(word)] if word.keyword == Keyword::AUTO_INCREMENT)
}

/// A table constraint of a MySQL CREATE TABLE: `UNIQUE KEY name (..)`
/// keeps its name as the constraint's; plain indexes (`KEY`, `INDEX`),
/// which the PostgreSQL path has no place for, are refused.
pub(super) fn table_constraint(constraint: &mut TableConstraint) -> Result<(), PlanError> {
    match constraint {
        TableConstraint::Index(_) | TableConstraint::FulltextOrSpatial(_) => {
            Err(PlanError::unsupported("KEY or INDEX in CREATE TABLE")
                .with_hint("create the table, then CREATE INDEX name ON table (columns)"))
        }
        TableConstraint::Unique(unique) => {
            if unique.name.is_none() {
                unique.name = unique.index_name.take();
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// The PostgreSQL serial pseudo-type of an integer type.
fn serial(data_type: &DataType) -> Result<DataType, PlanError> {
    let name = match data_type {
        DataType::SmallInt(_) => "smallserial",
        DataType::Int(_) => "serial",
        DataType::BigInt(_) => "bigserial",
        _ => return Err(PlanError::unsupported("AUTO_INCREMENT on a column that is not an integer")),
    };
    Ok(DataType::Custom(ObjectName::from(vec![sqlparser::ast::Ident::new(name)]), vec![]))
}

fn map_type(data_type: &DataType) -> Result<Mapped, PlanError> {
    use Allowed::{Any, NotNegative, Range};
    let (data_type, allowed) = match data_type {
        DataType::TinyInt(Some(1)) | DataType::Bool | DataType::Boolean => (DataType::Boolean, Any),
        DataType::TinyInt(_) => (DataType::SmallInt(None), Range(-128, 127)),
        DataType::TinyIntUnsigned(_) => (DataType::SmallInt(None), Range(0, 255)),
        DataType::SmallInt(_) => (DataType::SmallInt(None), Any),
        DataType::SmallIntUnsigned(_) => (DataType::Int(None), Range(0, 65_535)),
        DataType::MediumInt(_) => (DataType::Int(None), Range(-8_388_608, 8_388_607)),
        DataType::MediumIntUnsigned(_) => (DataType::Int(None), Range(0, 16_777_215)),
        DataType::Int(_) | DataType::Integer(_) => (DataType::Int(None), Any),
        DataType::IntUnsigned(_) | DataType::IntegerUnsigned(_) => (DataType::BigInt(None), Range(0, 4_294_967_295)),
        DataType::BigInt(_) => (DataType::BigInt(None), Any),
        DataType::BigIntUnsigned(_) => (DataType::BigInt(None), NotNegative),
        DataType::Float(info) => (DataType::Float(*info), Any),
        DataType::FloatUnsigned(info) => (DataType::Float(*info), NotNegative),
        DataType::Double(_) | DataType::DoublePrecision | DataType::Real => (DataType::DoublePrecision, Any),
        DataType::DoubleUnsigned(_) | DataType::DoublePrecisionUnsigned | DataType::RealUnsigned => {
            (DataType::DoublePrecision, NotNegative)
        }
        DataType::Decimal(info) | DataType::Dec(info) | DataType::Numeric(info) => (decimal(info), Any),
        DataType::DecimalUnsigned(info) | DataType::DecUnsigned(info) => (decimal(info), NotNegative),
        other => return map_other_type(other),
    };
    Ok(Mapped { data_type, allowed })
}

fn map_other_type(data_type: &DataType) -> Result<Mapped, PlanError> {
    let any = |data_type| Ok(Mapped { data_type, allowed: Allowed::Any });
    match data_type {
        DataType::Varchar(n) | DataType::Nvarchar(n) | DataType::CharacterVarying(n) | DataType::CharVarying(n) => {
            any(DataType::Varchar(*n))
        }
        DataType::Char(n) | DataType::Character(n) => any(DataType::Char(*n)),
        DataType::Text | DataType::TinyText | DataType::MediumText | DataType::LongText => any(DataType::Text),
        DataType::Blob(_)
        | DataType::TinyBlob
        | DataType::MediumBlob
        | DataType::LongBlob
        | DataType::Binary(_)
        | DataType::Varbinary(_) => any(DataType::Bytea),
        DataType::Datetime(precision) | DataType::Timestamp(precision, TimezoneInfo::None) => {
            any(DataType::Timestamp(*precision, TimezoneInfo::None))
        }
        DataType::JSON => any(DataType::JSONB),
        DataType::Enum(members, _) => {
            Ok(Mapped { data_type: DataType::Text, allowed: Allowed::OneOf(enum_members(members)?) })
        }
        DataType::Set(members) => Ok(Mapped { data_type: DataType::Text, allowed: Allowed::SetOf(members.clone()) }),
        // The PostgreSQL path accepts or refuses the rest (DATE, UUID, ...; TIME, YEAR, BIT).
        other => any(other.clone()),
    }
}

/// MySQL's `DECIMAL` is `DECIMAL(10,0)`; `DECIMAL(p)` is `(p,0)`.
fn decimal(info: &ExactNumberInfo) -> DataType {
    DataType::Numeric(match info {
        ExactNumberInfo::None => ExactNumberInfo::PrecisionAndScale(10, 0),
        ExactNumberInfo::Precision(p) => ExactNumberInfo::PrecisionAndScale(*p, 0),
        other => *other,
    })
}

fn enum_members(members: &[EnumMember]) -> Result<Vec<String>, PlanError> {
    members
        .iter()
        .map(|member| match member {
            EnumMember::Name(name) => Ok(name.clone()),
            EnumMember::NamedValue(..) => Err(PlanError::unsupported("ENUM members with values")),
        })
        .collect()
}

/// The CHECK for what MySQL allows in the column beyond its type.
fn check(column: &str, allowed: &Allowed) -> Result<Option<Expr>, PlanError> {
    let column = quote(column);
    let text = match allowed {
        Allowed::Any => return Ok(None),
        Allowed::Range(low, high) => format!("{column} BETWEEN {low} AND {high}"),
        Allowed::NotNegative => format!("{column} >= 0"),
        Allowed::OneOf(members) => {
            let list: Vec<String> = members.iter().map(|m| literal(m)).collect();
            format!("{column} IN ({})", list.join(", "))
        }
        Allowed::SetOf(members) => set_check(&column, members)?,
    };
    crate::parse::expression(&text).map(Some).map_err(|e| {
        PlanError::new(crate::error::INTERNAL_ERROR, format!("the CHECK of a MySQL column type did not parse: {e}"))
    })
}

/// A SET value is `''` or comma-separated members, each in the list, none
/// empty. With every comma doubled, each member of the value stands alone
/// as `,member,` (members hold no commas: MySQL refuses them too), so the
/// lengths of the allowed members found add up to the length of the value
/// without its commas exactly when every member is allowed. A flat sum,
/// not one `replace` inside another: the CHECK nests no deeper with more
/// members.
fn set_check(column: &str, members: &[String]) -> Result<String, PlanError> {
    // MySQL's own limit; it also bounds the CHECK's size.
    if members.len() > SET_MEMBERS_MAX {
        return Err(PlanError::new(super::MYSQL_SYNTAX_ERROR, "Too many strings for a SET column (at most 64)"));
    }
    if members.iter().any(|m| m.contains(',') || m.is_empty()) {
        return Err(PlanError::new(super::MYSQL_SYNTAX_ERROR, "Illegal set member: empty or holding a comma"));
    }
    let unique: std::collections::BTreeSet<&String> = members.iter().collect();
    let doubled = format!("replace(',' || {column} || ',', ',', ',,')");
    let found: Vec<String> = unique
        .iter()
        .map(|member| {
            let length = member.chars().count();
            let pattern = literal(&format!(",{member},"));
            // (characters removed) / (length of `,member,`) occurrences, times the member's length.
            format!("((length({doubled}) - length(replace({doubled}, {pattern}, ''))) * {length} / {})", length + 2)
        })
        .collect();
    Ok(format!(
        "{column} = '' OR (instr({column}, ',,') = 0 AND substr({column}, 1, 1) <> ',' \
         AND substr({column}, -1) <> ',' AND length(replace({column}, ',', '')) = {})",
        found.join(" + ")
    ))
}

fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}
