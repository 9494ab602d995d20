//! The types PostgreSQL's parser gives a view's expressions, as far as
//! `pg_get_viewdef` shows them: the type an untyped literal takes
//! (`'x'::text`, `'abc'::bpchar`), and the implicit casts operators and
//! functions put on their operands (`t.v::text = 'x'::text` for a
//! varchar, `t.i::numeric > 1.5`). Types are `format_type` names.
//!
//! Deliberately partial: the built-in types rowchain stores and the
//! common operators and functions; elsewhere nothing is cast, which is
//! what PostgreSQL prints whenever the operand types already match.

use super::ast::{Expr, Literal, Query, SelectItem, UnaryOp};

/// The type of an expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Ty {
    /// A string literal or NULL: typed by where it stands.
    Unknown,
    /// A type as `format_type` prints it, modifiers included.
    Of(String),
    /// A type this module cannot tell.
    Opaque,
}

impl Ty {
    fn of(name: &str) -> Ty {
        Ty::Of(name.to_string())
    }
}

/// What an operator or function does to its operands: the type each is
/// coerced to (`None`: left as it is) and the result's type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Coercion {
    pub operands: Vec<Option<String>>,
    pub result: Ty,
}

/// A type name as `format_type` prints it: `int` -> `integer`,
/// `varchar(3)` -> `character varying(3)`; `words` is the name's words
/// (lower case), `modifiers` what followed it in parentheses.
pub(super) fn canonical(words: &str, modifiers: &[String]) -> Option<String> {
    let with = |base: &str| match modifiers {
        [] => base.to_string(),
        mods => format!("{base}({})", mods.join(",")),
    };
    let zone = |base: &str, zone: &str| match modifiers {
        [] => format!("{base} {zone}"),
        mods => format!("{base}({}) {zone}", mods.join(",")),
    };
    Some(match words {
        "int" | "int4" | "integer" => "integer".into(),
        "int2" | "smallint" => "smallint".into(),
        "int8" | "bigint" => "bigint".into(),
        "numeric" | "decimal" | "dec" => match modifiers {
            [p] => format!("numeric({p},0)"),
            _ => with("numeric"),
        },
        "real" | "float4" => "real".into(),
        "float8" | "double precision" => "double precision".into(),
        "float" => match modifiers.first().and_then(|p| p.parse::<u32>().ok()) {
            Some(p) if p <= 24 => "real".into(),
            _ => "double precision".into(),
        },
        "varchar" | "character varying" | "char varying" => with("character varying"),
        "char" | "character" if modifiers.is_empty() => "character(1)".into(),
        "char" | "character" => with("character"),
        "bool" | "boolean" => "boolean".into(),
        "time" | "time without time zone" => zone("time", "without time zone"),
        "timetz" | "time with time zone" => zone("time", "with time zone"),
        "timestamp" | "timestamp without time zone" => zone("timestamp", "without time zone"),
        "timestamptz" | "timestamp with time zone" => zone("timestamp", "with time zone"),
        other => with(other),
    })
}

/// A type without its modifiers: `numeric(10,2)` -> `numeric`,
/// `character(3)` -> `bpchar` (as `format_type` prints it without one).
pub(super) fn base(ty: &str) -> String {
    let mut out = String::with_capacity(ty.len());
    let mut depth = 0usize;
    for c in ty.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            c if depth == 0 => out.push(c),
            _ => {}
        }
    }
    match out.as_str() {
        "character" => "bpchar".into(),
        _ => out,
    }
}

fn int_rank(base: &str) -> Option<u8> {
    match base {
        "smallint" => Some(1),
        "integer" => Some(2),
        "bigint" => Some(3),
        _ => None,
    }
}

fn is_float(base: &str) -> bool {
    matches!(base, "real" | "double precision")
}

fn is_number(base: &str) -> bool {
    int_rank(base).is_some() || is_float(base) || base == "numeric"
}

