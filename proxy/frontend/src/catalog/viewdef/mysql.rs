//! A bound view query printed as MySQL and MariaDB print a view's SELECT
//! (`SHOW CREATE VIEW`, `information_schema.VIEWS.VIEW_DEFINITION`): lower
//! case keywords, backquoted names, every column qualified and every
//! result column named (`` select `t`.`a` AS `a` from `t` ``), joins in
//! parentheses, MySQL's spellings of PostgreSQL's operators (`concat()`,
//! `<=>`) and parentheses only where precedence needs them. With a
//! `schema`, table names and their columns carry it, as VIEW_DEFINITION
//! shows them; a table of another schema (another MySQL database) always
//! carries its own.

use std::collections::BTreeMap;

use super::ast::{
    Distinct, Expr, JoinConstraint, JoinKind, Literal, OrderItem, Query, Select, SelectItem, SetExpr, TableRef, UnaryOp,
};
use super::bind::{column_name, output_names};

/// The text of a view whose (bound) query is `query` and whose columns
/// are named `names`.
pub(super) fn definition(query: &Query, names: &[String], schema: Option<&str>) -> String {
    let mut printer = Printer { buf: String::new(), schema, tables: Vec::new() };
    printer.query(query, Some(names));
    printer.buf
}

struct Printer<'a> {
    buf: String,
    schema: Option<&'a str>,
    /// Per query level, the relations that are tables named as themselves
    /// (their columns carry the schema), by that name, with their SQLite
    /// names. A SELECT's level stays until its query's ORDER BY is printed.
    tables: Vec<BTreeMap<String, String>>,
}

