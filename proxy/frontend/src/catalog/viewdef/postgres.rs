//! A bound view query printed as PostgreSQL 15's `pg_get_viewdef` prints
//! it (src/backend/utils/adt/ruleutils.c): the indented layout (` SELECT
//! t.a,` / `    t.b` / `   FROM t` / `  WHERE ...`), every column
//! qualified, each result column named where its name differs from the
//! expression's, literals with the type they took (`'x'::text`) and the
//! implicit casts of their operands. `pretty` is `pg_get_viewdef(v,
//! true)`: parentheses only where precedence needs them; without it every
//! operator expression carries its own, as `pg_views.definition` shows.

use super::ast::{
    Alias, Distinct, Expr, JoinConstraint, JoinKind, Literal, OrderItem, Query, Select, SelectItem, SetExpr, SetOp,
    TableRef, UnaryOp,
};
use super::bind::{column_name, output_names};
use super::types::{self, Ty};
use super::{quote_identifier, relation_name};

/// ruleutils' indentation steps.
const INDENT_STD: i32 = 8;
const INDENT_JOIN: i32 = 4;
const INDENT_VAR: i32 = 4;
const INDENT_LIMIT: i32 = 40;

/// The definition of a view whose (bound) query is `query` and whose
/// columns are named `names`.
pub(super) fn definition(query: &Query, names: &[String], pretty: bool) -> String {
    let mut printer = Printer { buf: String::new(), indent: 0, pretty, domain: false };
    printer.query(query, Some(names), true);
    printer.buf.push(';');
    printer.buf
}

/// A CHECK constraint's (bound) expression as `pg_get_constraintdef`
/// prints it inside `CHECK (...)`: `a > 0` pretty, `(a > 0)` not, an
/// operator expression carrying its own parentheses then.
pub(super) fn check(expr: &Expr, pretty: bool) -> String {
    let mut printer = Printer { buf: String::new(), indent: 0, pretty, domain: false };
    printer.expr(expr, Some("boolean"));
    printer.buf
}

/// A domain's (bound) CHECK condition, in which the column `value` is
/// the domain's `VALUE`, as `pg_get_constraintdef` prints it inside
/// `CHECK (...)`.
pub(super) fn domain_check(expr: &Expr, pretty: bool) -> String {
    let mut printer = Printer { buf: String::new(), indent: 0, pretty, domain: true };
    printer.expr(expr, Some("boolean"));
    printer.buf
}

/// A generated column's (bound) expression as `pg_get_expr` prints it,
/// for a column of type `ty`: `a * 2` pretty, `(a * 2)` not.
pub(super) fn expression(expr: &Expr, ty: &str, pretty: bool) -> String {
    let mut printer = Printer { buf: String::new(), indent: 0, pretty, domain: false };
    printer.expr(expr, Some(ty));
    printer.buf
}

/// What an expression is to ruleutils' parenthesizing (`isSimpleNode`).
#[derive(Debug, Clone, PartialEq)]
enum Node {
    /// A column, a constant, a function-like expression: never wrapped.
    Simple,
    /// A cast, as simple as what it casts.
    Cast(bool),
    /// An operator; `None` for a prefix one.
    Op(Option<String>),
    And,
    Or,
    Not,
    /// NullTest, BooleanTest, DistinctExpr and sublinks.
    Test,
    /// `x = ANY (ARRAY[..])`.
    ScalarArray,
}

/// Where an expression stands, for the same decision.
#[derive(Debug, Clone, PartialEq)]
enum Parent {
    Op {
        op: Option<String>,
        first: bool,
    },
    And,
    Or,
    Not,
    /// Inside a cast's parentheses.
    Cast,
    /// NullTest, BooleanTest, DistinctExpr, `= ANY`.
    Other,
}

struct Printer {
    buf: String,
    indent: i32,
    pretty: bool,
    /// Printing a domain's condition: the column `value` is its `VALUE`.
    domain: bool,
}

impl Printer {
    fn push(&mut self, s: &str) {
        self.buf.push_str(s);
    }

    fn trim_spaces(&mut self) {
        let kept = self.buf.trim_end_matches(' ').len();
        self.buf.truncate(kept);
    }

