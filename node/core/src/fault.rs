//! What the node says about a bug that panicked and was caught: the executor
//! (one tx), the RPC server (one call) and the node's threads (the process).

/// The text of a caught panic's payload, for the log.
pub fn panic_text(payload: &(dyn std::any::Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(a panic without a message)")
}
