//! The constraint names a table's definition declares, read back from the
//! SQLite text sqlmap rendered for it (`CONSTRAINT "name" ...`). SQLite
//! keeps that text but no catalog of constraint names, and PostgreSQL
//! clients name constraints (`COMMENT ON CONSTRAINT`, reflection).

use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Token, Tokenizer};

use crate::dialect::Dialect;

/// What a declared constraint is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConstraintKind {
    PrimaryKey,
    Unique,
    Check,
    ForeignKey,
    /// `CONSTRAINT name NOT NULL`, `... DEFAULT` and other column clauses.
    Other,
}

impl ConstraintKind {
    /// PostgreSQL's name for an unnamed constraint of this kind on
    /// `columns` of `table`: `t_pkey`, `t_a_b_key`, `t_a_fkey`, `t_a_check`
    /// (`t_check` for a check on no one column).
    pub fn default_name(self, table: &str, columns: &[String]) -> String {
        let suffix = match self {
            ConstraintKind::PrimaryKey => return format!("{table}_pkey"),
            ConstraintKind::Unique => "key",
            ConstraintKind::ForeignKey => "fkey",
            ConstraintKind::Check | ConstraintKind::Other => "check",
        };
        if columns.is_empty() {
            format!("{table}_{suffix}")
        } else {
            format!("{table}_{}_{suffix}", columns.join("_"))
        }
    }
}

/// A named constraint of a table's definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredConstraint {
    pub name: String,
    pub kind: ConstraintKind,
    /// The constrained columns: the column a column constraint is declared
    /// on, or the key list of a table constraint (none for CHECK).
    pub columns: Vec<String>,
}

/// The named constraints of a `CREATE TABLE` text as sqlmap renders it
/// for SQLite (identifiers double-quoted), in declared order. Text that
/// does not tokenize yields none.
pub fn declared_constraints(create_table: &str) -> Vec<DeclaredConstraint> {
    let Ok(tokens) = Tokenizer::new(Dialect::Postgres.parser_dialect(), create_table).tokenize() else {
        return Vec::new();
    };
    let tokens: Vec<Token> = tokens.into_iter().filter(|t| !matches!(t, Token::Whitespace(_))).collect();
    let mut out = Vec::new();
    let mut depth = 0usize;
    // The column whose definition is being read (depth 1, since the last
    // top-level comma), if this definition is a column's.
    let mut column: Option<String> = None;
    let mut at_start = false;
    let mut i = 0;
    while let Some(token) = tokens.get(i) {
        match token {
            Token::LParen => {
                depth += 1;
                if depth == 1 {
                    at_start = true;
                }
            }
            Token::RParen => depth = depth.saturating_sub(1),
            Token::Comma if depth == 1 => at_start = true,
            Token::Word(w) if depth == 1 => {
                if at_start {
                    at_start = false;
                    column = match w.keyword {
                        _ if w.quote_style.is_some() => Some(w.value.clone()),
                        Keyword::CONSTRAINT
                        | Keyword::PRIMARY
                        | Keyword::UNIQUE
                        | Keyword::CHECK
                        | Keyword::FOREIGN => None,
                        _ => Some(w.value.clone()),
                    };
                }
                if w.keyword == Keyword::CONSTRAINT && w.quote_style.is_none() {
                    if let Some(Token::Word(name)) = tokens.get(i + 1) {
                        let (kind, key_at) = match tokens.get(i + 2) {
                            Some(Token::Word(k)) if k.keyword == Keyword::PRIMARY => {
                                (ConstraintKind::PrimaryKey, i + 4)
                            }
                            Some(Token::Word(k)) if k.keyword == Keyword::UNIQUE => (ConstraintKind::Unique, i + 3),
                            Some(Token::Word(k)) if k.keyword == Keyword::CHECK => (ConstraintKind::Check, 0),
                            Some(Token::Word(k)) if k.keyword == Keyword::FOREIGN => {
                                (ConstraintKind::ForeignKey, i + 4)
                            }
                            Some(Token::Word(k)) if k.keyword == Keyword::REFERENCES => (ConstraintKind::ForeignKey, 0),
                            _ => (ConstraintKind::Other, 0),
                        };
                        let columns = match &column {
                            Some(c) => vec![c.clone()],
                            None if key_at > 0 => key_list(&tokens, key_at),
                            None => Vec::new(),
                        };
                        out.push(DeclaredConstraint { name: name.value.clone(), kind, columns });
                        i += 2;
                        continue;
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// The identifiers of the parenthesized list starting at `tokens[at]`.
fn key_list(tokens: &[Token], at: usize) -> Vec<String> {
    if tokens.get(at) != Some(&Token::LParen) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for token in tokens.iter().skip(at + 1) {
        match token {
            Token::RParen => break,
            Token::Word(w) => out.push(w.value.clone()),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(sql: &str) -> Vec<(String, ConstraintKind, Vec<String>)> {
        declared_constraints(sql).into_iter().map(|c| (c.name, c.kind, c.columns)).collect()
    }

    fn c(name: &str, kind: ConstraintKind, columns: &[&str]) -> (String, ConstraintKind, Vec<String>) {
        (name.into(), kind, columns.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn named_table_and_column_constraints_are_found_with_their_columns() {
        let sql = r#"CREATE TABLE "t" ("id" INTEGER CONSTRAINT "t pk" PRIMARY KEY, "a" TEXT CONSTRAINT "a_u" UNIQUE CHECK (length("a") <= 5), "b" INTEGER CONSTRAINT "b_fk" REFERENCES "p" ("x"), "c" TEXT DEFAULT ('CONSTRAINT "no" UNIQUE'), CONSTRAINT "cc" CHECK ("b" > 0 AND "c" <> ','), CONSTRAINT "multi" UNIQUE ("a", "b"), UNIQUE ("c"), CONSTRAINT "fk2" FOREIGN KEY ("b", "c") REFERENCES "q" ("x", "y")) STRICT"#;
        assert_eq!(
            names(sql),
            [
                c("t pk", ConstraintKind::PrimaryKey, &["id"]),
                c("a_u", ConstraintKind::Unique, &["a"]),
                c("b_fk", ConstraintKind::ForeignKey, &["b"]),
                c("cc", ConstraintKind::Check, &[]),
                c("multi", ConstraintKind::Unique, &["a", "b"]),
                c("fk2", ConstraintKind::ForeignKey, &["b", "c"]),
            ]
        );
        let pk = r#"CREATE TABLE "e" ("address_id" INTEGER NOT NULL, "x" TEXT, CONSTRAINT "email_ad_pk" PRIMARY KEY ("address_id", "x")) STRICT"#;
        assert_eq!(names(pk), [c("email_ad_pk", ConstraintKind::PrimaryKey, &["address_id", "x"])]);
    }

    #[test]
    fn text_without_names_or_that_does_not_tokenize_declares_none() {
        assert!(names(r#"CREATE TABLE "t" ("a" INTEGER PRIMARY KEY, UNIQUE ("a")) STRICT"#).is_empty());
        assert!(names("CREATE TABLE t (a 'unterminated").is_empty());
        assert!(names("").is_empty());
        assert!(names("CONSTRAINT").is_empty());
    }
}