    /// ruleutils' `appendContextKeyword`: a new line indented for the
    /// current level, then `text`.
    fn keyword(&mut self, text: &str, before: i32, after: i32, plus: i32) {
        self.indent += before;
        self.trim_spaces();
        self.buf.push('\n');
        let amount = if self.indent < INDENT_LIMIT {
            self.indent.max(0) + plus
        } else {
            (INDENT_LIMIT + (self.indent - INDENT_LIMIT) / (INDENT_STD / 2)) % INDENT_LIMIT + plus
        };
        self.buf.extend(std::iter::repeat_n(' ', usize::try_from(amount).unwrap_or(0)));
        self.push(text);
        self.indent = (self.indent + after).max(0);
    }

    /// Prints `f` at a nested query's own indentation, restored after.
    fn nested(&mut self, f: impl FnOnce(&mut Self)) {
        let indent = self.indent;
        f(self);
        self.indent = indent;
    }

    /// `names`: the result column names (the view's, for its own query);
    /// `visible`: whether they must all be shown (sublinks show only
    /// names that differ from what the expression is called anyway).
    fn query(&mut self, query: &Query, names: Option<&[String]>, visible: bool) {
        self.nested(|p| {
            p.set_body(&query.body, names, visible);
            if !query.order_by.is_empty() {
                p.keyword(" ORDER BY ", -INDENT_STD, INDENT_STD, 1);
                // A set operation's result is ordered by column numbers.
                let numbered = match &query.body {
                    SetExpr::Select(_) => None,
                    _ => Some(names.map(<[String]>::to_vec).unwrap_or_else(|| output_names(query))),
                };
                p.order_items(&query.order_by, numbered.as_deref());
            }
            if let Some(offset) = &query.offset {
                p.keyword(" OFFSET ", -INDENT_STD, INDENT_STD, 0);
                p.expr(offset, None);
            }
            if let Some(limit) = &query.limit {
                p.keyword(" LIMIT ", -INDENT_STD, INDENT_STD, 0);
                p.expr(limit, None);
            }
        });
    }

    fn set_body(&mut self, body: &SetExpr, names: Option<&[String]>, visible: bool) {
        match body {
            SetExpr::Select(select) => self.select(select, names, visible),
            SetExpr::Query(query) => self.set_leaf(query, names, visible),
            SetExpr::SetOp { op, all, left, right } => self.set_op(*op, *all, left, right, names, visible),
        }
    }

    /// An operand of a set operation: a SELECT there is a query of its
    /// own, printed at the indentation it starts at.
    fn set_operand(&mut self, body: &SetExpr, names: Option<&[String]>, visible: bool) {
        match body {
            SetExpr::Select(select) => self.nested(|p| p.select(select, names, visible)),
            other => self.set_body(other, names, visible),
        }
    }

    fn set_op(
        &mut self,
        op: SetOp,
        all: bool,
        left: &SetExpr,
        right: &SetExpr,
        names: Option<&[String]>,
        visible: bool,
    ) {
        let wrap_left = matches!(left, SetExpr::SetOp { op: l, all: a, .. } if *l != op || *a != all);
        if wrap_left {
            self.push("(");
            self.keyword("", INDENT_STD, 0, 0);
        }
        self.set_operand(left, names, visible);
        let before = if wrap_left { -INDENT_STD } else { 0 };
        self.keyword(if wrap_left { ") " } else { "" }, before, 0, 0);
        self.push(op.keyword());
        self.push(if all { " ALL " } else { " " });
        let wrap_right = matches!(right, SetExpr::SetOp { .. });
        let sub = if wrap_right { INDENT_STD } else { 0 };
        if wrap_right {
            self.push("(");
        }
        self.keyword("", sub, 0, 0);
        self.set_operand(right, names, false);
        self.indent -= sub;
        if wrap_right {
            self.keyword(")", 0, 0, 0);
        }
    }

    /// A parenthesized query as a set operation's operand.
    fn set_leaf(&mut self, query: &Query, names: Option<&[String]>, visible: bool) {
        let wrap = !query.order_by.is_empty() || query.limit.is_some() || query.offset.is_some();
        if wrap {
            self.push("(");
        }
        self.query(query, names, visible);
        if wrap {
            self.push(")");
        }
    }

