//! How an importer reaches the chain: a node in this process
//! ([`NodeLink`], `rowchain import --data`) or a running node's JSON-RPC
//! ([`RpcLink`], `--url`). Either way each batch is one tx signed by the
//! import's role, and the source's recorded position is read back from the
//! chain (`rowchain.imports`), never from a file of the importer's own.

use super::ImportError;
use crate::service::{Node, SubmitError};
use node_chain::producer::Outcome;
use node_core::crypto::SecretKey;
use node_core::import::{ImportMeta, SourcePosition};
use node_core::tx::{Dialect, ImportBatch, Payload, TxBody};
use serde_json::{json, Value as Json};
use std::future::Future;
use std::sync::Arc;

/// Waits for an admitted batch's block: the height that holds it.
pub type Waiter = tokio::task::JoinHandle<Result<u64, ImportError>>;

/// The chain as an importer sees it.
pub trait ChainLink: Send + Sync {
    /// The source's record, if a batch of it was ever applied.
    fn record(&self, source: &str) -> impl Future<Output = Result<Option<ImportMeta>, ImportError>> + Send;
    /// Admits one batch to the node's pool (batches are admitted in call
    /// order, so they apply in it) and returns what waits for its block.
    fn submit(&self, batch: ImportBatch) -> impl Future<Output = Result<Waiter, ImportError>> + Send;
    /// Waits until the node's reads see block `height` (durable and applied
    /// to its SQL view), which a waiter may have seen in the ledger first.
    fn settled(&self, height: u64) -> impl Future<Output = Result<(), ImportError>> + Send;
    /// The names of the chain table `table`'s columns, in order (none when
    /// the chain has no such table).
    fn columns(&self, table: &str) -> impl Future<Output = Result<Vec<String>, ImportError>> + Send;
}

/// What a refusal names of its batch.
struct Label {
    position: String,
    statements: Vec<String>,
}

impl Label {
    fn of(batch: &ImportBatch) -> Label {
        let statements = batch.statements.iter().map(|s| s.sql.chars().take(200).collect()).collect();
        Label { position: batch.position.text.clone(), statements }
    }

    /// A receipt's failure as the importer's error: 55000 means the chain
    /// is not where this batch expected it (another importer, or this one
    /// before a restart, got there first; or a batch before it failed).
    fn refused(&self, index: u32, sqlstate: &str, message: &str) -> ImportError {
        if sqlstate == "55000" {
            return ImportError::Stale(message.to_string());
        }
        ImportError::Refused {
            position: self.position.clone(),
            sqlstate: sqlstate.to_string(),
            message: message.to_string(),
            statement: self.statements.get(index as usize).cloned().unwrap_or_default(),
        }
    }

    /// A refusal at admission (the tx too large, a plan that fails).
    fn not_admitted(&self, sqlstate: &str, message: String) -> ImportError {
        ImportError::Refused {
            position: self.position.clone(),
            sqlstate: sqlstate.into(),
            message,
            statement: String::new(),
        }
    }
}

/// A node in this process; batches are signed with the role's key.
pub struct NodeLink {
    pub node: Arc<Node>,
    pub key: SecretKey,
}

impl ChainLink for NodeLink {
    async fn record(&self, source: &str) -> Result<Option<ImportMeta>, ImportError> {
        let all = self
            .node
            .reader()
            .system(node_exec::tables::load_imports)
            .map_err(|e| ImportError::Chain(format!("reading rowchain.imports: {}", e.message)))?;
        Ok(all.into_iter().find(|m| m.source == source))
    }

    async fn submit(&self, batch: ImportBatch) -> Result<Waiter, ImportError> {
        let label = Label::of(&batch);
        let lifetime_ms = self.node.config().limits.tx_lifetime_default_ms;
        let body = TxBody {
            chain_id: self.node.genesis().chain_id.clone(),
            account: self.key.public(),
            id: node_core::crypto::random_bytes(),
            expires_at_ms: crate::now_ms() + lifetime_ms,
            dialect: Dialect::Postgres,
            payload: Payload::Import(batch),
        };
        let tx = body.sign(&self.key);
        let size = tx.to_bytes().len();
        let rx = match self.node.submit(tx, size, true) {
            Ok(Some(rx)) => rx,
            Ok(None) => return Err(ImportError::Chain("the node gave no receipt waiter".into())),
            Err(e @ SubmitError::Pool(_)) => return Err(ImportError::Chain(e.to_string())),
            Err(e) => return Err(label.not_admitted(e.sqlstate(), e.to_string())),
        };
        let wait = std::time::Duration::from_millis(lifetime_ms + 1_000 + self.node.config().chain.max_block_time_ms);
        // The node acknowledges a tx once its block is durable and applied.
        Ok(tokio::spawn(async move {
            match tokio::time::timeout(wait, rx).await {
                Ok(Ok(Outcome::Committed { height, receipt, .. })) => match &receipt.failure {
                    None => Ok(height),
                    Some(f) => Err(label.refused(f.statement_index, &f.sqlstate, &f.message)),
                },
                Ok(Ok(Outcome::Rejected(why))) => Err(ImportError::Chain(format!("the batch was not included: {why}"))),
                Ok(Err(_)) => Err(ImportError::Chain("the node stopped".into())),
                Err(_) => Err(ImportError::Chain("the batch expired before a block included it".into())),
            }
        }))
    }

