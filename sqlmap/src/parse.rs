//! Text to sqlparser statements and expressions: the one way sqlmap parses,
//! with PostgreSQL's dialect (or MySQL's, see [`Dialect`]) and a bound on
//! how deeply a statement nests, whichever the dialect.
//!
//! sqlparser limits its own recursion, but builds chains such as
//! `1 + 1 + ... + 1`, `a::int::int...` or `SELECT 1 UNION SELECT 2 UNION ...`
//! in loops, one tree level per operator. Everything after the parser
//! (visitors, `Clone`, `Drop`, `Display`, the planner's rewrites) recurses
//! over the tree, and a deep enough tree overflows the thread's stack,
//! which aborts the whole process: no error, no unwinding. So the tokens
//! are checked before a tree is built, and a statement that may nest more
//! than [`NESTING_MAX`] levels is refused with the error sqlparser gives
//! at its own recursion limit (54001, see `SourceMap::parse_error`).

use sqlparser::ast::{Expr, Statement};
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer};

use crate::dialect::Dialect;

/// The deepest a statement may nest, counted as [`nesting`] counts.
///
/// SQLite refuses expressions deeper than 1000 (`SQLITE_MAX_EXPR_DEPTH`)
/// and compound SELECTs of more than 500 terms, so deeper statements
/// could not run anyway. The value keeps planning at the limit within
/// 1 MiB of stack (half of a Rust thread's default), which the test
/// `nesting_at_the_limit_fits_in_one_mebibyte_of_stack` checks.
pub(crate) const NESTING_MAX: usize = 200;

/// Parses every statement of `sql`, as `Parser::parse_sql` does.
pub(crate) fn statements(sql: &str) -> Result<Vec<Statement>, ParserError> {
    parser(sql)?.parse_statements()
}

/// Parses `sql` as one expression.
pub(crate) fn expression(sql: &str) -> Result<Expr, ParserError> {
    parser(sql)?.parse_expr()
}

/// A parser over the tokens of `sql`, once they are known to nest less than
/// [`NESTING_MAX`] deep.
fn parser(sql: &str) -> Result<Parser<'static>, ParserError> {
    let tokens = tokens(sql, Dialect::Postgres)?;
    Ok(parser_over(tokens, Dialect::Postgres))
}

/// The tokens of `sql` in `dialect`, string escapes unescaped (as
/// `Parser::try_with_sql` tokenizes), once they are known to nest less
/// than [`NESTING_MAX`] deep.
pub(crate) fn tokens(sql: &str, dialect: Dialect) -> Result<Vec<TokenWithSpan>, ParserError> {
    let tokens = Tokenizer::new(dialect.parser_dialect(), sql).with_unescape(true).tokenize_with_location()?;
    if nesting(&tokens) > NESTING_MAX {
        return Err(ParserError::RecursionLimitExceeded);
    }
    let mut tokens = transaction_deferrable_dropped(fetch_count_unparenthesized(tokens));
    // MySQL has neither statement form.
    if dialect == Dialect::Postgres {
        tokens = set_constraints_marked(lock_strengths_folded(tokens));
    }
    Ok(crate::usertype::domain_clauses_ordered(tokens))
}

/// Whether `token` is the unquoted word `word` (ASCII case-insensitive):
/// a keyword where PostgreSQL reads one, never a quoted identifier or a
/// string.
fn is_word(token: Option<&TokenWithSpan>, word: &str) -> bool {
    match token.map(|t| &t.token) {
        Some(Token::Word(w)) => w.quote_style.is_none() && w.value.eq_ignore_ascii_case(word),
        _ => false,
    }
}

