//! PostgreSQL's bit strings, `bit(n)` and `bit varying(n)`: input (`bit_in`),
//! the length rules of a type modifier, and the binary wire form.
//!
//! A bit string is stored in SQLite as its output text, one `0` or `1` per
//! bit, in a `TEXT` column. SQLite's `BINARY` collation orders that text as
//! PostgreSQL's `bitcmp` orders bit strings (the first differing bit
//! decides, else the shorter string is smaller), so no collation of our own
//! is needed. The node's `rc_bit` SQL function checks values with this
//! module; sqlmap folds literals (`B'1010'`, `X'1F'`, `'101'::bit(3)`) with
//! it at plan time. Pure and deterministic: a validator judges writes with it.

use crate::error::PlanError;

/// The most bits a bit string may hold (PostgreSQL's `VARBITMAXLEN`).
pub const BITS_MAX: usize = 83_886_080;

/// The type a bit string is coerced to: `bit(n)` or `bit varying(n)`, the
/// length `None` when the type has no modifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BitType {
    pub varying: bool,
    pub length: Option<u32>,
}

/// PostgreSQL's bit string input: binary digits, optionally after `b`/`B`,
/// or hexadecimal digits after `x`/`X` (four bits each). Returns the bits
/// as `0`/`1` text; a bad digit is 22P02, as PostgreSQL words it.
pub fn parse(text: &str) -> Result<String, PlanError> {
    let (hex, digits) = match text.chars().next() {
        Some('x' | 'X') => (true, text.get(1..).unwrap_or_default()),
        Some('b' | 'B') => (false, text.get(1..).unwrap_or_default()),
        _ => (false, text),
    };
    let mut bits = String::with_capacity(if hex { digits.len().saturating_mul(4) } else { digits.len() });
    for c in digits.chars() {
        if hex {
            let nibble = c.to_digit(16).ok_or_else(|| invalid_digit(c, "hexadecimal"))?;
            for shift in (0..4).rev() {
                bits.push(if (nibble >> shift) & 1 == 1 { '1' } else { '0' });
            }
        } else {
            match c {
                '0' | '1' => bits.push(c),
                _ => return Err(invalid_digit(c, "binary")),
            }
        }
    }
    if bits.len() > BITS_MAX {
        return Err(PlanError::new("54000", format!("bit string length exceeds the maximum allowed ({BITS_MAX})")));
    }
    Ok(bits)
}

fn invalid_digit(c: char, kind: &str) -> PlanError {
    PlanError::new("22P02", format!("\"{c}\" is not a valid {kind} digit"))
}

/// `bits` (text of `0`/`1`, as [`parse`] returns it) as a value of `ty`.
/// An explicit cast pads `bit(n)` with zeros on the right or truncates it,
/// and truncates `bit varying(n)`; an assignment (a value written to a
/// column) fails instead: 22026 for a `bit(n)` of another length, 22001 for
/// a `bit varying(n)` too long.
pub fn coerce(bits: &str, ty: BitType, explicit: bool) -> Result<String, PlanError> {
    let Some(n) = ty.length.map(|n| n as usize) else { return Ok(bits.to_string()) };
    let len = bits.len();
    match (ty.varying, len.cmp(&n)) {
        (_, std::cmp::Ordering::Equal) | (true, std::cmp::Ordering::Less) => Ok(bits.to_string()),
        (false, _) if !explicit => {
            Err(PlanError::new("22026", format!("bit string length {len} does not match type bit({n})")))
        }
        (true, _) if !explicit => {
            Err(PlanError::new("22001", format!("bit string too long for type bit varying({n})")))
        }
        // Only ASCII digits: any byte offset is a character boundary.
        (_, std::cmp::Ordering::Greater) => Ok(bits.get(..n).unwrap_or(bits).to_string()),
        (false, std::cmp::Ordering::Less) => Ok(format!("{bits}{}", "0".repeat(n - len))),
    }
}

/// The binary wire form (`bit_send`): the bit count as a big-endian int32,
/// then the bits, most significant first, the last byte padded with zeros.
pub fn to_binary(bits: &str) -> Result<Vec<u8>, PlanError> {
    let count = i32::try_from(bits.len()).map_err(|_| PlanError::new("22P03", "bit string too long"))?;
    let mut out = Vec::with_capacity(4 + bits.len().div_ceil(8));
    out.extend_from_slice(&count.to_be_bytes());
    for chunk in bits.as_bytes().chunks(8) {
        let mut byte = 0u8;
        for (i, bit) in chunk.iter().enumerate() {
            match bit {
                b'1' => byte |= 0x80 >> i,
                b'0' => {}
                _ => return Err(PlanError::new("22P02", format!("\"{}\" is not a valid binary digit", *bit as char))),
            }
        }
        out.push(byte);
    }
    Ok(out)
}