fn is_string(base: &str) -> bool {
    matches!(base, "text" | "character varying" | "bpchar")
}

/// The type two number types meet at, and the cast each needs to get there.
fn numbers(a: &str, b: &str) -> (Option<String>, Option<String>, String) {
    let cast = |from: &str, to: &str| (from != to).then(|| to.to_string());
    match (int_rank(a), int_rank(b)) {
        // Integer operators take every mix of widths.
        (Some(x), Some(y)) => (None, None, if x >= y { a.into() } else { b.into() }),
        _ if is_float(a) && is_float(b) => {
            let result = if a == "real" && b == "real" { "real" } else { "double precision" };
            (None, None, result.into())
        }
        _ if is_float(a) || is_float(b) => {
            let to = "double precision";
            let (x, y) = (if is_float(a) { None } else { cast(a, to) }, if is_float(b) { None } else { cast(b, to) });
            (x, y, to.into())
        }
        _ => (cast(a, "numeric"), cast(b, "numeric"), "numeric".into()),
    }
}

/// The operand casts of a comparison between two typed operands.
fn compared(a: &str, b: &str) -> (Option<String>, Option<String>) {
    if a == b && a != "character varying" {
        return (None, None);
    }
    if is_number(a) && is_number(b) {
        let (x, y, _) = numbers(a, b);
        return (x, y);
    }
    if is_string(a) && is_string(b) {
        let text = |t: &str| (t != "text").then(|| "text".to_string());
        return (text(a), text(b));
    }
    let timestamp = |other: &str, ts: &str| {
        (other == "date" || (other == "timestamp without time zone" && ts == "timestamp with time zone"))
            .then(|| ts.to_string())
    };
    match (a, b) {
        (_, "timestamp without time zone" | "timestamp with time zone") => (timestamp(a, b), None),
        ("timestamp without time zone" | "timestamp with time zone", _) => (None, timestamp(b, a)),
        _ => (None, None),
    }
}

/// The type an untyped literal takes beside an operand of type `ty`.
fn literal_beside(ty: &Ty) -> String {
    match ty {
        Ty::Of(t) => base(t),
        Ty::Unknown | Ty::Opaque => "text".into(),
    }
}

/// A binary operator (`AND` and `OR` included) over operands typed `left`
/// and `right`.
pub(super) fn binary(op: &str, left: &Ty, right: &Ty) -> Coercion {
    let two = |l: Option<String>, r: Option<String>, result: Ty| Coercion { operands: vec![l, r], result };
    let boolean = Ty::of("boolean");
    match op {
        "AND" | "OR" => two(None, None, boolean),
        "=" | "<>" | "<" | ">" | "<=" | ">=" => {
            let (l, r) = match (left, right) {
                (Ty::Of(a), Ty::Of(b)) => compared(&base(a), &base(b)),
                (Ty::Unknown, Ty::Unknown) => (Some("text".into()), Some("text".into())),
                // There is no varchar operator: both sides become text.
                (Ty::Of(a), Ty::Unknown) if base(a) == "character varying" => {
                    (Some("text".into()), Some("text".into()))
                }
                (Ty::Unknown, Ty::Of(b)) if base(b) == "character varying" => {
                    (Some("text".into()), Some("text".into()))
                }
                (Ty::Unknown, other) => (Some(literal_beside(other)), None),
                (other, Ty::Unknown) => (None, Some(literal_beside(other))),
                _ => (None, None),
            };
            two(l, r, boolean)
        }
        "+" | "-" | "*" | "/" | "%" | "^" => arithmetic(left, right),
        "||" => {
            let text = |t: &Ty| match t {
                Ty::Unknown => Some("text".to_string()),
                Ty::Of(t) if matches!(base(t).as_str(), "character varying" | "bpchar") => Some("text".into()),
                _ => None,
            };
            two(text(left), text(right), Ty::of("text"))
        }
        "~~" | "!~~" | "~~*" | "!~~*" | "~" | "!~" | "~*" | "!~*" => {
            let l = match left {
                Ty::Of(t) if base(t) == "bpchar" => None,
                Ty::Of(t) if base(t) == "text" => None,
                Ty::Of(t) if !is_string(&base(t)) => None,
                _ => Some("text".to_string()),
            };
            let r = match right {
                Ty::Of(t) if base(t) == "text" => None,
                Ty::Opaque => None,
                _ => Some("text".to_string()),
            };
            two(l, r, boolean)
        }
        _ => {
            let text = |t: &Ty| (*t == Ty::Unknown).then(|| "text".to_string());
            two(text(left), text(right), Ty::Opaque)
        }
    }
}