/// `FOR NO KEY UPDATE` and `FOR KEY SHARE`, PostgreSQL's weaker row locks,
/// which sqlparser 0.64 does not parse: read as `FOR UPDATE` and `FOR
/// SHARE`. rowchain takes no row locks: a transaction block runs
/// serializably as a whole (see `proxy/frontend`'s `block`), so every lock
/// strength means the same, and FOR UPDATE and FOR SHARE are accepted
/// already. Only that sequence of unquoted words changes; strings, quoted
/// identifiers and comments are tokens of their own and stay as written.
fn lock_strengths_folded(mut tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    let solid: Vec<usize> =
        (0..tokens.len()).filter(|i| !matches!(tokens.get(*i).map(|t| &t.token), Some(Token::Whitespace(_)))).collect();
    let blank = Token::Whitespace(sqlparser::tokenizer::Whitespace::Space);
    for (n, &at) in solid.iter().enumerate() {
        if !is_word(tokens.get(at), "for") {
            continue;
        }
        let word = |k: usize, w: &str| solid.get(n + k).is_some_and(|i| is_word(tokens.get(*i), w));
        let dropped: &[usize] = if word(1, "no") && word(2, "key") && word(3, "update") {
            &[1, 2]
        } else if word(1, "key") && word(2, "share") {
            &[1]
        } else {
            continue;
        };
        for k in dropped {
            if let Some(t) = solid.get(n + k).and_then(|i| tokens.get_mut(*i)) {
                t.token = blank.clone();
            }
        }
    }
    tokens
}

/// The name of the setting a `SET CONSTRAINTS` statement is rewritten to
/// set (see [`set_constraints_marked`]); `control` plans that SET as
/// [`crate::SessionStmt::SetConstraints`]. It holds a NUL, which no
/// PostgreSQL wire query can carry (the wire ends a query string at a NUL),
/// so no client names it by chance; text that does anyway (over JSON-RPC)
/// gets SET CONSTRAINTS, which changes nothing.
pub(crate) const SET_CONSTRAINTS_SETTING: &str = "\0rowchain set constraints";

/// `SET CONSTRAINTS { ALL | name [, ...] } { IMMEDIATE | DEFERRED }`, which
/// sqlparser 0.64 does not parse, becomes `SET "<SET_CONSTRAINTS_SETTING>"
/// TO 'immediate'|'deferred' [, 'name' ...]` (names folded, qualified ones
/// joined by `.`; none for ALL), which it does. Any other form after `SET
/// CONSTRAINTS` is left for the parser to refuse (42601), as PostgreSQL's
/// grammar does.
fn set_constraints_marked(tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    if !tokens.iter().any(|t| is_word(Some(t), "constraints")) {
        return tokens;
    }
    let mut out = Vec::with_capacity(tokens.len());
    let mut rest = tokens.as_slice();
    while !rest.is_empty() {
        // One statement, with the semicolon that ends it.
        let end = rest.iter().position(|t| t.token == Token::SemiColon).map_or(rest.len(), |i| i + 1);
        let (statement, after) = rest.split_at(end);
        match set_constraints(statement) {
            Some(rewritten) => out.extend(rewritten),
            None => out.extend_from_slice(statement),
        }
        rest = after;
    }
    out
}

/// The rewrite of one statement's tokens, if it is a well-formed SET
/// CONSTRAINTS (see [`set_constraints_marked`]).
fn set_constraints(statement: &[TokenWithSpan]) -> Option<Vec<TokenWithSpan>> {
    let solid: Vec<&TokenWithSpan> =
        statement.iter().filter(|t| !matches!(t.token, Token::Whitespace(_) | Token::SemiColon | Token::EOF)).collect();
    let [set, constraints, list @ .., mode] = solid.as_slice() else { return None };
    if !is_word(Some(set), "set") || !is_word(Some(constraints), "constraints") {
        return None;
    }
    let mode = ["immediate", "deferred"].into_iter().find(|m| is_word(Some(mode), m))?;
    let names = match list {
        [all] if is_word(Some(all), "all") => Vec::new(),
        _ => constraint_names(list)?,
    };
    let span = constraints.span;
    let at = |token: Token| TokenWithSpan { token, span };
    let mut rewritten: Vec<TokenWithSpan> =
        statement.iter().take_while(|t| !std::ptr::eq(*t, *constraints)).cloned().collect();
    rewritten.push(at(Token::make_word(SET_CONSTRAINTS_SETTING, Some('"'))));
    rewritten.push(at(Token::Whitespace(sqlparser::tokenizer::Whitespace::Space)));
    rewritten.push(at(Token::make_keyword("TO")));
    rewritten.push(at(Token::Whitespace(sqlparser::tokenizer::Whitespace::Space)));
    rewritten.push(at(Token::SingleQuotedString(mode.to_string())));
    for name in names {
        rewritten.push(at(Token::Comma));
        rewritten.push(at(Token::SingleQuotedString(name)));
    }
    if let Some(last) = statement.last().filter(|t| t.token == Token::SemiColon) {
        rewritten.push(last.clone());
    }
    Some(rewritten)
}

