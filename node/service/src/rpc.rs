//! JSON-RPC 2.0 over HTTP (POST /): submit signed txs, run SQL as a role,
//! look up txs, blocks, proofs and status.
//!
//! Methods: `submit_tx {tx: hex, wait?: bool}`, `sql {sql, role, password,
//! params?: []}`, `get_tx {hash}`, `get_block {height | hash}`, `status {}`,
//! `state_proof {key: hex}`. Errors carry a JSON-RPC code and, for SQL errors,
//! `data.sqlstate`. Bodies and batches are size-limited.

use crate::{now_ms, Node, Outcome, SubmitError};
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::routing::{get, post};
use axum::Router;
use futures::FutureExt;
use node_core::block::{Receipt, RowSet};
use node_core::crypto::Hash;
use node_core::state_tree;
use node_core::tx::{Payload, SignedTx, Statement, TxBody};
use node_core::value::Value;
use node_core::SqlError;
use serde_json::{json, Map, Value as Json};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

pub struct RpcError {
    code: i64,
    message: String,
    sqlstate: Option<String>,
}

impl RpcError {
    fn new(code: i64, message: impl Into<String>) -> Self {
        RpcError { code, message: message.into(), sqlstate: None }
    }
    fn params(message: impl Into<String>) -> Self {
        Self::new(-32602, message)
    }
    fn sql(e: SqlError) -> Self {
        RpcError { code: -32000, message: e.message, sqlstate: Some(e.sqlstate.into()) }
    }
    fn internal(e: impl std::fmt::Display) -> Self {
        RpcError { code: -32603, message: e.to_string(), sqlstate: Some("XX000".into()) }
    }
}

impl From<SubmitError> for RpcError {
    fn from(e: SubmitError) -> Self {
        let state = match &e {
            SubmitError::TooLarge { .. } => "54000",
            SubmitError::Pool(_) => "53000",
            SubmitError::Store(_) => "XX000",
            SubmitError::Unplannable(u) => u.sqlstate,
            _ => "08P01",
        };
        RpcError { code: -32001, message: e.to_string(), sqlstate: Some(state.into()) }
    }
}

struct Ctx {
    node: Arc<Node>,
    inflight: tokio::sync::Semaphore,
}

/// Serves the node's JSON-RPC on `listener` until `shutdown` resolves.
pub async fn serve(
    node: Arc<Node>,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = node.config().limits.clone();
    // A config made in code skips `Config::parse`'s bound; a semaphore counts
    // only so far.
    let inflight = tokio::sync::Semaphore::new(limits.rpc_connections_max.min(tokio::sync::Semaphore::MAX_PERMITS));
    let ctx = Arc::new(Ctx { node, inflight });
    let app = Router::new()
        .route("/", post(handle))
        .route("/health", get(|| async { "ok" }))
        .layer(DefaultBodyLimit::max(limits.rpc_body_bytes_max))
        .with_state(ctx);
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}

async fn handle(
    State(ctx): State<Arc<Ctx>>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let body = match body {
        Ok(b) => b,
        Err(e) => {
            let max = ctx.node.config().limits.rpc_body_bytes_max;
            let reply =
                error_reply(Json::Null, RpcError::new(-32600, format!("request rejected: {e} (limit {max} bytes)")));
            return (e.status(), [(axum::http::header::CONTENT_TYPE, "application/json")], reply.to_string())
                .into_response();
        }
    };
    let reply = match serde_json::from_slice::<Json>(&body) {
        Err(e) => error_reply(Json::Null, RpcError::new(-32700, format!("parse error: {e}"))),
        Ok(Json::Array(calls)) => {
            if calls.is_empty() || calls.len() > ctx.node.config().limits.rpc_batch_max {
                error_reply(
                    Json::Null,
                    RpcError::new(
                        -32600,
                        format!("a batch holds 1 to {} calls", ctx.node.config().limits.rpc_batch_max),
                    ),
                )
            } else {
                let mut out = Vec::with_capacity(calls.len());
                for c in calls {
                    out.push(one_call(&ctx, c).await);
                }
                Json::Array(out)
            }
        }
        Ok(call) => one_call(&ctx, call).await,
    };
    ([(axum::http::header::CONTENT_TYPE, "application/json")], reply.to_string()).into_response()
}

