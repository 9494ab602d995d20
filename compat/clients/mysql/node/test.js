'use strict';
// mysql2 against MariaDB or rowchain.
//
// Target from MYSQL_HOST MYSQL_PORT MYSQL_USER MYSQL_PASSWORD MYSQL_DATABASE;
// tables prefixed with RC_PREFIX and dropped at the end.
//
// query() interpolates parameters client-side (text protocol, COM_QUERY);
// execute() prepares the statement on the server (COM_STMT_PREPARE, cached per
// connection) and sends typed parameters in COM_STMT_EXECUTE, reading binary
// result rows. Both paths run the same round trips here.
// dateStrings keeps DATETIME(6) microseconds (a JS Date has milliseconds);
// bigNumberStrings returns BIGINT as exact strings.

const crypto = require('crypto');
const mysql = require('mysql2/promise');

const PREFIX = process.env.RC_PREFIX || 't_' + crypto.randomBytes(4).toString('hex');
const TYPES = `\`${PREFIX}ntypes\``;
const KV = `\`${PREFIX}nkv\``;
const CONFIG = {
  host: process.env.MYSQL_HOST || '127.0.0.1',
  port: Number(process.env.MYSQL_PORT || 3306),
  user: process.env.MYSQL_USER || 'root',
  password: process.env.MYSQL_PASSWORD || '',
  database: process.env.MYSQL_DATABASE || 'test',
  charset: 'utf8mb4',
  dateStrings: true,
  supportBigNumbers: true,
  bigNumberStrings: true,
};
let passed = 0;

class CheckFailed extends Error {}

function fail(check, detail) {
  throw new CheckFailed(`${check}: ${detail}`);
}

function ok(check) {
  passed += 1;
  console.log(`ok   mysql2: ${check}`);
}

function show(value) {
  return JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? `${v}n` : v && v.type === 'Buffer' ? `hex:${Buffer.from(v.data).toString('hex')}` : v));
}

function expect(check, actual, expected) {
  if (show(actual) !== show(expected)) {
    fail(check, `expected ${show(expected)}, got ${show(actual)}`);
  }
  ok(check);
}

async function expectError(check, errno, sqlState, code, promise) {
  try {
    await promise;
  } catch (error) {
    if (error instanceof CheckFailed) throw error;
    expect(`${check} -> ${errno} / ${sqlState} (${code})`, [error.errno, error.sqlState, error.code], [errno, sqlState, code]);
    return;
  }
  fail(check, `expected errno ${errno}, statement succeeded`);
}

const ROW = {
  email: 'min@example.com', name: 'O\'Brien \\ "quoted"', c_int: -2147483648, c_big: '-9223372036854775808',
  c_small: -32768, c_double: 3.141592653589793, c_bool: 1, c_dt: '2024-01-02 03:04:05.678901',
  c_date: '2024-02-29', c_text: 'héllo wörld ✓ 日本語 😀', c_blob: Buffer.from([0, 1, 2, 127, 128, 254, 255]),
};
const COLS = Object.keys(ROW);

async function checkConnect(conn) {
  const [[version]] = await conn.query('SELECT VERSION() AS v');
  if (!/^\d/.test(version.v)) fail('connect: SELECT VERSION()', version.v);
  ok(`connect: SELECT VERSION() = ${version.v}`);
  const [[row]] = await conn.query('SELECT 1 + 1 AS two, CONCAT(\'x\', \'y\') AS xy');
  expect('connect: SELECT 1 + 1, CONCAT', [row.two, row.xy], [2, 'xy']);
  const [[db]] = await conn.query('SELECT DATABASE() AS db');
  expect('connect: DATABASE()', db.db, CONFIG.database);
  const [[ac]] = await conn.query('SELECT @@autocommit AS ac');
  expect('connect: @@autocommit', String(ac.ac), '1');
  await conn.ping();
  ok('ping (COM_PING)');
}

async function checkDdl(conn) {
  const [result] = await conn.query(`CREATE TABLE ${TYPES} (
      id INT AUTO_INCREMENT PRIMARY KEY, email VARCHAR(64) NOT NULL UNIQUE, name VARCHAR(40) NOT NULL,
      c_int INT, c_big BIGINT, c_small SMALLINT, c_double DOUBLE, c_bool TINYINT(1),
      c_dt DATETIME(6), c_date DATE, c_text TEXT, c_blob BLOB) DEFAULT CHARSET=utf8mb4`);
  expect('CREATE TABLE affectedRows', result.affectedRows, 0);
  await conn.query(`CREATE TABLE ${KV} (k VARCHAR(32) NOT NULL PRIMARY KEY, v INT NOT NULL, note VARCHAR(40))`);
  ok('CREATE TABLE with AUTO_INCREMENT, PRIMARY KEY, UNIQUE, NOT NULL');
}

