//! `error` owns this layer's failure types: [`WireError`] (why a connection
//! cannot go on) and [`ServerError`] (what an ERR packet tells the client:
//! error number, SQLSTATE, message), with the error numbers this crate sends.

/// Why a connection stops or a packet is refused. Every variant is local
/// to one connection.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WireError {
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    #[error("packet of {size} bytes exceeds the max packet size {max}")]
    PacketTooLarge { size: usize, max: usize },
    #[error("packet sequence id {got}, expected {expected}")]
    Sequence { expected: u8, got: u8 },
    #[error("malformed packet: {0}")]
    Malformed(&'static str),
    #[error("the client did not log in within the login timeout")]
    LoginTimeout,
    #[error("TLS: {0}")]
    Tls(String),
    /// The OS RNG failed, or an RSA key could not be made or read.
    #[error("cryptography: {0}")]
    Crypto(String),
}

impl WireError {
    /// The ERR packet a client is sent before the connection closes.
    pub fn to_server_error(&self) -> ServerError {
        match self {
            WireError::PacketTooLarge { .. } => ServerError::new(
                ER_NET_PACKET_TOO_LARGE,
                *b"08S01",
                "Got a packet bigger than 'max_allowed_packet' bytes",
            ),
            WireError::Sequence { .. } => {
                ServerError::new(ER_NET_PACKETS_OUT_OF_ORDER, *b"08S01", "Got packets out of order")
            }
            other => ServerError::new(ER_MALFORMED_PACKET, *b"HY000", other.to_string()),
        }
    }
}

/// An error the client sees as an ERR packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerError {
    pub code: u16,
    pub sqlstate: [u8; 5],
    pub message: String,
}

impl ServerError {
    pub fn new(code: u16, sqlstate: [u8; 5], message: impl Into<String>) -> Self {
        ServerError { code, sqlstate, message: message.into() }
    }

    /// 1045 / 28000, worded as MySQL words it.
    pub fn access_denied(user: &str, password_used: bool) -> Self {
        let using = if password_used { "YES" } else { "NO" };
        ServerError::new(
            ER_ACCESS_DENIED_ERROR,
            *b"28000",
            format!("Access denied for user '{user}' (using password: {using})"),
        )
    }
}

pub const ER_CON_COUNT_ERROR: u16 = 1040;
pub const ER_HANDSHAKE_ERROR: u16 = 1043;
pub const ER_UNKNOWN_ERROR: u16 = 1105;
pub const ER_ACCESS_DENIED_ERROR: u16 = 1045;
pub const ER_UNKNOWN_COM_ERROR: u16 = 1047;
pub const ER_NET_PACKET_TOO_LARGE: u16 = 1153;
pub const ER_NET_PACKETS_OUT_OF_ORDER: u16 = 1156;
pub const ER_UNKNOWN_STMT_HANDLER: u16 = 1243;
pub const ER_WRONG_ARGUMENTS: u16 = 1210;
pub const ER_MALFORMED_PACKET: u16 = 1835;
pub const ER_NOT_SUPPORTED_AUTH_MODE: u16 = 1251;
