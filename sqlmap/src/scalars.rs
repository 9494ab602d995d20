//! Casts, literals and written values of the bit string, network address
//! and system types (`bit`, `varbit`, `inet`, `cidr`, `macaddr`,
//! `macaddr8`, `"char"`, `oid`).
//!
//! A literal is read at plan time with PostgreSQL's input rules
//! ([`crate::bitstring`], [`crate::network`], [`crate::systypes`]) and
//! becomes its stored text, so a bad one fails before anything runs, with
//! its position. Any other value goes through the node's checking
//! functions, which apply the same modules:
//!
//! | value of type          | SQLite                                          |
//! | ---------------------- | ----------------------------------------------- |
//! | `bit(n)`, `varbit(n)`  | `rc_bit(x, n or NULL, varying, explicit)`       |
//! | `inet`, `cidr`         | `rc_inet(x, mode) COLLATE rc_inet` (mode 0 inet, 1 cidr, 2 cidr from an inet) |
//! | `macaddr`, `macaddr8`  | `rc_macaddr(x, 6 or 8)`                         |
//! | `"char"`               | `rc_char(x)`                                    |
//! | `oid`                  | `x` (catalog queries cast integers freely)      |
//!
//! An explicit cast pads or truncates a bit string to its length; a value
//! written to a column must fit it (22026, 22001), as in PostgreSQL.
//! PostgreSQL's `B'..'` and `X'..'` literals are bit strings: the
//! PostgreSQL dialect reads them with [`bit_literals`] before planning.

use sqlparser::ast::{Expr, Ident, ObjectName, Value, ValueWithSpan, VisitMut, VisitorMut};
use std::ops::ControlFlow;

use crate::bitstring;
use crate::error::{PlanError, SourceMap};
use crate::network;
use crate::render::call;
use crate::systypes;
use crate::types::PgType;

/// Whether values of `ty` are rendered here.
pub(crate) fn is_scalar(ty: PgType) -> bool {
    matches!(
        ty,
        PgType::Bit(_)
            | PgType::VarBit(_)
            | PgType::Inet
            | PgType::Cidr
            | PgType::MacAddr
            | PgType::MacAddr8
            | PgType::InternalChar
            | PgType::Oid
    )
}

/// The text of a string literal (a bit string literal's bits included).
pub(crate) fn literal_text(expr: &Expr) -> Option<&str> {
    match expr {
        Expr::Value(ValueWithSpan {
            value: Value::SingleQuotedString(text) | Value::SingleQuotedByteStringLiteral(text),
            ..
        }) => Some(text),
        Expr::Nested(inner) => literal_text(inner),
        _ => None,
    }
}

/// Where a literal operand starts in the source, for its input errors.
pub(crate) fn literal_span(expr: &Expr) -> Option<sqlparser::tokenizer::Location> {
    match expr {
        Expr::Value(v) => Some(v.span.start),
        Expr::Nested(inner) => literal_span(inner),
        _ => None,
    }
}

/// `inner::target`. `from` is the declared type of `inner` when it is a
/// column. In DDL (DEFAULT, CHECK) only literals are checked: the stored
/// schema must open on any connection, so it calls none of the node's
/// functions.
pub(crate) fn cast(inner: &Expr, target: PgType, from: Option<PgType>, ddl: bool) -> Result<Expr, PlanError> {
    let from_inet = from == Some(PgType::Inet) || is_inet_collated(inner);
    let inet_mode = match target {
        PgType::Cidr if from_inet => 2,
        PgType::Cidr => 1,
        _ => 0,
    };
    if let Some(text) = literal_text(inner).or_else(|| collated_literal(inner)) {
        let value = fold(text, target, true, inet_mode)?;
        return Ok(match target {
            PgType::Oid => number(&value),
            PgType::Inet | PgType::Cidr if !ddl => inet_collated(string(&value)),
            _ => string(&value),
        });
    }
    if ddl {
        return Ok(Expr::Nested(Box::new(inner.clone())));
    }
    Ok(checked(inner.clone(), target, true, inet_mode))
}

/// A value written to a column of type `ty` (INSERT, UPDATE SET): a
/// literal checked now, anything else by the node as it is written.
pub(crate) fn assign(expr: &mut Expr, ty: PgType) -> Result<(), PlanError> {
    let inet_mode = if ty == PgType::Cidr { 1 } else { 0 };
    if let Some(text) = literal_text(expr) {
        let value = fold(text, ty, false, inet_mode)?;
        *expr = if ty == PgType::Oid { number(&value) } else { string(&value) };
        return Ok(());
    }
    if ty != PgType::Oid {
        *expr = checked(expr.clone(), ty, false, inet_mode);
    }
    Ok(())
}

