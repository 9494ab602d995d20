// MariaDB Connector/J (Debian's libmariadb-java) against MariaDB or rowchain.
//
// Target from MYSQL_HOST MYSQL_PORT MYSQL_USER MYSQL_PASSWORD MYSQL_DATABASE;
// tables prefixed with RC_PREFIX and dropped at the end.
//
// Two connections: one with useServerPrepStmts=true, where every
// PreparedStatement is COM_STMT_PREPARE + COM_STMT_EXECUTE with binary rows,
// and one with the driver's default (parameters interpolated client-side into
// a COM_QUERY). The round trips run over both. Connector/J sets
// CLIENT_FOUND_ROWS unless useAffectedRows=true, so an UPDATE counts matched rows.
// Against a server announcing MariaDB it sends batches as COM_STMT_BULK_EXECUTE
// (useBulkStmts); against MySQL (or rowchain) as one statement per row or a
// rewritten multi-row INSERT.

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.Date;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.sql.Timestamp;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Properties;

public final class MariaDbJdbcTest {
    private static final String PREFIX = envOr("RC_PREFIX", "t_" + Long.toHexString(Double.doubleToLongBits(Math.random())).substring(0, 8));
    private static final String TYPES = "`" + PREFIX + "jtypes`";
    private static final String KV = "`" + PREFIX + "jkv`";
    private static final String HOST = envOr("MYSQL_HOST", "127.0.0.1");
    private static final String PORT = envOr("MYSQL_PORT", "3306");
    private static final String USER = envOr("MYSQL_USER", "root");
    private static final String PASSWORD = System.getenv("MYSQL_PASSWORD") == null ? "" : System.getenv("MYSQL_PASSWORD");
    private static final String DATABASE = envOr("MYSQL_DATABASE", "test");
    private static int passed = 0;

    private static String envOr(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isEmpty() ? fallback : value;
    }

    private static void fail(String check, String detail) {
        System.err.println("FAIL jdbc: " + check + ": " + detail);
        System.exit(1);
    }

    private static void ok(String check) {
        passed++;
        System.out.println("ok   jdbc: " + check);
    }

    private static void expect(String check, Object actual, Object expected) {
        if (!Objects.equals(actual, expected)) {
            fail(check, "expected <" + expected + ">, got <" + actual + ">");
        }
        ok(check);
    }

    interface Action {
        void run() throws SQLException;
    }

    private static void expectError(String check, int code, String state, Class<?> kind, Action action) {
        try {
            action.run();
        } catch (SQLException e) {
            if (e.getErrorCode() != code || !state.equals(e.getSQLState()) || !kind.isInstance(e)) {
                fail(check, "expected " + code + " / " + state + " " + kind.getSimpleName() + ", got "
                        + e.getErrorCode() + " / " + e.getSQLState() + " " + e.getClass().getSimpleName() + ": " + e.getMessage());
            }
            ok(check + " -> " + code + " / " + state + " (" + kind.getSimpleName() + ")");
            return;
        }
        fail(check, "expected " + code + ", statement succeeded");
    }

