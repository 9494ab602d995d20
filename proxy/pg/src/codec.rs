//! The message codec: frontend messages cut out by their declared length
//! and checked against PostgreSQL's layout before `pgwire` decodes them
//! ([`Codec`] frames a connection with it), backend messages encoded.
//!
//! pgwire 0.42.1's decoders read fields with `Buf::get_*` and
//! `BytesMut::split_to`, which panic when a declared count or length runs
//! past the end (a Bind whose parameter length exceeds the message panics in
//! `extendedquery.rs:277`), and they read from the whole receive buffer
//! rather than from the one message. So [`decode`] takes exactly one
//! message, [`check`] walks its body field by field (every string
//! NUL-terminated inside the body, every count and length within it,
//! nothing left over), and only then does pgwire see it; a pgwire decoder
//! that would consume more or less than the body is then also caught, as
//! an error. The password-family bodies, which pgwire decodes only when
//! asked, are checked the same way by [`check_password`] and
//! [`check_sasl_initial_response`].
//!
//! Failures are PostgreSQL's protocol violations (08P01), with its texts.

use bytes::BytesMut;
use pgwire::messages::startup::PasswordMessageFamily;
use pgwire::messages::{DecodeContext, PgWireBackendMessage, PgWireFrontendMessage, ProtocolVersion};
use std::io;
use tokio_util::codec::{Decoder, Encoder};

/// A frontend message that breaks the protocol: 08P01, and the connection closes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub(crate) struct Malformed(pub String);

const INSUFFICIENT: &str = "insufficient data left in message";

/// The message types a client may send after startup.
pub(crate) fn known_type(tag: u8) -> bool {
    matches!(tag, b'Q' | b'P' | b'B' | b'C' | b'D' | b'E' | b'H' | b'S' | b'X' | b'd' | b'c' | b'f' | b'p')
}

/// Reads fields off a message body, never past its end.
struct Fields<'a> {
    rest: &'a [u8],
}

impl<'a> Fields<'a> {
    fn bytes(&mut self, n: usize) -> Result<&'a [u8], Malformed> {
        let (taken, rest) = self.rest.split_at_checked(n).ok_or_else(|| Malformed(INSUFFICIENT.into()))?;
        self.rest = rest;
        Ok(taken)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], Malformed> {
        let (taken, rest) = self.rest.split_first_chunk::<N>().ok_or_else(|| Malformed(INSUFFICIENT.into()))?;
        self.rest = rest;
        Ok(*taken)
    }

    fn u8(&mut self) -> Result<u8, Malformed> {
        Ok(u8::from_be_bytes(self.array()?))
    }

    fn u16(&mut self) -> Result<u16, Malformed> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    fn i32(&mut self) -> Result<i32, Malformed> {
        Ok(i32::from_be_bytes(self.array()?))
    }

    /// A NUL-terminated string, without its NUL.
    fn cstring(&mut self) -> Result<&'a [u8], Malformed> {
        let nul =
            self.rest.iter().position(|b| *b == 0).ok_or_else(|| Malformed("invalid string in message".into()))?;
        let s = self.bytes(nul)?;
        self.bytes(1)?;
        Ok(s)
    }

    /// `count` fields of `size` bytes each.
    fn skip(&mut self, count: usize, size: usize) -> Result<(), Malformed> {
        self.bytes(count.saturating_mul(size)).map(|_| ())
    }

    /// A length-prefixed value: -1 is NULL, anything else must fit.
    fn value(&mut self) -> Result<Option<&'a [u8]>, Malformed> {
        match self.i32()? {
            -1 => Ok(None),
            n => self.bytes(usize::try_from(n).map_err(|_| Malformed(INSUFFICIENT.into()))?).map(Some),
        }
    }

    fn end(&self) -> Result<(), Malformed> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(Malformed("invalid message format".into()))
        }
    }
}

/// Checks the body of a message of type `tag` (after the length word)
/// against the layout PostgreSQL's server reads.
pub(crate) fn check(tag: u8, body: &[u8]) -> Result<(), Malformed> {
    let mut f = Fields { rest: body };
    match tag {
        b'Q' | b'f' => {
            f.cstring()?;
        }
        b'P' => {
            f.cstring()?;
            f.cstring()?;
            let types = f.u16()?;
            f.skip(types.into(), 4)?;
        }
        b'B' => {
            f.cstring()?;
            f.cstring()?;
            let formats = f.u16()?;
            f.skip(formats.into(), 2)?;
            for _ in 0..f.u16()? {
                f.value()?;
            }
            let results = f.u16()?;
            f.skip(results.into(), 2)?;
        }
        b'C' | b'D' => {
            let what = f.u8()?;
            if what != b'S' && what != b'P' {
                let kind = if tag == b'C' { "CLOSE" } else { "DESCRIBE" };
                return Err(Malformed(format!("invalid {kind} message subtype {what}")));
            }
            f.cstring()?;
        }
        b'E' => {
            f.cstring()?;
            f.i32()?;
        }
        b'H' | b'S' | b'X' | b'c' => {}
        // CopyData is any bytes; a password-family body is checked when
        // the authentication exchange knows which of them it must be.
        b'd' | b'p' => return Ok(()),
        _ => return Err(Malformed(format!("invalid frontend message type {tag}"))),
    }
    f.end()
}

