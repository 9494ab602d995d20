//! Rendering PostgreSQL ASTs as SQLite text.
//!
//! [`Renderer`] is a `VisitorMut` that rewrites a parsed statement in place
//! so that sqlparser's `Display` prints SQL SQLite accepts: identifiers
//! folded and double-quoted, `$n` -> `?n`, booleans -> 1/0, casts to SQLite
//! storage types, `ILIKE` -> `lower(a) LIKE lower(b)`, PostgreSQL-only
//! functions mapped, schema-qualified tables resolved, clock and random
//! functions handled per [`crate::determinism`]. It records the tables read
//! and the highest parameter number on the way.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::ControlFlow;

use sqlparser::ast::{
    AccessExpr, BinaryOperator, CastKind, DataType, DateTimeField, Distinct, Expr, Function, FunctionArg,
    FunctionArgExpr, FunctionArgumentList, FunctionArguments, Ident, LimitClause, ObjectName, ObjectNamePart,
    OffsetRows, Query, Select, SelectItem, SetExpr, Statement, Subscript, TableAlias, TableFactor, TrimWhereField,
    UnaryOperator, Value, ValueWithSpan, VisitMut, VisitorMut,
};
use sqlparser::tokenizer::Span;

use crate::catalog::{self, SrfScope};
use crate::determinism::{self, Clock, Mode};
use crate::error::{PlanError, SourceMap, INTERNAL_ERROR, STATEMENT_TOO_COMPLEX};
use crate::names;
use crate::numeric::Numeric;
use crate::scalars;
use crate::schema::Schema;
use crate::types::{self, PgType};

/// Rewrites one statement (or expression) for SQLite; see the module docs.
pub(crate) struct Renderer<'a> {
    mode: Mode,
    source: &'a SourceMap,
    /// Every table referenced, by SQLite name, with how often.
    pub tables: BTreeMap<String, usize>,
    /// Names of CTEs in scope anywhere in the statement: not tables.
    ctes: BTreeSet<String>,
    /// Highest `$n` seen.
    pub param_count: usize,
    /// One frame per SELECT being rewritten, innermost last: the
    /// set-returning functions of its SELECT list.
    srf: Vec<SrfScope>,
    /// `json_each` relations introduced by rewrites and not visited yet.
    json_each_pending: usize,
    /// The tables' column types, for casts whose meaning depends on them.
    schema: &'a dyn Schema,
    /// One frame per query being rewritten, innermost last: the tables its
    /// FROM clause names, as (name visible in the query, SQLite table).
    scopes: Vec<Vec<(String, String)>>,
    /// Rendering a DDL expression (DEFAULT, CHECK, index): only SQLite's
    /// own functions, since the stored schema must open on any connection.
    ddl: bool,
    /// The statement draws from or sets a sequence (`nextval`, `setval`):
    /// a SELECT that does is a write.
    pub draws_sequence: bool,
}

impl<'a> Renderer<'a> {
    pub(crate) fn new(mode: Mode, source: &'a SourceMap, schema: &'a dyn Schema) -> Self {
        Renderer {
            mode,
            source,
            tables: BTreeMap::new(),
            ctes: BTreeSet::new(),
            param_count: 0,
            srf: Vec::new(),
            json_each_pending: 0,
            schema,
            scopes: Vec::new(),
            ddl: false,
            draws_sequence: false,
        }
    }

    /// A renderer for DEFAULT, CHECK and index expressions.
    pub(crate) fn for_ddl(source: &'a SourceMap, schema: &'a dyn Schema) -> Self {
        Renderer { ddl: true, ..Renderer::new(Mode::Write, source, schema) }
    }

    /// Makes `table` visible (as itself and as `alias`) to the expressions
    /// rendered next: the target of an INSERT, UPDATE or DELETE.
    pub(crate) fn enter_table(&mut self, table: &str, alias: Option<&Ident>) {
        let mut frame = vec![(table.to_string(), table.to_string())];
        if let Some(alias) = alias {
            frame.push((names::fold(alias), table.to_string()));
        }
        self.scopes.push(frame);
    }

    /// The frame of a query: the plain tables of its FROM clause.
    fn scope_of(&self, query: &Query) -> Vec<(String, String)> {
        let SetExpr::Select(select) = query.body.as_ref() else {
            return Vec::new();
        };
        let mut frame = Vec::new();
        let factors =
            select.from.iter().flat_map(|t| std::iter::once(&t.relation).chain(t.joins.iter().map(|j| &j.relation)));
        for factor in factors {
            let TableFactor::Table { name, alias, args: None, .. } = factor else {
                continue;
            };
            if let [ObjectNamePart::Identifier(ident)] = name.0.as_slice() {
                if self.ctes.contains(&names::fold(ident)) {
                    continue;
                }
            }
            let Ok(table) = names::resolve_table(name) else {
                continue;
            };
            if table.catalog.is_some() || table.system_view {
                continue;
            }
            let visible = match alias {
                Some(alias) => names::fold(&alias.name),
                None => names::relation_schema(&table.sqlite).1.to_string(),
            };
            frame.push((visible, table.sqlite));
        }
        frame
    }

    /// The declared type of a column reference, looked up through the
    /// enclosing queries' FROM clauses, innermost first.
    fn column_type(&self, expr: &Expr) -> Option<PgType> {
        let (qualifier, column) = match expr {
            Expr::Identifier(ident) => (None, &ident.value),
            Expr::CompoundIdentifier(parts) => match parts.as_slice() {
                [q, c] | [_, q, c] => (Some(&q.value), &c.value),
                _ => return None,
            },
            Expr::Nested(inner) => return self.column_type(inner),
            _ => return None,
        };
        for frame in self.scopes.iter().rev() {
            let mut found = frame
                .iter()
                .filter(|(visible, _)| qualifier.is_none_or(|q| q == visible))
                .filter_map(|(_, table)| self.schema.column_type(table, column));
            match (found.next(), found.next()) {
                (Some(ty), None) => return Some(ty),
                (Some(_), Some(_)) => return None,
                (None, _) if qualifier.is_some_and(|q| frame.iter().any(|(v, _)| v == q)) => return None,
                (None, _) => continue,
            }
        }
        None
    }

    /// Rewrites `node` in place.
    pub(crate) fn rewrite<T: VisitMut>(&mut self, node: &mut T) -> Result<(), PlanError> {
        match node.visit(self) {
            ControlFlow::Continue(()) => Ok(()),
            ControlFlow::Break(error) => Err(error),
        }
    }

    /// Rewrites an expression and prints it.
    pub(crate) fn expr(&mut self, expr: &Expr) -> Result<String, PlanError> {
        let mut expr = expr.clone();
        self.rewrite(&mut expr)?;
        Ok(expr.to_string())
    }

    fn position(&self, span: Span) -> Option<u32> {
        self.source.position(span.start)
    }

    fn check_ident(&self, ident: &Ident) -> Result<(), PlanError> {
        names::check_reserved(&ident.value).map_err(|e| e.at(self.position(ident.span)))
    }

    fn relation(&mut self, name: &mut ObjectName) -> Result<(), PlanError> {
        let span = name.0.first().and_then(ObjectNamePart::as_ident).map(|ident| ident.span);
        if let [ObjectNamePart::Identifier(ident)] = name.0.as_slice() {
            if self.ctes.contains(&ident.value) {
                // CTE names are collected for the whole statement, so a
                // table of the same name read elsewhere in it is listed
                // too: the privilege checks then see every table the
                // statement may read.
                if self.schema.column_names(&ident.value).is_some() {
                    *self.tables.entry(ident.value.clone()).or_insert(0) += 1;
                }
                return Ok(());
            }
        }
        if self.json_each_pending > 0 && name.to_string() == "\"json_each\"" {
            // The `json_each` a FROM-clause function became: not a table.
            self.json_each_pending -= 1;
            return Ok(());
        }
        let table = names::resolve_table(name).map_err(|e| e.at(span.and_then(|s| self.position(s))))?;
        *self.tables.entry(table.listed()).or_insert(0) += 1;
        *name = match table.catalog {
            Some(_) if self.mode == Mode::Write => {
                return Err(PlanError::unsupported(format!("reading {} in a write statement", table.listed()))
                    .with_hint("the catalog is emulated per node; query it in a separate SELECT")
                    .at(span.and_then(|s| self.position(s))))
            }
            Some(schema) => ObjectName::from(vec![quoted(schema), quoted(&table.sqlite)]),
            None => ObjectName::from(vec![quoted(&table.sqlite)]),
        };
        Ok(())
    }

    fn query(&mut self, query: &mut Query) -> Result<(), PlanError> {
        if let Some(with) = &query.with {
            self.ctes.extend(with.cte_tables.iter().map(|cte| names::fold(&cte.alias.name)));
        }
        if let Some(fetch) = query.fetch.take() {
            if fetch.with_ties || fetch.percent {
                return Err(PlanError::unsupported("FETCH FIRST ... WITH TIES or PERCENT").with_hint("use LIMIT"));
            }
            // `FETCH FIRST n ROWS ONLY` is `LIMIT n`; without a count, one row.
            let count = fetch.quantity.unwrap_or_else(|| number("1"));
            match &mut query.limit_clause {
                None => {
                    query.limit_clause =
                        Some(LimitClause::LimitOffset { limit: Some(count), offset: None, limit_by: Vec::new() })
                }
                Some(LimitClause::LimitOffset { limit: limit @ None, .. }) => *limit = Some(count),
                Some(_) => return Err(PlanError::new("42601", "multiple LIMIT clauses not allowed")),
            }
        }
        if let Some(LimitClause::LimitOffset { offset: Some(offset), .. }) = &mut query.limit_clause {
            // `OFFSET n ROWS`: SQLite takes the count alone.
            offset.rows = OffsetRows::None;
        }
        // Reads see a snapshot and writes are serial: row locks mean nothing here.
        query.locks.clear();
        compound_operands(&mut query.body)?;
        if let Some(LimitClause::LimitOffset { limit: limit @ None, offset: Some(_), .. }) = &mut query.limit_clause {
            // SQLite accepts OFFSET only after a LIMIT; -1 means no limit.
            *limit = Some(number("-1"));
        }
        Ok(())
    }

