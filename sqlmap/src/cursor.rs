//! SQL-level cursors: `DECLARE name CURSOR FOR query`, `FETCH`, `MOVE` and
//! `CLOSE`, planned as session statements ([`SessionStmt`]): the front end
//! runs a cursor's query once, as the read it is, and keeps its rows; a
//! cursor never writes and is never part of a chain tx (the executor
//! refuses session statements with 0A000).
//!
//! sqlparser 0.64 has no `MOVE`, and its `FETCH` wants `FROM`/`IN` and an
//! unsigned count, where PostgreSQL takes `FETCH c`, `FETCH -2 FROM c`,
//! `FETCH FORWARD FROM c`: both are read from the tokens here, with
//! PostgreSQL's grammar (`fetch_args` in its gram.y), statement by
//! statement, so they may sit among other statements. Only the PostgreSQL
//! dialect plans cursors: MySQL's `DECLARE ... CURSOR` belongs to stored
//! programs, which rowchain does not have.

use std::fmt;
use std::ops::ControlFlow;

use sqlparser::ast::{
    CloseCursor, Declare, DeclareType, Expr, GroupByExpr, InTarget, ObjectNamePart, Query, Select, SetExpr,
    SetOperator, SetQuantifier, Statement, TableFactor, TableWithJoins, Visit, Visitor,
};
use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Token, TokenWithSpan};

use crate::control::SessionStmt;
use crate::dialect::Dialect;
use crate::error::{PlanError, SourceMap, FEATURE_NOT_SUPPORTED, SYNTAX_ERROR};
use crate::names;
use crate::plan::{Plan, ReadPlan};
use crate::schema::Schema;

/// `DECLARE name [BINARY] [ASENSITIVE | INSENSITIVE] [[NO] SCROLL] CURSOR
/// [{WITH | WITHOUT} HOLD] FOR query`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclareCursor {
    pub name: String,
    /// `BINARY`: over the simple query protocol its rows are sent in
    /// binary format (the extended protocol's Bind chooses for itself).
    pub binary: bool,
    /// Whether the cursor may move backward: `SCROLL`, or neither `SCROLL`
    /// nor `NO SCROLL` over a query PostgreSQL's plan could scan backward
    /// (see [`scans_backward`]). A cursor that may not is 55000 on a
    /// backward move, as in PostgreSQL.
    pub scroll: bool,
    /// `WITH HOLD`: the cursor outlives the transaction that committed it,
    /// and may be declared outside a transaction block.
    pub hold: bool,
    /// The cursor's query, planned as any read.
    pub read: ReadPlan,
    /// That query as PostgreSQL text: what a transaction block runs as its
    /// step (so the cursor sees the block's own writes, and COMMIT checks
    /// what it saw), and what its columns are typed by.
    pub query: String,
}

/// Which way a FETCH or MOVE goes, as PostgreSQL's `FetchDirection`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchDirection {
    Forward,
    Backward,
    /// To row `count` (from the end when negative; 0 is before the first).
    Absolute,
    /// To the row `count` rows away (0 is the current row).
    Relative,
}

/// `FETCH` or `MOVE` (which moves as FETCH does and returns no rows), as
/// PostgreSQL's grammar reduces them: `NEXT` is `FORWARD 1`, `PRIOR`
/// `BACKWARD 1`, `FIRST` `ABSOLUTE 1`, `LAST` `ABSOLUTE -1`, `ALL`
/// `FORWARD ALL`, a bare count `FORWARD count`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchCursor {
    pub name: String,
    pub direction: FetchDirection,
    /// The count (negative reverses FORWARD and BACKWARD); `None` is ALL,
    /// which only FORWARD and BACKWARD take.
    pub count: Option<i64>,
    /// `MOVE`: position only, the tag counts the rows moved over.
    pub is_move: bool,
}

impl fmt::Display for FetchCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verb = if self.is_move { "MOVE" } else { "FETCH" };
        let direction = match self.direction {
            FetchDirection::Forward => "FORWARD",
            FetchDirection::Backward => "BACKWARD",
            FetchDirection::Absolute => "ABSOLUTE",
            FetchDirection::Relative => "RELATIVE",
        };
        let count = self.count.map_or_else(|| "ALL".to_string(), |n| n.to_string());
        write!(f, "{verb} {direction} {count} FROM {}", names::quote(&self.name))
    }
}

