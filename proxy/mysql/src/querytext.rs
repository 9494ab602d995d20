//! `querytext` owns the decoding of COM_QUERY / COM_STMT_PREPARE text.
//! MySQL statements are bytes: a client in the text protocol embeds binary
//! values raw inside string literals (Connector/J's `setBytes` sends
//! `_binary'...'` with only `\0`, `'`, `"`, `\` and a few controls
//! escaped). Text that is UTF-8 passes unchanged; otherwise every string
//! literal that is not UTF-8 becomes the hex literal of its bytes
//! (`X'00ff'`, its `_binary` introducer dropped), which means the same
//! value. Bytes that are not UTF-8 outside a string literal are an error.

use crate::error::WireError;

/// The statement text of `bytes`, as described in the module docs.
pub fn decode(bytes: &[u8], what: &'static str) -> Result<String, WireError> {
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok(text.to_string());
    }
    let mut out: Vec<u8> = Vec::with_capacity(bytes.len() * 2);
    let mut at = 0;
    while let Some(&byte) = bytes.get(at) {
        match byte {
            b'\'' | b'"' => {
                let (value, end) = literal(bytes, at).ok_or(WireError::Malformed(what))?;
                let raw = bytes.get(at..end).ok_or(WireError::Malformed(what))?;
                if std::str::from_utf8(&value).is_ok() {
                    out.extend_from_slice(raw);
                } else {
                    drop_introducer(&mut out);
                    out.extend_from_slice(b"X'");
                    for b in value {
                        out.extend_from_slice(format!("{b:02x}").as_bytes());
                    }
                    out.push(b'\'');
                }
                at = end;
            }
            b'`' => {
                // A quoted identifier: copied as is (it must be UTF-8 below).
                let close = bytes.get(at + 1..).and_then(|rest| rest.iter().position(|b| *b == b'`'));
                let end = close.map_or(bytes.len(), |c| at + 1 + c + 1);
                out.extend_from_slice(bytes.get(at..end).ok_or(WireError::Malformed(what))?);
                at = end;
            }
            other => {
                out.push(other);
                at += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| WireError::Malformed(what))
}

/// The value of the string literal opening at `start` (MySQL's escapes
/// undone) and the index just past its closing quote; `None` when it does
/// not close.
fn literal(bytes: &[u8], start: usize) -> Option<(Vec<u8>, usize)> {
    let quote = *bytes.get(start)?;
    let mut value = Vec::new();
    let mut at = start + 1;
    loop {
        let byte = *bytes.get(at)?;
        match byte {
            b'\\' => {
                let next = *bytes.get(at + 1)?;
                match next {
                    b'0' => value.push(0),
                    b'n' => value.push(b'\n'),
                    b'r' => value.push(b'\r'),
                    b't' => value.push(b'\t'),
                    b'b' => value.push(8),
                    b'Z' => value.push(26),
                    // LIKE's escapes keep their backslash.
                    b'%' | b'_' => value.extend_from_slice(&[b'\\', next]),
                    other => value.push(other),
                }
                at += 2;
            }
            b if b == quote && bytes.get(at + 1) == Some(&quote) => {
                value.push(quote);
                at += 2;
            }
            b if b == quote => return Some((value, at + 1)),
            other => {
                value.push(other);
                at += 1;
            }
        }
    }
}

/// Drops a character-set introducer (`_binary`, `_utf8mb4`) written just
/// before a literal that becomes a hex literal.
fn drop_introducer(out: &mut Vec<u8>) {
    let word_end = out.iter().rposition(|b| !b.is_ascii_whitespace()).map_or(0, |i| i + 1);
    let word = out.get(..word_end).unwrap_or_default();
    let word_start = word.iter().rposition(|b| !(b.is_ascii_alphanumeric() || *b == b'_')).map_or(0, |i| i + 1);
    if out.get(word_start) == Some(&b'_') && word_end > word_start + 1 {
        out.truncate(word_start);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_text_passes_unchanged() {
        assert_eq!(decode("SELECT 'é✓', `ü`".as_bytes(), "q").unwrap(), "SELECT 'é✓', `ü`");
    }

    #[test]
    fn binary_literals_become_hex_literals_of_their_bytes() {
        let mut q = b"INSERT INTO t VALUES (1, _binary'".to_vec();
        q.extend_from_slice(&[0xff, b'\\', b'0', b'\\', b'\'', b'\\', b'\\', 0x80, b'\'', b'\'']);
        q.extend_from_slice(b"', 'ok')");
        assert_eq!(decode(&q, "q").unwrap(), "INSERT INTO t VALUES (1, X'ff00275c8027', 'ok')");
        let q = b"SELECT _binary  'a\xfe', \"a\xfe\"\"b\" , 'x'";
        assert_eq!(decode(q, "q").unwrap(), "SELECT X'61fe', X'61fe2262' , 'x'");
    }

    #[test]
    fn bytes_that_are_not_utf8_outside_a_literal_or_unclosed_are_refused() {
        assert!(decode(b"SELECT \xff", "q").is_err());
        assert!(decode(b"SELECT '\xff", "q").is_err());
        assert!(decode(b"SELECT `\xff`", "q").is_err());
    }
}
