//! Writes: statements signed with the session role's key as one chain tx,
//! submitted, and answered from the tx's receipt.

use crate::error::{ErrorKind, FrontendError};
use crate::session::{Reply, Session};
use crate::Frontend;
use node::{now_ms, Node, WaitError};
use node_core::block::{Receipt, StatementResult};
use node_core::tx::{Payload, SignedTx, Statement, TxBody};
use sqlmap::{DdlPlan, Plan, WriteKind};

pub use node::Committed;

pub(crate) fn ddl_tag(d: &DdlPlan) -> &'static str {
    match d {
        DdlPlan::CreateTable(_) => "CREATE TABLE",
        DdlPlan::DropTable { .. } => "DROP TABLE",
        DdlPlan::CreateIndex { .. } => "CREATE INDEX",
        DdlPlan::DropIndex { .. } => "DROP INDEX",
        DdlPlan::Truncate { .. } => "TRUNCATE TABLE",
        DdlPlan::Grant(g) if g.revoke => "REVOKE",
        DdlPlan::Grant(_) => "GRANT",
        DdlPlan::CreatePolicy(_) => "CREATE POLICY",
        DdlPlan::DropPolicy { .. } => "DROP POLICY",
        DdlPlan::Comment { .. } => "COMMENT",
        DdlPlan::CreateView(cv) if cv.materialized => "CREATE MATERIALIZED VIEW",
        DdlPlan::CreateView(_) => "CREATE VIEW",
        DdlPlan::DropView { .. } => "DROP VIEW",
        DdlPlan::RefreshMaterializedView { .. } => "REFRESH MATERIALIZED VIEW",
        DdlPlan::DropMaterializedView { .. } => "DROP MATERIALIZED VIEW",
        DdlPlan::CreateSchema { .. } => "CREATE SCHEMA",
        DdlPlan::DropSchema { .. } => "DROP SCHEMA",
        DdlPlan::GrantSchema(g) if g.revoke => "REVOKE",
        DdlPlan::GrantSchema(_) => "GRANT",
        DdlPlan::CreateSequence(_) => "CREATE SEQUENCE",
        DdlPlan::DropSequence { .. } => "DROP SEQUENCE",
        DdlPlan::GrantSequence(g) if g.revoke => "REVOKE",
        DdlPlan::GrantSequence(_) => "GRANT",
        DdlPlan::Type { plan, .. } => plan.tag(),
        _ => "ALTER TABLE",
    }
}

fn write_tag(p: &Plan, r: &StatementResult) -> String {
    match p {
        Plan::Write(w) => match w.kind {
            WriteKind::Insert => format!("INSERT 0 {}", r.rows_affected),
            WriteKind::Update => format!("UPDATE {}", r.rows_affected),
            WriteKind::Delete => format!("DELETE {}", r.rows_affected),
            WriteKind::Select => format!("SELECT {}", r.rows_affected),
        },
        // PostgreSQL tags CREATE MATERIALIZED VIEW with the rows it holds.
        Plan::Ddl(DdlPlan::CreateView(cv)) if cv.materialized => format!("SELECT {}", r.rows_affected),
        Plan::Ddl(d) => ddl_tag(d).to_string(),
        _ => "OK".into(),
    }
}

/// The command a chain write is, as PostgreSQL names it in messages.
pub(crate) fn command(p: &Plan) -> String {
    match p {
        Plan::Write(w) => match w.kind {
            WriteKind::Insert => "INSERT",
            WriteKind::Update => "UPDATE",
            WriteKind::Delete => "DELETE",
            WriteKind::Select => "SELECT",
        }
        .into(),
        Plan::Ddl(d) => ddl_tag(d).into(),
        Plan::Copy(_) => "COPY FROM".into(),
        _ => "this statement".into(),
    }
}

/// The failure a receipt records, as the client's error.
pub(crate) fn receipt_error(r: &Receipt) -> Option<FrontendError> {
    r.failure.as_ref().map(|f| {
        let e = FrontendError::new(&f.sqlstate, f.message.clone());
        if f.sqlstate == "40001" {
            e.hint("another transaction changed what this one read; run the transaction again")
        } else {
            e
        }
    })
}

