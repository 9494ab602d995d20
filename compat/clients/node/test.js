'use strict';
// node-postgres (pg) against PostgreSQL or rowchain.
//
// Connection from PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE (pg reads them
// itself); tables prefixed with RC_PREFIX; RC_TARGET=rowchain adds the
// rowchain.transactions checks.
//
// pg sends every parameterized query through the extended protocol with all
// parameter type OIDs left 0 (unspecified) and values as text, so the server
// must infer each parameter's type from its context. Results come back as text.

const crypto = require('crypto');
const { Client, types } = require('pg');

const TARGET = process.env.RC_TARGET || 'postgres';
const PREFIX = process.env.RC_PREFIX || 't_' + crypto.randomBytes(4).toString('hex');
const TYPES = `${PREFIX}ntypes`;
const ITEMS = `${PREFIX}nitems`;
let passed = 0;

// Decode bigint and numeric exactly instead of pg's default of strings, as apps commonly do.
types.setTypeParser(20, (text) => BigInt(text));

class CheckFailed extends Error {}

function fail(check, detail) {
  throw new CheckFailed(`${check}: ${detail}`);
}

function ok(check) {
  passed += 1;
  console.log(`ok   node-pg: ${check}`);
}

function show(value) {
  return JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? `${v}n` : Buffer.isBuffer(v) ? v.toString('hex') : v));
}

function expect(check, actual, expected) {
  if (show(actual) !== show(expected)) {
    fail(check, `expected ${show(expected)}, got ${show(actual)}`);
  }
  ok(check);
}

async function expectCode(check, code, promise) {
  try {
    await promise;
  } catch (error) {
    if (error instanceof CheckFailed) throw error;
    expect(`${check} -> ${code}`, error.code, code);
    return;
  }
  fail(check, `expected SQLSTATE ${code}, statement succeeded`);
}

async function connect() {
  const client = new Client();
  await client.connect();
  return client;
}

async function checkConnect(client) {
  const { rows } = await client.query('SELECT 1 + 1 AS two, $1::text AS echo', ['échoé']);
  expect('connect + parameterized SELECT', rows, [{ two: 2, echo: 'échoé' }]);
}

async function checkDdl(client) {
  const result = await client.query(`CREATE TABLE ${TYPES} (
      id serial PRIMARY KEY, c_small smallint, c_int integer, c_big bigint, c_num numeric(12,3),
      c_real real, c_double double precision, c_text text NOT NULL, c_varchar varchar(20), c_char char(5),
      c_bool boolean, c_date date, c_ts timestamp, c_tstz timestamptz, c_bytea bytea, c_json json,
      c_jsonb jsonb, c_uuid uuid)`);
  expect('CREATE TABLE command', result.command, 'CREATE');
  await client.query(`CREATE TABLE ${ITEMS} (id integer PRIMARY KEY, name text NOT NULL UNIQUE,
      qty integer NOT NULL DEFAULT 0)`);
  ok('CREATE TABLE with constraints');
}

const FULL = {
  c_small: -32768,
  c_int: -2147483648,
  c_big: -9223372036854775808n,
  c_num: '-123456789.125',
  c_real: -1.5,
  c_double: Math.PI,
  c_text: "héllo wörld ✓ 日本語 😀 it's a \\ backslash",
  c_varchar: 'varchar ünïcode',
  c_char: 'ab',
  c_bool: false,
  c_date: '2024-02-29',
  c_ts: '2024-01-02 03:04:05.678901',
  c_tstz: new Date('2024-06-30T18:29:58.123Z'),
  c_bytea: Buffer.from([...Array(256).keys()]),
  c_json: { a: [1, 2, { b: null }], s: 'ü' },
  c_jsonb: { z: 1, a: [true, false] },
  c_uuid: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
};

const OIDS = {
  c_small: 21, c_int: 23, c_big: 20, c_num: 1700, c_real: 700, c_double: 701, c_text: 25, c_varchar: 1043,
  c_char: 1042, c_bool: 16, c_date: 1082, c_ts: 1114, c_tstz: 1184, c_bytea: 17, c_json: 114, c_jsonb: 3802,
  c_uuid: 2950,
};