/// A bit string from its binary wire form (`bit_recv`): the declared count
/// must fit the bytes that follow exactly; padding bits are ignored.
pub fn from_binary(bytes: &[u8]) -> Result<String, PlanError> {
    let invalid = || PlanError::new("22P03", "invalid length in external bit string");
    let (head, body) = bytes.split_first_chunk::<4>().ok_or_else(invalid)?;
    let count = usize::try_from(i32::from_be_bytes(*head)).map_err(|_| invalid())?;
    if count > BITS_MAX || body.len() != count.div_ceil(8) {
        return Err(invalid());
    }
    let mut bits = String::with_capacity(count);
    for i in 0..count {
        let byte = body.get(i / 8).copied().unwrap_or(0);
        bits.push(if byte & (0x80 >> (i % 8)) != 0 { '1' } else { '0' });
    }
    Ok(bits)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome<T: std::fmt::Debug>(result: Result<T, PlanError>) -> String {
        match result {
            Ok(v) => format!("{v:?}"),
            Err(e) => format!("{} {}", e.sqlstate, e.message),
        }
    }

    #[test]
    fn input_follows_postgresql() {
        // What PostgreSQL 15's bit_in answers for each.
        for (input, expected) in [
            ("1010", r#""1010""#),
            ("", r#""""#),
            ("b101", r#""101""#),
            ("B0", r#""0""#),
            ("x1F", r#""00011111""#),
            ("Xa0", r#""10100000""#),
            ("x", r#""""#),
            ("102", r#"22P02 "2" is not a valid binary digit"#),
            ("abc", r#"22P02 "a" is not a valid binary digit"#),
            (" 101", r#"22P02 " " is not a valid binary digit"#),
            ("x1G", r#"22P02 "G" is not a valid hexadecimal digit"#),
            ("1é", r#"22P02 "é" is not a valid binary digit"#),
            ("xé", r#"22P02 "é" is not a valid hexadecimal digit"#),
        ] {
            assert_eq!(outcome(parse(input)), expected, "{input:?}");
        }
    }

    #[test]
    fn type_modifiers_pad_truncate_or_fail() {
        let bit = |n| BitType { varying: false, length: Some(n) };
        let varbit = |n| BitType { varying: true, length: Some(n) };
        for (bits, ty, explicit, expected) in [
            ("101", bit(4), true, r#""1010""#),
            ("10101", bit(2), true, r#""10""#),
            ("101", bit(4), false, "22026 bit string length 3 does not match type bit(4)"),
            ("11", bit(1), false, "22026 bit string length 2 does not match type bit(1)"),
            ("1010", bit(4), false, r#""1010""#),
            ("10101", varbit(3), true, r#""101""#),
            ("1011", varbit(3), false, "22001 bit string too long for type bit varying(3)"),
            ("1", varbit(3), false, r#""1""#),
            ("", BitType { varying: true, length: None }, false, r#""""#),
            ("111", BitType { varying: false, length: None }, false, r#""111""#),
        ] {
            assert_eq!(outcome(coerce(bits, ty, explicit)), expected, "{bits} {ty:?} {explicit}");
        }
    }

    #[test]
    fn binary_form_is_postgresqls() {
        for (bits, bytes) in [
            ("", vec![0, 0, 0, 0]),
            ("1", vec![0, 0, 0, 1, 0x80]),
            ("01101001000001", vec![0, 0, 0, 14, 0b0110_1001, 0b0000_0100]),
            ("11111111", vec![0, 0, 0, 8, 0xff]),
            ("111111111", vec![0, 0, 0, 9, 0xff, 0x80]),
        ] {
            assert_eq!(to_binary(bits).unwrap(), bytes, "{bits}");
            assert_eq!(from_binary(&bytes).unwrap(), bits, "{bytes:?}");
        }
        // Padding bits a client set are dropped.
        assert_eq!(from_binary(&[0, 0, 0, 2, 0xff]).unwrap(), "11");
        for bad in [&[][..], &[0, 0, 0], &[0, 0, 0, 9, 0xff], &[0, 0, 0, 1, 0, 0], &[0xff, 0xff, 0xff, 0xff]] {
            assert_eq!(outcome(from_binary(bad)), "22P03 invalid length in external bit string", "{bad:?}");
        }
    }
}