    fn value(&mut self, value: &mut ValueWithSpan) -> Result<(), PlanError> {
        let replacement = match &value.value {
            Value::Boolean(b) => Value::Number(if *b { "1" } else { "0" }.into(), false),
            Value::Placeholder(text) => Value::Placeholder(self.placeholder(text, value.span)?),
            Value::EscapedStringLiteral(s) | Value::NationalStringLiteral(s) | Value::UnicodeStringLiteral(s) => {
                Value::SingleQuotedString(s.clone())
            }
            Value::DollarQuotedString(s) => Value::SingleQuotedString(s.value.clone()),
            // Its bits, which `scalars::bit_literals` checked.
            Value::SingleQuotedByteStringLiteral(bits) => Value::SingleQuotedString(bits.clone()),
            Value::Number(..) | Value::SingleQuotedString(_) | Value::HexStringLiteral(_) | Value::Null => {
                return Ok(())
            }
            other => return Err(PlanError::unsupported(format!("literal {other}")).at(self.position(value.span))),
        };
        value.value = replacement;
        Ok(())
    }

    fn placeholder(&mut self, text: &str, span: Span) -> Result<String, PlanError> {
        let number = text.strip_prefix('$').and_then(|n| n.parse::<usize>().ok()).filter(|n| (1..=65535).contains(n));
        let Some(number) = number else {
            return Err(PlanError::new("42P02", format!("there is no parameter {text}"))
                .with_hint("use numbered parameters $1, $2, ...")
                .at(self.position(span)));
        };
        self.param_count = self.param_count.max(number);
        Ok(format!("?{number}"))
    }
}

impl VisitorMut for Renderer<'_> {
    type Break = PlanError;

    fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<PlanError> {
        if let Err(e) = self.query(query) {
            return ControlFlow::Break(e);
        }
        let frame = self.scope_of(query);
        self.scopes.push(frame);
        ControlFlow::Continue(())
    }

    fn post_visit_query(&mut self, _query: &mut Query) -> ControlFlow<PlanError> {
        self.scopes.pop();
        ControlFlow::Continue(())
    }

    fn pre_visit_select(&mut self, select: &mut Select) -> ControlFlow<PlanError> {
        self.srf.push(SrfScope::new(self.srf.len() + 1));
        if matches!(select.distinct, Some(Distinct::On(_))) {
            return ControlFlow::Break(PlanError::unsupported("SELECT DISTINCT ON"));
        }
        if select.into.is_some() {
            return ControlFlow::Break(PlanError::unsupported("SELECT INTO"));
        }
        ControlFlow::Continue(())
    }

    fn post_visit_select(&mut self, select: &mut Select) -> ControlFlow<PlanError> {
        // pre_visit_select pushed it: a SELECT whose pre-visit breaks is not post-visited.
        let Some(scope) = self.srf.pop() else {
            return ControlFlow::Break(PlanError::new(INTERNAL_ERROR, "unbalanced SELECT scopes"));
        };
        into_flow(finish_select(select, scope))
    }

    fn pre_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<PlanError> {
        // `current_schema` and friends are keywords, not columns, unless quoted.
        if let Expr::Identifier(ident) = expr {
            let lower = ident.value.to_lowercase();
            if ident.quote_style.is_none() && catalog::SESSION_FUNCTIONS.contains(&lower.as_str()) {
                *expr = call(&lower, vec![]);
            }
        }
        // Before the operands are rewritten: see `containment_operator`.
        into_flow(self.containment_operator(expr))
    }

    fn pre_visit_table_factor(&mut self, factor: &mut TableFactor) -> ControlFlow<PlanError> {
        name_derived_columns(factor);
        if self.json_each_pending > 0 {
            if let TableFactor::Table { name, .. } = factor {
                if name.to_string() == "json_each" {
                    return ControlFlow::Continue(());
                }
            }
        }
        expose_relation_name(factor, &self.ctes);
        match catalog::from_function(factor) {
            Some(Ok(derived)) => {
                *factor = derived;
                self.json_each_pending += 1;
            }
            Some(Err(e)) => return ControlFlow::Break(e),
            None => {}
        }
        ControlFlow::Continue(())
    }

    fn post_visit_relation(&mut self, relation: &mut ObjectName) -> ControlFlow<PlanError> {
        into_flow(self.relation(relation))
    }

    fn post_visit_ident(&mut self, ident: &mut Ident) -> ControlFlow<PlanError> {
        ident.value = names::fold(ident);
        ident.quote_style = Some('"');
        ControlFlow::Continue(())
    }

    fn post_visit_value(&mut self, value: &mut ValueWithSpan) -> ControlFlow<PlanError> {
        into_flow(self.value(value))
    }

    fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<PlanError> {
        into_flow(self.rewrite_expr(expr))
    }
}

/// The parenthesized operands of UNION, INTERSECT and EXCEPT, which
/// SQLite's grammar does not take: `(SELECT a FROM t)` loses its
/// parentheses, and one with its own ORDER BY, LIMIT, OFFSET or WITH
/// becomes `SELECT * FROM (SELECT ... LIMIT n) AS rc_operand`, which keeps
/// its column names and its rows.
fn compound_operands(body: &mut SetExpr) -> Result<(), PlanError> {
    // A loop, not recursion: a compound of hundreds of terms nests as deep.
    let mut pending = vec![body];
    while let Some(expr) = pending.pop() {
        let SetExpr::SetOperation { left, right, .. } = expr else { continue };
        for operand in [left.as_mut(), right.as_mut()] {
            if let SetExpr::Query(inner) = operand {
                let plain = inner.with.is_none()
                    && inner.order_by.is_none()
                    && inner.limit_clause.is_none()
                    && inner.fetch.is_none()
                    && inner.locks.is_empty();
                let inner = std::mem::replace(inner.as_mut(), empty_query());
                *operand = if plain { *inner.body } else { select_all_from(inner)? };
            }
            pending.push(operand);
        }
    }
    Ok(())
}

/// `SELECT * FROM (query) AS rc_operand`.
fn select_all_from(query: Query) -> Result<SetExpr, PlanError> {
    let internal = |what: &str| PlanError::new(INTERNAL_ERROR, format!("the compound operand template {what}"));
    let template = crate::parse::statements("SELECT * FROM (SELECT 1) AS rc_operand")
        .map_err(|e| internal(&format!("does not parse: {e}")))?;
    let Some(Statement::Query(mut outer)) = template.into_iter().next() else {
        return Err(internal("is no query"));
    };
    let SetExpr::Select(select) = outer.body.as_mut() else { return Err(internal("is no SELECT")) };
    let Some(TableFactor::Derived { subquery, .. }) = select.from.first_mut().map(|from| &mut from.relation) else {
        return Err(internal("has no derived table"));
    };
    **subquery = query;
    Ok(*outer.body)
}

/// A placeholder for a query moved out of its place.
fn empty_query() -> Query {
    Query {
        with: None,
        body: Box::new(SetExpr::Values(sqlparser::ast::Values {
            explicit_row: false,
            value_keyword: false,
            rows: Vec::new(),
        })),
        order_by: None,
        limit_clause: None,
        fetch: None,
        locks: Vec::new(),
        for_clause: None,
        settings: None,
        format_clause: None,
        pipe_operators: Vec::new(),
    }
}

/// `(subquery) AS t(a, b)`: SQLite takes no column list after a derived
/// table's alias, so the names move into the subquery's SELECT list (a
/// VALUES list becomes `SELECT column1 AS a, column2 AS b FROM (VALUES ...)`).
fn name_derived_columns(factor: &mut TableFactor) {
    let TableFactor::Derived { subquery, alias: Some(alias), .. } = factor else {
        return;
    };
    if alias.columns.is_empty() {
        return;
    }
    let names: Vec<Ident> = alias.columns.iter().map(|c| c.name.clone()).collect();
    if let SetExpr::Values(values) = subquery.body.as_ref() {
        let width = values.rows.first().map_or(0, |row| row.len());
        if names.len() > width {
            return;
        }
        let template = crate::parse::statements("SELECT 1 FROM (VALUES (1))");
        let Ok(mut statements) = template else { return };
        let Some(sqlparser::ast::Statement::Query(mut wrapper)) = statements.pop() else {
            return;
        };
        let SetExpr::Select(select) = wrapper.body.as_mut() else { return };
        select.projection = (1..=width)
            .map(|i| {
                let expr = Expr::Identifier(Ident::new(format!("column{i}")));
                match names.get(i - 1) {
                    Some(name) => SelectItem::ExprWithAlias { expr, alias: name.clone() },
                    None => SelectItem::UnnamedExpr(expr),
                }
            })
            .collect();
        if let Some(TableFactor::Derived { subquery: inner, .. }) = select.from.first_mut().map(|t| &mut t.relation) {
            *inner = subquery.clone();
        }
        *subquery = wrapper;
    } else if let SetExpr::Select(select) = subquery.body.as_mut() {
        if names.len() > select.projection.len() {
            return;
        }
        for (item, name) in select.projection.iter_mut().zip(&names) {
            let expr = match item {
                SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => e.clone(),
                _ => return,
            };
            *item = SelectItem::ExprWithAlias { expr, alias: name.clone() };
        }
    } else {
        return;
    }
    alias.columns.clear();
}

