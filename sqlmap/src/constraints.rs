//! The constraint names a table's definition declares, read back from the
//! SQLite text sqlmap rendered for it (`CONSTRAINT "name" ...`), and its
//! CHECK constraints with the names PostgreSQL gives them. SQLite keeps
//! that text but no catalog of constraints, and PostgreSQL clients name
//! constraints (`COMMENT ON CONSTRAINT`, reflection).

use std::collections::BTreeSet;

use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer, Whitespace};

use crate::dialect::Dialect;
use crate::error::SourceMap;
use crate::mysql::{span_text, Text};
use crate::names::quote;
use crate::types::PgType;

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

/// The comment sqlmap writes right after a CHECK it adds for what a MySQL
/// column type allows (`TINYINT`'s range, an `ENUM`'s members, a `SET`'s),
/// which [`check_clauses`] reads back: that check is the column type's,
/// not one the user declared. A comment, so SQLite's message for a
/// violated check (the text between its parentheses) stays the same.
pub(crate) const MYSQL_TYPE_CHECK_MARK: &str = "rowchain: MySQL column type";

/// The expression of the CHECK rowchain adds to a `varchar(n)` or
/// `char(n)` column `column` (`length("c") <= n`): what enforces the
/// length, which PostgreSQL's type itself enforces and lists no check for.
pub(crate) fn length_check(column: &str, length: u32) -> String {
    format!("length({}) <= {length}", quote(column))
}

/// A CHECK clause of a `CREATE TABLE` text as sqlmap renders it for SQLite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckClause {
    /// The declared name (`CONSTRAINT "name" CHECK (...)`).
    pub name: Option<String>,
    /// The column whose definition holds the clause; `None` for a table
    /// constraint.
    pub column: Option<String>,
    /// The expression between the clause's parentheses, as rendered
    /// (double-quoted identifiers, SQLite's CAST).
    pub expression: String,
    /// The table's columns the expression names, each once, in order of
    /// first appearance (PostgreSQL's `conkey`).
    pub references: Vec<String>,
    /// Nothing follows the clause in its column's definition.
    pub ends_column: bool,
    /// Marked as the check of a MySQL column type ([`MYSQL_TYPE_CHECK_MARK`]).
    pub mysql_type: bool,
}

/// The CHECK clauses of a `CREATE TABLE` text as sqlmap renders it for
/// SQLite, column and table constraints in the order written (a column
/// SQLite's ADD COLUMN appended comes after the table constraints). Text
/// that does not tokenize, or whose column list does not close, yields none.
pub fn check_clauses(create_table: &str) -> Vec<CheckClause> {
    let Ok(tokens) = Tokenizer::new(Dialect::Postgres.parser_dialect(), create_table).tokenize_with_location() else {
        return Vec::new();
    };
    let Some(elements) = definitions(&tokens) else { return Vec::new() };
    let columns: Vec<String> = elements.iter().filter_map(|e| element_column(e)).collect();
    let spans = (Text::new(create_table), SourceMap::new(create_table));
    let mut out = Vec::new();
    for element in &elements {
        read_checks(element, &columns, &spans, &mut out);
    }
    out
}

/// The stored generated columns of a rendered CREATE TABLE, in order:
/// (column, its expression as rendered for SQLite).
pub fn generated_columns(create_table: &str) -> Vec<(String, String)> {
    let Ok(tokens) = Tokenizer::new(Dialect::Postgres.parser_dialect(), create_table).tokenize_with_location() else {
        return Vec::new();
    };
    let Some(elements) = definitions(&tokens) else { return Vec::new() };
    let spans = (Text::new(create_table), SourceMap::new(create_table));
    let mut out = Vec::new();
    for element in &elements {
        let Some(column) = element_column(element) else { continue };
        let tokens: Vec<(usize, &TokenWithSpan)> = element.iter().enumerate().filter(|(_, t)| significant(t)).collect();
        let keyword = |at: usize, k: Keyword| matches!(tokens.get(at), Some((_, t)) if matches!(&t.token, Token::Word(w) if w.keyword == k && w.quote_style.is_none()));
        let Some(at) = (0..tokens.len()).find(|&at| {
            keyword(at, Keyword::GENERATED) && keyword(at + 1, Keyword::ALWAYS) && keyword(at + 2, Keyword::AS)
        }) else {
            continue;
        };
        if tokens.get(at + 3).is_none_or(|(_, t)| t.token != Token::LParen) {
            continue;
        }
        let Some(close) = closing(&tokens, at + 3) else { continue };
        if let (Some((_, first)), Some((_, last))) = (tokens.get(at + 4), tokens.get(close.wrapping_sub(1))) {
            if close > at + 4 {
                out.push((column, span_text(&spans.0, &spans.1, first, last)));
            }
        }
    }
    out
}

