//! Parameter type inference for the extended query protocol: what each
//! `$n` of a statement most likely is, from where it appears. The proxy
//! resolves column hints against the chain's catalog and advertises the
//! result in ParameterDescription, as PostgreSQL does, so typed clients
//! (tokio-postgres, pgjdbc) can bind native values.

use core::ops::ControlFlow;
use sqlparser::ast::{
    AssignmentTarget, BinaryOperator, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, Ident, InTarget,
    LimitClause, SetExpr, Statement, TableFactor, TableObject, Value, ValueWithSpan, Visit, Visitor,
};

use crate::names;
use crate::schema::{NoSchema, Schema};
use crate::types::{cast_target, PgType};
use sqlparser::ast;

/// Where a parameter's type comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParamHint {
    Unknown,
    /// An explicit cast, or a position whose type is fixed (LIMIT).
    Type(PgType),
    /// Compared with or assigned to this column (`table` when qualified).
    Column {
        table: Option<String>,
        column: String,
    },
    /// The `index`-th column of `table` (INSERT without a column list).
    Position {
        table: String,
        index: usize,
    },
    /// A cast to a type that is no built-in one: possibly a user-defined
    /// type, by SQLite-style name (`pg_temp.name` when written so).
    Named(String),
    /// An array of what the inner hint names: `id = ANY($1)` takes an
    /// array of `id`'s type.
    ArrayOf(Box<ParamHint>),
}

fn placeholder(e: &Expr) -> Option<usize> {
    match e {
        Expr::Value(ValueWithSpan { value: Value::Placeholder(p), .. }) => p.strip_prefix('$')?.parse().ok(),
        Expr::Nested(inner) => placeholder(inner),
        _ => None,
    }
}

fn column(e: &Expr) -> Option<(Option<String>, String)> {
    match e {
        Expr::Identifier(i) => Some((None, names::fold(i))),
        Expr::CompoundIdentifier(parts) => match parts.as_slice() {
            [.., table, column] => Some((Some(names::fold(table)), names::fold(column))),
            _ => None,
        },
        Expr::Nested(inner) => column(inner),
        _ => None,
    }
}

struct Hints(Vec<ParamHint>);

impl Hints {
    fn set(&mut self, n: usize, hint: ParamHint) {
        if n == 0 || n > 65_535 {
            return;
        }
        if self.0.len() < n {
            self.0.resize(n, ParamHint::Unknown);
        }
        if let Some(slot) = self.0.get_mut(n - 1).filter(|slot| **slot == ParamHint::Unknown) {
            *slot = hint;
        }
    }

    fn pair(&mut self, a: &Expr, b: &Expr) {
        if let (Some(n), Some((table, column))) = (placeholder(a), column(b)) {
            self.set(n, ParamHint::Column { table, column });
        }
        if let (Some(n), Some((table, column))) = (placeholder(b), column(a)) {
            self.set(n, ParamHint::Column { table, column });
        }
    }
}

impl Visitor for Hints {
    type Break = ();

