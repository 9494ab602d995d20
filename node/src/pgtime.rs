//! PostgreSQL's date and timestamp text: parsing the input forms rowchain
//! accepts and printing the one form it stores (`YYYY-MM-DD`,
//! `YYYY-MM-DD HH:MM:SS[.ffffff]`, and for timestamptz the UTC instant with
//! `+00`), so stored values compare and sort as the instants they are.

pub const PG_EPOCH_DAYS: i64 = 10_957; // 2000-01-01 in days since 1970-01-01

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The (year, month, day) of a day count since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + (m <= 2) as i64, m, d)
}

/// Parses `YYYY-MM-DD` (anything after the day is ignored) into days since 1970-01-01.
pub fn parse_date(s: &str) -> Option<i64> {
    let mut it = s.trim().splitn(3, '-');
    let y: i64 = it.next()?.parse().ok()?;
    let m: u32 = it.next()?.parse().ok()?;
    let d: u32 = it.next()?.get(..2)?.parse().ok()?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    Some(days_from_civil(y, m, d))
}

/// Parses `YYYY-MM-DD[ T]HH:MM[:SS[.ffffff]][+HH[:MM]|Z]` into microseconds
/// since 1970 (UTC when an offset is given, else as written).
pub fn parse_timestamp(s: &str) -> Option<i64> {
    let s = s.trim();
    let (date, rest) = match s.find([' ', 'T']) {
        Some(i) => (&s[..i], s[i + 1..].trim()),
        None => (s, "00:00:00"),
    };
    let days = parse_date(date)?;
    let tz_at = rest.find(['+', '-', 'Z', 'z']).unwrap_or(rest.len());
    let (time, tz) = rest.split_at(tz_at);
    let mut parts = time.trim().split(':');
    let h: i64 = parts.next()?.parse().ok()?;
    let mi: i64 = parts.next().unwrap_or("0").parse().ok()?;
    let sec = parts.next().unwrap_or("0");
    let (whole, frac) = sec.split_once('.').unwrap_or((sec, ""));
    let se: i64 = whole.parse().ok()?;
    let mut micros: i64 = 0;
    for (i, c) in frac.chars().take(6).enumerate() {
        micros += c.to_digit(10)? as i64 * 10i64.pow(5 - i as u32);
    }
    let offset_secs = match tz.trim() {
        "" | "Z" | "z" => 0,
        t => {
            let sign = if t.starts_with('-') { -1 } else { 1 };
            let body = &t[1..];
            let (oh, om) = match body.split_once(':') {
                Some((a, b)) => (a.parse::<i64>().ok()?, b.parse::<i64>().ok()?),
                None if body.len() == 4 => (body[..2].parse().ok()?, body[2..].parse().ok()?),
                None => (body.parse().ok()?, 0),
            };
            sign * (oh * 3600 + om * 60)
        }
    };
    Some(((days * 86_400 + h * 3600 + mi * 60 + se - offset_secs) * 1_000_000) + micros)
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

/// The stored text of a date (`oid` 1082), timestamp (1114) or timestamptz
/// (1184) written as `text`; `None` when it is not one.
pub fn canonical(text: &str, oid: u32) -> Option<String> {
    match oid {
        1114 | 1184 => parse_timestamp(text).map(|micros| format_timestamp(micros, oid == 1184)),
        1082 => parse_date(text).map(|days| {
            let (y, m, d) = civil_from_days(days);
            format!("{y:04}-{m:02}-{d:02}")
        }),
        _ => Some(text.to_string()),
    }
}

/// The name PostgreSQL's messages give the type with `oid`.
pub fn type_name(oid: u32) -> &'static str {
    match oid {
        1082 => "date",
        1114 => "timestamp",
        _ => "timestamp with time zone",
    }
}