async function checkRoundTrip(conn, how, run) {
  const row = { ...ROW, email: `${how}@example.com` };
  const [result] = await run(`INSERT INTO ${TYPES} (${COLS.join(', ')}) VALUES (${COLS.map(() => '?').join(', ')})`,
    COLS.map((c) => row[c]));
  expect(`${how}: INSERT affectedRows`, result.affectedRows, 1);
  if (!(result.insertId >= 1)) fail(`${how}: insertId`, result.insertId);
  ok(`${how}: insertId = ${result.insertId}`);
  const [[last]] = await run('SELECT LAST_INSERT_ID() AS id', []);
  expect(`${how}: LAST_INSERT_ID() is insertId`, String(last.id), String(result.insertId));
  const [rows] = await run(`SELECT ${COLS.join(', ')} FROM ${TYPES} WHERE id = ?`, [result.insertId]);
  expect(`${how}: SELECT by id: one row`, rows.length, 1);
  for (const c of COLS) {
    expect(`${how}: round trip ${c}`, rows[0][c], row[c]);
  }
  const [max] = await run(`INSERT INTO ${TYPES} (email, name, c_big, c_int) VALUES (?, ?, ?, ?)`,
    [`${how}-max@example.com`, 'max', '9223372036854775807', 2147483647]);
  expect(`${how}: next insertId`, max.insertId, result.insertId + 1);
  const [[big]] = await run(`SELECT c_big, c_int, c_text, c_dt FROM ${TYPES} WHERE id = ?`, [max.insertId]);
  expect(`${how}: BIGINT max and INT max, NULLs`, big, { c_big: '9223372036854775807', c_int: 2147483647, c_text: null, c_dt: null });
  const [found] = await run(`SELECT id FROM ${TYPES} WHERE c_text = ? AND c_bool = ? AND email = ?`, [ROW.c_text, 1, row.email]);
  expect(`${how}: SELECT with unicode and integer parameters`, found.map((r) => r.id), [result.insertId]);
  const [nulls] = await run(`SELECT COUNT(*) AS n FROM ${TYPES} WHERE email = ? AND c_double IS NULL`, [`${how}-max@example.com`]);
  expect(`${how}: IS NULL`, String(nulls[0].n), '1');
  const [page] = await run(`SELECT email FROM ${TYPES} WHERE email LIKE ? ORDER BY id LIMIT 1, 1`, [`${how}%`]);
  expect(`${how}: LIMIT offset, count`, page.map((r) => r.email), [`${how}-max@example.com`]);
}