    fn pre_visit_expr(&mut self, e: &Expr) -> ControlFlow<()> {
        match e {
            Expr::BinaryOp { left, op, right } => {
                let compares = matches!(
                    op,
                    BinaryOperator::Eq
                        | BinaryOperator::NotEq
                        | BinaryOperator::Lt
                        | BinaryOperator::LtEq
                        | BinaryOperator::Gt
                        | BinaryOperator::GtEq
                        | BinaryOperator::Plus
                        | BinaryOperator::Minus
                        | BinaryOperator::Multiply
                        | BinaryOperator::Divide
                );
                if compares {
                    self.pair(left, right);
                }
            }
            Expr::Cast { expr, data_type, .. } => {
                if let Some(n) = placeholder(expr) {
                    if let Ok(t) = cast_target(data_type) {
                        self.set(n, ParamHint::Type(t));
                    } else if let Some(name) = crate::usertype::named_type(data_type) {
                        self.set(n, ParamHint::Named(name));
                    }
                }
            }
            Expr::In { expr, target: InTarget::List(list), .. } => {
                for item in list {
                    self.pair(expr, item);
                }
            }
            Expr::Between { expr, low, high, .. } => {
                self.pair(expr, low);
                self.pair(expr, high);
            }
            Expr::Like { expr, pattern, .. } | Expr::ILike { expr, pattern, .. } => self.pair(expr, pattern),
            // `x op ANY($1)`: the parameter is an array of x's type.
            Expr::AnyOp { left, right, .. } | Expr::AllOp { left, right, .. } => {
                if let (Some(n), Some((table, column))) = (placeholder(right), column(left)) {
                    self.set(n, ParamHint::ArrayOf(Box::new(ParamHint::Column { table, column })));
                }
            }
            _ => {}
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_query(&mut self, q: &sqlparser::ast::Query) -> ControlFlow<()> {
        if let Some(LimitClause::LimitOffset { limit, offset, .. }) = &q.limit_clause {
            for e in limit.iter().chain(offset.iter().map(|o| &o.value)) {
                if let Some(n) = placeholder(e) {
                    self.set(n, ParamHint::Type(PgType::Int8));
                }
            }
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_statement(&mut self, s: &Statement) -> ControlFlow<()> {
        match s {
            Statement::Insert(ins) => {
                let TableObject::TableName(name) = &ins.table else { return ControlFlow::Continue(()) };
                let Some(table) = name.0.last().and_then(|p| p.as_ident()).map(names::fold) else {
                    return ControlFlow::Continue(());
                };
                let columns: Vec<String> =
                    ins.columns.iter().filter_map(|c| c.0.last().and_then(|p| p.as_ident()).map(names::fold)).collect();
                if let Some(SetExpr::Values(v)) = ins.source.as_ref().map(|q| q.body.as_ref()) {
                    for row in &v.rows {
                        for (i, e) in row.iter().enumerate() {
                            let Some(n) = placeholder(e) else { continue };
                            let hint = match columns.get(i) {
                                Some(c) => ParamHint::Column { table: Some(table.clone()), column: c.clone() },
                                None if columns.is_empty() => ParamHint::Position { table: table.clone(), index: i },
                                None => continue,
                            };
                            self.set(n, hint);
                        }
                    }
                }
            }
            Statement::Update(u) => {
                for a in &u.assignments {
                    if let (AssignmentTarget::ColumnName(c), Some(n)) = (&a.target, placeholder(&a.value)) {
                        if let Some(col) = c.0.last().and_then(|p| p.as_ident()).map(names::fold) {
                            self.set(n, ParamHint::Column { table: None, column: col });
                        }
                    }
                }
            }
            _ => {}
        }
        ControlFlow::Continue(())
    }
}

/// One hint per parameter `$1..$n` of the (single) statement in `sql`;
/// empty when it does not parse.
pub fn param_hints(sql: &str) -> Vec<ParamHint> {
    let Ok(statements) = crate::parse::statements(sql) else { return Vec::new() };
    hints_of(&statements)
}

/// [`param_hints`] for `sql` written in `dialect` (MySQL's `?` parameters
/// are numbered in order of appearance).
pub fn param_hints_dialect(sql: &str, dialect: crate::Dialect) -> Vec<ParamHint> {
    match dialect {
        crate::Dialect::Postgres => param_hints(sql),
        crate::Dialect::MySql => hints_of(&crate::mysql::lowered_statements(sql)),
    }
}

fn hints_of(statements: &[Statement]) -> Vec<ParamHint> {
    let mut hints = Hints(Vec::new());
    for s in statements {
        let _ = s.visit(&mut hints);
    }
    hints.0
}

/// The type of each result column of a SELECT that the statement itself
/// fixes: casts, counts, literals, comparisons. `None` where the column's
/// table or the value decides. Empty when `sql` is not one SELECT.
pub fn result_hints(sql: &str) -> Vec<Option<PgType>> {
    result_hints_in(sql, &NoSchema)
}

/// [`result_hints`] that also types column references through `schema`
/// (the tables of the SELECT's FROM clause), and with them aggregates and
/// arithmetic over columns: `sum(amount)` of a numeric column is numeric.
pub fn result_hints_in(sql: &str, schema: &dyn Schema) -> Vec<Option<PgType>> {
    use sqlparser::ast::SelectItem;
    let Ok(mut statements) = crate::parse::statements(sql) else { return Vec::new() };
    let Some(Statement::Query(q)) = statements.pop() else { return Vec::new() };
    let SetExpr::Select(select) = q.body.as_ref() else { return Vec::new() };
    let mut frame = Vec::new();
    // Whether the frame is every FROM item, so that `*` is its columns.
    let mut whole = true;
    let factors =
        select.from.iter().flat_map(|t| std::iter::once(&t.relation).chain(t.joins.iter().map(|j| &j.relation)));
    for factor in factors {
        match factor {
            TableFactor::Table { name, alias, args: None, .. } => match names::resolve_table(name) {
                Ok(table) => {
                    let relation = || names::relation_schema(&table.sqlite).1.to_string();
                    let visible = alias.as_ref().map(|a| names::fold(&a.name)).unwrap_or_else(relation);
                    frame.push((visible, table.sqlite));
                }
                Err(_) => whole = false,
            },
            _ => whole = false,
        }
    }
    // USING and NATURAL joins merge columns that `*` would list once.
    let merging = select.from.iter().flat_map(|t| &t.joins).any(|j| join_merges_columns(&j.join_operator));
    let typer = Typer { schema, frame };
    let mut out = Vec::new();
    for item in &select.projection {
        match item {
            SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => out.push(typer.expr_type(e)),
            // `*` and `t.*` expand to the tables' columns, in order: their
            // declared types (a view's columns' too) decide.
            SelectItem::Wildcard(_) if whole && !merging => {
                for (visible, _) in &typer.frame {
                    let Some(types) = typer.columns_of(visible) else { return Vec::new() };
                    out.extend(types);
                }
            }
            SelectItem::QualifiedWildcard(ast::SelectItemQualifiedWildcardKind::ObjectName(name), _)
                if !merging && name.0.len() == 1 =>
            {
                let visible = name.0.first().and_then(|p| p.as_ident()).map(names::fold).unwrap_or_default();
                let Some(types) = typer.columns_of(&visible) else { return Vec::new() };
                out.extend(types);
            }
            _ => return Vec::new(),
        }
    }
    out
}

fn join_merges_columns(op: &ast::JoinOperator) -> bool {
    use ast::{JoinConstraint, JoinOperator as J};
    let constraint = match op {
        J::Join(c) | J::Inner(c) | J::Left(c) | J::LeftOuter(c) | J::Right(c) | J::RightOuter(c) | J::FullOuter(c) => c,
        _ => return false,
    };
    matches!(constraint, JoinConstraint::Using(_) | JoinConstraint::Natural)
}

/// Types expressions of one SELECT list.
struct Typer<'a> {
    schema: &'a dyn Schema,
    /// The FROM clause's tables: (name visible in the query, SQLite table).
    frame: Vec<(String, String)>,
}

impl Typer<'_> {
    /// The declared types of the columns of the FROM item visible as
    /// `visible`; `None` when the schema does not know them all.
    fn columns_of(&self, visible: &str) -> Option<Vec<Option<PgType>>> {
        let (_, table) = self.frame.iter().find(|(v, _)| v == visible)?;
        let names = self.schema.column_names(table)?;
        Some(names.iter().map(|c| self.schema.column_type(table, c)).collect())
    }

    fn column(&self, qualifier: Option<&Ident>, column: &Ident) -> Option<PgType> {
        let qualifier = qualifier.map(names::fold);
        let column = names::fold(column);
        let mut found = self
            .frame
            .iter()
            .filter(|(visible, _)| qualifier.as_ref().is_none_or(|q| q == visible))
            .filter_map(|(_, table)| self.schema.column_type(table, &column));
        match (found.next(), found.next()) {
            (Some(ty), None) => Some(ty),
            _ => None,
        }
    }

    fn expr_type(&self, e: &Expr) -> Option<PgType> {
        use sqlparser::ast::UnaryOperator;
        let numeric = PgType::Numeric { precision: None, scale: None };
        match e {
            Expr::Identifier(column) => self.column(None, column),
            Expr::CompoundIdentifier(parts) => match parts.as_slice() {
                [q, c] | [_, q, c] => self.column(Some(q), c),
                _ => None,
            },
            Expr::Cast { data_type, .. } => cast_target(data_type).ok(),
            Expr::Nested(inner) => self.expr_type(inner),
            Expr::Ceil { expr, .. } | Expr::Floor { expr, .. } => self.expr_type(expr),
            Expr::UnaryOp { op: UnaryOperator::Minus | UnaryOperator::Plus, expr } => self.expr_type(expr),
            Expr::UnaryOp { op: UnaryOperator::Not, .. } => Some(PgType::Bool),
            Expr::Value(v) => match &v.value {
                Value::Number(n, _) if n.contains(['.', 'e', 'E']) => Some(numeric),
                Value::Number(n, _) => Some(if n.parse::<i32>().is_ok() { PgType::Int4 } else { PgType::Int8 }),
                Value::SingleQuotedString(_) | Value::EscapedStringLiteral(_) | Value::DollarQuotedString(_) => {
                    Some(PgType::Text)
                }
                Value::Boolean(_) => Some(PgType::Bool),
                // PostgreSQL's B'..' and X'..': bit strings.
                Value::SingleQuotedByteStringLiteral(_) | Value::HexStringLiteral(_) => Some(PgType::Bit(None)),
                _ => None,
            },
            Expr::BinaryOp { op, left, right } => match op {
                op if crate::render::is_boolean_operator(op) => Some(PgType::Bool),
                BinaryOperator::StringConcat => Some(PgType::Text),
                BinaryOperator::Plus
                | BinaryOperator::Minus
                | BinaryOperator::Multiply
                | BinaryOperator::Divide
                | BinaryOperator::Modulo => match (self.expr_type(left)?, self.expr_type(right)?) {
                    (a, b) if a == b => Some(a),
                    (PgType::Int8, PgType::Int4 | PgType::Int2) | (PgType::Int4 | PgType::Int2, PgType::Int8) => {
                        Some(PgType::Int8)
                    }
                    (PgType::Int4, PgType::Int2) | (PgType::Int2, PgType::Int4) => Some(PgType::Int4),
                    (PgType::Numeric { .. }, t) | (t, PgType::Numeric { .. })
                        if t.is_integer() || matches!(t, PgType::Numeric { .. }) =>
                    {
                        Some(numeric)
                    }
                    _ => None,
                },
                _ => None,
            },
            Expr::IsNull(_) | Expr::IsNotNull(_) | Expr::IsTrue(_) | Expr::IsFalse(_) | Expr::Exists { .. } => {
                Some(PgType::Bool)
            }
            Expr::In { .. } | Expr::Between { .. } | Expr::Like { .. } | Expr::ILike { .. } => Some(PgType::Bool),
            Expr::Function(f) => {
                let name = f
                    .name
                    .0
                    .last()
                    .and_then(|p| p.as_ident())
                    .map(|i| i.value.to_ascii_lowercase())
                    .unwrap_or_default();
                let first_arg = || match &f.args {
                    FunctionArguments::List(list) => match list.args.first() {
                        Some(FunctionArg::Unnamed(FunctionArgExpr::Expr(arg))) => self.expr_type(arg),
                        _ => None,
                    },
                    _ => None,
                };
                match name.as_str() {
                    "count" | "nextval" | "currval" | "setval" | "lastval" => Some(PgType::Int8),
                    // PostgreSQL's sum: bigint over smaller integers, numeric over bigint and numeric.
                    "sum" => match first_arg()? {
                        PgType::Int2 | PgType::Int4 => Some(PgType::Int8),
                        PgType::Int8 => Some(numeric),
                        // The sum of values with a declared scale prints with that scale.
                        PgType::Numeric { scale, .. } => Some(PgType::Numeric { precision: None, scale }),
                        t @ (PgType::Float4 | PgType::Float8) => Some(t),
                        _ => None,
                    },
                    "avg" => match first_arg() {
                        Some(t @ (PgType::Float4 | PgType::Float8)) => {
                            Some(if t == PgType::Float4 { PgType::Float8 } else { t })
                        }
                        _ => Some(numeric),
                    },
                    "min" | "max" | "abs" | "coalesce" | "round" | "trunc" | "ceil" | "ceiling" | "floor" | "sign"
                    | "mod" | "greatest" | "least" | "nullif" => first_arg(),
                    "length" | "char_length" | "character_length" | "octet_length" | "strpos" | "position" => {
                        Some(PgType::Int4)
                    }
                    "version" | "current_database" | "current_schema" | "current_user" | "session_user" | "user"
                    | "lower" | "upper" | "concat" | "substring" | "substr" | "trim" | "btrim" | "replace"
                    | "format_type" | "current_setting" | "pg_get_userbyid" | "quote_ident" => Some(PgType::Text),
                    "now" | "current_timestamp" | "transaction_timestamp" | "statement_timestamp" => {
                        Some(PgType::Timestamptz)
                    }
                    "pg_backend_pid" => Some(PgType::Int4),
                    _ => None,
                }
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(table: Option<&str>, c: &str) -> ParamHint {
        ParamHint::Column { table: table.map(str::to_owned), column: c.into() }
    }

    #[test]
    fn result_types_from_casts_counts_and_literals() {
        assert_eq!(
            result_hints("SELECT 1::int4, count(*), 'x', 1, a, a = 1, version() FROM t"),
            vec![
                Some(PgType::Int4),
                Some(PgType::Int8),
                Some(PgType::Text),
                Some(PgType::Int4),
                None,
                Some(PgType::Bool),
                Some(PgType::Text)
            ]
        );
        assert!(result_hints("SELECT * FROM t").is_empty());
    }

    #[test]
    fn hints_from_comparisons_inserts_updates_casts_and_limits() {
        assert_eq!(
            param_hints("SELECT * FROM t WHERE id = $1 AND $2 < t.v"),
            vec![col(None, "id"), col(Some("t"), "v")]
        );
        assert_eq!(param_hints("INSERT INTO t (a, b) VALUES ($1, $2)"), vec![col(Some("t"), "a"), col(Some("t"), "b")]);
        assert_eq!(
            param_hints("INSERT INTO t VALUES ($1, $2)"),
            vec![
                ParamHint::Position { table: "t".into(), index: 0 },
                ParamHint::Position { table: "t".into(), index: 1 }
            ]
        );
        assert_eq!(param_hints("UPDATE t SET v = v + $1 WHERE id = $2"), vec![col(None, "v"), col(None, "id")]);
        assert_eq!(param_hints("SELECT $1::int4, $2"), vec![ParamHint::Type(PgType::Int4)]);
        assert_eq!(
            param_hints("SELECT * FROM t LIMIT $1 OFFSET $2"),
            vec![ParamHint::Type(PgType::Int8), ParamHint::Type(PgType::Int8)]
        );
        assert_eq!(param_hints("SELECT * FROM t WHERE id IN ($1, $2)"), vec![col(None, "id"), col(None, "id")]);
    }

    #[test]
    fn arrays_are_typed_by_casts_and_by_any() {
        let ints = PgType::Array(crate::types::ArrayOf::of(PgType::Int4).unwrap());
        assert_eq!(param_hints("SELECT $1::integer[]"), vec![ParamHint::Type(ints)]);
        assert_eq!(param_hints("SELECT $1::int4[] = $2::int[]").len(), 2);
        assert_eq!(
            param_hints("SELECT f FROM t WHERE t.id = ANY($1) AND v <> ALL ($2)"),
            vec![ParamHint::ArrayOf(Box::new(col(Some("t"), "id"))), ParamHint::ArrayOf(Box::new(col(None, "v")))]
        );
        assert_eq!(
            result_hints("SELECT ARRAY[1,2]::integer[], '1 2'::int2vector"),
            vec![Some(ints), Some(PgType::Int2Vector)]
        );
    }
}
