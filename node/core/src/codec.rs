//! Explicit, versioned byte encodings for everything that is hashed or signed.
//!
//! Big-endian fixed-width integers, u32 length prefixes, no maps: the same value
//! always encodes to the same bytes. Decoding checks every length against what
//! is left before it allocates, so untrusted bytes cannot make us allocate more
//! than they are long.

use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    #[error("truncated input: wanted {wanted} bytes at offset {offset}, {left} left")]
    Truncated { offset: usize, wanted: usize, left: usize },
    #[error("unknown {what} tag {tag}")]
    UnknownTag { what: &'static str, tag: u8 },
    #[error("unsupported {what} version {version}")]
    Version { what: &'static str, version: u8 },
    #[error("{0} trailing bytes")]
    Trailing(usize),
    #[error("invalid UTF-8 in a string")]
    Utf8,
    #[error("{what} count {count} exceeds the limit {max}")]
    TooMany { what: &'static str, count: u64, max: u64 },
    #[error("invalid {0}")]
    Invalid(&'static str),
}

/// The most elements a decoder reserves room for up front. A count is
/// checked against the bytes left, but an element in memory can be several
/// times its smallest encoding, so beyond this the vector grows as elements
/// actually decode.
pub const PREALLOCATE_MAX: usize = 1024;

#[derive(Default, Debug, Clone)]
pub struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn with_capacity(n: usize) -> Self {
        Self { buf: Vec::with_capacity(n) }
    }
    pub fn u8(&mut self, v: u8) -> &mut Self {
        self.buf.push(v);
        self
    }
    pub fn u16(&mut self, v: u16) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }
    pub fn u32(&mut self, v: u32) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }
    pub fn u64(&mut self, v: u64) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }
    pub fn i64(&mut self, v: i64) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }
    pub fn fixed(&mut self, v: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(v);
        self
    }
    /// A u32 length prefix, then the bytes.
    #[allow(clippy::expect_used)] // No input reaches 4 GiB: SQLite caps a value at 1 GB, messages are capped lower.
    pub fn bytes(&mut self, v: &[u8]) -> &mut Self {
        let len = u32::try_from(v.len()).expect("encoded item larger than 4 GiB");
        self.u32(len);
        self.buf.extend_from_slice(v);
        self
    }
    pub fn str(&mut self, v: &str) -> &mut Self {
        self.bytes(v.as_bytes())
    }
    pub fn len(&self) -> usize {
        self.buf.len()
    }
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }
    pub fn finish(self) -> Vec<u8> {
        self.buf
    }
}

pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }
    /// The bytes not yet read.
    fn rest(&self) -> &'a [u8] {
        self.buf.get(self.pos..).unwrap_or_default()
    }
    /// How many bytes are left to read.
    pub fn left(&self) -> usize {
        self.rest().len()
    }
    fn truncated(&self, wanted: usize) -> DecodeError {
        DecodeError::Truncated { offset: self.pos, wanted, left: self.left() }
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let (head, _) = self.rest().split_at_checked(n).ok_or_else(|| self.truncated(n))?;
        self.pos += n;
        Ok(head)
    }
    fn take_array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let (head, _) = self.rest().split_first_chunk::<N>().ok_or_else(|| self.truncated(N))?;
        self.pos += N;
        Ok(*head)
    }
    pub fn u8(&mut self) -> Result<u8, DecodeError> {
        let [b] = self.take_array()?;
        Ok(b)
    }
    pub fn u16(&mut self) -> Result<u16, DecodeError> {
        Ok(u16::from_be_bytes(self.take_array()?))
    }
    pub fn u32(&mut self) -> Result<u32, DecodeError> {
        Ok(u32::from_be_bytes(self.take_array()?))
    }
    pub fn u64(&mut self) -> Result<u64, DecodeError> {
        Ok(u64::from_be_bytes(self.take_array()?))
    }
    pub fn i64(&mut self) -> Result<i64, DecodeError> {
        Ok(i64::from_be_bytes(self.take_array()?))
    }
    pub fn fixed<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        self.take_array()
    }
    pub fn bytes(&mut self) -> Result<&'a [u8], DecodeError> {
        let n = self.u32()? as usize;
        self.take(n)
    }
    pub fn string(&mut self) -> Result<String, DecodeError> {
        let b = self.bytes()?;
        std::str::from_utf8(b).map(str::to_owned).map_err(|_| DecodeError::Utf8)
    }
    /// A u32 element count, checked against `max` and against the bytes left
    /// (each element takes at least `min_size` bytes), so a forged count cannot
    /// make the caller reserve memory the input does not back.
    pub fn count(&mut self, what: &'static str, max: u64, min_size: usize) -> Result<usize, DecodeError> {
        let n = u64::from(self.u32()?);
        let left = self.left() as u64;
        let min_size = min_size.max(1) as u64;
        if n > max || n.saturating_mul(min_size) > left {
            return Err(DecodeError::TooMany { what, count: n, max: max.min(left / min_size) });
        }
        Ok(n as usize)
    }
    pub fn finish(self) -> Result<(), DecodeError> {
        let left = self.left();
        if left != 0 {
            return Err(DecodeError::Trailing(left));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_past_the_end_are_errors() {
        let mut r = Reader::new(&[1, 2, 3]);
        assert_eq!(r.u32(), Err(DecodeError::Truncated { offset: 0, wanted: 4, left: 3 }));
        assert_eq!(r.u16(), Ok(0x0102));
        assert_eq!(r.fixed::<2>(), Err(DecodeError::Truncated { offset: 2, wanted: 2, left: 1 }));
        assert_eq!(r.left(), 1);
        assert_eq!(r.u8(), Ok(3));
        assert_eq!(r.u8(), Err(DecodeError::Truncated { offset: 3, wanted: 1, left: 0 }));
        assert_eq!(r.finish(), Ok(()));
        assert_eq!(Reader::new(&[0; 9]).i64().map(|_| ()), Ok(()));
        let mut r = Reader::new(&[0; 9]);
        r.u8().unwrap();
        r.u64().unwrap();
        assert_eq!(r.u64(), Err(DecodeError::Truncated { offset: 9, wanted: 8, left: 0 }));
    }

    #[test]
    fn a_huge_declared_length_is_an_error_not_an_allocation() {
        let mut r = Reader::new(&[0xff, 0xff, 0xff, 0xff, 1]);
        assert_eq!(r.bytes(), Err(DecodeError::Truncated { offset: 4, wanted: u32::MAX as usize, left: 1 }));
        let mut r = Reader::new(&[0, 0, 0, 10, 1, 2, 3, 4, 5]);
        assert_eq!(r.count("item", 100, 1), Err(DecodeError::TooMany { what: "item", count: 10, max: 5 }));
        let mut r = Reader::new(&[0xff, 0xff, 0xff, 0xff]);
        assert_eq!(
            r.count("item", u64::MAX, 1 << 20),
            Err(DecodeError::TooMany { what: "item", count: 0xffff_ffff, max: 0 })
        );
        let mut r = Reader::new(&[0, 0, 0, 2, 0, 0]);
        assert_eq!(r.count("item", 100, 0), Ok(2));
        let mut r = Reader::new(&[0, 0, 0, 2, 0, 0]);
        assert_eq!(r.count("item", 1, 1), Err(DecodeError::TooMany { what: "item", count: 2, max: 1 }));
    }

    #[test]
    fn trailing_bytes_are_an_error() {
        let mut r = Reader::new(&[0, 0, 0, 1, b'x', 9]);
        assert_eq!(r.string(), Ok("x".to_string()));
        assert_eq!(r.finish(), Err(DecodeError::Trailing(1)));
        assert_eq!(Reader::new(&[0, 0, 0, 1, 0xff]).string(), Err(DecodeError::Utf8));
    }
}
