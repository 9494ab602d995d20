//! `serve` driven byte by byte: exact packets for the command phase's
//! replies and failures, the connection limit, and proptest fuzzing of
//! every decoder and of the whole connection loop.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{start, Shared, TestBackend};
use proptest::prelude::*;
use proxy_mysql::command::{decode_parameters, Command};
use proxy_mysql::handshake::{capability, HandshakeResponse};
use proxy_mysql::packet::Reader;
use proxy_mysql::{serve, Config, Value};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, DuplexStream};

struct RawClient<S> {
    stream: S,
}

impl<S: AsyncRead + AsyncWrite + Unpin> RawClient<S> {
    async fn read(&mut self) -> Option<(u8, Vec<u8>)> {
        let mut header = [0u8; 4];
        self.stream.read_exact(&mut header).await.ok()?;
        let length = u32::from_le_bytes([header[0], header[1], header[2], 0]) as usize;
        let mut payload = vec![0; length];
        self.stream.read_exact(&mut payload).await.ok()?;
        Some((header[3], payload))
    }

    async fn send(&mut self, sequence: u8, payload: &[u8]) {
        let mut frame = (payload.len() as u32).to_le_bytes()[..3].to_vec();
        frame.push(sequence);
        frame.extend_from_slice(payload);
        self.stream.write_all(&frame).await.unwrap();
    }

    /// Sends a command and reads its replies up to and including `count` packets.
    async fn command(&mut self, payload: &[u8], count: usize) -> Vec<Vec<u8>> {
        self.send(0, payload).await;
        let mut replies = Vec::new();
        for expected_sequence in 1..=count {
            let (sequence, packet) = self.read().await.expect("a reply packet");
            assert_eq!(usize::from(sequence), expected_sequence);
            replies.push(packet);
        }
        replies
    }
}

const CLIENT: u32 = capability::PROTOCOL_41
    | capability::SECURE_CONNECTION
    | capability::PLUGIN_AUTH
    | capability::PLUGIN_AUTH_LENENC_CLIENT_DATA
    | capability::MULTI_STATEMENTS
    | capability::MULTI_RESULTS;

/// The salt's two parts from a HandshakeV10.
fn salt_of(handshake: &[u8]) -> Vec<u8> {
    let version_end = handshake.iter().position(|&b| b == 0).unwrap();
    let first = &handshake[version_end + 5..version_end + 13];
    let second = &handshake[version_end + 32..version_end + 44];
    [first, second].concat()
}

fn handshake_response(capabilities: u32, user: &str, auth: &[u8]) -> Vec<u8> {
    let mut bytes = capabilities.to_le_bytes().to_vec();
    bytes.extend_from_slice(&(16u32 << 20).to_le_bytes());
    bytes.push(45);
    bytes.extend_from_slice(&[0; 23]);
    bytes.extend_from_slice(user.as_bytes());
    bytes.push(0);
    bytes.push(auth.len() as u8);
    bytes.extend_from_slice(auth);
    bytes.extend_from_slice(b"mysql_native_password\0");
    bytes
}

/// Logs in as u/p with `capabilities`; returns the salt.
async fn login<S: AsyncRead + AsyncWrite + Unpin>(client: &mut RawClient<S>, capabilities: u32) -> Vec<u8> {
    let (sequence, handshake) = client.read().await.unwrap();
    assert_eq!(sequence, 0);
    let salt = salt_of(&handshake);
    let token = proxy_mysql::auth::scramble_native(&salt, b"p");
    client.send(1, &handshake_response(capabilities, "u", &token)).await;
    assert_eq!(client.read().await.unwrap(), (2, vec![0, 0, 0, 2, 0, 0, 0]));
    salt
}

fn duplex_server(
    config: Config,
) -> (RawClient<DuplexStream>, tokio::task::JoinHandle<Result<(), proxy_mysql::WireError>>) {
    let (client, server) = tokio::io::duplex(1 << 20);
    let backend = TestBackend::new(Arc::new(Mutex::new(Shared::default())));
    let task = tokio::spawn(serve(server, Arc::new(config), backend));
    (RawClient { stream: client }, task)
}

