//! Result typing and prepared statements: the declared type of each result
//! column (traced to its table column, else fixed by the statement, else
//! judged from the values), the parameter types of a prepared statement,
//! and a statement's result columns before it runs.

use crate::error::FrontendError;
use crate::session::{Column, Session};
use crate::types::{self, ColumnType};
use node_core::value::Value;
use node_exec::reader::ColumnOrigin;
use sqlmap::{Plan, SessionStmt};

/// A statement prepared for repeated execution: its plan and text (`None`
/// for an empty query string) and its parameter types (the client's where
/// it gave them, else inferred, else 0).
#[derive(Debug, Clone)]
pub struct Prepared {
    pub plan: Option<(Plan, String)>,
    pub param_types: Vec<u32>,
}

/// Columns typed by the values they hold: for results nothing else types.
pub(crate) fn value_columns(names: &[String], rows: &[Vec<Value>]) -> Vec<Column> {
    names
        .iter()
        .enumerate()
        .map(|(i, n)| Column {
            name: n.clone(),
            ty: ColumnType::of_value(rows.iter().filter_map(|r| r.get(i)).find(|v| !matches!(v, Value::Null))),
        })
        .collect()
}

impl Session {
    /// Plans one statement for the extended protocol, with its parameter
    /// types: those in `types` where non-zero, else what the statement
    /// implies (the column a parameter is compared with or assigned to, a
    /// cast), else 0.
    pub fn prepare(&mut self, sql: &str, types: &[u32]) -> Result<Prepared, FrontendError> {
        let plan = if sql.chars().all(|c| c == ';' || c.is_whitespace()) {
            None
        } else {
            let mut plans = self.plan(sql)?;
            if plans.len() > 1 {
                return Err(FrontendError::new("42601", "cannot insert multiple commands into a prepared statement"));
            }
            plans.pop()
        };
        let count = match &plan {
            Some((Plan::Read(r), _)) => r.param_count,
            Some((Plan::Session(SessionStmt::DeclareCursor(d)), _)) => d.read.param_count,
            Some((Plan::Write(w), _)) => w.param_count,
            Some((Plan::CopyOut(c), _)) => c.read.param_count,
            // An EXECUTE's own `$n`, typed by the parameters they are passed to.
            Some((Plan::Session(SessionStmt::Execute(e)), _)) => {
                let (_, outer) = self.executed_statement(e)?;
                let mut param_types = types.to_vec();
                for (i, oid) in outer.into_iter().enumerate() {
                    match param_types.get_mut(i) {
                        Some(t) if *t == 0 => *t = oid,
                        Some(_) => {}
                        None => param_types.push(oid),
                    }
                }
                return Ok(Prepared { plan, param_types });
            }
            _ => 0,
        };
        let mut param_types: Vec<u32> = types.to_vec();
        if param_types.len() < count {
            param_types.resize(count, 0);
        }
        if param_types.contains(&0) {
            let hints = sqlmap::param_hints_dialect(sql, self.dialect);
            let scope: Vec<String> = match &plan {
                Some((Plan::Read(r), _)) => r.tables.clone(),
                Some((Plan::CopyOut(c), _)) => c.read.tables.clone(),
                Some((Plan::Session(SessionStmt::DeclareCursor(d)), _)) => d.read.tables.clone(),
                Some((Plan::Write(w), _)) => {
                    std::iter::once(w.table.clone()).chain(w.tables_read.iter().cloned()).collect()
                }
                _ => Vec::new(),
            };
            for (i, t) in param_types.iter_mut().enumerate() {
                if *t == 0 {
                    *t = hints.get(i).and_then(|h| self.hint_type(h, &scope)).unwrap_or(0);
                }
            }
        }
        Ok(Prepared { plan, param_types })
    }

    /// The result columns of a prepared statement before it runs; `None`
    /// when it returns no rows.
    pub fn describe(&mut self, p: &Prepared) -> Result<Option<Vec<Column>>, FrontendError> {
        Ok(match &p.plan {
            Some((Plan::Read(r), text)) => Some(self.describe_read(r, text)?),
            // A SELECT that draws from a sequence is typed as the read it looks like.
            Some((plan @ Plan::Write(w), text)) if w.kind == sqlmap::WriteKind::Select => {
                self.returning_names(plan).map(|names| self.read_columns(&names, &[], None, text))
            }
            Some((p @ Plan::Write(_), _)) => self.returning_columns(p),
            Some((Plan::Session(SessionStmt::Show(n)), _)) => {
                Some(vec![Column { name: n.to_ascii_lowercase(), ty: ColumnType::plain(types::OID_TEXT) }])
            }
            // A FETCH returns its cursor's columns.
            Some((plan @ Plan::Session(SessionStmt::Fetch(_)), _)) => self.fetch_columns(plan),
            // An EXECUTE returns its prepared statement's columns.
            Some((Plan::Session(SessionStmt::Execute(e)), _)) => {
                let (executed, _) = self.executed_statement(e)?;
                self.describe(&executed)?
            }
            _ => None,
        })
    }

