//! `proxy-rpc`: JSON-RPC 2.0 over HTTP (POST /). **Rule: JSON-RPC wire
//! only.** It submits signed txs and looks up txs, blocks, proofs and status
//! on the node; SQL goes through the front-end core's Session API
//! (`proxy_frontend`), exactly as the PostgreSQL wire's does, so both plan
//! with the tables' types and print values alike.
//!
//! Methods: `submit_tx {tx: hex, wait?: bool}`, `sql {sql, role, password,
//! params?: []}`, `get_tx {hash}`, `get_block {height | hash}`, `status {}`,
//! `state_proof {key: hex}`. Errors carry a JSON-RPC code and, for SQL errors,
//! `data.sqlstate`. Bodies and batches are size-limited.
//!
//! `sql` answers a read with `{kind: "rows", columns, rows}`: each value is
//! PostgreSQL's text form of it (what psql prints), as a JSON number in an
//! integer or float column whose text is a JSON number, as a JSON boolean
//! in a boolean column, else as a string; NULL is null. Writes answer with
//! their receipt (`kind: "receipt"`), which records a failure as data.

// Client bytes must never panic the node.
#![deny(clippy::string_slice, clippy::indexing_slicing)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::routing::{get, post};
use axum::Router;
use futures::FutureExt;
use node::{Node, SubmitError};
use node_core::block::{Receipt, RowSet};
use node_core::crypto::{Hash, SecretKey};
use node_core::state_tree;
use node_core::tx::{SignedTx, Statement};
use node_core::value::Value;
use proxy_frontend::types::{self, ColumnType};
use proxy_frontend::{CancelFlag, Column, ErrorKind, Frontend, FrontendError, Reply};
use serde_json::{json, Map, Value as Json};
use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

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
    fn internal(e: impl std::fmt::Display) -> Self {
        RpcError { code: -32603, message: e.to_string(), sqlstate: Some("XX000".into()) }
    }
}

impl From<FrontendError> for RpcError {
    fn from(e: FrontendError) -> Self {
        let code = match e.kind {
            ErrorKind::Sql => -32000,
            ErrorKind::Admission => -32001,
            ErrorKind::NotIncluded => -32002,
            ErrorKind::Expired => -32003,
            ErrorKind::Login => -32004,
            _ => -32603,
        };
        RpcError { code, message: e.message, sqlstate: Some(e.sqlstate) }
    }
}

impl From<SubmitError> for RpcError {
    fn from(e: SubmitError) -> Self {
        FrontendError::from(e).into()
    }
}

struct Ctx {
    frontend: Arc<Frontend>,
    inflight: tokio::sync::Semaphore,
}

