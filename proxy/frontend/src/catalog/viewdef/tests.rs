//! Definitions against what real servers print: `cases.txt` holds
//! PostgreSQL 15's `pg_get_viewdef` for views over the tables below; the
//! MySQL texts are MariaDB 10.11's `SHOW CREATE VIEW` and
//! `information_schema.VIEWS` for the same queries.

use std::collections::BTreeMap;

use node_core::catalog::{ColumnMeta, TableMeta, ViewMeta};

use super::{check_expression, domain_check, domain_default, mysql, postgres};

fn meta(name: &str, columns: &[(&str, &str)], query: Option<&str>) -> TableMeta {
    let columns = columns.iter().map(|(name, ty)| ColumnMeta::computed(*name, *ty)).collect();
    let view = ViewMeta {
        query: query.unwrap_or_default().into(),
        column_names: Vec::new(),
        security_invoker: false,
        depends: Vec::new(),
    };
    let mut meta = TableMeta::new_view([0; 16], name.into(), String::new(), columns, view);
    if query.is_none() {
        meta.view = None; // a table
    }
    meta
}

/// The tables (and the one view other views read) of `cases.txt`.
fn relations() -> BTreeMap<String, TableMeta> {
    let tables: [(&str, &[(&str, &str)]); 5] = [
        (
            "t",
            &[
                ("a", "integer"),
                ("b", "text"),
                ("c", "character varying(10)"),
                ("d", "numeric(10,2)"),
                ("e", "boolean"),
            ],
        ),
        ("u", &[("id", "integer"), ("t_a", "integer"), ("name", "text")]),
        (
            "w",
            &[
                ("i", "integer"),
                ("s", "smallint"),
                ("g", "bigint"),
                ("d", "numeric(10,2)"),
                ("f", "double precision"),
                ("r", "real"),
                ("v", "character varying(10)"),
                ("ch", "character(3)"),
                ("tx", "text"),
                ("b", "boolean"),
                ("dt", "date"),
                ("ts", "timestamp without time zone"),
                ("tz", "timestamp with time zone"),
                ("j", "jsonb"),
            ],
        ),
        ("Mixed", &[("Id", "integer"), ("select", "text"), ("user", "integer"), ("name", "character varying(20)")]),
        ("v", &[("a", "integer"), ("b", "text")]),
    ];
    tables.iter().map(|(name, columns)| (name.to_string(), meta(name, columns, None))).collect()
}

struct Case {
    name: String,
    columns: Vec<String>,
    query: String,
    plain: String,
    pretty: String,
}

fn cases() -> Vec<Case> {
    let text = include_str!("cases.txt");
    let mut out = Vec::new();
    for block in text.split("\n== ").skip(1) {
        let (name, rest) = block.split_once('\n').unwrap();
        let (columns, rest) = rest.strip_prefix("columns: ").unwrap().split_once('\n').unwrap();
        let (query, rest) = rest.strip_prefix("query: ").unwrap().split_once('\n').unwrap();
        let (plain, pretty) = rest.strip_prefix("-- plain\n").unwrap().split_once("\n-- pretty\n").unwrap();
        out.push(Case {
            name: name.into(),
            columns: columns.split(" | ").map(str::to_string).collect(),
            query: query.into(),
            plain: plain.into(),
            pretty: pretty.trim_end_matches('\n').into(),
        });
    }
    out
}

fn view(case: &Case) -> TableMeta {
    let columns: Vec<(&str, &str)> = case.columns.iter().map(|c| (c.as_str(), "text")).collect();
    meta(&case.name, &columns, Some(&case.query))
}

