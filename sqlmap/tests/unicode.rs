//! Non-ASCII text at awkward byte offsets: comments, identifiers, string
//! literals, escapes, dollar quotes, VACUUM and COPY, and errors whose
//! position falls after multi-byte characters. Each case is planned and its
//! exact result printed into `unicode.txt` (`UPDATE_EXPECT=1` rewrites it).
//! Before planning learnt to slice text at character boundaries, the first
//! cases panicked (`is_vacuum` sliced `t[..6]`).

mod common;

use common::describe_error;
use expect_test::expect_file;
use sqlmap::{plan, plan_with_text, Plan, PlanError};

const CASES: &[&str] = &[
    // -- a multi-byte character across byte 6, where VACUUM was looked for
    "-- Grüße\nSELECT 1",
    "-- é\nSELECT 1",
    "vacuu€",
    "vacuüm",
    "Grüße",
    "数据",
    "🎉",
    "   ñ",
    // -- VACUUM with non-ASCII table names
    "VACUUM \"数据\"",
    "vacuum 数据, \"andré\";",
    "VACUUM ANALYZE Grüße",
    "-- Grüße\nVACUUM",
    "VACUUM t; SELECT 'ü'",
    "VACUUM (VERBOSE) ü",
    // -- COPY, whose FREEZE ON is respelled in the text
    "COPY \"数据\" FROM STDIN WITH (FREEZE ON)",
    "copy grüße from stdin with (format csv, null 'ü', freeze on) -- Grüße",
    "COPY t (\"andré\", ñ) FROM STDIN WITH (FORMAT csv, DELIMITER '€')",
    "-- Grüße\nCOPY t FROM STDIN WITH (FREEZE ON)",
    "COPY ü FROM STDIN WITH (FREEZE ON, HEADER true)",
    // -- comments
    "/* Grüße */ SELECT 1",
    "SELECT 1 -- Grüße",
    "SELECT /* 数据 */ 2 /* 🎉 */",
    "-- 数据\n-- 🎉\n",
    // -- identifiers
    "SELECT \"andré\", \"数据\" FROM \"表\" WHERE ñ = 1",
    "SELECT Grüße FROM Straße",
    "CREATE TABLE \"数据\" (\"andré\" text PRIMARY KEY, ñ int NOT NULL DEFAULT 0)",
    "INSERT INTO \"数据\" (\"andré\", ñ) VALUES ('x', 1) RETURNING \"andré\"",
    "UPDATE Straße SET Grüße = 'ß' WHERE \"数据\" = $1",
    "CREATE ROLE \"andré\" LOGIN PASSWORD 'x'",
    "ALTER ROLE \"数据\" RENAME TO \"🎉\"",
    "SET application_name = 'ünï'",
    "SHOW \"数据\"",
    "SAVEPOINT \"andré\"",
    // -- string literals and escapes
    "INSERT INTO t (a) VALUES ('Grüße 数据 🎉')",
    "SELECT 'a' ILIKE 'Ä', 'ß' LIKE 'ẞ%'",
    "SELECT E'caf\\u00e9 \\xC3\\xA9', E'数据\\n\\t'",
    "SELECT E'\\U0001F389'",
    "SELECT E'\\xZZ', E'ü\\'",
    "SELECT U&'d\\0061t\\+000061', N'数据'",
    "SELECT $$数据$$, $tag$Grüße$tag$",
    "SELECT $ü$ dollar $ü$",
    "SELECT length('🎉'), upper('ß'), substring('数据' from 2 for 1)",
    // -- errors whose position counts characters, not bytes
    "SELECT 'unterminated ü",
    "SELECT \"unterminated 数据",
    "SELECT 数据 FROM",
    "SELEC 数据",
    "SELECT 'ü' +",
    "SELECT 'Grüße' 'x' FROM WHERE",
    "SELECT 1;\nSELEC 'ü'",
    "-- 数据\nSELECT 1 +* 2",
    "SELECT $数据",
    "SELECT 1 @ü 2",
    // -- found by planning inputs that were not SELECTs
    "UPDATE t SET a = (b).c",
    "INSERT INTO t VALUES ((x).y)",
    "DELETE FROM t WHERE (a).n = 1",
];

fn describe(result: Result<Vec<(Plan, String)>, PlanError>) -> String {
    match result {
        Err(e) => describe_error(&e),
        Ok(plans) if plans.is_empty() => "(no statements)".to_string(),
        Ok(plans) => {
            plans.iter().map(|(plan, text)| format!("{plan:?}\n  text: {text}")).collect::<Vec<_>>().join("\n")
        }
    }
}

#[test]
fn unicode() {
    let mut out = String::new();
    for sql in CASES {
        let planned = plan_with_text(sql);
        // The two entry points agree on every case.
        assert_eq!(planned.clone().map(|p| p.into_iter().map(|(p, _)| p).collect()), plan(sql), "{sql}");
        out.push_str(&format!("== {sql}\n{}\n\n", describe(planned)));
    }
    expect_file!["unicode.txt"].assert_eq(&out);
}