/// A name in backquotes (a backquote doubled).
fn quote(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// MySQL's precedence, higher binds tighter.
fn precedence(expr: &Expr) -> u8 {
    match unnested(expr) {
        Expr::Binary { op, .. } => match op.as_str() {
            "OR" => 1,
            "AND" => 2,
            "=" | "<>" | "<" | ">" | "<=" | ">=" | "~~" | "!~~" | "~~*" | "!~~*" => 4,
            "+" | "-" => 6,
            "*" | "/" | "%" => 7,
            "^" => 8,
            // `||` prints as concat(), other operators as they are.
            "||" => 10,
            _ => 5,
        },
        Expr::Unary { op: UnaryOp::Not, .. } => 3,
        Expr::IsNull { .. }
        | Expr::IsBool { .. }
        | Expr::IsDistinct { .. }
        | Expr::InList { .. }
        | Expr::InQuery { .. }
        | Expr::Between { .. } => 4,
        Expr::Unary { .. } => 9,
        _ => 10,
    }
}

fn unnested(expr: &Expr) -> &Expr {
    match expr {
        Expr::Nested(inner) => unnested(inner),
        other => other,
    }
}

impl Printer<'_> {
    fn push(&mut self, s: &str) {
        self.buf.push_str(s);
    }

    fn query(&mut self, query: &Query, names: Option<&[String]>) {
        let depth = self.tables.len();
        self.body(&query.body, names);
        if !query.order_by.is_empty() {
            self.push(" order by ");
            self.order_items(&query.order_by);
        }
        match (&query.limit, &query.offset) {
            (Some(limit), Some(offset)) => {
                self.push(" limit ");
                self.expr(offset, 0);
                self.push(",");
                self.expr(limit, 0);
            }
            (Some(limit), None) => {
                self.push(" limit ");
                self.expr(limit, 0);
            }
            (None, Some(offset)) => {
                // MySQL has no OFFSET without LIMIT: the largest row count.
                self.push(" limit ");
                self.expr(offset, 0);
                self.push(",18446744073709551615");
            }
            (None, None) => {}
        }
        self.tables.truncate(depth);
    }

    fn body(&mut self, body: &SetExpr, names: Option<&[String]>) {
        match body {
            SetExpr::Select(select) => self.select(select, names),
            SetExpr::Query(query) => {
                self.push("(");
                self.query(query, names);
                self.push(")");
            }
            SetExpr::SetOp { op, all, left, right } => {
                let depth = self.tables.len();
                self.body(left, names);
                self.tables.truncate(depth);
                self.push(&format!(" {} ", op.keyword().to_ascii_lowercase()));
                if *all {
                    self.push("all ");
                }
                self.body(right, names);
                self.tables.truncate(depth);
            }
        }
    }

    fn select(&mut self, select: &Select, names: Option<&[String]>) {
        let mut tables = BTreeMap::new();
        for table in &select.from {
            plain_tables(table, &mut tables);
        }
        self.tables.push(tables);
        self.push("select ");
        match &select.distinct {
            Distinct::None => {}
            Distinct::All | Distinct::On(_) => self.push("distinct "),
        }
        for (n, item) in select.items.iter().enumerate() {
            if n > 0 {
                self.push(",");
            }
            self.item(item, n, names);
        }
        if !select.from.is_empty() {
            self.push(" from ");
            for (n, table) in select.from.iter().enumerate() {
                if n > 0 {
                    self.push(" join ");
                }
                self.table_ref(table);
            }
        }
        if let Some(selection) = &select.selection {
            self.push(" where ");
            self.expr(selection, 0);
        }
        if !select.group_by.is_empty() {
            self.push(" group by ");
            self.list(&select.group_by);
        }
        if let Some(having) = &select.having {
            self.push(" having ");
            self.expr(having, 0);
        }
    }

    fn item(&mut self, item: &SelectItem, n: usize, names: Option<&[String]>) {
        match item {
            SelectItem::Expr { expr, alias } => {
                self.expr(expr, 0);
                let name = names
                    .and_then(|names| names.get(n).cloned())
                    .or_else(|| alias.clone())
                    .unwrap_or_else(|| column_name(expr));
                self.push(" AS ");
                self.push(&quote(&name));
            }
            SelectItem::QualifiedWildcard(t) => self.push(&format!("{}.*", quote(t))),
            SelectItem::Wildcard => self.push("*"),
        }
    }

    fn list(&mut self, items: &[Expr]) {
        for (n, item) in items.iter().enumerate() {
            if n > 0 {
                self.push(",");
            }
            self.expr(item, 0);
        }
    }

    fn table_name(&mut self, name: &str) {
        let (schema, rel) = schema_of(self.schema, name);
        if let Some(schema) = schema {
            self.push(&quote(schema));
            self.push(".");
        }
        self.push(&quote(rel));
    }

    fn table_ref(&mut self, table: &TableRef) {
        match table {
            TableRef::Table { name, alias } => {
                self.table_name(name);
                if let Some(alias) = alias {
                    self.push(" ");
                    self.push(&quote(&alias.name));
                }
            }
            TableRef::Derived { query, alias } => {
                self.push("(");
                let names = output_names(query);
                self.query(query, Some(&names));
                self.push(")");
                if let Some(alias) = alias {
                    self.push(" ");
                    self.push(&quote(&alias.name));
                }
            }
            TableRef::Join { left, kind, right, constraint } => {
                self.push("(");
                self.table_ref(left);
                self.push(match kind {
                    JoinKind::Inner | JoinKind::Cross => " join ",
                    JoinKind::Left => " left join ",
                    JoinKind::Right => " right join ",
                    JoinKind::Full => " full join ",
                });
                self.table_ref(right);
                match constraint {
                    JoinConstraint::On(on) => {
                        self.push(" on(");
                        self.expr(on, 0);
                        self.push(")");
                    }
                    JoinConstraint::Using(columns) => {
                        let columns: Vec<String> = columns.iter().map(|c| quote(c)).collect();
                        self.push(&format!(" using ({})", columns.join(",")));
                    }
                    JoinConstraint::None => {}
                }
                self.push(")");
            }
        }
    }

    fn order_items(&mut self, items: &[OrderItem]) {
        for (n, item) in items.iter().enumerate() {
            if n > 0 {
                self.push(",");
            }
            self.expr(&item.expr, 0);
            if item.descending {
                self.push(" desc");
            }
        }
    }

    /// `expr` where an operator of precedence `outer` stands: wrapped when
    /// it binds more loosely.
    fn expr(&mut self, expr: &Expr, outer: u8) {
        let expr = unnested(expr);
        let wrap = precedence(expr) < outer;
        if wrap {
            self.push("(");
        }
        self.bare(expr);
        if wrap {
            self.push(")");
        }
    }

    fn bare(&mut self, expr: &Expr) {
        let own = precedence(expr);
        match expr {
            Expr::Column { parts, .. } => self.column(parts),
            Expr::Literal(literal) => self.literal(literal),
            Expr::Keyword(k) => self.push(&keyword(k)),
            Expr::Unary { op: UnaryOp::Not, expr } => {
                self.push("not(");
                self.expr(expr, 0);
                self.push(")");
            }
            Expr::Unary { op, expr } => {
                self.push(if *op == UnaryOp::Minus { "-" } else { "" });
                self.expr(expr, own);
            }
            Expr::Binary { op, left, right } => self.binary(op, left, right, own),
            Expr::IsNull { negated, expr } => {
                self.expr(expr, own + 1);
                self.push(if *negated { " is not null" } else { " is null" });
            }
            Expr::IsBool { negated, value, expr } => {
                self.expr(expr, own + 1);
                let what = match value {
                    Some(true) => "true",
                    Some(false) => "false",
                    None => "unknown",
                };
                self.push(&format!(" is {}{what}", if *negated { "not " } else { "" }));
            }
            Expr::IsDistinct { negated, left, right } => {
                self.push(if *negated { "" } else { "not(" });
                self.expr(left, own + 1);
                self.push(" <=> ");
                self.expr(right, own + 1);
                self.push(if *negated { "" } else { ")" });
            }
            Expr::InList { negated, expr, list } => {
                self.expr(expr, own + 1);
                self.push(if *negated { " not in (" } else { " in (" });
                self.list(list);
                self.push(")");
            }
            Expr::InQuery { negated, expr, query } => {
                self.expr(expr, own + 1);
                self.push(if *negated { " not in (" } else { " in (" });
                self.subquery(query);
                self.push(")");
            }
            Expr::Between { negated, expr, low, high } => {
                self.expr(expr, own + 1);
                self.push(if *negated { " not between " } else { " between " });
                self.expr(low, own + 1);
                self.push(" and ");
                self.expr(high, own + 1);
            }
            Expr::Function { name, args, star, distinct } => self.function(name, args, *star, *distinct),
            Expr::Cast { expr, ty } => {
                self.push("cast(");
                self.expr(expr, 0);
                self.push(&format!(" as {})", cast_type(ty)));
            }
            Expr::Case { operand, whens, otherwise } => self.case(operand.as_deref(), whens, otherwise.as_deref()),
            Expr::Exists { negated, query } => {
                self.push(if *negated { "not(exists(" } else { "exists(" });
                self.subquery(query);
                self.push(if *negated { "))" } else { ")" });
            }
            Expr::Subquery(query) => {
                self.push("(");
                self.subquery(query);
                self.push(")");
            }
            Expr::Array(items) => {
                self.push("(");
                self.list(items);
                self.push(")");
            }
            Expr::Nested(inner) => self.expr(inner, 0),
        }
    }

    fn subquery(&mut self, query: &Query) {
        let names = output_names(query);
        self.query(query, Some(&names));
    }

    fn column(&mut self, parts: &[String]) {
        let table = match parts {
            [qualifier, _] => self.tables.iter().rev().find_map(|level| level.get(qualifier)),
            _ => None,
        };
        if let Some(schema) = table.and_then(|name| schema_of(self.schema, name).0) {
            let schema = quote(schema);
            self.push(&schema);
            self.push(".");
        }
        let parts: Vec<String> = parts.iter().map(|p| quote(p)).collect();
        self.push(&parts.join("."));
    }

    fn literal(&mut self, literal: &Literal) {
        match literal {
            Literal::Number(n) => self.push(n),
            Literal::String(s) => {
                let escaped = s.replace('\\', "\\\\").replace('\'', "\\'");
                self.push(&format!("'{escaped}'"));
            }
            Literal::Bool(b) => self.push(if *b { "1" } else { "0" }),
            Literal::Null => self.push("NULL"),
        }
    }

    fn binary(&mut self, op: &str, left: &Expr, right: &Expr, own: u8) {
        if op == "||" {
            self.push("concat(");
            self.expr(left, 0);
            self.push(",");
            self.expr(right, 0);
            self.push(")");
            return;
        }
        let shown = match op {
            "AND" => "and",
            "OR" => "or",
            "~~" | "~~*" => "like",
            "!~~" | "!~~*" => "not like",
            other => other,
        };
        // Left-associative: an equal operator on the right needs parentheses.
        self.expr(left, own);
        self.push(&format!(" {shown} "));
        self.expr(right, own + 1);
    }

    fn function(&mut self, name: &str, args: &[Expr], star: bool, distinct: bool) {
        self.push(&name.to_ascii_lowercase());
        self.push("(");
        if star {
            // MySQL prints count(*) as count(0).
            self.push("0");
        }
        if distinct {
            self.push("distinct ");
        }
        self.list(args);
        self.push(")");
    }

    fn case(&mut self, operand: Option<&Expr>, whens: &[(Expr, Expr)], otherwise: Option<&Expr>) {
        self.push("case");
        if let Some(operand) = operand {
            self.push(" ");
            self.expr(operand, 0);
        }
        for (condition, then) in whens {
            self.push(" when ");
            self.expr(condition, 0);
            self.push(" then ");
            self.expr(then, 0);
        }
        if let Some(otherwise) = otherwise {
            self.push(" else ");
            self.expr(otherwise, 0);
        }
        self.push(" end");
    }
}