/// The SELECT-level rewrites of catalog queries: the series its
/// set-returning functions iterate, LATERAL one-row tables, and OID alias
/// result columns printed as names (as PostgreSQL prints `oid::regclass`).
fn finish_select(select: &mut Select, scope: SrfScope) -> Result<(), PlanError> {
    scope.finish(select)?;
    catalog::inline_lateral(select)?;
    for item in &mut select.projection {
        let expr = match item {
            SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => e,
            _ => continue,
        };
        if let Some(named) = catalog::reg_name(expr) {
            *expr = named;
        }
    }
    Ok(())
}

/// Moves a child out of an expression about to be replaced: cloning it
/// instead would copy the subtree once per level of a chain, recursing as
/// deep as the chain at each level.
fn take(child: &mut Expr) -> Expr {
    std::mem::replace(child, Expr::value(sqlparser::ast::Value::Null))
}

/// The longest text, in bytes, of both operands of one `#` together.
const XOR_OPERANDS_MAX: usize = 4096;

fn into_flow(result: Result<(), PlanError>) -> ControlFlow<PlanError> {
    match result {
        Ok(()) => ControlFlow::Continue(()),
        Err(error) => ControlFlow::Break(error),
    }
}

/// PostgreSQL knows `FROM s.t` as `t`; SQLite would know its table
/// `"s.t"` by that whole name, so an unaliased table whose SQLite name is
/// not its relation name gets the relation name as its alias.
fn expose_relation_name(factor: &mut TableFactor, ctes: &BTreeSet<String>) {
    let TableFactor::Table { name, alias: alias @ None, args: None, .. } = factor else {
        return;
    };
    if let [ObjectNamePart::Identifier(ident)] = name.0.as_slice() {
        // A plain name is its own SQLite name (the common case, decided
        // without resolving it twice), and a CTE's is no table's.
        if !ident.value.contains('.') || ctes.contains(&names::fold(ident)) {
            return;
        }
    }
    let Ok(table) = names::resolve_table(name) else { return };
    let relation = names::relation_schema(&table.sqlite).1;
    if table.catalog.is_none() && !table.system_view && relation != table.sqlite {
        *alias = Some(TableAlias { explicit: true, name: Ident::new(relation), columns: vec![], at: None });
    }
}