fn error_reply(id: Json, e: RpcError) -> Json {
    let data = e.sqlstate.map(|s| json!({"sqlstate": s}));
    let mut err = Map::from_iter([("code".into(), json!(e.code)), ("message".into(), json!(e.message))]);
    err.extend(data.map(|d| ("data".into(), d)));
    json!({"jsonrpc": "2.0", "id": id, "error": err})
}

async fn one_call(ctx: &Arc<Ctx>, call: Json) -> Json {
    let id = call.get("id").cloned().unwrap_or(Json::Null);
    let Some(method) = call.get("method").and_then(Json::as_str) else {
        return error_reply(id, RpcError::new(-32600, "invalid request: no method"));
    };
    let Ok(_permit) = ctx.inflight.try_acquire() else {
        return error_reply(id, RpcError::new(-32005, "too many requests in flight (limits.rpc_connections_max)"));
    };
    let params = call.get("params").cloned().unwrap_or(json!({}));
    // A bug that panics while serving one call fails that call, not the
    // connection: the client still gets an answer (the panic is logged).
    let result = match AssertUnwindSafe(dispatch(&ctx.node, method, &params)).catch_unwind().await {
        Ok(result) => result,
        Err(panic) => {
            let text = node_core::fault::panic_text(panic.as_ref());
            tracing::error!(method, panic = text, "a bug panicked while serving a JSON-RPC call: that call fails");
            Err(RpcError::internal("internal error: the call failed on a bug (see the node's log)"))
        }
    };
    match result {
        Ok(r) => json!({"jsonrpc": "2.0", "id": id, "result": r}),
        Err(e) => error_reply(id, e),
    }
}

async fn dispatch(node: &Arc<Node>, method: &str, params: &Json) -> Result<Json, RpcError> {
    match method {
        "status" => Ok(status(node)),
        "sql" => sql(node, params).await,
        "submit_tx" => submit_tx(node, params).await,
        "get_tx" => get_tx(node, params).await,
        "get_block" => get_block(node, params),
        "state_proof" => state_proof(node, params),
        other => Err(RpcError::new(-32601, format!("method not found: {other}"))),
    }
}

fn hex32(v: Option<&Json>, what: &str) -> Result<Hash, RpcError> {
    v.and_then(Json::as_str)
        .and_then(|s| hex::decode(s.trim_start_matches("0x")).ok())
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| RpcError::params(format!("{what} must be 32 bytes of hex")))
}

fn status(node: &Node) -> Json {
    let s = node.status();
    json!({
        "chain_id": node.genesis().chain_id,
        "height": s.height,
        "last_block_hash": hex::encode(s.block_hash),
        "state_root": hex::encode(s.state_root),
        "last_block_time": node_exec::executor::format_timestamp(s.timestamp_ms),
        "pool_size": node.pool_len(),
        "validators": node.genesis().validators,
        "role": node.role(),
        "peers": node.peers(),
        "producing": node.producer_alive(),
        "timings": node.timings().per_tx(),
    })
}

fn rows_json(rs: &RowSet) -> Map<String, Json> {
    let rows: Vec<Vec<Json>> = rs.rows.iter().map(|r| r.iter().map(Value::to_json).collect()).collect();
    Map::from_iter([("columns".into(), json!(rs.columns)), ("rows".into(), json!(rows))])
}

pub fn receipt_json(height: u64, index: u32, r: &Receipt) -> Json {
    receipt_fields(height, index, r, true).into()
}