    fn select(&mut self, select: &Select, names: Option<&[String]>, visible: bool) {
        self.indent += INDENT_STD;
        self.push(" SELECT");
        match &select.distinct {
            Distinct::None => {}
            Distinct::All => self.push(" DISTINCT"),
            Distinct::On(on) => {
                self.push(" DISTINCT ON (");
                self.comma_list(on, |p, e| p.expr(e, None));
                self.push(")");
            }
        }
        self.targets(&select.items, names, visible);
        for (n, table) in select.from.iter().enumerate() {
            if n == 0 {
                self.keyword(" FROM ", -INDENT_STD, INDENT_STD, 2);
            } else {
                self.push(", ");
                self.keyword("", -INDENT_STD, INDENT_STD, INDENT_VAR);
            }
            self.table_ref(table);
        }
        if let Some(selection) = &select.selection {
            self.keyword(" WHERE ", -INDENT_STD, INDENT_STD, 1);
            self.expr(selection, Some("boolean"));
        }
        if !select.group_by.is_empty() {
            self.keyword(" GROUP BY ", -INDENT_STD, INDENT_STD, 1);
            self.comma_list(&select.group_by, |p, e| p.sort_expr(e));
        }
        if let Some(having) = &select.having {
            self.keyword(" HAVING ", -INDENT_STD, INDENT_STD, 0);
            self.expr(having, Some("boolean"));
        }
    }

    fn comma_list<T>(&mut self, items: &[T], mut each: impl FnMut(&mut Self, &T)) {
        for (n, item) in items.iter().enumerate() {
            if n > 0 {
                self.push(", ");
            }
            each(self, item);
        }
    }

    /// The result columns, one a line after the first.
    fn targets(&mut self, items: &[SelectItem], names: Option<&[String]>, visible: bool) {
        for (n, item) in items.iter().enumerate() {
            self.push(if n == 0 { " " } else { ", " });
            let outer = std::mem::take(&mut self.buf);
            self.target(item, n, names, visible);
            let field = std::mem::replace(&mut self.buf, outer);
            if field.starts_with('\n') {
                self.trim_spaces();
            } else if n > 0 {
                self.keyword("", -INDENT_STD, INDENT_STD, INDENT_VAR);
            }
            self.push(&field);
        }
    }

    fn target(&mut self, item: &SelectItem, n: usize, names: Option<&[String]>, visible: bool) {
        let SelectItem::Expr { expr, alias } = item else {
            // A `t.*` the binder could not expand.
            if let SelectItem::QualifiedWildcard(t) = item {
                self.push(&format!("{}.*", quote_identifier(t)));
            }
            return;
        };
        let expr = unnested(expr);
        let own = match expr {
            Expr::Column { parts, .. } => {
                self.expr(expr, None);
                parts.last().cloned()
            }
            _ => {
                let target = (types::infer(expr) == Ty::Unknown).then_some("text");
                self.expr(expr, target);
                (!visible).then(|| "?column?".to_string())
            }
        };
        let name = names
            .and_then(|names| names.get(n).cloned())
            .or_else(|| alias.clone())
            .unwrap_or_else(|| column_name(expr));
        if own.as_deref() != Some(name.as_str()) {
            self.push(" AS ");
            self.push(&quote_identifier(&name));
        }
    }

    fn table_ref(&mut self, table: &TableRef) {
        match table {
            TableRef::Table { name, alias } => {
                self.push(&relation_name(name));
                self.alias(alias.as_ref());
            }
            TableRef::Derived { query, alias } => {
                self.push("(");
                self.query(query, None, true);
                self.push(")");
                self.alias(alias.as_ref());
            }
            TableRef::Join { left, kind, right, constraint } => self.join(left, *kind, right, constraint),
        }
    }

    fn alias(&mut self, alias: Option<&Alias>) {
        let Some(alias) = alias else { return };
        self.push(" ");
        self.push(&quote_identifier(&alias.name));
        if !alias.columns.is_empty() {
            let columns: Vec<String> = alias.columns.iter().map(|c| quote_identifier(c)).collect();
            self.push(&format!("({})", columns.join(", ")));
        }
    }

