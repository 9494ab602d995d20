//! Name resolution, as PostgreSQL's parser does it before a view is
//! stored: every column reference qualified by the relation it comes from
//! (`a` -> `t.a`, typed by its declared type), `*` and `t.*` expanded into
//! columns, GROUP BY / ORDER BY positions and output names replaced by
//! the expressions they stand for, and relation names made unique across
//! nested queries the way `pg_get_viewdef` names them (`w`, then `w_1`).
//! A name that resolves to nothing stays as written.

use super::ast::{
    Alias, Distinct, Expr, JoinConstraint, Literal, OrderItem, Query, Select, SelectItem, SetExpr, TableRef, UnaryOp,
};
use super::types;

/// A relation's columns and their declared types, by relation name.
pub(super) type Columns<'a> = &'a dyn Fn(&str) -> Option<Vec<(String, String)>>;

/// A relation in a FROM list.
#[derive(Debug, Clone)]
struct Entry {
    /// The name the definition prints: the alias or the table's name,
    /// made unique.
    refname: String,
    /// The name the query itself uses for it.
    written: String,
    columns: Vec<(String, Option<String>)>,
}

/// One query level's relations; `visible` is false while a derived table
/// of that level is bound (it sees no sibling), whose names it must still
/// not reuse.
struct Level {
    entries: Vec<Entry>,
    visible: bool,
}

pub(super) struct Binder<'a> {
    columns: Columns<'a>,
    levels: Vec<Level>,
    /// Whether a column is printed qualified by its relation: always, but
    /// in an expression over one relation ([`relation_expression`]).
    qualify: bool,
}

/// Binds an expression over the columns (name, declared type) of one
/// relation, named `relation` there, as PostgreSQL's parser binds a CHECK
/// constraint's: each column typed, and left unqualified, as
/// `pg_get_constraintdef` prints it with one relation in scope.
pub(super) fn relation_expression(expr: Expr, relation: &str, columns: &[(String, String)]) -> Expr {
    let none = |_: &str| None;
    let mut binder = Binder { qualify: false, ..Binder::new(&none) };
    let columns = columns.iter().map(|(name, ty)| (name.clone(), Some(ty.clone()))).collect();
    let entry = Entry { refname: relation.to_string(), written: relation.to_string(), columns };
    binder.levels.push(Level { entries: vec![entry], visible: true });
    binder.expr(expr)
}

impl<'a> Binder<'a> {
    pub(super) fn new(columns: Columns<'a>) -> Self {
        Binder { columns, levels: Vec::new(), qualify: true }
    }

    /// Binds a query as a level below the current ones.
    pub(super) fn query(&mut self, query: Query) -> Query {
        self.levels.push(Level { entries: Vec::new(), visible: true });
        let bound = self.query_here(query);
        self.levels.pop();
        bound
    }

    fn query_here(&mut self, query: Query) -> Query {
        let Query { body, order_by, limit, offset } = query;
        let (body, order_by) = match body {
            SetExpr::Select(select) => {
                let (select, order_by) = self.select(*select, order_by);
                (SetExpr::Select(Box::new(select)), order_by)
            }
            other => (self.set_expr(other), order_by),
        };
        let limit = limit.map(|e| self.expr(e));
        let offset = offset.map(|e| self.expr(e));
        Query { body, order_by, limit, offset }
    }

    fn set_expr(&mut self, body: SetExpr) -> SetExpr {
        match body {
            SetExpr::Select(select) => {
                self.levels.push(Level { entries: Vec::new(), visible: true });
                let (select, _) = self.select(*select, Vec::new());
                self.levels.pop();
                SetExpr::Select(Box::new(select))
            }
            SetExpr::Query(query) => SetExpr::Query(Box::new(self.query(*query))),
            SetExpr::SetOp { op, all, left, right } => {
                let left = Box::new(self.set_expr(*left));
                SetExpr::SetOp { op, all, left, right: Box::new(self.set_expr(*right)) }
            }
        }
    }

