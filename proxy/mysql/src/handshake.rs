//! `handshake` owns the connection phase's first messages: the capability
//! flags, the server's HandshakeV10 (with a fresh salt per connection),
//! the client's SSLRequest and HandshakeResponse41.

use crate::error::WireError;
use crate::packet::{put_null_terminated, put_u16, put_u32, text, Reader};

/// Capability flags (`CLIENT_*` in the protocol documentation).
pub mod capability {
    pub const LONG_PASSWORD: u32 = 1;
    pub const FOUND_ROWS: u32 = 1 << 1;
    pub const LONG_FLAG: u32 = 1 << 2;
    pub const CONNECT_WITH_DB: u32 = 1 << 3;
    pub const PROTOCOL_41: u32 = 1 << 9;
    pub const SSL: u32 = 1 << 11;
    pub const TRANSACTIONS: u32 = 1 << 13;
    pub const SECURE_CONNECTION: u32 = 1 << 15;
    pub const MULTI_STATEMENTS: u32 = 1 << 16;
    pub const MULTI_RESULTS: u32 = 1 << 17;
    pub const PS_MULTI_RESULTS: u32 = 1 << 18;
    pub const PLUGIN_AUTH: u32 = 1 << 19;
    pub const CONNECT_ATTRS: u32 = 1 << 20;
    pub const PLUGIN_AUTH_LENENC_CLIENT_DATA: u32 = 1 << 21;
    pub const DEPRECATE_EOF: u32 = 1 << 24;

    /// What this server offers; SSL is added when TLS is configured.
    /// DEPRECATE_EOF is offered and used only if the client asks for it.
    pub const SERVER: u32 = LONG_PASSWORD
        | FOUND_ROWS
        | LONG_FLAG
        | CONNECT_WITH_DB
        | PROTOCOL_41
        | TRANSACTIONS
        | SECURE_CONNECTION
        | MULTI_STATEMENTS
        | MULTI_RESULTS
        | PS_MULTI_RESULTS
        | PLUGIN_AUTH
        | CONNECT_ATTRS
        | PLUGIN_AUTH_LENENC_CLIENT_DATA
        | DEPRECATE_EOF;
}

/// Drivers parse the major version from this (8.0 selects their modern paths).
pub const SERVER_VERSION: &str = "8.0.36-rowchain";

/// utf8mb4_general_ci: known to MySQL and MariaDB clients alike.
pub const CHARSET_UTF8MB4: u8 = 45;

pub const SALT_LEN: usize = 20;

/// A fresh salt from the OS RNG, mapped as MySQL maps it (7-bit, never NUL
/// or '$'), because some clients read it as a C string.
pub fn fresh_salt() -> Result<[u8; SALT_LEN], WireError> {
    let mut salt = [0u8; SALT_LEN];
    getrandom::fill(&mut salt).map_err(|error| WireError::Crypto(format!("OS RNG: {error}")))?;
    for byte in &mut salt {
        *byte &= 0x7F;
        if *byte == 0 || *byte == b'$' {
            *byte += 1;
        }
    }
    Ok(salt)
}

/// The server's first packet.
pub struct HandshakeV10<'a> {
    pub connection_id: u32,
    pub salt: &'a [u8; SALT_LEN],
    pub capabilities: u32,
    pub status_flags: u16,
    pub auth_plugin: &'a str,
}

impl HandshakeV10<'_> {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![10];
        put_null_terminated(&mut out, SERVER_VERSION.as_bytes());
        put_u32(&mut out, self.connection_id);
        let (first, second) = self.salt.split_at(8);
        out.extend_from_slice(first);
        out.push(0);
        put_u16(&mut out, self.capabilities as u16);
        out.push(CHARSET_UTF8MB4);
        put_u16(&mut out, self.status_flags);
        put_u16(&mut out, (self.capabilities >> 16) as u16);
        out.push(SALT_LEN as u8 + 1);
        out.extend_from_slice(&[0; 10]);
        put_null_terminated(&mut out, second);
        put_null_terminated(&mut out, self.auth_plugin.as_bytes());
        out
    }
}