/// Plans `DECLARE ... CURSOR` and `CLOSE` (PostgreSQL dialect only).
pub(crate) fn plan_cursor_statement(
    statement: Statement,
    source: &SourceMap,
    schema: &dyn Schema,
) -> Result<Plan, PlanError> {
    match statement {
        Statement::Declare { mut stmts, .. } => {
            let (Some(declare), true) = (stmts.pop(), stmts.is_empty()) else {
                return Err(PlanError::unsupported("DECLARE of several names"));
            };
            plan_declare(declare, source, schema).map(|d| Plan::Session(SessionStmt::DeclareCursor(d)))
        }
        Statement::Close { cursor: CloseCursor::All } => Ok(Plan::Session(SessionStmt::CloseCursor(None))),
        Statement::Close { cursor: CloseCursor::Specific { name } } => {
            Ok(Plan::Session(SessionStmt::CloseCursor(Some(cursor_name(&name)?))))
        }
        _ => Err(PlanError::unsupported("this statement")),
    }
}

fn plan_declare(declare: Declare, source: &SourceMap, schema: &dyn Schema) -> Result<DeclareCursor, PlanError> {
    let Declare { names: declared, declare_type, binary, scroll, hold, for_query, data_type, assignment, .. } = declare;
    let (Some(DeclareType::Cursor), [name], Some(query), None, None) =
        (declare_type, declared.as_slice(), for_query, data_type, assignment)
    else {
        return Err(PlanError::unsupported("this form of DECLARE")
            .with_hint("rowchain declares cursors: DECLARE name CURSOR FOR SELECT ..."));
    };
    let name = cursor_name(name)?;
    // sqlparser reads `FOR INSERT ...` as a query; PostgreSQL's grammar
    // wants a SELECT there.
    if let Some(statement) = modifying_body(&query.body) {
        let start = sqlparser::ast::Spanned::span(query.body.as_ref()).start;
        let word = statement.to_string().split_whitespace().next().unwrap_or_default().to_string();
        return Err(
            PlanError::new(SYNTAX_ERROR, format!("syntax error at or near \"{word}\"")).at(source.position(start))
        );
    }
    if query.with.iter().flat_map(|with| &with.cte_tables).any(|cte| modifying_body(&cte.query.body).is_some()) {
        return Err(PlanError::new(
            FEATURE_NOT_SUPPORTED,
            "DECLARE CURSOR must not contain data-modifying statements in WITH",
        ));
    }
    let locking = !query.locks.is_empty();
    if locking && scroll == Some(true) {
        return Err(PlanError::unsupported("DECLARE SCROLL CURSOR ... FOR UPDATE")
            .with_hint("Scrollable cursors must be READ ONLY."));
    }
    if crate::plan::draws_sequence(&query) {
        return Err(PlanError::unsupported("a cursor over a query that draws from a sequence")
            .with_hint("a cursor only reads; call nextval() in a statement of its own"));
    }
    // A FOR UPDATE cursor cannot scroll in PostgreSQL either.
    let scroll = scroll.unwrap_or_else(|| !locking && scans_backward(&query, &[]));
    let text = query.to_string();
    let read = crate::plan::plan_read(query, source, schema)?;
    Ok(DeclareCursor { name, binary: binary == Some(true), scroll, hold: hold == Some(true), read, query: text })
}

/// The data-modifying statement a query body is, through parentheses.
fn modifying_body(body: &SetExpr) -> Option<&Statement> {
    match body {
        SetExpr::Insert(s) | SetExpr::Update(s) | SetExpr::Delete(s) | SetExpr::Merge(s) => Some(s),
        SetExpr::Query(query) => modifying_body(&query.body),
        SetExpr::SetOperation { left, right, .. } => modifying_body(left).or_else(|| modifying_body(right)),
        _ => None,
    }
}

/// A cursor's name, folded as PostgreSQL folds it; an empty quoted name is
/// PostgreSQL's syntax error.
fn cursor_name(ident: &sqlparser::ast::Ident) -> Result<String, PlanError> {
    if ident.value.is_empty() {
        return Err(PlanError::new(SYNTAX_ERROR, "zero-length delimited identifier at or near \"\"\"\""));
    }
    Ok(names::fold(ident))
}

