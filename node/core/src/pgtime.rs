//! PostgreSQL's date and timestamp text: parsing the input forms rowchain
//! accepts and printing the one form it stores (`YYYY-MM-DD`,
//! `YYYY-MM-DD HH:MM:SS[.ffffff]`, and for timestamptz the UTC instant with
//! `+00`), so stored values compare and sort as the instants they are.

pub const PG_EPOCH_DAYS: i64 = 10_957; // 2000-01-01 in days since 1970-01-01

/// Days since 1970-01-01 of a proleptic Gregorian date, or `None` when that
/// does not fit an `i64`.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> Option<i64> {
    // i128 holds every intermediate of any i64 year.
    let y = i128::from(y) - i128::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (i128::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i128::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    i64::try_from(era * 146_097 + doe - 719_468).ok()
}

/// The (year, month, day) of a day count since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    // i128, so that no day count overflows on the way.
    let z = i128::from(z) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    // A year is at most a 365th of the day count, so it fits an i64.
    ((yoe + era * 400 + i128::from(m <= 2)) as i64, m, d)
}

/// Parses `YYYY-MM-DD` (anything after the day is ignored) into days since
/// 1970-01-01. Month and day may have one digit (`1970-1-1`), as PostgreSQL
/// and MySQL accept.
pub fn parse_date(s: &str) -> Option<i64> {
    let mut it = s.trim().splitn(3, '-');
    let y: i64 = it.next()?.parse().ok()?;
    let m: u32 = it.next()?.parse().ok()?;
    let day = it.next()?;
    let d: u32 = match day.get(..2).and_then(|two| two.parse().ok()) {
        Some(d) => d,
        // One digit, alone or before a non-digit (`1`, `1 12:00`).
        None => match day.as_bytes() {
            [digit, rest @ ..] if digit.is_ascii_digit() && !rest.first().is_some_and(u8::is_ascii_digit) => {
                u32::from(digit - b'0')
            }
            _ => return None,
        },
    };
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    days_from_civil(y, m, d)
}

/// Parses `YYYY-MM-DD[ T]HH:MM[:SS[.ffffff]][+HH[:MM]|Z]` into microseconds
/// since 1970 (UTC when an offset is given, else as written); `None` when it
/// is not one or does not fit an `i64`.
pub fn parse_timestamp(s: &str) -> Option<i64> {
    let s = s.trim();
    let (date, rest) = match s.split_once([' ', 'T']) {
        Some((date, rest)) => (date, rest.trim()),
        None => (s, "00:00:00"),
    };
    let days = parse_date(date)?;
    let tz_at = rest.find(['+', '-', 'Z', 'z']).unwrap_or(rest.len());
    let (time, tz) = rest.split_at_checked(tz_at)?;
    let mut parts = time.trim().split(':');
    let h: i64 = parts.next()?.parse().ok()?;
    let mi: i64 = parts.next().unwrap_or("0").parse().ok()?;
    let sec = parts.next().unwrap_or("0");
    let (whole, frac) = sec.split_once('.').unwrap_or((sec, ""));
    let se: i64 = whole.parse().ok()?;
    let mut micros: i128 = 0;
    for (i, c) in frac.chars().take(6).enumerate() {
        micros += i128::from(c.to_digit(10)?) * 10i128.pow(5 - i as u32);
    }
    let offset_secs = match tz.trim() {
        "" | "Z" | "z" => 0,
        t => {
            // `t` starts with the one-byte sign (or Z) found above.
            let sign = if t.starts_with('-') { -1 } else { 1 };
            let body = t.get(1..)?;
            let (oh, om) = match body.split_once(':') {
                Some((a, b)) => (a.parse::<i64>().ok()?, b.parse::<i64>().ok()?),
                None if body.len() == 4 => {
                    let (a, b) = body.split_at_checked(2)?;
                    (a.parse().ok()?, b.parse().ok()?)
                }
                None => (body.parse().ok()?, 0),
            };
            sign * (i128::from(oh) * 3600 + i128::from(om) * 60)
        }
    };
    // i128 cannot overflow here; the result must fit an i64.
    let secs = i128::from(days) * 86_400 + i128::from(h) * 3600 + i128::from(mi) * 60 + i128::from(se) - offset_secs;
    i64::try_from(secs * 1_000_000 + micros).ok()
}

/// Formats microseconds since 1970 as PostgreSQL prints a timestamp; with
/// `tz`, as a UTC timestamptz (`+00`).
pub fn format_timestamp(micros: i64, tz: bool) -> String {
    let secs = micros.div_euclid(1_000_000);
    let frac = micros.rem_euclid(1_000_000);
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    let mut s = format!("{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}", rem / 3600, rem % 3600 / 60, rem % 60);
    if frac != 0 {
        let f = format!("{frac:06}");
        s.push('.');
        s.push_str(f.trim_end_matches('0'));
    }
    if tz {
        s.push_str("+00");
    }
    s
}