/// `name [, ...]`, each name possibly qualified (`s.name`), folded as
/// PostgreSQL folds identifiers; `None` for anything else.
fn constraint_names(list: &[&TokenWithSpan]) -> Option<Vec<String>> {
    let mut names = Vec::new();
    for name in list.split(|t| t.token == Token::Comma) {
        let mut parts = Vec::new();
        for (i, token) in name.iter().enumerate() {
            match (&token.token, i % 2) {
                (Token::Word(w), 0) => parts.push(match w.quote_style {
                    Some(_) => w.value.clone(),
                    None => w.value.to_lowercase(),
                }),
                (Token::Period, 1) => {}
                _ => return None,
            }
        }
        // Empty, or ending in a period.
        if parts.is_empty() || name.len() % 2 == 0 {
            return None;
        }
        names.push(parts.join("."));
    }
    Some(names)
}

/// `[NOT] DEFERRABLE` among the modes of `BEGIN`, `START TRANSACTION` and
/// `SET [SESSION CHARACTERISTICS AS] TRANSACTION`, which sqlparser 0.64
/// does not parse: dropped, with the comma that separated it. PostgreSQL
/// uses it only to let a SERIALIZABLE READ ONLY transaction wait for a
/// snapshot that cannot conflict; every rowchain transaction block reads
/// one committed state, so it changes nothing here.
fn transaction_deferrable_dropped(mut tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    let word = |t: Option<&TokenWithSpan>| match t.map(|t| &t.token) {
        Some(Token::Word(w)) if w.quote_style.is_none() => Some(w.keyword),
        _ => None,
    };
    let solid = |t: &TokenWithSpan| !matches!(t.token, Token::Whitespace(_));
    let blank = Token::Whitespace(sqlparser::tokenizer::Whitespace::Space);
    // Whether the statement being read is a transaction statement; None
    // until its first token.
    let mut transaction: Option<bool> = None;
    for i in 0..tokens.len() {
        let Some(token) = tokens.get(i) else { break };
        if token.token == Token::SemiColon {
            transaction = None;
            continue;
        }
        if !solid(token) {
            continue;
        }
        let keyword = word(Some(token));
        let is_transaction =
            *transaction.get_or_insert(matches!(keyword, Some(Keyword::BEGIN | Keyword::START | Keyword::SET)));
        if !is_transaction || keyword != Some(Keyword::DEFERRABLE) {
            continue;
        }
        let before = (0..i).rev().find(|j| tokens.get(*j).is_some_and(solid));
        let mut drop = vec![i];
        let mut first = i;
        if let Some(b) = before.filter(|b| word(tokens.get(*b)) == Some(Keyword::NOT)) {
            drop.push(b);
            first = b;
        }
        let before = (0..first).rev().find(|j| tokens.get(*j).is_some_and(solid));
        let after = (i + 1..tokens.len()).find(|j| tokens.get(*j).is_some_and(solid));
        if let Some(b) = before.filter(|b| tokens.get(*b).is_some_and(|t| t.token == Token::Comma)) {
            drop.push(b);
        } else if let Some(a) = after.filter(|a| tokens.get(*a).is_some_and(|t| t.token == Token::Comma)) {
            drop.push(a);
        }
        for j in drop {
            if let Some(t) = tokens.get_mut(j) {
                t.token = blank.clone();
            }
        }
    }
    tokens
}

