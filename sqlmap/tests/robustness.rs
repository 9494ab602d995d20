//! Odd inputs never panic, in either dialect, and type metadata round-trips.

use sqlmap::{plan, plan_dialect, Dialect, NoSchema, PgType};

#[test]
fn odd_inputs_do_not_panic() {
    let deep_parens = format!("SELECT {}1{}", "(".repeat(200), ")".repeat(200));
    let deep_subqueries = format!("SELECT {}1{}", "(SELECT ".repeat(40), ")".repeat(40));
    let long_in = format!("SELECT 1 WHERE a IN ({})", vec!["1"; 5000].join(","));
    let inputs = [
        "",
        ";",
        ";;",
        "\0",
        "'",
        "\"",
        "$",
        "$$",
        "$1",
        "$99999999999999999999",
        "SELECT $",
        "SELECT 'unterminated",
        "SELECT \"x",
        "/* unterminated",
        "SELECT 1e999999",
        "ñ ☃ 𝄞",
        "SELECT 'ñ' ILIKE 'Ñ'",
        "INSERT",
        "CREATE TABLE",
        "CREATE TABLE t ()",
        "CREATE TABLE t (a varchar(0))",
        "CREATE TABLE t (a numeric(2000, 1))",
        "CREATE TABLE t (a numeric(5, 9))",
        "CREATE TABLE t (a char(99999999999))",
        "ALTER TABLE",
        "DROP",
        "SET",
        "SHOW",
        "RESET",
        "SELECT ?",
        "SELECT * FROM a.b.c.d",
        "SELECT concat()",
        "SELECT substring('x')",
        "SELECT trim(a, 'b')",
        "UPDATE t SET (a, b) = (1, 2)",
        &deep_parens,
        &deep_subqueries,
        &long_in,
        // MySQL's own lexical corners
        "`",
        "``",
        "SELECT `a",
        "SELECT 'a\\",
        "SELECT \"a\\\"",
        "#",
        "SELECT 1 #",
        "--",
        "SELECT @",
        "SELECT @@",
        "SELECT @@.",
        "SET @@",
        "SHOW",
        "SHOW FULL",
        "SHOW COLUMNS FROM",
        "SHOW CREATE TABLE rowchain.",
        "SHOW VARIABLES LIKE",
        "SHOW VARIABLES WHERE",
        "SHOW GRANTS FOR",
        "CREATE USER",
        "CREATE USER ''@'%'",
        "CREATE USER 'a'@",
        "ALTER USER 'a' IDENTIFIED",
        "DROP USER IF",
        "DROP USER 'a',",
        "INSERT INTO t SET",
        "INSERT INTO t SET (a) = 1",
        "INSERT INTO t (a) SET a = 1",
        "INSERT INTO t VALUES (1) ON DUPLICATE KEY UPDATE a = VALUES()",
        "SELECT DATE_FORMAT(a, '%')",
        "SELECT DATE_FORMAT(a, '')",
        "SELECT DATE_FORMAT(a, '%e%e%e%e%e%e%e%e%e%e')",
        "SELECT GROUP_CONCAT()",
        "SELECT GROUP_CONCAT(SEPARATOR ',')",
        "SELECT NOW(99999999999999999999999)",
        "SELECT CONCAT(",
        "CREATE TABLE t (a ENUM())",
        "CREATE TABLE t (a SET())",
        "CREATE TABLE t (a INT AUTO_INCREMENT)",
        "SELECT * FROM t LIMIT 1,",
        "SELECT 1; ;; SELECT 2;",
        "USE",
        "USE a.b",
    ];
    for sql in inputs {
        let _ = plan(sql);
        let _ = plan_dialect(sql, &NoSchema, Dialect::MySql);
    }
    let set_members: Vec<String> = (0..65).map(|i| format!("'m{i}'")).collect();
    let too_many = format!("CREATE TABLE t (s SET({}))", set_members.join(", "));
    let refused = plan_dialect(&too_many, &NoSchema, Dialect::MySql).map_err(|e| e.sqlstate);
    assert_eq!(refused, Err("42000"));
    let most = format!("CREATE TABLE t (s SET({}))", set_members.get(..64).unwrap_or_default().join(", "));
    let planned = plan_dialect(&most, &NoSchema, Dialect::MySql).map(|plans| plans.len());
    assert_eq!(planned, Ok(1));
}

#[test]
fn type_names_round_trip() {
    let all = [
        PgType::Int2,
        PgType::Int4,
        PgType::Int8,
        PgType::Numeric { precision: None, scale: None },
        PgType::Numeric { precision: Some(10), scale: Some(2) },
        PgType::Float4,
        PgType::Float8,
        PgType::Text,
        PgType::Varchar(None),
        PgType::Varchar(Some(20)),
        PgType::Char(Some(3)),
        PgType::Bool,
        PgType::Date,
        PgType::Timestamp,
        PgType::Timestamptz,
        PgType::Bytea,
        PgType::Json,
        PgType::Jsonb,
        PgType::Uuid,
    ];
    for ty in all {
        assert_eq!(PgType::parse_name(&ty.name()), Some(ty), "{}", ty.name());
    }
    assert_eq!(PgType::parse_name("money"), None);
    assert_eq!(PgType::Varchar(Some(20)).typmod(), 24);
    assert_eq!(PgType::Numeric { precision: Some(10), scale: Some(2) }.typmod(), (10 << 16 | 2) + 4);
    assert_eq!(PgType::Int4.typmod(), -1);
    let oids: Vec<u32> = all.iter().map(PgType::oid).collect();
    assert_eq!(
        oids,
        [21, 23, 20, 1700, 1700, 700, 701, 25, 1043, 1043, 1042, 16, 1082, 1114, 1184, 17, 114, 3802, 2950]
    );
    assert_eq!(PgType::Bytea.sqlite_type(), "BLOB");
    assert_eq!(PgType::Bool.sqlite_type(), "INTEGER");
    assert_eq!(PgType::Timestamptz.name(), "timestamp with time zone");
}

/// A schema whose row filter on `g` is not one condition.
struct BadFilter(&'static str);

impl sqlmap::Schema for BadFilter {
    fn column_type(&self, _table: &str, _column: &str) -> Option<PgType> {
        None
    }

    fn column_names(&self, _table: &str) -> Option<Vec<String>> {
        None
    }

    fn row_filter(&self, table: &str) -> Option<String> {
        (table == "g").then(|| self.0.to_string())
    }
}

#[test]
fn row_filters_that_are_not_one_condition_are_refused() {
    // A set operation tripped a debug assertion (a panic in debug builds);
    // a `;` let the last statement stand in for the filter.
    for filter in ["true UNION SELECT 1", "true; SELECT 1", "true; DROP TABLE g"] {
        let refused = sqlmap::plan_in("SELECT * FROM g", &BadFilter(filter)).map_err(|e| (e.sqlstate, e.message));
        assert_eq!(refused, Err(("XX000", "row filter of g is not a condition".to_string())), "{filter}");
    }
}
