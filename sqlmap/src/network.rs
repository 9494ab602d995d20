//! PostgreSQL's network address types: `inet`, `cidr`, `macaddr` and
//! `macaddr8`. Input as PostgreSQL 15 reads them (`network_in`,
//! `macaddr_in`, `macaddr8_in`), output, ordering, and the binary wire forms.
//!
//! Values are stored in SQLite as their output text. MAC addresses print
//! with fixed-width lower-case hex, so their text orders as PostgreSQL
//! orders the bytes; `inet` and `cidr` text does not (`10.0.0.1` sorts
//! before `9.0.0.1` as text), so their columns and casts use the collation
//! [`INET_COLLATION`], which is [`compare_text`]. The node's `rc_inet` and
//! `rc_macaddr` SQL functions check values with this module, and sqlmap
//! folds literals with it at plan time. Pure and deterministic: a validator
//! judges writes with it.

use std::cmp::Ordering;

use crate::error::PlanError;

/// The SQLite collation of `inet` and `cidr` columns and casts.
pub const INET_COLLATION: &str = "rc_inet";

/// An `inet` or `cidr` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Inet {
    /// IPv6, else IPv4 (whose address is the first four bytes of `addr`).
    pub v6: bool,
    /// The netmask length.
    pub bits: u8,
    pub addr: [u8; 16],
    /// A `cidr` (no bits set to the right of the mask), else an `inet`.
    pub cidr: bool,
}

fn invalid(type_name: &str, text: &str) -> PlanError {
    PlanError::new("22P02", format!("invalid input syntax for type {type_name}: \"{text}\""))
}

impl Inet {
    fn max_bits(&self) -> u8 {
        if self.v6 {
            128
        } else {
            32
        }
    }

    fn address(&self) -> &[u8] {
        self.addr.get(..if self.v6 { 16 } else { 4 }).unwrap_or(&self.addr)
    }

    /// PostgreSQL's input (`inet_in`, `cidr_in`). A `cidr` with bits set to
    /// the right of its mask is 22P02 "invalid cidr value" (PostgreSQL adds
    /// the detail "Value has bits set to right of mask.").
    pub fn parse(text: &str, cidr: bool) -> Result<Inet, PlanError> {
        let type_name = if cidr { "cidr" } else { "inet" };
        let v6 = text.contains(':');
        let parsed = if v6 {
            parse_v6(text)
        } else if cidr {
            parse_v4_cidr(text)
        } else {
            parse_v4_inet(text)
        };
        let (addr, bits) = parsed.ok_or_else(|| invalid(type_name, text))?;
        let value = Inet { v6, bits, addr, cidr };
        if cidr && !value.host_bits_clear() {
            return Err(PlanError::new("22P02", format!("invalid cidr value: \"{text}\"")));
        }
        Ok(value)
    }

    /// Whether no bit right of the mask is set (PostgreSQL's `addressOK`).
    fn host_bits_clear(&self) -> bool {
        self.address().iter().enumerate().all(|(i, byte)| byte & !mask_byte(self.bits, i) == 0)
    }

    /// As a `cidr`: the bits right of the mask cleared (`inet::cidr`).
    pub fn to_cidr(mut self) -> Inet {
        let bits = self.bits;
        for (i, byte) in self.addr.iter_mut().enumerate() {
            *byte &= mask_byte(bits, i);
        }
        self.cidr = true;
        self
    }

    /// As an `inet` (`cidr::inet`): the same address and mask.
    pub fn to_inet(self) -> Inet {
        Inet { cidr: false, ..self }
    }

    /// PostgreSQL's output: `192.168.1.5/24`, `10.0.0.1` (an inet's full
    /// mask is left out), `10.0.0.0/8`, `2001:db8::1/64`, `::ffff:1.2.3.4`.
    pub fn to_text(&self) -> String {
        let mut text = if self.v6 { v6_text(&self.addr) } else { v4_text(self.address()) };
        if self.cidr || self.bits != self.max_bits() {
            text.push('/');
            text.push_str(&self.bits.to_string());
        }
        text
    }

