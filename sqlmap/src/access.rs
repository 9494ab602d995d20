//! Access control statements and row filters: GRANT/REVOKE on tables,
//! `ALTER TABLE .. ENABLE|DISABLE ROW LEVEL SECURITY`, CREATE/DROP POLICY,
//! and the rewrite that puts a table's SELECT policies in front of every
//! read of it.
//!
//! Planning only describes the statements; the executor checks who may run
//! them and keeps the result in the chain's catalog. Policy expressions are
//! kept as PostgreSQL text and rendered with [`policy_expr`] where they run.

use std::collections::BTreeSet;
use std::ops::ControlFlow;

use sqlparser::ast::{
    Action, CreatePolicy, CreatePolicyCommand, CreatePolicyType, DropPolicy, Expr, GrantObjects, Grantee, GranteeName,
    GranteesType, Ident, ObjectName, ObjectNamePart, Owner, Privileges, Query, SetExpr, Statement, TableAlias,
    TableFactor, Visit, VisitMut, Visitor, VisitorMut,
};

use crate::ddl::DdlPlan;
use crate::determinism::Mode;
use crate::error::{PlanError, SourceMap, INTERNAL_ERROR, SYNTAX_ERROR};
use crate::names;
use crate::render::Renderer;
use crate::schema::Schema;

/// A table privilege.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Privilege {
    Select,
    Insert,
    Update,
    Delete,
    Truncate,
}

/// `GRANT` or `REVOKE` of table privileges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantPlan {
    pub revoke: bool,
    pub tables: Vec<String>,
    /// `ON ALL TABLES IN SCHEMA s, ...`: every table and view in these
    /// schemas when the grant runs, besides `tables`.
    pub in_schemas: Vec<String>,
    /// Table-wide privileges; `ALL` lists every one.
    pub privileges: Vec<Privilege>,
    /// `UPDATE (col, ...)`: columns the grantees may update.
    pub update_columns: Vec<String>,
    /// Role names; `None` is PUBLIC.
    pub grantees: Vec<Option<String>>,
}

/// The statements a policy applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyCommand {
    All,
    Select,
    Insert,
    Update,
    Delete,
}

impl PolicyCommand {
    pub fn code(self) -> u8 {
        match self {
            PolicyCommand::All => 0,
            PolicyCommand::Select => 1,
            PolicyCommand::Insert => 2,
            PolicyCommand::Update => 3,
            PolicyCommand::Delete => 4,
        }
    }

    pub fn from_code(code: u8) -> Option<Self> {
        Some(match code {
            0 => PolicyCommand::All,
            1 => PolicyCommand::Select,
            2 => PolicyCommand::Insert,
            3 => PolicyCommand::Update,
            4 => PolicyCommand::Delete,
            _ => return None,
        })
    }

    /// `pg_policy.polcmd`.
    pub fn letter(self) -> char {
        match self {
            PolicyCommand::All => '*',
            PolicyCommand::Select => 'r',
            PolicyCommand::Insert => 'a',
            PolicyCommand::Update => 'w',
            PolicyCommand::Delete => 'd',
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            PolicyCommand::All => "ALL",
            PolicyCommand::Select => "SELECT",
            PolicyCommand::Insert => "INSERT",
            PolicyCommand::Update => "UPDATE",
            PolicyCommand::Delete => "DELETE",
        }
    }

    /// Whether the policy takes part in checking `command`.
    pub fn covers(self, command: PolicyCommand) -> bool {
        self == PolicyCommand::All || self == command
    }
}

/// `CREATE POLICY`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyPlan {
    pub table: String,
    pub name: String,
    pub permissive: bool,
    pub command: PolicyCommand,
    /// Role names; `None` is PUBLIC. Empty means PUBLIC too.
    pub roles: Vec<Option<String>>,
    /// PostgreSQL text of the USING expression.
    pub using: Option<String>,
    /// PostgreSQL text of the WITH CHECK expression.
    pub check: Option<String>,
}

fn role_name(name: &ObjectName) -> Result<Option<String>, PlanError> {
    match name.0.as_slice() {
        [ObjectNamePart::Identifier(ident)] => {
            let folded = names::fold(ident);
            Ok(if ident.quote_style.is_none() && folded == "public" { None } else { Some(folded) })
        }
        _ => Err(PlanError::new(SYNTAX_ERROR, format!("role name {name} is not a plain name"))),
    }
}