    private static Connection connect(String options, String password) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", USER);
        props.setProperty("password", password);
        String url = "jdbc:mariadb://" + HOST + ":" + PORT + "/" + DATABASE + (options.isEmpty() ? "" : "?" + options);
        return DriverManager.getConnection(url, props);
    }

    private static long scalarLong(Connection conn, String sql) throws SQLException {
        try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static List<String> strings(Connection conn, String sql) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            int n = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                StringBuilder row = new StringBuilder();
                for (int i = 1; i <= n; i++) {
                    row.append(i > 1 ? "|" : "").append(rs.getString(i));
                }
                out.add(row.toString());
            }
        }
        return out;
    }

    private static void checkConnect(Connection conn) throws SQLException {
        DatabaseMetaData meta = conn.getMetaData();
        ok("connect: " + meta.getDatabaseProductName() + " " + meta.getDatabaseProductVersion() + " via "
                + meta.getDriverName() + " " + meta.getDriverVersion());
        expect("connect: SELECT 1 + 1, CONCAT", strings(conn, "SELECT 1 + 1, CONCAT('x', 'y')"), List.of("2|xy"));
        expect("connect: getCatalog() is the database", conn.getCatalog(), DATABASE);
        expect("connect: autocommit on", conn.getAutoCommit(), true);
        expect("connect: isValid (COM_PING)", conn.isValid(5), true);
    }

    private static void checkDdl(Connection conn) throws SQLException {
        try (Statement st = conn.createStatement()) {
            expect("CREATE TABLE executeUpdate", st.executeUpdate("CREATE TABLE " + TYPES + " ("
                    + "id INT AUTO_INCREMENT PRIMARY KEY, email VARCHAR(64) NOT NULL UNIQUE, name VARCHAR(40) NOT NULL, "
                    + "c_int INT, c_big BIGINT, c_small SMALLINT, c_double DOUBLE, c_bool TINYINT(1), "
                    + "c_dt DATETIME(6), c_date DATE, c_text TEXT, c_blob BLOB) DEFAULT CHARSET=utf8mb4"), 0);
            st.executeUpdate("CREATE TABLE " + KV + " (k VARCHAR(32) NOT NULL PRIMARY KEY, v INT NOT NULL, note VARCHAR(40))");
        }
        ok("CREATE TABLE with AUTO_INCREMENT, PRIMARY KEY, UNIQUE, NOT NULL");
    }

    private static final Timestamp TS = Timestamp.valueOf("2024-01-02 03:04:05.678901");
    private static final String TEXT = "héllo wörld ✓ 日本語 😀 it's a \\ backslash";
    private static final byte[] BLOB = new byte[256];

    static {
        for (int i = 0; i < 256; i++) {
            BLOB[i] = (byte) i;
        }
    }

    private static void checkRoundTrip(Connection conn, String how) throws SQLException {
        String email = how + "@example.com";
        long id;
        try (PreparedStatement ps = conn.prepareStatement("INSERT INTO " + TYPES
                + " (email, name, c_int, c_big, c_small, c_double, c_bool, c_dt, c_date, c_text, c_blob)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", Statement.RETURN_GENERATED_KEYS)) {
            ps.setString(1, email);
            ps.setString(2, "O'Brien \"q\"");
            ps.setInt(3, Integer.MIN_VALUE);
            ps.setLong(4, Long.MIN_VALUE);
            ps.setShort(5, Short.MIN_VALUE);
            ps.setDouble(6, Math.PI);
            ps.setBoolean(7, true);
            ps.setTimestamp(8, TS);
            ps.setDate(9, Date.valueOf("2024-02-29"));
            ps.setString(10, TEXT);
            ps.setBytes(11, BLOB);
            expect(how + ": INSERT executeUpdate", ps.executeUpdate(), 1);
            try (ResultSet keys = ps.getGeneratedKeys()) {
                expect(how + ": getGeneratedKeys has a row", keys.next(), true);
                id = keys.getLong(1);
            }
        }
        if (id < 1) {
            fail(how + ": generated key", String.valueOf(id));
        }
        ok(how + ": getGeneratedKeys AUTO_INCREMENT id = " + id);
        expect(how + ": SELECT LAST_INSERT_ID()", scalarLong(conn, "SELECT LAST_INSERT_ID()"), id);
        try (PreparedStatement ps = conn.prepareStatement("INSERT INTO " + TYPES + " (email, name, c_int, c_big, c_small)"
                + " VALUES (?, ?, ?, ?, ?)", Statement.RETURN_GENERATED_KEYS)) {
            ps.setString(1, how + "-max@example.com");
            ps.setString(2, "max");
            ps.setInt(3, Integer.MAX_VALUE);
            ps.setLong(4, Long.MAX_VALUE);
            ps.setNull(5, Types.SMALLINT);
            ps.executeUpdate();
            try (ResultSet keys = ps.getGeneratedKeys()) {
                keys.next();
                expect(how + ": next generated key", keys.getLong(1), id + 1);
            }
        }
        try (PreparedStatement ps = conn.prepareStatement("SELECT email, name, c_int, c_big, c_small, c_double, c_bool, c_dt, "
                + "c_date, c_text, c_blob FROM " + TYPES + " WHERE id = ?")) {
            ps.setLong(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                expect(how + ": SELECT by id finds the row", rs.next(), true);
                expect(how + ": round trip VARCHAR", rs.getString("name"), "O'Brien \"q\"");
                expect(how + ": round trip INT min", rs.getInt("c_int"), Integer.MIN_VALUE);
                expect(how + ": round trip BIGINT min", rs.getLong("c_big"), Long.MIN_VALUE);
                expect(how + ": round trip SMALLINT min", rs.getShort("c_small"), Short.MIN_VALUE);
                expect(how + ": round trip DOUBLE", rs.getDouble("c_double"), Math.PI);
                expect(how + ": round trip TINYINT(1) getBoolean", rs.getBoolean("c_bool"), true);
                expect(how + ": round trip TINYINT(1) getInt", rs.getInt("c_bool"), 1);
                expect(how + ": round trip DATETIME(6)", rs.getTimestamp("c_dt"), TS);
                expect(how + ": DATETIME(6) getString", rs.getString("c_dt"), "2024-01-02 03:04:05.678901");
                expect(how + ": round trip DATE", rs.getDate("c_date").toString(), "2024-02-29");
                expect(how + ": round trip TEXT with a 4-byte char", rs.getString("c_text"), TEXT);
                expect(how + ": round trip BLOB of all 256 bytes", Arrays.equals(rs.getBytes("c_blob"), BLOB), true);
                ResultSetMetaData md = rs.getMetaData();
                expect(how + ": ResultSetMetaData type names", Arrays.asList(md.getColumnTypeName(3), md.getColumnTypeName(4),
                        md.getColumnTypeName(6), md.getColumnTypeName(8), md.getColumnTypeName(9), md.getColumnTypeName(2)),
                        Arrays.asList("INTEGER", "BIGINT", "DOUBLE", "DATETIME", "DATE", "VARCHAR"));
            }
            ps.setLong(1, id + 1);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                expect(how + ": round trip INT and BIGINT max", Arrays.asList(rs.getInt("c_int"), rs.getLong("c_big")),
                        Arrays.asList(Integer.MAX_VALUE, Long.MAX_VALUE));
                rs.getShort("c_small");
                expect(how + ": setNull round trip (wasNull)", rs.wasNull(), true);
                expect(how + ": NULLs come back as null", Arrays.asList(rs.getObject("c_double"), rs.getString("c_text"),
                        rs.getTimestamp("c_dt"), rs.getBytes("c_blob")), Arrays.asList(null, null, null, null));
            }
        }
        try (PreparedStatement ps = conn.prepareStatement("SELECT id FROM " + TYPES + " WHERE c_text = ? AND c_bool = ? AND email = ?")) {
            ps.setString(1, TEXT);
            ps.setBoolean(2, true);
            ps.setString(3, email);
            try (ResultSet rs = ps.executeQuery()) {
                expect(how + ": SELECT with unicode and boolean parameters", rs.next() && rs.getLong(1) == id && !rs.next(), true);
            }
        }
    }

    private static void checkWrites(Connection conn) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("INSERT INTO " + KV + " (k, v, note) VALUES (?, ?, ?)")) {
            String[][] rows = {{"a", "1", "one"}, {"b", "2", "two"}, {"c", "3", null}};
            for (String[] row : rows) {
                ps.setString(1, row[0]);
                ps.setInt(2, Integer.parseInt(row[1]));
                ps.setString(3, row[2]);
                ps.addBatch();
            }
            int[] counts = ps.executeBatch();
            expect("executeBatch: one count per row", counts.length, 3);
            for (int count : counts) {
                if (count != 1 && count != Statement.SUCCESS_NO_INFO) {
                    fail("executeBatch counts", Arrays.toString(counts));
                }
            }
            ok("executeBatch counts " + Arrays.toString(counts));
        }
        expect("rows after the batch", scalarLong(conn, "SELECT COUNT(*) FROM " + KV), 3L);
        try (Statement st = conn.createStatement()) {
            expect("UPDATE executeUpdate", st.executeUpdate("UPDATE " + KV + " SET v = v + 10 WHERE v < 3"), 2);
            expect("UPDATE to the same value counts the matched row (CLIENT_FOUND_ROWS)",
                    st.executeUpdate("UPDATE " + KV + " SET v = 3 WHERE k = 'c'"), 1);
            expect("UPDATE of no row", st.executeUpdate("UPDATE " + KV + " SET v = 0 WHERE k = 'zz'"), 0);
            expect("INSERT ... SET", st.executeUpdate("INSERT INTO " + KV + " SET k = 'd', v = 4"), 1);
            expect("DELETE executeUpdate", st.executeUpdate("DELETE FROM " + KV + " WHERE k = 'd'"), 1);
        }
        try (PreparedStatement ps = conn.prepareStatement("INSERT INTO " + KV + " (k, v, note) VALUES (?, ?, ?)"
                + " ON DUPLICATE KEY UPDATE v = VALUES(v), note = VALUES(note)")) {
            ps.setString(1, "e");
            ps.setInt(2, 5);
            ps.setString(3, "new");
            expect("ON DUPLICATE KEY UPDATE inserting: 1", ps.executeUpdate(), 1);
            ps.setInt(2, 50);
            expect("ON DUPLICATE KEY UPDATE updating: 2", ps.executeUpdate(), 2);
            expect("ON DUPLICATE KEY UPDATE unchanged: 1 (found rows)", ps.executeUpdate(), 1);
        }
        try (Statement st = conn.createStatement()) {
            expect("REPLACE of an existing row: 2", st.executeUpdate("REPLACE INTO " + KV + " (k, v) VALUES ('e', 6)"), 2);
            expect("INSERT IGNORE of a duplicate: 0", st.executeUpdate("INSERT IGNORE INTO " + KV + " (k, v) VALUES ('a', 9)"), 0);
            expect("INSERT IGNORE leaves a warning", st.getWarnings() != null, true);
            expect("DELETE of the upserted row", st.executeUpdate("DELETE FROM " + KV + " WHERE k = 'e'"), 1);
        }
        expect("rows after the writes", strings(conn, "SELECT k, v, IFNULL(note, 'none') FROM " + KV + " ORDER BY k LIMIT 0, 10"),
                List.of("a|11|one", "b|12|two", "c|3|none"));
    }

    private static void checkTransactions(Connection conn, Connection observer) throws SQLException {
        conn.setAutoCommit(false);
        try (Statement st = conn.createStatement()) {
            st.executeUpdate("INSERT INTO " + KV + " (k, v, note) VALUES ('t1', 100, 'committed')");
            st.executeUpdate("UPDATE " + KV + " SET v = v + 1 WHERE k = 'a'");
        }
        expect("read-your-own-writes inside a transaction", scalarLong(conn, "SELECT COUNT(*) FROM " + KV + " WHERE k = 't1'"), 1L);
        expect("second connection does not see uncommitted rows", scalarLong(observer, "SELECT COUNT(*) FROM " + KV + " WHERE k = 't1'"), 0L);
        conn.commit();
        expect("committed transaction visible to a second connection",
                strings(observer, "SELECT k, v FROM " + KV + " WHERE k IN ('a', 't1') ORDER BY k"), List.of("a|12", "t1|100"));
        try (Statement st = conn.createStatement()) {
            st.executeUpdate("INSERT INTO " + KV + " (k, v) VALUES ('t2', 200)");
            st.executeUpdate("UPDATE " + KV + " SET v = 0 WHERE k = 'a'");
        }
        conn.rollback();
        expect("rolled-back insert and update not visible",
                strings(observer, "SELECT k, v FROM " + KV + " WHERE k IN ('a', 't2') ORDER BY k"), List.of("a|12"));
        try (Statement st = conn.createStatement()) {
            st.executeUpdate("INSERT INTO " + KV + " (k, v) VALUES ('kept', 1)");
            Savepoint sp = conn.setSavepoint("sp1");
            st.executeUpdate("INSERT INTO " + KV + " (k, v) VALUES ('undone', 2)");
            conn.rollback(sp);
            st.executeUpdate("INSERT INTO " + KV + " (k, v) VALUES ('after', 3)");
        }
        conn.commit();
        expect("savepoint: ROLLBACK TO keeps the surviving writes",
                strings(observer, "SELECT k FROM " + KV + " WHERE k IN ('kept', 'undone', 'after') ORDER BY k"), List.of("after", "kept"));
        conn.setAutoCommit(true);
        expect("autocommit back on", scalarLong(conn, "SELECT @@autocommit"), 1L);
    }

    private static void checkErrors(Connection conn) throws SQLException {
        expectError("duplicate PRIMARY KEY", 1062, "23000", java.sql.SQLIntegrityConstraintViolationException.class, () -> {
            try (Statement st = conn.createStatement()) {
                st.executeUpdate("INSERT INTO " + KV + " (k, v) VALUES ('a', 1)");
            }
        });
        expectError("duplicate UNIQUE through a prepared statement", 1062, "23000",
                java.sql.SQLIntegrityConstraintViolationException.class, () -> {
            try (PreparedStatement ps = conn.prepareStatement("INSERT INTO " + TYPES + " (email, name) VALUES (?, ?)")) {
                ps.setString(1, "server@example.com");
                ps.setString(2, "dup");
                ps.executeUpdate();
            }
        });
        expectError("NULL into a NOT NULL column", 1048, "23000", java.sql.SQLIntegrityConstraintViolationException.class, () -> {
            try (PreparedStatement ps = conn.prepareStatement("INSERT INTO " + KV + " (k, v) VALUES (?, ?)")) {
                ps.setString(1, "n");
                ps.setNull(2, Types.INTEGER);
                ps.executeUpdate();
            }
        });
        expectError("unknown table", 1146, "42S02", java.sql.SQLSyntaxErrorException.class, () -> {
            try (Statement st = conn.createStatement()) {
                st.executeQuery("SELECT * FROM `" + PREFIX + "missing`");
            }
        });
        expectError("syntax error", 1064, "42000", java.sql.SQLSyntaxErrorException.class, () -> {
            try (Statement st = conn.createStatement()) {
                st.executeQuery("SELEC 1");
            }
        });
        expectError("wrong password", 1045, "28000", SQLException.class, () -> connect("", PASSWORD + "-wrong").close());
        expect("connection usable after errors", scalarLong(conn, "SELECT COUNT(*) FROM " + KV), 6L);
    }

    private static void checkMetadata(Connection conn) throws SQLException {
        DatabaseMetaData meta = conn.getMetaData();
        List<String> tables = new ArrayList<>();
        try (ResultSet rs = meta.getTables(DATABASE, null, PREFIX + "j%", new String[] {"TABLE"})) {
            while (rs.next()) {
                tables.add(rs.getString("TABLE_NAME") + ":" + rs.getString("TABLE_TYPE"));
            }
        }
        tables.sort(null);
        expect("DatabaseMetaData.getTables", tables, List.of(PREFIX + "jkv:TABLE", PREFIX + "jtypes:TABLE"));
        List<String> columns = new ArrayList<>();
        try (ResultSet rs = meta.getColumns(DATABASE, null, PREFIX + "jtypes", "%")) {
            while (rs.next()) {
                columns.add(rs.getString("COLUMN_NAME") + " " + rs.getString("TYPE_NAME") + " " + rs.getInt("DATA_TYPE")
                        + " " + rs.getString("IS_NULLABLE") + " " + rs.getString("IS_AUTOINCREMENT"));
            }
        }
        // tinyInt1isBit (default true): TINYINT(1) is reported as BIT, java.sql.Types.BIT (-7).
        expect("DatabaseMetaData.getColumns", columns, List.of(
                "id INT 4 NO YES", "email VARCHAR 12 NO NO", "name VARCHAR 12 NO NO", "c_int INT 4 YES NO",
                "c_big BIGINT -5 YES NO", "c_small SMALLINT 5 YES NO", "c_double DOUBLE 8 YES NO",
                "c_bool BIT -7 YES NO", "c_dt DATETIME 93 YES NO", "c_date DATE 91 YES NO",
                "c_text TEXT -1 YES NO", "c_blob BLOB -4 YES NO"));
        try (ResultSet rs = meta.getColumns(DATABASE, null, PREFIX + "jkv", "k")) {
            rs.next();
            expect("DatabaseMetaData.getColumns: VARCHAR size", rs.getInt("COLUMN_SIZE"), 32);
        }
        List<String> pk = new ArrayList<>();
        try (ResultSet rs = meta.getPrimaryKeys(DATABASE, null, PREFIX + "jkv")) {
            while (rs.next()) {
                pk.add(rs.getString("COLUMN_NAME"));
            }
        }
        expect("DatabaseMetaData.getPrimaryKeys", pk, List.of("k"));
    }

    private static volatile boolean finished = false;

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("--connect-only")) {
            // For connect-log.py: what the driver sends at connect, then one query.
            try (Connection c = connect("useServerPrepStmts=true", PASSWORD)) {
                scalarLong(c, "SELECT 1");
            }
            return;
        }
        // fail() exits at once: drop what this run created on the way out.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (finished) {
                return;
            }
            try (Connection c = connect("", PASSWORD); Statement st = c.createStatement()) {
                st.executeUpdate("DROP TABLE IF EXISTS " + TYPES + ", " + KV);
            } catch (SQLException e) {
                System.err.println("jdbc: dropping the tables after a failure: " + e.getMessage());
            }
        }));
        Connection conn = null;
        Connection text = null;
        Connection observer = null;
        try {
            conn = connect("useServerPrepStmts=true", PASSWORD);
            text = connect("", PASSWORD);
            observer = connect("", PASSWORD);
            checkConnect(conn);
            checkDdl(conn);
            checkRoundTrip(conn, "server");
            checkRoundTrip(text, "text");
            checkWrites(conn);
            checkTransactions(conn, observer);
            checkErrors(conn);
            checkMetadata(conn);
            try (Statement st = text.createStatement()) {
                st.executeUpdate("DROP TABLE " + TYPES + ", " + KV);
            }
        } catch (SQLException e) {
            fail("unexpected SQLException", e.getErrorCode() + " / " + e.getSQLState() + ": " + e.getMessage());
        }
        try (ResultSet rs = conn.getMetaData().getTables(DATABASE, null, PREFIX + "j%", new String[] {"TABLE"})) {
            expect("tables dropped", rs.next(), false);
        }
        System.out.println("jdbc " + conn.getMetaData().getDriverName() + " " + conn.getMetaData().getDriverVersion());
        observer.close();
        text.close();
        conn.close();
        finished = true;
        System.out.println("jdbc: " + passed + " passed, 0 failed");
    }
}