impl Renderer<'_> {
    /// `inner::ty` for a user-defined type `ty`: an enum's checked label
    /// in the type's order; a domain's base-type cast, checked against the
    /// domain's constraints (`inner` is rewritten already).
    fn user_cast(&mut self, kind: &CastKind, inner: &Expr, ty: &crate::usertype::UserType) -> Result<Expr, PlanError> {
        use crate::usertype::{self, UserTypeKind};
        let domain = match &ty.kind {
            UserTypeKind::Enum(labels) => return Ok(usertype::enum_cast(inner.clone(), ty, labels)),
            UserTypeKind::Domain(domain) => domain,
        };
        let from = if self.ddl { None } else { self.column_type(inner) };
        let value = cast(kind, inner, &usertype::base_data_type(domain.base)?, from, self.ddl)?;
        let placeholder = Expr::Identifier(Ident::with_quote('"', usertype::VALUE_PLACEHOLDER));
        let mut checks = Vec::new();
        for (mut condition, constraint) in usertype::domain_conditions(domain, &placeholder)? {
            Renderer::for_ddl(self.source, self.schema).rewrite(&mut condition)?;
            usertype::put_value(&mut condition, &value);
            checks.push(usertype::domain_ok(condition, &ty.name, constraint.as_deref()));
        }
        let Some(all) = checks.into_iter().reduce(|a, b| Expr::BinaryOp {
            left: Box::new(a),
            op: BinaryOperator::And,
            right: Box::new(b),
        }) else {
            return Ok(value);
        };
        // The checks fail with the domain's error, so only a NULL value
        // (or a NULL check) reaches the ELSE.
        Ok(Expr::Case {
            case_token: sqlparser::ast::helpers::attached_token::AttachedToken::empty(),
            end_token: sqlparser::ast::helpers::attached_token::AttachedToken::empty(),
            operand: None,
            conditions: vec![sqlparser::ast::CaseWhen { condition: all, result: value }],
            else_result: None,
        })
    }

    /// A cast to a bit string, network address or system type (see
    /// `scalars`); a literal's input error points at the literal.
    fn scalar_cast(&self, inner: &Expr, data_type: &DataType) -> Result<Expr, PlanError> {
        let target = types::cast_target(data_type)?;
        let from = if self.ddl { None } else { self.column_type(inner) };
        let position = scalars::literal_span(inner).and_then(|at| self.source.position(at));
        scalars::cast(inner, target, from, self.ddl).map_err(|e| e.at(position))
    }

    /// Rewrites one expression node whose children are already rewritten.
    fn rewrite_expr(&mut self, expr: &mut Expr) -> Result<(), PlanError> {
        if let Some(exact) = self.numeric_expr(expr) {
            *expr = exact;
            return Ok(());
        }
        let replacement = match expr {
            Expr::Identifier(ident) => return self.check_ident(ident),
            Expr::CompoundIdentifier(idents) => {
                idents.iter().try_for_each(|i| self.check_ident(i))?;
                // `schema.table.column`: a FROM item is known by its
                // relation name (see `pre_visit_table_factor`).
                if idents.len() == 3 {
                    idents.remove(0);
                }
                return Ok(());
            }
            Expr::Function(function) => self.function(function)?,
            // A user-defined type; the catalog's own casts (`::regclass`)
            // come first, as they are no user's.
            Expr::Cast { kind, expr: inner, data_type, .. }
                if matches!(data_type, DataType::Custom(..))
                    && catalog::cast(inner, data_type).is_none()
                    && crate::usertype::column_type(data_type, self.schema)?.is_some() =>
            {
                match crate::usertype::column_type(data_type, self.schema)? {
                    Some(ty) => Some(self.user_cast(kind, inner, &ty)?),
                    None => None,
                }
            }
            Expr::Cast { kind: CastKind::Cast | CastKind::DoubleColon, expr: inner, data_type, .. }
                if types::cast_target(data_type).is_ok_and(scalars::is_scalar) =>
            {
                Some(self.scalar_cast(inner, data_type)?)
            }
            // `'{1,2}'::int[]`: the literal read as that array type now.
            Expr::Cast { kind: CastKind::Cast | CastKind::DoubleColon, expr: inner, data_type, .. }
                if array_literal_cast(inner, data_type).is_some() =>
            {
                let (text, element) =
                    array_literal_cast(inner, data_type).ok_or_else(|| PlanError::unsupported("this array cast"))?;
                let position = scalars::literal_span(inner).and_then(|at| self.source.position(at));
                let value = crate::arrays::canonical(text, element).map_err(|e| e.at(position))?;
                Some(string(&value))
            }
            Expr::Cast { kind, expr: inner, data_type, .. } => Some(match catalog::cast(inner, data_type) {
                Some(rewritten) => rewritten,
                None => {
                    let from = if self.ddl {
                        None
                    } else {
                        self.column_type(inner).or_else(|| {
                            self.num_kind(inner)
                                .is_numeric()
                                .then_some(PgType::Numeric { precision: None, scale: None })
                        })
                    };
                    cast(kind, inner, data_type, from, self.ddl)?
                }
            }),
            Expr::Like { escape_char: escape @ None, any: false, .. } => {
                // PostgreSQL's LIKE escapes with a backslash unless told otherwise.
                *escape = Some(Box::new(string("\\")));
                None
            }
            Expr::BinaryOp { left, op, right } => match catalog::regex_operator(op) {
                Some((negated, insensitive)) => Some(catalog::regex(take(left), take(right), negated, insensitive)),
                None if *op == BinaryOperator::PGBitwiseXor => {
                    // SQLite has no XOR: a # b = (a | b) - (a & b). Each operand
                    // appears twice, so a chain of n XORs would grow as 2^n.
                    if left.to_string().len() + right.to_string().len() > XOR_OPERANDS_MAX {
                        return Err(PlanError::new(STATEMENT_TOO_COMPLEX, "the operands of # are too long")
                            .with_hint("SQLite has no XOR: a # b is computed as (a | b) - (a & b)"));
                    }
                    let both =
                        |op| Expr::Nested(Box::new(Expr::BinaryOp { left: left.clone(), op, right: right.clone() }));
                    Some(Expr::Nested(Box::new(Expr::BinaryOp {
                        left: Box::new(both(BinaryOperator::BitwiseOr)),
                        op: BinaryOperator::Minus,
                        right: Box::new(both(BinaryOperator::BitwiseAnd)),
                    })))
                }
                // `a || ARRAY[..]` / `a || ARRAY(SELECT ..)`: arrays are
                // text in PostgreSQL's form here, which `||` would glue
                // into a malformed one (psql's `\d+` concatenates reloptions).
                None if *op == BinaryOperator::StringConcat && (is_array(left) || is_array(right)) => {
                    Some(call("array_cat", vec![take(left), take(right)]))
                }
                // `json #> path` and `#>>`: PostgreSQL's walk down a text[]
                // path (`rc_json_path`, which the read connections and the
                // executor register, but no other connection that may open
                // a stored schema: so not in DDL).
                None if matches!(op, BinaryOperator::HashArrow | BinaryOperator::HashLongArrow) => {
                    if self.ddl {
                        return Err(PlanError::unsupported(format!(
                            "the {op} operator in DEFAULT, CHECK or an index expression"
                        )));
                    }
                    let as_text = if *op == BinaryOperator::HashLongArrow { "1" } else { "0" };
                    Some(call("rc_json_path", vec![take(left), take(right), number(as_text)]))
                }
                None if *op == BinaryOperator::Divide && !self.ddl => {
                    // SQLite divides by zero into NULL; PostgreSQL fails with 22012.
                    Some(call("rc_div", vec![take(left), take(right)]))
                }
                None => {
                    if is_comparison(op) {
                        // `int_column = 'x'`: PostgreSQL reads the literal as the column's type.
                        if let Some(ty) = self.column_type(left) {
                            coerce_literal(right, ty)?;
                        } else if let Some(ty) = self.column_type(right) {
                            coerce_literal(left, ty)?;
                        }
                        self.numeric_comparison(left, right);
                    }
                    None
                }
            },
            Expr::AnyOp { left, compare_op, right, .. } => Some(catalog::any_all(left, compare_op, right, false)?),
            Expr::AllOp { left, compare_op, right } => Some(catalog::any_all(left, compare_op, right, true)?),
            Expr::Array(array) => Some(call("rc_array", array.elem.clone())),
            // PostgreSQL's default and C collations compare bytes, as SQLite's
            // BINARY does; others are not emulated either, so the clause goes.
            Expr::Collate { expr: inner, .. } => Some(take(inner)),
            Expr::CompoundFieldAccess { root, access_chain } => {
                let (mut value, named) = catalog::access_root(root, access_chain);
                for access in access_chain.iter().skip(named) {
                    value = match access {
                        AccessExpr::Subscript(Subscript::Index { index }) => {
                            call("rc_array_get", vec![value, index.clone()])
                        }
                        AccessExpr::Dot(Expr::Identifier(field)) => {
                            // Outside a SELECT (UPDATE SET, VALUES) no set-returning function is in scope.
                            catalog::field_access(&value, &field.value, self.srf.last())
                        }
                        _ => return Err(PlanError::unsupported("this field access")),
                    };
                }
                Some(value)
            }
            Expr::ILike { negated, any: false, expr: left, pattern, escape_char } => Some(Expr::Like {
                negated: *negated,
                any: false,
                expr: Box::new(call("lower", vec![take(left)])),
                pattern: Box::new(call("lower", vec![take(pattern)])),
                escape_char: Some(escape_char.take().unwrap_or_else(|| Box::new(string("\\")))),
            }),
            Expr::Substring { expr: text, substring_from, substring_for, .. } => {
                let from = substring_from.as_deref().cloned().unwrap_or_else(|| number("1"));
                let mut args = vec![take(text), from];
                args.extend(substring_for.as_deref().cloned());
                Some(call("substr", args))
            }
            Expr::Position { expr: needle, r#in: haystack } => Some(call("instr", vec![take(haystack), take(needle)])),
            Expr::Trim { trim_where, trim_what, expr: text, trim_characters } => {
                Some(trim(trim_where, trim_what, text, trim_characters))
            }
            Expr::Extract { field, expr: source, .. } => Some(extract(&field.to_string(), source)?),
            Expr::TypedString(typed) if types::cast_target(&typed.data_type).is_ok_and(scalars::is_scalar) => {
                Some(self.scalar_cast(&Expr::Value(typed.value.clone()), &typed.data_type)?)
            }
            Expr::TypedString(typed) => {
                types::cast_target(&typed.data_type)?;
                Some(Expr::Value(typed.value.clone()))
            }
            other => return unsupported_expr(other),
        };
        if let Some(replacement) = replacement {
            *expr = replacement;
        }
        Ok(())
    }

    /// Rewrites a function call; `None` keeps it (with its name unquoted).
    fn function(&mut self, function: &mut Function) -> Result<Option<Expr>, PlanError> {
        let span = function.name.0.last().and_then(ObjectNamePart::as_ident).map(|ident| ident.span);
        let position = span.and_then(|s| self.position(s));
        if let FunctionArguments::Subquery(query) = &function.args {
            let last = function.name.0.last().and_then(ObjectNamePart::as_ident);
            if last.is_some_and(|ident| ident.value.eq_ignore_ascii_case("array")) {
                return catalog::array_subquery(query).map(Some);
            }
        }
        let name = function_name(&function.name).map_err(|e| e.at(position))?.to_lowercase();
        function.name = ObjectName::from(vec![Ident::new(name.clone())]);
        if matches!(function.args, FunctionArguments::None) && catalog::SESSION_FUNCTIONS.contains(&name.as_str()) {
            return Ok(Some(call(&name, vec![])));
        }
        if let Some(exact) = self.numeric_function(&name, function) {
            return Ok(Some(exact));
        }
        if let Some(call) = self.sequence_function(&name, function)? {
            return Ok(Some(call));
        }
        if let Some(renamed) = catalog::renamed(&name) {
            function.name = ObjectName::from(vec![Ident::new(renamed)]);
            return Ok(None);
        }
        // MySQL's LAST_INSERT_ID() reads a session value: a write that used
        // it would differ from validator to validator.
        if name == "current_setting" && self.mode == Mode::Write && crate::mysql::reads_session_insert_id(function) {
            return Err(determinism::refused("last_insert_id")
                .with_hint(
                    "LAST_INSERT_ID() is this session's value, which validators do not have; send the id the INSERT \
                     returned as a literal or parameter",
                )
                .at(position));
        }
        if name == "current_setting" && self.mode == Mode::Write && crate::mysql::reads_session_variable(function) {
            return Err(PlanError::unsupported("a system variable (@@name, VERSION(), CONNECTION_ID()) in a write")
                .with_hint("a write runs on every validator, which has no session: send the value as a literal")
                .at(position));
        }
        match determinism::classify(&name) {
            Some(Clock::Now) => return Ok(Some(call("rc_now", vec![]))),
            Some(Clock::Date) => {
                return Ok(Some(call("substr", vec![call("rc_now", vec![]), number("1"), number("10")])))
            }
            Some(Clock::Time) => return Ok(Some(call("substr", vec![call("rc_now", vec![]), number("12")]))),
            Some(_) if self.mode == Mode::Write => return Err(determinism::refused(&name).at(position)),
            Some(Clock::Random) => return Ok(Some(random_fraction())),
            Some(Clock::NonDeterministic) | None => {}
        }
        let Some(args) = plain_args(function) else {
            return Ok(None);
        };
        if let Some(scope) = self.srf.last_mut() {
            if let Some(element) = scope.call(&name, &args) {
                return Ok(Some(element));
            }
        }
        Ok(match name.as_str() {
            "char_length" | "character_length" => Some(call("length", args)),
            "greatest" if args.len() > 1 => Some(call("max", args)),
            "least" if args.len() > 1 => Some(call("min", args)),
            "btrim" => Some(call("trim", args)),
            "strpos" => Some(call("instr", args)),
            // The node's `rc_regexp_replace` (PostgreSQL's rules; flags always given).
            "regexp_replace" => match args.as_slice() {
                [source, pattern, replacement] => Some(call(
                    "rc_regexp_replace",
                    vec![source.clone(), pattern.clone(), replacement.clone(), string("")],
                )),
                [_, _, _, _] => Some(call("rc_regexp_replace", args)),
                _ => {
                    return Err(PlanError::unsupported("regexp_replace with a start position or occurrence")
                        .with_hint("use regexp_replace(source, pattern, replacement [, flags])"))
                }
            },
            "concat" => Some(concat(args)),
            "mod" => match args.as_slice() {
                [left, right] => Some(Expr::Nested(Box::new(Expr::BinaryOp {
                    left: Box::new(left.clone()),
                    op: BinaryOperator::Modulo,
                    right: Box::new(right.clone()),
                }))),
                _ => None,
            },
            _ => None,
        })
    }
}

impl Renderer<'_> {
    /// `nextval`, `currval`, `setval`, `lastval` as the node's functions
    /// (`rc_nextval` ...), which take the sequence's name as text: a
    /// `'s'::regclass` argument is its text.
    fn sequence_function(&mut self, name: &str, function: &Function) -> Result<Option<Expr>, PlanError> {
        let renamed = match name {
            "nextval" => "rc_nextval",
            "setval" => "rc_setval",
            "currval" => "rc_currval",
            "lastval" => "rc_lastval",
            _ => return Ok(None),
        };
        let mut args = match &function.args {
            FunctionArguments::None => Vec::new(),
            _ => match plain_args(function) {
                Some(args) => args,
                None => return Ok(None),
            },
        };
        if let Some(first) = args.first_mut() {
            if let Some(text) = regclass_literal(first) {
                *first = text;
            }
        }
        if matches!(name, "nextval" | "setval") {
            self.draws_sequence = true;
        }
        // The name of a rowid-numbered key's sequence (`t_id_seq` of `id
        // serial PRIMARY KEY`): the next id the table would give.
        let rowid_table = match args.first() {
            Some(Expr::Value(ValueWithSpan { value: Value::SingleQuotedString(text), .. })) => {
                crate::sequence::relation_from_text(text).ok().and_then(|s| self.schema.rowid_sequence(&s))
            }
            _ => None,
        };
        match (rowid_table, name) {
            (Some(table), "nextval") => {
                let max_rowid = max_rowid_of(&table)
                    .ok_or_else(|| PlanError::new(INTERNAL_ERROR, "the rowid query template does not parse"))?;
                args.push(max_rowid);
                return Ok(Some(call("rc_rowid_nextval", args)));
            }
            (Some(_), "currval") => return Ok(Some(call("rc_rowid_currval", args))),
            (Some(table), _) => {
                return Err(PlanError::unsupported(format!(
                    "setval on the key of table \"{table}\", which its rowid numbers"
                ))
                .with_hint("a serial primary key counts past its largest id; insert the id you need instead"))
            }
            _ => {}
        }
        Ok(Some(call(renamed, args)))
    }
}