/// The 32 bytes every HandshakeResponse41 (and an SSLRequest, which is
/// only these) starts with.
#[derive(Debug, PartialEq, Eq)]
pub struct ClientHeader {
    pub capabilities: u32,
    pub packet_size_max: u32,
    pub charset: u8,
}

impl ClientHeader {
    pub fn decode(reader: &mut Reader<'_>) -> Result<Self, WireError> {
        let capabilities = reader.u32("client capabilities")?;
        if capabilities & capability::PROTOCOL_41 == 0 {
            return Err(WireError::Malformed("client does not speak protocol 4.1"));
        }
        let packet_size_max = reader.u32("client max packet size")?;
        let charset = reader.u8("client charset")?;
        reader.take(23, "handshake response filler")?;
        Ok(ClientHeader { capabilities, packet_size_max, charset })
    }
}

/// A client's HandshakeResponse41.
#[derive(Debug, PartialEq, Eq)]
pub struct HandshakeResponse {
    pub header: ClientHeader,
    pub user: String,
    pub auth_response: Vec<u8>,
    pub database: Option<String>,
    pub auth_plugin: Option<String>,
}

impl HandshakeResponse {
    /// True when the payload is an SSLRequest: the header alone, SSL set.
    pub fn is_ssl_request(payload: &[u8]) -> bool {
        let mut reader = Reader::new(payload);
        payload.len() == 32
            && ClientHeader::decode(&mut reader).is_ok_and(|header| header.capabilities & capability::SSL != 0)
    }

    pub fn decode(payload: &[u8]) -> Result<Self, WireError> {
        let mut reader = Reader::new(payload);
        let header = ClientHeader::decode(&mut reader)?;
        let user = text(reader.null_terminated("user name")?, "user name")?;
        let auth_response = if header.capabilities & capability::PLUGIN_AUTH_LENENC_CLIENT_DATA != 0 {
            reader.lenenc_bytes("auth response")?
        } else if header.capabilities & capability::SECURE_CONNECTION != 0 {
            let length = reader.u8("auth response length")?;
            reader.take(usize::from(length), "auth response")?
        } else {
            reader.null_terminated("auth response")?
        }
        .to_vec();
        // Some clients end the packet early instead of sending empty fields.
        let database = if header.capabilities & capability::CONNECT_WITH_DB != 0 && !reader.is_empty() {
            Some(text(reader.null_terminated("database")?, "database")?).filter(|db| !db.is_empty())
        } else {
            None
        };
        let auth_plugin = if header.capabilities & capability::PLUGIN_AUTH != 0 && !reader.is_empty() {
            Some(text(reader.null_terminated("auth plugin")?, "auth plugin")?)
        } else {
            None
        };
        if header.capabilities & capability::CONNECT_ATTRS != 0 && !reader.is_empty() {
            // Attributes are informational; their framing is still checked.
            reader.lenenc_bytes("connection attributes")?;
        }
        Ok(HandshakeResponse { header, user, auth_response, database, auth_plugin })
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)] // a test that slices wrong fails, as it should
mod tests {
    use super::*;

    #[test]
    fn handshake_v10_layout() {
        let salt = *b"abcdefghijklmnopqrst";
        let packet = HandshakeV10 {
            connection_id: 7,
            salt: &salt,
            capabilities: 0x01FF_F7FF,
            status_flags: 2,
            auth_plugin: "mysql_native_password",
        }
        .encode();
        let mut expected = vec![10];
        expected.extend_from_slice(b"8.0.36-rowchain\0");
        expected.extend_from_slice(&[7, 0, 0, 0]);
        expected.extend_from_slice(b"abcdefgh\0");
        expected.extend_from_slice(&[0xFF, 0xF7, 45, 2, 0, 0xFF, 0x01, 21]);
        expected.extend_from_slice(&[0; 10]);
        expected.extend_from_slice(b"ijklmnopqrst\0mysql_native_password\0");
        assert_eq!(packet, expected);
    }