    /// The binary wire form (`inet_send`): family (2 IPv4, 3 IPv6), mask
    /// length, whether a cidr, address length, address.
    pub fn to_binary(&self) -> Vec<u8> {
        let address = self.address();
        let mut out = vec![if self.v6 { 3 } else { 2 }, self.bits, u8::from(self.cidr), address.len() as u8];
        out.extend_from_slice(address);
        out
    }

    /// A value of type `inet` (or `cidr`) from its binary wire form
    /// (`inet_recv`), every length checked.
    pub fn from_binary(bytes: &[u8], cidr: bool) -> Result<Inet, PlanError> {
        let type_name = if cidr { "cidr" } else { "inet" };
        let bad = |what: &str| PlanError::new("22P03", format!("invalid {what} in external \"{type_name}\" value"));
        let [family, bits, _is_cidr, length, address @ ..] = bytes else {
            return Err(bad("length"));
        };
        let v6 = match family {
            2 => false,
            3 => true,
            _ => return Err(bad("address family")),
        };
        let size = if v6 { 16 } else { 4 };
        if *bits > if v6 { 128 } else { 32 } {
            return Err(bad("bits"));
        }
        if usize::from(*length) != size || address.len() != size {
            return Err(bad("length"));
        }
        let mut addr = [0u8; 16];
        for (slot, byte) in addr.iter_mut().zip(address) {
            *slot = *byte;
        }
        let value = Inet { v6, bits: *bits, addr, cidr };
        if cidr && !value.host_bits_clear() {
            return Err(PlanError::new("22P03", "invalid external \"cidr\" value"));
        }
        Ok(value)
    }
}

/// Text as an `inet` (mode 0), a `cidr` (1), or an inet made a cidr, its
/// host bits cleared (2, `inet::cidr`), in the stored (output) form.
pub fn inet_text(text: &str, mode: u8) -> Result<String, PlanError> {
    Ok(match mode {
        1 => Inet::parse(text, true)?,
        2 => Inet::parse(text, false).or_else(|_| Inet::parse(text, true))?.to_cidr(),
        _ => Inet::parse(text, false)?,
    }
    .to_text())
}

/// PostgreSQL's ordering of inet and cidr values (`network_cmp`): IPv4
/// before IPv6, then the network part, then the mask length, then the
/// whole address. An inet and a cidr of the same address and mask are equal.
pub fn compare(a: &Inet, b: &Inet) -> Ordering {
    a.v6.cmp(&b.v6)
        .then_with(|| compare_bits(a.address(), b.address(), a.bits.min(b.bits)))
        .then_with(|| a.bits.cmp(&b.bits))
        .then_with(|| compare_bits(a.address(), b.address(), a.max_bits()))
}

/// The `rc_inet` collation: stored inet/cidr text by value. Text that is
/// neither (which a checked column never holds) sorts after every address,
/// by its bytes.
pub fn compare_text(a: &str, b: &str) -> Ordering {
    let read = |text: &str| Inet::parse(text, false).or_else(|_| Inet::parse(text, true)).ok();
    match (read(a), read(b)) {
        (Some(x), Some(y)) => compare(&x, &y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => a.cmp(b),
    }
}

/// The first `bits` bits of two addresses compared (PostgreSQL's `bitncmp`).
fn compare_bits(a: &[u8], b: &[u8], bits: u8) -> Ordering {
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        let mask = mask_byte(bits, i);
        if mask == 0 {
            break;
        }
        match (x & mask).cmp(&(y & mask)) {
            Ordering::Equal => {}
            other => return other,
        }
    }
    Ordering::Equal
}

/// The netmask of `bits` bits, at byte `i` of the address.
fn mask_byte(bits: u8, i: usize) -> u8 {
    let covered = usize::from(bits).saturating_sub(i * 8).min(8);
    // 0..=8 bits set from the top.
    (0xff_u16 << (8 - covered)) as u8
}

