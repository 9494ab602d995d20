//! Reads a stored view query (its [`super::lex`] tokens) into the
//! [`super::ast`] tree, with PostgreSQL's operator precedence. A construct
//! outside the tree's forms (window functions, `LATERAL`, `WITH`,
//! special-syntax functions such as `EXTRACT(x FROM y)`) makes the whole
//! query unreadable here: the caller then shows the stored text.

use super::ast::{
    Alias, Distinct, Expr, JoinConstraint, JoinKind, Literal, OrderItem, Query, Select, SelectItem, SetExpr, SetOp,
    TableRef, UnaryOp,
};
use super::lex::Token;

/// How deep a tree may grow here: each nested query, parenthesis and
/// operator of a chain (`a + b + c`) is a level. The printers recurse
/// over the tree, so this bounds their stack; a deeper query is shown as
/// stored.
const DEPTH_MAX: usize = 128;

/// Reads a query; `None` when it holds anything outside the tree's forms.
pub(super) fn parse(tokens: Vec<Token>) -> Option<Query> {
    let mut parser = Parser { tokens, at: 0, depth: 0 };
    let query = parser.query()?;
    parser.op(";");
    parser.done().then_some(query)
}

/// Reads one expression (a CHECK constraint's); `None` when it holds
/// anything outside the tree's forms.
pub(super) fn expression(tokens: Vec<Token>) -> Option<Expr> {
    let mut parser = Parser { tokens, at: 0, depth: 0 };
    let expr = parser.expr()?;
    parser.done().then_some(expr)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
    depth: usize,
}

/// Words that end an expression or a FROM item where an alias could stand.
const CLAUSE_WORDS: &str = "\
    from where group having order limit offset fetch union except intersect join inner left right full cross \
    natural on using and or not window as into for lateral then else end when is in like ilike between \
    similar asc desc nulls select with values outer";