async function checkTypes(client) {
  const columns = Object.keys(FULL);
  const values = columns.map((c) => {
    const v = FULL[c];
    if (typeof v === 'bigint') return v.toString();
    if (c === 'c_json' || c === 'c_jsonb') return JSON.stringify(v);
    return v;
  });
  const placeholders = columns.map((_, i) => `$${i + 1}`).join(', ');
  const inserted = await client.query(
    `INSERT INTO ${TYPES} (${columns.join(', ')}) VALUES (${placeholders}) RETURNING id`, values);
  expect('INSERT ... RETURNING: command and rowCount', [inserted.command, inserted.rowCount], ['INSERT', 1]);
  const fullId = inserted.rows[0].id;
  const nulls = await client.query(`INSERT INTO ${TYPES} (c_text, c_int, c_bytea) VALUES ($1, $2, $3) RETURNING id, c_int`,
    ['nulls', null, null]);
  expect('INSERT ... RETURNING NULL and next serial id', nulls.rows, [{ id: fullId + 1, c_int: null }]);

  // c_date and c_ts are read as text so the check does not depend on the client's time zone.
  const select = `SELECT ${columns.map((c) => (c === 'c_date' || c === 'c_ts' ? `${c}::text AS ${c}` : c)).join(', ')}
      FROM ${TYPES} WHERE id = $1`;
  const full = await client.query(select, [fullId]);
  expect('SELECT by parameter: rowCount', full.rowCount, 1);
  const oids = Object.fromEntries(full.fields.map((f) => [f.name, f.dataTypeID]));
  expect('RowDescription type OIDs', oids, { ...OIDS, c_date: 25, c_ts: 25 });
  const row = full.rows[0];
  for (const column of columns) {
    let want = FULL[column];
    if (column === 'c_char') want = 'ab   ';
    if (column === 'c_num') want = '-123456789.125';
    // jsonb stores keys sorted (shorter first), so the decoded object's key order changes.
    if (column === 'c_jsonb') want = { a: [true, false], z: 1 };
    expect(`round trip ${column}`, row[column], want);
  }
  const empty = await client.query(select, [fullId + 1]);
  const nonNull = Object.entries(empty.rows[0]).filter(([c, v]) => c !== 'c_text' && v !== null);
  expect('NULL in every nullable type', nonNull, []);

  const filtered = await client.query(
    `SELECT count(*)::int AS n FROM ${TYPES} WHERE c_text = $1 AND c_bool = $2 AND c_num < $3 AND c_tstz = $4 AND c_big = $5`,
    [FULL.c_text, false, -1, FULL.c_tstz, FULL.c_big.toString()]);
  expect('WHERE with text, boolean, numeric, timestamptz, bigint parameters', filtered.rows, [{ n: 1 }]);
  const textForms = await client.query(`SELECT c_num::text AS num, c_jsonb::text AS jsonb, c_real::text AS real
      FROM ${TYPES} WHERE id = $1`, [fullId]);
  expect('text forms of numeric, jsonb, real', textForms.rows, [{ num: '-123456789.125', jsonb: '{"a": [true, false], "z": 1}', real: '-1.5' }]);
}

async function checkNamedPrepared(client) {
  const statement = { name: `${PREFIX}by_name`, text: `SELECT id, qty FROM ${ITEMS} WHERE name = $1` };
  const insert = { name: `${PREFIX}insert_item`, text: `INSERT INTO ${ITEMS} (id, name, qty) VALUES ($1, $2, $3)` };
  for (let i = 1; i <= 5; i += 1) {
    const result = await client.query({ ...insert, values: [i, `item-${i}`, i * 10] });
    if (result.rowCount !== 1) fail('named prepared INSERT', `rowCount ${result.rowCount} on run ${i}`);
  }
  ok('named prepared INSERT reused 5 times');
  for (let i = 1; i <= 5; i += 1) {
    const result = await client.query({ ...statement, values: [`item-${i}`] });
    expect(`named prepared SELECT run ${i}`, result.rows, [{ id: i, qty: i * 10 }]);
  }
  const update = await client.query(`UPDATE ${ITEMS} SET qty = qty + $1 WHERE qty >= $2`, [1, 30]);
  expect('UPDATE command and rowCount', [update.command, update.rowCount], ['UPDATE', 3]);
  const del = await client.query(`DELETE FROM ${ITEMS} WHERE id = $1`, [5]);
  expect('DELETE command and rowCount', [del.command, del.rowCount], ['DELETE', 1]);
  const none = await client.query(`DELETE FROM ${ITEMS} WHERE id = $1`, [5]);
  expect('DELETE of a missing row', none.rowCount, 0);
  const sum = await client.query(`SELECT sum(qty)::int AS total, count(*) AS n FROM ${ITEMS}`);
  expect('aggregate after UPDATE/DELETE', sum.rows, [{ total: 10 + 20 + 31 + 41, n: 4n }]);
}