fn grantee(g: &Grantee) -> Result<Option<String>, PlanError> {
    match (&g.grantee_type, &g.name) {
        (GranteesType::Public, _) => Ok(None),
        (
            GranteesType::None | GranteesType::Role | GranteesType::User | GranteesType::Group,
            Some(GranteeName::ObjectName(name)),
        ) => role_name(name),
        _ => Err(PlanError::unsupported(format!("grantee {g}"))),
    }
}

fn column_names(columns: &[Ident]) -> Vec<String> {
    let set: BTreeSet<String> = columns.iter().map(names::fold).collect();
    set.into_iter().collect()
}

pub(crate) fn plan_grant(statement: Statement) -> Result<DdlPlan, PlanError> {
    let (revoke, privileges, objects, grantees) = match statement {
        Statement::Grant(g) => {
            if g.with_grant_option {
                return Err(PlanError::unsupported("WITH GRANT OPTION").with_hint("only a table's owner grants on it"));
            }
            if g.as_grantor.is_some() || g.granted_by.is_some() || g.current_grants.is_some() {
                return Err(PlanError::unsupported("this form of GRANT"));
            }
            (false, g.privileges, g.objects, g.grantees)
        }
        Statement::Revoke(r) => {
            if r.grant_option_for || r.granted_by.is_some() {
                return Err(PlanError::unsupported("this form of REVOKE"));
            }
            (true, r.privileges, r.objects, r.grantees)
        }
        other => return Err(PlanError::unsupported(crate::control::statement_label(&other))),
    };
    let (tables, in_schemas) = match objects {
        Some(GrantObjects::Tables(tables)) => {
            (tables.iter().map(names::resolve_target).collect::<Result<Vec<_>, _>>()?, Vec::new())
        }
        Some(GrantObjects::AllTablesInSchema { schemas }) => (Vec::new(), crate::schemas::grant_schemas(&schemas)?),
        Some(GrantObjects::Sequences(sequences)) => {
            let sequences = sequences.iter().map(names::resolve_target).collect::<Result<_, _>>()?;
            let privileges = crate::sequence::privileges(privileges)?;
            let grantees = grantees.iter().map(grantee).collect::<Result<_, _>>()?;
            return Ok(DdlPlan::GrantSequence(crate::sequence::SequenceGrant {
                revoke,
                sequences,
                privileges,
                grantees,
            }));
        }
        Some(GrantObjects::Schemas(schemas)) => {
            let schemas = crate::schemas::grant_schemas(&schemas)?;
            let privileges = crate::schemas::privileges(privileges)?;
            let grantees = grantees.iter().map(grantee).collect::<Result<_, _>>()?;
            return Ok(DdlPlan::GrantSchema(crate::schemas::SchemaGrant { revoke, schemas, privileges, grantees }));
        }
        Some(other) => {
            return Err(PlanError::unsupported(format!("GRANT ON {other}"))
                .with_hint("rowchain grants privileges on tables: GRANT SELECT ON t TO role"))
        }
        None => {
            return Err(PlanError::unsupported("granting roles to roles")
                .with_hint("rowchain grants privileges on tables: GRANT SELECT ON t TO role"))
        }
    };
    let mut list = BTreeSet::new();
    let mut update_columns = Vec::new();
    match privileges {
        Privileges::All { .. } => {
            list.extend([
                Privilege::Select,
                Privilege::Insert,
                Privilege::Update,
                Privilege::Delete,
                Privilege::Truncate,
            ]);
        }
        Privileges::Actions(actions) => {
            for action in actions {
                match action {
                    Action::Select { columns: None } => list.insert(Privilege::Select),
                    Action::Insert { columns: None } => list.insert(Privilege::Insert),
                    Action::Update { columns: None } => list.insert(Privilege::Update),
                    Action::Update { columns: Some(columns) } => {
                        update_columns.extend(column_names(&columns));
                        true
                    }
                    Action::Delete => list.insert(Privilege::Delete),
                    Action::Truncate => list.insert(Privilege::Truncate),
                    Action::Select { columns: Some(_) } | Action::Insert { columns: Some(_) } => {
                        return Err(PlanError::unsupported("column privileges other than UPDATE")
                            .with_hint("grant SELECT or INSERT on the whole table, UPDATE on columns"))
                    }
                    other => return Err(PlanError::unsupported(format!("privilege {other} on a table"))),
                };
            }
        }
    }
    update_columns.sort();
    update_columns.dedup();
    let grantees = grantees.iter().map(grantee).collect::<Result<_, _>>()?;
    Ok(DdlPlan::Grant(GrantPlan {
        revoke,
        tables,
        in_schemas,
        privileges: list.into_iter().collect(),
        update_columns,
        grantees,
    }))
}