fn arithmetic(left: &Ty, right: &Ty) -> Coercion {
    let two = |l: Option<String>, r: Option<String>, result: Ty| Coercion { operands: vec![l, r], result };
    match (left, right) {
        (Ty::Of(a), Ty::Of(b)) if is_number(&base(a)) && is_number(&base(b)) => {
            let (l, r, result) = numbers(&base(a), &base(b));
            two(l, r, Ty::Of(result))
        }
        (Ty::Of(a), Ty::Unknown) => two(None, Some(base(a)), Ty::Of(base(a))),
        (Ty::Unknown, Ty::Of(b)) => two(Some(base(b)), None, Ty::Of(base(b))),
        _ => two(None, None, Ty::Opaque),
    }
}

/// The type several values meet at (CASE results, COALESCE arguments,
/// an IN list), as PostgreSQL's `select_common_type` picks it.
pub(super) fn common(types: &[Ty]) -> Ty {
    let known: Vec<&String> = types.iter().filter_map(|t| if let Ty::Of(t) = t { Some(t) } else { None }).collect();
    let Some(first) = known.first() else {
        return if types.contains(&Ty::Opaque) { Ty::Opaque } else { Ty::of("text") };
    };
    if known.iter().all(|t| t == first) {
        return Ty::Of((*first).clone());
    }
    let bases: Vec<String> = known.iter().map(|t| base(t)).collect();
    if bases.iter().all(|b| is_number(b)) {
        let met = bases.iter().skip(1).fold(bases.first().cloned().unwrap_or_default(), |a, b| numbers(&a, b).2);
        return Ty::Of(met);
    }
    if bases.iter().all(|b| is_string(b)) {
        let same = bases.iter().all(|b| Some(b) == bases.first());
        return Ty::Of(if same { bases.first().cloned().unwrap_or_default() } else { "text".into() });
    }
    Ty::Of(base(first))
}

/// The cast a value of type `ty` needs to become `to`, if any.
pub(super) fn cast_to(ty: &Ty, to: &str) -> Option<String> {
    match ty {
        Ty::Of(t) if base(t) == base(to) => None,
        Ty::Opaque => None,
        _ => Some(to.to_string()),
    }
}