    fn join(&mut self, left: &TableRef, kind: JoinKind, right: &TableRef, constraint: &JoinConstraint) {
        if !self.pretty {
            self.push("(");
        }
        self.table_ref(left);
        let keyword = match (kind, constraint) {
            (JoinKind::Inner, JoinConstraint::None) | (JoinKind::Cross, _) => " CROSS JOIN ",
            (JoinKind::Inner, _) => " JOIN ",
            (JoinKind::Left, _) => " LEFT JOIN ",
            (JoinKind::Right, _) => " RIGHT JOIN ",
            (JoinKind::Full, _) => " FULL JOIN ",
        };
        self.keyword(keyword, -INDENT_STD, INDENT_STD, INDENT_JOIN);
        let wrap_right = self.pretty && matches!(right, TableRef::Join { .. });
        if wrap_right {
            self.push("(");
        }
        self.table_ref(right);
        if wrap_right {
            self.push(")");
        }
        match constraint {
            JoinConstraint::Using(columns) => {
                let columns: Vec<String> = columns.iter().map(|c| quote_identifier(c)).collect();
                self.push(&format!(" USING ({})", columns.join(", ")));
            }
            JoinConstraint::On(on) => {
                self.push(" ON ");
                if !self.pretty {
                    self.push("(");
                }
                self.expr(on, Some("boolean"));
                if !self.pretty {
                    self.push(")");
                }
            }
            JoinConstraint::None if !matches!(kind, JoinKind::Inner | JoinKind::Cross) => self.push(" ON TRUE"),
            JoinConstraint::None => {}
        }
        if !self.pretty {
            self.push(")");
        }
    }

    /// ORDER BY items; `numbered`: the result column names a set
    /// operation's items are numbered by.
    fn order_items(&mut self, items: &[OrderItem], numbered: Option<&[String]>) {
        self.comma_list(items, |p, item| {
            match numbered.and_then(|names| column_number(&item.expr, names)) {
                Some(n) => p.push(&n.to_string()),
                None => p.sort_expr(&item.expr),
            }
            if item.descending {
                p.push(" DESC");
                if item.nulls_first == Some(false) {
                    p.push(" NULLS LAST");
                }
            } else if item.nulls_first == Some(true) {
                p.push(" NULLS FIRST");
            }
        });
    }

    /// A GROUP BY or ORDER BY expression: anything but a column in
    /// parentheses when pretty, and a function call always, so that it
    /// cannot read as a column number or name.
    fn sort_expr(&mut self, expr: &Expr) {
        let expr = unnested(expr);
        let function = matches!(expr, Expr::Function { name, .. } if !types::is_common_function(name));
        let wrap = !matches!(expr, Expr::Column { .. }) && (self.pretty || function);
        if wrap {
            self.push("(");
        }
        self.expr(expr, None);
        if wrap {
            self.push(")");
        }
    }

    /// An expression as the child of `parent`, parenthesized when pretty
    /// and its precedence needs it.
    fn child(&mut self, expr: &Expr, parent: Parent, target: Option<&str>) {
        let wrap = self.pretty && !simple(&node(expr, target), &parent);
        if wrap {
            self.push("(");
        }
        self.expr(expr, target);
        if wrap {
            self.push(")");
        }
    }

    /// `expr` coerced to `target` (`None`: as it is).
    fn expr(&mut self, expr: &Expr, target: Option<&str>) {
        let expr = unnested(expr);
        if needs_cast(expr, target) {
            if let Some(to) = target {
                return self.cast(expr, to);
            }
        }
        match expr {
            Expr::Column { parts, .. } if self.domain && parts.as_slice() == ["value"] => self.push("VALUE"),
            Expr::Column { parts, .. } => {
                let parts: Vec<String> = parts.iter().map(|p| quote_identifier(p)).collect();
                self.push(&parts.join("."));
            }
            Expr::Literal(literal) => self.literal(literal, target),
            Expr::Keyword(k) => self.push(k),
            Expr::Unary { op, expr: inner } => self.unary(*op, inner),
            Expr::Binary { op, .. } if op == "AND" || op == "OR" => {
                let mut args = Vec::new();
                flatten(expr, op, &mut args);
                self.boolean(op, &args);
            }
            Expr::Binary { op, left, right } => self.operator(op, left, right),
            Expr::IsNull { negated, expr: inner } => {
                self.test(inner, None, if *negated { " IS NOT NULL" } else { " IS NULL" })
            }
            Expr::IsBool { negated, value, expr: inner } => {
                let what = match value {
                    Some(true) => "TRUE",
                    Some(false) => "FALSE",
                    None => "UNKNOWN",
                };
                let suffix = format!(" IS {}{what}", if *negated { "NOT " } else { "" });
                self.test(inner, Some("boolean"), &suffix)
            }
            Expr::IsDistinct { negated, left, right } => self.distinct(*negated, left, right),
            Expr::InList { negated, expr: inner, list } => self.in_list(*negated, inner, list),
            Expr::InQuery { negated, expr: inner, query } => {
                self.not_wrapped(*negated, |p| p.sublink(Some(inner), query))
            }
            Expr::Exists { negated, query } => self.not_wrapped(*negated, |p| p.sublink(None, query)),
            Expr::Between { negated, expr: inner, low, high } => self.between(*negated, inner, low, high),
            Expr::Function { name, args, star, distinct } => self.function(name, args, *star, *distinct),
            Expr::Cast { expr: inner, ty } => self.explicit_cast(inner, ty),
            Expr::Case { operand, whens, otherwise } => self.case(operand.as_deref(), whens, otherwise.as_deref()),
            Expr::Subquery(query) => {
                self.push("(");
                self.query(query, None, false);
                self.push(")");
            }
            Expr::Array(items) => self.array(items, None),
            Expr::Nested(inner) => self.expr(inner, target),
        }
    }