fn is_clause_word(word: &str) -> bool {
    CLAUSE_WORDS.split_ascii_whitespace().any(|w| w == word)
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn peek_at(&self, ahead: usize) -> Option<&Token> {
        self.tokens.get(self.at + ahead)
    }

    fn done(&self) -> bool {
        self.at >= self.tokens.len()
    }

    /// Takes the unquoted word `word`.
    fn word(&mut self, word: &str) -> bool {
        let found = matches!(self.peek(), Some(Token::Word { text, quoted: false }) if text == word);
        if found {
            self.at += 1;
        }
        found
    }

    fn is_word(&self, ahead: usize, word: &str) -> bool {
        matches!(self.peek_at(ahead), Some(Token::Word { text, quoted: false }) if text == word)
    }

    fn op(&mut self, op: &str) -> bool {
        let found = matches!(self.peek(), Some(Token::Op(o)) if o == op);
        if found {
            self.at += 1;
        }
        found
    }

    fn expect_op(&mut self, op: &str) -> Option<()> {
        self.op(op).then_some(())
    }

    fn expect_word(&mut self, word: &str) -> Option<()> {
        self.word(word).then_some(())
    }

    /// An identifier: a quoted word, or an unquoted one that is no clause word.
    fn name(&mut self) -> Option<String> {
        match self.peek()? {
            Token::Word { text, quoted } if *quoted || !is_clause_word(text) => {
                let text = text.clone();
                self.at += 1;
                Some(text)
            }
            _ => None,
        }
    }

    /// Runs `f` one level deeper, failing past the depth bound.
    fn nested<T>(&mut self, f: impl FnOnce(&mut Self) -> Option<T>) -> Option<T> {
        if self.depth >= DEPTH_MAX {
            return None;
        }
        self.depth += 1;
        let result = f(self);
        self.depth -= 1;
        result
    }

    /// Counts one more level for a node a loop wraps around what it has
    /// built (`(a + b) + c`); the loop gives its levels back when done.
    fn wrap(&mut self, wraps: &mut usize) -> Option<()> {
        if self.depth >= DEPTH_MAX {
            return None;
        }
        self.depth += 1;
        *wraps += 1;
        Some(())
    }

    fn query(&mut self) -> Option<Query> {
        self.nested(|p| {
            let body = p.set_expr(0)?;
            let mut query = Query { body, order_by: Vec::new(), limit: None, offset: None };
            if p.word("order") {
                p.expect_word("by")?;
                query.order_by = p.list(Self::order_item)?;
            }
            p.limits(&mut query)?;
            Some(query)
        })
    }

    /// `LIMIT n | ALL`, `OFFSET n [ROWS]`, `FETCH FIRST n ROWS ONLY`, in any order.
    fn limits(&mut self, query: &mut Query) -> Option<()> {
        loop {
            if self.word("limit") {
                query.limit = if self.word("all") { None } else { Some(self.expr()?) };
            } else if self.word("offset") {
                query.offset = Some(self.expr()?);
                let _ = self.word("rows") || self.word("row");
            } else if self.word("fetch") {
                let _ = self.word("first") || self.word("next");
                query.limit = Some(self.expr()?);
                let _ = self.word("rows") || self.word("row");
                self.expect_word("only")?;
            } else {
                return Some(());
            }
        }
    }

    fn set_expr(&mut self, min_precedence: u8) -> Option<SetExpr> {
        let mut left = self.set_operand()?;
        let mut wraps = 0;
        let left = loop {
            let (op, precedence) = if self.is_word(0, "union") {
                (SetOp::Union, 1)
            } else if self.is_word(0, "except") {
                (SetOp::Except, 1)
            } else if self.is_word(0, "intersect") {
                (SetOp::Intersect, 2)
            } else {
                break left;
            };
            if precedence < min_precedence {
                break left;
            }
            self.at += 1;
            self.wrap(&mut wraps)?;
            let all = self.word("all");
            let _ = all || self.word("distinct");
            let right = self.nested(|p| p.set_expr(precedence + 1))?;
            left = SetExpr::SetOp { op, all, left: Box::new(left), right: Box::new(right) };
        };
        self.depth -= wraps;
        Some(left)
    }

    fn set_operand(&mut self) -> Option<SetExpr> {
        if self.op("(") {
            let query = self.query()?;
            self.expect_op(")")?;
            return Some(SetExpr::Query(Box::new(query)));
        }
        self.expect_word("select")?;
        Some(SetExpr::Select(Box::new(self.select()?)))
    }

    fn select(&mut self) -> Option<Select> {
        let distinct = if self.word("distinct") {
            if self.word("on") {
                self.expect_op("(")?;
                let on = self.list(Self::expr)?;
                self.expect_op(")")?;
                Distinct::On(on)
            } else {
                Distinct::All
            }
        } else {
            let _ = self.word("all");
            Distinct::None
        };
        let items = self.list(Self::select_item)?;
        let from = if self.word("from") { self.list(Self::table_ref)? } else { Vec::new() };
        let selection = if self.word("where") { Some(self.expr()?) } else { None };
        let mut group_by = Vec::new();
        if self.word("group") {
            self.expect_word("by")?;
            group_by = self.list(Self::expr)?;
        }
        let having = if self.word("having") { Some(self.expr()?) } else { None };
        Some(Select { distinct, items, from, selection, group_by, having })
    }

    fn list<T>(&mut self, mut item: impl FnMut(&mut Self) -> Option<T>) -> Option<Vec<T>> {
        let mut out = vec![item(self)?];
        while self.op(",") {
            out.push(item(self)?);
        }
        Some(out)
    }

    fn select_item(&mut self) -> Option<SelectItem> {
        if self.op("*") {
            return Some(SelectItem::Wildcard);
        }
        // `t.*` or `s.t.*`.
        let qualified_star = |p: &Self, n: usize| {
            (0..n).all(|k| {
                matches!(p.peek_at(2 * k), Some(Token::Word { .. }))
                    && matches!(p.peek_at(2 * k + 1), Some(Token::Op(o)) if o == ".")
            }) && matches!(p.peek_at(2 * n), Some(Token::Op(o)) if o == "*")
        };
        for n in [1, 2] {
            if qualified_star(self, n) {
                let relation = match self.peek_at(2 * n - 2) {
                    Some(Token::Word { text, .. }) => text.clone(),
                    _ => return None,
                };
                self.at += 2 * n + 1;
                return Some(SelectItem::QualifiedWildcard(relation));
            }
        }
        let expr = self.expr()?;
        let alias = if self.word("as") { Some(self.any_name()?) } else { self.name() };
        Some(SelectItem::Expr { expr, alias })
    }

    /// Any word, keywords included (after `AS`).
    fn any_name(&mut self) -> Option<String> {
        match self.peek()? {
            Token::Word { text, .. } => {
                let text = text.clone();
                self.at += 1;
                Some(text)
            }
            _ => None,
        }
    }

    fn alias(&mut self) -> Option<Option<Alias>> {
        let name = if self.word("as") { Some(self.any_name()?) } else { self.name() };
        let Some(name) = name else { return Some(None) };
        let mut columns = Vec::new();
        if self.op("(") {
            columns = self.list(Self::any_name)?;
            self.expect_op(")")?;
        }
        Some(Some(Alias { name, columns }))
    }

    fn table_ref(&mut self) -> Option<TableRef> {
        self.nested(|p| {
            let mut left = p.table_factor()?;
            let mut wraps = 0;
            while let Some(kind) = p.join_kind()? {
                p.wrap(&mut wraps)?;
                let right = p.table_factor()?;
                let constraint = if kind == JoinKind::Cross {
                    JoinConstraint::None
                } else if p.word("on") {
                    JoinConstraint::On(p.expr()?)
                } else if p.word("using") {
                    p.expect_op("(")?;
                    let columns = p.list(Self::any_name)?;
                    p.expect_op(")")?;
                    JoinConstraint::Using(columns)
                } else {
                    return None;
                };
                left = TableRef::Join { left: Box::new(left), kind, right: Box::new(right), constraint };
            }
            p.depth -= wraps;
            Some(left)
        })
    }

    /// The join keywords; `Some(None)` when no join follows. NATURAL joins
    /// are not read.
    fn join_kind(&mut self) -> Option<Option<JoinKind>> {
        if self.word("join") {
            return Some(Some(JoinKind::Inner));
        }
        let kind = if self.word("inner") {
            JoinKind::Inner
        } else if self.word("cross") {
            JoinKind::Cross
        } else if self.word("left") {
            JoinKind::Left
        } else if self.word("right") {
            JoinKind::Right
        } else if self.word("full") {
            JoinKind::Full
        } else if self.is_word(0, "natural") {
            return None;
        } else {
            return Some(None);
        };
        if matches!(kind, JoinKind::Left | JoinKind::Right | JoinKind::Full) {
            self.word("outer");
        }
        self.expect_word("join")?;
        Some(Some(kind))
    }

    fn table_factor(&mut self) -> Option<TableRef> {
        if self.is_word(0, "lateral") {
            return None;
        }
        if self.op("(") {
            if self.is_word(0, "select") || matches!(self.peek(), Some(Token::Op(o)) if o == "(") {
                let query = self.query()?;
                self.expect_op(")")?;
                return Some(TableRef::Derived { query: Box::new(query), alias: self.alias()? });
            }
            let inner = self.table_ref()?;
            self.expect_op(")")?;
            return Some(inner);
        }
        // `[catalog.][schema.]name`, kept as the relation's SQLite name.
        let (mut schema, mut name) = (None, self.name()?);
        while self.op(".") {
            schema = Some(std::mem::replace(&mut name, self.any_name()?));
        }
        if matches!(self.peek(), Some(Token::Op(o)) if o == "(") {
            return None; // a function in FROM
        }
        let name = sqlmap::qualify(schema.as_deref().unwrap_or("public"), &name);
        Some(TableRef::Table { name, alias: self.alias()? })
    }

    fn order_item(&mut self) -> Option<OrderItem> {
        let expr = self.expr()?;
        let descending = self.word("desc");
        if !descending {
            self.word("asc");
        }
        let nulls_first = if self.word("nulls") {
            if self.word("first") {
                Some(true)
            } else {
                self.expect_word("last")?;
                Some(false)
            }
        } else {
            None
        };
        Some(OrderItem { expr, descending, nulls_first })
    }

    pub(super) fn expr(&mut self) -> Option<Expr> {
        self.nested(Self::or)
    }

    fn or(&mut self) -> Option<Expr> {
        let mut left = self.and()?;
        let mut wraps = 0;
        while self.word("or") {
            self.wrap(&mut wraps)?;
            left = binary("OR", left, self.and()?);
        }
        self.depth -= wraps;
        Some(left)
    }

    fn and(&mut self) -> Option<Expr> {
        let mut left = self.not()?;
        let mut wraps = 0;
        while self.word("and") {
            self.wrap(&mut wraps)?;
            left = binary("AND", left, self.not()?);
        }
        self.depth -= wraps;
        Some(left)
    }

    fn not(&mut self) -> Option<Expr> {
        if self.is_word(0, "not") && !self.is_word(1, "exists") {
            self.at += 1;
            let expr = self.nested(Self::not)?;
            return Some(Expr::Unary { op: UnaryOp::Not, expr: Box::new(expr) });
        }
        self.is()
    }

    /// `IS [NOT] NULL | TRUE | FALSE | UNKNOWN | DISTINCT FROM x`.
    fn is(&mut self) -> Option<Expr> {
        let mut expr = self.comparison()?;
        let mut wraps = 0;
        while self.word("is") {
            self.wrap(&mut wraps)?;
            let negated = self.word("not");
            expr = if self.word("null") {
                Expr::IsNull { negated, expr: Box::new(expr) }
            } else if self.word("true") {
                Expr::IsBool { negated, value: Some(true), expr: Box::new(expr) }
            } else if self.word("false") {
                Expr::IsBool { negated, value: Some(false), expr: Box::new(expr) }
            } else if self.word("unknown") {
                Expr::IsBool { negated, value: None, expr: Box::new(expr) }
            } else if self.word("distinct") {
                self.expect_word("from")?;
                let right = self.comparison()?;
                Expr::IsDistinct { negated, left: Box::new(expr), right: Box::new(right) }
            } else {
                return None;
            };
        }
        self.depth -= wraps;
        Some(expr)
    }

    fn comparison(&mut self) -> Option<Expr> {
        let left = self.pattern()?;
        let op = match self.peek() {
            Some(Token::Op(o)) if matches!(o.as_str(), "=" | "<>" | "!=" | "<" | ">" | "<=" | ">=") => o.clone(),
            _ => return Some(left),
        };
        self.at += 1;
        let op = if op == "!=" { "<>".to_string() } else { op };
        Some(binary(&op, left, self.pattern()?))
    }

    /// `[NOT] LIKE | ILIKE | BETWEEN | IN`.
    fn pattern(&mut self) -> Option<Expr> {
        let expr = self.other()?;
        let negated = self.is_word(0, "not") && ["like", "ilike", "between", "in"].iter().any(|w| self.is_word(1, w));
        if negated {
            self.at += 1;
        }
        let ilike = self.is_word(0, "ilike");
        if self.word("like") || self.word("ilike") {
            let op = match (ilike, negated) {
                (false, false) => "~~",
                (false, true) => "!~~",
                (true, false) => "~~*",
                (true, true) => "!~~*",
            };
            return Some(binary(op, expr, self.other()?));
        }
        if self.word("between") {
            let low = self.other()?;
            self.expect_word("and")?;
            let high = self.other()?;
            return Some(Expr::Between { negated, expr: Box::new(expr), low: Box::new(low), high: Box::new(high) });
        }
        if self.word("in") {
            self.expect_op("(")?;
            let result = if self.is_word(0, "select") {
                Expr::InQuery { negated, expr: Box::new(expr), query: Box::new(self.query()?) }
            } else {
                Expr::InList { negated, expr: Box::new(expr), list: self.list(Self::expr)? }
            };
            self.expect_op(")")?;
            return Some(result);
        }
        if negated || self.is_word(0, "similar") {
            return None;
        }
        Some(expr)
    }

    /// Operators other than the arithmetic and comparison ones (`||`, `->>`, `~`).
    fn other(&mut self) -> Option<Expr> {
        let mut left = self.additive()?;
        let mut wraps = 0;
        loop {
            let op = match self.peek() {
                Some(Token::Op(o)) if is_other_operator(o) => o.clone(),
                _ => break,
            };
            self.at += 1;
            self.wrap(&mut wraps)?;
            left = binary(&op, left, self.additive()?);
        }
        self.depth -= wraps;
        Some(left)
    }

    fn additive(&mut self) -> Option<Expr> {
        let mut left = self.multiplicative()?;
        let mut wraps = 0;
        loop {
            let op = match self.peek() {
                Some(Token::Op(o)) if o == "+" || o == "-" => o.clone(),
                _ => break,
            };
            self.at += 1;
            self.wrap(&mut wraps)?;
            left = binary(&op, left, self.multiplicative()?);
        }
        self.depth -= wraps;
        Some(left)
    }

    fn multiplicative(&mut self) -> Option<Expr> {
        let mut left = self.power()?;
        let mut wraps = 0;
        loop {
            let op = match self.peek() {
                Some(Token::Op(o)) if o == "*" || o == "/" || o == "%" => o.clone(),
                _ => break,
            };
            self.at += 1;
            self.wrap(&mut wraps)?;
            left = binary(&op, left, self.power()?);
        }
        self.depth -= wraps;
        Some(left)
    }

    fn power(&mut self) -> Option<Expr> {
        let mut left = self.unary()?;
        let mut wraps = 0;
        while self.op("^") {
            self.wrap(&mut wraps)?;
            left = binary("^", left, self.unary()?);
        }
        self.depth -= wraps;
        Some(left)
    }

    fn unary(&mut self) -> Option<Expr> {
        let op = if self.op("-") {
            UnaryOp::Minus
        } else if self.op("+") {
            UnaryOp::Plus
        } else {
            return self.postfix();
        };
        let expr = self.nested(Self::unary)?;
        Some(Expr::Unary { op, expr: Box::new(expr) })
    }

    /// A primary with `::type` casts after it.
    fn postfix(&mut self) -> Option<Expr> {
        let mut expr = self.primary()?;
        let mut wraps = 0;
        loop {
            if self.op("::") {
                self.wrap(&mut wraps)?;
                expr = Expr::Cast { expr: Box::new(expr), ty: self.type_name()? };
            } else if matches!(self.peek(), Some(Token::Op(o)) if o == "[")
                || self.is_word(0, "at")
                || self.is_word(0, "collate")
            {
                return None;
            } else {
                self.depth -= wraps;
                return Some(expr);
            }
        }
    }

    fn primary(&mut self) -> Option<Expr> {
        match self.peek()?.clone() {
            Token::Number(n) => {
                self.at += 1;
                Some(Expr::Literal(Literal::Number(n)))
            }
            Token::Str(s) => {
                self.at += 1;
                Some(Expr::Literal(Literal::String(s)))
            }
            Token::Op(o) if o == "(" => {
                self.at += 1;
                let expr = if self.is_word(0, "select") {
                    Expr::Subquery(Box::new(self.query()?))
                } else {
                    Expr::Nested(Box::new(self.expr()?))
                };
                self.expect_op(")")?;
                Some(expr)
            }
            Token::Word { text, quoted: false } => self.word_expr(&text),
            Token::Word { .. } => self.column_or_call(),
            Token::Op(_) => None,
        }
    }

    /// An expression that starts with an unquoted word.
    fn word_expr(&mut self, word: &str) -> Option<Expr> {
        let call = matches!(self.peek_at(1), Some(Token::Op(o)) if o == "(");
        let literal = |l| Some(Expr::Literal(l));
        match word {
            "true" | "false" | "null" => {
                self.at += 1;
                match word {
                    "true" => literal(Literal::Bool(true)),
                    "false" => literal(Literal::Bool(false)),
                    _ => literal(Literal::Null),
                }
            }
            "case" => {
                self.at += 1;
                self.case()
            }
            "cast" if call => {
                self.at += 2;
                let expr = self.expr()?;
                self.expect_word("as")?;
                let ty = self.type_name()?;
                self.expect_op(")")?;
                Some(Expr::Cast { expr: Box::new(expr), ty })
            }
            "exists" | "not" => {
                let negated = self.word("not");
                self.expect_word("exists")?;
                self.expect_op("(")?;
                let query = self.query()?;
                self.expect_op(")")?;
                Some(Expr::Exists { negated, query: Box::new(query) })
            }
            "array" if matches!(self.peek_at(1), Some(Token::Op(o)) if o == "[") => {
                self.at += 2;
                let items = if self.op("]") { Vec::new() } else { self.list(Self::expr)? };
                if !items.is_empty() {
                    self.expect_op("]")?;
                }
                Some(Expr::Array(items))
            }
            "date" | "time" | "timestamp" | "timestamptz" | "interval"
                if matches!(self.peek_at(1), Some(Token::Str(_))) =>
            {
                let ty = self.type_name()?;
                let Some(Token::Str(value)) = self.peek().cloned() else { return None };
                self.at += 1;
                Some(Expr::Cast { expr: Box::new(Expr::Literal(Literal::String(value))), ty })
            }
            _ if !call && SQL_VALUE_FUNCTIONS.contains(&word) => {
                self.at += 1;
                Some(Expr::Keyword(word.to_ascii_uppercase()))
            }
            // `left(s, 3)` and `right(s, 3)` are functions.
            _ if is_clause_word(word) && !(call && matches!(word, "left" | "right")) => None,
            _ => self.column_or_call(),
        }
    }

    fn case(&mut self) -> Option<Expr> {
        let operand = if self.is_word(0, "when") { None } else { Some(Box::new(self.expr()?)) };
        let mut whens = Vec::new();
        while self.word("when") {
            let condition = self.expr()?;
            self.expect_word("then")?;
            whens.push((condition, self.expr()?));
        }
        let otherwise = if self.word("else") { Some(Box::new(self.expr()?)) } else { None };
        self.expect_word("end")?;
        (!whens.is_empty()).then_some(Expr::Case { operand, whens, otherwise })
    }

    fn column_or_call(&mut self) -> Option<Expr> {
        let mut parts = vec![self.any_name()?];
        while matches!(self.peek(), Some(Token::Op(o)) if o == ".")
            && matches!(self.peek_at(1), Some(Token::Word { .. }))
        {
            self.at += 1;
            parts.push(self.any_name()?);
        }
        if !self.op("(") {
            return (parts.len() <= 3).then_some(Expr::Column { parts, ty: None });
        }
        // A function: the schema of `pg_catalog.lower(x)` is dropped.
        let name = parts.pop()?;
        let (mut args, mut star, mut distinct) = (Vec::new(), false, false);
        if self.op("*") {
            star = true;
        } else if !matches!(self.peek(), Some(Token::Op(o)) if o == ")") {
            distinct = self.word("distinct");
            if !distinct {
                self.word("all");
            }
            args = self.list(Self::expr)?;
        }
        self.expect_op(")")?;
        if ["filter", "over", "within"].iter().any(|w| self.is_word(0, w)) {
            return None;
        }
        Some(Expr::Function { name, args, star, distinct })
    }

    /// A type name as `format_type` prints it (`int` -> `integer`).
    fn type_name(&mut self) -> Option<String> {
        let mut words = vec![self.any_name()?];
        for (first, rest) in MULTIWORD_TYPES {
            if words.first().is_some_and(|w| w == first) {
                let matched = rest.iter().enumerate().all(|(k, w)| self.is_word(k, w));
                if matched {
                    self.at += rest.len();
                    words.extend(rest.iter().map(|w| w.to_string()));
                    break;
                }
            }
        }
        let mut modifiers = Vec::new();
        if self.op("(") {
            modifiers = self.list(|p| match p.peek()? {
                Token::Number(n) => {
                    let n = n.clone();
                    p.at += 1;
                    Some(n)
                }
                _ => None,
            })?;
            self.expect_op(")")?;
        }
        // `timestamp(3) with time zone`
        let mut zone = Vec::new();
        if self.is_word(0, "with") || self.is_word(0, "without") {
            for w in ["time", "zone"] {
                if !self.is_word(1 + zone.len(), w) {
                    return None;
                }
                zone.push(w);
            }
            let with = self.word("with");
            if !with {
                self.word("without");
            }
            self.at += 2;
            words.push(if with { "with" } else { "without" }.into());
            words.extend(zone.iter().map(|w| w.to_string()));
        }
        let array = self.op("[");
        if array {
            self.expect_op("]")?;
        }
        let name = super::types::canonical(&words.join(" "), &modifiers)?;
        Some(if array { format!("{name}[]") } else { name })
    }
}