/// A receipt as JSON; without `returning`, the RETURNING rows are left out.
fn receipt_fields(height: u64, index: u32, r: &Receipt, returning: bool) -> Map<String, Json> {
    let results: Vec<Json> = r
        .results
        .iter()
        .map(|s| {
            let mut o = Map::from_iter([("rows_affected".into(), json!(s.rows_affected))]);
            if let Some(rs) = s.returning.as_ref().filter(|_| returning) {
                o.insert("returning".into(), rows_json(rs).into());
            }
            Json::Object(o)
        })
        .collect();
    let mut o = Map::from_iter([
        ("kind".into(), json!("receipt")),
        ("tx_hash".into(), json!(hex::encode(r.tx_hash))),
        ("height".into(), json!(height)),
        ("index".into(), json!(index)),
        ("status".into(), json!(if r.is_success() { "committed" } else { "failed" })),
        ("rows_affected".into(), json!(r.rows_affected())),
        ("results".into(), json!(results)),
    ]);
    if let Some(f) = &r.failure {
        o.insert(
            "error".into(),
            json!({"sqlstate": f.sqlstate, "message": f.message, "statement_index": f.statement_index}),
        );
    }
    o
}

async fn await_outcome(
    node: &Node,
    hash: Hash,
    expires_at_ms: u64,
    rx: tokio::sync::oneshot::Receiver<Outcome>,
) -> Result<Json, RpcError> {
    // The tx can never be applied after its expiry, so waiting until then
    // (plus a block's worth) makes "timed out" a definite answer.
    let wait = expires_at_ms.saturating_sub(now_ms()) + 1_000 + node.config().chain.max_block_time_ms;
    match tokio::time::timeout(Duration::from_millis(wait), rx).await {
        Ok(Ok(Outcome::Committed { height, index, receipt })) => Ok(receipt_json(height, index, &receipt)),
        Ok(Ok(Outcome::Rejected(why))) => Err(RpcError { code: -32002, message: why, sqlstate: Some("08P01".into()) }),
        Ok(Err(_)) => Err(RpcError::internal("the node dropped the transaction")),
        Err(_) => {
            node.forget(&hash);
            Err(RpcError {
                code: -32003,
                message: "timed out: the transaction expired without being committed and will never be applied".into(),
                sqlstate: Some("57014".into()),
            })
        }
    }
}

async fn submit_tx(node: &Arc<Node>, p: &Json) -> Result<Json, RpcError> {
    let hex_tx = p.get("tx").and_then(Json::as_str).ok_or_else(|| RpcError::params("tx (hex) is required"))?;
    let bytes = hex::decode(hex_tx).map_err(|_| RpcError::params("tx is not hex"))?;
    let tx = SignedTx::from_bytes(&bytes).map_err(|e| RpcError::params(format!("tx does not decode: {e}")))?;
    let hash = tx.hash();
    let expires = tx.body.expires_at_ms;
    let wait = p.get("wait").and_then(Json::as_bool).unwrap_or(false);
    let rx = node.submit(tx, bytes.len(), wait)?;
    match rx {
        Some(rx) => await_outcome(node, hash, expires, rx).await,
        None => Ok(json!({"tx_hash": hex::encode(hash), "status": "pending"})),
    }
}

fn sql_params(p: &Json) -> Result<Vec<Value>, RpcError> {
    match p.get("params") {
        None | Some(Json::Null) => Ok(Vec::new()),
        Some(Json::Array(a)) => a
            .iter()
            .map(|v| {
                Value::from_json(v).ok_or_else(|| RpcError::params("params must be numbers, strings, booleans or null"))
            })
            .collect(),
        Some(_) => Err(RpcError::params("params must be an array")),
    }
}

async fn sql(node: &Arc<Node>, p: &Json) -> Result<Json, RpcError> {
    let text = p.get("sql").and_then(Json::as_str).ok_or_else(|| RpcError::params("sql is required"))?.to_owned();
    let role = p.get("role").and_then(Json::as_str).unwrap_or("admin").to_owned();
    let password = p.get("password").and_then(Json::as_str).unwrap_or("").to_owned();
    let params = sql_params(p)?;
    if text.len() > node.config().limits.statement_bytes_max {
        return Err(RpcError::sql(SqlError::new("54000", "statement too large (limits.statement_bytes_max)")));
    }
    let mut plans = sqlmap::plan(&text).map_err(|e| RpcError::sql(e.into()))?;
    let key = unlock(node, role.clone(), password).await?;
    if plans.is_empty() {
        return Ok(json!({"kind": "empty"}));
    }
    let writes_only = plans.iter().all(|p| matches!(p, sqlmap::Plan::Write(_) | sqlmap::Plan::Ddl(_)));
    if writes_only {
        return write(node, &key, text, params).await;
    }
    match (plans.pop(), plans.is_empty()) {
        (Some(sqlmap::Plan::Read(rp)), true) => read(node, &key, role, rp, text, params).await,
        _ => Err(RpcError::sql(SqlError::new(
            "0A000",
            "one call runs either one query or a list of writes; transaction control and SET belong to a session (the PostgreSQL wire)",
        ))),
    }
}

