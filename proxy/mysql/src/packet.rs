//! `packet` owns the MySQL framing: a 3-byte little-endian payload length,
//! a 1-byte sequence id, payloads of 0xFFFFFF bytes continued by the next
//! frame, the connection's max packet size and the sequence-id check. It
//! also owns the checked cursor every decoder reads client bytes with
//! ([`Reader`]) and the length-encoded writers the encoders use.

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::error::WireError;

/// The largest payload one frame carries; a frame this long is continued.
pub const FRAME_PAYLOAD_MAX: usize = 0xFF_FFFF;

/// One connection's framing: reads whole logical packets, buffers written
/// packets until [`Framed::flush`], and tracks the sequence id, which each
/// command restarts at 0 ([`Framed::reset_sequence`]).
pub struct Framed<S> {
    stream: S,
    sequence: u8,
    packet_size_max: usize,
    outgoing: Vec<u8>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Framed<S> {
    pub fn new(stream: S, packet_size_max: usize) -> Self {
        Framed { stream, sequence: 0, packet_size_max, outgoing: Vec::new() }
    }

    pub fn reset_sequence(&mut self) {
        self.sequence = 0;
    }

    pub fn sequence(&self) -> u8 {
        self.sequence
    }

    pub fn packet_size_max(&self) -> usize {
        self.packet_size_max
    }

    pub fn set_packet_size_max(&mut self, packet_size_max: usize) {
        self.packet_size_max = packet_size_max;
    }

    /// Continues a sequence on a new transport (after the TLS upgrade).
    pub fn set_sequence(&mut self, sequence: u8) {
        self.sequence = sequence;
    }

    pub fn stream(&self) -> &S {
        &self.stream
    }

    /// Gives the stream back (for the TLS upgrade); unflushed output is lost,
    /// so callers flush first.
    pub fn into_inner(self) -> S {
        self.stream
    }

    /// Reads one logical packet. `Ok(None)` is a clean end of stream before
    /// any header byte. A payload longer than the max packet size is
    /// [`WireError::PacketTooLarge`], detected from the headers before the
    /// body is read or allocated.
    pub async fn read_packet(&mut self) -> Result<Option<Vec<u8>>, WireError> {
        let mut payload = Vec::new();
        loop {
            let mut header = [0u8; 4];
            if payload.is_empty() && !self.read_header(&mut header).await? {
                return Ok(None);
            } else if !payload.is_empty() {
                self.stream.read_exact(&mut header).await?;
            }
            let [l0, l1, l2, sequence] = header;
            let length = usize::from(l0) | usize::from(l1) << 8 | usize::from(l2) << 16;
            if sequence != self.sequence {
                return Err(WireError::Sequence { expected: self.sequence, got: sequence });
            }
            self.sequence = self.sequence.wrapping_add(1);
            let total = payload.len().saturating_add(length);
            if total > self.packet_size_max {
                return Err(WireError::PacketTooLarge { size: total, max: self.packet_size_max });
            }
            let start = payload.len();
            payload.resize(total, 0);
            if let Some(body) = payload.get_mut(start..) {
                self.stream.read_exact(body).await?;
            }
            if length < FRAME_PAYLOAD_MAX {
                return Ok(Some(payload));
            }
        }
    }

    /// Reads a 4-byte header; false on end of stream before its first byte.
    async fn read_header(&mut self, header: &mut [u8; 4]) -> Result<bool, WireError> {
        let [first_byte, ..] = header;
        let first = self.stream.read(std::slice::from_mut(first_byte)).await?;
        if first == 0 {
            return Ok(false);
        }
        if let Some(rest) = header.get_mut(1..) {
            self.stream.read_exact(rest).await?;
        }
        Ok(true)
    }

    /// Queues one logical packet, split into frames as the protocol says:
    /// a payload that is an exact multiple of 0xFFFFFF ends with an empty frame.
    pub fn write_packet(&mut self, payload: &[u8]) {
        let mut chunks = payload.chunks(FRAME_PAYLOAD_MAX);
        loop {
            let chunk = chunks.next().unwrap_or(&[]);
            let length = chunk.len();
            self.outgoing.extend_from_slice(&u24_le(length as u32));
            self.outgoing.push(self.sequence);
            self.outgoing.extend_from_slice(chunk);
            self.sequence = self.sequence.wrapping_add(1);
            if length < FRAME_PAYLOAD_MAX {
                return;
            }
        }
    }

    /// Bytes queued and not yet flushed.
    pub fn pending(&self) -> usize {
        self.outgoing.len()
    }

    pub async fn flush(&mut self) -> Result<(), WireError> {
        if !self.outgoing.is_empty() {
            self.stream.write_all(&self.outgoing).await?;
            self.outgoing.clear();
        }
        self.stream.flush().await?;
        Ok(())
    }

    pub async fn shutdown(&mut self) {
        let _ = self.flush().await;
        let _ = self.stream.shutdown().await;
    }
}

/// A checked cursor over a client payload: every read returns
/// [`WireError::Malformed`] instead of reading past the end.
pub struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes }
    }

    pub fn remaining(&self) -> usize {
        self.bytes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    pub fn take(&mut self, count: usize, what: &'static str) -> Result<&'a [u8], WireError> {
        let (head, tail) = self.bytes.split_at_checked(count).ok_or(WireError::Malformed(what))?;
        self.bytes = tail;
        Ok(head)
    }

    pub fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.bytes)
    }

    pub fn u8(&mut self, what: &'static str) -> Result<u8, WireError> {
        let (&first, tail) = self.bytes.split_first().ok_or(WireError::Malformed(what))?;
        self.bytes = tail;
        Ok(first)
    }

    pub fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], WireError> {
        let bytes = self.take(N, what)?;
        <[u8; N]>::try_from(bytes).map_err(|_| WireError::Malformed(what))
    }

    pub fn u16(&mut self, what: &'static str) -> Result<u16, WireError> {
        Ok(u16::from_le_bytes(self.array(what)?))
    }

    pub fn u32(&mut self, what: &'static str) -> Result<u32, WireError> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }

    pub fn u64(&mut self, what: &'static str) -> Result<u64, WireError> {
        Ok(u64::from_le_bytes(self.array(what)?))
    }

    /// A length-encoded integer. 0xFB (NULL) and 0xFF are not integers here.
    pub fn lenenc_int(&mut self, what: &'static str) -> Result<u64, WireError> {
        match self.u8(what)? {
            small @ 0..=0xFA => Ok(u64::from(small)),
            0xFC => Ok(u64::from(self.u16(what)?)),
            0xFD => {
                let [a, b, c] = self.array(what)?;
                Ok(u64::from(u32::from_le_bytes([a, b, c, 0])))
            }
            0xFE => self.u64(what),
            _ => Err(WireError::Malformed(what)),
        }
    }

    /// Length-encoded bytes; the declared length is checked against what
    /// is left before anything is sliced.
    pub fn lenenc_bytes(&mut self, what: &'static str) -> Result<&'a [u8], WireError> {
        let length = self.lenenc_int(what)?;
        let length = usize::try_from(length).map_err(|_| WireError::Malformed(what))?;
        self.take(length, what)
    }

    /// Bytes up to a NUL, which is consumed and not returned.
    pub fn null_terminated(&mut self, what: &'static str) -> Result<&'a [u8], WireError> {
        let end = self.bytes.iter().position(|&b| b == 0).ok_or(WireError::Malformed(what))?;
        let text = self.take(end, what)?;
        self.u8(what)?;
        Ok(text)
    }
}

/// Client bytes that must be UTF-8 (names, statement text): `what` names
/// the field in the error.
pub(crate) fn text(bytes: &[u8], what: &'static str) -> Result<String, WireError> {
    String::from_utf8(bytes.to_vec()).map_err(|_| WireError::Malformed(what))
}

pub fn put_u16(out: &mut Vec<u8>, value: u16) {
    out.extend_from_slice(&value.to_le_bytes());
}

pub fn put_u32(out: &mut Vec<u8>, value: u32) {
    out.extend_from_slice(&value.to_le_bytes());
}

pub fn put_lenenc_int(out: &mut Vec<u8>, value: u64) {
    if value < 0xFB {
        out.push(value as u8);
    } else if value <= 0xFFFF {
        out.push(0xFC);
        out.extend_from_slice(&(value as u16).to_le_bytes());
    } else if value <= 0xFF_FFFF {
        out.push(0xFD);
        out.extend_from_slice(&u24_le(value as u32));
    } else {
        out.push(0xFE);
        out.extend_from_slice(&value.to_le_bytes());
    }
}

pub fn put_lenenc_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    put_lenenc_int(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

pub fn put_null_terminated(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(bytes);
    out.push(0);
}

/// The low three bytes of `value`, little-endian (frame lengths and
/// 3-byte length-encoded integers).
fn u24_le(value: u32) -> [u8; 3] {
    let [a, b, c, _] = value.to_le_bytes();
    [a, b, c]
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)] // a test that slices wrong fails, as it should
mod tests {
    use super::*;
    use tokio::io::duplex;

    #[test]
    fn lenenc_int_encodings_match_the_protocol_table() {
        let cases: [(u64, &[u8]); 6] = [
            (0, &[0x00]),
            (250, &[0xFA]),
            (251, &[0xFC, 0xFB, 0x00]),
            (0xFFFF, &[0xFC, 0xFF, 0xFF]),
            (0x01_0000, &[0xFD, 0x00, 0x00, 0x01]),
            (0x0100_0000, &[0xFE, 0, 0, 0, 1, 0, 0, 0, 0]),
        ];
        for (value, bytes) in cases {
            let mut out = Vec::new();
            put_lenenc_int(&mut out, value);
            assert_eq!(out, bytes, "{value}");
            assert_eq!(Reader::new(bytes).lenenc_int("x").unwrap(), value);
        }
        assert!(Reader::new(&[0xFB]).lenenc_int("x").is_err());
        assert!(Reader::new(&[0xFC, 0x01]).lenenc_int("x").is_err());
    }

    #[test]
    fn lenenc_bytes_checks_the_declared_length() {
        assert_eq!(Reader::new(&[3, b'a', b'b', b'c']).lenenc_bytes("x").unwrap(), b"abc");
        assert!(Reader::new(&[4, b'a', b'b', b'c']).lenenc_bytes("x").is_err());
        assert!(Reader::new(&[0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]).lenenc_bytes("x").is_err());
        let mut reader = Reader::new(b"root\0rest");
        assert_eq!(reader.null_terminated("x").unwrap(), b"root");
        assert_eq!(reader.rest(), b"rest");
        assert!(Reader::new(b"no nul").null_terminated("x").is_err());
    }

    #[tokio::test]
    async fn a_packet_is_framed_with_length_and_sequence() {
        let (client, server) = duplex(1 << 16);
        let mut framed = Framed::new(server, 1024);
        framed.write_packet(&[0x0E]);
        framed.write_packet(b"ab");
        framed.flush().await.unwrap();
        drop(framed);
        let mut bytes = Vec::new();
        let mut client = client;
        client.read_to_end(&mut bytes).await.unwrap();
        assert_eq!(bytes, [1, 0, 0, 0, 0x0E, 2, 0, 0, 1, b'a', b'b']);
    }

    #[tokio::test]
    async fn a_payload_of_exactly_one_frame_ends_with_an_empty_frame() {
        let (mut client, server) = duplex(1 << 16);
        let payload = vec![7u8; FRAME_PAYLOAD_MAX];
        let writer = tokio::spawn(async move {
            let mut framed = Framed::new(server, 1 << 25);
            framed.write_packet(&payload);
            framed.flush().await.unwrap();
        });
        let mut bytes = Vec::new();
        client.read_to_end(&mut bytes).await.unwrap();
        writer.await.unwrap();
        assert_eq!(bytes.len(), 4 + FRAME_PAYLOAD_MAX + 4);
        assert_eq!(bytes[..4], [0xFF, 0xFF, 0xFF, 0]);
        assert_eq!(bytes[4 + FRAME_PAYLOAD_MAX..], [0, 0, 0, 1]);

        let (mut client, server) = duplex(1 << 16);
        let reader = tokio::spawn(async move {
            let mut framed = Framed::new(server, 1 << 25);
            framed.read_packet().await.unwrap().unwrap().len()
        });
        client.write_all(&bytes).await.unwrap();
        assert_eq!(reader.await.unwrap(), FRAME_PAYLOAD_MAX);
    }

    #[tokio::test]
    async fn reading_checks_sequence_and_size_before_the_body() {
        let (mut client, server) = duplex(64);
        let mut framed = Framed::new(server, 4);
        client.write_all(&[1, 0, 0, 0, 0x0E]).await.unwrap();
        assert_eq!(framed.read_packet().await.unwrap(), Some(vec![0x0E]));
        client.write_all(&[1, 0, 0, 5, 0x0E]).await.unwrap();
        assert!(matches!(framed.read_packet().await, Err(WireError::Sequence { expected: 1, got: 5 })));
        // A fresh connection: the refused frame's body is still unread.
        let (mut client, server) = duplex(64);
        let mut framed = Framed::new(server, 4);
        // Declares 5 bytes, sends none: the size check must not wait for them.
        client.write_all(&[5, 0, 0, 0]).await.unwrap();
        assert!(matches!(framed.read_packet().await, Err(WireError::PacketTooLarge { size: 5, max: 4 })));
        drop(client);
        framed.reset_sequence();
        assert_eq!(framed.read_packet().await.unwrap(), None);
    }
}
