//! Deep statements are refused before they can overflow the stack: a
//! chain such as `1 + 1 + ... + 1` used to be planned by recursion one
//! level per operator, and about 40 levels overflowed a 2 MiB thread stack
//! in a debug build (about 2,400 in release), aborting the process.
//! Each shape here plans at its deepest accepted size within 1 MiB of
//! stack, and one more level is refused with 54001.

use sqlmap::{
    param_hints, plan_dialect, plan_in, plan_with_text_dialect, plan_with_text_in, result_hints_in, result_types,
    Dialect, PgType, Schema,
};

/// Typed columns, so casts and comparisons take their typed paths, and a
/// row filter on `g`.
struct Typed;

impl Schema for Typed {
    fn column_type(&self, _table: &str, column: &str) -> Option<PgType> {
        Some(match column {
            "flag" => PgType::Bool,
            "doc" => PgType::Jsonb,
            _ => PgType::Int4,
        })
    }

    fn column_names(&self, _table: &str) -> Option<Vec<String>> {
        Some(vec!["id".into(), "flag".into(), "doc".into()])
    }

    fn row_filter(&self, table: &str) -> Option<String> {
        (table == "g").then(|| "owner = current_user".into())
    }
}

fn repeat(item: &str, separator: &str, n: usize) -> String {
    vec![item; n].join(separator)
}