/// One query, checked and filtered for the role as the PostgreSQL front end does.
async fn read(
    node: &Arc<Node>,
    key: &node_core::crypto::SecretKey,
    role: String,
    rp: sqlmap::ReadPlan,
    text: String,
    params: Vec<Value>,
) -> Result<Json, RpcError> {
    let n = node.clone();
    let account = key.public();
    let rs = tokio::task::spawn_blocking(move || {
        let tables = n.tables()?;
        let (address, admin) = (account.address(), n.is_admin(&account));
        let who = node_core::acl::Who { address: &address, name: &role, admin };
        let rp = node_core::acl::secure_read(&tables, who, &rp, &text)?.unwrap_or(rp);
        n.reader().query(&rp, &params)
    })
    .await
    .map_err(RpcError::internal)?
    .map_err(RpcError::sql)?;
    let mut o = rows_json(&rs);
    o.insert("kind".into(), json!("rows"));
    Ok(o.into())
}

/// Writes as one tx signed by the role, waiting for its receipt.
async fn write(
    node: &Arc<Node>,
    key: &node_core::crypto::SecretKey,
    text: String,
    params: Vec<Value>,
) -> Result<Json, RpcError> {
    let body = TxBody {
        chain_id: node.genesis().chain_id.clone(),
        account: key.public(),
        id: node_core::crypto::random_bytes(),
        expires_at_ms: now_ms() + node.config().limits.tx_lifetime_default_ms,
        payload: Payload::Sql(vec![Statement { sql: text, params }]),
    };
    let expires = body.expires_at_ms;
    let tx = body.sign(key);
    let hash = tx.hash();
    let size = tx.to_bytes().len();
    let rx = node.submit(tx, size, true)?.ok_or_else(|| RpcError::internal("a waiting submit returned no receiver"))?;
    await_outcome(node, hash, expires, rx).await
}

/// The role's key opened with its password: from the keystore's cache, or
/// derived off the async runtime (it is slow on purpose).
async fn unlock(node: &Arc<Node>, role: String, password: String) -> Result<node_core::crypto::SecretKey, RpcError> {
    if let Some(k) = node.keystore().unlock_cached(&role, &password) {
        return Ok(k);
    }
    let n = node.clone();
    tokio::task::spawn_blocking(move || n.keystore().unlock(&role, &password))
        .await
        .map_err(RpcError::internal)?
        .map_err(|e| RpcError { code: -32004, message: e.to_string(), sqlstate: Some(e.sqlstate().into()) })
}

/// The key of the role `p` names with its password, if it names one.
async fn caller_key(node: &Arc<Node>, p: &Json) -> Result<Option<node_core::crypto::SecretKey>, RpcError> {
    let Some(role) = p.get("role").and_then(Json::as_str).map(str::to_owned) else { return Ok(None) };
    let password = p.get("password").and_then(Json::as_str).unwrap_or("").to_owned();
    unlock(node, role, password).await.map(Some)
}

