//! MySQL's names for result columns: an alias as written (`AS Total` is
//! `Total`), else the expression as written (`COUNT(*)`, `a+1`, `NOW()`),
//! a string literal's value, a column's name; PostgreSQL's names (`total`,
//! `count`, `?column?`) would break clients that read columns by name.
//! SQLite matches names without regard to case, so `ORDER BY total` still
//! finds `Total`.

use sqlparser::ast::{Expr, Ident, SelectItem, SetExpr, Statement, Value, ValueWithSpan};
use sqlparser::tokenizer::{Token, TokenWithSpan};

use crate::error::SourceMap;

/// MySQL cuts longer names to this many characters.
const LABEL_CHARS_MAX: usize = 256;

/// Words that end a SELECT list.
const LIST_END: &[&str] = &[
    "FROM",
    "WHERE",
    "GROUP",
    "HAVING",
    "ORDER",
    "LIMIT",
    "UNION",
    "EXCEPT",
    "INTERSECT",
    "INTO",
    "FOR",
    "LOCK",
    "WINDOW",
];

/// Words that may follow SELECT before its list.
const MODIFIERS: &[&str] = &[
    "ALL",
    "DISTINCT",
    "DISTINCTROW",
    "HIGH_PRIORITY",
    "STRAIGHT_JOIN",
    "SQL_SMALL_RESULT",
    "SQL_BIG_RESULT",
    "SQL_BUFFER_RESULT",
    "SQL_NO_CACHE",
    "SQL_CALC_FOUND_ROWS",
];

/// Names the unaliased expressions of a query's (first) SELECT list from
/// `tokens`, the statement's tokens; other statements are left alone.
pub(super) fn name_columns(
    statement: &mut Statement,
    text: &super::Text<'_>,
    source: &SourceMap,
    tokens: &[TokenWithSpan],
) {
    let Statement::Query(query) = statement else {
        return;
    };
    let mut body = query.body.as_mut();
    while let SetExpr::SetOperation { left, .. } = body {
        body = left.as_mut();
    }
    let SetExpr::Select(select) = body else {
        return;
    };
    let items = select_list(tokens);
    if items.len() != select.projection.len() {
        return;
    }
    for (item, tokens) in select.projection.iter_mut().zip(items) {
        let expr = match item {
            SelectItem::UnnamedExpr(expr) => expr,
            SelectItem::ExprWithAlias { alias, .. } => {
                // Single-quoted: lowering keeps its case (see `lower`).
                alias.quote_style = Some('\'');
                continue;
            }
            _ => continue,
        };
        // A system variable (`@@x`) becomes a function call; it is labelled
        // as written, like other expressions.
        let variable = match expr {
            Expr::Identifier(ident) => ident.value.starts_with("@@"),
            Expr::CompoundIdentifier(idents) => idents.first().is_some_and(|i| i.value.starts_with("@@")),
            _ => false,
        };
        let label = match expr {
            Expr::Identifier(_) | Expr::CompoundIdentifier(_) if !variable => continue,
            Expr::Value(ValueWithSpan {
                value: Value::SingleQuotedString(s) | Value::DoubleQuotedString(s), ..
            }) => s.clone(),
            _ => match (tokens.first(), tokens.last()) {
                (Some(first), Some(last)) => super::span_text(text, source, first, last),
                _ => continue,
            },
        };
        let label: String = label.chars().take(LABEL_CHARS_MAX).collect();
        if !label.is_empty() {
            // Single-quoted: lowering keeps its case (see `lower`).
            let alias = Ident::with_quote('\'', label);
            *item = SelectItem::ExprWithAlias { expr: expr.clone(), alias };
        }
    }
}

/// The significant tokens of each item of the first SELECT list that is
/// not inside parentheses.
fn select_list(tokens: &[TokenWithSpan]) -> Vec<Vec<&TokenWithSpan>> {
    let is_word = |token: &Token, words: &[&str]| matches!(token, Token::Word(w) if w.quote_style.is_none() && words.iter().any(|k| w.value.eq_ignore_ascii_case(k)));
    let mut significant = tokens.iter().filter(|t| !matches!(t.token, Token::Whitespace(_)));
    let mut depth = 0usize;
    for t in significant.by_ref() {
        match &t.token {
            Token::LParen => depth += 1,
            Token::RParen => depth = depth.saturating_sub(1),
            token if depth == 0 && is_word(token, &["SELECT"]) => break,
            _ => {}
        }
    }
    let mut items = vec![Vec::new()];
    let mut depth = 0usize;
    let mut started = false;
    for t in significant {
        if !started && is_word(&t.token, MODIFIERS) {
            continue;
        }
        started = true;
        match &t.token {
            Token::LParen => depth += 1,
            Token::RParen => depth = depth.saturating_sub(1),
            Token::Comma if depth == 0 => {
                items.push(Vec::new());
                continue;
            }
            token if depth == 0 && is_word(token, LIST_END) => break,
            _ => {}
        }
        if let Some(item) = items.last_mut() {
            item.push(t);
        }
    }
    items
}
