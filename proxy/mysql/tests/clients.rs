//! Real clients against `serve` on loopback TCP: the `mysql_async` crate
//! and the `mysql` command-line client (MariaDB's).

mod common;

use common::{rsa_key, start};
use mysql_async::prelude::Queryable;
use mysql_async::{Conn, OptsBuilder};
use proxy_mysql::auth::CACHING_SHA2_PASSWORD;
use proxy_mysql::Config;

fn options(port: u16, user: &str, password: &str) -> OptsBuilder {
    OptsBuilder::default()
        .ip_or_hostname("127.0.0.1")
        .tcp_port(port)
        .user(Some(user))
        .pass(Some(password))
        .prefer_socket(false)
        // Given here, so the driver does not SELECT them at connect time.
        .max_allowed_packet(Some(16 << 20))
        .wait_timeout(Some(28800))
}

fn server_error(error: mysql_async::Error) -> (u16, String) {
    match error {
        mysql_async::Error::Server(error) => (error.code, error.state),
        other => panic!("expected a server error, got {other:?}"),
    }
}

#[tokio::test]
async fn mysql_async_text_queries_and_multi_statements() {
    let server = start(Config::default(), 16).await;
    let mut conn = Conn::new(options(server.port, "u", "p")).await.unwrap();
    let one: Vec<i64> = conn.query("SELECT 1").await.unwrap();
    assert_eq!(one, [1]);
    let rows: Vec<(i64, String, Option<f64>)> = conn.query("SELECT * FROM t").await.unwrap();
    assert_eq!(rows, [(1, "alice".into(), Some(1.5)), (2, "bob".into(), None)]);

    let mut results = conn.query_iter("SELECT 7; SELECT * FROM t; INSERT INTO t VALUES (3)").await.unwrap();
    let first: Vec<i64> = results.collect().await.unwrap();
    let second: Vec<(i64, String, Option<f64>)> = results.collect().await.unwrap();
    assert_eq!(first, [7]);
    assert_eq!(second, [(1, "alice".into(), Some(1.5)), (2, "bob".into(), None)]);
    let third: Vec<i64> = results.collect().await.unwrap();
    assert!(third.is_empty());
    assert_eq!(results.affected_rows(), 1);
    assert_eq!(results.last_insert_id(), Some(3));
    drop(results);

    // An error in the middle ends the list, and the connection goes on.
    let error = conn.query::<i64, _>("SELECT 1; nonsense; SELECT 2").await.unwrap_err();
    assert_eq!(server_error(error), (1064, "42000".into()));
    let after: Vec<i64> = conn.query("SELECT 5").await.unwrap();
    assert_eq!(after, [5]);

    let big: Vec<(i64, String)> = conn.query("SELECT big").await.unwrap();
    assert_eq!(big.len(), 30_000);
    assert_eq!(big.iter().map(|(n, _)| n).sum::<i64>(), 29_999 * 30_000 / 2);
    assert!(big.iter().all(|(_, pad)| pad.len() == 100));
    // A row the backend got wrong is an error after the good rows, not a
    // malformed stream: the connection goes on.
    let error = conn.query::<i64, _>("SELECT ragged").await.unwrap_err();
    assert_eq!(server_error(error), (1105, "HY000".into()));
    let after: Vec<i64> = conn.query("SELECT 6").await.unwrap();
    assert_eq!(after, [6]);
    conn.query_drop("BEGIN").await.unwrap();
    conn.ping().await.unwrap();
    let connection_id = conn.id();
    conn.disconnect().await.unwrap();
    assert_eq!(server.shared.lock().unwrap().logins, [("u".to_owned(), None)]);
    assert_eq!(server.shared.lock().unwrap().login_details, [(connection_id, false, false)]);
}

