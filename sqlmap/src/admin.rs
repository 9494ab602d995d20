//! Statements the proxy carries out itself rather than as SQL: `COPY ...
//! FROM STDIN` (a bulk load the proxy turns into one chain tx of INSERTs)
//! and role administration (`CREATE ROLE`, `ALTER ROLE ... PASSWORD`,
//! `DROP ROLE`), which are chain txs of their own kind.

use sqlparser::ast::{
    AlterRoleOperation, CopyLegacyOption, CopyOption, CopySource, CopyTarget, Expr, ObjectType, Password, RoleOption,
    Statement, Value, ValueWithSpan,
};

use crate::error::PlanError;
use crate::names;

/// `COPY table [(columns)] FROM STDIN [WITH (...)]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyPlan {
    /// The SQLite table name.
    pub table: String,
    /// The columns loaded, in the data's order; empty means all, in table order.
    pub columns: Vec<String>,
    pub csv: bool,
    pub header: bool,
    pub delimiter: char,
    /// The text that stands for NULL (`\N` in text format, empty in CSV).
    pub null: String,
    pub quote: char,
    /// PostgreSQL's binary COPY format (`FORMAT binary`): the wire decodes
    /// each field by its column's type.
    pub binary: bool,
}

/// Role administration.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RoleStmt {
    /// `create_role`: the role may create and drop roles (`CREATEROLE`).
    Create {
        name: String,
        password: Option<String>,
        login: bool,
        create_role: bool,
    },
    AlterPassword {
        name: String,
        password: String,
    },
    Drop {
        names: Vec<String>,
        if_exists: bool,
    },
}

fn string_literal(e: &Expr) -> Option<String> {
    match e {
        Expr::Value(ValueWithSpan { value: Value::SingleQuotedString(s), .. }) => Some(s.clone()),
        _ => None,
    }
}

fn role_name(parts: &[String]) -> String {
    parts.join(".")
}

/// `COPY ... TO STDOUT`: a read whose rows the wire sends as COPY data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyOutPlan {
    /// The rows: `COPY t [(cols)]` reads `SELECT cols FROM t`, `COPY
    /// (query)` the query.
    pub read: crate::plan::ReadPlan,
    /// That read as PostgreSQL text (what privileges and row filters are
    /// checked against, as for any read).
    pub query: String,
    pub format: CopyFormat,
}

/// How COPY data is written: the options of `COPY ... TO STDOUT`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyFormat {
    pub csv: bool,
    /// PostgreSQL's binary COPY format (`FORMAT binary`).
    pub binary: bool,
    pub header: bool,
    pub delimiter: char,
    /// The text that stands for NULL (`\N` in text format, empty in CSV).
    pub null: String,
    pub quote: char,
}

/// Plans `COPY ... FROM STDIN` ([`CopyPlan`]) and `COPY ... TO STDOUT`
/// ([`CopyOutPlan`]).
pub(crate) fn plan_copy(
    statement: Statement,
    source_map: &crate::error::SourceMap,
    schema: &dyn crate::schema::Schema,
) -> Result<crate::plan::Plan, PlanError> {
    let Statement::Copy { source, to, target, options, legacy_options, payload } = statement else {
        return Err(PlanError::unsupported("this statement"));
    };
    // PostgreSQL reads STDIN and STDOUT alike, as the client, either way.
    let stdio = matches!(target, CopyTarget::Stdin | CopyTarget::Stdout);
    if !stdio || payload.is_some() {
        return Err(if to {
            PlanError::unsupported("COPY to a file or program").with_hint("use COPY ... TO STDOUT (psql's \\copy)")
        } else {
            PlanError::unsupported("COPY from a file or program").with_hint("use COPY ... FROM STDIN (psql's \\copy)")
        });
    }
    let format = copy_format(options, legacy_options)?;
    if to {
        let query = match source {
            CopySource::Table { table_name, columns } => {
                let list = if columns.is_empty() {
                    "*".to_string()
                } else {
                    columns.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(", ")
                };
                format!("SELECT {list} FROM {table_name}")
            }
            CopySource::Query(query) => query.to_string(),
        };
        let read = match crate::parse::statements(&query).map_err(|e| source_map.parse_error(&e))?.pop() {
            Some(Statement::Query(q)) => crate::plan::plan_read(q, &crate::error::SourceMap::new(&query), schema)?,
            _ => return Err(PlanError::unsupported("this COPY source")),
        };
        return Ok(crate::plan::Plan::CopyOut(CopyOutPlan { read, query, format }));
    }
    let CopySource::Table { table_name, columns } = source else {
        return Err(PlanError::unsupported("COPY (query)"));
    };
    let table = names::resolve_target(&table_name)?;
    Ok(crate::plan::Plan::Copy(CopyPlan {
        table,
        columns: columns.iter().map(names::fold).collect(),
        csv: format.csv,
        header: format.header,
        delimiter: format.delimiter,
        null: format.null,
        quote: format.quote,
        binary: format.binary,
    }))
}