#[tokio::test]
async fn handshake_v10_offers_what_drivers_need_with_a_fresh_salt() {
    let mut salts = Vec::new();
    for _ in 0..2 {
        let (mut client, _task) = duplex_server(Config::default());
        let (_, handshake) = client.read().await.unwrap();
        assert_eq!(&handshake[..17], b"\x0a8.0.36-rowchain\0");
        let low = u16::from_le_bytes([handshake[30], handshake[31]]);
        let high = u16::from_le_bytes([handshake[35], handshake[36]]);
        let capabilities = u32::from(low) | u32::from(high) << 16;
        let wanted = capability::PROTOCOL_41
            | capability::SECURE_CONNECTION
            | capability::PLUGIN_AUTH
            | capability::PLUGIN_AUTH_LENENC_CLIENT_DATA
            | capability::CONNECT_WITH_DB
            | capability::MULTI_STATEMENTS
            | capability::MULTI_RESULTS
            | capability::PS_MULTI_RESULTS
            | capability::FOUND_ROWS
            | capability::TRANSACTIONS
            | capability::DEPRECATE_EOF;
        assert_eq!(capabilities & wanted, wanted);
        assert_eq!(capabilities & capability::SSL, 0, "no TLS configured");
        assert_eq!(handshake[37], 21);
        assert!(handshake.ends_with(b"\0mysql_native_password\0"));
        salts.push(salt_of(&handshake));
    }
    assert_ne!(salts[0], salts[1]);
}

#[tokio::test]
async fn unknown_and_malformed_commands_fail_alone() {
    let (mut client, _task) = duplex_server(Config::default());
    login(&mut client, CLIENT).await;
    let replies = client.command(&[0x05, b'd', b'b'], 1).await; // COM_CREATE_DB
    assert_eq!(replies[0], b"\xff\x17\x04#08S01Unknown command");
    let replies = client.command(&[0x19, 1], 1).await; // COM_STMT_CLOSE cut short
    assert_eq!(&replies[0][..9], b"\xff\x2b\x07#HY000");
    let replies = client.command(&[0x03, 0xFF, 0xFE], 1).await; // query not UTF-8
    assert_eq!(&replies[0][..3], b"\xff\x2b\x07");
    let replies = client.command(&[0x0E], 1).await;
    assert_eq!(replies[0], [0, 0, 0, 2, 0, 0, 0]);
    let replies = client.command(&[0x1C, 1, 0, 0, 0, 1, 0, 0, 0], 1).await; // COM_STMT_FETCH
    assert_eq!(&replies[0][..9], b"\xff\x8d\x05#HY000");
    let replies = client.command(b"\x02missing", 1).await; // COM_INIT_DB
    assert_eq!(replies[0], b"\xff\x19\x04#42000Unknown database 'missing'");
    let replies = client.command(b"\x02shop", 1).await;
    assert_eq!(replies[0], [0, 0, 0, 2, 0, 0, 0]);
    let replies = client.command(&[0x1B, 9, 0], 1).await; // unknown COM_SET_OPTION
    assert_eq!(&replies[0][..3], b"\xff\x17\x04");
}

#[tokio::test]
async fn multi_statement_results_carry_more_results_exists() {
    let (mut client, _task) = duplex_server(Config::default());
    login(&mut client, CLIENT).await;
    client.command(b"\x03BEGIN", 1).await;
    let replies = client.command(b"\x03SELECT 1; INSERT INTO t VALUES (3); SELECT 2", 11).await;
    let in_transaction_more = [0xFE, 0, 0, 0x0B, 0];
    assert_eq!(replies[0], [1]);
    assert_eq!(replies[1][replies[1].len() - 13..], [0x0C, 63, 0, 20, 0, 0, 0, 0x08, 0, 0x80, 0, 0, 0]);
    assert_eq!(replies[2], in_transaction_more);
    assert_eq!(replies[3], b"\x011");
    assert_eq!(replies[4], in_transaction_more);
    assert_eq!(replies[5], [0x00, 1, 3, 0x0B, 0, 0, 0]);
    assert_eq!(replies[6], [1]);
    assert_eq!(replies[8], [0xFE, 0, 0, 0x03, 0]);
    assert_eq!(replies[9], b"\x012");
    assert_eq!(replies[10], [0xFE, 0, 0, 0x03, 0]);
}

#[tokio::test]
async fn set_option_toggles_multi_statements_and_field_list_is_empty() {
    let (mut client, _task) = duplex_server(Config::default());
    login(&mut client, CLIENT).await;
    let replies = client.command(&[0x1B, 1, 0], 1).await; // MYSQL_OPTION_MULTI_STATEMENTS_OFF
    assert_eq!(replies[0], [0xFE, 0, 0, 0x02, 0]);
    let replies = client.command(b"\x03SELECT 1; SELECT 2", 1).await;
    assert_eq!(&replies[0][..9], b"\xff\x28\x04#42000");
    client.command(&[0x1B, 0, 0], 1).await; // MYSQL_OPTION_MULTI_STATEMENTS_ON
    let replies = client.command(b"\x03SELECT 1; SELECT 2", 10).await;
    assert_eq!(replies[9], [0xFE, 0, 0, 0x02, 0]);
    let replies = client.command(b"\x04t\0", 1).await; // COM_FIELD_LIST
    assert_eq!(replies[0], [0xFE, 0, 0, 0x02, 0]);
}