/// Serves the JSON-RPC of `frontend`'s node on `listener` until `shutdown` resolves.
pub async fn serve(
    frontend: Arc<Frontend>,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = frontend.node().config().limits.clone();
    // A config made in code skips `Config::parse`'s bound; a semaphore counts
    // only so far.
    let inflight = tokio::sync::Semaphore::new(limits.rpc_connections_max.min(tokio::sync::Semaphore::MAX_PERMITS));
    let ctx = Arc::new(Ctx { frontend, inflight });
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
            let max = ctx.frontend.node().config().limits.rpc_body_bytes_max;
            let reply =
                error_reply(Json::Null, RpcError::new(-32600, format!("request rejected: {e} (limit {max} bytes)")));
            return (e.status(), [(axum::http::header::CONTENT_TYPE, "application/json")], reply.to_string())
                .into_response();
        }
    };
    let reply = match serde_json::from_slice::<Json>(&body) {
        Err(e) => error_reply(Json::Null, RpcError::new(-32700, format!("parse error: {e}"))),
        Ok(Json::Array(calls)) => {
            let batch_max = ctx.frontend.node().config().limits.rpc_batch_max;
            if calls.is_empty() || calls.len() > batch_max {
                error_reply(Json::Null, RpcError::new(-32600, format!("a batch holds 1 to {batch_max} calls")))
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
    let result = match AssertUnwindSafe(dispatch(&ctx.frontend, method, &params)).catch_unwind().await {
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

async fn dispatch(frontend: &Frontend, method: &str, params: &Json) -> Result<Json, RpcError> {
    let node = frontend.node();
    match method {
        "status" => Ok(status(node)),
        "sql" => sql(frontend, params).await,
        "submit_tx" => submit_tx(frontend, params).await,
        "import_apply" => import_apply(frontend, params).await,
        "get_tx" => get_tx(frontend, params).await,
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
        "suite": node.suite().name(),
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

async fn submit_tx(frontend: &Frontend, p: &Json) -> Result<Json, RpcError> {
    let hex_tx = p.get("tx").and_then(Json::as_str).ok_or_else(|| RpcError::params("tx (hex) is required"))?;
    let bytes = hex::decode(hex_tx).map_err(|_| RpcError::params("tx is not hex"))?;
    let tx = SignedTx::from_bytes(&bytes).map_err(|e| RpcError::params(format!("tx does not decode: {e}")))?;
    if p.get("wait").and_then(Json::as_bool).unwrap_or(false) {
        let c = frontend.submit_and_wait(tx).await?;
        return Ok(receipt_json(c.height, c.index, &c.receipt));
    }
    let hash = tx.hash();
    frontend.node().submit(tx, bytes.len(), false)?;
    Ok(json!({"tx_hash": hex::encode(hash), "status": "pending"}))
}

/// One batch of `rowchain import --url`: a source transaction and the
/// source's position after it, signed by `role` as one tx; answers its
/// receipt (a failure, such as 55000 for a position already applied, is in
/// it), or with `wait: false` its hash once the pool has admitted it.
async fn import_apply(frontend: &Frontend, p: &Json) -> Result<Json, RpcError> {
    let text = |k: &str| p.get(k).and_then(Json::as_str).ok_or_else(|| RpcError::params(format!("{k} is required")));
    let (source, role) = (text("source")?.to_owned(), text("role")?.to_owned());
    let password = p.get("password").and_then(Json::as_str).unwrap_or("");
    let position = p.get("position").ok_or_else(|| RpcError::params("position is required"))?;
    let order = position
        .get("order")
        .and_then(Json::as_array)
        .and_then(|o| o.iter().map(Json::as_u64).collect::<Option<Vec<u64>>>())
        .ok_or_else(|| RpcError::params("position.order must be an array of unsigned integers"))?;
    let position_text = position.get("text").and_then(Json::as_str).unwrap_or("").to_owned();
    let follows = match p.get("follows") {
        None | Some(Json::Null) => None,
        Some(f) => Some(
            f.as_array()
                .and_then(|o| o.iter().map(Json::as_u64).collect::<Option<Vec<u64>>>())
                .ok_or_else(|| RpcError::params("follows must be an array of unsigned integers"))?,
        ),
    };
    let statements = p
        .get("statements")
        .and_then(Json::as_array)
        .ok_or_else(|| RpcError::params("statements must be an array"))?
        .iter()
        .map(|s| {
            let sql = s.get("sql").and_then(Json::as_str).ok_or_else(|| RpcError::params("a statement needs sql"))?;
            let params = s.get("params").and_then(Json::as_array).map(Vec::as_slice).unwrap_or_default();
            let params = params
                .iter()
                .map(|v| node::import::value_from_json(v).ok_or_else(|| RpcError::params("a parameter is not a value")))
                .collect::<Result<_, _>>()?;
            Ok(Statement { sql: sql.to_owned(), params })
        })
        .collect::<Result<Vec<_>, RpcError>>()?;
    let key = frontend.open_with_password(&role, password).await?;
    let node = frontend.node();
    let body = node_core::tx::TxBody {
        chain_id: node.genesis().chain_id.clone(),
        account: key.public(),
        id: node_core::crypto::random_bytes(),
        expires_at_ms: node::now_ms() + node.config().limits.tx_lifetime_default_ms,
        dialect: sqlmap::Dialect::Postgres,
        payload: node_core::tx::Payload::Import(node_core::tx::ImportBatch {
            source,
            position: node_core::import::SourcePosition { order, text: position_text },
            follows,
            statements,
        }),
    };
    let tx = body.sign(&key);
    if p.get("wait").and_then(Json::as_bool).unwrap_or(true) {
        let c = frontend.submit_and_wait(tx).await?;
        return Ok(receipt_json(c.height, c.index, &c.receipt));
    }
    // Admitted in call order: an importer sends its next batch before this
    // one is in a block, and learns its outcome from get_tx.
    let (hash, expires_at_ms) = (tx.hash(), tx.body.expires_at_ms);
    let size = tx.to_bytes().len();
    node.submit(tx, size, false)?;
    Ok(json!({"tx_hash": hex::encode(hash), "status": "pending", "expires_at_ms": expires_at_ms}))
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

async fn sql(frontend: &Frontend, p: &Json) -> Result<Json, RpcError> {
    let text = p.get("sql").and_then(Json::as_str).ok_or_else(|| RpcError::params("sql is required"))?.to_owned();
    let role = p.get("role").and_then(Json::as_str).unwrap_or("admin").to_owned();
    let password = p.get("password").and_then(Json::as_str).unwrap_or("");
    let params = sql_params(p)?;
    let key = frontend.open_with_password(&role, password).await?;
    let mut session = frontend.session(role, key, 0, &BTreeMap::new(), Arc::new(CancelFlag::new(false)));
    let mut plans = session.plan(&text)?;
    if plans.is_empty() {
        return Ok(json!({"kind": "empty"}));
    }
    let writes_only = plans.iter().all(|(p, _)| matches!(p, sqlmap::Plan::Write(_) | sqlmap::Plan::Ddl(_)));
    if writes_only {
        // One tx signed by the role, the text as written; a failure is in its receipt.
        let c = session.submit_sql(vec![Statement { sql: text, params }]).await?;
        return Ok(receipt_json(c.height, c.index, &c.receipt));
    }
    match (plans.pop(), plans.is_empty()) {
        (Some((plan @ sqlmap::Plan::Read(_), text)), true) => match session.execute(plan, text, params).await? {
            Reply::Rows { columns, rows, .. } => Ok(rows_reply(&columns, &rows)),
            _ => Err(RpcError::internal("a read gave no rows")),
        },
        _ => Err(FrontendError::new(
            "0A000",
            "one call runs either one query or a list of writes; transaction control and SET belong to a session (the PostgreSQL wire)",
        )
        .into()),
    }
}

/// A read's answer: its columns and its rows, each value printed as its
/// column's type prints it.
fn rows_reply(columns: &[Column], rows: &[Vec<Value>]) -> Json {
    let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
    let rows: Vec<Vec<Json>> =
        rows.iter().map(|r| r.iter().zip(columns).map(|(v, c)| value_json(v, &c.ty)).collect()).collect();
    json!({"kind": "rows", "columns": names, "rows": rows})
}

/// A value as JSON: PostgreSQL's text form of it, as a JSON number in an
/// integer or float column when that text is a JSON number that prints
/// back the same, as a JSON boolean in a boolean column, else as a string.
fn value_json(v: &Value, ty: &ColumnType) -> Json {
    let Some(text) = types::to_text(v, ty) else { return Json::Null };
    let text = String::from_utf8_lossy(&text).into_owned();
    match ty.oid {
        types::OID_BOOL if text == "t" || text == "f" => Json::Bool(text == "t"),
        // int2, int4, int8, oid, float4, float8
        21 | 23 | 20 | 26 | 700 | 701 => match serde_json::from_str::<serde_json::Number>(&text) {
            Ok(n) if n.to_string() == text => Json::Number(n),
            _ => Json::String(text),
        },
        _ => Json::String(text),
    }
}

/// The key of the role `p` names with its password, if it names one.
async fn caller_key(frontend: &Frontend, p: &Json) -> Result<Option<SecretKey>, RpcError> {
    let Some(role) = p.get("role").and_then(Json::as_str) else { return Ok(None) };
    let password = p.get("password").and_then(Json::as_str).unwrap_or("");
    Ok(Some(frontend.open_with_password(role, password).await?))
}

/// A tx, its block and receipt. Its statements (and the signed bytes that
/// carry them) hold the values it wrote, so they are shown only to the
/// tx's signer and to admins, who pass `role` and `password`.
async fn get_tx(frontend: &Frontend, p: &Json) -> Result<Json, RpcError> {
    let node = frontend.node();
    let caller = caller_key(frontend, p).await?.map(|k| k.public());
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
    let shown = caller.is_some_and(|k| k == tx.body.account || node.is_admin(&k));
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
    let proof = state_tree::prove(node.suite(), node.ledger(), &s.state_root, &key).map_err(RpcError::internal)?;
    let slot = |h: &Option<Hash>| h.map(|h| Json::String(hex::encode(h))).unwrap_or(Json::Null);
    Ok(json!({
        "height": s.height,
        "state_root": hex::encode(s.state_root),
        "path": proof.path.iter().map(|lvl| lvl.iter().map(slot).collect::<Vec<_>>()).collect::<Vec<_>>(),
        "end": proof.end.map(|(k, v)| json!({"key": hex::encode(k), "value": hex::encode(v)})),
        "value": state_tree::verify_proof(node.suite(), &s.state_root, &key, &proof).ok().flatten().map(hex::encode),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each value as JSON-RPC sends it: PostgreSQL's text form, as a JSON
    /// number or boolean only where that prints back the same.
    #[test]
    fn values_are_postgres_text_in_json() {
        let numeric = ColumnType { oid: 1700, typmod: -1, scale: Some(2) };
        let plain = ColumnType::plain;
        let cases: Vec<(Value, ColumnType, Json)> = vec![
            (Value::Null, plain(types::OID_BOOL), Json::Null),
            (Value::Integer(1), plain(types::OID_BOOL), json!(true)),
            (Value::Integer(0), plain(types::OID_BOOL), json!(false)),
            (Value::Integer(-7), plain(23), json!(-7)),
            (Value::Integer(i64::MAX), plain(20), json!(i64::MAX)),
            (Value::Real(12.5), numeric, json!("12.50")),
            (Value::Integer(3), numeric, json!("3.00")),
            (Value::Real(0.1), plain(700), json!(0.1)),
            (Value::Real(2.0), plain(701), json!(2)),
            // PostgreSQL prints `1e+20`, which JSON reads as the same number.
            (Value::Real(1e20), plain(701), json!(1e20)),
            (Value::Real(f64::NAN), plain(701), json!("NaN")),
            (Value::Real(f64::NEG_INFINITY), plain(701), json!("-Infinity")),
            (Value::Blob(vec![0, 255]), plain(types::OID_BYTEA), json!("\\x00ff")),
            (Value::Text(r#"{"b":1, "a":2}"#.into()), plain(types::OID_JSONB), json!(r#"{"a": 2, "b": 1}"#)),
            (Value::Text("2024-02-29".into()), plain(1082), json!("2024-02-29")),
            (Value::Text("Grüße".into()), plain(types::OID_TEXT), json!("Grüße")),
        ];
        for (value, ty, expected) in cases {
            assert_eq!(value_json(&value, &ty), expected, "{value:?} as {ty:?}");
        }
    }
}