/// A function call (not COALESCE and its kind, see [`common`]).
pub(super) fn function(name: &str, args: &[Ty]) -> Coercion {
    let to_text = |t: &Ty| match t {
        Ty::Unknown => Some("text".to_string()),
        Ty::Of(t) if matches!(base(t).as_str(), "character varying" | "bpchar") => Some("text".into()),
        _ => None,
    };
    let first = args.first().cloned().unwrap_or(Ty::Opaque);
    let first_base = match &first {
        Ty::Of(t) => base(t),
        _ => String::new(),
    };
    let none = || vec![None; args.len()];
    let (operands, result) = match name {
        "count" => (none(), Ty::of("bigint")),
        "sum" => (none(), sum_type(&first_base).map(Ty::Of).unwrap_or(Ty::Opaque)),
        "avg" if is_float(&first_base) => (none(), Ty::of("double precision")),
        "avg" if is_number(&first_base) => (none(), Ty::of("numeric")),
        "min" | "max" if first_base == "character varying" || first == Ty::Unknown => {
            (vec![Some("text".into())], Ty::of("text"))
        }
        "min" | "max" | "abs" => (none(), first.clone()),
        // Taken by numeric and double precision, the other numbers cast to the latter.
        "round" | "trunc" | "ceil" | "ceiling" | "floor" | "sign" if is_number(&first_base) => {
            if first_base == "numeric" || first_base == "double precision" {
                (none(), first.clone())
            } else {
                let mut operands = none();
                if let Some(operand) = operands.first_mut() {
                    *operand = Some("double precision".into());
                }
                (operands, Ty::of("double precision"))
            }
        }
        "lower" | "upper" | "initcap" | "btrim" | "ltrim" | "rtrim" | "md5" | "reverse" | "replace" | "substr"
        | "left" | "right" | "repeat" | "lpad" | "rpad" | "split_part" | "translate" | "string_agg" => {
            (args.iter().map(to_text).collect(), Ty::of("text"))
        }
        "length" | "char_length" | "character_length" | "octet_length" | "strpos" | "ascii" => {
            (args.iter().map(to_text).collect(), Ty::of("integer"))
        }
        "now" | "transaction_timestamp" | "statement_timestamp" | "clock_timestamp" => {
            (none(), Ty::of("timestamp with time zone"))
        }
        "bool_and" | "bool_or" | "every" => (none(), Ty::of("boolean")),
        _ => (args.iter().map(|t| (*t == Ty::Unknown).then(|| "text".to_string())).collect(), Ty::Opaque),
    };
    Coercion { operands, result }
}

fn sum_type(base: &str) -> Option<String> {
    Some(match base {
        "smallint" | "integer" => "bigint".into(),
        "bigint" | "numeric" => "numeric".into(),
        "real" | "double precision" => base.into(),
        _ => return None,
    })
}

/// The functions PostgreSQL prints in upper case, as the expressions of
/// their own they are (`COALESCE(a, b)`); their result is the arguments'
/// common type.
pub(super) fn is_common_function(name: &str) -> bool {
    matches!(name, "coalesce" | "nullif" | "greatest" | "least")
}

/// The type of an integer or decimal literal: `integer` when it fits,
/// then `bigint`, else `numeric`.
pub(super) fn number_type(text: &str) -> &'static str {
    if text.contains(['.', 'e', 'E']) {
        "numeric"
    } else if text.parse::<i32>().is_ok() {
        "integer"
    } else if text.parse::<i64>().is_ok() {
        "bigint"
    } else {
        "numeric"
    }
}

/// The type of a (bound) expression.
pub(super) fn infer(expr: &Expr) -> Ty {
    match expr {
        Expr::Column { ty, .. } => ty.clone().map(Ty::Of).unwrap_or(Ty::Opaque),
        Expr::Literal(Literal::Number(n)) => Ty::of(number_type(n)),
        Expr::Literal(Literal::String(_) | Literal::Null) => Ty::Unknown,
        Expr::Literal(Literal::Bool(_)) => Ty::of("boolean"),
        Expr::Keyword(k) => keyword_type(k),
        Expr::Unary { op: UnaryOp::Not, .. } => Ty::of("boolean"),
        Expr::Unary { expr, .. } | Expr::Nested(expr) => infer(expr),
        Expr::Binary { op, left, right } => binary(op, &infer(left), &infer(right)).result,
        Expr::IsNull { .. }
        | Expr::IsBool { .. }
        | Expr::IsDistinct { .. }
        | Expr::InList { .. }
        | Expr::InQuery { .. }
        | Expr::Between { .. }
        | Expr::Exists { .. } => Ty::of("boolean"),
        Expr::Function { name, args, .. } if is_common_function(name) => {
            common(&args.iter().map(infer).collect::<Vec<_>>())
        }
        Expr::Function { name, args, .. } => function(name, &args.iter().map(infer).collect::<Vec<_>>()).result,
        Expr::Cast { ty, .. } => Ty::Of(ty.clone()),
        Expr::Case { whens, otherwise, .. } => {
            let mut results: Vec<Ty> = whens.iter().map(|(_, then)| infer(then)).collect();
            results.extend(otherwise.iter().map(|e| infer(e)));
            common(&results)
        }
        Expr::Subquery(query) => query_types(query).into_iter().next().unwrap_or(Ty::Opaque),
        Expr::Array(_) => Ty::Opaque,
    }
}