#[tokio::test]
async fn a_failed_change_user_closes_the_connection() {
    let (mut client, task) = duplex_server(Config::default());
    let salt = login(&mut client, CLIENT).await;
    let token = proxy_mysql::auth::scramble_native(&salt, b"p");
    let mut change = b"\x11u\0\x14".to_vec();
    change.extend_from_slice(&token);
    change.extend_from_slice(b"shop\0\x2d\0mysql_native_password\0");
    let replies = client.command(&change, 1).await;
    assert_eq!(replies[0], [0, 0, 0, 2, 0, 0, 0]);
    let mut wrong = b"\x11u\0\x14".to_vec();
    wrong.extend_from_slice(&proxy_mysql::auth::scramble_native(&salt, b"q"));
    let replies = client.command(&wrong, 1).await;
    assert_eq!(replies[0], b"\xff\x15\x04#28000Access denied for user 'u' (using password: YES)");
    assert!(client.read().await.is_none());
    assert!(task.await.unwrap().is_ok());
}

#[tokio::test]
async fn deprecate_eof_ends_rows_with_an_ok_packet() {
    let (mut client, _task) = duplex_server(Config::default());
    login(&mut client, CLIENT | capability::DEPRECATE_EOF).await;
    let replies = client.command(b"\x03SELECT 1", 4).await;
    assert_eq!(replies[0], [1]);
    assert_eq!(replies[2], b"\x011");
    assert_eq!(replies[3], [0xFE, 0, 0, 0x02, 0, 0, 0]);
}

#[tokio::test]
async fn prepared_statement_packets() {
    let (mut client, _task) = duplex_server(Config::default());
    login(&mut client, CLIENT).await;
    // OK, one parameter definition + EOF, three columns + EOF.
    let replies = client.command(b"\x16SELECT * FROM t WHERE id = ?", 7).await;
    assert_eq!(replies[0], [0, 1, 0, 0, 0, 3, 0, 1, 0, 0, 0, 0]);
    assert_eq!(replies[2], [0xFE, 0, 0, 0x02, 0]);
    // Execute id = 2 as LONGLONG: columns, EOF, one binary row, EOF.
    let execute = [0x17, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0x08, 0, 2, 0, 0, 0, 0, 0, 0, 0];
    let replies = client.command(&execute, 7).await;
    assert_eq!(replies[0], [3]);
    assert_eq!(replies[5], [0x00, 0b0001_0000, 2, 0, 0, 0, 0, 0, 0, 0, 3, b'b', b'o', b'b']);
    assert_eq!(replies[6], [0xFE, 0, 0, 0x02, 0]);
    // Re-executing without types reuses them.
    let again = [0x17, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0];
    let replies = client.command(&again, 7).await;
    assert_eq!(&replies[5][..3], [0x00, 0b0000_0000, 1]);
    // Long data for "SELECT ?", then execute without the value.
    client.command(b"\x16SELECT ?", 5).await;
    client.send(0, b"\x18\x02\0\0\0\0\0long ").await;
    client.send(0, b"\x18\x02\0\0\0\0\0data").await;
    let replies = client.command(&[0x17, 2, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0xFC, 0], 5).await;
    assert_eq!(replies[3], b"\x00\x00\x09long data");
    let replies = client.command(&[0x17, 9, 0, 0, 0, 0, 1, 0, 0, 0], 1).await;
    assert_eq!(replies[0], b"\xff\xdb\x04#HY000Unknown prepared statement handler (9) given to mysqld_stmt_execute");
    client.send(0, &[0x19, 2, 0, 0, 0]).await; // COM_STMT_CLOSE: no reply
    let replies = client.command(&[0x1A, 2, 0, 0, 0], 1).await; // reset a closed statement
    assert_eq!(&replies[0][..3], b"\xff\xdb\x04");
    let replies = client.command(&[0x1A, 1, 0, 0, 0], 1).await;
    assert_eq!(replies[0], [0, 0, 0, 2, 0, 0, 0]);
}