/// A table's own CHECK constraints, as PostgreSQL lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableCheck {
    /// The declared name, else the one PostgreSQL chooses.
    pub name: String,
    /// The expression as rendered for SQLite.
    pub expression: String,
    /// The columns the expression names ([`CheckClause::references`]).
    pub references: Vec<String>,
    /// The column whose definition declares it.
    pub column: Option<String>,
}

/// The CHECK constraints the user declared on `table` (its name within
/// its schema), whose SQLite definition is `create_table`, with the
/// names PostgreSQL gives them; `type_of` gives a column's declared type.
///
/// The checks rowchain adds itself are left out. Both are unnamed
/// column constraints, and each is told apart exactly:
/// - a `varchar(n)` or `char(n)` column's length check is the last clause
///   of that column's definition (sqlmap renders it after every clause
///   the user wrote) and reads exactly [`length_check`] of the column and
///   its declared `n`. A user's identical check comes before it, so it
///   stays listed; so does one on a column of another type or length.
/// - the check of a MySQL column type carries [`MYSQL_TYPE_CHECK_MARK`],
///   which only sqlmap writes: comments never reach the rendered text
///   from a statement. (Tables created before the mark existed show
///   theirs as the user's.)
///
/// An unnamed check is named as PostgreSQL's `ChooseConstraintName` names
/// it: `<table>_<column>_check` when its expression names exactly one
/// column, else `<table>_check`, with `check1`, `check2`, ... for `check`
/// while the name is taken, within 63 bytes (`makeObjectName`). Taken are
/// the names of the checks before it and every name the definition
/// declares: PostgreSQL also looks through the other tables of the
/// schema, which a definition read alone cannot see, and refuses a
/// declared name an earlier unnamed check already took, which sqlmap does
/// not; the names agree wherever PostgreSQL accepts the table.
pub fn table_checks(create_table: &str, table: &str, type_of: &dyn Fn(&str) -> Option<PgType>) -> Vec<TableCheck> {
    let mut taken: BTreeSet<String> = declared_constraints(create_table).into_iter().map(|c| c.name).collect();
    let mut out = Vec::new();
    for clause in check_clauses(create_table) {
        if implied(&clause, type_of) {
            continue;
        }
        let name = match clause.name {
            Some(name) => name,
            None => {
                let column = match clause.references.as_slice() {
                    [one] => Some(one.as_str()),
                    _ => None,
                };
                default_check_name(table, column, &taken)
            }
        };
        taken.insert(name.clone());
        out.push(TableCheck {
            name,
            expression: clause.expression,
            references: clause.references,
            column: clause.column,
        });
    }
    out
}

/// Whether rowchain added `clause` itself (see [`table_checks`]).
fn implied(clause: &CheckClause, type_of: &dyn Fn(&str) -> Option<PgType>) -> bool {
    let (None, Some(column)) = (&clause.name, &clause.column) else { return false };
    if clause.mysql_type {
        return true;
    }
    let length = type_of(column).and_then(|ty| ty.max_length());
    clause.ends_column && length.is_some_and(|n| clause.expression == length_check(column, n))
}