    async fn settled(&self, _height: u64) -> Result<(), ImportError> {
        Ok(())
    }

    async fn columns(&self, table: &str) -> Result<Vec<String>, ImportError> {
        let tables = self
            .node
            .reader()
            .system(node_exec::tables::load_tables)
            .map_err(|e| ImportError::Chain(format!("reading the chain's tables: {}", e.message)))?;
        let table = tables.into_iter().find(|t| t.name == table);
        Ok(table.map(|t| t.columns.into_iter().map(|c| c.name).collect()).unwrap_or_default())
    }
}

/// A running node's JSON-RPC (`--url`): the node signs with the role's key
/// once the role's password opens it.
pub struct RpcLink {
    pub url: String,
    pub role: String,
    pub password: String,
}

impl RpcLink {
    async fn call(&self, method: &str, params: Json) -> Result<Json, ImportError> {
        rpc_call(self.url.clone(), method, params).await
    }
}

/// One JSON-RPC call; refusals (SQL, admission, login, a request too large
/// or malformed) are `Refused`, anything else may pass (`Chain`).
async fn rpc_call(url: String, method: &str, params: Json) -> Result<Json, ImportError> {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let target = url.clone();
    let reply = tokio::task::spawn_blocking(move || -> Result<Json, String> {
        let agent = ureq::post(&target).config().http_status_as_error(false).build();
        let mut response = agent.send_json(&body).map_err(|e| e.to_string())?;
        response.body_mut().read_json::<Json>().map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| ImportError::Chain(e.to_string()))?
    .map_err(|e| ImportError::Chain(format!("{url}: {e}")))?;
    match (reply.get("result"), reply.get("error")) {
        (Some(r), _) => Ok(r.clone()),
        (None, Some(e)) => {
            let message = e.get("message").and_then(Json::as_str).unwrap_or("error").to_string();
            let code = e.get("code").and_then(Json::as_i64).unwrap_or(0);
            match code {
                -32000 | -32001 | -32004 | -32600 | -32602 => Err(ImportError::Refused {
                    position: String::new(),
                    sqlstate: e.pointer("/data/sqlstate").and_then(Json::as_str).unwrap_or("").to_string(),
                    message,
                    statement: String::new(),
                }),
                // Not in a block yet (get_tx).
                -32010 => Err(ImportError::Stale(message)),
                _ => Err(ImportError::Chain(message)),
            }
        }
        _ => Err(ImportError::Chain("a reply with neither result nor error".into())),
    }
}

impl ChainLink for RpcLink {
    async fn record(&self, source: &str) -> Result<Option<ImportMeta>, ImportError> {
        let reply = self
            .call(
                "sql",
                json!({"role": self.role, "password": self.password, "params": [source],
                       "sql": "SELECT source, account, position, position_order, batches, height FROM rowchain.imports WHERE source = $1"}),
            )
            .await?;
        let Some(row) = reply.get("rows").and_then(Json::as_array).and_then(|rows| rows.first()) else {
            return Ok(None);
        };
        let cell = |i: usize| row.get(i).cloned().unwrap_or(Json::Null);
        let text = |i: usize| match cell(i) {
            Json::String(s) => s,
            other => other.to_string(),
        };
        let order = text(3).split(',').map(str::parse).collect::<Result<Vec<u64>, _>>();
        let order = order.map_err(|_| ImportError::Chain(format!("rowchain.imports: position order {:?}", text(3))))?;
        Ok(Some(ImportMeta {
            source: text(0),
            account: text(1),
            position: SourcePosition { order, text: text(2) },
            batches: text(4).parse().unwrap_or(0),
            height: text(5).parse().unwrap_or(0),
        }))
    }

    async fn submit(&self, batch: ImportBatch) -> Result<Waiter, ImportError> {
        let label = Label::of(&batch);
        let statements: Vec<Json> = batch
            .statements
            .iter()
            .map(|s| json!({"sql": s.sql, "params": s.params.iter().map(value_json).collect::<Vec<_>>()}))
            .collect();
        let params = json!({
            "role": self.role, "password": self.password, "source": batch.source,
            "position": {"order": batch.position.order, "text": batch.position.text},
            "follows": batch.follows, "statements": statements, "wait": false,
        });
        let admitted = self.call("import_apply", params).await.map_err(|e| match e {
            ImportError::Refused { sqlstate, message, .. } => label.not_admitted(&sqlstate, message),
            other => other,
        })?;
        let hash = admitted.get("tx_hash").and_then(Json::as_str).unwrap_or("").to_string();
        let expires_at_ms = admitted.get("expires_at_ms").and_then(Json::as_u64).unwrap_or(0);
        let url = self.url.clone();
        Ok(tokio::spawn(async move {
            // The receipt, once a block holds the tx; given up after its expiry.
            loop {
                match rpc_call(url.clone(), "get_tx", json!({"hash": hash})).await {
                    Ok(tx) => {
                        let height = tx.get("height").and_then(Json::as_u64).unwrap_or(0);
                        return match tx.pointer("/receipt/error") {
                            None => Ok(height),
                            Some(error) => {
                                let field = |k: &str| error.get(k).and_then(Json::as_str).unwrap_or("").to_string();
                                let index = error.get("statement_index").and_then(Json::as_u64).unwrap_or(0) as u32;
                                Err(label.refused(index, &field("sqlstate"), &field("message")))
                            }
                        };
                    }
                    Err(ImportError::Stale(_)) if crate::now_ms() < expires_at_ms + 2_000 => {
                        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                    }
                    Err(ImportError::Stale(_)) => {
                        return Err(ImportError::Chain("the batch expired before a block included it".into()))
                    }
                    Err(e) => return Err(e),
                }
            }
        }))
    }

    async fn settled(&self, height: u64) -> Result<(), ImportError> {
        // get_tx reads the ledger, which holds a block before the node has
        // made it durable and applied it; `status` is the node's applied height.
        let deadline = crate::now_ms() + 60_000;
        loop {
            let status = self.call("status", json!({})).await?;
            if status.get("height").and_then(Json::as_u64).unwrap_or(0) >= height {
                return Ok(());
            }
            if crate::now_ms() > deadline {
                return Err(ImportError::Chain(format!("the node has not applied block {height} within a minute")));
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }

    async fn columns(&self, table: &str) -> Result<Vec<String>, ImportError> {
        let reply = self
            .call(
                "sql",
                json!({"role": self.role, "password": self.password, "params": [table],
                       "sql": "SELECT column_name FROM information_schema.columns \
                               WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position"}),
            )
            .await?;
        let rows = reply.get("rows").and_then(Json::as_array).cloned().unwrap_or_default();
        Ok(rows.iter().filter_map(|row| row.get(0).and_then(Json::as_str).map(str::to_string)).collect())
    }
}

/// A parameter as JSON-RPC carries it: bytes as `{"hex": ..}`, a float as
/// `{"real": ..}` with Rust's shortest round-trip text (a JSON number would
/// go through serde_json's float parsing, which may be off by one ulp).
pub fn value_json(v: &node_core::value::Value) -> Json {
    use node_core::value::Value;
    match v {
        Value::Null => Json::Null,
        Value::Integer(i) => json!(i),
        Value::Real(f) => json!({"real": f.to_string()}),
        Value::Text(s) => json!(s),
        Value::Blob(b) => json!({"hex": hex::encode(b)}),
    }
}

/// The reverse of [`value_json`].
pub fn value_from_json(v: &Json) -> Option<node_core::value::Value> {
    use node_core::value::Value;
    match v {
        Json::Object(o) => match (o.get("hex"), o.get("real")) {
            (Some(h), None) => Some(Value::Blob(hex::decode(h.as_str()?).ok()?)),
            (None, Some(r)) => Some(Value::Real(r.as_str()?.parse().ok()?)),
            _ => None,
        },
        other => Value::from_json(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use node_core::value::Value;

    #[test]
    fn parameters_cross_json_exactly() {
        for v in [
            Value::Null,
            Value::Integer(i64::MIN),
            Value::Real(1.144_821_825_546_369_7e18),
            Value::Real(0.1),
            Value::Real(f64::INFINITY),
            Value::Text("ä\u{0}".into()),
            Value::Blob(vec![0, 255]),
        ] {
            let json = serde_json::to_string(&value_json(&v)).unwrap();
            let back = value_from_json(&serde_json::from_str(&json).unwrap()).unwrap();
            assert_eq!(back, v, "{json}");
        }
        assert_eq!(value_from_json(&json!({"hex": "00", "real": "1"})), None);
    }
}