/// COPY's options, new and legacy syntax, with the CSV defaults.
fn copy_format(options: Vec<CopyOption>, legacy_options: Vec<CopyLegacyOption>) -> Result<CopyFormat, PlanError> {
    let mut format =
        CopyFormat { csv: false, binary: false, header: false, delimiter: '\t', null: "\\N".into(), quote: '"' };
    let mut null_set = false;
    let mut delimiter_set = false;
    for o in options {
        match o {
            CopyOption::Format(f) => match f.value.to_ascii_lowercase().as_str() {
                "csv" => (format.csv, format.binary) = (true, false),
                "text" => (format.csv, format.binary) = (false, false),
                "binary" => (format.csv, format.binary) = (false, true),
                other => return Err(PlanError::unsupported(format!("COPY format {other}"))),
            },
            CopyOption::Delimiter(c) => {
                format.delimiter = c;
                delimiter_set = true;
            }
            CopyOption::Null(n) => {
                format.null = n;
                null_set = true;
            }
            CopyOption::Header(h) => format.header = h,
            CopyOption::Quote(q) => format.quote = q,
            CopyOption::Freeze(_) => {}
            other => return Err(PlanError::unsupported(format!("COPY option {other}"))),
        }
    }
    for o in legacy_options {
        match o {
            CopyLegacyOption::Csv(_) => format.csv = true,
            CopyLegacyOption::Binary => format.binary = true,
            CopyLegacyOption::Delimiter(c) => {
                format.delimiter = c;
                delimiter_set = true;
            }
            CopyLegacyOption::Null(n) => {
                format.null = n;
                null_set = true;
            }
            CopyLegacyOption::Header => format.header = true,
            other => return Err(PlanError::unsupported(format!("COPY option {other}"))),
        }
    }
    if format.csv {
        if !delimiter_set {
            format.delimiter = ',';
        }
        if !null_set {
            format.null = String::new();
        }
    }
    Ok(format)
}

pub(crate) fn plan_role(statement: Statement) -> Result<RoleStmt, PlanError> {
    let password = |p: &Password| match p {
        Password::Password(e) => {
            string_literal(e).ok_or_else(|| PlanError::new("42601", "the password must be a string literal"))
        }
        Password::NullPassword => Err(PlanError::unsupported("PASSWORD NULL")
            .with_hint("every rowchain role signs with a key sealed under its password")),
    };
    match statement {
        Statement::CreateRole(c) => {
            let [name] = c.names.as_slice() else {
                return Err(PlanError::unsupported("CREATE ROLE with several names"));
            };
            if c.superuser == Some(true) || c.create_db == Some(true) {
                return Err(PlanError::unsupported("SUPERUSER and CREATEDB")
                    .with_hint("the genesis roles are the superusers; CREATEROLE lets a role administer roles"));
            }
            let name = role_name(&name.0.iter().filter_map(|p| p.as_ident().map(names::fold)).collect::<Vec<_>>());
            let password = c.password.as_ref().map(password).transpose()?;
            Ok(RoleStmt::Create {
                name,
                password,
                login: c.login.unwrap_or(true),
                create_role: c.create_role == Some(true),
            })
        }
        Statement::AlterRole { name, operation: AlterRoleOperation::WithOptions { options } } => {
            let mut pw = None;
            for o in &options {
                match o {
                    RoleOption::Password(p) => pw = Some(password(p)?),
                    RoleOption::Login(_) => {}
                    _ => return Err(PlanError::unsupported(format!("ALTER ROLE option {o}"))),
                }
            }
            let password = pw.ok_or_else(|| PlanError::unsupported("ALTER ROLE without PASSWORD"))?;
            Ok(RoleStmt::AlterPassword { name: names::fold(&name), password })
        }
        Statement::AlterRole { .. } => Err(PlanError::unsupported("this form of ALTER ROLE")),
        Statement::Drop { object_type: ObjectType::Role | ObjectType::User, if_exists, names: list, .. } => {
            Ok(RoleStmt::Drop {
                names: list
                    .iter()
                    .map(|n| role_name(&n.0.iter().filter_map(|p| p.as_ident().map(names::fold)).collect::<Vec<_>>()))
                    .collect(),
                if_exists,
            })
        }
        _ => unreachable!("plan_role takes role statements"),
    }
}