/// The schema a table of SQLite name `name` is printed with (its own
/// outside `public`, else `public_as`), and its name there.
fn schema_of<'n>(public_as: Option<&'n str>, name: &'n str) -> (Option<&'n str>, &'n str) {
    match sqlmap::relation_schema(name) {
        ("public", rel) => (public_as, rel),
        (schema, rel) => (Some(schema), rel),
    }
}

/// The tables of a FROM item that are named as themselves (no alias):
/// by that name (the relation's, without its schema), their SQLite names.
fn plain_tables(table: &TableRef, out: &mut BTreeMap<String, String>) {
    match table {
        TableRef::Table { name, alias: None } => {
            out.insert(sqlmap::relation_schema(name).1.to_string(), name.clone());
        }
        TableRef::Join { left, right, .. } => {
            plain_tables(left, out);
            plain_tables(right, out);
        }
        _ => {}
    }
}

/// PostgreSQL's SQL-standard value functions in MySQL's spelling.
fn keyword(keyword: &str) -> String {
    match keyword {
        "CURRENT_DATE" => "curdate()".into(),
        "CURRENT_TIME" | "LOCALTIME" => "curtime()".into(),
        "CURRENT_TIMESTAMP" | "LOCALTIMESTAMP" => "current_timestamp()".into(),
        "CURRENT_USER" | "CURRENT_ROLE" | "SESSION_USER" | "USER" => "current_user()".into(),
        "CURRENT_CATALOG" | "CURRENT_SCHEMA" => "database()".into(),
        other => other.to_ascii_lowercase(),
    }
}

/// A cast's type as MySQL's CAST names it.
fn cast_type(ty: &str) -> String {
    let base = super::types::base(ty);
    match base.as_str() {
        "smallint" | "integer" | "bigint" => "signed".into(),
        "numeric" => ty.replace("numeric", "decimal"),
        "text" | "character varying" | "bpchar" => "char charset utf8mb4".into(),
        "real" => "float".into(),
        "double precision" => "double".into(),
        "date" => "date".into(),
        "timestamp without time zone" | "timestamp with time zone" => "datetime(6)".into(),
        "time without time zone" => "time".into(),
        "json" | "jsonb" => "json".into(),
        _ => "char charset utf8mb4".into(),
    }
}