    /// The type a parameter hint points at, resolved in the chain's catalog.
    fn hint_type(&mut self, h: &sqlmap::ParamHint, scope: &[String]) -> Option<u32> {
        let tables = self.tables();
        let types = self.user_types();
        // A column of a user-defined type takes values of that type (a
        // domain's are sent in its base type's format: `storage_oid`).
        let column_oid = |c: &node_core::catalog::ColumnMeta| match c.user_type.as_ref().and_then(|t| types.get(t)) {
            Some(t) => Some(t.ty.oid),
            None => sqlmap::PgType::parse_name(&c.pg_type).map(|t| t.oid()),
        };
        let typed = |meta: &node_core::catalog::TableMeta, col: &str| {
            meta.columns.iter().find(|c| c.name == col).and_then(column_oid)
        };
        match h {
            sqlmap::ParamHint::Type(t) => Some(t.oid()),
            sqlmap::ParamHint::Named(name) => {
                let view = node_core::catalog::SchemaView(&tables, &types);
                sqlmap::lookup_user_type(name, false, &view).map(|t| t.oid)
            }
            sqlmap::ParamHint::Column { table, column } => {
                if let Some(t) = table.as_ref().and_then(|t| tables.get(t)) {
                    if let Some(oid) = typed(t, column) {
                        return Some(oid);
                    }
                }
                scope.iter().filter_map(|t| tables.get(t)).find_map(|t| typed(t, column)).or_else(|| {
                    // A column of the emulated catalog (`WHERE t.oid = $1`):
                    // drivers look types up by OID so.
                    scope.iter().find_map(|t| {
                        let emulated = t.strip_prefix("pg_catalog.").or_else(|| t.strip_prefix("information_schema."));
                        crate::catalog::column_type_oid(emulated?, column)
                    })
                })
            }
            sqlmap::ParamHint::Position { table, index } => {
                let meta = tables.get(table)?;
                meta.columns.get(*index).and_then(column_oid)
            }
            // `id = ANY($1)`: an array of what the element is.
            sqlmap::ParamHint::ArrayOf(element) => sqlmap::arrays::array_oid(self.hint_type(element, scope)?),
            _ => None,
        }
    }

