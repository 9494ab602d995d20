//! MySQL functions, as the PostgreSQL path's functions or SQLite's:
//! `IFNULL`, `IF`, `CONCAT` (NULL if any argument is), `UCASE`/`LCASE`,
//! `LOCATE` (two arguments), the clock
//! (`NOW()`, `CURRENT_TIMESTAMP`, `CURDATE()`, ... through `now()`, so the
//! determinism rules apply: writes see the block time), `LAST_INSERT_ID()`,
//! `GROUP_CONCAT`, `DATE_FORMAT` and `DATABASE()`.
//!
//! Clock values print as MySQL prints DATETIME: `YYYY-MM-DD HH:MM:SS`,
//! with `fsp` fractional digits when asked (`NOW(3)`).

use sqlparser::ast::{
    BinaryOperator, DuplicateTreatment, Expr, Function, FunctionArg, FunctionArgExpr, FunctionArgumentClause,
    FunctionArguments, ObjectNamePart, Value, ValueWithSpan,
};

use std::ops::RangeInclusive;

use crate::error::{PlanError, STATEMENT_TOO_COMPLEX};
use crate::render::call;

use super::MYSQL_SYNTAX_ERROR;

/// The most pieces a `DATE_FORMAT` becomes: each repeats the date operand.
const DATE_FORMAT_PIECES_MAX: usize = 8;

/// The longest date operand, as text, that a `DATE_FORMAT` repeats: nested
/// calls would otherwise grow exponentially.
const DATE_FORMAT_OPERAND_BYTES_MAX: usize = 1024;

/// Rewrites a MySQL function call in place; other expressions are left alone.
pub(super) fn lower(expr: &mut Expr) -> Result<(), PlanError> {
    let Expr::Function(function) = expr else {
        return Ok(());
    };
    let name = match function.name.0.as_slice() {
        [ObjectNamePart::Identifier(ident)] => ident.value.to_lowercase(),
        _ => return Ok(()),
    };
    let replacement = match name.as_str() {
        "ifnull" => call("coalesce", arguments(function, &name, 2..=2)?),
        // PostgreSQL's random(): a float in [0, 1), refused in writes.
        "rand" => call("random", arguments(function, &name, 0..=0)?),
        "if" => call("iif", arguments(function, &name, 3..=3)?),
        "ucase" => call("upper", arguments(function, &name, 1..=1)?),
        "lcase" => call("lower", arguments(function, &name, 1..=1)?),
        // LOCATE(substr, str) is PostgreSQL's strpos(str, substr).
        "locate" => match arguments(function, &name, 2..=3)?.as_slice() {
            [needle, haystack] => call("strpos", vec![haystack.clone(), needle.clone()]),
            _ => return Err(PlanError::unsupported("LOCATE with a start position")),
        },
        "concat" => concat(arguments(function, &name, 1..=usize::MAX)?)?,
        // Every match, ignoring case as MySQL's default collations do;
        // groups are `\1` in the replacement, as in MariaDB.
        "regexp_replace" => match arguments(function, &name, 3..=6)?.as_slice() {
            [source, pattern, replacement] => call(
                "regexp_replace",
                vec![
                    source.clone(),
                    pattern.clone(),
                    replacement.clone(),
                    Expr::value(sqlparser::ast::Value::SingleQuotedString("gi".into())),
                ],
            ),
            _ => return Err(PlanError::unsupported("REGEXP_REPLACE with a position, occurrence or match type")),
        },
        "now" | "current_timestamp" | "localtime" | "localtimestamp" | "utc_timestamp" => {
            let digits = fractional_digits(arguments(function, &name, 0..=1)?)?;
            let length = if digits == 0 { 19 } else { 20 + digits };
            clock(1, length)
        }
        "curdate" | "current_date" | "utc_date" => {
            arguments(function, &name, 0..=0)?;
            clock(1, 10)
        }
        "curtime" | "current_time" | "utc_time" => {
            let digits = fractional_digits(arguments(function, &name, 0..=1)?)?;
            clock(12, if digits == 0 { 8 } else { 9 + digits })
        }
        // The session's value, which the front end keeps from its writes'
        // receipts (0 before the first): the connection reads run on is
        // shared, so its `last_insert_rowid()` is no one's. A write cannot
        // depend on a session value; the determinism rules refuse it there.
        "last_insert_id" => {
            arguments(function, &name, 0..=0)?;
            session_insert_id()
        }
        "group_concat" => group_concat(function)?,
        "date_format" => match arguments(function, &name, 2..=2)?.as_slice() {
            [date, format] => date_format(date, format)?,
            _ => return Err(parameter_count(&name)),
        },
        "database" | "schema" => {
            arguments(function, &name, 0..=0)?;
            string(super::DATABASE)
        }
        // The MySQL front end's values (settings `mysql.x`), on the read path.
        "version" | "connection_id" => {
            arguments(function, &name, 0..=0)?;
            call("current_setting", vec![string(&format!("mysql.{name}"))])
        }
        // Time zones: the chain keeps UTC; UTC to UTC is the identity, and
        // other zones are refused rather than guessed.
        "convert_tz" => match arguments(function, &name, 3..=3)?.as_slice() {
            [value, from, to] if is_utc(from) && is_utc(to) => value.clone(),
            _ => return Err(PlanError::unsupported("CONVERT_TZ between zones other than UTC ('UTC', '+00:00')")),
        },
        "values" => {
            return Err(PlanError::unsupported("VALUES() outside ON DUPLICATE KEY UPDATE"));
        }
        _ => return Ok(()),
    };
    *expr = replacement;
    Ok(())
}