/// `(SELECT max(rowid) FROM "table")`.
fn max_rowid_of(table: &str) -> Option<Expr> {
    let sql = format!("SELECT max(rowid) FROM {}", names::quote(table));
    match crate::parse::statements(&sql).ok()?.into_iter().next()? {
        Statement::Query(query) => Some(Expr::Subquery(query)),
        _ => None,
    }
}

/// The text inside `rc_regclass('s')`, which `'s'::regclass` has become.
fn regclass_literal(expr: &Expr) -> Option<Expr> {
    let Expr::Function(f) = expr else { return None };
    if f.name.to_string() != "rc_regclass" {
        return None;
    }
    match plain_args(f)?.as_slice() {
        [text @ Expr::Value(_)] => Some(text.clone()),
        _ => None,
    }
}

fn unsupported_expr(expr: &Expr) -> Result<(), PlanError> {
    let what = match expr {
        Expr::Interval(_) => "INTERVAL",
        Expr::AtTimeZone { .. } => "AT TIME ZONE",
        Expr::SimilarTo { .. } => "SIMILAR TO",
        Expr::Overlay { .. } => "OVERLAY",
        Expr::ILike { any: true, .. } | Expr::Like { any: true, .. } => "LIKE ANY",
        Expr::GroupingSets(_) | Expr::Cube(_) | Expr::Rollup(_) => "GROUPING SETS",
        Expr::IsNormalized { .. } => "IS NORMALIZED",
        Expr::Convert { .. } => "CONVERT",
        Expr::Lambda(_) | Expr::Struct { .. } | Expr::Map(_) | Expr::Dictionary(_) => "this expression",
        Expr::MatchAgainst { .. } | Expr::OuterJoin(_) | Expr::Prior(_) | Expr::Named { .. } => "this expression",
        _ => return Ok(()),
    };
    Err(PlanError::unsupported(what))
}

fn function_name(name: &ObjectName) -> Result<String, PlanError> {
    let parts: Vec<String> = name.0.iter().filter_map(ObjectNamePart::as_ident).map(|i| i.value.clone()).collect();
    match parts.as_slice() {
        [name] => Ok(name.clone()),
        [schema, name] if schema == "pg_catalog" || schema == "information_schema" => Ok(name.clone()),
        // The hash of the tx being executed (NULL outside one): a column
        // DEFAULT that records which tx wrote each row.
        [schema, name] if schema.eq_ignore_ascii_case("rowchain") && name.eq_ignore_ascii_case("tx_hash") => {
            Ok("rc_tx_hash".into())
        }
        _ => Err(PlanError::unsupported(format!("function {name}"))),
    }
}

/// The arguments of a plain call `f(a, b)`, or `None` for calls with
/// `DISTINCT`, `ORDER BY`, named arguments, `*`, `FILTER` or `OVER`.
fn plain_args(function: &Function) -> Option<Vec<Expr>> {
    let FunctionArguments::List(list) = &function.args else {
        return None;
    };
    if list.duplicate_treatment.is_some()
        || !list.clauses.is_empty()
        || function.over.is_some()
        || function.filter.is_some()
    {
        return None;
    }
    list.args
        .iter()
        .map(|arg| match arg {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(expr)) => Some(expr.clone()),
            _ => None,
        })
        .collect()
}

/// A cast with PostgreSQL's meaning. `from` is the declared type of the
/// operand when it is a column. Conversions PostgreSQL checks (text to
/// integer, numeric, boolean, json) go through the node's checking
/// functions (`rc_int`, `rc_real`, `rc_bool`, `rc_json`, `rc_jsonb`), which
/// fail with 22P02 or 22003 where SQLite's CAST would quietly give 0; DDL
/// expressions keep SQLite's CAST so the stored schema opens anywhere.
fn cast(
    kind: &CastKind,
    inner: &Expr,
    data_type: &DataType,
    from: Option<PgType>,
    ddl: bool,
) -> Result<Expr, PlanError> {
    if !matches!(kind, CastKind::Cast | CastKind::DoubleColon) {
        return Err(PlanError::unsupported(format!("{kind:?}")));
    }
    let target = types::cast_target(data_type)?;
    let checked = |function: &str, extra: Vec<Expr>| {
        let mut args = vec![inner.clone()];
        args.extend(extra);
        Ok(call(function, args))
    };
    let numeric_source = from.is_some_and(|t| t.is_integer() || matches!(t, PgType::Float4 | PgType::Float8));
    let from_numeric = matches!(from, Some(PgType::Numeric { .. }));
    match target {
        // Exact: a literal folded now, anything else rounded as it is cast.
        PgType::Numeric { .. } if !ddl => numeric_value(inner, target).map(numeric_result),
        PgType::Int2 | PgType::Int4 | PgType::Int8 if !ddl && from_numeric => {
            Ok(call("rc_num_int", vec![numeric_operand(inner.clone()), number(int_bits(target))]))
        }
        PgType::Bool => {
            if let Some(literal) = bool_literal(inner)? {
                return Ok(literal);
            }
            if ddl || from == Some(PgType::Bool) {
                return Ok(Expr::Nested(Box::new(inner.clone())));
            }
            checked("rc_bool", vec![])
        }
        PgType::Int2 | PgType::Int4 | PgType::Int8 if !ddl && !from.is_some_and(|t| t.is_integer()) => {
            checked("rc_int", vec![number(int_bits(target))])
        }
        PgType::Numeric { .. } | PgType::Float4 | PgType::Float8 if !ddl && !numeric_source => {
            let name = match target {
                PgType::Numeric { .. } => "numeric".to_string(),
                _ => target.name(),
            };
            checked("rc_real", vec![string(&name)])
        }
        PgType::Json if !ddl && from != Some(PgType::Json) => checked("rc_json", vec![]),
        PgType::Date | PgType::Time | PgType::Timestamp | PgType::Timestamptz if !ddl && from != Some(target) => {
            Ok(datetime(inner.clone(), target))
        }
        PgType::Jsonb if !ddl && from != Some(PgType::Jsonb) => checked("rc_jsonb", vec![]),
        PgType::Text | PgType::Varchar(_) | PgType::Char(_) => Ok(match from {
            // Stored 0/1; PostgreSQL prints `true`/`false`.
            Some(PgType::Bool) => call(
                "iif",
                vec![
                    inner.clone(),
                    string("true"),
                    call("iif", vec![Expr::IsNull(Box::new(inner.clone())), null(), string("false")]),
                ],
            ),
            // Stored as its text, with its scale.
            Some(PgType::Numeric { .. }) if !ddl => cast_to(numeric_operand(inner.clone()), target),
            // An inet's text shows its mask even when it is the full one.
            Some(PgType::Inet | PgType::Cidr) => cast_to(scalars::inet_with_mask(inner.clone()), target),
            _ if scalars::is_inet_collated(inner) => cast_to(scalars::inet_with_mask(inner.clone()), target),
            _ => cast_to(inner.clone(), target),
        }),
        PgType::Bytea => match inner {
            Expr::Value(ValueWithSpan { value: Value::SingleQuotedString(text), .. }) => bytea_literal(text),
            _ => Ok(cast_to(inner.clone(), target)),
        },
        _ => Ok(cast_to(inner.clone(), target)),
    }
}

/// The width `rc_int` and `rc_num_int` take for an integer type.
fn int_bits(ty: PgType) -> &'static str {
    match ty {
        PgType::Int2 => "16",
        PgType::Int4 => "32",
        _ => "64",
    }
}

/// `rc_datetime(expr, oid)`: a date, timestamp or timestamptz in the text
/// form rowchain stores (timestamptz as the UTC instant).
pub(crate) fn datetime(expr: Expr, ty: PgType) -> Expr {
    call("rc_datetime", vec![expr, number(&ty.oid().to_string())])
}

/// A bytea literal as PostgreSQL reads it: `'\x0102'` is those bytes (hex
/// format), other text is its own bytes (escape format, without escapes).
pub(crate) fn bytea_literal(text: &str) -> Result<Expr, PlanError> {
    let hex = match text.strip_prefix("\\x") {
        Some(hex) if hex.len() % 2 == 0 && hex.bytes().all(|b| b.is_ascii_hexdigit()) => hex.to_string(),
        Some(_) => return Err(PlanError::new("22P02", "invalid hexadecimal data in a bytea literal")),
        None if text.contains('\\') => {
            return Err(
                PlanError::unsupported("escape sequences in a bytea literal").with_hint("write it in hex: '\\x...'")
            )
        }
        None => text.bytes().map(|b| format!("{b:02x}")).collect(),
    };
    Ok(Expr::Value(Value::HexStringLiteral(hex).into()))
}

fn is_comparison(op: &BinaryOperator) -> bool {
    use BinaryOperator as B;
    matches!(op, B::Eq | B::NotEq | B::Lt | B::LtEq | B::Gt | B::GtEq)
}

/// Operators whose result is a boolean: comparisons, AND, OR, and jsonb's
/// and arrays' containment, existence and overlap (see `containment_operator`).
pub(crate) fn is_boolean_operator(op: &BinaryOperator) -> bool {
    use BinaryOperator as B;
    is_comparison(op)
        || matches!(
            op,
            B::And | B::Or | B::AtArrow | B::ArrowAt | B::Question | B::QuestionPipe | B::QuestionAnd | B::PGOverlap
        )
}