/// Parses an expression back from its stored PostgreSQL text.
pub(crate) fn parse_expr(text: &str) -> Result<Expr, PlanError> {
    crate::parse::expression(text).map_err(|e| PlanError::new(SYNTAX_ERROR, format!("policy expression: {e}")))
}

pub(crate) fn plan_create_policy(p: CreatePolicy, source: &SourceMap) -> Result<DdlPlan, PlanError> {
    let table = names::resolve_target(&p.table_name)?;
    let name = names::fold(&p.name);
    let command = match p.command {
        None | Some(CreatePolicyCommand::All) => PolicyCommand::All,
        Some(CreatePolicyCommand::Select) => PolicyCommand::Select,
        Some(CreatePolicyCommand::Insert) => PolicyCommand::Insert,
        Some(CreatePolicyCommand::Update) => PolicyCommand::Update,
        Some(CreatePolicyCommand::Delete) => PolicyCommand::Delete,
    };
    if command == PolicyCommand::Insert && p.using.is_some() {
        return Err(PlanError::new(SYNTAX_ERROR, "only WITH CHECK expression allowed for INSERT"));
    }
    if matches!(command, PolicyCommand::Select | PolicyCommand::Delete) && p.with_check.is_some() {
        return Err(PlanError::new(SYNTAX_ERROR, "WITH CHECK cannot be applied to SELECT or DELETE"));
    }
    let roles = match &p.to {
        None => Vec::new(),
        Some(owners) => owners
            .iter()
            .map(|o| match o {
                Owner::Ident(ident) => Ok(role_name(&ObjectName::from(vec![ident.clone()]))?),
                other => {
                    Err(PlanError::unsupported(format!("policy role {other}")).with_hint("name the roles, or PUBLIC"))
                }
            })
            .collect::<Result<_, _>>()?,
    };
    // The expressions must render now, so that a bad one is refused here
    // and not where the policy runs.
    for e in [&p.using, &p.with_check].into_iter().flatten() {
        Renderer::new(Mode::Write, source, &crate::schema::NoSchema).expr(e)?;
    }
    Ok(DdlPlan::CreatePolicy(PolicyPlan {
        table,
        name,
        permissive: !matches!(p.policy_type, Some(CreatePolicyType::Restrictive)),
        command,
        roles,
        using: p.using.map(|e| e.to_string()),
        check: p.with_check.map(|e| e.to_string()),
    }))
}

pub(crate) fn plan_drop_policy(p: DropPolicy) -> Result<DdlPlan, PlanError> {
    Ok(DdlPlan::DropPolicy {
        table: names::resolve_target(&p.table_name)?,
        name: names::fold(&p.name),
        if_exists: p.if_exists,
    })
}

/// `text` (a PostgreSQL expression) with `current_user`, `session_user`,
/// `user` and `current_role` replaced by `name` as a literal: a SELECT
/// filter planned for one role means that role wherever the query runs.
pub fn bind_current_user(text: &str, name: &str) -> Result<String, PlanError> {
    struct Bind<'a>(&'a str);
    impl VisitorMut for Bind<'_> {
        type Break = ();
        fn pre_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
            let is_session = |n: &str| matches!(n, "current_user" | "session_user" | "user" | "current_role");
            let hit = match expr {
                Expr::Identifier(ident) => ident.quote_style.is_none() && is_session(&ident.value.to_lowercase()),
                Expr::Function(f) => {
                    matches!(f.args, sqlparser::ast::FunctionArguments::None)
                        && is_session(&f.name.to_string().to_lowercase())
                }
                _ => false,
            };
            if hit {
                *expr = Expr::value(sqlparser::ast::Value::SingleQuotedString(self.0.to_string()));
            }
            ControlFlow::Continue(())
        }
    }
    let mut expr = parse_expr(text)?;
    let _ = VisitMut::visit(&mut expr, &mut Bind(name));
    Ok(expr.to_string())
}