/// A run of ASCII digits at the start of `text` as a number no greater
/// than `max`, and the rest; `None` if there is no digit or it is larger.
fn decimal(text: &[u8], max: u32) -> Option<(u32, &[u8])> {
    let digits = text.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 {
        return None;
    }
    let (number, rest) = text.split_at(digits);
    let mut value = 0u32;
    for digit in number {
        value = value * 10 + u32::from(digit - b'0');
        if value > max {
            return None;
        }
    }
    Some((value, rest))
}

/// `inet` IPv4 input (`inet_net_pton_ipv4`): dotted decimal octets, then
/// an optional `/bits`; without it all four octets must be given.
fn parse_v4_inet(text: &str) -> Option<([u8; 16], u8)> {
    let mut addr = [0u8; 16];
    let mut rest = text.as_bytes();
    let mut octets = 0usize;
    loop {
        let (octet, after) = decimal(rest, 255)?;
        *addr.get_mut(octets)? = octet as u8;
        octets += 1;
        if octets > 4 {
            return None;
        }
        rest = after;
        match rest.first() {
            None | Some(b'/') => break,
            Some(b'.') => rest = rest.get(1..)?,
            Some(_) => return None,
        }
    }
    let bits = match rest.split_first() {
        Some((b'/', mask)) => {
            let (bits, after) = decimal(mask, 32)?;
            if !after.is_empty() || (bits / 8) as usize > octets {
                return None;
            }
            bits as u8
        }
        Some(_) => return None,
        None if octets == 4 => 32,
        None => return None,
    };
    Some((addr, bits))
}

/// `cidr` IPv4 input (`inet_cidr_pton_ipv4`): dotted decimal octets (or
/// `0x` and hex digits), then an optional `/bits`; without it the mask is
/// inferred from the address class, widened to the octets given.
fn parse_v4_cidr(text: &str) -> Option<([u8; 16], u8)> {
    let mut addr = [0u8; 16];
    let mut written = 0usize;
    let mut rest = text.as_bytes();
    if let Some(hex) = rest
        .strip_prefix(b"0x")
        .or_else(|| rest.strip_prefix(b"0X"))
        .filter(|h| h.first().is_some_and(u8::is_ascii_hexdigit))
    {
        let digits = hex.iter().take_while(|b| b.is_ascii_hexdigit()).count();
        let (nibbles, after) = hex.split_at(digits);
        for pair in nibbles.chunks(2) {
            let high = char::from(*pair.first()?).to_digit(16)?;
            let low = pair.get(1).map_or(Some(0), |b| char::from(*b).to_digit(16))?;
            *addr.get_mut(written).filter(|_| written < 4)? = (high << 4 | low) as u8;
            written += 1;
        }
        rest = after;
    } else {
        loop {
            let (octet, after) = decimal(rest, 255)?;
            *addr.get_mut(written).filter(|_| written < 4)? = octet as u8;
            written += 1;
            rest = after;
            match rest.first() {
                None | Some(b'/') => break,
                Some(b'.') if rest.get(1).is_some_and(u8::is_ascii_digit) => rest = rest.get(1..)?,
                Some(_) => return None,
            }
        }
    }
    let bits = match rest.split_first() {
        Some((b'/', mask)) => {
            let (bits, after) = decimal(mask, 32)?;
            if !after.is_empty() {
                return None;
            }
            bits as u8
        }
        Some(_) => return None,
        None => {
            let [first, ..] = addr;
            let mut bits: usize = match first {
                240.. => 32,
                224.. => 8,
                192.. => 24,
                128.. => 16,
                _ => 8,
            };
            bits = bits.max(written * 8);
            if bits == 8 && first == 224 {
                bits = 4;
            }
            bits as u8
        }
    };
    if written == 0 {
        return None;
    }
    Some((addr, bits))
}

/// IPv6 input (`inet_cidr_pton_ipv6`): groups of up to four hex digits,
/// one `::`, an optional dotted IPv4 tail, then an optional `/bits` (no
/// leading zeros, at most 128).
fn parse_v6(text: &str) -> Option<([u8; 16], u8)> {
    let (address, bits) = match text.split_once('/') {
        Some((address, bits)) => {
            let leading_zero = bits.len() > 1 && bits.starts_with('0');
            if bits.is_empty() || leading_zero || !bits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            (address, bits.parse::<u8>().ok().filter(|b| *b <= 128)?)
        }
        None => (text, 128),
    };
    let parsed: std::net::Ipv6Addr = address.parse().ok()?;
    Some((parsed.octets(), bits))
}