/// `FETCH FIRST|NEXT (count) ROW|ROWS ...`, which PostgreSQL takes
/// (SQLAlchemy writes the count in parentheses) and sqlparser 0.64 does
/// not: a count that is one number or parameter loses its parentheses;
/// `FETCH FIRST (expression) ROWS ONLY` becomes `LIMIT (expression)`,
/// which it means. Any other form is left to the parser.
fn fetch_count_unparenthesized(mut tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    let kind = |tokens: &[TokenWithSpan], i: Option<usize>| i.and_then(|i| tokens.get(i)).map(|t| t.token.clone());
    let is_keyword = |token: Option<Token>, keywords: &[Keyword]| matches!(token, Some(Token::Word(w)) if w.quote_style.is_none() && keywords.contains(&w.keyword));
    let next = |tokens: &[TokenWithSpan], from: usize| {
        (from..tokens.len()).find(|i| !matches!(tokens.get(*i).map(|t| &t.token), Some(Token::Whitespace(_))))
    };
    let mut at = 0;
    while let Some(fetch) = (at..tokens.len()).find(|i| is_keyword(kind(&tokens, Some(*i)), &[Keyword::FETCH])) {
        at = fetch + 1;
        let first = next(&tokens, fetch + 1);
        let open = first.and_then(|i| next(&tokens, i + 1));
        let (Some(first), Some(open)) = (first, open) else { continue };
        if !is_keyword(kind(&tokens, Some(first)), &[Keyword::FIRST, Keyword::NEXT])
            || kind(&tokens, Some(open)) != Some(Token::LParen)
        {
            continue;
        }
        // The parenthesis that closes `open`.
        let mut depth = 0usize;
        let close = (open..tokens.len()).find(|i| {
            match kind(&tokens, Some(*i)) {
                Some(Token::LParen) => depth += 1,
                Some(Token::RParen) => depth = depth.saturating_sub(1),
                _ => {}
            }
            depth == 0
        });
        let Some(close) = close else { continue };
        let rows = next(&tokens, close + 1);
        if !is_keyword(kind(&tokens, rows), &[Keyword::ROW, Keyword::ROWS]) {
            continue;
        }
        let only = rows.and_then(|i| next(&tokens, i + 1));
        let inner = next(&tokens, open + 1);
        let single = inner.is_some_and(|i| {
            matches!(kind(&tokens, Some(i)), Some(Token::Number(..) | Token::Placeholder(_)))
                && next(&tokens, i + 1) == Some(close)
        });
        let only = only.filter(|i| is_keyword(kind(&tokens, Some(*i)), &[Keyword::ONLY]));
        let blank = Token::Whitespace(sqlparser::tokenizer::Whitespace::Space);
        let replace: Vec<(usize, Token)> = match (single, rows, only) {
            (true, _, _) => vec![(open, blank.clone()), (close, blank)],
            (false, Some(rows), Some(only)) => vec![
                (fetch, Token::make_keyword("LIMIT")),
                (first, blank.clone()),
                (rows, blank.clone()),
                (only, blank),
            ],
            _ => continue,
        };
        for (i, token) in replace {
            if let Some(t) = tokens.get_mut(i) {
                t.token = token;
            }
        }
    }
    tokens
}

/// A parser over tokens that [`tokens`] returned.
pub(crate) fn parser_over(tokens: Vec<TokenWithSpan>, dialect: Dialect) -> Parser<'static> {
    Parser::new(dialect.parser_dialect()).with_tokens_with_locations(tokens)
}