    /// `(x)::type` (`x::type` when pretty): an implicit or explicit cast.
    fn cast(&mut self, expr: &Expr, to: &str) {
        if !self.pretty {
            self.push("(");
        }
        self.child(expr, Parent::Cast, None);
        if !self.pretty {
            self.push(")");
        }
        self.push("::");
        self.push(to);
    }

    fn explicit_cast(&mut self, inner: &Expr, ty: &str) {
        let inner = unnested(inner);
        if let Expr::Literal(literal) = inner {
            // The parser turns a cast literal into a constant of that type.
            if !matches!(literal, Literal::Number(n) if types::number_type(n) != types::base(ty)) {
                return self.literal(literal, Some(ty));
            }
        }
        if same_type(inner, ty) {
            return self.expr(inner, None);
        }
        self.cast(inner, ty);
    }

    /// A constant of type `target` (its own type when `None`), as
    /// ruleutils' `get_const_expr` prints it.
    fn literal(&mut self, literal: &Literal, target: Option<&str>) {
        let text = match literal {
            Literal::Null => return self.push(&format!("NULL::{}", target.unwrap_or("text"))),
            Literal::Bool(b) => return self.push(if *b { "true" } else { "false" }),
            Literal::Number(n) => n.clone(),
            Literal::String(s) => s.clone(),
        };
        let own = match literal {
            Literal::Number(n) => types::number_type(n),
            _ => "text",
        };
        let ty = target.unwrap_or(own);
        let shown = match types::base(ty).as_str() {
            "integer" if text.parse::<i32>().is_ok_and(|n| n >= 0) => text.clone(),
            "numeric" if text.starts_with(|c: char| c.is_ascii_digit()) && text.contains(['.', 'e', 'E']) => {
                if ty == "numeric" {
                    text.clone()
                } else {
                    format!("{text}::{ty}")
                }
            }
            "boolean" => match sqlmap::parse_bool(&text) {
                Some(b) => (if b { "true" } else { "false" }).to_string(),
                None => format!("{}::boolean", quote_literal(&text)),
            },
            _ => format!("{}::{ty}", quote_literal(&text)),
        };
        self.push(&shown);
    }

    fn unary(&mut self, op: UnaryOp, inner: &Expr) {
        let (text, parent) = match op {
            UnaryOp::Not => ("NOT ", Parent::Not),
            UnaryOp::Minus => ("- ", Parent::Op { op: None, first: true }),
            UnaryOp::Plus => ("+ ", Parent::Op { op: None, first: true }),
        };
        if !self.pretty {
            self.push("(");
        }
        self.push(text);
        let target = (op == UnaryOp::Not).then_some("boolean");
        self.child(inner, parent, target);
        if !self.pretty {
            self.push(")");
        }
    }

    fn boolean(&mut self, op: &str, args: &[&Expr]) {
        let parent = if op == "AND" { Parent::And } else { Parent::Or };
        if !self.pretty {
            self.push("(");
        }
        for (n, arg) in args.iter().enumerate() {
            if n > 0 {
                self.push(&format!(" {op} "));
            }
            self.child(arg, parent.clone(), Some("boolean"));
        }
        if !self.pretty {
            self.push(")");
        }
    }

    fn operator(&mut self, op: &str, left: &Expr, right: &Expr) {
        let coercion = types::binary(op, &types::infer(left), &types::infer(right));
        let target = |n: usize| coercion.operands.get(n).cloned().flatten();
        if !self.pretty {
            self.push("(");
        }
        let first = Parent::Op { op: Some(op.to_string()), first: true };
        self.child(left, first, target(0).as_deref());
        self.push(&format!(" {op} "));
        let second = Parent::Op { op: Some(op.to_string()), first: false };
        self.child(right, second, target(1).as_deref());
        if !self.pretty {
            self.push(")");
        }
    }