/// The text and element type of a string literal cast to an array type
/// whose elements a column may hold (`'{1,2}'::int[]`).
fn array_literal_cast<'e>(inner: &'e Expr, data_type: &DataType) -> Option<(&'e str, PgType)> {
    let text = scalars::literal_text(inner)?;
    match types::cast_target(data_type) {
        Ok(PgType::Array(a)) if crate::arrays::storable_element(a.element()) => Some((text, a.element())),
        _ => None,
    }
}

/// A string literal compared with a column of type `ty` becomes a value of
/// that type, as PostgreSQL types an unknown literal by the other operand:
/// `id = '7'` is `id = 7`, `id = 'x'` is 22P02.
fn coerce_literal(expr: &mut Expr, ty: PgType) -> Result<(), PlanError> {
    let Expr::Value(ValueWithSpan { value: Value::SingleQuotedString(text), .. }) = expr else {
        return Ok(());
    };
    let invalid = |name: &str| PlanError::new("22P02", format!("invalid input syntax for type {name}: \"{text}\""));
    let replacement = match ty {
        PgType::Int2 | PgType::Int4 | PgType::Int8 => {
            let name = match ty {
                PgType::Int2 => "smallint",
                PgType::Int4 => "integer",
                _ => "bigint",
            };
            let n: i64 = text.trim().parse().map_err(|_| invalid(name))?;
            number(&n.to_string())
        }
        PgType::Numeric { .. } | PgType::Float4 | PgType::Float8 => {
            let trimmed = text.trim();
            let plain = !trimmed.is_empty() && trimmed.bytes().all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b));
            match trimmed.parse::<f64>() {
                Ok(f) if plain && f.is_finite() => number(trimmed),
                _ => {
                    return Err(invalid(if matches!(ty, PgType::Numeric { .. }) {
                        "numeric"
                    } else {
                        "double precision"
                    }))
                }
            }
        }
        PgType::Bool => match bool_literal(expr)? {
            Some(literal) => literal,
            None => return Ok(()),
        },
        PgType::Date | PgType::Time | PgType::Timestamp | PgType::Timestamptz => datetime(expr.clone(), ty),
        ty if scalars::is_scalar(ty) => return scalars::compared_literal(expr, ty),
        PgType::Array(_) => return crate::arrays::compared_literal(expr, ty),
        _ => return Ok(()),
    };
    *expr = replacement;
    Ok(())
}

/// `'true'::bool` and friends, as PostgreSQL's boolean input accepts them;
/// other text is 22P02. `None` when `expr` is not a string literal.
pub(crate) fn bool_literal(expr: &Expr) -> Result<Option<Expr>, PlanError> {
    let Expr::Value(ValueWithSpan { value: Value::SingleQuotedString(text), .. }) = expr else {
        return Ok(None);
    };
    match parse_bool(text) {
        Some(b) => Ok(Some(number(if b { "1" } else { "0" }))),
        None => Err(PlanError::new("22P02", format!("invalid input syntax for type boolean: \"{text}\""))),
    }
}

/// PostgreSQL's boolean input: `true`, `yes`, `on`, `1` and their
/// opposites, or any unambiguous prefix of the words, in any case, with
/// blanks around.
pub fn parse_bool(text: &str) -> Option<bool> {
    let t = text.trim().to_ascii_lowercase();
    match t.as_str() {
        "" | "o" => return None,
        "1" => return Some(true),
        "0" => return Some(false),
        _ => {}
    }
    [("true", true), ("yes", true), ("on", true), ("false", false), ("no", false), ("off", false)]
        .into_iter()
        .find(|(word, _)| word.starts_with(t.as_str()))
        .map(|(_, value)| value)
}

pub(crate) fn null() -> Expr {
    Expr::value(Value::Null)
}

pub(crate) fn sqlite_data_type(ty: PgType) -> DataType {
    match ty.sqlite_type() {
        "INTEGER" => DataType::Integer(None),
        "REAL" => DataType::Real,
        "BLOB" => DataType::Blob(None),
        _ => DataType::Text,
    }
}

fn trim(
    trim_where: &Option<TrimWhereField>,
    trim_what: &Option<Box<Expr>>,
    text: &Expr,
    trim_characters: &Option<Vec<Expr>>,
) -> Expr {
    let function = match trim_where {
        Some(TrimWhereField::Leading) => "ltrim",
        Some(TrimWhereField::Trailing) => "rtrim",
        Some(TrimWhereField::Both) | None => "trim",
    };
    let mut args = vec![text.clone()];
    args.extend(trim_what.as_deref().cloned());
    args.extend(trim_characters.iter().flatten().take(1).cloned());
    call(function, args)
}

/// `extract(field from x)` via `strftime`; `epoch` via `unixepoch`.
fn extract(field: &str, source: &Expr) -> Result<Expr, PlanError> {
    let format = match field.to_ascii_uppercase().as_str() {
        "YEAR" => "%Y",
        "MONTH" => "%m",
        "DAY" => "%d",
        "HOUR" => "%H",
        "MINUTE" => "%M",
        "DOY" => "%j",
        "DOW" => "%w",
        "SECOND" => return Ok(cast_to(call("strftime", vec![string("%f"), source.clone()]), PgType::Float8)),
        "EPOCH" => return Ok(call("unixepoch", vec![source.clone(), string("subsec")])),
        other => return Err(PlanError::unsupported(format!("EXTRACT({other})"))),
    };
    Ok(cast_to(call("strftime", vec![string(format), source.clone()]), PgType::Int8))
}

fn cast_to(expr: Expr, ty: PgType) -> Expr {
    Expr::Cast { kind: CastKind::Cast, expr: Box::new(expr), data_type: sqlite_data_type(ty), format: None }
}

/// Whether `expr` is an array constructor as the renderer left it:
/// `ARRAY[..]` (`rc_array(..)`) or `ARRAY(SELECT ..)` (see
/// `catalog::array_subquery`).
fn is_array(expr: &Expr) -> bool {
    match expr {
        Expr::Function(f) => f.name.to_string() == "rc_array",
        Expr::Subquery(q) => matches!(
            q.body.as_ref(),
            SetExpr::Select(s) if s.from.first().is_some_and(|t| matches!(
                &t.relation,
                TableFactor::Derived { alias: Some(a), .. } if a.name.value == catalog::ARRAY_SUBQUERY_ALIAS
            ))
        ),
        Expr::Nested(inner) => is_array(inner),
        _ => false,
    }
}

/// `concat(a, b)`: `(coalesce(a, '') || coalesce(b, ''))`, since `||` with NULL is NULL.
fn concat(args: Vec<Expr>) -> Expr {
    let mut parts = args.into_iter().map(|arg| call("coalesce", vec![arg, string("")]));
    let Some(first) = parts.next() else {
        return string("");
    };
    let chained = parts.fold(first, |left, right| Expr::BinaryOp {
        left: Box::new(left),
        op: BinaryOperator::StringConcat,
        right: Box::new(right),
    });
    Expr::Nested(Box::new(chained))
}

/// `random()` in reads: PostgreSQL's float in [0, 1) from SQLite's 64-bit integer.
fn random_fraction() -> Expr {
    Expr::Nested(Box::new(Expr::BinaryOp {
        left: Box::new(call("abs", vec![call("random", vec![])])),
        op: BinaryOperator::Divide,
        right: Box::new(number("9223372036854775808.0")),
    }))
}

pub(crate) fn call(name: &str, args: Vec<Expr>) -> Expr {
    Expr::Function(Function {
        name: ObjectName::from(vec![Ident::new(name)]),
        uses_odbc_syntax: false,
        parameters: FunctionArguments::None,
        args: FunctionArguments::List(FunctionArgumentList {
            duplicate_treatment: None,
            args: args.into_iter().map(|arg| FunctionArg::Unnamed(FunctionArgExpr::Expr(arg))).collect(),
            clauses: vec![],
        }),
        filter: None,
        null_treatment: None,
        over: None,
        within_group: vec![],
    })
}

fn number(text: &str) -> Expr {
    Expr::value(Value::Number(text.into(), false))
}

pub(crate) fn string(text: &str) -> Expr {
    Expr::value(Value::SingleQuotedString(text.into()))
}

pub(crate) fn quoted(name: &str) -> Ident {
    Ident::with_quote('"', name)
}

/// How an operand takes part in exact numeric arithmetic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NumKind {
    /// A numeric column, or an exact result already rewritten: text in
    /// the `rc_numeric` collation.
    Numeric,
    /// `1.5`, `-2e3`: PostgreSQL reads these as numeric.
    DecimalLiteral,
    /// `7`, `-7`.
    IntLiteral,
    Integer,
    Float,
    /// Known to be something else (text, dates, ...).
    Other,
    /// Not known here: parameters, most function results.
    Unknown,
}

impl NumKind {
    /// Exact arithmetic applies when either operand is numeric.
    fn is_numeric(self) -> bool {
        matches!(self, NumKind::Numeric | NumKind::DecimalLiteral)
    }

    fn is_literal(self) -> bool {
        matches!(self, NumKind::DecimalLiteral | NumKind::IntLiteral)
    }
}

/// The text of a number literal, signed: `1.5`, `-2`; `None` for other
/// expressions (string literals included: their type is not known).
fn number_text(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Value(ValueWithSpan { value: Value::Number(n, _), .. }) => Some(n.clone()),
        Expr::UnaryOp { op: op @ (UnaryOperator::Minus | UnaryOperator::Plus), expr: inner } => match inner.as_ref() {
            Expr::Value(ValueWithSpan { value: Value::Number(n, _), .. }) if *op == UnaryOperator::Minus => {
                Some(format!("-{n}"))
            }
            Expr::Value(ValueWithSpan { value: Value::Number(n, _), .. }) => Some(n.clone()),
            _ => None,
        },
        Expr::Nested(inner) => number_text(inner),
        _ => None,
    }
}