#[tokio::test]
async fn long_data_is_bounded_per_statement_and_reported_at_execution() {
    let (mut client, _task) = duplex_server(Config { packet_size_max: 1024, ..Config::default() });
    login(&mut client, CLIENT).await;
    client.command(b"\x16SELECT ?", 5).await;
    let chunk = [&b"\x18\x01\0\0\0\0\0"[..], &[b'x'; 600]].concat();
    client.send(0, &chunk).await;
    client.send(0, &chunk).await;
    let execute = [0x17, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0xFC, 0];
    let replies = client.command(&execute, 1).await;
    assert_eq!(
        replies[0],
        b"\xff\x81\x04#HY000Parameter of prepared statement is larger than 'max_allowed_packet' bytes"
    );
    // The refusal is reported once; the next execution starts afresh.
    client.send(0, &chunk).await;
    let replies = client.command(&execute, 5).await;
    assert_eq!(replies[3][..4], [0x00, 0x00, 0xFC, 0x58]);
    assert_eq!(replies[3].len(), 4 + 1 + 600);
}

#[tokio::test]
async fn a_client_that_does_not_log_in_in_time_is_dropped() {
    let config = Config { login_timeout: Duration::from_millis(50), ..Config::default() };
    let (mut client, task) = duplex_server(config);
    client.read().await.unwrap();
    assert!(client.read().await.is_none());
    assert!(matches!(task.await.unwrap(), Err(proxy_mysql::WireError::LoginTimeout)));
}

#[tokio::test]
async fn an_idle_connection_gets_4031_and_is_closed() {
    let config = Config { idle_timeout: Duration::from_millis(50), ..Config::default() };
    let (mut client, task) = duplex_server(config);
    login(&mut client, CLIENT).await;
    assert_eq!(client.command(&[0x0E], 1).await[0], [0, 0, 0, 2, 0, 0, 0]);
    let (sequence, reply) = client.read().await.unwrap();
    assert_eq!(sequence, 0);
    assert_eq!(reply, b"\xff\xbf\x0f#HY000The client was disconnected by the server because of inactivity.");
    assert!(client.read().await.is_none());
    assert!(task.await.unwrap().is_ok());
}

#[tokio::test]
async fn an_oversized_packet_is_1153_and_closes() {
    let (mut client, task) = duplex_server(Config { packet_size_max: 1024, ..Config::default() });
    login(&mut client, CLIENT).await;
    client.stream.write_all(&[0xD0, 0x07, 0, 0]).await.unwrap(); // declares 2000 bytes
    let (sequence, reply) = client.read().await.unwrap();
    assert_eq!(sequence, 1);
    assert_eq!(reply, b"\xff\x81\x04#08S01Got a packet bigger than 'max_allowed_packet' bytes");
    assert!(client.read().await.is_none());
    assert!(task.await.unwrap().is_err());
}

#[tokio::test]
async fn before_login_packets_are_limited_to_64_kib() {
    let (mut client, task) = duplex_server(Config::default());
    client.read().await.unwrap();
    client.stream.write_all(&[0x01, 0x00, 0x01, 1]).await.unwrap(); // declares 64 KiB + 1
    let (sequence, reply) = client.read().await.unwrap();
    assert_eq!((sequence, &reply[..3]), (2, &b"\xff\x81\x04"[..]));
    assert!(task.await.unwrap().is_err());
    // After login the configured max packet size applies (64 MiB by default).
    let (mut client, _task) = duplex_server(Config::default());
    login(&mut client, CLIENT).await;
    let query = [&b"\x03SELECT 1 -- "[..], &vec![b'x'; 100 << 10]].concat();
    let replies = client.command(&query, 5).await;
    assert_eq!(replies[3], b"\x011");
}

#[tokio::test]
async fn a_packet_out_of_sequence_is_1156_and_closes() {
    let (mut client, task) = duplex_server(Config::default());
    login(&mut client, CLIENT).await;
    client.send(3, &[0x0E]).await;
    let (_, reply) = client.read().await.unwrap();
    assert_eq!(reply, b"\xff\x84\x04#08S01Got packets out of order");
    assert!(client.read().await.is_none());
    assert!(task.await.unwrap().is_err());
}