/// The plain arguments of a call, as many as `count` allows.
fn arguments(function: &Function, name: &str, count: RangeInclusive<usize>) -> Result<Vec<Expr>, PlanError> {
    let unsupported = || PlanError::unsupported(format!("this call of {name}"));
    let args = match &function.args {
        FunctionArguments::None => vec![],
        FunctionArguments::List(list) if list.duplicate_treatment.is_none() && list.clauses.is_empty() => list
            .args
            .iter()
            .map(|arg| match arg {
                FunctionArg::Unnamed(FunctionArgExpr::Expr(expr)) => Ok(expr.clone()),
                _ => Err(unsupported()),
            })
            .collect::<Result<Vec<_>, _>>()?,
        _ => return Err(unsupported()),
    };
    if function.over.is_some() || function.filter.is_some() {
        return Err(unsupported());
    }
    if !count.contains(&args.len()) {
        return Err(parameter_count(name));
    }
    Ok(args)
}

fn parameter_count(name: &str) -> PlanError {
    PlanError::new(MYSQL_SYNTAX_ERROR, format!("Incorrect parameter count in the call to native function '{name}'"))
}

/// MySQL's CONCAT: NULL if any argument is NULL, which is SQLite's `||`.
fn concat(args: Vec<Expr>) -> Result<Expr, PlanError> {
    let mut parts = args.into_iter();
    let Some(first) = parts.next() else {
        return Err(parameter_count("concat"));
    };
    // One argument still becomes text.
    let second = parts.next().unwrap_or_else(|| string(""));
    let chained = parts.fold(concat_pair(first, second), concat_pair);
    Ok(Expr::Nested(Box::new(chained)))
}

fn concat_pair(left: Expr, right: Expr) -> Expr {
    Expr::BinaryOp { left: Box::new(left), op: BinaryOperator::StringConcat, right: Box::new(right) }
}

/// `fsp` of `NOW(fsp)`: a literal 0 to 6.
fn fractional_digits(args: Vec<Expr>) -> Result<usize, PlanError> {
    match args.as_slice() {
        [] => Ok(0),
        [Expr::Value(ValueWithSpan { value: Value::Number(n, _), .. })] => {
            n.parse::<usize>().ok().filter(|d| *d <= 6).ok_or_else(|| {
                PlanError::new(MYSQL_SYNTAX_ERROR, format!("Too-big precision {n} specified. Maximum is 6."))
            })
        }
        _ => Err(PlanError::unsupported("a fractional seconds precision that is not a literal")),
    }
}

/// `substr(now(), start, length)`: the statement's clock (the block time
/// in writes, see `determinism`) as MySQL prints it.
fn clock(start: usize, length: usize) -> Expr {
    call("substr", vec![call("now", vec![]), number(start), number(length)])
}

