//! `node-core` is pure: nothing in its dependency graph (normal
//! dependencies, transitively) opens a database, runs an async runtime or
//! talks to a network. Consensus rules live here, so they must not be able
//! to reach for I/O.

use std::process::Command;

/// Crates that do I/O; none may be in node-core's graph.
const IO_CRATES: &[&str] = &[
    "rusqlite",
    "libsqlite3-sys",
    "rocksdb",
    "librocksdb-sys",
    "tokio",
    "mio",
    "axum",
    "hyper",
    "pgwire",
    "commonware-runtime",
    "commonware-p2p",
    "commonware-consensus",
];

#[test]
fn node_core_depends_on_no_io_crate() {
    let out = Command::new(env!("CARGO"))
        .args(["tree", "--offline", "-p", "node-core", "-e", "normal", "--prefix", "none", "--format", "{p}"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "cargo tree failed: {}", String::from_utf8_lossy(&out.stderr));
    let names: Vec<&str> = text.lines().filter_map(|l| l.split_whitespace().next()).collect();
    assert_eq!(names.first(), Some(&"node-core"), "{text}");
    assert!(names.contains(&"sqlmap") && names.contains(&"sha2"), "the graph was read: {text}");
    let found: Vec<&&str> = IO_CRATES.iter().filter(|c| names.contains(c)).collect();
    assert!(found.is_empty(), "node-core's graph holds I/O crates {found:?}:\n{text}");
}