#[tokio::test]
async fn bad_handshake_response_is_1043() {
    let (mut client, _task) = duplex_server(Config::default());
    client.read().await.unwrap();
    client.send(1, &[1, 2, 3]).await;
    let (sequence, reply) = client.read().await.unwrap();
    assert_eq!((sequence, reply.as_slice()), (2, &b"\xff\x13\x04#08S01Bad handshake"[..]));
    // An SSLRequest when no TLS is configured is refused the same way.
    let (mut client, _task) = duplex_server(Config::default());
    client.read().await.unwrap();
    let mut ssl_request = (CLIENT | capability::SSL).to_le_bytes().to_vec();
    ssl_request.extend_from_slice(&[0; 28]);
    client.send(1, &ssl_request).await;
    assert_eq!(client.read().await.unwrap().1, b"\xff\x13\x04#08S01Bad handshake");
}

#[tokio::test]
async fn excess_connections_get_1040_before_the_handshake() {
    let server = start(Config::default(), 1).await;
    let first = tokio::net::TcpStream::connect(("127.0.0.1", server.port)).await.unwrap();
    let mut first = RawClient { stream: first };
    assert_eq!(first.read().await.unwrap().1[0], 10);
    let second = tokio::net::TcpStream::connect(("127.0.0.1", server.port)).await.unwrap();
    let mut second = RawClient { stream: second };
    assert_eq!(second.read().await.unwrap(), (0, b"\xff\x10\x04#08004Too many connections".to_vec()));
    assert!(second.read().await.is_none());
    drop(first);
    // The slot is freed once the first connection's task ends.
    let mut third = None;
    for _ in 0..100 {
        let stream = tokio::net::TcpStream::connect(("127.0.0.1", server.port)).await.unwrap();
        let mut client = RawClient { stream };
        if client.read().await.unwrap().1[0] == 10 {
            third = Some(client);
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(third.is_some());
}

fn run_serve_with(before_login: Vec<u8>, commands: Vec<Vec<u8>>, log_in: bool) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async move {
        let config = Config { packet_size_max: 4096, ..Config::default() };
        let (mut client, task) = duplex_server(config);
        if log_in {
            login(&mut client, CLIENT).await;
        } else {
            client.stream.write_all(&before_login).await.unwrap();
        }
        let (mut reader, mut writer) = tokio::io::split(client.stream);
        let drain = tokio::spawn(async move {
            let mut sink = Vec::new();
            let _ = reader.read_to_end(&mut sink).await;
        });
        for command in commands {
            let mut frame = (command.len() as u32).to_le_bytes()[..3].to_vec();
            frame.push(0);
            frame.extend_from_slice(&command);
            if writer.write_all(&frame).await.is_err() {
                break;
            }
        }
        let _ = writer.shutdown().await;
        let finished = tokio::time::timeout(Duration::from_secs(10), task).await.expect("serve ends");
        assert!(finished.is_ok(), "serve panicked: {finished:?}");
        drain.abort();
    });
}

fn command_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..64),
        (0x00u8..0x20, proptest::collection::vec(any::<u8>(), 0..64)).prop_map(|(code, mut rest)| {
            rest.insert(0, code);
            rest
        }),
        // Executions of statement 1 with arbitrary parameter blocks.
        proptest::collection::vec(any::<u8>(), 0..48).prop_map(|block| [
            &[0x17, 1, 0, 0, 0, 0, 1, 0, 0, 0][..],
            &block
        ]
        .concat()),
        Just(b"\x16SELECT * FROM t WHERE id = ?".to_vec()),
        Just(b"\x16SELECT ?".to_vec()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn decoders_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..128), capabilities in any::<u32>(), count in 0usize..20, code in any::<u8>(), unsigned in any::<bool>()) {
        let _ = Command::decode(&bytes, capabilities);
        let _ = HandshakeResponse::decode(&bytes);
        let _ = HandshakeResponse::is_ssl_request(&bytes);
        let mut types = Vec::new();
        let _ = decode_parameters(&bytes, count, &mut types, &[]);
        let mut types = vec![(code, unsigned); count];
        let long_data = vec![Some(b"x".to_vec()); count / 2];
        let _ = decode_parameters(&bytes, count, &mut types, &long_data);
        let _ = Value::decode_binary(code, unsigned, &mut Reader::new(&bytes));
        let mut reader = Reader::new(&bytes);
        let _ = reader.lenenc_bytes("x");
        let _ = reader.null_terminated("x");
        let _ = reader.lenenc_int("x");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn serve_never_panics_before_login(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        run_serve_with(bytes, Vec::new(), false);
    }

    #[test]
    fn serve_never_panics_on_commands(commands in proptest::collection::vec(command_bytes(), 0..12)) {
        run_serve_with(Vec::new(), commands, true);
    }
}