/// A tx, its block and receipt. Its statements (and the signed bytes that
/// carry them) hold the values it wrote, so they are shown only to the
/// tx's signer and to admins, who pass `role` and `password`.
async fn get_tx(node: &Arc<Node>, p: &Json) -> Result<Json, RpcError> {
    let caller = caller_key(node, p).await?.map(|k| k.public());
    let hash = hex32(p.get("hash"), "hash")?;
    let Some(loc) = node.ledger().tx_location(&hash).map_err(RpcError::internal)? else {
        return Err(RpcError::new(-32010, "transaction not found"));
    };
    let block = node
        .ledger()
        .block(loc.height)
        .map_err(RpcError::internal)?
        .ok_or_else(|| RpcError::internal("block missing"))?;
    let receipts = node.ledger().receipts(loc.height).map_err(RpcError::internal)?.unwrap_or_default();
    let tx = block.txs.get(loc.index as usize).ok_or_else(|| {
        RpcError::internal(format!(
            "the ledger places the tx at index {} of block {}, which is not there",
            loc.index, loc.height
        ))
    })?;
    let shown = caller.is_some_and(|k| k.0 == tx.body.account.0 || node.is_admin(&k));
    let mut o = Map::from_iter([
        ("tx_hash".into(), json!(hex::encode(hash))),
        ("height".into(), json!(loc.height)),
        ("index".into(), json!(loc.index)),
        ("account".into(), json!(tx.body.account.address())),
        ("public_key".into(), json!(tx.body.account.to_hex())),
        ("expires_at_ms".into(), json!(tx.body.expires_at_ms)),
    ]);
    if shown {
        o.insert("statement".into(), json!(tx.body.statement_text()));
        o.insert("tx".into(), json!(hex::encode(tx.to_bytes())));
    } else {
        o.insert("statement".into(), Json::Null);
        o.insert("tx".into(), Json::Null);
        o.insert(
            "redacted".into(),
            json!("the statement is shown to the tx's signer and to admins: pass their role and password"),
        );
    }
    if let Some(r) = receipts.get(loc.index as usize) {
        // RETURNING rows are the written values too.
        o.insert("receipt".into(), receipt_fields(loc.height, loc.index, r, shown).into());
    }
    Ok(o.into())
}

fn get_block(node: &Node, p: &Json) -> Result<Json, RpcError> {
    let height = match (p.get("height"), p.get("hash")) {
        (Some(h), _) => h.as_u64().ok_or_else(|| RpcError::params("height must be a number"))?,
        (None, Some(_)) => {
            let hash = hex32(p.get("hash"), "hash")?;
            node.ledger()
                .height_of_block(&hash)
                .map_err(RpcError::internal)?
                .ok_or_else(|| RpcError::new(-32010, "block not found"))?
        }
        _ => return Err(RpcError::params("height or hash is required")),
    };
    let b = node
        .ledger()
        .block(height)
        .map_err(RpcError::internal)?
        .ok_or_else(|| RpcError::new(-32010, "block not found"))?;
    let h = &b.header;
    Ok(json!({
        "height": h.height,
        "hash": hex::encode(b.hash()),
        "prev_hash": hex::encode(h.prev_hash),
        "time": node_exec::executor::format_timestamp(h.timestamp_ms),
        "timestamp_ms": h.timestamp_ms,
        "proposer": h.proposer.to_hex(),
        "tx_root": hex::encode(h.tx_root),
        "receipts_root": hex::encode(h.receipts_root),
        "state_root": hex::encode(h.state_root),
        "txs": b.txs.iter().map(|t| hex::encode(t.hash())).collect::<Vec<_>>(),
        "signers": b.certificate.signatures.iter().map(|(k, _)| k.to_hex()).collect::<Vec<_>>(),
    }))
}

fn state_proof(node: &Node, p: &Json) -> Result<Json, RpcError> {
    let key = hex32(p.get("key"), "key")?;
    let s = node.status();
    let proof = state_tree::prove(node.ledger(), &s.state_root, &key).map_err(RpcError::internal)?;
    let slot = |h: &Option<Hash>| h.map(|h| Json::String(hex::encode(h))).unwrap_or(Json::Null);
    Ok(json!({
        "height": s.height,
        "state_root": hex::encode(s.state_root),
        "path": proof.path.iter().map(|lvl| lvl.iter().map(slot).collect::<Vec<_>>()).collect::<Vec<_>>(),
        "end": proof.end.map(|(k, v)| json!({"key": hex::encode(k), "value": hex::encode(v)})),
        "value": state_tree::verify_proof(&s.state_root, &key, &proof).ok().flatten().map(hex::encode),
    }))
}