impl Session {
    /// Runs several writes as one chain tx (see [`Session::is_implicit_tx`]):
    /// one reply per statement.
    pub async fn execute_writes(&mut self, plans: &[(Plan, String)]) -> Result<Vec<Reply>, FrontendError> {
        for (p, _) in plans {
            self.check_writable(p)?;
        }
        let stmts = plans.iter().map(|(_, t)| Statement { sql: t.clone(), params: vec![] }).collect();
        let results = self.autocommit(stmts).await?;
        // Each statement's reply as alone: RETURNING rows (and the rows of
        // a SELECT that draws from a sequence) come back too.
        Ok(plans.iter().zip(results).map(|((p, _), r)| self.write_reply(p, r)).collect())
    }

    /// A write's reply: its tag, and its RETURNING rows when it has them.
    pub(crate) fn write_reply(&mut self, p: &Plan, r: StatementResult) -> Reply {
        let tag = write_tag(p, &r);
        self.rows_matched = r.rows_matched;
        // MySQL's insert id: the OK packet's, and LAST_INSERT_ID() after it.
        if r.last_insert_id != 0 {
            self.insert_id = r.last_insert_id;
            self.settings.insert(sqlmap::LAST_INSERT_ID_SETTING.to_string(), r.last_insert_id.to_string());
        }
        match r.returning {
            Some(rs) => {
                let columns =
                    self.returning_columns(p).unwrap_or_else(|| self.returned_columns(p, &rs.columns, &rs.rows));
                Reply::Rows { columns, rows: rs.rows, tag }
            }
            None => Reply::Tag(tag),
        }
    }

    /// Signs and submits one tx of SQL statements, waiting for its receipt;
    /// a failure the receipt records is the error.
    pub(crate) async fn autocommit(&mut self, stmts: Vec<Statement>) -> Result<Vec<StatementResult>, FrontendError> {
        let committed = self.submit(Payload::Sql(stmts)).await?;
        match receipt_error(&committed.receipt) {
            Some(e) => Err(e),
            None => Ok(committed.receipt.results),
        }
    }

    /// Signs and submits one tx of SQL statements, waiting for it to be
    /// committed; its receipt may record a failure.
    pub async fn submit_sql(&mut self, stmts: Vec<Statement>) -> Result<Committed, FrontendError> {
        self.submit(Payload::Sql(stmts)).await
    }

    /// Signs `payload` as the session's role, submits it and waits for it.
    pub(crate) async fn submit(&mut self, payload: Payload) -> Result<Committed, FrontendError> {
        let body = TxBody {
            chain_id: self.node.genesis().chain_id.clone(),
            account: self.key.public(),
            id: node_core::crypto::random_bytes(),
            expires_at_ms: now_ms() + self.node.config().limits.tx_lifetime_default_ms,
            dialect: self.dialect,
            payload,
        };
        submit_and_wait(&self.node, body.sign(&self.key)).await
    }
}

impl Frontend {
    /// Submits a signed tx and waits until a block holds it (its receipt
    /// may record a failure).
    pub async fn submit_and_wait(&self, tx: SignedTx) -> Result<Committed, FrontendError> {
        submit_and_wait(&self.node, tx).await
    }
}

/// Submits `tx` and waits until a block holds it, or until it has expired
/// (then it can never apply: a definite answer).
async fn submit_and_wait(node: &Node, tx: SignedTx) -> Result<Committed, FrontendError> {
    node.submit_and_wait(tx).await.map_err(|e| match e {
        WaitError::Submit(e) => e.into(),
        WaitError::NotIncluded(_) => FrontendError::of(ErrorKind::NotIncluded, "57014", e.to_string()),
        WaitError::Expired => FrontendError::of(ErrorKind::Expired, "57014", e.to_string()),
        _ => FrontendError::of(ErrorKind::Internal, "57P01", e.to_string()),
    })
}