    /// NullTest and BooleanTest: `x IS [NOT] NULL | TRUE | ...`.
    fn test(&mut self, inner: &Expr, target: Option<&str>, suffix: &str) {
        if !self.pretty {
            self.push("(");
        }
        self.child(inner, Parent::Other, target);
        self.push(suffix);
        if !self.pretty {
            self.push(")");
        }
    }

    /// `NOT (...)` around what `f` prints, when `negated`.
    fn not_wrapped(&mut self, negated: bool, f: impl FnOnce(&mut Self)) {
        if !negated {
            return f(self);
        }
        self.push(if self.pretty { "NOT " } else { "(NOT " });
        f(self);
        if !self.pretty {
            self.push(")");
        }
    }

    /// `a IS [NOT] DISTINCT FROM b`: the NOT form is `NOT (a IS DISTINCT FROM b)`.
    fn distinct(&mut self, negated: bool, left: &Expr, right: &Expr) {
        let coercion = types::binary("=", &types::infer(left), &types::infer(right));
        let target = |n: usize| coercion.operands.get(n).cloned().flatten();
        self.not_wrapped(negated, |p| {
            if !p.pretty {
                p.push("(");
            }
            p.child(left, Parent::Other, target(0).as_deref());
            p.push(" IS DISTINCT FROM ");
            p.child(right, Parent::Other, target(1).as_deref());
            if !p.pretty {
                p.push(")");
            }
        });
    }

    /// `(x IN (SELECT ...))`, `(EXISTS (SELECT ...))`.
    fn sublink(&mut self, left: Option<&Expr>, query: &Query) {
        self.push("(");
        match left {
            Some(left) => {
                self.expr(left, None);
                self.push(" IN (");
            }
            None => self.push("EXISTS ("),
        }
        self.query(query, None, false);
        self.push("))");
    }

    /// `x BETWEEN a AND b` is `x >= a AND x <= b`; NOT BETWEEN `x < a OR x > b`.
    fn between(&mut self, negated: bool, expr: &Expr, low: &Expr, high: &Expr) {
        let (bool_op, low_op, high_op) = if negated { ("OR", "<", ">") } else { ("AND", ">=", "<=") };
        let low = Expr::Binary { op: low_op.into(), left: Box::new(expr.clone()), right: Box::new(low.clone()) };
        let high = Expr::Binary { op: high_op.into(), left: Box::new(expr.clone()), right: Box::new(high.clone()) };
        self.boolean(bool_op, &[&low, &high]);
    }

    /// `x IN (a, b)`: `x = ANY (ARRAY[a, b])` for constants, else `x = a
    /// OR x = b`; NOT IN: `<> ALL`, `AND`.
    fn in_list(&mut self, negated: bool, expr: &Expr, list: &[Expr]) {
        let op = if negated { "<>" } else { "=" };
        match in_list_form(list) {
            InForm::Array => self.scalar_array(negated, expr, list),
            InForm::One | InForm::Chain => {
                let comparisons: Vec<Expr> = list
                    .iter()
                    .map(|item| Expr::Binary {
                        op: op.into(),
                        left: Box::new(expr.clone()),
                        right: Box::new(item.clone()),
                    })
                    .collect();
                match comparisons.as_slice() {
                    [one] => self.expr(one, None),
                    many => self.boolean(if negated { "AND" } else { "OR" }, &many.iter().collect::<Vec<_>>()),
                }
            }
        }
    }

    fn scalar_array(&mut self, negated: bool, expr: &Expr, list: &[Expr]) {
        let mut all = vec![types::infer(expr)];
        all.extend(list.iter().map(types::infer));
        let element = match types::common(&all) {
            Ty::Of(t) => types::base(&t),
            _ => "text".into(),
        };
        // An operator on the element type itself, else on text (varchar).
        let on_text = element == "character varying";
        let left_target =
            if on_text { Some("text".to_string()) } else { types::cast_to(&types::infer(expr), &element) };
        if !self.pretty {
            self.push("(");
        }
        self.child(expr, Parent::Other, left_target.as_deref());
        self.push(if negated { " <> ALL (" } else { " = ANY (" });
        if on_text {
            if !self.pretty {
                self.push("(");
            }
            self.array(list, Some(&element));
            self.push(if self.pretty { "::text[]" } else { ")::text[]" });
        } else {
            self.array(list, Some(&element));
        }
        self.push(")");
        if !self.pretty {
            self.push(")");
        }
    }