/// `GROUP_CONCAT([DISTINCT] x [, y ...] [ORDER BY ...] [SEPARATOR s])` as
/// SQLite's `group_concat(x, s ORDER BY ...)`. MySQL's truncation at
/// `group_concat_max_len` is not applied.
fn group_concat(function: &Function) -> Result<Expr, PlanError> {
    let unsupported = || PlanError::unsupported("this form of GROUP_CONCAT");
    let FunctionArguments::List(list) = &function.args else {
        return Err(parameter_count("group_concat"));
    };
    if function.over.is_some() || function.filter.is_some() {
        return Err(unsupported());
    }
    let mut separator = None;
    let mut clauses = Vec::new();
    for clause in &list.clauses {
        match clause {
            FunctionArgumentClause::Separator(ValueWithSpan {
                value: Value::SingleQuotedString(s) | Value::DoubleQuotedString(s),
                ..
            }) => separator = Some(s.clone()),
            FunctionArgumentClause::OrderBy(_) => clauses.push(clause.clone()),
            _ => return Err(unsupported()),
        }
    }
    let values = list
        .args
        .iter()
        .map(|arg| match arg {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(expr)) => Ok(expr.clone()),
            _ => Err(unsupported()),
        })
        .collect::<Result<Vec<_>, _>>()?;
    // Several expressions are concatenated; a NULL in any skips the row, as in MySQL.
    let mut values = values.into_iter();
    let Some(first) = values.next() else {
        return Err(parameter_count("group_concat"));
    };
    let value = values.fold(first, concat_pair);
    let distinct = matches!(list.duplicate_treatment, Some(DuplicateTreatment::Distinct));
    let mut args = vec![value];
    match separator {
        // SQLite's default separator is MySQL's; DISTINCT takes no second argument.
        None => {}
        Some(s) if distinct && s == "," => {}
        Some(_) if distinct => {
            return Err(PlanError::unsupported("GROUP_CONCAT(DISTINCT ...) with a SEPARATOR other than ','"))
        }
        Some(s) => args.push(string(&s)),
    }
    let mut grouped = call("group_concat", args);
    if let Expr::Function(Function { args: FunctionArguments::List(list), .. }) = &mut grouped {
        list.duplicate_treatment = distinct.then_some(DuplicateTreatment::Distinct);
        list.clauses = clauses;
    }
    Ok(grouped)
}

/// One piece of a DATE_FORMAT result.
enum Piece {
    /// A `strftime` format.
    Format(String),
    /// `strftime(format, date)` read as a number: no leading zero.
    Unpadded(&'static str),
    /// The last two digits of the year.
    TwoDigitYear,
}

/// `DATE_FORMAT(date, 'format')` via `strftime`. Specifiers without an
/// exact strftime equivalent (names of days and months, week numbers,
/// microseconds) are refused rather than answered differently.
fn date_format(date: &Expr, format: &Expr) -> Result<Expr, PlanError> {
    let Expr::Value(ValueWithSpan {
        value: Value::SingleQuotedString(format) | Value::DoubleQuotedString(format), ..
    }) = format
    else {
        return Err(PlanError::unsupported("DATE_FORMAT with a format that is not a string literal"));
    };
    let pieces = date_format_pieces(format)?;
    if pieces.len() > DATE_FORMAT_PIECES_MAX {
        return Err(PlanError::unsupported(format!(
            "DATE_FORMAT with more than {DATE_FORMAT_PIECES_MAX} unpadded or two-digit fields"
        )));
    }
    let several = pieces.len() > 1;
    if several && date.to_string().len() > DATE_FORMAT_OPERAND_BYTES_MAX {
        return Err(PlanError::new(STATEMENT_TOO_COMPLEX, "the date operand of DATE_FORMAT is too long")
            .with_hint("DATE_FORMAT repeats its date operand for each unpadded or two-digit field (%e %c %k %l %y)"));
    }
    let strftime = |format: &str| call("strftime", vec![string(format), date.clone()]);
    let exprs: Vec<Expr> = pieces
        .into_iter()
        .map(|piece| match piece {
            // Text between fields; alone it still goes through strftime, so a NULL date gives NULL.
            Piece::Format(format) if several && !format.contains('%') => string(&format),
            Piece::Format(format) => strftime(&format),
            // SQLite reads the digits as a number: no leading zero.
            Piece::Unpadded(format) => Expr::Nested(Box::new(Expr::BinaryOp {
                left: Box::new(strftime(format)),
                op: BinaryOperator::Plus,
                right: Box::new(number(0)),
            })),
            Piece::TwoDigitYear => call("substr", vec![strftime("%Y"), number(3), number(2)]),
        })
        .collect();
    let mut exprs = exprs.into_iter();
    let Some(first) = exprs.next() else {
        return Ok(string(""));
    };
    let chained = exprs.fold(first, concat_pair);
    Ok(Expr::Nested(Box::new(chained)))
}

fn date_format_pieces(format: &str) -> Result<Vec<Piece>, PlanError> {
    let mut pieces = Vec::new();
    let mut current = String::new();
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            current.push(c);
            continue;
        }
        let Some(specifier) = chars.next() else {
            // A trailing '%' prints as itself.
            current.push_str("%%");
            break;
        };
        let direct = match specifier {
            'Y' | 'm' | 'd' | 'H' | 'I' | 'p' | 'j' | 'w' | 'T' | 'S' => Some(format!("%{specifier}")),
            'h' => Some("%I".into()),
            'i' => Some("%M".into()),
            's' => Some("%S".into()),
            'r' => Some("%I:%M:%S %p".into()),
            '%' => Some("%%".into()),
            _ => None,
        };
        if let Some(direct) = direct {
            current.push_str(&direct);
            continue;
        }
        let piece = match specifier {
            'c' => Piece::Unpadded("%m"),
            'e' => Piece::Unpadded("%d"),
            'k' => Piece::Unpadded("%H"),
            'l' => Piece::Unpadded("%I"),
            'y' => Piece::TwoDigitYear,
            other => {
                return Err(PlanError::unsupported(format!("DATE_FORMAT specifier %{other}"))
                    .with_hint("supported: %Y %y %m %c %d %e %H %k %h %I %l %i %s %S %p %r %T %j %w %%"))
            }
        };
        if !current.is_empty() {
            pieces.push(Piece::Format(std::mem::take(&mut current)));
        }
        pieces.push(piece);
    }
    if !current.is_empty() {
        pieces.push(Piece::Format(current));
    }
    Ok(pieces)
}

