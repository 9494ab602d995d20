//! Fuzzes every public entry point that takes text: whatever the text,
//! planning returns `Ok` or `Err` and never panics.
//!
//! Every input is planned as PostgreSQL and as MySQL.
//!
//! Inputs are arbitrary UTF-8 strings, and a corpus of real statements
//! (`cases.rs` with its MySQL cases, `unicode.rs`, the psql compatibility suites, non-ASCII
//! comments, identifiers and literals) mutated by inserting, replacing and
//! deleting characters (multi-byte ones included) at random character
//! positions, or spliced from two corpus entries. The schema has typed
//! columns and a row filter drawn from the same inputs, so the typed and
//! row-filter paths run too.
//!
//! A default run takes about 10 s in a debug build. A long campaign:
//!
//! ```text
//! PROPTEST_CASES=200000 cargo test --release -p sqlmap --test fuzz
//! ```
//!
//! (`PROPTEST_FORK=true` also catches a stack overflow, which aborts.)
//! Failures are saved in `sqlmap/proptest-regressions/fuzz.txt` and replayed
//! first on every run; each one also becomes a case in `unicode.rs` or
//! `nesting.rs`.

mod common;

use std::sync::OnceLock;

use common::TableSchema;
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use sqlmap::{
    bind_current_user, param_hints, parse_bool, plan, plan_dialect, plan_in, plan_with_text_dialect, plan_with_text_in,
    policy_expr, result_hints, result_hints_in, result_types, Dialect, PgType, Plan,
};

/// Cases per test when `PROPTEST_CASES` is not set.
const DEFAULT_CASES: u32 = 25_000;

fn config() -> ProptestConfig {
    let mut config = ProptestConfig {
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct("proptest-regressions/fuzz.txt"))),
        ..ProptestConfig::default()
    };
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = DEFAULT_CASES;
    }
    config
}

/// Tables with typed columns; the fuzzer gives `g` a row filter.
const TABLES: &[(&str, &[(&str, PgType)])] = &[
    (
        "t",
        &[
            ("id", PgType::Int4),
            ("flag", PgType::Bool),
            ("amount", PgType::Numeric { precision: Some(10), scale: Some(2) }),
            ("doc", PgType::Jsonb),
            ("raw", PgType::Json),
            ("n", PgType::Text),
            ("b", PgType::Bytea),
            ("d", PgType::Date),
            ("at", PgType::Timestamptz),
        ],
    ),
    ("g", &[("id", PgType::Int8), ("owner", PgType::Text), ("a", PgType::Int4), ("flag", PgType::Bool)]),
    ("数据", &[("andré", PgType::Text), ("ñ", PgType::Varchar(Some(3))), ("u", PgType::Uuid)]),
];

/// Non-ASCII snippets the corpus adds to the test cases.
const EXTRA: &[&str] = &[
    "-- Grüße\nSELECT 1",
    "/* 数据 */ INSERT INTO \"数据\" (\"andré\", ñ) VALUES ('é', 'ß🎉')",
    "SELECT E'caf\\u00e9\\n', $$数据$$, $ü$x$ü$, U&'\\0061', N'ñ' FROM g WHERE owner = 'andré'",
    "UPDATE t SET n = 'Grüße', flag = 'yes', doc = '{\"ä\": 1}' WHERE id = $1 RETURNING n::text",
    "VACUUM \"数据\"",
    "copy \"数据\" from stdin with (format csv, null 'ü', freeze on)",
    "CREATE POLICY p ON g FOR SELECT USING (owner = current_user AND a > 0)",
    "CREATE ROLE \"andré\" LOGIN PASSWORD 'ü'",
    "SELECT a # 3, d::date, at::timestamptz, b::bytea, flag::text, x[1], (y).n FROM t, unnest(ARRAY[1,2]) u",
    "owner = current_user",
    // MySQL
    "# Grüße\nSELECT `andré`, \"ñ\\\"x\" FROM `数据` LIMIT 1, 2",
    "INSERT INTO `数据` SET `andré` = 'é\\'', ñ = ? ON DUPLICATE KEY UPDATE `andré` = VALUES(`andré`)",
    "CREATE TABLE `表` (id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY, e ENUM('ä', 'ß'), s SET('€', '🎉')) ENGINE=InnoDB",
    "SELECT DATE_FORMAT(at, '%Y-%m-%e %k:%i ü'), GROUP_CONCAT(n SEPARATOR 'ß') FROM t",
    "SHOW FULL COLUMNS FROM `数据` LIKE 'ü%'",
    "GRANT SELECT ON rowchain.`数据` TO 'andré'@'%'",
];