    #[test]
    fn fresh_salts_are_printable_and_differ() {
        let first = fresh_salt().unwrap();
        let second = fresh_salt().unwrap();
        assert_ne!(first, second);
        assert!(first.iter().all(|&b| b != 0 && b != b'$' && b < 0x80));
    }

    fn response_bytes(capabilities: u32, tail: &[u8]) -> Vec<u8> {
        let mut bytes = capabilities.to_le_bytes().to_vec();
        bytes.extend_from_slice(&[0, 0, 0, 1, 45]);
        bytes.extend_from_slice(&[0; 23]);
        bytes.extend_from_slice(tail);
        bytes
    }

    #[test]
    fn handshake_response_41_fields() {
        use capability::*;
        let capabilities = PROTOCOL_41 | PLUGIN_AUTH | PLUGIN_AUTH_LENENC_CLIENT_DATA | CONNECT_WITH_DB | CONNECT_ATTRS;
        let bytes =
            response_bytes(capabilities, b"r\xc3\xa9mi\0\x02\xAA\xBBshop\0caching_sha2_password\0\x04\x01a\x01b");
        let response = HandshakeResponse::decode(&bytes).unwrap();
        assert_eq!(response.header, ClientHeader { capabilities, packet_size_max: 1 << 24, charset: 45 });
        assert_eq!(response.user, "rémi");
        assert_eq!(response.auth_response, [0xAA, 0xBB]);
        assert_eq!(response.database.as_deref(), Some("shop"));
        assert_eq!(response.auth_plugin.as_deref(), Some("caching_sha2_password"));
        assert!(!HandshakeResponse::is_ssl_request(&bytes));
    }

    #[test]
    fn handshake_response_without_lenenc_data_or_db() {
        let capabilities = capability::PROTOCOL_41 | capability::SECURE_CONNECTION;
        let bytes = response_bytes(capabilities, b"u\0\x01\x09");
        let response = HandshakeResponse::decode(&bytes).unwrap();
        assert_eq!((response.user.as_str(), response.auth_response.as_slice()), ("u", &[9u8][..]));
        assert_eq!((response.database, response.auth_plugin), (None, None));
    }

    #[test]
    fn handshake_response_with_a_nul_terminated_auth_response() {
        let bytes = response_bytes(capability::PROTOCOL_41, b"u\0\x07\x08\0");
        let response = HandshakeResponse::decode(&bytes).unwrap();
        assert_eq!(response.auth_response, [7, 8]);
    }

    #[test]
    fn bad_handshake_responses_are_errors() {
        let lenenc = capability::PROTOCOL_41 | capability::PLUGIN_AUTH_LENENC_CLIENT_DATA;
        for bytes in [
            response_bytes(0, b"u\0\0"),                // no protocol 4.1
            response_bytes(lenenc, b"u"),               // no NUL after the user
            response_bytes(lenenc, b"u\0\x05ab"),       // auth data shorter than declared
            response_bytes(lenenc, b"\xff\xfe\0\0"),    // user not UTF-8
            response_bytes(lenenc, b"")[..20].to_vec(), // header cut short
        ] {
            assert!(HandshakeResponse::decode(&bytes).is_err(), "{bytes:?}");
        }
    }

    #[test]
    fn ssl_request_is_the_header_alone_with_ssl() {
        let ssl = response_bytes(capability::PROTOCOL_41 | capability::SSL, b"");
        assert!(HandshakeResponse::is_ssl_request(&ssl));
        assert!(!HandshakeResponse::is_ssl_request(&response_bytes(capability::PROTOCOL_41, b"")));
    }
}