async function count(client) {
  const { rows } = await client.query(`SELECT count(*)::int AS n FROM ${ITEMS}`);
  return rows[0].n;
}

async function checkTransactions(client, observer) {
  const insert = (id, name) => client.query(`INSERT INTO ${ITEMS} (id, name) VALUES ($1, $2)`, [id, name]);
  expect('BEGIN command', (await client.query('BEGIN')).command, 'BEGIN');
  await insert(100, 'tx-committed-1');
  await insert(101, 'tx-committed-2');
  expect('read-your-own-writes inside a block', await count(client), 6);
  expect('other client does not see uncommitted rows', await count(observer), 4);
  expect('COMMIT command', (await client.query('COMMIT')).command, 'COMMIT');
  expect('committed rows visible to another client', await count(observer), 6);

  await client.query('BEGIN');
  await insert(102, 'tx-rolled-back');
  expect('ROLLBACK command', (await client.query('ROLLBACK')).command, 'ROLLBACK');
  expect('rolled-back row not visible', await count(observer), 6);

  await client.query('BEGIN');
  await insert(103, 'before-error');
  await expectCode('duplicate key inside a block', '23505', insert(100, 'dup'));
  await expectCode('statement after an error in a block', '25P02', client.query('SELECT 1'));
  await client.query('ROLLBACK');
  expect('ROLLBACK recovers the session', await count(client), 6);

  await client.query('BEGIN');
  await insert(104, 'sp-kept');
  await client.query('SAVEPOINT sp1');
  await insert(105, 'sp-undone');
  await client.query('ROLLBACK TO SAVEPOINT sp1');
  await expectCode('unique violation after a savepoint', '23505', insert(104, 'dup'));
  await client.query('ROLLBACK TO SAVEPOINT sp1');
  await insert(106, 'sp-after-recovery');
  await client.query('COMMIT');
  const { rows } = await observer.query(`SELECT name FROM ${ITEMS} WHERE id >= 103 ORDER BY id`);
  expect('SAVEPOINT + ROLLBACK TO keep only surviving writes', rows.map((r) => r.name), ['sp-kept', 'sp-after-recovery']);
}

async function checkErrors(client) {
  await expectCode('unique violation (autocommit)', '23505',
    client.query(`INSERT INTO ${ITEMS} (id, name) VALUES ($1, $2)`, [1, 'dup']));
  await expectCode('NOT NULL violation', '23502',
    client.query(`INSERT INTO ${ITEMS} (id, name) VALUES ($1, $2)`, [300, null]));
  await expectCode('syntax error', '42601', client.query('SELEC 1'));
  await expectCode('undefined table', '42P01', client.query(`SELECT * FROM ${PREFIX}missing`));
  await expectCode('undefined column', '42703', client.query(`SELECT nope FROM ${ITEMS}`));
  await expectCode('bad integer parameter', '22P02', client.query(`SELECT * FROM ${ITEMS} WHERE id = $1`, ['x']));
  expect('client usable after errors', await count(client), 8);
}

async function checkSystemViews(client) {
  if (TARGET !== 'rowchain') return;
  // The machine's PostgreSQL trusts local logins, so only rowchain can be asked to refuse one.
  const intruder = new Client({ password: `wrong-${crypto.randomBytes(4).toString('hex')}` });
  await expectCode('login with a wrong password', '28P01', intruder.connect());
  const { rows } = await client.query(
    'SELECT status, sqlstate, rows_affected::int AS n FROM rowchain.transactions WHERE statement LIKE $1',
    [`%UPDATE ${ITEMS} SET qty = qty +%`]);
  expect('rowchain.transactions records the UPDATE', rows, [{ status: 'committed', sqlstate: null, n: 3 }]);
}

async function main() {
  const client = await connect();
  const observer = await connect();
  try {
    await checkConnect(client);
    await checkDdl(client);
    await checkTypes(client);
    await checkNamedPrepared(client);
    await checkTransactions(client, observer);
    await checkErrors(client);
    await checkSystemViews(client);
    await client.query(`DROP TABLE ${TYPES}`);
    await client.query(`DROP TABLE ${ITEMS}`);
    ok('DROP TABLE');
  } finally {
    await observer.end();
    await client.end();
  }
  console.log(`pg ${require('pg/package.json').version}`);
  console.log(`node-pg: ${passed} passed, 0 failed`);
}

main().catch((error) => {
  const detail = error instanceof CheckFailed ? error.message : `unexpected error: ${error.code || ''} ${error.stack}`;
  console.error(`FAIL node-pg: ${detail}`);
  process.exit(1);
});