/// A string literal compared with a column of type `ty`: read as a value of
/// that type, so `addr = '10.0.0.1/32'` finds `10.0.0.1`.
pub(crate) fn compared_literal(expr: &mut Expr, ty: PgType) -> Result<(), PlanError> {
    let Some(text) = literal_text(expr) else { return Ok(()) };
    // A comparison takes the literal as the column's type without its length.
    let unsized_ty = match ty {
        PgType::Bit(_) => PgType::Bit(None),
        PgType::VarBit(_) => PgType::VarBit(None),
        other => other,
    };
    let value = fold(text, unsized_ty, false, if ty == PgType::Cidr { 1 } else { 0 })?;
    *expr = if ty == PgType::Oid { number(&value) } else { string(&value) };
    Ok(())
}

/// An array element's text as a value of `ty`, in its stored form (as a
/// value written to a column of `ty` is).
pub(crate) fn element_text(text: &str, ty: PgType) -> Result<String, PlanError> {
    fold(text, ty, false, if ty == PgType::Cidr { 1 } else { 0 })
}

/// A literal's text as a value of `ty`, in its stored form.
fn fold(text: &str, ty: PgType, explicit: bool, inet_mode: u8) -> Result<String, PlanError> {
    Ok(match ty {
        PgType::Bit(_) | PgType::VarBit(_) => {
            let bits = bitstring::parse(text)?;
            match ty.bit_type() {
                Some(rule) => bitstring::coerce(&bits, rule, explicit)?,
                None => bits,
            }
        }
        PgType::Inet | PgType::Cidr => network::inet_text(text, inet_mode)?,
        PgType::MacAddr => network::mac_text(&network::parse_macaddr(text)?),
        PgType::MacAddr8 => network::mac_text(&network::parse_macaddr8(text)?),
        PgType::InternalChar => systypes::parse_char(text),
        PgType::Oid => systypes::parse_oid(text)?.to_string(),
        _ => text.to_string(),
    })
}

/// The node's checking function for a value of `ty`.
fn checked(expr: Expr, ty: PgType, explicit: bool, inet_mode: u8) -> Expr {
    let flag = |b: bool| number(if b { "1" } else { "0" });
    match ty {
        PgType::Bit(length) | PgType::VarBit(length) => call(
            "rc_bit",
            vec![
                expr,
                length.map_or_else(|| Expr::value(Value::Null), |n| number(&n.to_string())),
                flag(matches!(ty, PgType::VarBit(_))),
                flag(explicit),
            ],
        ),
        PgType::Inet | PgType::Cidr => {
            inet_collated(call("rc_inet", vec![uncollated(expr), number(&inet_mode.to_string())]))
        }
        PgType::MacAddr => call("rc_macaddr", vec![expr, number("6")]),
        PgType::MacAddr8 => call("rc_macaddr", vec![expr, number("8")]),
        PgType::InternalChar => call("rc_char", vec![expr]),
        _ => match expr {
            Expr::Identifier(_) | Expr::CompoundIdentifier(_) | Expr::Value(_) | Expr::Nested(_) => expr,
            other => Expr::Nested(Box::new(other)),
        },
    }
}

fn inet_collated(expr: Expr) -> Expr {
    Expr::Collate { expr: Box::new(expr), collation: ObjectName::from(vec![Ident::new(network::INET_COLLATION)]) }
}

/// `inet::text`: the address with its mask, `/32` or `/128` included
/// (PostgreSQL's `network_show`), in SQLite's own functions, so DDL may use it.
pub(crate) fn inet_with_mask(expr: Expr) -> Expr {
    let inner = uncollated(expr);
    let has = |needle: &str| call("instr", vec![inner.clone(), string(needle)]);
    let full_mask = call("iif", vec![has(":"), string("/128"), string("/32")]);
    let concat = Expr::BinaryOp {
        left: Box::new(inner.clone()),
        op: sqlparser::ast::BinaryOperator::StringConcat,
        right: Box::new(full_mask),
    };
    call("iif", vec![has("/"), inner.clone(), concat])
}

pub(crate) fn is_inet_collated(expr: &Expr) -> bool {
    matches!(expr, Expr::Collate { collation, .. } if collation.to_string() == network::INET_COLLATION)
}

fn uncollated(expr: Expr) -> Expr {
    match expr {
        Expr::Collate { expr: inner, collation } if collation.to_string() == network::INET_COLLATION => *inner,
        other => other,
    }
}

/// The text of a folded inet or cidr literal (`'..' COLLATE rc_inet`).
fn collated_literal(expr: &Expr) -> Option<&str> {
    match expr {
        Expr::Collate { expr: inner, .. } if is_inet_collated(expr) => literal_text(inner),
        _ => None,
    }
}

fn number(text: &str) -> Expr {
    Expr::value(Value::Number(text.into(), false))
}

fn string(text: &str) -> Expr {
    Expr::value(Value::SingleQuotedString(text.into()))
}