/// `CAST(coalesce(current_setting('rowchain.last_insert_id', true), '0') AS BIGINT)`.
fn session_insert_id() -> Expr {
    let setting =
        call("current_setting", vec![string(crate::LAST_INSERT_ID_SETTING), Expr::value(Value::Boolean(true))]);
    Expr::Cast {
        kind: sqlparser::ast::CastKind::Cast,
        expr: Box::new(call("coalesce", vec![setting, string("0")])),
        data_type: sqlparser::ast::DataType::BigInt(None),
        format: None,
    }
}

/// Whether `function` is the session insert id [`session_insert_id`] reads.
pub(crate) fn reads_session_insert_id(function: &Function) -> bool {
    session_setting(function).is_some_and(|name| name.eq_ignore_ascii_case(crate::LAST_INSERT_ID_SETTING))
}

/// Whether a `current_setting(..)` call reads one of the MySQL front end's
/// session variables (`@@x`, `VERSION()`, `CONNECTION_ID()`: settings
/// `mysql.x`), which validators do not have.
pub(crate) fn reads_session_variable(function: &Function) -> bool {
    session_setting(function).is_some_and(|name| name.get(..6).is_some_and(|p| p.eq_ignore_ascii_case("mysql.")))
}

/// The setting a `current_setting('name')` call names.
fn session_setting(function: &Function) -> Option<&str> {
    let FunctionArguments::List(list) = &function.args else {
        return None;
    };
    match list.args.first() {
        Some(FunctionArg::Unnamed(FunctionArgExpr::Expr(Expr::Value(ValueWithSpan {
            value: Value::SingleQuotedString(name),
            ..
        })))) => Some(name.as_str()),
        _ => None,
    }
}

fn number(n: usize) -> Expr {
    Expr::value(Value::Number(n.to_string(), false))
}

/// A literal naming UTC: `'UTC'`, `'+00:00'`, `'GMT'`.
fn is_utc(expr: &Expr) -> bool {
    matches!(expr, Expr::Value(v) if matches!(&v.value, Value::SingleQuotedString(s)
        if ["utc", "+00:00", "-00:00", "gmt", "z"].contains(&s.to_ascii_lowercase().as_str())))
}

fn string(text: &str) -> Expr {
    Expr::value(Value::SingleQuotedString(text.into()))
}