fn v4_text(address: &[u8]) -> String {
    address.iter().map(u8::to_string).collect::<Vec<_>>().join(".")
}

/// PostgreSQL's IPv6 text (`inet_net_ntop_ipv6`): hex groups without
/// leading zeros, the longest run of two or more zero groups (the first of
/// equals) as `::`, and an IPv4-compatible or -mapped address's last 32
/// bits in dotted decimal.
fn v6_text(addr: &[u8; 16]) -> String {
    let mut words = [0u16; 8];
    for (word, pair) in words.iter_mut().zip(addr.chunks(2)) {
        *word = pair.iter().fold(0, |w, b| w << 8 | u16::from(*b));
    }
    // The longest run of zero words: (start, length).
    let mut best: Option<(usize, usize)> = None;
    let mut current: Option<(usize, usize)> = None;
    for (i, word) in words.iter().enumerate() {
        if *word == 0 {
            let run = current.map_or((i, 1), |(start, len)| (start, len + 1));
            current = Some(run);
            if best.is_none_or(|(_, len)| run.1 > len) {
                best = Some(run);
            }
        } else {
            current = None;
        }
    }
    let best = best.filter(|(_, len)| *len >= 2);
    let embedded_v4 = best.is_some_and(|(start, len)| {
        start == 0 && (len == 6 || (len == 7 && words[7] != 1) || (len == 5 && words[5] == 0xffff))
    });
    let mut text = String::new();
    let mut i = 0;
    for (at, word) in words.iter().enumerate() {
        if at < i {
            continue;
        }
        if let Some((start, len)) = best.filter(|(start, _)| *start == at) {
            text.push_str(if at == 0 { "::" } else { ":" });
            i = start + len;
            continue;
        }
        if at == 6 && embedded_v4 {
            let [.., a, b, c, d] = *addr;
            text.push_str(&v4_text(&[a, b, c, d]));
            break;
        }
        text.push_str(&format!("{word:x}"));
        if at < 7 {
            text.push(':');
        }
        i = at + 1;
    }
    text
}

/// PostgreSQL's `macaddr` input: six hex octets as `08:00:2b:01:02:03`,
/// `08-00-2b-01-02-03`, `08002b:010203`, `08002b-010203`,
/// `0800.2b01.0203`, `0800-2b01-0203` or `08002b010203`, with blanks
/// around allowed.
pub fn parse_macaddr(text: &str) -> Result<[u8; 6], PlanError> {
    let trimmed = text.trim_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let octets = macaddr_separated(trimmed).or_else(|| macaddr_grouped(trimmed));
    octets.ok_or_else(|| invalid("macaddr", text))
}

/// Six octets of one or two hex digits, separated by `:` or by `-`.
fn macaddr_separated(text: &str) -> Option<[u8; 6]> {
    let separator = if text.contains(':') { ':' } else { '-' };
    let parts: Vec<&str> = text.split(separator).collect();
    if parts.len() != 6 {
        return None;
    }
    let mut out = [0u8; 6];
    for (slot, part) in out.iter_mut().zip(parts) {
        if part.is_empty() || part.len() > 2 {
            return None;
        }
        *slot = u8::from_str_radix(part, 16).ok()?;
    }
    Some(out)
}