/// PostgreSQL's bit string literals, read before a statement is planned:
/// `B'1010'` and `X'1F'` become `B'..'` literals holding their bits
/// (`X'1F'` is `B'00011111'`); a bad digit is 22P02 at the literal. Only
/// the PostgreSQL dialect: MySQL's `X'..'` and `b'..'` are byte strings.
pub(crate) fn bit_literals<T: VisitMut>(node: &mut T, source: &SourceMap) -> Result<(), PlanError> {
    struct Literals<'a>(&'a SourceMap);
    impl VisitorMut for Literals<'_> {
        type Break = PlanError;
        fn post_visit_value(&mut self, value: &mut ValueWithSpan) -> ControlFlow<PlanError> {
            let text = match &value.value {
                Value::SingleQuotedByteStringLiteral(digits) => format!("b{digits}"),
                Value::HexStringLiteral(digits) => format!("x{digits}"),
                _ => return ControlFlow::Continue(()),
            };
            match bitstring::parse(&text) {
                Ok(bits) => {
                    value.value = Value::SingleQuotedByteStringLiteral(bits);
                    ControlFlow::Continue(())
                }
                Err(e) => ControlFlow::Break(e.at(self.0.position(value.span.start))),
            }
        }
    }
    match node.visit(&mut Literals(source)) {
        ControlFlow::Continue(()) => Ok(()),
        ControlFlow::Break(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use crate::plan::{plan, Plan};

    fn sqlite(sql: &str) -> String {
        match plan(sql) {
            Ok(plans) => match plans.into_iter().next() {
                Some(Plan::Read(r)) => r.sqlite,
                Some(Plan::Write(w)) => w.sqlite,
                other => format!("{other:?}"),
            },
            Err(e) => format!("{} {} at {:?}", e.sqlstate, e.message, e.position),
        }
    }

    #[test]
    fn casts_and_literals_render_as_planned() {
        for (sql, expected) in [
            ("SELECT B'1010'", r#"SELECT '1010' AS "?column?""#),
            ("SELECT X'1F'", r#"SELECT '00011111' AS "?column?""#),
            ("SELECT '101'::bit(4)", r#"SELECT '1010' AS "bit""#),
            ("SELECT B'10101'::varbit(3)", r#"SELECT '101' AS "varbit""#),
            ("SELECT $1::bit(14)", r#"SELECT rc_bit(?1, 14, 0, 1) AS "bit""#),
            ("SELECT $1::varbit", r#"SELECT rc_bit(?1, NULL, 1, 1) AS "varbit""#),
            ("SELECT '127.0.0.1/32'::inet", r#"SELECT '127.0.0.1' COLLATE rc_inet AS "inet""#),
            ("SELECT '10.0.0.1/8'::inet::cidr", r#"SELECT '10.0.0.0/8' COLLATE rc_inet AS "cidr""#),
            ("SELECT $1::cidr", r#"SELECT rc_inet(?1, 1) COLLATE rc_inet AS "cidr""#),
            ("SELECT '12-34-56-AB-CD-EF'::macaddr", r#"SELECT '12:34:56:ab:cd:ef' AS "macaddr""#),
            ("SELECT $1::macaddr8", r#"SELECT rc_macaddr(?1, 8) AS "macaddr8""#),
            (r#"SELECT 'abc'::"char""#, r#"SELECT 'a' AS "char""#),
            (r#"SELECT $1::"char""#, r#"SELECT rc_char(?1) AS "char""#),
            ("SELECT '-1'::oid", r#"SELECT 4294967295 AS "oid""#),
            (
                "SELECT '1.2.3.4'::inet::text",
                r#"SELECT CAST(iif(instr('1.2.3.4', '/'), '1.2.3.4', '1.2.3.4' || iif(instr('1.2.3.4', ':'), '/128', '/32')) AS TEXT) AS "text""#,
            ),
            ("SELECT 4000000000::oid", r#"SELECT 4000000000 AS "oid""#),
            ("SELECT B'102'", r#"22P02 "2" is not a valid binary digit at Some(8)"#),
            ("SELECT X'1G'", r#"22P02 "G" is not a valid hexadecimal digit at Some(8)"#),
            ("SELECT 'x1G'::bit", r#"22P02 "G" is not a valid hexadecimal digit at Some(8)"#),
            ("SELECT  '1.2.3.4/33'::inet", r#"22P02 invalid input syntax for type inet: "1.2.3.4/33" at Some(9)"#),
            ("SELECT '192.168.1.5/24'::cidr", r#"22P02 invalid cidr value: "192.168.1.5/24" at Some(8)"#),
            ("SELECT 'zz'::macaddr", r#"22P02 invalid input syntax for type macaddr: "zz" at Some(8)"#),
            ("SELECT 'x'::oid", r#"22P02 invalid input syntax for type oid: "x" at Some(8)"#),
        ] {
            assert_eq!(sqlite(sql), expected, "{sql}");
        }
    }
}