/// Parses a `time` (`HH:MM[:SS[.ffffff]]`, `24:00:00` the end of the day,
/// `allballs` midnight; a date before it is skipped, as PostgreSQL does)
/// into microseconds since midnight. Digits past the sixth of a second
/// round half up, as PostgreSQL rounds them.
pub fn parse_time(s: &str) -> Option<i64> {
    let (h, m, sec, micros) = time_fields(s)?;
    let total = ((h * 60 + m) * 60 + sec) * 1_000_000 + micros;
    // Up to 24:00:00 exactly, as PostgreSQL allows.
    (m < 60 && sec < 60 && total <= 86_400_000_000).then_some(total)
}

/// Whether `s` is written as a time whose fields are out of range
/// (`25:00`, `12:60`): PostgreSQL's 22008, where text that is no time at
/// all is 22007.
pub fn time_out_of_range(s: &str) -> bool {
    time_fields(s).is_some() && parse_time(s).is_none()
}

/// The hours, minutes, seconds and microseconds a time is written with,
/// unchecked against their ranges.
fn time_fields(s: &str) -> Option<(i64, i64, i64, i64)> {
    let t = s.trim();
    if t.eq_ignore_ascii_case("allballs") {
        return Some((0, 0, 0, 0));
    }
    // `2024-01-01 12:00` is noon; a `T` may join them too.
    let t = match t.split_once([' ', 'T']) {
        Some((date, time)) if parse_date(date).is_some() => time.trim(),
        _ => t,
    };
    let mut parts = t.split(':');
    let digits = |p: &str| !p.is_empty() && p.len() <= 2 && p.bytes().all(|b| b.is_ascii_digit());
    let h = parts.next().filter(|p| digits(p))?.parse::<i64>().ok()?;
    let m = parts.next().filter(|p| digits(p))?.parse::<i64>().ok()?;
    let (sec, frac) = match parts.next() {
        Some(rest) => rest.split_once('.').unwrap_or((rest, "")),
        None => ("0", ""),
    };
    if parts.next().is_some() || !digits(sec) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let sec = sec.parse::<i64>().ok()?;
    let mut micros: i64 = 0;
    for (i, d) in frac.bytes().take(6).enumerate() {
        micros += i64::from(d - b'0') * 10i64.pow(5 - i as u32);
    }
    if frac.as_bytes().get(6).is_some_and(|d| *d >= b'5') {
        micros += 1;
    }
    Some((h, m, sec, micros))
}

/// Prints microseconds since midnight as PostgreSQL prints a `time`.
pub fn format_time(micros: i64) -> String {
    let secs = micros.div_euclid(1_000_000);
    let frac = micros.rem_euclid(1_000_000);
    let mut s = format!("{:02}:{:02}:{:02}", secs / 3600, secs % 3600 / 60, secs % 60);
    if frac != 0 {
        s.push('.');
        s.push_str(format!("{frac:06}").trim_end_matches('0'));
    }
    s
}

/// PostgreSQL's special values of date, timestamp and timestamptz:
/// `infinity` is `Some(true)`, `-infinity` is `Some(false)`, in any case
/// and with blanks around them (PostgreSQL 15 takes no `+infinity` here). Stored as the
/// text `infinity` and `-infinity`, they sort after and before every
/// stored date (`-` comes before digits, `i` after them).
pub fn infinity(text: &str) -> Option<bool> {
    let t = text.trim();
    let (sign, word) = match t.strip_prefix('-') {
        Some(word) => (false, word),
        None => (true, t),
    };
    word.eq_ignore_ascii_case("infinity").then_some(sign)
}

/// The stored text of a date (`oid` 1082), time (1083), timestamp (1114)
/// or timestamptz (1184) written as `text`; `None` when it is not one.
pub fn canonical(text: &str, oid: u32) -> Option<String> {
    if matches!(oid, 1082 | 1114 | 1184) {
        if let Some(positive) = infinity(text) {
            return Some(if positive { "infinity" } else { "-infinity" }.to_string());
        }
    }
    match oid {
        1114 | 1184 => parse_timestamp(text).map(|micros| format_timestamp(micros, oid == 1184)),
        1082 => parse_date(text).map(|days| {
            let (y, m, d) = civil_from_days(days);
            format!("{y:04}-{m:02}-{d:02}")
        }),
        1083 => parse_time(text).map(format_time),
        _ => Some(text.to_string()),
    }
}