/// Whether PostgreSQL lets a cursor over `query` declared with neither
/// `SCROLL` nor `NO SCROLL` move backward: it does when the query's plan
/// can scan backward (`ExecSupportsBackwardScan`): scans of one relation,
/// a function or a VALUES list, under sorts, limits and `UNION ALL`. Joins
/// (semi-joins of `IN`/`EXISTS` too), grouping, aggregates, DISTINCT,
/// window functions, set-returning functions in the select list, other set
/// operations and a SELECT without FROM make plans that cannot. rowchain
/// holds a cursor's rows, so it could always move back; following
/// PostgreSQL's answer keeps a client's NO SCROLL errors where it expects
/// them. The plan is judged from the text (a view counts as a scan).
fn scans_backward(query: &Query, outer_ctes: &[&sqlparser::ast::Cte]) -> bool {
    let mut ctes: Vec<&sqlparser::ast::Cte> = outer_ctes.to_vec();
    if let Some(with) = &query.with {
        if with.recursive {
            return false;
        }
        ctes.extend(with.cte_tables.iter());
    }
    let mut plain = Ungrouped { depth: 0 };
    if let ControlFlow::Break(()) = query.visit(&mut plain) {
        return false;
    }
    body_scans_backward(&query.body, &ctes)
}

fn body_scans_backward(body: &SetExpr, ctes: &[&sqlparser::ast::Cte]) -> bool {
    match body {
        SetExpr::Select(select) => select_scans_backward(select, ctes),
        SetExpr::Query(query) => scans_backward(query, ctes),
        SetExpr::Values(_) | SetExpr::Table(_) => true,
        SetExpr::SetOperation { op: SetOperator::Union, set_quantifier: SetQuantifier::All, left, right } => {
            body_scans_backward(left, ctes) && body_scans_backward(right, ctes)
        }
        _ => false,
    }
}

fn select_scans_backward(select: &Select, ctes: &[&sqlparser::ast::Cte]) -> bool {
    let grouped = match &select.group_by {
        GroupByExpr::Expressions(exprs, modifiers) => !exprs.is_empty() || !modifiers.is_empty(),
        GroupByExpr::All(_) => true,
    };
    if grouped || select.having.is_some() || select.distinct.is_some() || !select.named_window.is_empty() {
        return false;
    }
    match select.from.as_slice() {
        [TableWithJoins { relation, joins }] if joins.is_empty() => factor_scans_backward(relation, ctes),
        _ => false,
    }
}

/// Whether a lone FROM item is a scan PostgreSQL can run backward.
fn factor_scans_backward(relation: &TableFactor, ctes: &[&sqlparser::ast::Cte]) -> bool {
    match relation {
        TableFactor::Table { name, args: None, .. } => {
            let cte = match name.0.as_slice() {
                [ObjectNamePart::Identifier(ident)] => {
                    ctes.iter().rev().find(|cte| names::fold(&cte.alias.name) == names::fold(ident))
                }
                _ => None,
            };
            cte.is_none_or(|cte| scans_backward(&cte.query, &[]))
        }
        // Function scans.
        TableFactor::Table { .. } | TableFactor::Function { .. } | TableFactor::UNNEST { .. } => true,
        TableFactor::Derived { lateral: false, subquery, .. } => scans_backward(subquery, ctes),
        TableFactor::NestedJoin { table_with_joins, .. } if table_with_joins.joins.is_empty() => {
            factor_scans_backward(&table_with_joins.relation, ctes)
        }
        _ => false,
    }
}

/// Finds, in a query's own clauses (not its subqueries), what makes its
/// plan one that cannot scan backward: an aggregate or window function, a
/// set-returning function, or an `IN (subquery)` / `EXISTS` that becomes a
/// join.
struct Ungrouped {
    /// How many queries deep the visit is; the query judged is depth 1.
    depth: usize,
}

impl Visitor for Ungrouped {
    type Break = ();

    fn pre_visit_query(&mut self, _query: &Query) -> ControlFlow<()> {
        self.depth += 1;
        ControlFlow::Continue(())
    }