#[tokio::test]
async fn mysql_async_prepared_statements_with_binary_rows() {
    let server = start(Config::default(), 16).await;
    let mut conn =
        Conn::new(options(server.port, "u", "p").db_name(Some("shop")).client_found_rows(true)).await.unwrap();
    let rows: Vec<(i64, String, Option<f64>)> = conn.exec("SELECT * FROM t WHERE id = ?", (2,)).await.unwrap();
    assert_eq!(rows, [(2, "bob".into(), None)]);
    let rows: Vec<(i64, String, Option<f64>)> = conn.exec("SELECT * FROM t WHERE id = ?", (1,)).await.unwrap();
    assert_eq!(rows, [(1, "alice".into(), Some(1.5))]);

    let echoed: Vec<String> = conn.exec("SELECT ?", ("wörd",)).await.unwrap();
    assert_eq!(echoed, ["wörd"]);
    let echoed: Vec<f64> = conn.exec("SELECT ?", (0.125f64,)).await.unwrap();
    assert_eq!(echoed, [0.125]);
    let null: Vec<Option<i64>> = conn.exec("SELECT ?", (None::<i64>,)).await.unwrap();
    assert_eq!(null, [None]);

    use mysql_async::Value as V;
    let typed: Vec<mysql_async::Row> = conn.exec("SELECT typed", ()).await.unwrap();
    let values = typed.into_iter().next().unwrap().unwrap();
    assert_eq!(
        values,
        [
            V::Int(-5),
            V::Double(2.5),
            V::Bytes(b"12.50".to_vec()),
            V::Date(2024, 2, 29, 13, 14, 15, 16),
            V::Date(2024, 2, 29, 0, 0, 0, 0),
            V::Time(true, 1, 2, 3, 4, 0),
            V::Bytes("héllo".as_bytes().to_vec()),
            V::NULL,
            V::Int(-300),
        ]
    );
    // The same row in the text protocol.
    let text: Vec<mysql_async::Row> = conn.query("SELECT typed").await.unwrap();
    let values = text.into_iter().next().unwrap().unwrap();
    let expected_text: [&[u8]; 3] = [b"-5", b"2.5", b"12.50"];
    for (value, expected) in values.iter().zip(expected_text) {
        assert_eq!(*value, V::Bytes(expected.to_vec()));
    }
    assert_eq!(values[3], V::Bytes(b"2024-02-29 13:14:15.000016".to_vec()));
    assert_eq!(values[5], V::Bytes(b"-26:03:04".to_vec()));

    let error = conn.exec_drop("SELECT nonsense ?", (1,)).await.unwrap_err();
    assert_eq!(server_error(error), (1064, "42000".into()));
    assert!(server.shared.lock().unwrap().closed_statements.is_empty());
    // COM_RESET_CONNECTION closes every statement; the driver prepares again.
    conn.reset().await.unwrap();
    assert_eq!(server.shared.lock().unwrap().closed_statements, [1, 2, 3]);
    let after: Vec<i64> = conn
        .exec("SELECT * FROM t WHERE id = ?", (1,))
        .await
        .unwrap()
        .into_iter()
        .map(|(id, _, _): (i64, String, Option<f64>)| id)
        .collect();
    assert_eq!(after, [1]);
    conn.disconnect().await.unwrap();
    assert_eq!(server.shared.lock().unwrap().logins[0], ("u".to_owned(), Some("shop".to_owned())));
    assert!(server.shared.lock().unwrap().login_details[0].1, "CLIENT_FOUND_ROWS reaches the backend");
}

#[tokio::test]
async fn mysql_async_wrong_password_and_unknown_user_are_1045() {
    let server = start(Config { rsa_key: Some(rsa_key()), ..Config::default() }, 16).await;
    for (user, password) in [("u", "wrong"), ("nobody", "p"), ("sha", "wrong")] {
        let error = Conn::new(options(server.port, user, password)).await.unwrap_err();
        assert_eq!(server_error(error), (1045, "28000".into()), "{user}");
    }
    // Only the known caching_sha2 account reached full authentication.
    let full = server.shared.lock().unwrap().full_authentications.clone();
    assert_eq!(full, [("sha".to_owned(), b"wrong".to_vec())]);
}