/// An upper bound on how deeply the statements of `tokens` nest.
///
/// Brackets (`(`, `[`, `CASE .. END`) open levels. At each level count the
/// operator-like tokens (symbols and keywords) met since the last
/// separator: a chain such as `a + b + c` is built one tree level per
/// operator, while the items of a list (`,`), the branches of a CASE
/// (`WHEN`, `THEN`, `ELSE`), the joins of a FROM clause (`JOIN`, `ON`) and
/// the WHERE clause are siblings. Set operators (`UNION` ...) chain whole
/// SELECTs, across all of those, and are counted apart. The bound is the
/// deepest point of the sum over open levels. Identifiers, literals and
/// parameters are leaves; a closing token that does not match the open
/// bracket is the parser's error, and counts as an operator.
fn nesting(tokens: &[TokenWithSpan]) -> usize {
    #[derive(Clone, Copy, PartialEq)]
    enum Bracket {
        Statement,
        Paren,
        Square,
        Case,
    }
    struct Level {
        bracket: Bracket,
        since_separator: usize,
        set_operators: usize,
    }
    let open = |bracket| Level { bracket, since_separator: 0, set_operators: 0 };
    let mut levels = vec![open(Bracket::Statement)];
    let mut total = 0usize;
    let mut deepest = 0usize;
    for TokenWithSpan { token, .. } in tokens {
        let keyword = match token {
            Token::Word(word) if word.quote_style.is_none() => word.keyword,
            _ => Keyword::NoKeyword,
        };
        let opens = match (token, keyword) {
            (Token::LParen, _) => Some(Bracket::Paren),
            (Token::LBracket, _) => Some(Bracket::Square),
            (_, Keyword::CASE) => Some(Bracket::Case),
            _ => None,
        };
        let closes = match (token, keyword) {
            (Token::RParen, _) => Some(Bracket::Paren),
            (Token::RBracket, _) => Some(Bracket::Square),
            (_, Keyword::END) => Some(Bracket::Case),
            _ => None,
        };
        let separates = matches!(token, Token::Comma)
            || matches!(
                keyword,
                Keyword::WHEN | Keyword::THEN | Keyword::ELSE | Keyword::JOIN | Keyword::ON | Keyword::WHERE
            );
        let Some(level) = levels.last_mut() else { break };
        if let Some(bracket) = opens {
            // The bracketed group is an operand at its own level: a chain of
            // them (subscripts `a[1][2]`) nests like a chain of operators.
            level.since_separator += 1;
            total += 1;
            levels.push(open(bracket));
        } else if closes.is_some_and(|bracket| bracket == level.bracket) {
            total = total.saturating_sub(level.since_separator + level.set_operators);
            levels.pop();
        } else if matches!(token, Token::SemiColon) {
            levels = vec![open(Bracket::Statement)];
            total = 0;
        } else if separates {
            total = total.saturating_sub(level.since_separator);
            level.since_separator = 0;
        } else if matches!(keyword, Keyword::UNION | Keyword::EXCEPT | Keyword::INTERSECT) {
            level.set_operators += 1;
            total += 1;
        } else if closes.is_some() || is_operator_like(token) {
            level.since_separator += 1;
            total += 1;
        }
        deepest = deepest.max(total + levels.len());
    }
    deepest
}

/// Tokens that may add a level to the tree: everything but leaves
/// (identifiers, literals, parameters), whitespace, and the punctuation of
/// lists and qualified names.
fn is_operator_like(token: &Token) -> bool {
    match token {
        Token::Word(word) => word.quote_style.is_none() && word.keyword != Keyword::NoKeyword,
        Token::EOF
        | Token::Whitespace(_)
        | Token::Number(..)
        | Token::Placeholder(_)
        | Token::Period
        | Token::Char(_)
        | Token::SingleQuotedString(_)
        | Token::DoubleQuotedString(_)
        | Token::TripleSingleQuotedString(_)
        | Token::TripleDoubleQuotedString(_)
        | Token::DollarQuotedString(_)
        | Token::SingleQuotedByteStringLiteral(_)
        | Token::DoubleQuotedByteStringLiteral(_)
        | Token::TripleSingleQuotedByteStringLiteral(_)
        | Token::TripleDoubleQuotedByteStringLiteral(_)
        | Token::SingleQuotedRawStringLiteral(_)
        | Token::DoubleQuotedRawStringLiteral(_)
        | Token::TripleSingleQuotedRawStringLiteral(_)
        | Token::TripleDoubleQuotedRawStringLiteral(_)
        | Token::NationalStringLiteral(_)
        | Token::QuoteDelimitedStringLiteral(_)
        | Token::NationalQuoteDelimitedStringLiteral(_)
        | Token::EscapedStringLiteral(_)
        | Token::UnicodeStringLiteral(_)
        | Token::HexStringLiteral(_) => false,
        _ => true,
    }
}