    fn post_visit_query(&mut self, _query: &Query) -> ControlFlow<()> {
        self.depth = self.depth.saturating_sub(1);
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<()> {
        if self.depth > 1 {
            return ControlFlow::Continue(());
        }
        match expr {
            Expr::In { target: InTarget::Subquery(_), negated: false, .. } | Expr::Exists { .. } => {
                ControlFlow::Break(())
            }
            Expr::Function(f) => {
                let name = f.name.0.last().and_then(ObjectNamePart::as_ident).map(names::fold).unwrap_or_default();
                let grouping = f.over.is_some()
                    || !f.within_group.is_empty()
                    || f.filter.is_some()
                    || AGGREGATES.contains(&name.as_str())
                    || name.starts_with("regr_")
                    || SET_RETURNING.contains(&name.as_str());
                if grouping {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            }
            _ => ControlFlow::Continue(()),
        }
    }
}

/// PostgreSQL's built-in aggregates (`regr_*` apart).
const AGGREGATES: &[&str] = &[
    "any_value",
    "array_agg",
    "avg",
    "bit_and",
    "bit_or",
    "bit_xor",
    "bool_and",
    "bool_or",
    "count",
    "corr",
    "covar_pop",
    "covar_samp",
    "cume_dist",
    "dense_rank",
    "every",
    "json_agg",
    "json_object_agg",
    "jsonb_agg",
    "jsonb_object_agg",
    "max",
    "min",
    "mode",
    "percent_rank",
    "percentile_cont",
    "percentile_disc",
    "range_agg",
    "range_intersect_agg",
    "rank",
    "stddev",
    "stddev_pop",
    "stddev_samp",
    "string_agg",
    "sum",
    "var_pop",
    "var_samp",
    "variance",
    "xmlagg",
];

/// Set-returning functions, which in a select list make a ProjectSet plan.
const SET_RETURNING: &[&str] = &[
    "generate_series",
    "generate_subscripts",
    "json_array_elements",
    "json_array_elements_text",
    "json_each",
    "json_each_text",
    "json_object_keys",
    "json_populate_recordset",
    "json_to_recordset",
    "jsonb_array_elements",
    "jsonb_array_elements_text",
    "jsonb_each",
    "jsonb_each_text",
    "jsonb_object_keys",
    "jsonb_path_query",
    "jsonb_populate_recordset",
    "jsonb_to_recordset",
    "regexp_matches",
    "regexp_split_to_table",
    "string_to_table",
    "unnest",
];

/// Plans `sql` when one of its statements is a `FETCH` or `MOVE`: those
/// from their tokens, the others as usual; each plan with its statement's
/// text (the input itself when it holds one statement). `None` when no
/// statement is a FETCH or MOVE, for the usual path.
pub(crate) fn with_fetch(sql: &str, schema: &dyn Schema) -> Option<Result<Vec<(Plan, String)>, PlanError>> {
    // Most text names neither word: spare it a second tokenizing.
    let mentions = |word: &[u8]| sql.as_bytes().windows(word.len()).any(|w| w.eq_ignore_ascii_case(word));
    if !mentions(b"fetch") && !mentions(b"move") {
        return None;
    }
    let tokens = crate::parse::tokens(sql, Dialect::Postgres).ok()?;
    let statements = split(tokens);
    if !statements.iter().any(|s| fetch_verb(s).is_some()) {
        return None;
    }
    Some(plan_split(sql, statements, schema))
}

fn plan_split(
    sql: &str,
    statements: Vec<Vec<TokenWithSpan>>,
    schema: &dyn Schema,
) -> Result<Vec<(Plan, String)>, PlanError> {
    let source = SourceMap::new(sql);
    let single = statements.len() == 1;
    let mut plans = Vec::with_capacity(statements.len());
    for tokens in statements {
        if let Some(is_move) = fetch_verb(&tokens) {
            let fetch = parse_fetch(&tokens, is_move, &source)?;
            let text = if single { sql.trim().trim_end_matches(';').trim_end().to_string() } else { fetch.to_string() };
            plans.push((Plan::Session(SessionStmt::Fetch(fetch)), text));
            continue;
        }
        let parsed = crate::parse::parser_over(tokens, Dialect::Postgres)
            .parse_statements()
            .map_err(|e| source.parse_error(&e))?;
        for statement in parsed {
            let text = statement.to_string();
            plans.push((crate::plan::plan_statement(statement, &source, schema, Dialect::Postgres)?, text));
        }
    }
    Ok(plans)
}

/// The tokens of each statement, split at `;`, without empty statements.
fn split(tokens: Vec<TokenWithSpan>) -> Vec<Vec<TokenWithSpan>> {
    let mut statements = vec![Vec::new()];
    for token in tokens {
        if token.token == Token::SemiColon {
            statements.push(Vec::new());
        } else if let Some(current) = statements.last_mut() {
            current.push(token);
        }
    }
    statements.retain(|tokens| tokens.iter().any(significant));
    statements
}

fn significant(token: &TokenWithSpan) -> bool {
    !matches!(token.token, Token::Whitespace(_) | Token::EOF)
}

/// `Some(is_move)` when the statement starts with FETCH or MOVE.
fn fetch_verb(tokens: &[TokenWithSpan]) -> Option<bool> {
    match &tokens.iter().find(|t| significant(t))?.token {
        Token::Word(w) if w.quote_style.is_none() && w.keyword == Keyword::FETCH => Some(false),
        Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case("move") => Some(true),
        _ => None,
    }
}

/// PostgreSQL's `fetch_args`: `[direction] [FROM | IN] cursor_name`.
fn parse_fetch(tokens: &[TokenWithSpan], is_move: bool, source: &SourceMap) -> Result<FetchCursor, PlanError> {
    let words: Vec<&TokenWithSpan> = tokens.iter().filter(|t| significant(t)).skip(1).collect();
    let syntax_error = |at: Option<&&TokenWithSpan>| match at {
        Some(token) => PlanError::new(SYNTAX_ERROR, format!("syntax error at or near \"{}\"", token.token))
            .at(source.position(token.span.start)),
        None => PlanError::new(SYNTAX_ERROR, "syntax error at end of input").at(source.end_position()),
    };
    let (direction, count, mut at) = fetch_direction(&words).map_err(|at| syntax_error(words.get(at)))?;
    // A direction word alone is the cursor's name (`FETCH next`), as in
    // PostgreSQL's grammar, where those words are not reserved.
    let (direction, count) = match words.first() {
        Some(first) if at == words.len() && at > 0 && may_name(first) => {
            at = 0;
            (FetchDirection::Forward, Some(1))
        }
        _ => (direction, count),
    };
    if words.get(at).is_some_and(|t| is_keyword(t, Keyword::FROM) || is_keyword(t, Keyword::IN)) {
        at += 1;
    }
    let name = match words.get(at) {
        Some(token) if may_name(token) => match &token.token {
            Token::Word(w) => cursor_name(&w.to_ident(token.span))?,
            _ => return Err(syntax_error(Some(token))),
        },
        other => return Err(syntax_error(other)),
    };
    if let Some(extra) = words.get(at + 1) {
        return Err(syntax_error(Some(extra)));
    }
    Ok(FetchCursor { name, direction, count, is_move })
}

/// Whether a token may be a cursor's name: a quoted word, or an unquoted
/// one PostgreSQL does not reserve.
fn may_name(token: &TokenWithSpan) -> bool {
    matches!(&token.token, Token::Word(w) if w.quote_style.is_some() || !RESERVED.contains(&w.keyword))
}

/// Keywords PostgreSQL reserves, which cannot name a cursor unquoted: the
/// ones a FETCH could meet where its name goes.
const RESERVED: &[Keyword] = &[Keyword::ALL, Keyword::FROM, Keyword::IN, Keyword::SELECT, Keyword::WHERE];

/// The direction at the start of `words`: (direction, count, words used).
/// `Err` holds the index of the word that does not fit.
fn fetch_direction(words: &[&TokenWithSpan]) -> Result<(FetchDirection, Option<i64>, usize), usize> {
    use FetchDirection::{Absolute, Backward, Forward, Relative};
    let keyword = |i: usize| match words.get(i).map(|t| &t.token) {
        Some(Token::Word(w)) if w.quote_style.is_none() => Some(w.keyword),
        _ => None,
    };
    Ok(match keyword(0) {
        Some(Keyword::NEXT) => (Forward, Some(1), 1),
        Some(Keyword::PRIOR) => (Backward, Some(1), 1),
        Some(Keyword::FIRST) => (Absolute, Some(1), 1),
        Some(Keyword::LAST) => (Absolute, Some(-1), 1),
        Some(Keyword::ALL) => (Forward, None, 1),
        Some(k @ (Keyword::ABSOLUTE | Keyword::RELATIVE)) => {
            let (count, used) = signed_count(words, 1)?.ok_or(1usize)?;
            (if k == Keyword::ABSOLUTE { Absolute } else { Relative }, Some(count), 1 + used)
        }
        Some(k @ (Keyword::FORWARD | Keyword::BACKWARD)) => {
            let direction = if k == Keyword::FORWARD { Forward } else { Backward };
            if keyword(1) == Some(Keyword::ALL) {
                (direction, None, 2)
            } else {
                match signed_count(words, 1)? {
                    Some((count, used)) => (direction, Some(count), 1 + used),
                    None => (direction, Some(1), 1),
                }
            }
        }
        _ => match signed_count(words, 0)? {
            Some((count, used)) => (Forward, Some(count), used),
            None => (Forward, Some(1), 0),
        },
    })
}

/// PostgreSQL's `SignedIconst` at `words[at]`: an integer that fits in 32
/// bits, after an optional sign. `Ok(None)` when no number starts there;
/// `Err` holds the index of a number that does not fit, or of the word
/// after a lone sign.
fn signed_count(words: &[&TokenWithSpan], at: usize) -> Result<Option<(i64, usize)>, usize> {
    let (negative, number_at) = match words.get(at).map(|t| &t.token) {
        Some(Token::Minus) => (true, at + 1),
        Some(Token::Plus) => (false, at + 1),
        _ => (false, at),
    };
    match words.get(number_at).map(|t| &t.token) {
        Some(Token::Number(digits, false)) => {
            let value: i32 = digits.parse().map_err(|_| number_at)?;
            let value = i64::from(value);
            Ok(Some((if negative { -value } else { value }, number_at - at + 1)))
        }
        _ if number_at != at => Err(number_at),
        _ => Ok(None),
    }
}

fn is_keyword(token: &TokenWithSpan, keyword: Keyword) -> bool {
    matches!(&token.token, Token::Word(w) if w.keyword == keyword && w.quote_style.is_none())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn declare(sql: &str) -> Result<DeclareCursor, PlanError> {
        match crate::plan::plan_in(sql, &crate::schema::NoSchema)?.pop() {
            Some(Plan::Session(SessionStmt::DeclareCursor(d))) => Ok(d),
            other => panic!("not a DECLARE: {other:?}"),
        }
    }

    fn fetch(sql: &str) -> Result<FetchCursor, PlanError> {
        match crate::plan::plan_in(sql, &crate::schema::NoSchema)?.pop() {
            Some(Plan::Session(SessionStmt::Fetch(f))) => Ok(f),
            other => panic!("not a FETCH: {other:?}"),
        }
    }

    #[test]
    fn fetch_forms_reduce_as_postgresql_reduces_them() {
        use FetchDirection::*;
        let cases: &[(&str, FetchDirection, Option<i64>)] = &[
            ("FETCH c", Forward, Some(1)),
            ("FETCH FROM c", Forward, Some(1)),
            ("FETCH NEXT c", Forward, Some(1)),
            ("fetch prior in c", Backward, Some(1)),
            ("FETCH FIRST c", Absolute, Some(1)),
            ("FETCH LAST FROM c", Absolute, Some(-1)),
            ("FETCH ABSOLUTE -2 c", Absolute, Some(-2)),
            ("FETCH RELATIVE +3 IN c", Relative, Some(3)),
            ("FETCH 5 c", Forward, Some(5)),
            ("FETCH -1 FROM c", Forward, Some(-1)),
            ("FETCH ALL c", Forward, None),
            ("FETCH FORWARD c", Forward, Some(1)),
            ("FETCH FORWARD 0 FROM c", Forward, Some(0)),
            ("FETCH FORWARD ALL FROM c", Forward, None),
            ("FETCH BACKWARD c", Backward, Some(1)),
            ("FETCH BACKWARD 2 c", Backward, Some(2)),
            ("FETCH BACKWARD ALL IN c", Backward, None),
            ("FETCH FORWARD 2147483647 c", Forward, Some(2147483647)),
            ("FETCH -2147483647 c", Forward, Some(-2147483647)),
        ];
        for (sql, direction, count) in cases {
            let f = fetch(sql).unwrap_or_else(|e| panic!("{sql}: {e:?}"));
            assert_eq!((f.name.as_str(), f.direction, f.count, f.is_move), ("c", *direction, *count, false), "{sql}");
        }
        let m = fetch("MOVE BACKWARD 2 IN \"Cur\";").unwrap();
        assert_eq!((m.name.as_str(), m.direction, m.count, m.is_move), ("Cur", Backward, Some(2), true));
        // A direction word alone names the cursor.
        assert_eq!(fetch("FETCH next").unwrap().name, "next");
        assert_eq!(fetch("MOVE FORWARD forward").unwrap().name, "forward");
    }

    #[test]
    fn malformed_fetches_are_syntax_errors_with_positions() {
        for (sql, message, position) in [
            ("FETCH 2147483648 FROM c", "syntax error at or near \"2147483648\"", 7),
            // PostgreSQL's lexer reads the digits alone, which overflow.
            ("FETCH -2147483648 c", "syntax error at or near \"2147483648\"", 8),
            ("FETCH", "syntax error at end of input", 6),
            ("FETCH FROM", "syntax error at end of input", 11),
            ("FETCH 1 FROM c d", "syntax error at or near \"d\"", 16),
            ("FETCH ABSOLUTE FROM c", "syntax error at or near \"FROM\"", 16),
            ("FETCH - c", "syntax error at or near \"c\"", 9),
            ("MOVE ALL", "syntax error at end of input", 9),
            // Positions count characters, not bytes.
            ("FETCH 1 FROM \"é\" ü", "syntax error at or near \"ü\"", 18),
            ("-- ünïcode\nFETCH ALL ALL", "syntax error at or near \"ALL\"", 22),
            ("FETCH \"\"", "zero-length delimited identifier at or near \"\"\"\"", 0),
        ] {
            let e = fetch(sql).unwrap_err();
            assert_eq!((e.sqlstate, e.message.as_str()), ("42601", message), "{sql}");
            if position > 0 {
                assert_eq!(e.position, Some(position), "{sql}");
            }
        }
    }

    #[test]
    fn fetch_among_other_statements() {
        let plans =
            crate::plan::plan_with_text_in("BEGIN; FETCH 2 c; MOVE c; SELECT 1", &crate::schema::NoSchema).unwrap();
        let texts: Vec<&str> = plans.iter().map(|(_, t)| t.as_str()).collect();
        assert_eq!(texts, ["BEGIN", "FETCH FORWARD 2 FROM \"c\"", "MOVE FORWARD 1 FROM \"c\"", "SELECT 1"]);
        assert!(matches!(plans.get(3), Some((Plan::Read(_), _))));
        // The text of a lone FETCH is its own.
        let lone = crate::plan::plan_with_text_in(" fetch 2 c ; ", &crate::schema::NoSchema).unwrap();
        assert_eq!(lone.first().map(|(_, t)| t.as_str()), Some("fetch 2 c"));
        // `FETCH FIRST` of a SELECT is not a cursor's.
        let select = crate::plan::plan_in("SELECT a FROM t FETCH FIRST 2 ROWS ONLY", &crate::schema::NoSchema);
        assert!(matches!(select.as_deref(), Ok([Plan::Read(_)])));
    }

    #[test]
    fn declare_options() {
        let d =
            declare("DECLARE \"C_1\" BINARY INSENSITIVE NO SCROLL CURSOR WITH HOLD FOR SELECT a FROM t WHERE b = $1")
                .unwrap();
        assert_eq!((d.name.as_str(), d.binary, d.scroll, d.hold), ("C_1", true, false, true));
        assert_eq!((d.read.param_count, d.query.as_str()), (1, "SELECT a FROM t WHERE b = $1"));
        let d = declare("DECLARE c SCROLL CURSOR WITHOUT HOLD FOR SELECT count(*) FROM t").unwrap();
        assert_eq!((d.binary, d.scroll, d.hold), (false, true, false));
    }

    #[test]
    fn default_scroll_follows_postgresql_plans() {
        for (query, scrolls) in [
            ("SELECT * FROM t", true),
            ("SELECT a, b + 1 FROM t WHERE a > 1 ORDER BY b LIMIT 3", true),
            ("SELECT * FROM (SELECT a FROM t ORDER BY a) AS s", true),
            ("SELECT * FROM generate_series(1, 3)", true),
            ("VALUES (1), (2)", true),
            ("SELECT a FROM t UNION ALL SELECT a FROM u", true),
            ("WITH w AS (SELECT a FROM t) SELECT * FROM w", true),
            ("SELECT a, (SELECT count(*) FROM u) FROM t", true),
            ("SELECT a FROM t WHERE a NOT IN (SELECT a FROM u)", true),
            ("SELECT 1", false),
            ("SELECT count(*) FROM t", false),
            ("SELECT a FROM t GROUP BY a", false),
            ("SELECT DISTINCT a FROM t", false),
            ("SELECT a, rank() OVER (ORDER BY a) FROM t", false),
            ("SELECT t.a FROM t JOIN u ON u.a = t.a", false),
            ("SELECT t.a FROM t, u", false),
            ("SELECT a FROM t WHERE a IN (SELECT a FROM u)", false),
            ("SELECT a FROM t WHERE EXISTS (SELECT 1 FROM u)", false),
            ("SELECT a FROM t UNION SELECT a FROM u", false),
            ("SELECT generate_series(1, 3) FROM t", false),
            ("WITH w AS (SELECT count(*) FROM t) SELECT * FROM w", false),
            ("SELECT * FROM (SELECT max(a) FROM t) AS s", false),
            ("SELECT a FROM t FOR UPDATE", false),
        ] {
            let d = declare(&format!("DECLARE c CURSOR FOR {query}")).unwrap_or_else(|e| panic!("{query}: {e:?}"));
            assert_eq!(d.scroll, scrolls, "{query}");
        }
    }

    #[test]
    fn declare_refusals() {
        for (sql, sqlstate, message) in [
            (
                "DECLARE c CURSOR FOR WITH x AS (INSERT INTO t VALUES (1) RETURNING *) SELECT * FROM x",
                "0A000",
                "DECLARE CURSOR must not contain data-modifying statements in WITH",
            ),
            (
                "DECLARE c SCROLL CURSOR FOR SELECT * FROM t FOR UPDATE",
                "0A000",
                "DECLARE SCROLL CURSOR ... FOR UPDATE is not supported",
            ),
            (
                "DECLARE c CURSOR FOR SELECT nextval('s')",
                "0A000",
                "a cursor over a query that draws from a sequence is not supported",
            ),
            ("DECLARE \"\" CURSOR FOR SELECT 1", "42601", "zero-length delimited identifier at or near \"\"\"\""),
            ("DECLARE c CURSOR FOR INSERT INTO t VALUES (1)", "42601", "syntax error at or near \"INSERT\""),
        ] {
            let e = declare(sql).unwrap_err();
            assert_eq!((e.sqlstate, e.message.as_str()), (sqlstate, message), "{sql}");
        }
    }

    /// MySQL's DECLARE belongs to stored programs, and its FETCH and CLOSE
    /// to their cursors: none of them plans as a cursor statement.
    #[test]
    fn mysql_plans_no_cursor_statements() {
        for sql in ["DECLARE c CURSOR FOR SELECT 1", "CLOSE c", "FETCH c INTO x", "FETCH NEXT FROM c"] {
            let plans = crate::plan::plan_dialect(sql, &crate::schema::NoSchema, Dialect::MySql);
            let cursor = plans.as_ref().is_ok_and(|plans| {
                plans.iter().any(|p| {
                    matches!(
                        p,
                        Plan::Session(
                            SessionStmt::DeclareCursor(_) | SessionStmt::Fetch(_) | SessionStmt::CloseCursor(_)
                        )
                    )
                })
            });
            assert!(!cursor, "{sql}: {plans:?}");
            assert!(plans.is_err(), "{sql}: {plans:?}");
        }
    }
}
