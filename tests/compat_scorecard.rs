//! The quick part of the compatibility scorecard: compat/run's psql suite
//! (scripts whose outputs were recorded from a real PostgreSQL) against a
//! fresh `rowchain dev`. It fails on any unexpected failure and on any
//! unexpected pass (compat/suites/psql/expected-failures.txt).

mod common;

use std::path::PathBuf;
use std::process::Command;

#[test]
fn psql_scripts_match_postgresql() {
    common::clients_setup();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let out = common::temp_dir("scorecard").join("SCORECARD.md");
    let run = Command::new("python3")
        .arg(root.join("compat/run.py"))
        .args(["--bin", common::BIN, "--out"])
        .arg(&out)
        .arg("psql")
        .output()
        .expect("run compat/run.py");
    assert!(
        run.status.success(),
        "the psql scorecard has unexpected results:\n{}\n{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    let card = std::fs::read_to_string(&out).expect("SCORECARD.md written");
    assert!(card.contains("| psql |"), "{card}");
}