async function checkWrites(conn) {
  const [many] = await conn.query(`INSERT INTO ${KV} (k, v, note) VALUES ?`, [[['a', 1, 'one'], ['b', 2, 'two'], ['c', 3, null]]]);
  expect('multi-row INSERT affectedRows', many.affectedRows, 3);
  const [upd] = await conn.query(`UPDATE ${KV} SET v = v + ? WHERE v < ?`, [10, 3]);
  expect('UPDATE affectedRows / changedRows', [upd.affectedRows, upd.changedRows], [2, 2]);
  const [same] = await conn.execute(`UPDATE ${KV} SET v = ? WHERE k = ?`, [3, 'c']);
  // mysql2 sets CLIENT_FOUND_ROWS: affectedRows counts matched rows, changedRows the changed ones.
  expect('UPDATE to the same value: affectedRows (found) 1, changedRows 0', [same.affectedRows, same.changedRows], [1, 0]);
  const [set] = await conn.query(`INSERT INTO ${KV} SET k = 'd', v = 4, note = 'set'`);
  expect('INSERT ... SET affectedRows', set.affectedRows, 1);
  const [del] = await conn.execute(`DELETE FROM ${KV} WHERE k = ?`, ['d']);
  expect('execute DELETE affectedRows', del.affectedRows, 1);
  const upsert = `INSERT INTO ${KV} (k, v, note) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE v = VALUES(v), note = VALUES(note)`;
  expect('ON DUPLICATE KEY UPDATE inserting: affectedRows 1', (await conn.execute(upsert, ['e', 5, 'new']))[0].affectedRows, 1);
  expect('ON DUPLICATE KEY UPDATE updating: affectedRows 2', (await conn.execute(upsert, ['e', 50, 'upd']))[0].affectedRows, 2);
  expect('ON DUPLICATE KEY UPDATE unchanged: affectedRows 1 (found rows)', (await conn.execute(upsert, ['e', 50, 'upd']))[0].affectedRows, 1);
  expect('REPLACE of an existing row: affectedRows 2',
    (await conn.query(`REPLACE INTO ${KV} (k, v, note) VALUES (?, ?, ?)`, ['e', 6, 'replaced']))[0].affectedRows, 2);
  const [ign] = await conn.query(`INSERT IGNORE INTO ${KV} (k, v) VALUES (?, ?)`, ['a', 99]);
  expect('INSERT IGNORE of a duplicate: affectedRows 0, one warning', [ign.affectedRows, ign.warningStatus], [0, 1]);
  const [rows] = await conn.query(`SELECT k, v, note, IFNULL(note, 'none') AS n2 FROM ${KV} ORDER BY k`);
  expect('rows after the writes', rows.map((r) => [r.k, r.v, r.note, r.n2]),
    [['a', 11, 'one', 'one'], ['b', 12, 'two', 'two'], ['c', 3, null, 'none'], ['e', 6, 'replaced', 'replaced']]);
  const [delMany] = await conn.query(`DELETE FROM ${KV} WHERE k IN (?)`, [['e', 'zz']]);
  expect('DELETE ... IN (array) affectedRows', delMany.affectedRows, 1);
}

async function checkPrepared(conn) {
  const stmt = await conn.prepare(`SELECT k, v FROM ${KV} WHERE v > ? ORDER BY k`);
  expect('prepare(): parameter count', stmt.statement.parameters.length, 1);
  expect('prepare(): result column count', stmt.statement.columns.length, 2);
  const [first] = await stmt.execute([10]);
  expect('prepared statement executed', first.map((r) => [r.k, r.v]), [['a', 11], ['b', 12]]);
  const [second] = await stmt.execute([11]);
  expect('prepared statement re-executed', second.map((r) => [r.k, r.v]), [['b', 12]]);
  const [none] = await stmt.execute([1000]);
  expect('prepared statement with no rows', none, []);
  await stmt.close();
  ok('prepared statement closed (COM_STMT_CLOSE)');
  const [[nullParam]] = await conn.execute('SELECT IFNULL(?, \'was null\') AS v', [null]);
  expect('execute with a NULL parameter', nullParam.v, 'was null');
}

async function checkTransactions(conn, observer) {
  await conn.beginTransaction();
  await conn.execute(`INSERT INTO ${KV} (k, v, note) VALUES (?, ?, ?)`, ['t1', 100, 'committed']);
  await conn.execute(`UPDATE ${KV} SET v = v + 1 WHERE k = ?`, ['a']);
  const [[own]] = await conn.query(`SELECT COUNT(*) AS n FROM ${KV} WHERE k = 't1'`);
  expect('read-your-own-writes inside a transaction', String(own.n), '1');
  const [[hidden]] = await observer.query(`SELECT COUNT(*) AS n FROM ${KV} WHERE k = 't1'`);
  expect('second connection does not see uncommitted rows', String(hidden.n), '0');
  await conn.commit();
  const [seen] = await observer.query(`SELECT k, v FROM ${KV} WHERE k IN ('a', 't1') ORDER BY k`);
  expect('committed transaction visible to a second connection', seen.map((r) => [r.k, r.v]), [['a', 12], ['t1', 100]]);
  await conn.beginTransaction();
  await conn.execute(`INSERT INTO ${KV} (k, v) VALUES (?, ?)`, ['t2', 200]);
  await conn.query(`UPDATE ${KV} SET v = 0 WHERE k = 'a'`);
  await conn.rollback();
  const [after] = await observer.query(`SELECT k, v FROM ${KV} WHERE k IN ('a', 't2') ORDER BY k`);
  expect('rolled-back insert and update not visible', after.map((r) => [r.k, r.v]), [['a', 12]]);
  await conn.query('SET autocommit = 0');
  await conn.query(`INSERT INTO ${KV} (k, v) VALUES ('t3', 300)`);
  await conn.query('ROLLBACK');
  await conn.query('SET autocommit = 1');
  const [[gone]] = await conn.query(`SELECT COUNT(*) AS n FROM ${KV} WHERE k = 't3'`);
  expect('SET autocommit = 0 ... ROLLBACK leaves nothing', String(gone.n), '0');
}