    /// A SELECT at the current level, and the ORDER BY of its query.
    fn select(&mut self, select: Select, order_by: Vec<OrderItem>) -> (Select, Vec<OrderItem>) {
        let Select { distinct, items, from, selection, group_by, having } = select;
        for table in &from {
            self.name_relations(table);
        }
        let mut next = 0;
        let from: Vec<TableRef> = from.into_iter().map(|t| self.table_ref(t, &mut next)).collect();
        let items = self.items(items);
        let targets: Vec<(Option<String>, Expr)> = items
            .iter()
            .filter_map(|item| match item {
                SelectItem::Expr { expr, alias } => Some((alias.clone(), expr.clone())),
                _ => None,
            })
            .collect();
        let selection = selection.map(|e| self.expr(e));
        let group_by = group_by.into_iter().map(|e| self.group_item(e, &targets)).collect();
        let having = having.map(|e| self.expr(e));
        let distinct = match distinct {
            Distinct::On(on) => Distinct::On(on.into_iter().map(|e| self.order_expr(e, &targets)).collect()),
            other => other,
        };
        let order_by =
            order_by.into_iter().map(|item| OrderItem { expr: self.order_expr(item.expr, &targets), ..item }).collect();
        (Select { distinct, items, from, selection, group_by, having }, order_by)
    }

    fn level(&mut self) -> Option<&mut Level> {
        self.levels.last_mut()
    }

    /// A name no relation of this level or an enclosing one has yet.
    fn unique(&self, wanted: &str) -> String {
        let taken = |name: &str| self.levels.iter().any(|l| l.entries.iter().any(|e| e.refname == name));
        if !taken(wanted) {
            return wanted.to_string();
        }
        (1..).map(|n| format!("{wanted}_{n}")).find(|name| !taken(name)).unwrap_or_default()
    }

    /// Names every relation of a FROM item, before any of them is bound:
    /// a derived table's own relations must avoid all of this level's names.
    fn name_relations(&mut self, table: &TableRef) {
        match table {
            TableRef::Table { name, alias } => {
                // An unaliased `s.t` is known as `t`.
                let relation = sqlmap::relation_schema(name).1;
                let written = alias.as_ref().map(|a| a.name.clone()).unwrap_or_else(|| relation.to_string());
                let mut columns: Vec<(String, Option<String>)> =
                    (self.columns)(name).unwrap_or_default().into_iter().map(|(c, t)| (c, Some(t))).collect();
                rename(&mut columns, alias.as_ref());
                let entry = Entry { refname: self.unique(&written), written, columns };
                self.push_entry(entry);
            }
            TableRef::Derived { alias, .. } => {
                let written = alias.as_ref().map(|a| a.name.clone()).unwrap_or_else(|| "unnamed_subquery".into());
                let entry = Entry { refname: self.unique(&written), written, columns: Vec::new() };
                self.push_entry(entry);
            }
            TableRef::Join { left, right, .. } => {
                self.name_relations(left);
                self.name_relations(right);
            }
        }
    }

    fn push_entry(&mut self, entry: Entry) {
        if let Some(level) = self.level() {
            level.entries.push(entry);
        }
    }

    /// Binds a FROM item whose relations [`Self::name_relations`] named;
    /// `next` counts them, in the same order.
    fn table_ref(&mut self, table: TableRef, next: &mut usize) -> TableRef {
        match table {
            TableRef::Table { name, alias } => {
                let relation = sqlmap::relation_schema(&name).1;
                let refname = self.entry_at(*next).map(|e| e.refname.clone()).unwrap_or_else(|| relation.to_string());
                *next += 1;
                let columns = alias.map(|a| a.columns).unwrap_or_default();
                let alias = (refname != relation || !columns.is_empty()).then_some(Alias { name: refname, columns });
                TableRef::Table { name, alias }
            }
            TableRef::Derived { query, alias } => {
                let at = *next;
                *next += 1;
                let query = self.derived(*query);
                let names = output_names(&query);
                let mut columns: Vec<(String, Option<String>)> = names
                    .into_iter()
                    .zip(types::query_types(&query))
                    .map(|(n, t)| (n, if let types::Ty::Of(t) = t { Some(t) } else { None }))
                    .collect();
                rename(&mut columns, alias.as_ref());
                let refname = self.entry_at(at).map(|e| e.refname.clone()).unwrap_or_default();
                if let Some(entry) = self.level().and_then(|l| l.entries.get_mut(at)) {
                    entry.columns = columns;
                }
                let columns = alias.map(|a| a.columns).unwrap_or_default();
                TableRef::Derived { query: Box::new(query), alias: Some(Alias { name: refname, columns }) }
            }
            TableRef::Join { left, kind, right, constraint } => {
                let left = Box::new(self.table_ref(*left, next));
                let right = Box::new(self.table_ref(*right, next));
                let constraint = match constraint {
                    JoinConstraint::On(e) => JoinConstraint::On(self.expr(e)),
                    other => other,
                };
                TableRef::Join { left, kind, right, constraint }
            }
        }
    }

    fn entry_at(&self, at: usize) -> Option<&Entry> {
        self.levels.last().and_then(|l| l.entries.get(at))
    }

