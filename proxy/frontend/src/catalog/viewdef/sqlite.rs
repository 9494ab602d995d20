//! A CHECK constraint's expression as sqlmap rendered it for SQLite
//! (`ddl_expr`: double-quoted identifiers, SQLite's CAST and functions),
//! read back into the tree of the PostgreSQL expression it came from, so
//! that [`super::postgres`] prints it as `pg_get_constraintdef` does.
//!
//! Undone here: the `ESCAPE '\'` sqlmap gives every LIKE (PostgreSQL's
//! default), ILIKE rendered as `lower(a) LIKE lower(b)`, the regular
//! expression operators rendered as `rc_regex(a, b, flags)`, booleans
//! stored as 1 and 0, and SQLite's type names in casts. What sqlmap
//! renders the same for several PostgreSQL forms reads back as the most
//! common one (`length(v)` for `char_length(v)` too, `CAST(x AS TEXT)` for
//! a cast to numeric).

use super::ast::{Expr, Literal, UnaryOp};
use super::lex::{self, Token};

/// The tokens of a rendered expression, without the `ESCAPE '\'` sqlmap
/// adds after each LIKE pattern.
pub(super) fn tokens(expression: &str) -> Option<Vec<Token>> {
    let mut out: Vec<Token> = Vec::new();
    for token in lex::tokens(expression)? {
        if token == Token::Str("\\".into())
            && matches!(out.last(), Some(Token::Word { text, quoted: false }) if text == "escape")
        {
            out.pop();
            continue;
        }
        out.push(token);
    }
    Some(out)
}

/// The PostgreSQL form of a parsed, not yet bound, rendered expression.
pub(super) fn unrendered(expr: Expr) -> Expr {
    map(expr, &|expr| match expr {
        // `NOT rc_regex(..)`, its call read as `~` or `~*` already: `!~`, `!~*`.
        Expr::Unary { op: UnaryOp::Not, expr } => match *expr {
            Expr::Binary { op, left, right } if op == "~" || op == "~*" => {
                Expr::Binary { op: format!("!{op}"), left, right }
            }
            inner => Expr::Unary { op: UnaryOp::Not, expr: Box::new(inner) },
        },
        Expr::Function { .. } => regex(expr).unwrap_or_else(|expr| expr),
        Expr::Binary { op, left, right } if op == "~~" || op == "!~~" => match (*left, *right) {
            (Expr::Function { name: l, args: mut la, .. }, Expr::Function { name: r, args: mut ra, .. })
                if l == "lower" && r == "lower" && la.len() == 1 && ra.len() == 1 =>
            {
                let (Some(left), Some(right)) = (la.pop(), ra.pop()) else { unreachable!("one argument each") };
                Expr::Binary { op: format!("{op}*"), left: Box::new(left), right: Box::new(right) }
            }
            (left, right) => Expr::Binary { op, left: Box::new(left), right: Box::new(right) },
        },
        Expr::Cast { expr, ty } => {
            let ty = match ty.as_str() {
                "real" => "double precision".to_string(),
                "blob" => "bytea".to_string(),
                _ => ty,
            };
            Expr::Cast { expr, ty }
        }
        other => other,
    })
}

/// `rc_regex(a, b, flags)` as the operator it renders (`~`, `~*`);
/// anything else back as it is.
fn regex(expr: Expr) -> Result<Expr, Expr> {
    let Expr::Function { name, mut args, star: false, distinct: false } = expr else { return Err(expr) };
    let op = match args.as_slice() {
        [_, _, Expr::Literal(Literal::String(flags))] if name == "rc_regex" && flags.is_empty() => "~",
        [_, _, Expr::Literal(Literal::String(flags))] if name == "rc_regex" && flags == "i" => "~*",
        _ => return Err(Expr::Function { name, args, star: false, distinct: false }),
    };
    args.truncate(2);
    let (Some(right), Some(left)) = (args.pop(), args.pop()) else { unreachable!("three arguments") };
    Ok(Expr::Binary { op: op.to_string(), left: Box::new(left), right: Box::new(right) })
}

/// A bound expression with the booleans SQLite stores as 1 and 0 written
/// as PostgreSQL's: `b = 1` of a boolean `b` is `b = true`.
pub(super) fn booleans(expr: Expr) -> Expr {
    let boolean = |e: &Expr| matches!(e, Expr::Column { ty: Some(ty), .. } if ty == "boolean");
    let as_bool = |e: Expr| match e {
        Expr::Literal(Literal::Number(n)) if n == "1" || n == "0" => Expr::Literal(Literal::Bool(n == "1")),
        other => other,
    };
    map(expr, &|expr| match expr {
        Expr::Binary { op, left, right } if matches!(op.as_str(), "=" | "<>") && boolean(&left) => {
            Expr::Binary { op, left, right: Box::new(as_bool(*right)) }
        }
        Expr::Binary { op, left, right } if matches!(op.as_str(), "=" | "<>") && boolean(&right) => {
            Expr::Binary { op, left: Box::new(as_bool(*left)), right }
        }
        other => other,
    })
}

/// `expr` with `f` applied to each node, children first. Queries inside
/// (which no CHECK holds) are left alone. The parser bounds the depth.
fn map(expr: Expr, f: &dyn Fn(Expr) -> Expr) -> Expr {
    let each = |e: Box<Expr>| Box::new(map(*e, f));
    let all = |list: Vec<Expr>| list.into_iter().map(|e| map(e, f)).collect();
    let mapped = match expr {
        Expr::Unary { op, expr } => Expr::Unary { op, expr: each(expr) },
        Expr::Binary { op, left, right } => Expr::Binary { op, left: each(left), right: each(right) },
        Expr::IsNull { negated, expr } => Expr::IsNull { negated, expr: each(expr) },
        Expr::IsBool { negated, value, expr } => Expr::IsBool { negated, value, expr: each(expr) },
        Expr::IsDistinct { negated, left, right } => Expr::IsDistinct { negated, left: each(left), right: each(right) },
        Expr::InList { negated, expr, list } => Expr::InList { negated, expr: each(expr), list: all(list) },
        Expr::Between { negated, expr, low, high } => {
            Expr::Between { negated, expr: each(expr), low: each(low), high: each(high) }
        }
        Expr::Function { name, args, star, distinct } => Expr::Function { name, args: all(args), star, distinct },
        Expr::Cast { expr, ty } => Expr::Cast { expr: each(expr), ty },
        Expr::Case { operand, whens, otherwise } => Expr::Case {
            operand: operand.map(each),
            whens: whens.into_iter().map(|(w, t)| (map(w, f), map(t, f))).collect(),
            otherwise: otherwise.map(each),
        },
        Expr::Array(items) => Expr::Array(all(items)),
        Expr::Nested(inner) => Expr::Nested(each(inner)),
        leaf @ (Expr::Column { .. }
        | Expr::Literal(_)
        | Expr::Keyword(_)
        | Expr::InQuery { .. }
        | Expr::Exists { .. }
        | Expr::Subquery(_)) => leaf,
    };
    f(mapped)
}
