//! The node's own threads, and what a panic in one of them means.

/// The exit status of a node whose own thread panicked (BSD's EX_SOFTWARE).
pub const EXIT_THREAD_PANICKED: i32 = 70;

/// Starts one of the node's own threads (block producer, ledger sync,
/// consensus network, WAL checkpointer). A panic in one of them is a bug
/// the node cannot reason past: the process logs it and exits with
/// [`EXIT_THREAD_PANICKED`] rather than live on with a dead producer. (A
/// panic inside one tx never gets here: the executor fails that tx alone.)
pub fn spawn_node_thread<T: Send + 'static>(
    name: &'static str,
    body: impl FnOnce() -> T + Send + 'static,
) -> std::io::Result<std::thread::JoinHandle<T>> {
    std::thread::Builder::new().name(name.into()).spawn(move || {
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)) {
            Ok(v) => v,
            Err(panic) => {
                let text = node_core::fault::panic_text(panic.as_ref());
                tracing::error!(thread = name, panic = text, "a node thread panicked: the node stops");
                std::process::exit(EXIT_THREAD_PANICKED);
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// Set in the child process this test starts: there the thread panics.
    const CHILD: &str = "ROWCHAIN_TEST_NODE_THREAD_PANIC";

    #[test]
    fn a_panicking_node_thread_stops_the_process() {
        if std::env::var_os(CHILD).is_some() {
            let h = spawn_node_thread("doomed", || panic!("a bug in a node thread")).expect("thread starts");
            let _ = h.join();
            std::thread::sleep(Duration::from_secs(5));
            std::process::exit(0); // the process must have exited before this
        }
        let exe = std::env::current_exe().expect("the test binary");
        let out = std::process::Command::new(exe)
            .args(["--exact", "thread::tests::a_panicking_node_thread_stops_the_process", "--nocapture"])
            .env(CHILD, "1")
            .output()
            .expect("the child runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(EXIT_THREAD_PANICKED), "stderr: {stderr}");
        assert!(stderr.contains("a bug in a node thread"), "stderr: {stderr}");
    }
}