    /// A derived table's query: it sees no relation of this level.
    fn derived(&mut self, query: Query) -> Query {
        if let Some(level) = self.level() {
            level.visible = false;
        }
        let bound = self.query(query);
        if let Some(level) = self.level() {
            level.visible = true;
        }
        bound
    }

    fn items(&mut self, items: Vec<SelectItem>) -> Vec<SelectItem> {
        let mut out = Vec::new();
        for item in items {
            match item {
                SelectItem::Wildcard => {
                    let entries = self.levels.last().map(|l| l.entries.clone()).unwrap_or_default();
                    for entry in &entries {
                        out.extend(expand(entry));
                    }
                }
                SelectItem::QualifiedWildcard(written) => {
                    match self.levels.last().and_then(|l| l.entries.iter().find(|e| e.written == written)) {
                        Some(entry) => out.extend(expand(entry)),
                        None => out.push(SelectItem::QualifiedWildcard(written)),
                    }
                }
                SelectItem::Expr { expr, alias } => out.push(SelectItem::Expr { expr: self.expr(expr), alias }),
            }
        }
        out
    }

    /// A GROUP BY item: a position or (when no column has the name) an
    /// output column's name stands for that output column's expression.
    fn group_item(&mut self, expr: Expr, targets: &[(Option<String>, Expr)]) -> Expr {
        if let Some(target) = positional(&expr, targets) {
            return target;
        }
        let bound = self.expr(expr);
        match &bound {
            Expr::Column { parts, ty: None } if parts.len() == 1 => by_output_name(parts, targets).unwrap_or(bound),
            _ => bound,
        }
    }

    /// An ORDER BY item: a position or an output column's name (which wins
    /// over input columns) stands for that output column's expression.
    fn order_expr(&mut self, expr: Expr, targets: &[(Option<String>, Expr)]) -> Expr {
        if let Some(target) = positional(&expr, targets) {
            return target;
        }
        if let Expr::Column { parts, .. } = &expr {
            if let Some(target) = by_output_name(parts, targets) {
                return target;
            }
        }
        self.expr(expr)
    }

    fn expr(&mut self, expr: Expr) -> Expr {
        let mut e = |x: Box<Expr>| Box::new(self.expr(*x));
        match expr {
            Expr::Column { parts, .. } => self.column(parts),
            // PostgreSQL's parser folds the sign into the constant.
            Expr::Unary { op: UnaryOp::Minus, expr } if matches!(*expr, Expr::Literal(Literal::Number(_))) => {
                match *expr {
                    Expr::Literal(Literal::Number(n)) => Expr::Literal(Literal::Number(format!("-{n}"))),
                    other => other,
                }
            }
            Expr::Unary { op, expr } => Expr::Unary { op, expr: e(expr) },
            Expr::Binary { op, left, right } => {
                let left = e(left);
                Expr::Binary { op, left, right: e(right) }
            }
            Expr::IsNull { negated, expr } => Expr::IsNull { negated, expr: e(expr) },
            Expr::IsBool { negated, value, expr } => Expr::IsBool { negated, value, expr: e(expr) },
            Expr::IsDistinct { negated, left, right } => {
                let left = e(left);
                Expr::IsDistinct { negated, left, right: e(right) }
            }
            Expr::InList { negated, expr, list } => {
                let expr = e(expr);
                Expr::InList { negated, expr, list: list.into_iter().map(|x| self.expr(x)).collect() }
            }
            Expr::InQuery { negated, expr, query } => {
                let expr = e(expr);
                Expr::InQuery { negated, expr, query: Box::new(self.query(*query)) }
            }
            Expr::Between { negated, expr, low, high } => {
                let (expr, low) = (e(expr), e(low));
                Expr::Between { negated, expr, low, high: e(high) }
            }
            Expr::Function { name, args, star, distinct } => {
                Expr::Function { name, args: args.into_iter().map(|x| self.expr(x)).collect(), star, distinct }
            }
            Expr::Cast { expr, ty } => Expr::Cast { expr: e(expr), ty },
            Expr::Case { operand, whens, otherwise } => {
                let operand = operand.map(&mut e);
                let whens = whens.into_iter().map(|(w, t)| (self.expr(w), self.expr(t))).collect();
                Expr::Case { operand, whens, otherwise: otherwise.map(|x| Box::new(self.expr(*x))) }
            }
            Expr::Exists { negated, query } => Expr::Exists { negated, query: Box::new(self.query(*query)) },
            Expr::Subquery(query) => Expr::Subquery(Box::new(self.query(*query))),
            Expr::Array(items) => Expr::Array(items.into_iter().map(|x| self.expr(x)).collect()),
            Expr::Nested(inner) => Expr::Nested(e(inner)),
            leaf @ (Expr::Literal(_) | Expr::Keyword(_)) => leaf,
        }
    }