/// Test cases of `cases.rs` and `unicode.rs`, the statements of the psql
/// compatibility suites, and [`EXTRA`].
fn corpus() -> &'static [String] {
    static CORPUS: OnceLock<Vec<String>> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let mut corpus: Vec<String> = EXTRA.iter().map(|s| s.to_string()).collect();
        corpus.extend(string_literals(include_str!("cases.rs"), "CASES"));
        corpus.extend(string_literals(include_str!("cases.rs"), "MYSQL_CASES"));
        corpus.extend(string_literals(include_str!("unicode.rs"), "CASES"));
        let suites = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../compat/suites/psql");
        let mut files: Vec<_> = std::fs::read_dir(suites).into_iter().flatten().flatten().map(|e| e.path()).collect();
        files.sort();
        for file in files.iter().filter(|f| f.extension().is_some_and(|e| e == "sql")) {
            let text = std::fs::read_to_string(file).unwrap_or_default();
            corpus.extend(text.lines().filter(|l| !l.starts_with('\\') && !l.trim().is_empty()).map(String::from));
            corpus.push(text);
        }
        corpus
    })
}

/// The one-line string literals of the array `name` in a test's source.
fn string_literals(source: &str, name: &str) -> Vec<String> {
    let cases = source.split_once(&format!("const {name}: &[&str] = &[")).map_or("", |(_, rest)| rest);
    let cases = cases.split_once("\n];").map_or("", |(cases, _)| cases);
    cases.lines().filter_map(|line| line.trim().strip_prefix('"')?.strip_suffix("\",").map(unescape)).collect()
}

/// Undoes Rust's escapes `\\`, `\"`, `\n`, `\t`.
fn unescape(literal: &str) -> String {
    let mut out = String::with_capacity(literal.len());
    let mut chars = literal.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

/// Characters worth inserting: SQL punctuation, and 2-, 3- and 4-byte UTF-8.
fn sql_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => prop::sample::select(
            "'\"$;:()[],.*+-/#~!@%^&|<>=?\\ \n\teE01U&".chars().collect::<Vec<_>>()
        ),
        3 => prop::sample::select(vec!['é', 'ß', 'ü', 'ñ', 'Ä', '€', '数', '据', '表', '🎉', '𝄞', '\u{a0}', '\u{200b}']),
        2 => any::<char>(),
    ]
}

#[derive(Debug, Clone)]
enum Edit {
    Insert(prop::sample::Index, char),
    Replace(prop::sample::Index, char),
    Delete(prop::sample::Index),
    /// Inserts a word of another corpus entry, to mix keywords in.
    Word(prop::sample::Index, prop::sample::Index),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<prop::sample::Index>(), sql_char()).prop_map(|(at, c)| Edit::Insert(at, c)),
        (any::<prop::sample::Index>(), sql_char()).prop_map(|(at, c)| Edit::Replace(at, c)),
        any::<prop::sample::Index>().prop_map(Edit::Delete),
        (any::<prop::sample::Index>(), any::<prop::sample::Index>()).prop_map(|(at, word)| Edit::Word(at, word)),
    ]
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for edit in edits {
        match edit {
            Edit::Insert(at, c) => chars.insert(at.index(chars.len() + 1), *c),
            Edit::Replace(at, c) if !chars.is_empty() => {
                let at = at.index(chars.len());
                chars[at] = *c;
            }
            Edit::Delete(at) if !chars.is_empty() => {
                chars.remove(at.index(chars.len()));
            }
            Edit::Word(at, word) => {
                let word = words()[word.index(words().len())];
                let at = at.index(chars.len() + 1);
                chars.splice(at..at, format!(" {word} ").chars());
            }
            Edit::Replace(..) | Edit::Delete(_) => {}
        }
    }
    chars.into_iter().collect()
}

