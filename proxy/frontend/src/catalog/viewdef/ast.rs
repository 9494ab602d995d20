//! A stored view query as a tree: the SELECT forms views are made of
//! (select lists, joins, derived tables, WHERE / GROUP BY / HAVING,
//! ORDER BY / LIMIT / OFFSET, set operations, and the common
//! expressions), as [`super::parse`] reads them.

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Query {
    pub body: SetExpr,
    pub order_by: Vec<OrderItem>,
    pub limit: Option<Expr>,
    pub offset: Option<Expr>,
}

impl Query {
    /// The first SELECT of the query: the one whose columns name and type
    /// a set operation's result.
    pub(super) fn first_select(&self) -> &Select {
        let mut body = &self.body;
        loop {
            match body {
                SetExpr::Select(select) => return select,
                SetExpr::Query(inner) => body = &inner.body,
                SetExpr::SetOp { left, .. } => body = left,
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum SetExpr {
    Select(Box<Select>),
    /// A parenthesized query as a set operation's operand.
    Query(Box<Query>),
    SetOp {
        op: SetOp,
        all: bool,
        left: Box<SetExpr>,
        right: Box<SetExpr>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SetOp {
    Union,
    Except,
    Intersect,
}

impl SetOp {
    pub(super) fn keyword(self) -> &'static str {
        match self {
            SetOp::Union => "UNION",
            SetOp::Except => "EXCEPT",
            SetOp::Intersect => "INTERSECT",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Select {
    pub distinct: Distinct,
    pub items: Vec<SelectItem>,
    pub from: Vec<TableRef>,
    pub selection: Option<Expr>,
    pub group_by: Vec<Expr>,
    pub having: Option<Expr>,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Distinct {
    None,
    All,
    On(Vec<Expr>),
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum SelectItem {
    Wildcard,
    /// `t.*`: the relation's name or alias.
    QualifiedWildcard(String),
    Expr {
        expr: Expr,
        alias: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Alias {
    pub name: String,
    pub columns: Vec<String>,
}

/// A FROM item; a table's `name` is the relation's SQLite name
/// (`schema.rel` outside `public`).
#[derive(Debug, Clone, PartialEq)]
pub(super) enum TableRef {
    Table { name: String, alias: Option<Alias> },
    Derived { query: Box<Query>, alias: Option<Alias> },
    Join { left: Box<TableRef>, kind: JoinKind, right: Box<TableRef>, constraint: JoinConstraint },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum JoinKind {
    Inner,
    Left,
    Right,
    Full,
    Cross,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum JoinConstraint {
    None,
    On(Expr),
    Using(Vec<String>),
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct OrderItem {
    pub expr: Expr,
    pub descending: bool,
    /// `NULLS FIRST` / `NULLS LAST` when written.
    pub nulls_first: Option<bool>,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Literal {
    /// As written (`1`, `1.5`, `1e3`).
    Number(String),
    String(String),
    Bool(bool),
    Null,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Expr {
    /// A column reference, `[relation.]column`; `ty` is its declared type
    /// once the binder ([`super::bind`]) resolved it.
    Column {
        parts: Vec<String>,
        ty: Option<String>,
    },
    Literal(Literal),
    /// `CURRENT_DATE`, `CURRENT_USER`, ...: upper case.
    Keyword(String),
    /// `-x`, `+x`, `NOT x`.
    Unary {
        op: UnaryOp,
        expr: Box<Expr>,
    },
    /// Binary operators, `AND` and `OR` included (operator text upper
    /// case for words: `AND`, `OR`, `LIKE`, `ILIKE`).
    Binary {
        op: String,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    IsNull {
        negated: bool,
        expr: Box<Expr>,
    },
    /// `IS [NOT] TRUE | FALSE | UNKNOWN` (`None`: UNKNOWN).
    IsBool {
        negated: bool,
        value: Option<bool>,
        expr: Box<Expr>,
    },
    IsDistinct {
        negated: bool,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    InList {
        negated: bool,
        expr: Box<Expr>,
        list: Vec<Expr>,
    },
    InQuery {
        negated: bool,
        expr: Box<Expr>,
        query: Box<Query>,
    },
    Between {
        negated: bool,
        expr: Box<Expr>,
        low: Box<Expr>,
        high: Box<Expr>,
    },
    Function {
        name: String,
        args: Vec<Expr>,
        star: bool,
        distinct: bool,
    },
    /// `CAST(x AS t)`, `x::t`, `DATE 'x'`: `ty` as `format_type` prints it.
    Cast {
        expr: Box<Expr>,
        ty: String,
    },
    Case {
        operand: Option<Box<Expr>>,
        whens: Vec<(Expr, Expr)>,
        otherwise: Option<Box<Expr>>,
    },
    Exists {
        negated: bool,
        query: Box<Query>,
    },
    Subquery(Box<Query>),
    Array(Vec<Expr>),
    Nested(Box<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum UnaryOp {
    Minus,
    Plus,
    Not,
}