    fn array(&mut self, items: &[Expr], element: Option<&str>) {
        self.push("ARRAY[");
        self.comma_list(items, |p, item| p.expr(item, element));
        self.push("]");
    }

    fn function(&mut self, name: &str, args: &[Expr], star: bool, distinct: bool) {
        let types_in: Vec<Ty> = args.iter().map(types::infer).collect();
        let targets: Vec<Option<String>> = if types::is_common_function(name) {
            let met = types::common(&types_in);
            let to = match &met {
                Ty::Of(t) => Some(types::base(t)),
                _ => None,
            };
            types_in.iter().map(|t| to.as_ref().and_then(|to| types::cast_to(t, to))).collect()
        } else {
            types::function(name, &types_in).operands
        };
        if types::is_common_function(name) {
            self.push(&name.to_ascii_uppercase());
        } else {
            self.push(&quote_identifier(name));
        }
        self.push("(");
        if star {
            self.push("*");
        }
        if distinct {
            self.push("DISTINCT ");
        }
        for (n, arg) in args.iter().enumerate() {
            if n > 0 {
                self.push(", ");
            }
            self.expr(arg, targets.get(n).cloned().flatten().as_deref());
        }
        self.push(")");
    }

    fn case(&mut self, operand: Option<&Expr>, whens: &[(Expr, Expr)], otherwise: Option<&Expr>) {
        let mut results: Vec<Ty> = whens.iter().map(|(_, then)| types::infer(then)).collect();
        results.extend(otherwise.map(types::infer));
        let result = match types::common(&results) {
            Ty::Of(t) => t,
            _ => "text".into(),
        };
        self.keyword("CASE", 0, INDENT_VAR, 0);
        if let Some(operand) = operand {
            self.push(" ");
            self.expr(operand, None);
        }
        for (condition, then) in whens {
            self.keyword("WHEN ", 0, 0, 0);
            let target = if operand.is_some() { None } else { Some("boolean") };
            self.expr(condition, target);
            self.push(" THEN ");
            self.expr(then, Some(&result));
        }
        self.keyword("ELSE ", 0, 0, 0);
        match otherwise {
            Some(otherwise) => self.expr(otherwise, Some(&result)),
            None => self.literal(&Literal::Null, Some(&result)),
        }
        self.keyword("END", -INDENT_VAR, 0, 0);
    }
}

/// What `expr` prints as, coerced to `target`.
fn node(expr: &Expr, target: Option<&str>) -> Node {
    let expr = unnested(expr);
    if needs_cast(expr, target) {
        return Node::Cast(simple(&node(expr, None), &Parent::Cast));
    }
    match expr {
        Expr::Column { .. } | Expr::Literal(_) | Expr::Keyword(_) | Expr::Function { .. } => Node::Simple,
        Expr::Case { .. } | Expr::Subquery(_) | Expr::Array(_) | Expr::Nested(_) => Node::Simple,
        Expr::Cast { expr: inner, ty } => {
            if is_literal(inner) || same_type(inner, ty) {
                node(inner, None)
            } else {
                Node::Cast(simple(&node(inner, None), &Parent::Cast))
            }
        }
        Expr::Unary { op: UnaryOp::Not, .. } => Node::Not,
        Expr::Unary { .. } => Node::Op(None),
        Expr::Binary { op, .. } if op == "AND" => Node::And,
        Expr::Binary { op, .. } if op == "OR" => Node::Or,
        Expr::Binary { op, .. } => Node::Op(Some(op.clone())),
        Expr::IsDistinct { negated: true, .. } | Expr::Exists { negated: true, .. } => Node::Not,
        Expr::InQuery { negated: true, .. } => Node::Not,
        Expr::IsNull { .. } | Expr::IsBool { .. } | Expr::IsDistinct { .. } => Node::Test,
        Expr::InQuery { .. } | Expr::Exists { .. } => Node::Test,
        Expr::Between { negated, .. } => {
            if *negated {
                Node::Or
            } else {
                Node::And
            }
        }
        Expr::InList { negated, list, .. } => match in_list_form(list) {
            InForm::Array => Node::ScalarArray,
            InForm::One => Node::Op(Some(if *negated { "<>" } else { "=" }.into())),
            InForm::Chain if *negated => Node::And,
            InForm::Chain => Node::Or,
        },
    }
}

