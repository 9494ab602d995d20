//! Two of PostgreSQL's system types that users name too: `oid` (an
//! unsigned 32-bit integer, stored as a SQLite integer) and the one-byte
//! `"char"` (stored as its output text). Their input and output functions,
//! pure and deterministic: a validator judges writes with them.

use crate::error::PlanError;

/// PostgreSQL's `oid` input (`oidin`): a decimal integer, blanks around it
/// allowed; negative values down to -2147483648 wrap around as C's
/// `strtoul` does.
pub fn parse_oid(text: &str) -> Result<u32, PlanError> {
    let trimmed = text.trim_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (negative, digits) = match trimmed.strip_prefix('-') {
        Some(digits) => (true, digits),
        None => (false, trimmed.strip_prefix('+').unwrap_or(trimmed)),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(PlanError::new("22P02", format!("invalid input syntax for type oid: \"{text}\"")));
    }
    let out_of_range = || PlanError::new("22003", format!("value \"{text}\" is out of range for type oid"));
    let value: u64 = digits.parse().map_err(|_| out_of_range())?;
    match (negative, value) {
        (false, v) => u32::try_from(v).map_err(|_| out_of_range()),
        (true, v) if v <= 2_147_483_648 => Ok((v as u32).wrapping_neg()),
        (true, _) => Err(out_of_range()),
    }
}

/// PostgreSQL's `"char"` input (`charin`): the first byte of the text, or
/// the byte a `\ooo` octal escape names; empty text is the byte 0.
pub fn char_byte(text: &str) -> u8 {
    let bytes = text.as_bytes();
    if let [b'\\', a @ b'0'..=b'7', b @ b'0'..=b'7', c @ b'0'..=b'7'] = bytes {
        // At most 0o777: the top bit falls off, as PostgreSQL's does.
        return ((u32::from(a - b'0') << 6 | u32::from(b - b'0') << 3 | u32::from(c - b'0')) & 0xff) as u8;
    }
    bytes.first().copied().unwrap_or(0)
}

/// PostgreSQL's `"char"` output (`charout`): the byte itself, `\ooo` for a
/// byte with its high bit set, nothing for the byte 0.
pub fn char_text(byte: u8) -> String {
    match byte {
        0 => String::new(),
        0x80.. => format!("\\{byte:03o}"),
        _ => char::from(byte).to_string(),
    }
}

/// Text as a `"char"` value in its stored (output) form.
pub fn parse_char(text: &str) -> String {
    char_text(char_byte(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oid_input_follows_postgresql() {
        for (input, expected) in [
            ("4000000000", "4000000000"),
            (" 12 ", "12"),
            ("+7", "7"),
            ("-1", "4294967295"),
            ("-2147483648", "2147483648"),
            ("4294967295", "4294967295"),
            ("4294967296", r#"22003 value "4294967296" is out of range for type oid"#),
            ("-2147483649", r#"22003 value "-2147483649" is out of range for type oid"#),
            ("99999999999999999999999", r#"22003 value "99999999999999999999999" is out of range for type oid"#),
            ("x", r#"22P02 invalid input syntax for type oid: "x""#),
            ("", r#"22P02 invalid input syntax for type oid: """#),
            ("1 2", r#"22P02 invalid input syntax for type oid: "1 2""#),
            ("１", r#"22P02 invalid input syntax for type oid: "１""#),
        ] {
            let got = match parse_oid(input) {
                Ok(v) => v.to_string(),
                Err(e) => format!("{} {}", e.sqlstate, e.message),
            };
            assert_eq!(got, expected, "{input:?}");
        }
    }

    #[test]
    fn char_input_and_output_follow_postgresql() {
        // `SELECT 'input'::"char"` on PostgreSQL 15.
        for (input, stored, byte) in [
            ("a", "a", b'a'),
            ("abc", "a", b'a'),
            ("", "", 0),
            ("é", "\\303", 0xc3),
            ("\\101", "A", b'A'),
            ("\\303", "\\303", 0xc3),
            ("\\", "\\", b'\\'),
            ("\\x01", "\\", b'\\'),
        ] {
            assert_eq!(parse_char(input), stored, "{input:?}");
            assert_eq!(char_byte(stored), byte, "{stored:?}");
        }
    }
}
