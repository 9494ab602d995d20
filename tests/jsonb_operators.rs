//! jsonb's containment and existence operators (`@>`, `<@`, `?`, `?|`,
//! `?&`) and arrays' containment and overlap (`@>`, `<@`, `&&`) end to end
//! over the PostgreSQL wire, in the forms Django's JSONField and ArrayField
//! lookups send: in reads, in the WHERE of writes the chain executes, with
//! parameters, NULLs and bad operands, refused in DDL, and replayed.
//! Every expected answer is PostgreSQL 15's.

mod common;

use common::pg::{connect_as as connect, counts, refused, rows};
use common::Dev;

fn column(values: &[&str]) -> Vec<Vec<Option<String>>> {
    values.iter().map(|v| vec![Some(v.to_string())]).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jsonb_and_array_operators_answer_as_postgresql() {
    let dev = Dev::start("jsonb-operators");
    let c = connect(&dev, "admin").await;
    c.batch_execute(
        r#"CREATE TABLE books (id int PRIMARY KEY, data jsonb, tags text[], seen boolean DEFAULT false);
           INSERT INTO books (id, data, tags) VALUES
             (1, '{"genre": "letters", "pages": 120, "authors": ["ann", "bo"]}', '{a,b}'),
             (2, '{"genre": "novel", "pages": 300, "tags": {"x": 1}}', '{b,c}'),
             (3, '["pages", "genre", 7]', '{}'),
             (4, '"pages"', NULL),
             (5, NULL, '{a}')"#,
    )
    .await
    .unwrap();

    // Django's JSONField lookups: contains, contained_by, has_key,
    // has_any_keys, has_keys.
    for (sql, expected) in [
        (r#"SELECT "books"."id" FROM "books" WHERE "books"."data" @> '{"genre": "letters"}'::jsonb"#, &["1"][..]),
        (r#"SELECT id FROM books WHERE data @> '{"authors": ["bo"]}' ORDER BY id"#, &["1"]),
        (r#"SELECT id FROM books WHERE data @> '{"pages": 300.0}'"#, &["2"]),
        (r#"SELECT id FROM books WHERE data @> '"genre"' ORDER BY id"#, &["3"]),
        (r#"SELECT id FROM books WHERE data <@ '{"genre": "novel", "pages": 300, "tags": {"x": 1, "y": 2}}'"#, &["2"]),
        (r#"SELECT id FROM books WHERE data ? 'pages' ORDER BY id"#, &["1", "2", "3", "4"]),
        (r#"SELECT id FROM books WHERE data ? 'x' ORDER BY id"#, &[]),
        (r#"SELECT id FROM books WHERE data ?| ARRAY['tags', 'authors'] ORDER BY id"#, &["1", "2"]),
        (r#"SELECT id FROM books WHERE data ?& ARRAY['genre', 'pages'] ORDER BY id"#, &["1", "2", "3"]),
        (r#"SELECT id FROM books WHERE data ?& '{genre,authors}' ORDER BY id"#, &["1"]),
        (r#"SELECT id FROM books WHERE NOT data ? 'genre' ORDER BY id"#, &["4"]),
    ] {
        assert_eq!(rows(&c, sql).await, column(expected), "{sql}");
    }
    // The operators' results are booleans; NULL in is NULL out.
    assert_eq!(
        rows(&c, r#"SELECT '[1,2]'::jsonb @> '1', '1'::jsonb @> '[1]', '{"a":1}'::jsonb ? 'a', NULL::jsonb @> '{}'"#)
            .await,
        vec![vec![Some("t".into()), Some("f".into()), Some("t".into()), None]]
    );

    // Arrays: Django's ArrayField contains, contained_by and overlap.
    for (sql, expected) in [
        (r#"SELECT id FROM books WHERE tags @> ARRAY['a']::text[] ORDER BY id"#, &["1", "5"][..]),
        (r#"SELECT id FROM books WHERE tags <@ '{ a , b , z }' ORDER BY id"#, &["1", "3", "5"]),
        (r#"SELECT id FROM books WHERE tags && ARRAY['c', 'z'] ORDER BY id"#, &["2"]),
        (r#"SELECT id FROM books WHERE tags @> '{}' ORDER BY id"#, &["1", "2", "3", "5"]),
    ] {
        assert_eq!(rows(&c, sql).await, column(expected), "{sql}");
    }
    assert_eq!(
        rows(
            &c,
            "SELECT ARRAY[1,2,3] @> ARRAY[3,1,1], ARRAY[1,NULL] && ARRAY[NULL::int], '{1,2}'::int[] <@ '{ 2 , +1}'"
        )
        .await,
        vec![vec![Some("t".into()), Some("f".into()), Some("t".into())]]
    );

    // With parameters, as a driver sends them.
    let found: Vec<i32> = c
        .query(
            "SELECT id FROM books WHERE data @> $1::text::jsonb AND data ? $2 ORDER BY id",
            &[&r#"{"genre": "novel"}"#, &"tags"],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(found, vec![2]);

    // In writes, which every validator executes.
    assert_eq!(
        counts(&c, r#"UPDATE books SET seen = true WHERE data @> '{"genre": "letters"}' OR data ? 'tags'"#).await,
        vec![2]
    );
    assert_eq!(counts(&c, "UPDATE books SET seen = true WHERE tags && '{c,a}' AND NOT seen").await, vec![1]);
    assert_eq!(
        counts(
            &c,
            "DELETE FROM books WHERE data ?& ARRAY['pages', 'genre'] AND data <@ '[7, \"pages\", \"genre\", 8]'"
        )
        .await,
        vec![1]
    );
    assert_eq!(rows(&c, "SELECT id FROM books WHERE seen ORDER BY id").await, column(&["1", "2", "5"]));
    assert_eq!(rows(&c, "SELECT id FROM books ORDER BY id").await, column(&["1", "2", "4", "5"]));

    // Bad operands fail as in PostgreSQL, in reads and in writes.
    let bad_json = ("22P02".to_string(), "invalid input syntax for type json".to_string());
    assert_eq!(refused(&c, "SELECT id FROM books WHERE data @> '{x'").await, bad_json);
    assert_eq!(refused(&c, "UPDATE books SET seen = false WHERE data <@ 'nope'").await, bad_json);
    assert_eq!(
        refused(&c, "SELECT id FROM books WHERE data ?| 'a'").await,
        ("22P02".into(), "malformed array literal: \"a\"".into())
    );
    assert_eq!(
        refused(&c, "SELECT id FROM books WHERE tags @> '{a'").await,
        ("22P02".into(), "malformed array literal: \"{a\"".into())
    );
    // Not in DDL: the functions are the node's, not SQLite's.
    assert_eq!(
        refused(&c, "CREATE TABLE j (d jsonb CHECK (d ? 'a'))").await,
        ("0A000".into(), "the ? operator in DEFAULT, CHECK or an index expression is not supported".into())
    );
    assert_eq!(
        refused(&c, "CREATE INDEX books_letters ON books ((data @> '{\"genre\": \"letters\"}'))").await,
        ("0A000".into(), "the @> operator in DEFAULT, CHECK or an index expression is not supported".into())
    );

    drop(c);
    let out = common::verify(&dev.dir, true);
    assert!(out.status.success(), "verify --replay: {}", common::text(&out.stderr));
}