    /// The result columns of a read, before it runs: declared types for
    /// column references; for expressions, the type of what a trial run
    /// with NULL parameters yields.
    fn describe_read(&mut self, r: &sqlmap::ReadPlan, text: &str) -> Result<Vec<Column>, FrontendError> {
        if self.route(&Plan::Read(r.clone()))? == crate::temp::Route::Temp {
            return self.describe_temp_read(text);
        }
        let origins = self.node.reader().describe(r)?;
        let names: Vec<String> = origins.iter().map(|o| o.name.clone()).collect();
        let needs_trial = origins.iter().any(|o| o.table.is_none());
        // The trial reads rows, so it runs as the role may read: not at all
        // without SELECT (the statement's execution reports that), filtered
        // under row-level security.
        let secured = if needs_trial { self.secure(r.clone(), text).ok() } else { None };
        let rows = if let Some(r) = secured {
            let trial = sqlmap::ReadPlan {
                sqlite: format!("SELECT * FROM ({}) LIMIT 1", r.sqlite),
                tables: r.tables.clone(),
                param_count: r.param_count,
            };
            let info = self.info();
            let node = self.node.clone();
            crate::catalog::with_session(info, || node.reader().query(&trial, &vec![Value::Null; r.param_count]))
                .map(|rs| rs.rows)
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        Ok(self.read_columns(&names, &rows, Some(&origins), text))
    }

    fn column_type(&mut self, table: &str, column: &str) -> Option<ColumnType> {
        let tables = self.tables();
        let Some(meta) = tables.get(table) else {
            // A column of the emulated catalog.
            return crate::catalog::column_type_oid(table, column).map(ColumnType::plain);
        };
        let col = meta.columns.iter().find(|c| c.name == column)?;
        // An enum's values are described as the enum; a domain's as its
        // base type, as PostgreSQL describes them.
        if let Some(ty) = col.user_type.as_ref().and_then(|t| self.user_types().get(t).map(|t| t.ty.clone())) {
            if matches!(ty.kind, sqlmap::UserTypeKind::Enum(_)) {
                return Some(ColumnType::plain(ty.oid));
            }
        }
        sqlmap::PgType::parse_name(&col.pg_type).map(|t| ColumnType::of(&t))
    }

    /// Result column types: the declared type of the table column a result
    /// comes from; else what the statement fixes (a cast, `count(*)`, a
    /// literal); else the type of the values.
    pub(crate) fn read_columns(
        &mut self,
        names: &[String],
        rows: &[Vec<Value>],
        origins: Option<&[ColumnOrigin]>,
        text: &str,
    ) -> Vec<Column> {
        let mut hints: Option<Vec<Option<sqlmap::PgType>>> = None;
        // Catalog queries: clients decode booleans and arrays by the type they are told.
        let mut catalog_types: Option<Vec<Option<u32>>> = None;
        let is_catalog = text.contains("pg_") || text.contains("information_schema") || text.contains("_privilege");
        let tables = self.tables();
        let types = self.user_types();
        names
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let declared = origins
                    .and_then(|o| o.get(i))
                    .and_then(|o| Some((o.table.clone()?, o.column.clone()?)))
                    .and_then(|(t, c)| self.column_type(&t, &c));
                let ty = declared
                    .or_else(|| {
                        if !is_catalog {
                            return None;
                        }
                        let t = catalog_types.get_or_insert_with(|| sqlmap::result_types(text));
                        t.get(i).copied().flatten().map(ColumnType::plain)
                    })
                    .or_else(|| {
                        let h = hints.get_or_insert_with(|| {
                            sqlmap::result_hints_in(text, &node_core::catalog::SchemaView(&tables, &types))
                        });
                        h.get(i).copied().flatten().map(|t| ColumnType::of(&t))
                    })
                    .unwrap_or_else(|| {
                        ColumnType::of_value(rows.iter().filter_map(|r| r.get(i)).find(|v| !matches!(v, Value::Null)))
                    });
                Column { name: name.clone(), ty }
            })
            .collect()
    }

    /// The names of the columns a write returns; `None` without RETURNING.
    fn returning_names(&mut self, p: &Plan) -> Option<Vec<String>> {
        let Plan::Write(w) = p else { return None };
        if !w.returning {
            return None;
        }
        if self.route(p).ok()? == crate::temp::Route::Temp {
            Some(self.describe_temp(&w.sqlite).ok()?.into_iter().map(|o| o.name).collect())
        } else {
            let sql = w.sqlite.clone();
            self.node.reader().system(|c| Ok(c.prepare(&sql)?.column_names().map(str::to_owned).collect())).ok()
        }
    }

    /// The columns a write returned, typed by the target table's columns of
    /// the same name where it has them (its table may exist only in the
    /// transaction block so far), else by their values.
    pub(crate) fn returned_columns(&mut self, p: &Plan, names: &[String], rows: &[Vec<Value>]) -> Vec<Column> {
        let by_values = value_columns(names, rows);
        let Plan::Write(w) = p else { return by_values };
        if w.kind == sqlmap::WriteKind::Select {
            return by_values;
        }
        let table = w.table.clone();
        by_values
            .into_iter()
            .map(|c| match self.column_type(&table, &c.name) {
                Some(ty) => Column { name: c.name, ty },
                None => c,
            })
            .collect()
    }

    /// A write's RETURNING columns, typed by the target table's columns of
    /// the same name; `None` for a write without RETURNING.
    /// A SELECT that draws from a sequence has no table to type by: its
    /// columns are typed by their values ([`Session::returned_columns`]).
    pub fn returning_columns(&mut self, p: &Plan) -> Option<Vec<Column>> {
        let Plan::Write(w) = p else { return None };
        if w.kind == sqlmap::WriteKind::Select {
            return None;
        }
        let names = self.returning_names(p)?;
        let table = w.table.clone();
        Some(
            names
                .into_iter()
                .map(|n| {
                    let ty = self.column_type(&table, &n).unwrap_or(ColumnType::plain(types::OID_TEXT));
                    Column { name: n, ty }
                })
                .collect(),
        )
    }
}