/// The text of a literal a numeric can be read from: a number literal's
/// (see [`number_text`]) or a string literal's (`'1.5'`).
fn literal_text(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Value(ValueWithSpan { value: Value::SingleQuotedString(s), .. }) => Some(s.clone()),
        _ => number_text(expr),
    }
}

fn numeric_error(e: crate::numeric::NumericError) -> PlanError {
    PlanError::new(e.sqlstate, e.message)
}

/// A numeric column's literal DEFAULT as the column stores it (`'0.00'`
/// for `DEFAULT 0` on a `numeric(10,2)`), checked as PostgreSQL checks it
/// (22P02, 22003); `None` when `ty` is not numeric or `expr` no literal.
pub(crate) fn numeric_default(expr: &Expr, ty: PgType) -> Result<Option<String>, PlanError> {
    Ok(numeric_literal_expr(expr, ty)?.map(|e| e.to_string()))
}

fn numeric_literal_expr(expr: &Expr, ty: PgType) -> Result<Option<Expr>, PlanError> {
    let PgType::Numeric { precision, scale } = ty else { return Ok(None) };
    let Some(text) = literal_text(expr) else { return Ok(None) };
    let value = Numeric::parse(&text).and_then(|n| n.with_typmod(precision, scale)).map_err(numeric_error)?;
    Ok(Some(string(&value.to_text())))
}

/// A value written to a numeric column: a literal folded now, anything
/// else through `rc_num_cast(value, precision, scale)` as it is written.
pub(crate) fn numeric_value(expr: &Expr, ty: PgType) -> Result<Expr, PlanError> {
    let PgType::Numeric { precision, scale } = ty else { return Ok(expr.clone()) };
    if let Some(literal) = numeric_literal_expr(expr, ty)? {
        return Ok(literal);
    }
    let modifier = |m: Option<u32>| m.map_or_else(null, |m| number(&m.to_string()));
    Ok(call("rc_num_cast", vec![expr.clone(), modifier(precision), modifier(scale)]))
}

/// Decimal literals in the outermost SELECT list print as PostgreSQL prints
/// them (`SELECT 1.50` is `1.50`, not the float `1.5`): they become their
/// exact text. Only there, where no operator of the statement sees them as
/// text rather than a number.
pub(crate) fn exact_result_literals(query: &mut Query) -> Result<(), PlanError> {
    let SetExpr::Select(select) = query.body.as_mut() else { return Ok(()) };
    for item in &mut select.projection {
        let (SelectItem::UnnamedExpr(expr) | SelectItem::ExprWithAlias { expr, .. }) = item else { continue };
        let Some(text) = number_text(expr).filter(|t| t.contains(['.', 'e', 'E'])) else { continue };
        let value = Numeric::parse(&text).map_err(numeric_error)?;
        *expr = numeric_result(string(&value.to_text()));
    }
    Ok(())
}

/// `expr COLLATE rc_numeric`: an exact result orders, groups and compares
/// by value, as a numeric column does.
fn numeric_result(expr: Expr) -> Expr {
    Expr::Collate { expr: Box::new(expr), collation: ObjectName::from(vec![Ident::new(types::NUMERIC_COLLATION)]) }
}

/// An operand as an `rc_num_*` function takes it: literals as their text
/// (so `0.1` never passes through a binary float), exact results without
/// their collation.
fn numeric_operand(expr: Expr) -> Expr {
    if let Some(text) = number_text(&expr) {
        return string(&text);
    }
    match expr {
        Expr::Collate { expr: inner, collation } if is_numeric_collation(&collation) => *inner,
        other => other,
    }
}

fn is_numeric_collation(name: &ObjectName) -> bool {
    matches!(name.0.as_slice(), [ObjectNamePart::Identifier(ident)] if ident.value == types::NUMERIC_COLLATION)
}

fn function_called(expr: &Expr) -> Option<&str> {
    let Expr::Function(f) = expr else { return None };
    match f.name.0.as_slice() {
        [ObjectNamePart::Identifier(ident)] => Some(ident.value.as_str()),
        _ => None,
    }
}

impl Renderer<'_> {
    fn num_kind(&self, expr: &Expr) -> NumKind {
        if let Some(text) = number_text(expr) {
            return if text.contains(['.', 'e', 'E']) { NumKind::DecimalLiteral } else { NumKind::IntLiteral };
        }
        match expr {
            Expr::Nested(inner) => self.num_kind(inner),
            Expr::Collate { collation, .. } if is_numeric_collation(collation) => NumKind::Numeric,
            Expr::Subquery(query) => self.subquery_kind(query),
            Expr::Identifier(_) | Expr::CompoundIdentifier(_) => match self.column_type(expr) {
                Some(PgType::Numeric { .. }) => NumKind::Numeric,
                Some(t) if t.is_integer() => NumKind::Integer,
                Some(PgType::Float4 | PgType::Float8) => NumKind::Float,
                Some(_) => NumKind::Other,
                None => NumKind::Unknown,
            },
            Expr::Cast { data_type: DataType::Real, .. } => NumKind::Float,
            Expr::Cast { data_type: DataType::Integer(_), .. } => NumKind::Integer,
            Expr::Cast { .. } => NumKind::Other,
            _ => match function_called(expr) {
                Some(name) if name.starts_with("rc_num_") && name != "rc_num_int" => NumKind::Numeric,
                Some("rc_int" | "rc_num_int" | "count" | "length") => NumKind::Integer,
                Some("rc_real") => NumKind::Float,
                _ => NumKind::Unknown,
            },
        }
    }

    /// The exact form of an expression whose children are rewritten:
    /// arithmetic, negation, BETWEEN and IN lists, and CASE with a numeric
    /// operand; `None` leaves it to the other rewrites.
    fn numeric_expr(&self, expr: &mut Expr) -> Option<Expr> {
        if self.ddl {
            return None;
        }
        match expr {
            Expr::BinaryOp { left, op, right } => self.numeric_arithmetic(left, op, right),
            Expr::UnaryOp { op: UnaryOperator::Minus, expr: inner } if self.num_kind(inner) == NumKind::Numeric => {
                Some(numeric_result(call("rc_num_neg", vec![numeric_operand(take(inner))])))
            }
            Expr::Ceil {
                expr: inner,
                field: sqlparser::ast::CeilFloorKind::DateTimeField(DateTimeField::NoDateTime),
            } if self.num_kind(inner).is_numeric() => {
                Some(numeric_result(call("rc_num_ceil", vec![numeric_operand(take(inner))])))
            }
            Expr::Floor {
                expr: inner,
                field: sqlparser::ast::CeilFloorKind::DateTimeField(DateTimeField::NoDateTime),
            } if self.num_kind(inner).is_numeric() => {
                Some(numeric_result(call("rc_num_floor", vec![numeric_operand(take(inner))])))
            }
            Expr::Between { expr: value, low, high, .. } => {
                if self.num_kind(value) == NumKind::Numeric {
                    self.numeric_comparand(low);
                    self.numeric_comparand(high);
                }
                None
            }
            Expr::In { expr: value, target: sqlparser::ast::InTarget::List(list), .. } => {
                if self.num_kind(value) == NumKind::Numeric {
                    list.iter_mut().for_each(|item| self.numeric_comparand(item));
                }
                None
            }
            Expr::Case { conditions, else_result, .. } => {
                let mut results: Vec<&mut Expr> = conditions.iter_mut().map(|c| &mut c.result).collect();
                results.extend(else_result.as_deref_mut());
                if self.numeric_branches(results) {
                    return Some(numeric_result(take(expr)));
                }
                None
            }
            _ => None,
        }
    }

    /// The results of a CASE or the arguments of `coalesce`: when one is
    /// numeric and none is a float or a non-number, every one is made
    /// numeric text. Returns whether they were.
    fn numeric_branches(&self, mut branches: Vec<&mut Expr>) -> bool {
        let kinds: Vec<NumKind> = branches.iter().map(|b| self.num_kind(b)).collect();
        let null = |e: &Expr| matches!(e, Expr::Value(ValueWithSpan { value: Value::Null, .. }));
        let exact = kinds.iter().any(|k| k.is_numeric())
            && kinds.iter().zip(&branches).all(|(k, b)| !matches!(k, NumKind::Float | NumKind::Other) || null(b));
        if !exact {
            return false;
        }
        for branch in branches.iter_mut() {
            if !null(branch) {
                self.numeric_comparand(branch);
                let operand = numeric_operand(take(branch));
                **branch = operand;
            }
        }
        true
    }

    /// A scalar subquery's kind: that of its one result column.
    fn subquery_kind(&self, query: &Query) -> NumKind {
        let SetExpr::Select(select) = query.body.as_ref() else { return NumKind::Unknown };
        let [SelectItem::UnnamedExpr(item) | SelectItem::ExprWithAlias { expr: item, .. }] =
            select.projection.as_slice()
        else {
            return NumKind::Unknown;
        };
        match item {
            Expr::Identifier(_) | Expr::CompoundIdentifier(_) => {
                let column = match item {
                    Expr::Identifier(ident) => Some(&ident.value),
                    Expr::CompoundIdentifier(parts) => parts.last().map(|p| &p.value),
                    _ => None,
                };
                let numeric = column.is_some_and(|column| {
                    self.scope_of(query).iter().any(|(_, table)| {
                        matches!(self.schema.column_type(table, column), Some(PgType::Numeric { .. }))
                    })
                });
                if numeric {
                    NumKind::Numeric
                } else {
                    NumKind::Unknown
                }
            }
            other => match self.num_kind(other) {
                NumKind::Numeric => NumKind::Numeric,
                _ => NumKind::Unknown,
            },
        }
    }

    /// `a + b` (and `- * / %`) with a numeric operand, and no float:
    /// `rc_num_add(a, b) COLLATE rc_numeric`.
    fn numeric_arithmetic(&self, left: &mut Expr, op: &BinaryOperator, right: &mut Expr) -> Option<Expr> {
        let function = match op {
            BinaryOperator::Plus => "rc_num_add",
            BinaryOperator::Minus => "rc_num_sub",
            BinaryOperator::Multiply => "rc_num_mul",
            BinaryOperator::Divide => "rc_num_div",
            BinaryOperator::Modulo => "rc_num_mod",
            _ => return None,
        };
        let (l, r) = (self.num_kind(left), self.num_kind(right));
        let inexact = |k: NumKind| matches!(k, NumKind::Float | NumKind::Other);
        if self.ddl || !(l.is_numeric() || r.is_numeric()) || inexact(l) || inexact(r) {
            return None;
        }
        Some(numeric_result(call(function, vec![numeric_operand(take(left)), numeric_operand(take(right))])))
    }

    /// The other side of a comparison with a numeric value, made numeric
    /// text so SQLite compares the two in the `rc_numeric` collation: a
    /// literal becomes its text, an integer, float or unknown value goes
    /// through `rc_num`.
    fn numeric_comparand(&self, expr: &mut Expr) {
        match self.num_kind(expr) {
            // A subquery carries no collation of its own.
            NumKind::Numeric if matches!(expr, Expr::Subquery(_)) => *expr = numeric_result(take(expr)),
            NumKind::Numeric | NumKind::Other => {}
            kind if kind.is_literal() => *expr = numeric_operand(take(expr)),
            _ => *expr = numeric_result(call("rc_num", vec![take(expr)])),
        }
    }

    /// A comparison, BETWEEN or IN with a numeric value on one side.
    fn numeric_comparison(&self, left: &mut Expr, right: &mut Expr) {
        if self.ddl {
            return;
        }
        if self.num_kind(left) == NumKind::Numeric || self.num_kind(right) == NumKind::Numeric {
            self.numeric_comparand(left);
            self.numeric_comparand(right);
        }
    }

    /// `sum`, `avg`, `round`, `trunc`, `abs`, `ceil`, `floor`, `sign` and
    /// `mod` of numeric values: the exact `rc_num_*` functions.
    fn numeric_function(&self, name: &str, function: &Function) -> Option<Expr> {
        if self.ddl {
            return None;
        }
        let numeric = |e: &Expr| self.num_kind(e).is_numeric();
        if matches!(name, "sum" | "avg") {
            // Aggregates keep DISTINCT and FILTER; window forms stay SQLite's.
            if function.over.is_some() {
                return None;
            }
            let FunctionArguments::List(list) = &function.args else { return None };
            let [FunctionArg::Unnamed(FunctionArgExpr::Expr(arg))] = list.args.as_slice() else { return None };
            if !numeric(arg) || !list.clauses.is_empty() {
                return None;
            }
            let mut exact = function.clone();
            exact.name = ObjectName::from(vec![Ident::new(if name == "sum" { "rc_num_sum" } else { "rc_num_avg" })]);
            if let FunctionArguments::List(list) = &mut exact.args {
                list.args = vec![FunctionArg::Unnamed(FunctionArgExpr::Expr(numeric_operand(arg.clone())))];
            }
            return Some(numeric_result(Expr::Function(exact)));
        }
        let mut args = plain_args(function)?;
        if let Some(plain) = match name {
            "coalesce" | "ifnull" | "nullif" => Some(name),
            "greatest" => Some("max"),
            "least" => Some("min"),
            _ => None,
        } {
            if args.len() > 1 && self.numeric_branches(args.iter_mut().collect()) {
                return Some(numeric_result(call(plain, args)));
            }
            return None;
        }
        // The value as numeric text; the places as given.
        let exact = |f: &str, x: &Expr, places: Option<&Expr>| {
            let mut args = vec![numeric_operand(x.clone())];
            args.extend(places.cloned());
            Some(numeric_result(call(f, args)))
        };
        let zero = number("0");
        match (name, args.as_slice()) {
            ("round", [x]) if numeric(x) => exact("rc_num_round", x, Some(&zero)),
            ("round", [x, places]) if numeric(x) => exact("rc_num_round", x, Some(places)),
            ("trunc", [x]) if numeric(x) => exact("rc_num_trunc", x, Some(&zero)),
            ("trunc", [x, places]) if numeric(x) => exact("rc_num_trunc", x, Some(places)),
            ("abs", [x]) if numeric(x) => exact("rc_num_abs", x, None),
            ("ceil" | "ceiling", [x]) if numeric(x) => exact("rc_num_ceil", x, None),
            ("floor", [x]) if numeric(x) => exact("rc_num_floor", x, None),
            ("sign", [x]) if numeric(x) => exact("rc_num_sign", x, None),
            ("mod", [a, b]) => {
                let (mut a, mut b) = (a.clone(), b.clone());
                self.numeric_arithmetic(&mut a, &BinaryOperator::Modulo, &mut b)
            }
            _ => None,
        }
    }
}

