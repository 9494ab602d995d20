//! `unnest` in FROM and `c.confkey[1]` end to end over the PostgreSQL wire,
//! with the answers PostgreSQL 15 gives: one array and several zipped
//! (the shorter padded with NULL), `WITH ORDINALITY` and column aliases,
//! Django's bulk insert (`INSERT … SELECT * FROM UNNEST(…::bigint[], …)
//! RETURNING`), and Django's introspection statements, whose `unnest`
//! reads the FROM item to its left (`FROM pg_index i, unnest(i.indkey,
//! i.indoption)`) or the enclosing query (`array(SELECT … FROM
//! unnest(c.conkey) …)`).

mod common;

use common::pg::{connect_as as connect, rows};
use common::Dev;

fn row(values: &[Option<&str>]) -> Vec<Option<String>> {
    values.iter().map(|v| v.map(str::to_string)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unnest_in_from_and_subscripted_columns_answer_as_postgresql() {
    let dev = Dev::start("arrays-unnest");
    let admin = connect(&dev, "admin").await;

    assert_eq!(rows(&admin, "SELECT x FROM unnest(ARRAY[1,2]) x").await, vec![row(&[Some("1")]), row(&[Some("2")])]);
    assert_eq!(
        rows(&admin, "SELECT * FROM unnest(ARRAY[1,2], ARRAY['a']) WITH ORDINALITY").await,
        vec![row(&[Some("1"), Some("a"), Some("1")]), row(&[Some("2"), None, Some("2")])]
    );
    assert_eq!(
        rows(&admin, "SELECT v, n FROM unnest('{5,NULL,7}'::int[]) WITH ORDINALITY AS u(v, n) WHERE n > 1").await,
        vec![row(&[None, Some("2")]), row(&[Some("7"), Some("3")])]
    );
    // An int2vector is an array too; its elements come out in order.
    assert_eq!(
        rows(&admin, "SELECT k FROM unnest('3 1 2'::int2vector) AS k").await,
        vec![row(&[Some("3")]), row(&[Some("1")]), row(&[Some("2")])]
    );

    admin
        .batch_execute(
            "CREATE TABLE author (id bigserial PRIMARY KEY, name varchar(50) NOT NULL UNIQUE, active boolean);
             CREATE TABLE book (id bigserial PRIMARY KEY, author_id bigint NOT NULL REFERENCES author (id), title text, pos int);
             CREATE UNIQUE INDEX book_author_pos ON book (author_id, pos)",
        )
        .await
        .unwrap();

    // Django's bulk_create: one array per column, elements cast to the column types.
    assert_eq!(
        rows(
            &admin,
            "INSERT INTO author (name, active) SELECT * FROM UNNEST((ARRAY['ann', 'bob'])::varchar[], \
             (ARRAY[true, false])::boolean[]) RETURNING author.id",
        )
        .await,
        vec![row(&[Some("1")]), row(&[Some("2")])]
    );
    assert_eq!(
        rows(
            &admin,
            "INSERT INTO book (author_id, title, pos) SELECT * FROM UNNEST((ARRAY[1, 2, 1])::bigint[], \
             (ARRAY['a', 'b c', NULL])::text[], (ARRAY[1, 1, 2])::integer[]) RETURNING book.id, book.title",
        )
        .await,
        vec![row(&[Some("1"), Some("a")]), row(&[Some("2"), Some("b c")]), row(&[Some("3"), None])]
    );
    assert_eq!(
        rows(
            &admin,
            "SELECT a.name, a.active, b.title, b.pos FROM book b JOIN author a ON a.id = b.author_id ORDER BY b.id"
        )
        .await,
        vec![
            row(&[Some("ann"), Some("t"), Some("a"), Some("1")]),
            row(&[Some("bob"), Some("f"), Some("b c"), Some("1")]),
            row(&[Some("ann"), Some("t"), None, Some("2")]),
        ]
    );

    // Django's get_constraints, first statement: unnest of the enclosing row's conkey.
    let constraints =
        "SELECT c.conname, array(SELECT attname FROM unnest(c.conkey) WITH ORDINALITY cols(colid, arridx) \
         JOIN pg_attribute AS ca ON cols.colid = ca.attnum WHERE ca.attrelid = c.conrelid ORDER BY cols.arridx), \
         c.contype, (SELECT fkc.relname || '.' || fka.attname FROM pg_attribute AS fka JOIN pg_class AS fkc \
         ON fka.attrelid = fkc.oid WHERE fka.attrelid = c.confrelid AND fka.attnum = c.confkey[1]), cl.reloptions \
         FROM pg_constraint AS c JOIN pg_class AS cl ON c.conrelid = cl.oid \
         WHERE cl.relname = 'book' AND pg_catalog.pg_table_is_visible(cl.oid) ORDER BY 1";
    assert_eq!(
        rows(&admin, constraints).await,
        vec![
            row(&[Some("book_author_id_fkey"), Some("{author_id}"), Some("f"), Some("author.id"), None]),
            row(&[Some("book_pkey"), Some("{id}"), Some("p"), None, None]),
        ]
    );
    // Its second: unnest beside pg_index, reading i.indkey and i.indoption.
    let indexes = "SELECT indexname, array_agg(attname ORDER BY arridx), indisunique, indisprimary, \
         array_agg(ordering ORDER BY arridx), amname, exprdef, s2.attoptions FROM (SELECT c2.relname as indexname, \
         idx.*, attr.attname, am.amname, CASE WHEN idx.indexprs IS NOT NULL THEN pg_get_indexdef(idx.indexrelid) END \
         AS exprdef, CASE am.amname WHEN 'btree' THEN CASE (option & 1) WHEN 1 THEN 'DESC' ELSE 'ASC' END END as \
         ordering, c2.reloptions as attoptions FROM (SELECT * FROM pg_index i, unnest(i.indkey, i.indoption) WITH \
         ORDINALITY koi(key, option, arridx)) idx LEFT JOIN pg_class c ON idx.indrelid = c.oid LEFT JOIN pg_class c2 \
         ON idx.indexrelid = c2.oid LEFT JOIN pg_am am ON c2.relam = am.oid LEFT JOIN pg_attribute attr ON \
         attr.attrelid = c.oid AND attr.attnum = idx.key WHERE c.relname = 'book' AND \
         pg_catalog.pg_table_is_visible(c.oid)) s2 GROUP BY indexname, indisunique, indisprimary, amname, exprdef, \
         attoptions ORDER BY 1";
    assert_eq!(
        rows(&admin, indexes).await,
        vec![
            row(&[
                Some("book_author_pos"),
                Some("{author_id,pos}"),
                Some("t"),
                Some("f"),
                Some("{ASC,ASC}"),
                Some("btree"),
                None,
                None
            ]),
            row(&[Some("book_pkey"), Some("{id}"), Some("t"), Some("t"), Some("{ASC}"), Some("btree"), None, None]),
        ]
    );
    // get_relations: the first key column of each side.
    let relations = "SELECT a1.attname, c2.relname, a2.attname FROM pg_constraint con \
         LEFT JOIN pg_class c1 ON con.conrelid = c1.oid LEFT JOIN pg_class c2 ON con.confrelid = c2.oid \
         LEFT JOIN pg_attribute a1 ON c1.oid = a1.attrelid AND a1.attnum = con.conkey[1] \
         LEFT JOIN pg_attribute a2 ON c2.oid = a2.attrelid AND a2.attnum = con.confkey[1] \
         WHERE c1.relname = 'book' AND con.contype = 'f' AND c1.relnamespace = c2.relnamespace \
         AND pg_catalog.pg_table_is_visible(c1.oid)";
    assert_eq!(rows(&admin, relations).await, vec![row(&[Some("author_id"), Some("author"), Some("id")])]);
    // The lateral form spelled out: `*` lists pg_index's columns, then the unnest's.
    assert_eq!(
        rows(
            &admin,
            "SELECT key, option, arridx FROM (SELECT * FROM pg_index i, unnest(i.indkey, i.indoption) \
             WITH ORDINALITY koi(key, option, arridx) WHERE i.indexrelid = 'book_author_pos'::regclass) x ORDER BY arridx",
        )
        .await,
        vec![row(&[Some("2"), Some("0"), Some("1")]), row(&[Some("4"), Some("0"), Some("2")])]
    );
}