fn keyword_type(keyword: &str) -> Ty {
    Ty::of(match keyword {
        "CURRENT_DATE" => "date",
        "CURRENT_TIMESTAMP" => "timestamp with time zone",
        "LOCALTIMESTAMP" => "timestamp without time zone",
        "CURRENT_TIME" => "time with time zone",
        "LOCALTIME" => "time without time zone",
        _ => "name",
    })
}

/// The types of a (bound) query's result columns, from its first SELECT.
pub(super) fn query_types(query: &Query) -> Vec<Ty> {
    query
        .first_select()
        .items
        .iter()
        .map(|item| match item {
            SelectItem::Expr { expr, .. } => match infer(expr) {
                Ty::Unknown => Ty::of("text"),
                other => other,
            },
            _ => Ty::Opaque,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(t: &str) -> Ty {
        Ty::Of(t.into())
    }

    #[test]
    fn type_names_read_as_format_type_prints_them() {
        let none: &[String] = &[];
        assert_eq!(canonical("int", none).unwrap(), "integer");
        assert_eq!(canonical("varchar", &["3".into()]).unwrap(), "character varying(3)");
        assert_eq!(canonical("char", none).unwrap(), "character(1)");
        assert_eq!(canonical("decimal", &["10".into(), "2".into()]).unwrap(), "numeric(10,2)");
        assert_eq!(canonical("timestamp", &["3".into()]).unwrap(), "timestamp(3) without time zone");
        assert_eq!(canonical("timestamptz", none).unwrap(), "timestamp with time zone");
        assert_eq!(canonical("float", &["10".into()]).unwrap(), "real");
        assert_eq!(base("numeric(10,2)"), "numeric");
        assert_eq!(base("character(3)"), "bpchar");
        assert_eq!(base("timestamp(3) without time zone"), "timestamp without time zone");
    }

    #[test]
    fn comparisons_cast_as_postgresql_resolves_them() {
        let cmp = |l: Ty, r: Ty| binary("=", &l, &r).operands;
        let some = |t: &str| Some(t.to_string());
        assert_eq!(cmp(of("character varying(10)"), Ty::Unknown), vec![some("text"), some("text")]);
        assert_eq!(cmp(of("character(3)"), Ty::Unknown), vec![None, some("bpchar")]);
        assert_eq!(cmp(of("numeric(10,2)"), of("integer")), vec![None, some("numeric")]);
        assert_eq!(cmp(of("integer"), of("bigint")), vec![None, None]);
        assert_eq!(cmp(of("real"), of("numeric")), vec![None, some("double precision")]);
        assert_eq!(cmp(of("date"), Ty::Unknown), vec![None, some("date")]);
        assert_eq!(binary("+", &of("integer"), &of("bigint")).result, of("bigint"));
        assert_eq!(binary("||", &of("character varying(3)"), &Ty::Unknown).operands, vec![some("text"), some("text")]);
        assert_eq!(common(&[of("integer"), of("numeric(10,2)")]), of("numeric"));
        assert_eq!(common(&[Ty::Unknown, Ty::Unknown]), of("text"));
        assert_eq!(common(&[of("character varying(3)"), Ty::Unknown]), of("character varying(3)"));
        assert_eq!(number_type("5000000000"), "bigint");
    }
}