/// The number of the result column an ORDER BY item of a set operation
/// names (by number or by name).
fn column_number(expr: &Expr, names: &[String]) -> Option<usize> {
    match unnested(expr) {
        Expr::Literal(Literal::Number(n)) => n.parse().ok(),
        Expr::Column { parts, .. } => {
            let [name] = parts.as_slice() else { return None };
            names.iter().position(|n| n == name).map(|p| p + 1)
        }
        _ => None,
    }
}

/// ruleutils' `isSimpleNode`: whether `node` needs no parentheses as the
/// child of `parent` (when pretty).
fn simple(node: &Node, parent: &Parent) -> bool {
    // Boolean operators bind more loosely than anything else.
    let under_boolean = |parent: &Parent| matches!(parent, Parent::And | Parent::Or | Parent::Not);
    match node {
        Node::Simple => true,
        Node::Cast(inner) => *inner,
        Node::Op(op) => match (op, parent) {
            (Some(op), Parent::Op { op: Some(parent_op), first }) => arithmetic_nesting(op, parent_op, *first),
            (_, Parent::Op { .. }) => false,
            (_, parent) => under_boolean(parent),
        },
        Node::Test => under_boolean(parent),
        Node::And | Node::Not => matches!(parent, Parent::And | Parent::Or),
        Node::Or => matches!(parent, Parent::Or),
        Node::ScalarArray => false,
    }
}

/// `a + b * c`, `(a + b) * c`, `a - b - c`, `a - (b - c)`: only the basic
/// arithmetic operators nest without parentheses.
fn arithmetic_nesting(op: &str, parent: &str, first: bool) -> bool {
    let low = |o: &str| o == "+" || o == "-";
    let high = |o: &str| o == "*" || o == "/" || o == "%";
    if !(low(op) || high(op)) || !(low(parent) || high(parent)) {
        return false;
    }
    if high(op) && low(parent) {
        return true;
    }
    if low(op) && high(parent) {
        return false;
    }
    first
}

/// Parentheses are no node in PostgreSQL's tree.
fn unnested(expr: &Expr) -> &Expr {
    match expr {
        Expr::Nested(inner) => unnested(inner),
        other => other,
    }
}

/// The arguments of a chain of one boolean operator, as PostgreSQL's
/// parser flattens `a AND b AND c` (leftward only).
fn flatten<'e>(expr: &'e Expr, op: &str, out: &mut Vec<&'e Expr>) {
    match unnested(expr) {
        Expr::Binary { op: o, left, right } if o == op => {
            flatten(left, op, out);
            out.push(right);
        }
        other => out.push(other),
    }
}

fn is_literal(expr: &Expr) -> bool {
    matches!(unnested(expr), Expr::Literal(_))
}

/// Whether `expr` already has type `ty` (a cast to it is no cast).
fn same_type(expr: &Expr, ty: &str) -> bool {
    matches!(types::infer(expr), Ty::Of(t) if t == ty)
}

/// Whether coercing `expr` to `target` shows as a cast: a typed value of
/// another type (an untyped literal becomes a constant of the type).
fn needs_cast(expr: &Expr, target: Option<&str>) -> bool {
    let Some(target) = target else { return false };
    match unnested(expr) {
        Expr::Literal(Literal::String(_) | Literal::Null) => false,
        Expr::Literal(Literal::Bool(_)) => target != "boolean",
        expr => types::cast_to(&types::infer(expr), target).is_some() && types::infer(expr) != Ty::Unknown,
    }
}

enum InForm {
    /// One item: a plain comparison.
    One,
    /// Constants: `= ANY (ARRAY[...])`.
    Array,
    /// Items with columns: comparisons joined by OR (AND for NOT IN).
    Chain,
}

fn in_list_form(list: &[Expr]) -> InForm {
    let constant = |e: &Expr| !mentions_column(e);
    match list {
        [_] => InForm::One,
        items if items.iter().all(constant) => InForm::Array,
        _ => InForm::Chain,
    }
}

fn mentions_column(expr: &Expr) -> bool {
    match unnested(expr) {
        Expr::Column { .. } => true,
        Expr::Literal(_) | Expr::Keyword(_) => false,
        Expr::Unary { expr, .. } | Expr::Cast { expr, .. } => mentions_column(expr),
        Expr::Binary { left, right, .. } => mentions_column(left) || mentions_column(right),
        Expr::Function { args, .. } => args.iter().any(mentions_column),
        _ => true,
    }
}

/// A string literal as ruleutils' `simple_quote_literal` writes it.
fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}
