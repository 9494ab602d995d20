//! `COMMENT ON`: which object a comment is on, and its text (`NULL`
//! removes it). The executor keeps comments in the table's metadata, so
//! the objects are a table and its parts: columns, indexes, constraints;
//! a schema's comment is in the schema's metadata.
//!
//! sqlparser 0.64 has no `COMMENT ON CONSTRAINT name ON table`, which
//! SQLAlchemy and pg_dump emit, so that one form is read from the tokens.

use sqlparser::ast::{CommentObject, Ident, ObjectName, ObjectNamePart, Statement};
use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Token, TokenWithSpan};

use crate::ddl::DdlPlan;
use crate::dialect::Dialect;
use crate::error::PlanError;
use crate::names;

/// What a `COMMENT ON` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommentOn {
    Table(String),
    Column {
        table: String,
        column: String,
    },
    /// An index, by its name (the executor finds its table).
    Index(String),
    /// A constraint of a table, by its name.
    Constraint {
        table: String,
        name: String,
    },
    /// A schema, by its name.
    Schema(String),
}

/// Plans a parsed `COMMENT ON` statement.
pub(crate) fn plan_comment(statement: Statement) -> Result<DdlPlan, PlanError> {
    let Statement::Comment { object_type, object_name, comment, if_exists } = statement else {
        return Err(PlanError::unsupported("this statement"));
    };
    if if_exists {
        return Err(PlanError::unsupported("COMMENT IF EXISTS"));
    }
    let on = match object_type {
        CommentObject::Table => CommentOn::Table(names::resolve_target(&object_name)?),
        CommentObject::Index => CommentOn::Index(names::resolve_object(&object_name)?),
        CommentObject::Column => {
            let (column, table) = match object_name.0.split_last() {
                Some((ObjectNamePart::Identifier(column), table)) if !table.is_empty() => {
                    (names::fold(column), ObjectName(table.to_vec()))
                }
                _ => {
                    return Err(PlanError::new(
                        "42601",
                        format!("column name must be qualified: COMMENT ON COLUMN {object_name}"),
                    ))
                }
            };
            CommentOn::Column { table: names::resolve_target(&table)?, column }
        }
        CommentObject::Schema => CommentOn::Schema(crate::schemas::schema_name(&object_name)?),
        other => {
            return Err(PlanError::unsupported(format!("COMMENT ON {other}"))
                .with_hint("rowchain keeps comments on tables, columns, indexes, constraints and schemas"))
        }
    };
    Ok(DdlPlan::Comment { on, text: comment })
}

/// `COMMENT ON CONSTRAINT name ON table IS 'text' | NULL`, when that is
/// the whole of `sql`: `None` for any other text, which is then parsed as
/// usual (and a malformed COMMENT ON CONSTRAINT gets sqlparser's error).
pub(crate) fn constraint_comment(sql: &str) -> Option<Result<DdlPlan, PlanError>> {
    let tokens = crate::parse::tokens(sql, Dialect::Postgres).ok()?;
    let mut words = tokens.iter().filter(|t| !matches!(t.token, Token::Whitespace(_) | Token::EOF)).peekable();
    for keyword in [Keyword::COMMENT, Keyword::ON, Keyword::CONSTRAINT] {
        if !is_keyword(words.next()?, keyword) {
            return None;
        }
    }
    let name = ident(words.next()?)?;
    if !is_keyword(words.next()?, Keyword::ON) {
        return None;
    }
    let mut table = vec![ObjectNamePart::Identifier(ident(words.next()?)?)];
    while matches!(words.peek(), Some(t) if t.token == Token::Period) {
        words.next();
        table.push(ObjectNamePart::Identifier(ident(words.next()?)?));
    }
    if !is_keyword(words.next()?, Keyword::IS) {
        return None;
    }
    let text = match &words.next()?.token {
        Token::SingleQuotedString(s) | Token::EscapedStringLiteral(s) => Some(s.clone()),
        Token::DollarQuotedString(s) => Some(s.value.clone()),
        Token::Word(w) if w.keyword == Keyword::NULL && w.quote_style.is_none() => None,
        _ => return None,
    };
    match words.next().map(|t| &t.token) {
        None => {}
        Some(Token::SemiColon) if words.peek().is_none() => {}
        Some(Token::SemiColon) => {
            return Some(Err(PlanError::unsupported("COMMENT ON CONSTRAINT among other statements")
                .with_hint("send it as a statement of its own")))
        }
        Some(_) => return None,
    }
    Some(
        names::resolve_target(&ObjectName(table))
            .map(|table| DdlPlan::Comment { on: CommentOn::Constraint { table, name: names::fold(&name) }, text }),
    )
}

fn is_keyword(token: &TokenWithSpan, keyword: Keyword) -> bool {
    matches!(&token.token, Token::Word(w) if w.keyword == keyword && w.quote_style.is_none())
}

fn ident(token: &TokenWithSpan) -> Option<Ident> {
    match &token.token {
        Token::Word(w) => Some(w.to_ident(token.span)),
        _ => None,
    }
}