#[test]
fn definitions_are_what_postgresql_prints() {
    let relations = relations();
    let relation = |name: &str| relations.get(name);
    let cases = cases();
    assert!(cases.len() > 30, "{} cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let view = view(case);
        for (pretty, expected) in [(false, &case.plain), (true, &case.pretty)] {
            let got = postgres(&view, &relation, pretty).unwrap();
            if &got != expected {
                failures.push(format!(
                    "{} (pretty: {pretty})\n  query: {}\n{got}\n  expected:\n{expected}",
                    case.name, case.query
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{} of {}:\n{}", failures.len(), cases.len() * 2, failures.join("\n\n"));
}

#[test]
fn what_is_not_read_is_shown_as_stored() {
    let relations = relations();
    let view = meta("f", &[("count", "bigint")], Some("SELECT count(*) FILTER (WHERE a > 1) FROM t"));
    assert_eq!(
        postgres(&view, &|name| relations.get(name), true).as_deref(),
        Some(" SELECT count(*) FILTER (WHERE a > 1) FROM t;")
    );
    assert_eq!(mysql(&view, &relations, None).as_deref(), Some("SELECT count(*) FILTER (WHERE a > 1) FROM t"));
    // A table has no definition.
    let table = relations.get("t").unwrap();
    assert_eq!(postgres(table, &|name| relations.get(name), true), None);
}

#[test]
fn names_unknown_to_the_catalog_stay_as_written() {
    let view = meta("g", &[("x", "text")], Some("SELECT x FROM gone WHERE y = 'é'"));
    let none = |_: &str| None;
    assert_eq!(postgres(&view, &none, true).unwrap(), " SELECT x\n   FROM gone\n  WHERE y = 'é'::text;");
}

#[test]
fn mysql_prints_as_mariadb_does() {
    let relations = relations();
    for (columns, query, expected) in [
        (
            &["a", "b"][..],
            "SELECT a, b FROM t WHERE a > 1",
            "select `t`.`a` AS `a`,`t`.`b` AS `b` from `t` where `t`.`a` > 1",
        ),
        (&["x", "y"], "SELECT a, b FROM t", "select `t`.`a` AS `x`,`t`.`b` AS `y` from `t`"),
        (
            &["a", "name"],
            "SELECT t.a, u.name FROM t JOIN u ON u.t_a = t.a WHERE t.b = 'x' AND t.c LIKE 'y%' OR a IN (1, 2)",
            "select `t`.`a` AS `a`,`u`.`name` AS `name` from (`t` join `u` on(`u`.`t_a` = `t`.`a`)) \
             where `t`.`b` = 'x' and `t`.`c` like 'y%' or `t`.`a` in (1,2)",
        ),
        (
            &["a+1", "count(*)", "mb"],
            "SELECT a + 1, count(*), max(b) AS mb FROM t GROUP BY a HAVING count(*) > 1 ORDER BY a LIMIT 5",
            "select `t`.`a` + 1 AS `a+1`,count(0) AS `count(*)`,max(`t`.`b`) AS `mb` from `t` group by `t`.`a` \
             having count(0) > 1 order by `t`.`a` limit 5",
        ),
        (&["1"], "SELECT 1", "select 1 AS `1`"),
    ] {
        let columns: Vec<(&str, &str)> = columns.iter().map(|c| (*c, "text")).collect();
        let view = meta("v", &columns, Some(query));
        assert_eq!(mysql(&view, &relations, None).unwrap(), expected, "{query}");
    }
    let view = meta("v", &[("a", "integer"), ("b", "text")], Some("SELECT a, b FROM t WHERE a > 1"));
    assert_eq!(
        mysql(&view, &relations, Some("rc")).unwrap(),
        "select `rc`.`t`.`a` AS `a`,`rc`.`t`.`b` AS `b` from `rc`.`t` where `rc`.`t`.`a` > 1"
    );
    // ORDER BY sees the tables of its SELECT.
    let view = meta("v", &[("a", "integer")], Some("SELECT a FROM t ORDER BY b DESC"));
    assert_eq!(
        mysql(&view, &relations, Some("rc")).unwrap(),
        "select `rc`.`t`.`a` AS `a` from `rc`.`t` order by `rc`.`t`.`b` desc"
    );
    // Aliased and derived relations are not qualified by the schema.
    let view = meta("v", &[("a", "integer")], Some("SELECT s.a FROM (SELECT a FROM t x WHERE x.a || 'q' = 'r') s"));
    assert_eq!(
        mysql(&view, &relations, Some("rc")).unwrap(),
        "select `s`.`a` AS `a` from (select `x`.`a` AS `a` from `rc`.`t` `x` where concat(`x`.`a`,'q') = 'r') `s`"
    );
}

#[test]
fn tables_of_other_schemas_print_qualified() {
    let mut relations = relations();
    let orders = meta("sales.orders", &[("id", "integer"), ("note", "text")], None);
    relations.insert(orders.name.clone(), orders);
    let relation = |name: &str| relations.get(name);
    let view = meta("v", &[("id", "integer"), ("note", "text")], Some("SELECT id, note FROM sales.orders"));
    assert_eq!(postgres(&view, &relation, true).unwrap(), " SELECT orders.id,\n    orders.note\n   FROM sales.orders;");
    assert_eq!(
        mysql(&view, &relations, Some("rc")).unwrap(),
        "select `sales`.`orders`.`id` AS `id`,`sales`.`orders`.`note` AS `note` from `sales`.`orders`"
    );
    // `public.` and a catalog's schema are on the search path.
    let view = meta("v", &[("a", "integer")], Some("SELECT a FROM public.t"));
    assert_eq!(postgres(&view, &relation, true).unwrap(), " SELECT t.a\n   FROM t;");
    // Relations are named uniquely across the levels, whatever their schema.
    let mut relations = relations.clone();
    relations.insert("sales.t".into(), meta("sales.t", &[("a", "integer")], None));
    let view = meta("v", &[("a", "integer")], Some("SELECT a FROM t WHERE a IN (SELECT a FROM sales.t)"));
    assert_eq!(
        postgres(&view, &|name| relations.get(name), true).unwrap(),
        " SELECT t.a\n   FROM t\n  WHERE (t.a IN ( SELECT t_1.a\n           FROM sales.t t_1));"
    );
}

/// Any text, cut anywhere or with anything put in, reads or falls back:
/// never a panic.
#[test]
fn no_text_panics() {
    let relations = relations();
    let relation = |name: &str| relations.get(name);
    let inserts = ["(", ")", "'", "\"", "é", "::", " AND ", ",", "*", "-", " ", "CASE ", "SELECT ", "$1"];
    for case in cases() {
        let query = &case.query;
        let cuts = query.char_indices().map(|(at, _)| at).chain([query.len()]);
        for at in cuts {
            let (head, tail) = query.split_at(at);
            let mut texts = vec![head.to_string()];
            texts.extend(inserts.iter().map(|insert| format!("{head}{insert}{tail}")));
            for text in texts {
                let view = meta("v", &[("a", "text")], Some(&text));
                for pretty in [false, true] {
                    assert!(postgres(&view, &relation, pretty).is_some(), "{text}");
                }
                assert!(mysql(&view, &relations, Some("rc")).is_some(), "{text}");
            }
        }
    }
}

/// The columns of the table `check_cases.txt`'s checks are declared on.
const CHECK_COLUMNS: &str = "i integer, s smallint, g bigint, d numeric(10,2), f double precision, r real, \
                             v varchar(10), ch char(3), tx text, b boolean, dt date, ts timestamp, tz timestamptz";

/// `check_cases.txt`: (expression, plain definition, pretty definition).
fn check_cases() -> Vec<(String, String, String)> {
    let text = include_str!("check_cases.txt");
    let mut out = Vec::new();
    for block in text.split("\n== ").skip(1) {
        let (expression, rest) = block.split_once('\n').unwrap();
        let (plain, pretty) = rest.strip_prefix("-- plain\n").unwrap().split_once("\n-- pretty\n").unwrap();
        out.push((expression.to_string(), plain.to_string(), pretty.trim_end_matches('\n').to_string()));
    }
    out
}

/// A check as the catalog reads it back: `expression` declared on the
/// table `ck` of [`CHECK_COLUMNS`], planned by sqlmap into its SQLite
/// text, read from there (`sqlmap::table_checks`) and printed.
fn check_definitions(expression: &str) -> (String, (Option<String>, Option<String>)) {
    let sql = format!("CREATE TABLE ck ({CHECK_COLUMNS}, CONSTRAINT c CHECK ({expression}))");
    let plans = sqlmap::plan(&sql).unwrap_or_else(|e| panic!("{sql}: {e:?}"));
    let Some(sqlmap::Plan::Ddl(sqlmap::DdlPlan::CreateTable(create))) = plans.into_iter().next() else {
        panic!("{sql}")
    };
    let columns: Vec<(String, String)> = create.columns.iter().map(|c| (c.name.clone(), c.ty.name())).collect();
    let type_of = |name: &str| create.columns.iter().find(|c| c.name == name).map(|c| c.ty);
    let checks = sqlmap::table_checks(&create.sqlite, "ck", &type_of);
    let [check] = checks.as_slice() else { panic!("{}: {checks:?}", create.sqlite) };
    let print = |pretty| check_expression(&check.expression, "ck", &columns, pretty).map(|e| format!("CHECK ({e})"));
    (check.expression.clone(), (print(false), print(true)))
}

#[test]
fn checks_are_what_postgresql_prints() {
    let cases = check_cases();
    assert!(cases.len() > 40, "{} cases", cases.len());
    let mut failures = Vec::new();
    for (expression, plain, pretty) in &cases {
        let (stored, got) = check_definitions(expression);
        if got != (Some(plain.clone()), Some(pretty.clone())) {
            failures.push(format!(
                "{expression}\n  stored: {stored}\n  got: {got:?}\n  expected: {plain}\n            {pretty}"
            ));
        }
    }
    assert!(failures.is_empty(), "{} of {}:\n{}", failures.len(), cases.len(), failures.join("\n\n"));
}

#[test]
fn checks_not_read_are_none() {
    let columns = vec![("a".to_string(), "integer".to_string())];
    for text in ["", "\"a\" >", "\"a\" > 0)", "\"a\" IN (1", "$1 > 0", "\"a\"[1] > 0"] {
        assert_eq!(check_expression(text, "t", &columns, true), None, "{text}");
    }
    // A column of another relation or none stays as written.
    assert_eq!(
        check_expression("\"b\" > 0 AND \"t\".\"a\" > 1", "t", &columns, true).as_deref(),
        Some("b > 0 AND a > 1")
    );
}

/// Any CHECK text, cut anywhere or with anything put in, reads or is
/// `None`: never a panic.
#[test]
fn no_check_text_panics() {
    let columns = vec![("i".to_string(), "integer".to_string()), ("b".to_string(), "boolean".to_string())];
    let inserts = ["(", ")", "'", "\"", "é", "::", " AND ", ",", "-", " ", "CASE ", "ESCAPE ", "lower(", "rc_regex("];
    for (expression, _, _) in check_cases() {
        let (stored, _) = check_definitions(&expression);
        let cuts = stored.char_indices().map(|(at, _)| at).chain([stored.len()]);
        for at in cuts {
            let (head, tail) = stored.split_at(at);
            let mut texts = vec![head.to_string()];
            texts.extend(inserts.iter().map(|insert| format!("{head}{insert}{tail}")));
            for text in texts {
                for pretty in [false, true] {
                    let _ = check_expression(&text, "ck", &columns, pretty);
                }
            }
        }
    }
}

/// A domain's checks and default as PostgreSQL 15 prints them (from a real
/// server: `pg_get_constraintdef(oid)`, `pg_get_constraintdef(oid, true)`,
/// `pg_type.typdefault`), from the text sqlparser gives a `CREATE DOMAIN`.
#[test]
fn domain_checks_are_what_postgresql_prints() {
    let cases = [
        ("VALUE > 0", "integer", "(VALUE > 0)", "VALUE > 0"),
        ("octet_length(VALUE) = 16", "bytea", "(octet_length(VALUE) = 16)", "octet_length(VALUE) = 16"),
        (
            "VALUE ~ '^[a-z]+$'",
            "character varying(10)",
            "((VALUE)::text ~ '^[a-z]+$'::text)",
            "VALUE::text ~ '^[a-z]+$'::text",
        ),
        (
            "VALUE IN ('a', 'b')",
            "character varying(10)",
            "((VALUE)::text = ANY ((ARRAY['a'::character varying, 'b'::character varying])::text[]))",
            "VALUE::text = ANY (ARRAY['a'::character varying, 'b'::character varying]::text[])",
        ),
    ];
    for (condition, base, plain, pretty) in cases {
        assert_eq!(domain_check(condition, base, false).as_deref(), Some(plain), "{condition}");
        assert_eq!(domain_check(condition, base, true).as_deref(), Some(pretty), "{condition}");
    }
    assert_eq!(domain_default("1", "integer").as_deref(), Some("1"));
    assert_eq!(domain_default("'x'", "character varying(10)").as_deref(), Some("'x'::character varying"));
    // A column named "VALUE" in a table's check is a column, quoted.
    let columns = vec![("VALUE".to_string(), "integer".to_string())];
    assert_eq!(check_expression("\"VALUE\" > 0", "t", &columns, true).as_deref(), Some("\"VALUE\" > 0"));
}