/// The words of the corpus.
fn words() -> &'static [&'static str] {
    static WORDS: OnceLock<Vec<&'static str>> = OnceLock::new();
    WORDS.get_or_init(|| corpus().iter().flat_map(|s| s.split_whitespace()).collect())
}

/// A corpus entry with up to 8 edits.
fn mutated() -> impl Strategy<Value = String> {
    (any::<prop::sample::Index>(), prop::collection::vec(edit(), 0..8))
        .prop_map(|(entry, edits)| apply(&corpus()[entry.index(corpus().len())], &edits))
}

/// The head of one corpus entry and the tail of another, cut at characters.
fn spliced() -> impl Strategy<Value = String> {
    (
        any::<prop::sample::Index>(),
        any::<prop::sample::Index>(),
        any::<prop::sample::Index>(),
        any::<prop::sample::Index>(),
    )
        .prop_map(|(a, cut_a, b, cut_b)| {
            let (a, b) = (&corpus()[a.index(corpus().len())], &corpus()[b.index(corpus().len())]);
            let head: String = a.chars().take(cut_a.index(a.chars().count() + 1)).collect();
            let tail: String = b.chars().skip(cut_b.index(b.chars().count() + 1)).collect();
            head + &tail
        })
}

fn row_filter() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => Just("owner = current_user".to_string()),
        1 => mutated(),
        1 => any::<String>(),
    ]
}

/// The SQLite text a plan carries, to bound how much planning can amplify.
fn sqlite_len(plans: &[Plan]) -> usize {
    plans.iter().map(|plan| format!("{plan:?}").len()).sum()
}

/// Every entry point that takes text, on `sql`: none may panic, and the
/// plans stay within a constant factor of the input (no exponential
/// rewrites).
fn plan_everything(sql: &str, filter: String) -> Result<(), TestCaseError> {
    let filter_len = filter.len();
    let schema = TableSchema { tables: TABLES, row_filter: Some(("g", filter)) };
    let planned = plan_in(sql, &schema);
    let _ = plan(sql);
    let _ = plan_with_text_in(sql, &schema);
    let _ = (param_hints(sql), result_hints(sql), result_hints_in(sql, &schema), result_types(sql));
    let _ = (parse_bool(sql), PgType::parse_name(sql));
    let _ = (bind_current_user(sql, "andré"), policy_expr(sql, "g", &schema), policy_expr(sql, "数据", &schema));
    let mysql = plan_dialect(sql, &schema, Dialect::MySql);
    let _ = plan_with_text_dialect(sql, &schema, Dialect::MySql);
    let budget = 1000 * (sql.len() + filter_len) + (1 << 20);
    for plans in [planned, mysql].into_iter().flatten() {
        prop_assert!(sqlite_len(&plans) <= budget, "{} bytes of plans from {} bytes", sqlite_len(&plans), sql.len());
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_text(sql in any::<String>(), filter in row_filter()) {
        plan_everything(&sql, filter)?;
    }

    #[test]
    fn mutated_statements(sql in mutated(), filter in row_filter()) {
        plan_everything(&sql, filter)?;
    }

    #[test]
    fn spliced_statements(sql in spliced(), filter in row_filter()) {
        plan_everything(&sql, filter)?;
    }
}

#[test]
fn corpus_is_found() {
    let corpus = corpus();
    assert!(corpus.iter().any(|s| s == "SELECT * FROM t"), "cases.rs");
    assert!(corpus.iter().any(|s| s == "SHOW DATABASES"), "cases.rs, MYSQL_CASES");
    assert!(corpus.iter().any(|s| s == "-- Grüße\nSELECT 1"), "unicode.rs");
    assert!(corpus.iter().any(|s| s.starts_with("CREATE TABLE q_dept")), "compat/suites/psql");
    assert!(corpus.len() > 300, "{}", corpus.len());
}
