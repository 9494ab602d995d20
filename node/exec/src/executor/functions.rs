//! The SQL functions a statement sees on the executor's connection: `rc_now()`
//! (the block time) and the signer's (`current_user`, `rc_account()`,
//! `rc_is_admin()`, `rc_tx_hash()`).

use super::*;

/// Formats milliseconds since the epoch as PostgreSQL prints a timestamptz in
/// UTC: the form every stored timestamptz has (see [`node_core::pgtime`]).
pub fn format_timestamp(ms: u64) -> String {
    // Saturates rather than overflow: a header's time is a peer's word.
    node_core::pgtime::format_timestamp(i64::try_from(ms).unwrap_or(i64::MAX).saturating_mul(1000), true)
}

/// Registers `rc_now()`: the block time on the executor's connection, the
/// wall clock on readers'.
pub fn register_now(conn: &Connection, clock: Arc<AtomicU64>) -> rusqlite::Result<()> {
    use rusqlite::functions::FunctionFlags;
    conn.create_scalar_function(
        "rc_now",
        0,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_INNOCUOUS | FunctionFlags::SQLITE_DETERMINISTIC,
        move |_| {
            let ms = clock.load(Ordering::Relaxed);
            let ms = if ms == 0 {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_millis() as u64)
                    .unwrap_or(0)
            } else {
                ms
            };
            Ok(format_timestamp(ms))
        },
    )
}

/// The role whose tx is running, for the checks and for the SQL functions
/// `current_user`, `rc_account()`, `rc_is_admin()` and `rowchain.tx_hash()`.
#[derive(Debug, Clone, Default)]
pub(super) struct Signer {
    pub(super) address: String,
    pub(super) name: String,
    pub(super) admin: bool,
    pub(super) tx_hash: Option<String>,
}

pub(super) fn register_signer_functions(conn: &Connection, signer: Arc<Mutex<Signer>>) -> rusqlite::Result<()> {
    use rusqlite::functions::FunctionFlags;
    // Not deterministic (they change per tx) but innocuous: allowed in the
    // policy triggers and column DEFAULTs.
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_INNOCUOUS;
    for name in ["current_user", "session_user", "user", "current_role"] {
        let s = signer.clone();
        conn.create_scalar_function(name, 0, flags, move |_| Ok(s.lock().name.clone()))?;
    }
    let s = signer.clone();
    conn.create_scalar_function("rc_account", 0, flags, move |_| Ok(s.lock().address.clone()))?;
    let s = signer.clone();
    conn.create_scalar_function("rc_is_admin", 0, flags, move |_| Ok(s.lock().admin as i64))?;
    conn.create_scalar_function("rc_tx_hash", 0, flags, move |_| Ok(signer.lock().tx_hash.clone()))
}