    /// A column reference, qualified by the relation it resolves to: the
    /// innermost visible level first (correlated references reach out).
    fn column(&self, parts: Vec<String>) -> Expr {
        let (qualifier, name) = match parts.as_slice() {
            [name] => (None, name.clone()),
            [.., qualifier, name] => (Some(qualifier.clone()), name.clone()),
            [] => return Expr::Column { parts, ty: None },
        };
        let found =
            self.levels.iter().rev().filter(|l| l.visible).find_map(|level| {
                level.entries.iter().filter(|e| qualifier.as_ref().is_none_or(|q| *q == e.written)).find_map(|e| {
                    e.columns.iter().find(|(c, _)| *c == name).map(|(_, ty)| (e.refname.clone(), ty.clone()))
                })
            });
        match found {
            Some((_, ty)) if !self.qualify => Expr::Column { parts: vec![name], ty },
            Some((refname, ty)) => Expr::Column { parts: vec![refname, name], ty },
            None => Expr::Column { parts, ty: None },
        }
    }
}

/// The columns of `entry` as select items.
fn expand(entry: &Entry) -> Vec<SelectItem> {
    entry
        .columns
        .iter()
        .map(|(name, ty)| SelectItem::Expr {
            expr: Expr::Column { parts: vec![entry.refname.clone(), name.clone()], ty: ty.clone() },
            alias: None,
        })
        .collect()
}

/// Column aliases (`AS x(a, b)`) rename the first columns.
fn rename(columns: &mut [(String, Option<String>)], alias: Option<&Alias>) {
    for (column, name) in columns.iter_mut().zip(alias.map(|a| a.columns.as_slice()).unwrap_or_default()) {
        column.0 = name.clone();
    }
}

fn positional(expr: &Expr, targets: &[(Option<String>, Expr)]) -> Option<Expr> {
    let Expr::Literal(Literal::Number(n)) = expr else { return None };
    let position = n.parse::<usize>().ok()?.checked_sub(1)?;
    targets.get(position).map(|(_, e)| e.clone())
}

fn by_output_name(parts: &[String], targets: &[(Option<String>, Expr)]) -> Option<Expr> {
    let [name] = parts else { return None };
    targets.iter().find(|(alias, _)| alias.as_deref() == Some(name.as_str())).map(|(_, e)| e.clone())
}

/// A bound query's result column names: aliases, else the names
/// PostgreSQL's `FigureColname` gives.
pub(super) fn output_names(query: &Query) -> Vec<String> {
    query
        .first_select()
        .items
        .iter()
        .map(|item| match item {
            SelectItem::Expr { alias: Some(alias), .. } => alias.clone(),
            SelectItem::Expr { expr, alias: None } => column_name(expr),
            _ => "?column?".into(),
        })
        .collect()
}

/// The name PostgreSQL gives an unaliased result expression.
pub(super) fn column_name(expr: &Expr) -> String {
    match expr {
        Expr::Column { parts, .. } => parts.last().cloned().unwrap_or_default(),
        Expr::Function { name, .. } => name.clone(),
        Expr::Keyword(k) => k.to_ascii_lowercase(),
        Expr::Case { .. } => "case".into(),
        Expr::Exists { .. } => "exists".into(),
        Expr::Array(_) => "array".into(),
        Expr::Nested(inner) => column_name(inner),
        Expr::Subquery(query) => output_names(query).into_iter().next().unwrap_or_else(|| "?column?".into()),
        Expr::Cast { expr, ty } => match column_name(expr) {
            name if name != "?column?" => name,
            _ => internal_type_name(ty),
        },
        _ => "?column?".into(),
    }
}

/// A type's internal name (`integer` -> `int4`), which names a cast column.
fn internal_type_name(ty: &str) -> String {
    let base = types::base(ty);
    match base.trim_end_matches("[]") {
        "integer" => "int4".into(),
        "bigint" => "int8".into(),
        "smallint" => "int2".into(),
        "character varying" => "varchar".into(),
        "boolean" => "bool".into(),
        "real" => "float4".into(),
        "double precision" => "float8".into(),
        "timestamp without time zone" => "timestamp".into(),
        "timestamp with time zone" => "timestamptz".into(),
        "time without time zone" => "time".into(),
        "time with time zone" => "timetz".into(),
        other => other.to_string(),
    }
}