/// The first of `<table>_<column>_check`, `..._check1`, ... not `taken`.
fn default_check_name(table: &str, column: Option<&str>, taken: &BTreeSet<String>) -> String {
    // Each name taken rules out at most one candidate.
    (0..=taken.len())
        .map(|n| object_name(table, column, &if n == 0 { "check".to_string() } else { format!("check{n}") }))
        .find(|name| !taken.contains(name))
        .unwrap_or_default()
}

/// PostgreSQL's `makeObjectName`: `name1_name2_label`, the longer of
/// `name1` and `name2` shortened first (at a character boundary) until
/// the whole fits in NAMEDATALEN - 1 = 63 bytes.
fn object_name(name1: &str, name2: Option<&str>, label: &str) -> String {
    const NAME_BYTES_MAX: usize = 63;
    let overhead = label.len() + 1 + usize::from(name2.is_some());
    let available = NAME_BYTES_MAX.saturating_sub(overhead);
    let (mut keep1, mut keep2) = (name1.len(), name2.map_or(0, str::len));
    if keep1 + keep2 > available {
        // One byte at a time off the longer (`name2` on a tie): the longer
        // until they are even, then both alternately, `name2` first.
        let excess = keep1 + keep2 - available;
        let gap = keep1.abs_diff(keep2).min(excess);
        if keep1 > keep2 {
            keep1 -= gap;
        } else {
            keep2 -= gap;
        }
        let rest = excess - gap;
        keep2 -= rest - rest / 2;
        keep1 -= rest / 2;
    }
    let clip = |s: &str, mut n: usize| {
        while !s.is_char_boundary(n) {
            n -= 1;
        }
        s.get(..n).unwrap_or_default().to_string()
    };
    let mut name = clip(name1, keep1);
    if let Some(name2) = name2 {
        name.push('_');
        name.push_str(&clip(name2, keep2));
    }
    name.push('_');
    name.push_str(label);
    name
}

/// The definitions of a `CREATE TABLE`: the tokens of each item of its
/// first parenthesized list, between the top-level commas.
fn definitions(tokens: &[TokenWithSpan]) -> Option<Vec<&[TokenWithSpan]>> {
    let open = tokens.iter().position(|t| t.token == Token::LParen)?;
    let mut elements = Vec::new();
    let (mut depth, mut start) = (0usize, open + 1);
    for (at, token) in tokens.iter().enumerate().skip(open + 1) {
        match &token.token {
            Token::LParen => depth += 1,
            Token::RParen if depth == 0 => {
                elements.push(tokens.get(start..at)?);
                return Some(elements);
            }
            Token::RParen => depth -= 1,
            Token::Comma if depth == 0 => {
                elements.push(tokens.get(start..at)?);
                start = at + 1;
            }
            _ => {}
        }
    }
    None
}

fn significant(token: &TokenWithSpan) -> bool {
    !matches!(token.token, Token::Whitespace(_))
}

/// The column a definition defines, if it is a column's.
fn element_column(element: &[TokenWithSpan]) -> Option<String> {
    match &element.iter().find(|t| significant(t))?.token {
        Token::Word(w) if w.quote_style.is_some() => Some(w.value.clone()),
        Token::Word(w) => match w.keyword {
            Keyword::CONSTRAINT | Keyword::PRIMARY | Keyword::UNIQUE | Keyword::CHECK | Keyword::FOREIGN => None,
            _ => Some(w.value.clone()),
        },
        _ => None,
    }
}

