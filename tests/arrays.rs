//! Arrays end to end over the PostgreSQL wire: array columns as chain state
//! (every written value checked and stored canonical, defaults, UNIQUE,
//! `= ANY`, subscripts, `array_length`), values and parameters described as
//! PostgreSQL's array types and sent in its binary format (tokio-postgres
//! binds and reads `Vec<i32>`, `Vec<Option<String>>`, ...), `int2vector` /
//! `oidvector`, and a full replay of the writes.

mod common;

use common::pg::{connect_as as connect, refused, rows};
use common::Dev;

fn column(values: &[&str]) -> Vec<Vec<Option<String>>> {
    values.iter().map(|v| vec![Some(v.to_string())]).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arrays_are_stored_checked_and_sent_as_postgresql_does() {
    let dev = Dev::start("arrays");
    let c = connect(&dev, "admin").await;

    // Written values are checked with the element type's input rules and
    // stored in PostgreSQL's output form.
    c.batch_execute(
        "CREATE TABLE posts (id int PRIMARY KEY, tags text[] DEFAULT '{ draft }', scores int[], flags boolean[],
                             codes varchar(3)[], amounts numeric(6,2)[], UNIQUE (scores));
         INSERT INTO posts (id, tags, scores, flags, codes, amounts)
             VALUES (1, '{ b , \"a c\", NULL}', ARRAY[3, 1, 2], '{yes,0}', '{abc}', '{1.5, 2}'),
                    (2, ARRAY['x'], '{ 10 }', ARRAY[true], NULL, '{}');
         INSERT INTO posts (id) VALUES (3)",
    )
    .await
    .unwrap();
    assert_eq!(
        rows(&c, "SELECT tags, scores, flags, codes, amounts FROM posts WHERE id = 1").await,
        vec![vec![
            Some("{b,\"a c\",NULL}".into()),
            Some("{3,1,2}".into()),
            Some("{t,f}".into()),
            Some("{abc}".into()),
            Some("{1.50,2.00}".into()),
        ]]
    );
    assert_eq!(rows(&c, "SELECT tags FROM posts WHERE id = 3").await, column(&["{draft}"]));
    for (sql, state, message) in [
        ("INSERT INTO posts (id, scores) VALUES (9, '{1,x}')", "22P02", "invalid input syntax for type integer: \"x\""),
        ("INSERT INTO posts (id, scores) VALUES (9, '{1,2')", "22P02", "malformed array literal: \"{1,2\""),
        ("INSERT INTO posts (id, scores) VALUES (9, '{{1},{2}}')", "22P02", "malformed array literal: \"{{1},{2}}\""),
        (
            "INSERT INTO posts (id, scores) VALUES (9, ARRAY[1, 3000000000])",
            "22003",
            "value \"3000000000\" is out of range for type integer",
        ),
        (
            "UPDATE posts SET codes = ARRAY['abcd'] WHERE id = 2",
            "22001",
            "value too long for type character varying(3)",
        ),
        (
            "UPDATE posts SET flags = '{maybe}' WHERE id = 2",
            "22P02",
            "invalid input syntax for type boolean: \"maybe\"",
        ),
        ("CREATE TABLE bad (f float8[])", "0A000", "columns of type double precision[] are not supported"),
    ] {
        assert_eq!(refused(&c, sql).await, (state.to_string(), message.to_string()), "{sql}");
    }
    // Equal arrays are equal text, however they were written: UNIQUE holds.
    let duplicate = refused(&c, "INSERT INTO posts (id, scores) VALUES (4, '{ +10}')").await;
    assert_eq!(duplicate.0, "23505", "{duplicate:?}");

    // Reading them apart.
    assert_eq!(
        rows(&c, "SELECT id FROM posts WHERE 'x' = ANY(tags) OR 3 = ANY(scores) ORDER BY id").await,
        column(&["1", "2"])
    );
    assert_eq!(
        rows(&c, "SELECT scores[1], array_length(scores, 1), cardinality(tags) FROM posts WHERE id = 1").await,
        vec![vec![Some("3".into()), Some("3".into()), Some("3".into())]]
    );
    assert_eq!(rows(&c, "SELECT id FROM posts WHERE scores = '{ 3,1 , 2 }'").await, column(&["1"]));

    // Columns, results and parameters are described as array types, and
    // tokio-postgres reads and binds them in the binary format.
    let row = c.query_one("SELECT scores, tags, flags FROM posts WHERE id = 1", &[]).await.unwrap();
    assert_eq!(row.columns()[0].type_().name(), "_int4");
    assert_eq!(row.get::<_, Vec<i32>>(0), vec![3, 1, 2]);
    assert_eq!(row.get::<_, Vec<Option<String>>>(1), vec![Some("b".into()), Some("a c".into()), None]);
    assert_eq!(row.get::<_, Vec<bool>>(2), vec![true, false]);
    let row = c
        .query_one("SELECT $1::integer[], ARRAY[1,2]::int[], ARRAY[]::text[], NULL::int[]", &[&vec![7i32, -1]])
        .await
        .unwrap();
    assert_eq!(row.get::<_, Vec<i32>>(0), vec![7, -1]);
    assert_eq!(row.get::<_, Vec<i32>>(1), vec![1, 2]);
    assert_eq!(row.get::<_, Vec<String>>(2), Vec::<String>::new());
    assert_eq!(row.get::<_, Option<Vec<i32>>>(3), None);
    let ids: Vec<i32> = c
        .query("SELECT id FROM posts WHERE id = ANY($1) ORDER BY id", &[&vec![1i32, 3]])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(ids, vec![1, 3]);
    // A bound array parameter written to an array column (binary in).
    c.execute(
        "INSERT INTO posts (id, scores, tags) VALUES ($1, $2, $3)",
        &[&5i32, &vec![5i32, 6], &vec![Some("p q"), None]],
    )
    .await
    .unwrap();
    assert_eq!(
        rows(&c, "SELECT scores, tags FROM posts WHERE id = 5").await,
        vec![vec![Some("{5,6}".into()), Some("{\"p q\",NULL}".into())]]
    );
    // The catalog's integer vectors.
    let row = c.query_one("SELECT ARRAY[0,1,2]::oidvector, $1::int2vector", &[&vec![3i16, 4]]).await.unwrap();
    assert_eq!((row.columns()[0].type_().name(), row.columns()[1].type_().name()), ("oidvector", "int2vector"));
    assert_eq!(row.get::<_, Vec<u32>>(0), vec![0, 1, 2]);
    assert_eq!(row.get::<_, Vec<i16>>(1), vec![3, 4]);
    // pg_attribute and format_type show the column types as PostgreSQL does.
    assert_eq!(
        rows(&c, "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'posts'::regclass AND attnum > 1 ORDER BY attnum").await,
        column(&["text[]", "integer[]", "boolean[]", "character varying(3)[]", "numeric(6,2)[]"])
    );

    drop(c);
    let out = common::verify(&dev.dir, true);
    assert!(out.status.success(), "verify --replay: {}", common::text(&out.stderr));
}