/// A policy expression (PostgreSQL text) as SQLite text, its bare column
/// names meaning `table`'s columns: what the executor puts in the
/// triggers that enforce write policies.
pub fn policy_expr(text: &str, table: &str, schema: &dyn Schema) -> Result<String, PlanError> {
    let expr = parse_expr(text)?;
    let source = SourceMap::new(text);
    let mut renderer = Renderer::new(Mode::Write, &source, schema);
    renderer.enter_table(table, None);
    renderer.expr(&expr)
}

/// Whether the statement evaluates anything that can fail on a row before
/// the row filters have decided whether the role may see it, and so reveal
/// by its error something of the row: a function call, a cast, a division,
/// a JSON or other operator in a WHERE or ON condition, or in an UPDATE's
/// SET. Comparisons, AND/OR/NOT, `+ - *` (SQLite turns integer overflow
/// into a real) and concatenation cannot fail. Result columns, grouping
/// and ordering are left out: they run only on rows that passed.
fn leaky<T: Visit + VisitMut + Clone>(node: &T) -> bool {
    struct Conditions;
    impl VisitorMut for Conditions {
        type Break = ();
        fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
            query.order_by = None;
            ControlFlow::Continue(())
        }
        fn pre_visit_select(&mut self, select: &mut sqlparser::ast::Select) -> ControlFlow<()> {
            select.projection.clear();
            select.group_by = sqlparser::ast::GroupByExpr::Expressions(vec![], vec![]);
            select.having = None;
            ControlFlow::Continue(())
        }
    }
    struct Leaky;
    impl Visitor for Leaky {
        type Break = ();
        fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<()> {
            use sqlparser::ast::BinaryOperator as B;
            let leaks = match expr {
                Expr::Function(_)
                | Expr::Cast { .. }
                | Expr::Extract { .. }
                | Expr::Substring { .. }
                | Expr::Trim { .. } => true,
                Expr::BinaryOp { op, .. } => !matches!(
                    op,
                    B::Eq
                        | B::NotEq
                        | B::Lt
                        | B::LtEq
                        | B::Gt
                        | B::GtEq
                        | B::And
                        | B::Or
                        | B::Plus
                        | B::Minus
                        | B::Multiply
                        | B::StringConcat
                ),
                _ => false,
            };
            if leaks {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        }
    }
    let mut conditions = node.clone();
    let _ = VisitMut::visit(&mut conditions, &mut Conditions);
    Visit::visit(&conditions, &mut Leaky).is_break()
}

/// Puts each table that has a row filter (see [`Schema::row_filter`])
/// behind `(SELECT * FROM t WHERE filter) AS t`, everywhere in `node` a
/// table is read: joins, subqueries, CTE bodies, set operations. CTE
/// names are not tables. With `skip_first`, the first table named is left
/// alone: the target of an UPDATE or DELETE, whose rows the executor's
/// triggers filter. The filter's own subqueries are not filtered again.
///
/// When the statement could fail on a row ([`leaky`]), the filtered table
/// is a security barrier (`OFFSET 0`: SQLite neither flattens it nor
/// pushes the statement's conditions into it), so nothing of the statement
/// runs on a row the filter hides; otherwise SQLite may merge the two and
/// use the table's indexes.
pub(crate) fn apply_row_filters<T: VisitMut + Visit + Clone>(
    node: &mut T,
    schema: &dyn Schema,
    skip_first: bool,
) -> Result<(), PlanError> {
    // Most statements read no filtered table: they are left as they are.
    let mut filtered = false;
    let _ = Visit::visit(node, &mut FilteredTables { schema, found: &mut filtered });
    if !filtered {
        return Ok(());
    }
    let mut ctes = Ctes(BTreeSet::new());
    let _ = VisitMut::visit(node, &mut ctes);
    let barrier = leaky(node);
    let mut filters = RowFilters { schema, ctes: ctes.0, skip_first, barrier, error: None };
    let _ = VisitMut::visit(node, &mut filters);
    match filters.error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// An UPDATE's or DELETE's WHERE clause, when the target has a row filter
/// and the statement could fail on a row ([`leaky`]), becomes
/// `CASE WHEN filter THEN where ELSE false END`: the executor's triggers
/// skip the rows the filter hides, but the WHERE clause runs first and
/// must not run on them.
pub(crate) fn guard_target(
    selection: &mut Option<Expr>,
    statement_leaks: bool,
    table: &str,
    schema: &dyn Schema,
) -> Result<(), PlanError> {
    let Some(filter) = schema.row_filter(table) else { return Ok(()) };
    if !statement_leaks {
        return Ok(());
    }
    let condition = selection.take().map(|e| e.to_string()).unwrap_or_else(|| "true".into());
    *selection = Some(parse_expr(&format!("CASE WHEN {filter} THEN ({condition}) ELSE false END"))?);
    Ok(())
}

pub(crate) fn statement_leaks(statement: &Statement) -> bool {
    leaky(statement)
}

/// Sets `found` when a relation of the statement has a row filter.
struct FilteredTables<'a> {
    schema: &'a dyn Schema,
    found: &'a mut bool,
}