/// Twelve hex digits, grouped `6:6`, `6-6`, `4.4.4`, `4-4-4` or not at all.
fn macaddr_grouped(text: &str) -> Option<[u8; 6]> {
    let groups: Vec<usize> = ["", ":", "-", "."].iter().find_map(|sep| {
        if sep.is_empty() {
            return (!text.contains([':', '-', '.'])).then(|| vec![text.len()]);
        }
        let parts: Vec<&str> = text.split(sep).collect();
        (parts.len() > 1).then(|| parts.iter().map(|p| p.len()).collect())
    })?;
    let allowed: &[&[usize]] = &[&[12], &[6, 6], &[4, 4, 4]];
    if !allowed.contains(&groups.as_slice()) {
        return None;
    }
    let separator_of = |sep: char| text.contains(sep);
    // `6.6` and `4:4:4` are not PostgreSQL's forms.
    if (groups == [6, 6] && separator_of('.')) || (groups == [4, 4, 4] && separator_of(':')) {
        return None;
    }
    let digits: String = text.chars().filter(|c| !matches!(c, ':' | '-' | '.')).collect();
    hex_octets::<6>(&digits)
}

fn hex_octets<const N: usize>(digits: &str) -> Option<[u8; N]> {
    if digits.len() != 2 * N || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mut out = [0u8; N];
    for (slot, pair) in out.iter_mut().zip(digits.as_bytes().chunks(2)) {
        *slot = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
    }
    Some(out)
}

/// PostgreSQL's `macaddr8` input (`macaddr8_in`): pairs of hex digits,
/// optionally separated by one of `:`, `-`, `.` (the same throughout), six
/// or eight octets; a six-octet address becomes EUI-64 with `ff:fe` in the
/// middle. Leading blanks, and trailing ones after the last octet, are allowed.
pub fn parse_macaddr8(text: &str) -> Result<[u8; 8], PlanError> {
    parse_macaddr8_octets(text).ok_or_else(|| invalid("macaddr8", text))
}

fn parse_macaddr8_octets(text: &str) -> Option<[u8; 8]> {
    let is_space = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0b' | b'\x0c');
    let bytes = text.as_bytes();
    let mut at = bytes.iter().take_while(|b| is_space(b)).count();
    let mut octets: Vec<u8> = Vec::with_capacity(8);
    let mut spacer: Option<u8> = None;
    while at + 1 < bytes.len() {
        let pair = bytes.get(at..at + 2)?;
        if !pair.iter().all(u8::is_ascii_hexdigit) || octets.len() == 8 {
            return None;
        }
        let octet = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
        octets.push(octet);
        at += 2;
        if let Some(&c @ (b':' | b'-' | b'.')) = bytes.get(at) {
            if spacer.is_some_and(|s| s != c) {
                return None;
            }
            spacer = Some(c);
            at += 1;
        }
        if matches!(octets.len(), 6 | 8) && bytes.get(at).is_some_and(is_space) {
            if bytes.get(at..)?.iter().all(is_space) {
                at = bytes.len();
            } else {
                return None;
            }
        }
    }
    match octets.as_slice() {
        [a, b, c, d, e, f] => Some([*a, *b, *c, 0xff, 0xfe, *d, *e, *f]),
        [a, b, c, d, e, f, g, h] => Some([*a, *b, *c, *d, *e, *f, *g, *h]),
        _ => None,
    }
}

/// A MAC address's output text: lower-case hex octets joined by `:`.
pub fn mac_text(octets: &[u8]) -> String {
    octets.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(":")
}