/// The account starts without a cached verifier: the first login is a
/// full authentication through the RSA public-key exchange (no TLS), the
/// second takes the fast path. Both with the server's handshake naming
/// caching_sha2_password and naming mysql_native_password (auth switch).
#[tokio::test]
async fn mysql_async_caching_sha2_full_then_fast_authentication() {
    for default_auth_plugin in [CACHING_SHA2_PASSWORD, "mysql_native_password"] {
        let config = Config { default_auth_plugin, rsa_key: Some(rsa_key()), ..Config::default() };
        let server = start(config, 16).await;
        for _ in 0..2 {
            let mut conn = Conn::new(options(server.port, "sha", "secret")).await.unwrap();
            let one: Vec<i64> = conn.query("SELECT 1").await.unwrap();
            assert_eq!(one, [1]);
            conn.disconnect().await.unwrap();
        }
        let (full, logins) = {
            let shared = server.shared.lock().unwrap();
            (shared.full_authentications.clone(), shared.logins.len())
        };
        assert_eq!(full, [("sha".to_owned(), b"secret".to_vec())], "{default_auth_plugin}");
        assert_eq!(logins, 2);
        // The native account behind a caching_sha2 handshake: auth switch.
        let conn = Conn::new(options(server.port, "u", "p")).await.unwrap();
        conn.disconnect().await.unwrap();
    }
}

#[tokio::test]
async fn mysql_async_change_user_and_unknown_database() {
    let config = Config { rsa_key: Some(rsa_key()), ..Config::default() };
    let server = start(config, 16).await;
    let mut conn = Conn::new(options(server.port, "u", "p")).await.unwrap();
    let change = |user: &str, password: &str| {
        mysql_async::ChangeUserOpts::default()
            .with_user(Some(user.into()))
            .with_pass(Some(password.into()))
            .with_db_name(Some("other".into()))
    };
    conn.change_user(change("u", "p")).await.unwrap();
    // To the caching_sha2 account: an auth switch, then full authentication over RSA.
    conn.change_user(change("sha", "secret")).await.unwrap();
    let one: Vec<i64> = conn.query("SELECT 1").await.unwrap();
    assert_eq!(one, [1]);
    conn.disconnect().await.unwrap();
    let logins = server.shared.lock().unwrap().logins.clone();
    assert_eq!(
        logins,
        [
            ("u".to_owned(), None),
            ("u".to_owned(), Some("other".to_owned())),
            ("sha".to_owned(), Some("other".to_owned()))
        ]
    );
    assert_eq!(server.shared.lock().unwrap().full_authentications, [("sha".to_owned(), b"secret".to_vec())]);
    let error = Conn::new(options(server.port, "u", "p").db_name(Some("missing"))).await.unwrap_err();
    assert_eq!(server_error(error), (1049, "42000".into()));
}

async fn mysql_cli(port: u16, arguments: &[&str]) -> std::process::Output {
    tokio::process::Command::new("/usr/bin/mysql")
        .args(["-h", "127.0.0.1", "-P", &port.to_string(), "--protocol=TCP", "--batch", "--skip-column-names"])
        .args(arguments)
        .output()
        .await
        .expect("run /usr/bin/mysql (Debian's mariadb-client; .ci/run and compat/clients/setup.sh install it)")
}

#[tokio::test]
async fn mysql_cli_multi_statements_and_wrong_password() {
    let server = start(Config::default(), 16).await;
    let output = mysql_cli(server.port, &["-u", "u", "-pp", "-e", "SELECT 1; SELECT * FROM t"]).await;
    assert_eq!(String::from_utf8_lossy(&output.stderr), "");
    assert_eq!(String::from_utf8_lossy(&output.stdout), "1\n1\talice\t1.5\n2\tbob\tNULL\n");
    assert!(output.status.success());

    let output = mysql_cli(server.port, &["-u", "u", "-pwrong", "-e", "SELECT 1"]).await;
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("ERROR 1045 (28000): Access denied for user 'u'"), "{stderr}");

    let output = mysql_cli(server.port, &["-u", "u", "-pp", "-e", "SELECT 1; nonsense 'é✓'"]).await;
    assert_eq!(String::from_utf8_lossy(&output.stdout), "1\n");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("ERROR 1064 (42000)") && stderr.contains("nonsense 'é✓'"), "{stderr}");
}