/// The CHECK clauses of one definition, which names `columns` may occur
/// in; `spans` slices the text of the tokens.
fn read_checks(
    element: &[TokenWithSpan],
    columns: &[String],
    spans: &(Text<'_>, SourceMap),
    out: &mut Vec<CheckClause>,
) {
    let column = element_column(element);
    // The significant tokens, with their positions in `element`.
    let tokens: Vec<(usize, &TokenWithSpan)> = element.iter().enumerate().filter(|(_, t)| significant(t)).collect();
    let is = |at: usize, wanted: &Token| tokens.get(at).is_some_and(|(_, t)| t.token == *wanted);
    let keyword = |at: usize, k: Keyword| matches!(tokens.get(at), Some((_, t)) if matches!(&t.token, Token::Word(w) if w.keyword == k && w.quote_style.is_none()));
    let mut depth = 0usize;
    let mut at = 0;
    while let Some((_, token)) = tokens.get(at) {
        match &token.token {
            Token::LParen => depth += 1,
            Token::RParen => depth = depth.saturating_sub(1),
            _ if depth == 0 && keyword(at, Keyword::CHECK) && is(at + 1, &Token::LParen) => {
                let Some(close) = closing(&tokens, at + 1) else { return };
                let inner = tokens.get(at + 2..close).unwrap_or_default();
                if let (Some((_, first)), Some((_, last))) = (inner.first(), inner.last()) {
                    let declared = at >= 2 && keyword(at - 2, Keyword::CONSTRAINT);
                    let name = match tokens.get(at.wrapping_sub(1)).map(|(_, t)| &t.token) {
                        Some(Token::Word(w)) if declared => Some(w.value.clone()),
                        _ => None,
                    };
                    let after = tokens.get(close).map_or(element.len(), |(position, _)| position + 1);
                    out.push(CheckClause {
                        name,
                        column: column.clone(),
                        expression: span_text(&spans.0, &spans.1, first, last),
                        references: references(inner, columns),
                        ends_column: column.is_some() && close + 1 == tokens.len(),
                        mysql_type: marked(element.get(after..).unwrap_or_default()),
                    });
                }
                at = close;
            }
            _ => {}
        }
        at += 1;
    }
}

/// The position in `tokens` of the `)` that closes the `(` at `open`.
fn closing(tokens: &[(usize, &TokenWithSpan)], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (at, (_, token)) in tokens.iter().enumerate().skip(open) {
        match token.token {
            Token::LParen => depth += 1,
            Token::RParen => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Some(at);
                }
            }
            _ => {}
        }
    }
    None
}

/// The names of `columns` an expression's tokens use, each once, in order
/// of first appearance. sqlmap double-quotes every identifier it renders;
/// one before a `.` names a relation (`"t"."a"`), and one before a `(` a
/// function.
fn references(expression: &[(usize, &TokenWithSpan)], columns: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (n, (_, token)) in expression.iter().enumerate() {
        let Token::Word(w) = &token.token else { continue };
        let next = expression.get(n + 1).map(|(_, t)| &t.token);
        let named = w.quote_style == Some('"') && !matches!(next, Some(Token::Period | Token::LParen));
        if named && columns.contains(&w.value) && !out.contains(&w.value) {
            out.push(w.value.clone());
        }
    }
    out
}

