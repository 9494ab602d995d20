// pgjdbc (Debian's libpostgresql-jdbc-java) against PostgreSQL or rowchain.
//
// Connection from PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE; tables prefixed
// with RC_PREFIX; RC_TARGET=rowchain adds the rowchain.transactions checks.
//
// pgjdbc uses only the extended protocol: unnamed statements at first, then a
// named server-side statement (and binary result formats) once one
// PreparedStatement has run prepareThreshold (5) times; batches are pipelined
// as many Parse/Bind/Execute with one Sync. Both paths are exercised here.

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.TreeMap;
import java.util.UUID;

public final class JdbcTest {
    private static final String TARGET = envOr("RC_TARGET", "postgres");
    private static final String PREFIX = envOr("RC_PREFIX", "t_" + Long.toHexString(Double.doubleToLongBits(Math.random())).substring(0, 8));
    private static final String TYPES = PREFIX + "jtypes";
    private static final String ITEMS = PREFIX + "jitems";
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

    interface SqlAction {
        void run() throws SQLException;
    }

    private static void expectSqlState(String check, String sqlState, SqlAction action) {
        try {
            action.run();
        } catch (SQLException error) {
            expect(check + " -> " + sqlState, error.getSQLState(), sqlState);
            return;
        }
        fail(check, "expected SQLSTATE " + sqlState + ", statement succeeded");
    }

    private static Connection connect() throws SQLException {
        String url = "jdbc:postgresql://" + envOr("PGHOST", "127.0.0.1") + ":" + envOr("PGPORT", "5432") + "/"
                + envOr("PGDATABASE", envOr("PGUSER", "postgres"));
        Properties props = new Properties();
        props.setProperty("user", envOr("PGUSER", "postgres"));
        props.setProperty("password", envOr("PGPASSWORD", ""));
        return DriverManager.getConnection(url, props);
    }