/// Decodes one whole frontend message (type byte, length word, body), which
/// the caller has cut out of the stream by its length word.
pub(crate) fn decode(mut frame: BytesMut, ctx: &DecodeContext) -> Result<PgWireFrontendMessage, Malformed> {
    let (tag, body) = match frame.split_first() {
        Some((tag, rest)) => (*tag, rest.get(4..).ok_or_else(|| Malformed("invalid message length".into()))?),
        None => return Err(Malformed("invalid message length".into())),
    };
    check(tag, body)?;
    match PgWireFrontendMessage::decode(&mut frame, ctx) {
        Ok(Some(m)) if frame.is_empty() => Ok(m),
        Ok(_) => Err(Malformed(format!("message type {tag} was not decoded to its end"))),
        Err(e) => Err(Malformed(e.to_string())),
    }
}

fn raw_body(p: &PasswordMessageFamily) -> Option<&[u8]> {
    match p {
        PasswordMessageFamily::Raw(body) => Some(body),
        _ => None,
    }
}

/// A PasswordMessage: the password (or md5 answer) as one string.
pub(crate) fn check_password(p: &PasswordMessageFamily) -> Result<(), Malformed> {
    let Some(body) = raw_body(p) else { return Ok(()) };
    let mut f = Fields { rest: body };
    f.cstring().and_then(|_| f.end()).map_err(|_| Malformed("invalid password packet size".into()))
}

/// A SASLInitialResponse: the mechanism's name, then its data with a length
/// word (-1 for none).
pub(crate) fn check_sasl_initial_response(p: &PasswordMessageFamily) -> Result<(), Malformed> {
    let Some(body) = raw_body(p) else { return Ok(()) };
    let mut f = Fields { rest: body };
    f.cstring()?;
    f.value()?;
    f.end()
}

/// Frames typed frontend messages with a size limit, and backend messages.
pub(crate) struct Codec {
    max: usize,
    ctx: DecodeContext,
}

impl Codec {
    pub(crate) fn new(max: usize) -> Self {
        let mut ctx = DecodeContext::new(ProtocolVersion::PROTOCOL3_0);
        ctx.awaiting_frontend_ssl = false;
        ctx.awaiting_frontend_startup = false;
        Codec { max, ctx }
    }
}

impl Decoder for Codec {
    type Item = PgWireFrontendMessage;
    type Error = io::Error;

    fn decode(&mut self, src: &mut BytesMut) -> io::Result<Option<PgWireFrontendMessage>> {
        let malformed = |e: Malformed| io::Error::new(io::ErrorKind::InvalidData, e);
        let Some((&tag, rest)) = src.split_first() else { return Ok(None) };
        // Refused at once, as PostgreSQL does, before waiting for a body.
        if !known_type(tag) {
            return Err(malformed(Malformed(format!("invalid frontend message type {tag}"))));
        }
        let Some(len) = rest.first_chunk::<4>() else { return Ok(None) };
        let len = u32::from_be_bytes(*len) as usize;
        if len < 4 {
            return Err(malformed(Malformed("invalid message length".into())));
        }
        if len > self.max.saturating_add(4) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("a {len}-byte message exceeds the limit of {} (pg.message_bytes_max)", self.max),
            ));
        }
        let total = len + 1;
        if src.len() < total {
            src.reserve(total - src.len());
            return Ok(None);
        }
        decode(src.split_to(total), &self.ctx).map(Some).map_err(malformed)
    }
}

impl Encoder<PgWireBackendMessage> for Codec {
    type Error = io::Error;