/// Whether the tokens after a CHECK clause start with sqlmap's mark of a
/// MySQL column type's check (spaces before it aside).
fn marked(after: &[TokenWithSpan]) -> bool {
    let mut tokens = after
        .iter()
        .filter(|t| !matches!(t.token, Token::Whitespace(Whitespace::Space | Whitespace::Tab | Whitespace::Newline)));
    matches!(tokens.next().map(|t| &t.token), Some(Token::Whitespace(Whitespace::MultiLineComment(text))) if text.trim() == MYSQL_TYPE_CHECK_MARK)
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
    fn generated_columns_are_read_with_their_expressions() {
        let sql = r#"CREATE TABLE "g" ("a" INTEGER, "b" TEXT DEFAULT ('GENERATED ALWAYS AS (1)'), "c" INTEGER GENERATED ALWAYS AS ("a" * (2 + 1)) STORED, "Odd col" TEXT NOT NULL GENERATED ALWAYS AS (upper("b") || ')') STORED CHECK ("Odd col" <> '')) STRICT"#;
        assert_eq!(
            generated_columns(sql),
            [
                ("c".to_string(), r#""a" * (2 + 1)"#.to_string()),
                ("Odd col".to_string(), r#"upper("b") || ')'"#.to_string())
            ]
        );
        assert!(generated_columns("CREATE TABLE t (a int)").is_empty());
        assert!(generated_columns("not sql").is_empty());
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

    fn clause(name: Option<&str>, column: Option<&str>, expression: &str, references: &[&str]) -> CheckClause {
        CheckClause {
            name: name.map(str::to_string),
            column: column.map(str::to_string),
            expression: expression.into(),
            references: references.iter().map(|s| s.to_string()).collect(),
            ends_column: false,
            mysql_type: false,
        }
    }

    #[test]
    fn check_clauses_are_read_with_their_text_columns_and_names() {
        let sql = r#"CREATE TABLE "t" ("id" INTEGER PRIMARY KEY CHECK ("id" > 0), "é" TEXT CONSTRAINT "ü ck" CHECK ("é" <> 'a'')(,' AND length("é") < 5) NOT NULL, "b" INTEGER DEFAULT (1) CHECK ("b" + "id" > ("b" * 2)), CONSTRAINT "tc" CHECK ("t"."b" > "id" OR "b" IS NULL), CHECK (1 > 0), "c" TEXT CHECK (length("c") <= 3)) STRICT"#;
        let mut last = clause(None, Some("c"), r#"length("c") <= 3"#, &["c"]);
        last.ends_column = true;
        let mut first = clause(None, Some("id"), r#""id" > 0"#, &["id"]);
        first.ends_column = true;
        assert_eq!(
            check_clauses(sql),
            [
                first,
                clause(Some("ü ck"), Some("é"), r#""é" <> 'a'')(,' AND length("é") < 5"#, &["é"]),
                CheckClause { ends_column: true, ..clause(None, Some("b"), r#""b" + "id" > ("b" * 2)"#, &["b", "id"]) },
                clause(Some("tc"), None, r#""t"."b" > "id" OR "b" IS NULL"#, &["b", "id"]),
                clause(None, None, "1 > 0", &[]),
                last,
            ]
        );
    }

    #[test]
    fn the_mark_of_a_mysql_type_check_is_read() {
        let sql = format!(
            r#"CREATE TABLE "e" ("m" TEXT CHECK ("m" IN ('a', 'b')) /* {MYSQL_TYPE_CHECK_MARK} */ NOT NULL, "n" TEXT CHECK ("n" IN ('a')) /* other */) STRICT"#
        );
        let clauses = check_clauses(&sql);
        assert_eq!(clauses.iter().map(|c| c.mysql_type).collect::<Vec<_>>(), [true, false]);
        assert_eq!(clauses.iter().map(|c| c.ends_column).collect::<Vec<_>>(), [false, true]);
        // Quoted or in a literal, the mark is no mark.
        let sql = format!(r#"CREATE TABLE "e" ("m" TEXT CHECK ("m" <> '/* {MYSQL_TYPE_CHECK_MARK} */')) STRICT"#);
        assert_eq!(check_clauses(&sql).iter().map(|c| c.mysql_type).collect::<Vec<_>>(), [false]);
    }

    #[test]
    fn clauses_of_text_that_does_not_read_are_none() {
        for sql in ["", "CREATE TABLE t", "CREATE TABLE t (a INTEGER CHECK (a > 0)", "CREATE TABLE t (a 'open", "CHECK"]
        {
            assert!(check_clauses(sql).is_empty(), "{sql}");
        }
        // A clause without its closing parenthesis ends the reading of its definition.
        assert!(check_clauses("CREATE TABLE t (a INTEGER CHECK (a > 0)").is_empty());
        assert!(check_clauses(r#"CREATE TABLE t (a INTEGER CHECK ())"#).is_empty());
    }

    fn names_of(sql: &str, table: &str, types: &[(&str, &str)]) -> Vec<String> {
        let type_of = |c: &str| types.iter().find(|(name, _)| *name == c).and_then(|(_, ty)| PgType::parse_name(ty));
        table_checks(sql, table, &type_of).into_iter().map(|c| c.name).collect()
    }

    #[test]
    fn unnamed_checks_get_postgresql_s_names() {
        // CREATE TABLE t (a int CHECK (a > 0), b int, name varchar(10) CHECK (name <> 'foo'),
        //   c text CONSTRAINT c_ok CHECK (c ~ '^x'), CHECK (a > b), CHECK (a < 100),
        //   CONSTRAINT "Two" CHECK (a > 1 AND a < 5), CHECK (1 > 0), CHECK (b > a + 1 OR name IS NULL))
        // as PostgreSQL 15 named its checks.
        let sql = r#"CREATE TABLE "t" ("a" INTEGER CHECK ("a" > 0), "b" INTEGER, "name" TEXT CHECK ("name" <> 'foo') CHECK (length("name") <= 10), "c" TEXT CONSTRAINT "c_ok" CHECK (rc_regex("c", '^x')), CHECK ("a" > "b"), CHECK ("a" < 100), CONSTRAINT "Two" CHECK ("a" > 1 AND "a" < 5), CHECK (1 > 0), CHECK ("b" > "a" + 1 OR "name" IS NULL)) STRICT"#;
        let types = [("a", "integer"), ("b", "integer"), ("name", "character varying(10)"), ("c", "text")];
        assert_eq!(
            names_of(sql, "t", &types),
            ["t_a_check", "t_name_check", "c_ok", "t_check", "t_a_check1", "Two", "t_check1", "t_check2"]
        );
        let checks = table_checks(sql, "t", &|_| None);
        assert_eq!(checks.last().map(|c| c.references.clone()), Some(vec!["b".into(), "a".into(), "name".into()]));
        // A declared name is taken, whatever its kind or place.
        let sql = r#"CREATE TABLE "t" ("a" INTEGER CHECK ("a" > 0) CONSTRAINT "t_a_check1" UNIQUE, CONSTRAINT "t_a_check" CHECK ("a" < 9)) STRICT"#;
        assert_eq!(names_of(sql, "t", &[]), ["t_a_check2", "t_a_check"]);
    }

    #[test]
    fn rowchain_s_own_checks_are_not_the_user_s() {
        let length = |c: &str, n: u32| format!("CHECK ({})", length_check(c, n));
        let sql = format!(
            r#"CREATE TABLE "v" ("s" TEXT {}, "t" TEXT CHECK ("t" <> '') {} {}, "u" TEXT {} NOT NULL, "w" TEXT {}, "m" TEXT CHECK ("m" IN ('x')) /* {MYSQL_TYPE_CHECK_MARK} */) STRICT"#,
            length("s", 5),
            length("t", 3),
            length("t", 3),
            length("u", 2),
            length("w", 4),
        );
        let types = [
            ("s", "character varying(5)"),
            ("t", "character(3)"),
            ("u", "character varying(2)"),
            ("w", "character varying(40)"),
            ("m", "text"),
        ];
        // `t`: the user's own copy, before rowchain's, stays; `u`: not the
        // last clause; `w`: another length than the type's.
        assert_eq!(names_of(&sql, "v", &types), ["v_t_check", "v_t_check1", "v_u_check", "v_w_check"]);
    }

    #[test]
    fn long_default_names_are_cut_as_postgresql_cuts_them() {
        let table = "t".repeat(40);
        let column = "ç".repeat(20);
        let name = object_name(&table, Some(&column), "check");
        // 63 - len("_") - len("_check") = 56 bytes for the two names, the longer cut first.
        assert_eq!(name, format!("{}_{}_check", "t".repeat(28), "ç".repeat(14)));
        assert_eq!(object_name(&"a".repeat(70), None, "check1").len(), 63);
        assert_eq!(object_name("t", Some("a"), "check"), "t_a_check");
    }

    #[test]
    fn text_without_names_or_that_does_not_tokenize_declares_none() {
        assert!(names(r#"CREATE TABLE "t" ("a" INTEGER PRIMARY KEY, UNIQUE ("a")) STRICT"#).is_empty());
        assert!(names("CREATE TABLE t (a 'unterminated").is_empty());
        assert!(names("").is_empty());
        assert!(names("CONSTRAINT").is_empty());
    }
}