/// (name, statement of size n, the largest n planned).
type Shape = (&'static str, fn(usize) -> String, usize);

const SHAPES: &[Shape] = &[
    ("plus", |n| format!("SELECT {}", repeat("1", " + ", n)), 199),
    ("or", |n| format!("SELECT 1 FROM t WHERE {}", repeat("a = 1", " OR ", n)), 100),
    ("cast", |n| format!("SELECT a{}", "::int".repeat(n)), 99),
    ("cast jsonb", |n| format!("SELECT doc{} FROM t", "::jsonb".repeat(n)), 98),
    ("cast bool text", |n| format!("SELECT flag{} FROM t", "::text::bool".repeat(n)), 49),
    ("division", |n| format!("SELECT {}", repeat("a", " / ", n)), 199),
    ("regex", |n| format!("SELECT a{}", " ~ 'x'".repeat(n)), 198),
    ("ilike", |n| format!("SELECT a{}", " ILIKE 'x'".repeat(n)), 198),
    ("subscript", |n| format!("SELECT a{} FROM t", "[1]".repeat(n)), 197),
    ("at time zone", |n| format!("SELECT a{}", " AT TIME ZONE 'UTC'".repeat(n)), 66),
    ("case", |n| format!("SELECT {}1{}", "CASE WHEN a THEN ".repeat(n), " END".repeat(n)), 99),
    ("union", |n| repeat("SELECT 1, 2", " UNION ", n), 199),
    ("union all filtered", |n| repeat("SELECT flag::text, a::int FROM g", " UNION ALL ", n), 193),
    ("insert", |n| format!("INSERT INTO t (id, flag) VALUES ({}, true)", repeat("1", "+", n)), 194),
    ("update filtered", |n| format!("UPDATE g SET flag = true WHERE {}", repeat("id = 1", " AND ", n)), 66),
];

/// MySQL shapes: (name, statement of size n, the largest n planned).
const MYSQL_SHAPES: &[Shape] = &[
    ("plus", |n| format!("SELECT {}", repeat("1", " + ", n)), 199),
    ("concat", |n| format!("SELECT {}a{}", "CONCAT(".repeat(n), ", 'x')".repeat(n)), 46),
    ("ifnull", |n| format!("SELECT {}a{}", "IFNULL(".repeat(n), ", 1)".repeat(n)), 46),
    ("date_format", |n| format!("SELECT {}a{}", "DATE_FORMAT(".repeat(n), ", '%Y-%m')".repeat(n)), 46),
    ("now in insert", |n| format!("INSERT INTO t (id) VALUES ({})", repeat("NOW()", " + ", n)), 96),
    (
        "upsert",
        |n| format!("INSERT INTO t SET id = 1 ON DUPLICATE KEY UPDATE id = {}", repeat("VALUES(id)", " + ", n)),
        64,
    ),
];

/// Runs every entry point that takes text on `sql` as MySQL, on a thread
/// with 1 MiB of stack.
fn plan_mysql_on_small_stack(sql: String) {
    let thread = std::thread::Builder::new().stack_size(1 << 20).spawn(move || {
        let planned = plan_dialect(&sql, &Typed, Dialect::MySql).map(|plans| plans.len());
        let _ = plan_with_text_dialect(&sql, &Typed, Dialect::MySql);
        planned
    });
    let planned = thread.map(|t| t.join());
    assert!(matches!(planned, Ok(Ok(Ok(_)))), "{planned:?}");
}

#[test]
fn deepest_accepted_mysql_statements_fit_in_one_mebibyte_of_stack() {
    for &(name, shape, largest) in MYSQL_SHAPES {
        let too_deep = plan_dialect(&shape(largest + 1), &Typed, Dialect::MySql).map(|plans| plans.len());
        let refused = too_deep.as_ref().map_err(|e| (e.sqlstate, e.message.as_str(), e.position));
        assert_eq!(refused, Err(("54001", "statement is too deeply nested", None)), "{name}");
        let accepted = plan_dialect(&shape(largest), &Typed, Dialect::MySql).map(|plans| plans.len());
        assert!(!matches!(&accepted, Err(e) if e.sqlstate == "54001"), "{name}: {accepted:?}");
        plan_mysql_on_small_stack(shape(largest));
    }
    let members: Vec<String> = (0..64).map(|i| format!("'m{i}'")).collect();
    plan_mysql_on_small_stack(format!("CREATE TABLE t (s SET({}))", members.join(", ")));
}

#[test]
fn nested_date_formats_that_repeat_their_operand_are_bounded() {
    // `%e` repeats the date operand, so its text grew exponentially with nesting.
    let nested = |n: usize| format!("SELECT {}a{}", "DATE_FORMAT(".repeat(n), ", '%e-%c')".repeat(n));
    assert!(plan_dialect(&nested(5), &Typed, Dialect::MySql).is_ok());
    let refused = plan_dialect(&nested(6), &Typed, Dialect::MySql).map_err(|e| (e.sqlstate, e.message));
    assert_eq!(refused, Err(("54001", "the date operand of DATE_FORMAT is too long".to_string())));
    let deep = plan_dialect(&nested(40), &Typed, Dialect::MySql).map_err(|e| e.sqlstate);
    assert_eq!(deep, Err("54001"));
}

/// Runs every entry point that takes text on `sql`, on a thread with 1 MiB
/// of stack; an overflow aborts the test binary.
fn plan_on_small_stack(sql: String) {
    let thread = std::thread::Builder::new().stack_size(1 << 20).spawn(move || {
        let planned = plan_in(&sql, &Typed).map(|plans| plans.len());
        let _ = plan_with_text_in(&sql, &Typed);
        let _ = (param_hints(&sql), result_hints_in(&sql, &Typed), result_types(&sql));
        planned
    });
    let planned = thread.map(|t| t.join());
    assert!(matches!(planned, Ok(Ok(_))), "{planned:?}");
}

#[test]
fn deepest_accepted_statements_fit_in_one_mebibyte_of_stack() {
    for &(name, shape, largest) in SHAPES {
        let too_deep = plan_in(&shape(largest + 1), &Typed).map(|plans| plans.len());
        let refused = too_deep.as_ref().map_err(|e| (e.sqlstate, e.message.as_str(), e.position));
        assert_eq!(refused, Err(("54001", "statement is too deeply nested", None)), "{name}");
        let accepted = plan_in(&shape(largest), &Typed).map(|plans| plans.len());
        assert!(!matches!(&accepted, Err(e) if e.sqlstate == "54001"), "{name}: {accepted:?}");
        plan_on_small_stack(shape(largest));
    }
}

#[test]
fn long_flat_lists_are_not_deep() {
    let statements = [
        format!("SELECT 1 FROM t WHERE a IN ({})", repeat("1", ", ", 20_000)),
        format!("INSERT INTO t (id, flag, doc) VALUES {}", repeat("(-1 + 2, 't', '[1]')", ", ", 5_000)),
        format!("SELECT {} FROM t", repeat("a + 1 AS x", ", ", 5_000)),
        format!("SELECT CASE {} END FROM t", repeat("WHEN a = 1 THEN 'x'", " ", 1_000)),
        format!("SELECT * FROM t0 {}", (1..60).map(|i| format!(" JOIN t{i} ON t{i}.id = t0.id")).collect::<String>()),
        format!("SELECT 1; {}", repeat("SELECT 1 + 1 + 1", "; ", 1_000)),
    ];
    for sql in statements {
        let planned = plan_in(&sql, &Typed);
        assert!(planned.is_ok(), "{}: {planned:?}", sql.get(..60).unwrap_or(&sql));
    }
}

#[test]
fn long_flat_mysql_lists_are_not_deep() {
    let insert = format!("INSERT INTO t (id, flag) VALUES {}", repeat("(?, ?)", ", ", 5_000));
    let planned = plan_dialect(&insert, &Typed, Dialect::MySql).map(|plans| format!("{:?}", plans.first()).len());
    assert!(planned.is_ok(), "{planned:?}");
    let params = plan_dialect(&insert, &Typed, Dialect::MySql)
        .map(|plans| plans.first().map(|plan| format!("{plan:?}").contains("param_count: 10000")));
    assert_eq!(params, Ok(Some(true)));
    let statements = [
        format!("SELECT 1 FROM t WHERE a IN ({})", repeat("1", ", ", 20_000)),
        format!("INSERT INTO t SET {}", repeat("id = 1", ", ", 5_000)),
        format!("SELECT {} FROM t", repeat("CONCAT(a, 'x')", ", ", 5_000)),
        format!("SELECT 1; {}", repeat("SELECT 1 + 1 + 1", "; ", 1_000)),
    ];
    for sql in statements {
        let planned = plan_dialect(&sql, &Typed, Dialect::MySql);
        assert!(planned.is_ok(), "{}: {planned:?}", sql.get(..60).unwrap_or(&sql));
    }
}

const XOR_TERMS_MAX: usize = 9;

#[test]
fn xor_chains_are_bounded() {
    // `#` is computed from each operand twice, so its text doubled per level.
    for n in 2..=XOR_TERMS_MAX {
        let planned = plan_in(&format!("SELECT {}", repeat("a", " # ", n)), &Typed);
        assert!(planned.is_ok(), "{planned:?}");
    }
    let refused = plan_in(&format!("SELECT {}", repeat("a", " # ", XOR_TERMS_MAX + 1)), &Typed)
        .map_err(|e| (e.sqlstate, e.message));
    assert_eq!(refused, Err(("54001", "the operands of # are too long".to_string())));
}