    fn encode(&mut self, item: PgWireBackendMessage, dst: &mut BytesMut) -> io::Result<()> {
        item.encode(dst).map_err(|e| io::Error::other(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(tag: u8, body: &[u8]) -> BytesMut {
        let mut b = BytesMut::new();
        b.extend_from_slice(&[tag]);
        b.extend_from_slice(&(body.len() as u32 + 4).to_be_bytes());
        b.extend_from_slice(body);
        b
    }

    fn ctx() -> DecodeContext {
        let mut ctx = DecodeContext::new(pgwire::messages::ProtocolVersion::PROTOCOL3_0);
        ctx.awaiting_frontend_ssl = false;
        ctx.awaiting_frontend_startup = false;
        ctx
    }

    fn err(tag: u8, body: &[u8]) -> String {
        decode(frame(tag, body), &ctx()).err().map(|e| e.0).unwrap_or_default()
    }

    /// Each layout rule, on the messages pgwire would have panicked on or
    /// read past.
    #[test]
    fn malformed_bodies_are_refused() {
        let cases: &[(u8, &[u8], &str)] = &[
            // Bind: one parameter declared 100 bytes long, 1 byte present (pgwire: split_to panic).
            (b'B', b"\0\0\0\0\0\x01\0\0\0\x64x", INSUFFICIENT),
            // Bind: parameter length -2.
            (b'B', b"\0\0\0\0\0\x01\xff\xff\xff\xfe\0\0", INSUFFICIENT),
            // Bind: 3 result formats declared, one present.
            (b'B', b"\0\0\0\0\0\0\0\x03\0\x01", INSUFFICIENT),
            // Bind: portal name without its NUL.
            (b'B', b"portal", "invalid string in message"),
            // Bind: a byte after the result formats.
            (b'B', b"\0\0\0\0\0\0\0\0\x07", "invalid message format"),
            // Parse: no type count (pgwire: get_u16 panic).
            (b'P', b"s\0SELECT 1\0", INSUFFICIENT),
            // Parse: 2 types declared, 1 present.
            (b'P', b"\0SELECT 1\0\0\x02\0\0\0\x17", INSUFFICIENT),
            // Execute: no row limit (pgwire: get_i32 panic).
            (b'E', b"\0", INSUFFICIENT),
            // Describe and Close: empty body (pgwire: get_u8 panic), bad subtype.
            (b'D', b"", INSUFFICIENT),
            (b'C', b"", INSUFFICIENT),
            (b'D', b"X\0", "invalid DESCRIBE message subtype 88"),
            (b'C', b"Q\0", "invalid CLOSE message subtype 81"),
            // Query without its NUL, Sync with a body, CopyFail with two strings.
            (b'Q', b"SELECT 1", "invalid string in message"),
            (b'S', b"x", "invalid message format"),
            (b'f', b"a\0b\0", "invalid message format"),
            (b'x', b"", "invalid frontend message type 120"),
        ];
        for (tag, body, want) in cases {
            assert_eq!(err(*tag, body), *want, "message {} {:?}", *tag as char, body);
        }
    }

    #[test]
    fn well_formed_messages_decode() {
        let bind = b"p\0s\0\0\x01\0\x01\0\x02\0\0\0\x01a\xff\xff\xff\xff\0\x01\0\0";
        match decode(frame(b'B', bind), &ctx()) {
            Ok(PgWireFrontendMessage::Bind(b)) => {
                assert_eq!(b.portal_name.as_deref(), Some("p"));
                assert_eq!(b.statement_name.as_deref(), Some("s"));
                assert_eq!(b.parameter_format_codes, vec![1]);
                assert_eq!(b.parameters, vec![Some(bytes::Bytes::from_static(b"a")), None]);
                assert_eq!(b.result_column_format_codes, vec![0]);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(decode(frame(b'S', b""), &ctx()), Ok(PgWireFrontendMessage::Sync(_))));
        assert!(matches!(decode(frame(b'Q', "-- Grüße\nSELECT 1\0".as_bytes()), &ctx()),
            Ok(PgWireFrontendMessage::Query(q)) if q.query == "-- Grüße\nSELECT 1"));
        assert!(matches!(decode(frame(b'd', b"1\t2\n"), &ctx()), Ok(PgWireFrontendMessage::CopyData(_))));
    }

    #[test]
    fn password_family_bodies() {
        let raw = |b: &[u8]| PasswordMessageFamily::Raw(BytesMut::from(b));
        assert_eq!(check_password(&raw(b"admin\0")), Ok(()));
        assert_eq!(check_password(&raw(b"admin")), Err(Malformed("invalid password packet size".into())));
        assert_eq!(check_sasl_initial_response(&raw(b"SCRAM-SHA-256\0\0\0\0\x03abc")), Ok(()));
        assert_eq!(check_sasl_initial_response(&raw(b"SCRAM-SHA-256\0\xff\xff\xff\xff")), Ok(()));
        // No length word, then a length past the end (pgwire: get_i32 and split_to panics).
        assert_eq!(check_sasl_initial_response(&raw(b"SCRAM-SHA-256\0")), Err(Malformed(INSUFFICIENT.into())));
        assert_eq!(
            check_sasl_initial_response(&raw(b"SCRAM-SHA-256\0\0\0\0\x09abc")),
            Err(Malformed(INSUFFICIENT.into()))
        );
    }
}
