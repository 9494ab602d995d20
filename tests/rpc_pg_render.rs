//! JSON-RPC `sql` and psql print the same SELECT alike, end to end through
//! the real binary: both wires go through the front end's Session API, so
//! both plan with the tables' types (a cast of a boolean column to text is
//! `true`, not `1`) and print each value by its column's declared type
//! (`t`, `12.50`, `\x00ff`). psql reads PostgreSQL's text format; JSON-RPC
//! sends the same text, with JSON numbers for integers and floats and JSON
//! booleans for booleans.

mod common;

use common::Dev;
use serde_json::Value as Json;
use std::process::Command;

/// How both sides show NULL here.
const NULL: &str = "<NULL>";
const FIELD: char = '\u{1f}';
const RECORD: char = '\u{1e}';

/// psql's rows for `select`, each field as psql prints it.
fn psql_rows(dev: &Dev, select: &str) -> Vec<Vec<String>> {
    let out = Command::new("psql")
        .arg(dev.pg_dsn("admin", "admin"))
        .env("PGPASSWORD", "admin")
        .args(["-X", "-A", "-t", "-v", "ON_ERROR_STOP=1"])
        .args(["-F", &FIELD.to_string(), "-R", &RECORD.to_string(), "-P", &format!("null={NULL}")])
        .args(["-c", select])
        .output()
        .expect("run psql");
    assert!(out.status.success(), "psql: {}", common::text(&out.stderr));
    common::text(&out.stdout)
        .trim_end_matches('\n')
        .split(RECORD)
        .map(|r| r.split(FIELD).map(str::to_string).collect())
        .collect()
}

/// A JSON-RPC value as text: the string itself, a number's digits, a
/// boolean as PostgreSQL prints one.
fn rpc_text(v: &Json) -> String {
    match v {
        Json::Null => NULL.into(),
        Json::String(s) => s.clone(),
        Json::Bool(b) => (if *b { "t" } else { "f" }).into(),
        Json::Number(n) => n.to_string(),
        other => panic!("JSON-RPC sent a value that is not a scalar: {other}"),
    }
}

#[test]
fn json_rpc_and_psql_print_a_select_alike() {
    let dev = Dev::start("rpc-pg-render");
    dev.ok("CREATE TABLE kinds (id integer PRIMARY KEY, flag boolean, amount numeric(10,2), day date, \
         at timestamp, at_tz timestamptz, doc json, docb jsonb, raw bytea, ratio real, note text)");
    dev.ok("INSERT INTO kinds VALUES \
         (1, true, 12.5, '2024-02-29', '2024-02-29 13:45:01.5', '2024-02-29 13:45:01+02', \
          '{\"a\": [1, 2]}', '{\"b\":1, \"a\":2}', '\\x00ff', 0.1, 'Grüße'), \
         (2, false, 3, NULL, NULL, NULL, NULL, NULL, NULL, 2.5, NULL)");
    let select = "SELECT id, flag, amount, day, at, at_tz, doc, docb, raw, ratio, note, \
                  id * 2 + 1 AS expr, flag::text AS flag_text, amount::text AS amount_text, NULL AS nothing \
                  FROM kinds ORDER BY id";
    let rpc: Vec<Vec<String>> = dev.rows(select).iter().map(|r| r.iter().map(rpc_text).collect()).collect();
    let psql = psql_rows(&dev, select);
    assert_eq!(rpc, psql, "JSON-RPC (left) and psql (right) print the same SELECT differently");
    // What PostgreSQL prints, so that the two cannot agree on a wrong answer.
    let expected = [
        vec![
            "1",
            "t",
            "12.50",
            "2024-02-29",
            "2024-02-29 13:45:01.5",
            "2024-02-29 11:45:01+00",
            "{\"a\": [1, 2]}",
            "{\"a\": 2, \"b\": 1}",
            "\\x00ff",
            "0.1",
            "Grüße",
            "3",
            "true",
            "12.50",
            NULL,
        ],
        vec!["2", "f", "3.00", NULL, NULL, NULL, NULL, NULL, NULL, "2.5", NULL, "5", "false", "3.00", NULL],
    ];
    assert_eq!(psql, expected);
}