impl Renderer<'_> {
    /// jsonb's containment and existence operators and arrays' containment
    /// and overlap, as the node's functions (`node_exec::jsonbfns`):
    /// `a @> b` is `rc_jsonb_contains(a, b)`, or `rc_array_contains_all(a, b)`
    /// when an operand is an array; `a <@ b` the same with the operands
    /// swapped; `a ? k`, `a ?| ks`, `a ?& ks` are `rc_jsonb_exists`,
    /// `rc_jsonb_exists_any`, `rc_jsonb_exists_all`; `a && b` is
    /// `rc_array_overlaps(a, b)` (rowchain has no ranges or geometry).
    ///
    /// Decided before the operands are rewritten, since rewriting loses
    /// what makes one an array: `'{1,2}'::int[]` becomes the bare text
    /// `'{1,2}'`, `$1::text[]` the bare `?1`. The replacement's arguments are
    /// then rewritten as any call's. The MySQL parser gives no `?` (a
    /// parameter there) and no `&&` (AND there); it does give `@>` and `<@`,
    /// which MySQL lacks, and they are rendered the same way.
    /// Refused in DDL, as `#>` is: the functions are the node's, which a
    /// connection opening a stored schema may not have.
    fn containment_operator(&mut self, expr: &mut Expr) -> Result<(), PlanError> {
        let Expr::BinaryOp { left, op, right } = expr else { return Ok(()) };
        let mut array = None;
        let name = match op {
            BinaryOperator::AtArrow | BinaryOperator::ArrowAt => {
                array = self.raw_array_type(left).or_else(|| self.raw_array_type(right));
                if array.is_some() {
                    "rc_array_contains_all"
                } else {
                    "rc_jsonb_contains"
                }
            }
            BinaryOperator::PGOverlap => "rc_array_overlaps",
            BinaryOperator::Question => "rc_jsonb_exists",
            BinaryOperator::QuestionPipe => "rc_jsonb_exists_any",
            BinaryOperator::QuestionAnd => "rc_jsonb_exists_all",
            _ => return Ok(()),
        };
        if self.ddl {
            return Err(PlanError::unsupported(format!("the {op} operator in DEFAULT, CHECK or an index expression")));
        }
        if let Some(ty) = array {
            // `tags @> '{ b }'`: the literal read as the other operand's array type.
            for operand in [left.as_mut(), right.as_mut()] {
                let position = scalars::literal_span(operand).and_then(|at| self.source.position(at));
                crate::arrays::compared_literal(operand, ty).map_err(|e| e.at(position))?;
            }
        }
        let (a, b) = (take(left), take(right));
        *expr = call(name, if *op == BinaryOperator::ArrowAt { vec![b, a] } else { vec![a, b] });
        Ok(())
    }

    /// The array type of an operand not rewritten yet, if it is one that
    /// says so: `ARRAY[..]`, `ARRAY(SELECT ..)`, a cast to an array type, or
    /// a column declared as an array. An array whose element type is not
    /// read here counts as `text[]`, as which a literal on the other side
    /// is only tidied (`'{ a }'` is `{a}`).
    fn raw_array_type(&self, operand: &Expr) -> Option<PgType> {
        let text_array = types::ArrayOf::of(PgType::Text).map(PgType::Array);
        let ty = match operand {
            Expr::Nested(inner) => return self.raw_array_type(inner),
            Expr::Array(_) => text_array,
            Expr::Function(f) if matches!(f.args, FunctionArguments::Subquery(_)) && is_named(f, "array") => text_array,
            Expr::Cast { data_type, .. } => match types::cast_target(data_type) {
                Ok(ty) => Some(ty),
                // `int[][]`, refused as the cast is rewritten.
                Err(_) if matches!(data_type, DataType::Array(_)) => text_array,
                Err(_) => None,
            },
            Expr::Identifier(ident) => self.column_type(&Expr::Identifier(Ident::new(names::fold(ident)))),
            Expr::CompoundIdentifier(parts) => {
                let folded = parts.iter().map(|p| Ident::new(names::fold(p))).collect();
                self.column_type(&Expr::CompoundIdentifier(folded))
            }
            _ => None,
        };
        ty.filter(|ty| matches!(ty, PgType::Array(_)))
    }
}

/// Whether `f` is called `name` (case-insensitively, the last part).
fn is_named(f: &Function, name: &str) -> bool {
    f.name.0.last().and_then(ObjectNamePart::as_ident).is_some_and(|i| i.value.eq_ignore_ascii_case(name))
}