async function checkErrors(conn) {
  await expectError('duplicate PRIMARY KEY', 1062, '23000', 'ER_DUP_ENTRY',
    conn.query(`INSERT INTO ${KV} (k, v) VALUES (?, ?)`, ['a', 1]));
  await expectError('duplicate UNIQUE column through execute()', 1062, '23000', 'ER_DUP_ENTRY',
    conn.execute(`INSERT INTO ${TYPES} (email, name) VALUES (?, ?)`, ['query@example.com', 'dup']));
  await expectError('NULL into a NOT NULL column', 1048, '23000', 'ER_BAD_NULL_ERROR',
    conn.execute(`INSERT INTO ${KV} (k, v) VALUES (?, ?)`, ['n', null]));
  await expectError('unknown table', 1146, '42S02', 'ER_NO_SUCH_TABLE', conn.query(`SELECT * FROM \`${PREFIX}missing\``));
  await expectError('unknown table at prepare', 1146, '42S02', 'ER_NO_SUCH_TABLE',
    conn.execute(`SELECT * FROM \`${PREFIX}missing\` WHERE id = ?`, [1]));
  await expectError('unknown column', 1054, '42S22', 'ER_BAD_FIELD_ERROR', conn.query(`SELECT nope FROM ${KV}`));
  await expectError('syntax error', 1064, '42000', 'ER_PARSE_ERROR', conn.query('SELEC 1'));
  await expectError('wrong password', 1045, '28000', 'ER_ACCESS_DENIED_ERROR',
    mysql.createConnection({ ...CONFIG, password: `${CONFIG.password}-wrong` }));
  const [[n]] = await conn.query(`SELECT COUNT(*) AS n FROM ${KV}`);
  expect('connection usable after errors', String(n.n), '4');
}

async function checkPool() {
  const pool = mysql.createPool({ ...CONFIG, connectionLimit: 3 });
  const results = await Promise.all([1, 2, 3, 4, 5].map((i) => pool.execute('SELECT ? + 1 AS n', [i])));
  expect('pool: concurrent execute()', results.map(([rows]) => Number(rows[0].n)), [2, 3, 4, 5, 6]);
  const conn = await pool.getConnection();
  const [[row]] = await conn.query(`SELECT COUNT(*) AS n FROM ${KV}`);
  expect('pool: getConnection + query', String(row.n), '4');
  conn.release();
  await pool.end();
}

async function main() {
  const conn = await mysql.createConnection(CONFIG);
  const observer = await mysql.createConnection(CONFIG);
  try {
    await checkConnect(conn);
    await checkDdl(conn);
    await checkRoundTrip(conn, 'query', (sql, params) => conn.query(sql, params));
    await checkRoundTrip(conn, 'execute', (sql, params) => conn.execute(sql, params));
    await checkWrites(conn);
    await checkPrepared(conn);
    await checkTransactions(conn, observer);
    await checkErrors(conn);
    await checkPool();
  } finally {
    await conn.query(`DROP TABLE IF EXISTS ${TYPES}, ${KV}`);
  }
  const [left] = await conn.query('SHOW TABLES LIKE ?', [`${PREFIX.replace(/_/g, '\\_')}n%`]);
  expect('tables dropped', left.length, 0);
  await observer.end();
  await conn.end();
  console.log(`mysql2 ${require('mysql2/package.json').version}`);
  console.log(`mysql2: ${passed} passed, 0 failed`);
}

async function connectOnly() {
  // For connect-log.py: what the driver sends at connect, then one query and one execute().
  const conn = await mysql.createConnection(CONFIG);
  await conn.query('SELECT 1');
  await conn.execute('SELECT ?', [1]);
  await conn.end();
}

(process.argv[2] === '--connect-only' ? connectOnly() : main()).catch((error) => {
  if (error instanceof CheckFailed) {
    console.error(`FAIL mysql2: ${error.message}`);
  } else {
    console.error(`FAIL mysql2: unexpected error: ${error.errno || ''} ${error.sqlState || ''} ${error.stack}`);
  }
  process.exit(1);
});