#[tokio::test]
async fn mysql_cli_caching_sha2_full_authentication_in_clear_over_tls() {
    let directory = std::env::temp_dir().join(format!("proxy-mysql-tls-{}", std::process::id()));
    std::fs::create_dir_all(&directory).unwrap();
    let (certificate, key) = (directory.join("cert.pem"), directory.join("key.pem"));
    let status = std::process::Command::new("openssl")
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&certificate)
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let acceptor =
        proxy_mysql::acceptor_from_pem(&std::fs::read(&certificate).unwrap(), &std::fs::read(&key).unwrap()).unwrap();
    // No RSA key: only the TLS path can carry the password.
    let server = start(Config { tls: Some(acceptor), ..Config::default() }, 16).await;
    let output =
        mysql_cli(server.port, &["--ssl", "--skip-ssl-verify-server-cert", "-u", "sha", "-psecret", "-e", "SELECT 2"])
            .await;
    assert_eq!(String::from_utf8_lossy(&output.stderr), "");
    assert_eq!(String::from_utf8_lossy(&output.stdout), "2\n");
    assert_eq!(server.shared.lock().unwrap().full_authentications, [("sha".to_owned(), b"secret".to_vec())]);
    assert!(server.shared.lock().unwrap().login_details[0].2, "the backend is told about TLS");
    // Without TLS and without an RSA key, full authentication cannot happen.
    let plain = start(Config::default(), 16).await;
    let output = mysql_cli(plain.port, &["-u", "sha", "-psecret", "-e", "SELECT 2"]).await;
    assert!(!output.status.success());
    assert!(plain.shared.lock().unwrap().full_authentications.is_empty());
    // This MariaDB client answers "perform full authentication" on plain
    // TCP with the password in clear, not the RSA exchange. The server has
    // an RSA key here, yet must refuse the clear text and never pass it on.
    let with_key = start(Config { rsa_key: Some(rsa_key()), ..Config::default() }, 16).await;
    let output = mysql_cli(with_key.port, &["-u", "sha", "-psecret", "-e", "SELECT 3"]).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("ERROR 1045 (28000)"), "{stderr}");
    assert!(with_key.shared.lock().unwrap().full_authentications.is_empty());
    std::fs::remove_dir_all(&directory).unwrap();
}

/// libmysqlclient encrypts with OpenSSL's RSA_PKCS1_OAEP_PADDING; the
/// server's decryption must accept what OpenSSL produces.
#[test]
fn openssl_oaep_ciphertext_decrypts_to_the_password() {
    let key = rsa_key();
    let directory = std::env::temp_dir().join(format!("proxy-mysql-oaep-{}", std::process::id()));
    std::fs::create_dir_all(&directory).unwrap();
    let public = directory.join("public.pem");
    std::fs::write(&public, key.public_pem()).unwrap();
    let salt = b"0123456789abcdefghij";
    let mut plain = "pässword with more than twenty bytes".as_bytes().to_vec();
    plain.push(0);
    for (byte, salt_byte) in plain.iter_mut().zip(salt.iter().cycle()) {
        *byte ^= salt_byte;
    }
    let mut child = std::process::Command::new("openssl")
        .args(["pkeyutl", "-encrypt", "-pubin", "-inkey"])
        .arg(&public)
        .args(["-pkeyopt", "rsa_padding_mode:oaep"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), &plain).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    assert_eq!(output.stdout.len(), 256);
    let password = key.decrypt_password(&output.stdout, salt).unwrap();
    assert_eq!(password, "pässword with more than twenty bytes".as_bytes());
    std::fs::remove_dir_all(&directory).unwrap();
}

/// A stored verifier is always current: the right password passes the
/// fast path, and a wrong one is 1045 at once, without the full
/// authentication that clients refuse without TLS or an RSA key.
#[tokio::test]
async fn a_stored_sha2_verifier_decides_on_the_fast_path() {
    let server = start(Config { default_auth_plugin: CACHING_SHA2_PASSWORD, ..Config::default() }, 16).await;
    let mut conn = Conn::new(options(server.port, "stored", "pw")).await.unwrap();
    let one: Vec<i64> = conn.query("SELECT 1").await.unwrap();
    assert_eq!(one, [1]);
    conn.disconnect().await.unwrap();
    let wrong = Conn::new(options(server.port, "stored", "nope")).await.unwrap_err();
    assert_eq!(server_error(wrong), (1045, "28000".into()));
    assert!(server.shared.lock().unwrap().full_authentications.is_empty());
}