/// A `macaddr` (6 octets) or `macaddr8` (8) from its binary wire form.
pub fn mac_from_binary(bytes: &[u8], octets: usize) -> Result<String, PlanError> {
    if bytes.len() != octets {
        let name = if octets == 8 { "macaddr8" } else { "macaddr" };
        return Err(PlanError::new("22P03", format!("invalid length in external \"{name}\" value")));
    }
    Ok(mac_text(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(result: Result<Inet, PlanError>) -> String {
        match result {
            Ok(v) => v.to_text(),
            Err(e) => format!("{} {}", e.sqlstate, e.message),
        }
    }

    #[test]
    fn inet_input_and_output_follow_postgresql() {
        // What PostgreSQL 15 answers for `'input'::inet`.
        for (input, expected) in [
            ("127.0.0.1", "127.0.0.1"),
            ("127.0.0.1/32", "127.0.0.1"),
            ("192.168.1.5/24", "192.168.1.5/24"),
            ("0.0.0.0/0", "0.0.0.0/0"),
            ("010.001.0.1", "10.1.0.1"),
            ("10.1/16", "10.1.0.0/16"),
            ("2001:4f8:3:ba:2e0:81ff:fe22:d1f1", "2001:4f8:3:ba:2e0:81ff:fe22:d1f1"),
            ("2001:4f8:3:ba:2e0:81ff:fe22:d1f1/128", "2001:4f8:3:ba:2e0:81ff:fe22:d1f1"),
            ("2001:DB8::1/64", "2001:db8::1/64"),
            ("::ffff:1.2.3.4", "::ffff:1.2.3.4"),
            ("::1.2.3.4", "::1.2.3.4"),
            ("::1", "::1"),
            ("::", "::"),
            ("1:0:0:2:0:0:0:3", "1:0:0:2::3"),
            ("1:0:0:2:0:0:3:4", "1::2:0:0:3:4"),
            ("192.168.1.5/33", r#"22P02 invalid input syntax for type inet: "192.168.1.5/33""#),
            ("abc", r#"22P02 invalid input syntax for type inet: "abc""#),
            ("10.1", r#"22P02 invalid input syntax for type inet: "10.1""#),
            ("10.1/24", r#"22P02 invalid input syntax for type inet: "10.1/24""#),
            ("::1/129", r#"22P02 invalid input syntax for type inet: "::1/129""#),
            ("::1/08", r#"22P02 invalid input syntax for type inet: "::1/08""#),
            ("1.2.3.4/", r#"22P02 invalid input syntax for type inet: "1.2.3.4/""#),
            (" 1.2.3.4 ", r#"22P02 invalid input syntax for type inet: " 1.2.3.4 ""#),
            ("1.2.3.256", r#"22P02 invalid input syntax for type inet: "1.2.3.256""#),
            ("1.2.3.4.5", r#"22P02 invalid input syntax for type inet: "1.2.3.4.5""#),
            ("", r#"22P02 invalid input syntax for type inet: """#),
            ("1.2.3.4é", r#"22P02 invalid input syntax for type inet: "1.2.3.4é""#),
        ] {
            assert_eq!(outcome(Inet::parse(input, false)), expected, "{input:?}");
        }
    }

    #[test]
    fn cidr_input_and_output_follow_postgresql() {
        for (input, expected) in [
            ("192.168.1.0/24", "192.168.1.0/24"),
            ("10.1", "10.1.0.0/16"),
            ("10", "10.0.0.0/8"),
            ("1.2.3", "1.2.3.0/24"),
            ("128", "128.0.0.0/16"),
            ("172.16", "172.16.0.0/16"),
            ("192.168.1", "192.168.1.0/24"),
            ("224", "224.0.0.0/4"),
            ("1.2.3.4", "1.2.3.4/32"),
            ("2001:db8::/32", "2001:db8::/32"),
            ("::1", "::1/128"),
            ("192.168.1.5/24", r#"22P02 invalid cidr value: "192.168.1.5/24""#),
            ("10.1./16", r#"22P02 invalid input syntax for type cidr: "10.1./16""#),
            ("x", r#"22P02 invalid input syntax for type cidr: "x""#),
        ] {
            assert_eq!(outcome(Inet::parse(input, true)), expected, "{input:?}");
        }
        let inet = Inet::parse("10.0.0.1/8", false).unwrap();
        assert_eq!(inet.to_cidr().to_text(), "10.0.0.0/8");
        assert_eq!(Inet::parse("10.0.0.0/8", true).unwrap().to_inet().to_text(), "10.0.0.0/8");
    }

    #[test]
    fn inet_orders_as_postgresql() {
        // `SELECT x FROM (VALUES ...) ORDER BY x::inet` on PostgreSQL 15.
        let sorted =
            ["0.0.0.0/0", "9.0.0.1", "10.0.0.0/8", "10.0.0.1/8", "10.0.0.1", "10.0.0.2", "::1", "2001:db8::/32"];
        for (a, b) in sorted.iter().zip(sorted.iter().skip(1)) {
            assert_eq!(compare_text(a, b), Ordering::Less, "{a} {b}");
            assert_eq!(compare_text(b, a), Ordering::Greater, "{a} {b}");
        }
        assert_eq!(compare_text("10.0.0.0/8", "10.0.0.0/8"), Ordering::Equal);
    }

    #[test]
    fn inet_binary_form_is_postgresqls() {
        let v4 = Inet::parse("192.168.1.5/24", false).unwrap();
        assert_eq!(v4.to_binary(), [2, 24, 0, 4, 192, 168, 1, 5]);
        assert_eq!(Inet::from_binary(&v4.to_binary(), false).unwrap(), v4);
        let cidr = Inet::parse("2001:db8::/32", true).unwrap();
        let bytes = cidr.to_binary();
        assert_eq!(bytes.get(..4), Some(&[3u8, 32, 1, 16][..]));
        assert_eq!(Inet::from_binary(&bytes, true).unwrap().to_text(), "2001:db8::/32");
        for (bytes, cidr, message) in [
            (&[2u8, 32, 0, 4, 1, 2, 3][..], false, "invalid length in external \"inet\" value"),
            (&[2, 33, 0, 4, 1, 2, 3, 4], false, "invalid bits in external \"inet\" value"),
            (&[4, 32, 0, 4, 1, 2, 3, 4], false, "invalid address family in external \"inet\" value"),
            (&[2, 8, 1, 4, 1, 2, 3, 4], true, "invalid external \"cidr\" value"),
            (&[], false, "invalid length in external \"inet\" value"),
        ] {
            assert_eq!(Inet::from_binary(bytes, cidr).unwrap_err().message, message, "{bytes:?}");
        }
    }

    #[test]
    fn macaddr_input_follows_postgresql() {
        for input in [
            "08:00:2b:01:02:03",
            "08-00-2b-01-02-03",
            "08002b:010203",
            "08002b-010203",
            "0800.2b01.0203",
            "0800-2b01-0203",
            "08002b010203",
            " 08:00:2B:01:02:03 ",
            "8:0:2b:1:2:3",
        ] {
            assert_eq!(parse_macaddr(input).map(|m| mac_text(&m)).unwrap(), "08:00:2b:01:02:03", "{input:?}");
        }
        for input in ["08:00:2b:01:02", "08:00:2b:01:02:03:04", "0800:2b01:0203", "08002b.010203", "zz", "", "é"] {
            assert_eq!(
                parse_macaddr(input).unwrap_err().message,
                format!("invalid input syntax for type macaddr: \"{input}\""),
                "{input:?}"
            );
        }
    }

    #[test]
    fn macaddr8_input_follows_postgresql() {
        for (input, expected) in [
            ("08:00:2b:01:02:03:04:05", "08:00:2b:01:02:03:04:05"),
            ("08-00-2b-01-02-03-04-05", "08:00:2b:01:02:03:04:05"),
            ("08002b:0102030405", "08:00:2b:01:02:03:04:05"),
            ("0800.2b01.0203.0405", "08:00:2b:01:02:03:04:05"),
            ("08002b0102030405", "08:00:2b:01:02:03:04:05"),
            ("08:00:2b:01:02:03", "08:00:2b:ff:fe:01:02:03"),
            ("  08:00:2b:01:02:03:04:05  ", "08:00:2b:01:02:03:04:05"),
        ] {
            assert_eq!(parse_macaddr8(input).map(|m| mac_text(&m)).unwrap(), expected, "{input:?}");
        }
        for input in ["zz", "08:00:2b:01:02", "08:00-2b:01:02:03", "08:00:2b:01:02:03:04:05:06", "é1"] {
            assert_eq!(
                parse_macaddr8(input).unwrap_err().message,
                format!("invalid input syntax for type macaddr8: \"{input}\""),
                "{input:?}"
            );
        }
        assert_eq!(mac_from_binary(&[1, 2, 3, 4, 5, 6], 6).unwrap(), "01:02:03:04:05:06");
        assert!(mac_from_binary(&[1, 2, 3], 6).is_err());
    }
}