/// Multi-word type names: the first word and the words that may follow.
const MULTIWORD_TYPES: &[(&str, &[&str])] =
    &[("double", &["precision"]), ("character", &["varying"]), ("char", &["varying"])];

/// PostgreSQL's SQL-standard functions written without parentheses.
const SQL_VALUE_FUNCTIONS: &[&str] = &[
    "current_date",
    "current_time",
    "current_timestamp",
    "localtime",
    "localtimestamp",
    "current_user",
    "current_role",
    "session_user",
    "user",
    "current_catalog",
    "current_schema",
];

fn is_other_operator(op: &str) -> bool {
    !matches!(op, "(" | ")" | "," | "." | "[" | "]" | ";" | "::" | "=" | "<>" | "!=" | "<" | ">" | "<=" | ">=")
        && !matches!(op, "+" | "-" | "*" | "/" | "%" | "^")
}

fn binary(op: &str, left: Expr, right: Expr) -> Expr {
    Expr::Binary { op: op.to_string(), left: Box::new(left), right: Box::new(right) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(sql: &str) -> Option<Query> {
        parse(super::super::lex::tokens(sql)?)
    }

    fn column(name: &str) -> Expr {
        Expr::Column { parts: vec![name.into()], ty: None }
    }

    #[test]
    fn precedence_is_postgresql_s() {
        let q = read("SELECT a FROM t WHERE a + b * c > 1 AND NOT d OR e IS NULL").unwrap();
        let SetExpr::Select(select) = q.body else { panic!() };
        let Some(Expr::Binary { op, left, .. }) = select.selection else { panic!() };
        assert_eq!(op, "OR");
        let Expr::Binary { op, left: comparison, right: not } = *left else { panic!() };
        assert_eq!(op, "AND");
        assert!(matches!(*not, Expr::Unary { op: UnaryOp::Not, .. }));
        let Expr::Binary { op, left: sum, .. } = *comparison else { panic!() };
        assert_eq!(op, ">");
        let Expr::Binary { op, left: a, right: product } = *sum else { panic!() };
        assert_eq!((op.as_str(), *a), ("+", column("a")));
        assert!(matches!(*product, Expr::Binary { ref op, .. } if op == "*"));
    }

    #[test]
    fn reads_the_forms_views_use() {
        for sql in [
            "SELECT a, b AS c FROM t AS x(a, b) LEFT OUTER JOIN u ON u.x = x.a INNER JOIN w USING(a) CROSS JOIN z, y",
            "SELECT count(*), COUNT(DISTINCT a), Lower(B) AS \"Lb\" FROM public.t GROUP BY 1 HAVING count(*) > 1 \
             ORDER BY a DESC NULLS LAST LIMIT 5 OFFSET 2",
            "SELECT a::TEXT, CAST(a AS VARCHAR(3)), a::DOUBLE PRECISION, a::TIMESTAMP WITH TIME ZONE, DATE '2020-01-01'",
            "SELECT a FROM t WHERE a IN (1, 2) AND a NOT IN (SELECT b FROM u) AND NOT EXISTS (SELECT 1) \
             AND a NOT BETWEEN 3 AND 4 AND a IS NOT DISTINCT FROM b AND b ILIKE 'x'",
            "SELECT CASE WHEN a THEN 1 ELSE 2 END, CASE a WHEN 1 THEN 'x' END, current_date, -1, t.* FROM t",
            "SELECT a FROM t UNION ALL (SELECT b FROM u ORDER BY b LIMIT 1) EXCEPT SELECT c FROM v ORDER BY 1",
            "SELECT DISTINCT ON (a) a FROM (SELECT a FROM t) s FETCH FIRST 5 ROWS ONLY",
        ] {
            assert!(read(sql).is_some(), "{sql}");
        }
    }

    #[test]
    fn refuses_what_it_does_not_know() {
        for sql in [
            "WITH x AS (SELECT 1) SELECT * FROM x",
            "SELECT sum(a) OVER (PARTITION BY b) FROM t",
            "SELECT EXTRACT(YEAR FROM d) FROM t",
            "SELECT a FROM t, LATERAL (SELECT 1) l",
            "SELECT a FROM generate_series(1, 3) a",
            "SELECT a[1] FROM t",
            "SELECT a FROM t NATURAL JOIN u",
            "SELECT a FROM t WHERE",
            "SELECT (a, b) FROM t",
            "VALUES (1)",
        ] {
            assert_eq!(read(sql), None, "{sql}");
        }
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let sql = format!("SELECT {}1{}", "(".repeat(300), ")".repeat(300));
        assert_eq!(read(&sql), None);
        let sql = format!("SELECT {}1", "- ".repeat(300));
        assert_eq!(read(&sql), None);
        let sql = format!("SELECT 1{}", " + 1".repeat(300));
        assert_eq!(read(&sql), None);
        let sql = format!("SELECT 1{}", " + 1".repeat(100));
        assert!(read(&sql).is_some());
    }
}