    private static long queryLong(Connection conn, String sql) throws SQLException {
        try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            if (!rs.next()) {
                fail(sql, "no row");
            }
            return rs.getLong(1);
        }
    }

    public static void main(String[] args) throws Exception {
        try (Connection conn = connect(); Connection observer = connect()) {
            checkConnect(conn);
            checkDdl(conn);
            checkTypes(conn);
            checkPreparedReuse(conn);
            checkBatchAndCounts(conn);
            checkTransactions(conn, observer);
            checkErrors(conn);
            checkMetadata(conn);
            checkSystemViews(conn);
            try (Statement st = conn.createStatement()) {
                st.executeUpdate("DROP TABLE " + ITEMS);
                st.executeUpdate("DROP TABLE " + TYPES);
            }
            ok("DROP TABLE");
        } catch (SQLException error) {
            fail("unexpected database error", "SQLSTATE " + error.getSQLState() + ": " + error.getMessage());
        }
        System.out.println("pgjdbc " + org.postgresql.util.DriverInfo.DRIVER_VERSION);
        System.out.println("jdbc: " + passed + " passed, 0 failed");
    }

    private static void checkConnect(Connection conn) throws SQLException {
        DatabaseMetaData meta = conn.getMetaData();
        expect("connect: product name", meta.getDatabaseProductName(), "PostgreSQL");
        if (meta.getDatabaseMajorVersion() < 10) {
            fail("connect: server major version", String.valueOf(meta.getDatabaseMajorVersion()));
        }
        ok("connect: server version " + meta.getDatabaseProductVersion());
        expect("connect: autocommit by default", conn.getAutoCommit(), true);
        expect("connect: SELECT 1", queryLong(conn, "SELECT 1"), 1L);
    }

    private static void checkDdl(Connection conn) throws SQLException {
        try (Statement st = conn.createStatement()) {
            int count = st.executeUpdate("CREATE TABLE " + TYPES + " ("
                    + "id serial PRIMARY KEY, c_small smallint, c_int integer, c_big bigint, c_num numeric(12,3),"
                    + " c_real real, c_double double precision, c_text text NOT NULL, c_varchar varchar(20),"
                    + " c_char char(5), c_bool boolean, c_date date, c_ts timestamp, c_tstz timestamptz,"
                    + " c_bytea bytea, c_json json, c_jsonb jsonb, c_uuid uuid)");
            expect("CREATE TABLE update count", count, 0);
            st.executeUpdate("CREATE TABLE " + ITEMS + " (id bigint PRIMARY KEY, name varchar(40) NOT NULL UNIQUE,"
                    + " qty integer NOT NULL DEFAULT 0 CHECK (qty >= 0))");
            ok("CREATE TABLE with constraints");
        }
    }

    private static final Timestamp TS = Timestamp.valueOf("2024-01-02 03:04:05.678901");
    private static final OffsetDateTime TSTZ = OffsetDateTime.of(2024, 6, 30, 23, 59, 58, 123456000, ZoneOffset.ofHoursMinutes(5, 30));
    private static final UUID ID = UUID.fromString("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
    private static final String UNICODE = "héllo wörld ✓ 日本語 😀 it's";

    private static byte[] allBytes() {
        byte[] bytes = new byte[256];
        for (int i = 0; i < 256; i++) {
            bytes[i] = (byte) i;
        }
        return bytes;
    }

    private static int insertFullRow(Connection conn) throws SQLException {
        String sql = "INSERT INTO " + TYPES + " (c_small, c_int, c_big, c_num, c_real, c_double, c_text, c_varchar,"
                + " c_char, c_bool, c_date, c_ts, c_tstz, c_bytea, c_json, c_jsonb, c_uuid)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
        try (PreparedStatement ps = conn.prepareStatement(sql, new String[] {"id"})) {
            ps.setShort(1, Short.MIN_VALUE);
            ps.setInt(2, Integer.MIN_VALUE);
            ps.setLong(3, Long.MIN_VALUE);
            ps.setBigDecimal(4, new BigDecimal("-123456789.125"));
            ps.setFloat(5, -1.5f);
            ps.setDouble(6, Math.PI);
            ps.setString(7, UNICODE);
            ps.setString(8, "varchar ünïcode");
            ps.setString(9, "ab");
            ps.setBoolean(10, true);
            ps.setObject(11, LocalDate.of(2024, 2, 29));
            ps.setTimestamp(12, TS);
            ps.setObject(13, TSTZ);
            ps.setBytes(14, allBytes());
            // pgjdbc declares setString as varchar; json needs Types.OTHER (sent untyped).
            ps.setObject(15, "{\"a\": [1, 2, {\"b\": null}]}", Types.OTHER);
            ps.setObject(16, "{\"z\": 1, \"a\": [true, false]}", Types.OTHER);
            ps.setObject(17, ID);
            expect("INSERT with 17 typed parameters: update count", ps.executeUpdate(), 1);
            try (ResultSet keys = ps.getGeneratedKeys()) {
                expect("getGeneratedKeys returns a row", keys.next(), true);
                int id = keys.getInt("id");
                ok("getGeneratedKeys id = " + id);
                return id;
            }
        }
    }

    private static int insertNullRow(Connection conn) throws SQLException {
        String sql = "INSERT INTO " + TYPES + " (c_text, c_int, c_varchar, c_bool, c_ts, c_bytea, c_num)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id, c_int";
        try (PreparedStatement ps = conn.prepareStatement(sql)) {
            ps.setString(1, "nulls");
            ps.setNull(2, Types.INTEGER);
            ps.setNull(3, Types.VARCHAR);
            ps.setNull(4, Types.BOOLEAN);
            ps.setNull(5, Types.TIMESTAMP);
            ps.setNull(6, Types.BINARY);
            ps.setNull(7, Types.NUMERIC);
            try (ResultSet rs = ps.executeQuery()) {
                expect("INSERT ... RETURNING returns a row", rs.next(), true);
                rs.getInt("c_int");
                expect("RETURNING NULL column wasNull", rs.wasNull(), true);
                return rs.getInt("id");
            }
        }
    }

    private static void checkTypes(Connection conn) throws SQLException {
        int fullId = insertFullRow(conn);
        int nullId = insertNullRow(conn);
        expect("serial ids increase", nullId, fullId + 1);
        try (PreparedStatement ps = conn.prepareStatement("SELECT c_small, c_int, c_big, c_num, c_real, c_double, c_text,"
                + " c_varchar, c_char, c_bool, c_date, c_ts, c_tstz, c_bytea, c_json::text, c_jsonb::text, c_uuid"
                + " FROM " + TYPES + " WHERE id = ?")) {
            ps.setInt(1, fullId);
            try (ResultSet rs = ps.executeQuery()) {
                expect("SELECT by parameter finds the row", rs.next(), true);
                expect("round trip smallint", rs.getShort(1), Short.MIN_VALUE);
                expect("round trip integer", rs.getInt(2), Integer.MIN_VALUE);
                expect("round trip bigint", rs.getLong(3), Long.MIN_VALUE);
                expect("round trip numeric(12,3) keeps scale", rs.getBigDecimal(4), new BigDecimal("-123456789.125"));
                expect("round trip real", rs.getFloat(5), -1.5f);
                expect("round trip double precision", rs.getDouble(6), Math.PI);
                expect("round trip unicode text", rs.getString(7), UNICODE);
                expect("round trip varchar", rs.getString(8), "varchar ünïcode");
                expect("round trip char(5) is blank-padded", rs.getString(9), "ab   ");
                expect("round trip boolean", rs.getBoolean(10), true);
                expect("round trip date", rs.getObject(11, LocalDate.class), LocalDate.of(2024, 2, 29));
                expect("round trip timestamp", rs.getTimestamp(12), TS);
                expect("round trip timestamptz (same instant)",
                        rs.getObject(13, OffsetDateTime.class).toInstant(), TSTZ.toInstant());
                expect("round trip bytea", Arrays.toString(rs.getBytes(14)), Arrays.toString(allBytes()));
                expect("round trip json (text kept verbatim)", rs.getString(15), "{\"a\": [1, 2, {\"b\": null}]}");
                expect("round trip jsonb (normalised)", rs.getString(16), "{\"a\": [true, false], \"z\": 1}");
                expect("round trip uuid", rs.getObject(17), ID);
                expect("one row only", rs.next(), false);
            }
            ps.setInt(1, nullId);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                List<Integer> nonNull = new ArrayList<>();
                for (int column = 1; column <= 17; column++) {
                    if (column != 7 && rs.getObject(column) != null) {
                        nonNull.add(column);
                    }
                }
                expect("NULL in every nullable type", nonNull, List.of());
            }
        }
        try (PreparedStatement ps = conn.prepareStatement("SELECT count(*) FROM " + TYPES
                + " WHERE c_text = ? AND c_bool = ? AND c_num < ? AND c_tstz = ?")) {
            ps.setString(1, UNICODE);
            ps.setBoolean(2, true);
            ps.setBigDecimal(3, BigDecimal.ZERO);
            ps.setObject(4, TSTZ);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                expect("WHERE with text, boolean, numeric, timestamptz parameters", rs.getLong(1), 1L);
            }
        }
        checkResultSetMetaData(conn);
    }

    private static void checkResultSetMetaData(Connection conn) throws SQLException {
        Map<String, String> expected = new TreeMap<>(Map.ofEntries(
                Map.entry("c_small", "int2"), Map.entry("c_int", "int4"), Map.entry("c_big", "int8"),
                Map.entry("c_num", "numeric"), Map.entry("c_real", "float4"), Map.entry("c_double", "float8"),
                Map.entry("c_text", "text"), Map.entry("c_varchar", "varchar"), Map.entry("c_char", "bpchar"),
                Map.entry("c_bool", "bool"), Map.entry("c_date", "date"), Map.entry("c_ts", "timestamp"),
                Map.entry("c_tstz", "timestamptz"), Map.entry("c_bytea", "bytea"), Map.entry("c_json", "json"),
                Map.entry("c_jsonb", "jsonb"), Map.entry("c_uuid", "uuid")));
        try (Statement st = conn.createStatement();
             ResultSet rs = st.executeQuery("SELECT " + String.join(", ", expected.keySet()) + " FROM " + TYPES + " LIMIT 0")) {
            ResultSetMetaData meta = rs.getMetaData();
            Map<String, String> actual = new TreeMap<>();
            for (int i = 1; i <= meta.getColumnCount(); i++) {
                actual.put(meta.getColumnName(i), meta.getColumnTypeName(i));
            }
            expect("ResultSetMetaData column type names", actual, expected);
            int num = rs.findColumn("c_num");
            expect("ResultSetMetaData numeric precision/scale", meta.getPrecision(num) + "," + meta.getScale(num), "12,3");
            expect("ResultSetMetaData varchar size", meta.getColumnDisplaySize(rs.findColumn("c_varchar")), 20);
        }
    }

    private static void checkPreparedReuse(Connection conn) throws SQLException {
        // Past prepareThreshold pgjdbc switches to a named statement and binary results.
        try (PreparedStatement ps = conn.prepareStatement(
                "SELECT c_int, c_big, c_double, c_ts, c_uuid, c_bytea FROM " + TYPES + " WHERE c_int = ?")) {
            for (int run = 1; run <= 8; run++) {
                ps.setInt(1, Integer.MIN_VALUE);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next() || rs.getInt(1) != Integer.MIN_VALUE || rs.getLong(2) != Long.MIN_VALUE
                            || rs.getDouble(3) != Math.PI || !TS.equals(rs.getTimestamp(4)) || !ID.equals(rs.getObject(5))
                            || !Arrays.equals(rs.getBytes(6), allBytes())) {
                        fail("prepared statement reuse", "wrong row on execution " + run);
                    }
                }
            }
            ok("PreparedStatement reused 8 times (named statement, binary results)");
        }
    }

    private static void checkBatchAndCounts(Connection conn) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("INSERT INTO " + ITEMS + " (id, name, qty) VALUES (?, ?, ?)")) {
            for (int i = 1; i <= 5; i++) {
                ps.setLong(1, i);
                ps.setString(2, "item-" + i);
                ps.setInt(3, i * 10);
                ps.addBatch();
            }
            int[] counts = ps.executeBatch();
            expect("executeBatch update counts", Arrays.toString(counts), "[1, 1, 1, 1, 1]");
        }
        expect("batch rows present", queryLong(conn, "SELECT count(*) FROM " + ITEMS), 5L);
        try (PreparedStatement ps = conn.prepareStatement("UPDATE " + ITEMS + " SET qty = qty + ? WHERE qty >= ?")) {
            ps.setInt(1, 1);
            ps.setInt(2, 30);
            expect("UPDATE update count", ps.executeUpdate(), 3);
        }
        try (PreparedStatement ps = conn.prepareStatement("DELETE FROM " + ITEMS + " WHERE id = ?")) {
            ps.setLong(1, 5);
            expect("DELETE update count", ps.executeUpdate(), 1);
            expect("DELETE of a missing row", ps.executeUpdate(), 0);
        }
        expect("sum after UPDATE/DELETE", queryLong(conn, "SELECT sum(qty) FROM " + ITEMS), 10L + 20 + 31 + 41);
    }

    private static void insertItem(Connection conn, long id, String name) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("INSERT INTO " + ITEMS + " (id, name) VALUES (?, ?)")) {
            ps.setLong(1, id);
            ps.setString(2, name);
            ps.executeUpdate();
        }
    }

    private static void checkTransactions(Connection conn, Connection observer) throws SQLException {
        String count = "SELECT count(*) FROM " + ITEMS;
        conn.setAutoCommit(false);
        insertItem(conn, 100, "tx-committed-1");
        insertItem(conn, 101, "tx-committed-2");
        expect("read-your-own-writes inside a transaction", queryLong(conn, count), 6L);
        expect("other connection does not see uncommitted rows", queryLong(observer, count), 4L);
        conn.commit();
        expect("committed rows visible to another connection", queryLong(observer, count), 6L);

        insertItem(conn, 102, "tx-rolled-back");
        conn.rollback();
        expect("rolled-back row not visible", queryLong(conn, count), 6L);

        insertItem(conn, 103, "before-error");
        expectSqlState("duplicate key inside a transaction", "23505", () -> insertItem(conn, 100, "dup"));
        expectSqlState("statement after an error in a transaction", "25P02", () -> queryLong(conn, "SELECT 1"));
        conn.rollback();
        expect("rollback recovers the connection", queryLong(conn, count), 6L);

        insertItem(conn, 104, "sp-kept");
        Savepoint named = conn.setSavepoint("sp_named");
        insertItem(conn, 105, "sp-undone");
        conn.rollback(named);
        Savepoint unnamed = conn.setSavepoint();
        expectSqlState("unique violation after a savepoint", "23505", () -> insertItem(conn, 104, "dup"));
        conn.rollback(unnamed);
        insertItem(conn, 106, "sp-after-recovery");
        conn.commit();
        conn.setAutoCommit(true);
        try (Statement st = observer.createStatement();
             ResultSet rs = st.executeQuery("SELECT name FROM " + ITEMS + " WHERE id >= 103 ORDER BY id")) {
            List<String> names = new ArrayList<>();
            while (rs.next()) {
                names.add(rs.getString(1));
            }
            expect("Savepoint + rollback(Savepoint) keep only surviving writes", names, List.of("sp-kept", "sp-after-recovery"));
        }
    }

    private static void checkErrors(Connection conn) {
        expectSqlState("unique violation (autocommit)", "23505", () -> insertItem(conn, 1, "dup"));
        expectSqlState("NOT NULL violation", "23502", () -> insertItem(conn, 200, null));
        expectSqlState("CHECK violation", "23514", () -> conn.createStatement().executeUpdate("UPDATE " + ITEMS + " SET qty = -1"));
        expectSqlState("syntax error", "42601", () -> conn.createStatement().executeQuery("SELEC 1"));
        expectSqlState("undefined table", "42P01", () -> conn.createStatement().executeQuery("SELECT * FROM " + PREFIX + "missing"));
        expectSqlState("undefined column", "42703", () -> conn.createStatement().executeQuery("SELECT nope FROM " + ITEMS));
        expectSqlState("bad integer input", "22P02", () -> conn.createStatement().executeQuery("SELECT 'x'::integer"));
    }

    private static void checkMetadata(Connection conn) throws SQLException {
        DatabaseMetaData meta = conn.getMetaData();
        List<String> tables = new ArrayList<>();
        try (ResultSet rs = meta.getTables(null, null, PREFIX.replace("_", "\\_") + "j%", new String[] {"TABLE"})) {
            while (rs.next()) {
                tables.add(rs.getString("TABLE_NAME") + ":" + rs.getString("TABLE_TYPE"));
            }
        }
        expect("DatabaseMetaData.getTables", tables, List.of(ITEMS + ":TABLE", TYPES + ":TABLE"));

        List<String> columns = new ArrayList<>();
        try (ResultSet rs = meta.getColumns(null, null, ITEMS, null)) {
            while (rs.next()) {
                columns.add(rs.getString("COLUMN_NAME") + " " + rs.getString("TYPE_NAME") + " " + rs.getInt("DATA_TYPE")
                        + " size=" + rs.getInt("COLUMN_SIZE") + " nullable=" + rs.getString("IS_NULLABLE")
                        + " pos=" + rs.getInt("ORDINAL_POSITION"));
            }
        }
        expect("DatabaseMetaData.getColumns", columns, List.of(
                "id int8 " + Types.BIGINT + " size=19 nullable=NO pos=1",
                "name varchar " + Types.VARCHAR + " size=40 nullable=NO pos=2",
                "qty int4 " + Types.INTEGER + " size=10 nullable=NO pos=3"));
        try (ResultSet rs = meta.getColumns(null, null, TYPES, "id")) {
            rs.next();
            expect("DatabaseMetaData.getColumns: serial column", rs.getString("TYPE_NAME") + " autoincrement="
                    + rs.getString("IS_AUTOINCREMENT"), "serial autoincrement=YES");
        }
        try (ResultSet rs = meta.getColumns(null, null, TYPES, "c_num")) {
            rs.next();
            expect("DatabaseMetaData.getColumns: numeric(12,3)",
                    rs.getInt("COLUMN_SIZE") + "," + rs.getInt("DECIMAL_DIGITS"), "12,3");
        }
        List<String> keys = new ArrayList<>();
        try (ResultSet rs = meta.getPrimaryKeys(null, null, ITEMS)) {
            while (rs.next()) {
                keys.add(rs.getString("COLUMN_NAME") + "#" + rs.getInt("KEY_SEQ"));
            }
        }
        expect("DatabaseMetaData.getPrimaryKeys", keys, List.of("id#1"));
    }

    private static void checkSystemViews(Connection conn) throws SQLException {
        if (!TARGET.equals("rowchain")) {
            return;
        }
        // The machine's PostgreSQL trusts local logins, so only rowchain can be asked to refuse one.
        expectSqlState("login with a wrong password", "28P01", () -> {
            String url = conn.getMetaData().getURL();
            Properties props = new Properties();
            props.setProperty("user", envOr("PGUSER", "postgres"));
            props.setProperty("password", "wrong-" + PREFIX);
            DriverManager.getConnection(url, props).close();
        });
        try (PreparedStatement ps = conn.prepareStatement(
                "SELECT status, rows_affected FROM rowchain.transactions WHERE statement LIKE ?")) {
            ps.setString(1, "%DELETE FROM " + ITEMS + "%");
            List<String> found = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    found.add(rs.getString(1) + ":" + rs.getLong(2));
                }
            }
            // Two executions of the DELETE: one removed a row, one matched none.
            found.sort(null);
            expect("rowchain.transactions records both DELETE executions", found, List.of("committed:0", "committed:1"));
        }
    }
}