impl Visitor for FilteredTables<'_> {
    type Break = ();

    fn pre_visit_relation(&mut self, relation: &ObjectName) -> ControlFlow<()> {
        let filtered = names::resolve_table(relation)
            .is_ok_and(|t| t.catalog.is_none() && self.schema.row_filter(&t.sqlite).is_some());
        if filtered {
            *self.found = true;
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    }
}

struct Ctes(BTreeSet<String>);

impl VisitorMut for Ctes {
    type Break = ();

    fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
        if let Some(with) = &query.with {
            self.0.extend(with.cte_tables.iter().map(|cte| names::fold(&cte.alias.name)));
        }
        ControlFlow::Continue(())
    }
}

struct RowFilters<'a> {
    schema: &'a dyn Schema,
    ctes: BTreeSet<String>,
    skip_first: bool,
    /// Filtered tables are security barriers (see [`apply_row_filters`]).
    barrier: bool,
    error: Option<PlanError>,
}

impl RowFilters<'_> {
    fn wrap(&mut self, factor: &mut TableFactor) -> Result<(), PlanError> {
        let TableFactor::Table { name, alias, args: None, with_hints, .. } = factor else {
            return Ok(());
        };
        if std::mem::take(&mut self.skip_first) {
            return Ok(());
        }
        if let [ObjectNamePart::Identifier(ident)] = name.0.as_slice() {
            let folded = names::fold(ident);
            if self.ctes.contains(&folded) {
                // CTE names are not scoped here: one named like a filtered
                // table could hide a read of the table itself.
                if self.schema.row_filter(&folded).is_some() {
                    return Err(PlanError::unsupported(format!(
                        "a WITH query named like the row-level secured table \"{folded}\""
                    ))
                    .with_hint("give the WITH query another name"));
                }
                return Ok(());
            }
        }
        let Ok(table) = names::resolve_table(name) else { return Ok(()) };
        if table.catalog.is_some() {
            return Ok(());
        }
        let Some(filter) = self.schema.row_filter(&table.sqlite) else { return Ok(()) };
        if !with_hints.is_empty() {
            return Err(PlanError::unsupported("table hints on a table with row-level security"));
        }
        let visible = match alias {
            Some(a) => a.clone(),
            None => TableAlias {
                explicit: true,
                name: match name.0.last() {
                    Some(ObjectNamePart::Identifier(ident)) => ident.clone(),
                    _ => Ident::new(table.sqlite.clone()),
                },
                columns: vec![],
                at: None,
            },
        };
        let barrier = if self.barrier { " OFFSET 0" } else { "" };
        let text = format!("SELECT * FROM {name} WHERE {filter}{barrier}");
        let mut statements = crate::parse::statements(&text)
            .map_err(|e| PlanError::new(INTERNAL_ERROR, format!("row filter of {}: {e}", table.sqlite)))?;
        // The filter is the text of a planned condition: anything else (a
        // `;` or a set operation spliced in) is refused, not filtered with.
        let subquery = match (statements.pop(), statements.is_empty()) {
            (Some(Statement::Query(subquery)), true) if matches!(subquery.body.as_ref(), SetExpr::Select(_)) => {
                subquery
            }
            _ => {
                return Err(PlanError::new(
                    INTERNAL_ERROR,
                    format!("row filter of {} is not a condition", table.sqlite),
                ))
            }
        };
        *factor = TableFactor::Derived { lateral: false, subquery, alias: Some(visible), sample: None };
        Ok(())
    }
}

impl VisitorMut for RowFilters<'_> {
    type Break = ();

    // After the factor's own children: the wrapper put in its place is not
    // visited again, so the filter's subqueries read the table itself.
    fn post_visit_table_factor(&mut self, factor: &mut TableFactor) -> ControlFlow<()> {
        if let Err(e) = self.wrap(factor) {
            self.error.get_or_insert(e);
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    }
}