/// The name PostgreSQL's messages give the type with `oid`.
pub fn type_name(oid: u32) -> &'static str {
    match oid {
        1082 => "date",
        1083 => "time without time zone",
        1114 => "timestamp",
        _ => "timestamp with time zone",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_print_and_sort_as_postgresql_has_them() {
        let cases = [
            ("12:34", Some("12:34:00")),
            (" 1:2:3 ", Some("01:02:03")),
            ("23:59:59.1234567", Some("23:59:59.123457")),
            ("00:00:00.000000", Some("00:00:00")),
            ("24:00:00", Some("24:00:00")),
            ("allballs", Some("00:00:00")),
            ("2024-01-01 08:30", Some("08:30:00")),
            ("24:00:01", None),
            ("12:60", None),
            ("12", None),
            ("12:00:00:00", None),
            ("12:0x", None),
            ("１２:00", None),
            ("-1:00", None),
        ];
        for (text, stored) in cases {
            assert_eq!(canonical(text, 1083).as_deref(), stored, "{text:?}");
        }
        assert!(time_out_of_range("25:00") && time_out_of_range("12:60") && time_out_of_range("24:00:01"));
        assert!(!time_out_of_range("noon") && !time_out_of_range("12:00"));
        let sorted = ["00:00:00", "00:00:00.5", "09:59:59", "10:00:00", "24:00:00"];
        assert!(sorted.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(parse_time(&format_time(45_296_789_012)), Some(45_296_789_012));
    }

    #[test]
    fn infinity_is_a_value_of_every_date_type_that_sorts_outside_the_dates() {
        for oid in [1082, 1114, 1184] {
            assert_eq!(canonical(" Infinity ", oid).as_deref(), Some("infinity"));
            assert_eq!(canonical("+infinity", oid), None);
            assert_eq!(canonical("-INFINITY", oid).as_deref(), Some("-infinity"));
            assert_eq!(canonical("infinite", oid), None);
            assert_eq!(canonical("--infinity", oid), None);
            assert_eq!(canonical("-", oid), None);
            let earliest = canonical("0001-01-01 00:00:00", oid).unwrap();
            let latest = canonical("9999-12-31 23:59:59", oid).unwrap();
            assert!("-infinity" < earliest.as_str() && latest.as_str() < "infinity");
        }
        assert_eq!(canonical("-infinity", 25).as_deref(), Some("-infinity"), "text stays text");
    }

    #[test]
    fn a_multibyte_character_in_a_four_byte_offset_is_invalid_not_a_panic() {
        // "1Ü1" is four bytes; the offset's hours were cut at byte 2, inside 'Ü'.
        assert_eq!(parse_timestamp("2024-01-01 00:00:00+1Ü1"), None);
        assert_eq!(canonical("2024-01-01 00:00:00+1Ü1", 1184), None);
        assert_eq!(canonical("2024-01-01 00:00:00-Ü12", 1114), None);
        // Anything after the day is ignored when no time follows.
        assert_eq!(canonical("2024-01-01Ü00:00:00", 1114).as_deref(), Some("2024-01-01 00:00:00"));
        assert_eq!(canonical("2024-01-0Ü 00:00:00", 1114), None);
        assert_eq!(canonical("Ü", 1082), None);
        // The four-digit form still parses.
        assert_eq!(canonical("2024-01-01 00:00:00+0130", 1184).as_deref(), Some("2023-12-31 22:30:00+00"));
    }

    #[test]
    fn one_digit_months_and_days_parse_as_postgresql_and_mysql_read_them() {
        assert_eq!(canonical("1970-1-1", 1082).as_deref(), Some("1970-01-01"));
        assert_eq!(canonical("2024-2-9 3:04:05", 1114).as_deref(), Some("2024-02-09 03:04:05"));
        assert_eq!(canonical("2024-02-1x", 1082).as_deref(), Some("2024-02-01"));
        assert_eq!(canonical("2024-02-x1", 1082), None);
        assert_eq!(canonical("2024-02-", 1082), None);
    }

    #[test]
    fn values_beyond_an_i64_of_microseconds_are_invalid_not_an_overflow() {
        assert_eq!(parse_timestamp("9223372036854775807-01-01 00:00:00"), None);
        assert_eq!(parse_timestamp("2024-01-01 9223372036854775807:00:00"), None);
        assert_eq!(parse_timestamp("2024-01-01 00:00:00+9223372036854775807"), None);
        assert_eq!(parse_date("9223372036854775807-12-31"), None);
        assert_eq!(canonical("300000-01-01 00:00:00", 1114), None);
        // The largest year whose microseconds still fit.
        assert_eq!(canonical("294000-01-01 00:00:00", 1114).as_deref(), Some("294000-01-01 00:00:00"));
        assert_eq!(canonical("5874897-12-31", 1082).as_deref(), Some("5874897-12-31"));
    }

    #[test]
    fn day_counts_at_the_ends_of_i64_convert_without_overflow() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(-719_468), (0, 3, 1));
        for days in [i64::MIN, i64::MIN + 719_468, -1, 0, 1, i64::MAX - 719_468, i64::MAX] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), Some(days), "{days}: {y}-{m}-{d}");
        }
        assert_eq!(days_from_civil(1970, 1, 1), Some(0));
        assert_eq!(days_from_civil(i64::MAX, 12, 31), None);
        assert_eq!(days_from_civil(i64::MIN, 1, 1), None);
        assert_eq!(format_timestamp(i64::MIN, true), "-290308-12-21 19:59:05.224192+00");
    }
}
