//! PostgreSQL's `numeric`: exact decimal arithmetic with PostgreSQL's rules
//! for input, output, display scale, rounding (half away from zero),
//! division scale, `NaN` and the infinities, and type modifiers.
//!
//! Values are stored in SQLite as their output text (`'1.50'`, `'NaN'`),
//! in `TEXT COLLATE rc_numeric` columns: [`compare_text`] is that
//! collation, so indexes, `ORDER BY`, `UNIQUE`, `GROUP BY`, `min` and `max`
//! order them by value. The node's `rc_num_*` SQL functions compute with
//! this module; sqlmap uses it to fold literals at plan time. Everything
//! here is pure and deterministic: every validator computes the same digits.
//!
//! Arithmetic is [`bigdecimal`]'s, with the scale of each result chosen as
//! PostgreSQL chooses it; quotients are rounded here on exact integers.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use bigdecimal::num_bigint::{BigInt, Sign};
use bigdecimal::{BigDecimal, RoundingMode, Signed, ToPrimitive, Zero};

/// Most digits before the decimal point a value may have (PostgreSQL's limit).
pub const MAX_INTEGER_DIGITS: i64 = 131_072;
/// Most digits after the decimal point a value may have (PostgreSQL's limit).
pub const MAX_SCALE: i64 = 16_383;
/// Largest precision a `numeric(p, s)` may declare.
pub const MAX_PRECISION: u32 = 1000;
/// Division results carry at least this many significant digits.
const MIN_SIGNIFICANT_DIGITS: i64 = 16;
/// ... and at most this many digits after the point.
const MAX_DISPLAY_SCALE: i64 = 1000;

/// A failure with the SQLSTATE PostgreSQL reports for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumericError {
    pub sqlstate: &'static str,
    pub message: String,
}

impl NumericError {
    fn new(sqlstate: &'static str, message: impl Into<String>) -> Self {
        NumericError { sqlstate, message: message.into() }
    }

    fn overflow() -> Self {
        NumericError::new("22003", "value overflows numeric format")
    }

    fn invalid(text: &str) -> Self {
        NumericError::new("22P02", format!("invalid input syntax for type numeric: \"{text}\""))
    }

    fn division_by_zero() -> Self {
        NumericError::new("22012", "division by zero")
    }
}

impl fmt::Display for NumericError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for NumericError {}

/// A numeric value. A finite value's scale is its display scale, never
/// negative.
#[derive(Debug, Clone, PartialEq)]
pub enum Numeric {
    NaN,
    Infinity { negative: bool },
    Finite(BigDecimal),
}

impl Numeric {
    pub fn zero() -> Self {
        Numeric::Finite(BigDecimal::zero())
    }

    /// PostgreSQL's numeric input: blanks around, a sign, digits with at
    /// most one point, an exponent; `NaN`, `Infinity`, `inf` in any case.
    pub fn parse(text: &str) -> Result<Self, NumericError> {
        let t = text.trim_matches(|c: char| c.is_ascii_whitespace());
        let (negative, unsigned) = match (t.strip_prefix('-'), t.strip_prefix('+')) {
            (Some(rest), _) => (true, rest),
            (None, Some(rest)) => (false, rest),
            (None, None) => (false, t),
        };
        if unsigned.eq_ignore_ascii_case("nan") {
            // No sign is allowed on NaN.
            return if unsigned.len() == t.len() { Ok(Numeric::NaN) } else { Err(NumericError::invalid(text)) };
        }
        if unsigned.eq_ignore_ascii_case("infinity") || unsigned.eq_ignore_ascii_case("inf") {
            return Ok(Numeric::Infinity { negative });
        }
        let (mantissa, exponent) = match unsigned.split_once(['e', 'E']) {
            Some((mantissa, exponent)) => (mantissa, Some(exponent)),
            None => (unsigned, None),
        };
        let (whole, fraction) = match mantissa.split_once('.') {
            Some((w, f)) => (w, f),
            None => (mantissa, ""),
        };
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.len() + fraction.len() == 0 || !all_digits(whole) || !all_digits(fraction) {
            return Err(NumericError::invalid(text));
        }
        let exponent: i64 = match exponent {
            None => 0,
            Some(e) => {
                let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
                if digits.is_empty() || !all_digits(digits) {
                    return Err(NumericError::invalid(text));
                }
                // More digits than an i64 holds is far past any limit below.
                if digits.trim_start_matches('0').len() > 9 {
                    return Err(NumericError::overflow());
                }
                let n: i64 = digits.parse().map_err(|_| NumericError::invalid(text))?;
                if e.starts_with('-') {
                    -n
                } else {
                    n
                }
            }
        };
        let digits = format!("{whole}{fraction}");
        let int = BigInt::from_str(&digits).map_err(|_| NumericError::invalid(text))?;
        let int = if negative { -int } else { int };
        let scale = fraction.len() as i64 - exponent;
        finite(BigDecimal::new(int, scale))
    }

    pub fn from_i64(n: i64) -> Self {
        Numeric::Finite(BigDecimal::from(n))
    }

    /// A float as numeric: the shortest decimal that reads back as the same
    /// float (`8.5514716`, `99998969694839.98`), so a value a client or a
    /// JSON document wrote in decimal keeps its digits. (PostgreSQL rounds a
    /// float8 to 15 significant digits here; a float that never was decimal,
    /// such as `0.1::float8 + 0.2::float8`, keeps its artefact:
    /// `0.30000000000000004`.)
    pub fn from_f64(f: f64) -> Self {
        if f.is_nan() {
            return Numeric::NaN;
        }
        if f.is_infinite() {
            return Numeric::Infinity { negative: f < 0.0 };
        }
        // Display prints a finite f64 in plain decimal notation.
        match BigDecimal::from_str(&format!("{f}")) {
            Ok(d) => {
                let scale = d.fractional_digit_count().max(0);
                Numeric::Finite(d.with_scale(scale))
            }
            Err(_) => Numeric::NaN,
        }
    }

    /// The output text, which is also the stored form.
    pub fn to_text(&self) -> String {
        match self {
            Numeric::NaN => "NaN".into(),
            Numeric::Infinity { negative: false } => "Infinity".into(),
            Numeric::Infinity { negative: true } => "-Infinity".into(),
            Numeric::Finite(d) => d.to_plain_string(),
        }
    }

    pub fn is_nan(&self) -> bool {
        matches!(self, Numeric::NaN)
    }

    /// The display scale (0 for NaN and the infinities).
    pub fn scale(&self) -> i64 {
        match self {
            Numeric::Finite(d) => d.fractional_digit_count().max(0),
            _ => 0,
        }
    }

    pub fn add(&self, other: &Numeric) -> Result<Numeric, NumericError> {
        match (self, other) {
            (Numeric::Finite(a), Numeric::Finite(b)) => finite(a + b),
            (Numeric::NaN, _) | (_, Numeric::NaN) => Ok(Numeric::NaN),
            (Numeric::Infinity { negative: a }, Numeric::Infinity { negative: b }) if a != b => Ok(Numeric::NaN),
            (inf @ Numeric::Infinity { .. }, _) | (_, inf @ Numeric::Infinity { .. }) => Ok(inf.clone()),
        }
    }

    pub fn sub(&self, other: &Numeric) -> Result<Numeric, NumericError> {
        self.add(&other.neg())
    }

    pub fn neg(&self) -> Numeric {
        match self {
            Numeric::NaN => Numeric::NaN,
            Numeric::Infinity { negative } => Numeric::Infinity { negative: !negative },
            Numeric::Finite(d) => Numeric::Finite(-d),
        }
    }

    pub fn abs(&self) -> Numeric {
        match self {
            Numeric::NaN => Numeric::NaN,
            Numeric::Infinity { .. } => Numeric::Infinity { negative: false },
            Numeric::Finite(d) => Numeric::Finite(d.abs()),
        }
    }

    /// -1, 0 or 1; NaN for NaN.
    pub fn sign(&self) -> Numeric {
        match self {
            Numeric::NaN => Numeric::NaN,
            Numeric::Infinity { negative } => Numeric::from_i64(if *negative { -1 } else { 1 }),
            Numeric::Finite(d) => Numeric::from_i64(match d.sign() {
                Sign::Minus => -1,
                Sign::NoSign => 0,
                Sign::Plus => 1,
            }),
        }
    }

    /// The sign of a non-NaN value: -1, 0 or 1.
    fn signum(&self) -> i32 {
        match self {
            Numeric::NaN => 0,
            Numeric::Infinity { negative } => {
                if *negative {
                    -1
                } else {
                    1
                }
            }
            Numeric::Finite(d) => match d.sign() {
                Sign::Minus => -1,
                Sign::NoSign => 0,
                Sign::Plus => 1,
            },
        }
    }

    pub fn mul(&self, other: &Numeric) -> Result<Numeric, NumericError> {
        match (self, other) {
            (Numeric::Finite(a), Numeric::Finite(b)) => {
                if a.fractional_digit_count() + b.fractional_digit_count() > MAX_SCALE {
                    return Err(NumericError::overflow());
                }
                finite(a * b)
            }
            (Numeric::NaN, _) | (_, Numeric::NaN) => Ok(Numeric::NaN),
            (a, b) => match a.signum() * b.signum() {
                0 => Ok(Numeric::NaN),
                s => Ok(Numeric::Infinity { negative: s < 0 }),
            },
        }
    }

    /// `self / other` with PostgreSQL's result scale: at least 16
    /// significant digits, at least either operand's scale, rounded half
    /// away from zero.
    pub fn div(&self, other: &Numeric) -> Result<Numeric, NumericError> {
        match (self, other) {
            (Numeric::Finite(a), Numeric::Finite(b)) => {
                if b.is_zero() {
                    return Err(NumericError::division_by_zero());
                }
                let scale = division_scale(a, b);
                finite(divide_rounded(a, b, scale))
            }
            (Numeric::NaN, _) | (_, Numeric::NaN) => Ok(Numeric::NaN),
            (Numeric::Infinity { .. }, Numeric::Infinity { .. }) => Ok(Numeric::NaN),
            (Numeric::Infinity { negative }, Numeric::Finite(b)) => {
                if b.is_zero() {
                    return Err(NumericError::division_by_zero());
                }
                Ok(Numeric::Infinity { negative: *negative != (b.sign() == Sign::Minus) })
            }
            (Numeric::Finite(_), Numeric::Infinity { .. }) => Ok(Numeric::zero()),
        }
    }

    /// `self % other`: the remainder of truncating division, with the larger
    /// of the operands' scales.
    pub fn rem(&self, other: &Numeric) -> Result<Numeric, NumericError> {
        match (self, other) {
            (Numeric::Finite(a), Numeric::Finite(b)) => {
                if b.is_zero() {
                    return Err(NumericError::division_by_zero());
                }
                let scale = a.fractional_digit_count().max(b.fractional_digit_count()).max(0);
                let (ia, ib) = (at_scale(a, scale), at_scale(b, scale));
                finite(BigDecimal::new(ia % ib, scale))
            }
            (Numeric::NaN, _) | (_, Numeric::NaN) => Ok(Numeric::NaN),
            (Numeric::Infinity { .. }, _) => Ok(Numeric::NaN),
            (a @ Numeric::Finite(_), Numeric::Infinity { .. }) => Ok(a.clone()),
        }
    }

    /// `round(x, places)`: half away from zero; a negative `places` rounds
    /// left of the point. The result's scale is `max(places, 0)`.
    pub fn round(&self, places: i64) -> Result<Numeric, NumericError> {
        self.rescale(places, RoundingMode::HalfUp)
    }

    /// `trunc(x, places)`: toward zero.
    pub fn trunc(&self, places: i64) -> Result<Numeric, NumericError> {
        self.rescale(places, RoundingMode::Down)
    }

    pub fn ceil(&self) -> Result<Numeric, NumericError> {
        self.rescale(0, RoundingMode::Ceiling)
    }

    pub fn floor(&self) -> Result<Numeric, NumericError> {
        self.rescale(0, RoundingMode::Floor)
    }

    fn rescale(&self, places: i64, mode: RoundingMode) -> Result<Numeric, NumericError> {
        let Numeric::Finite(d) = self else { return Ok(self.clone()) };
        let places = places.clamp(-MAX_INTEGER_DIGITS - 1, MAX_SCALE);
        let rounded = d.with_scale_round(places, mode);
        finite(rounded.with_scale(places.max(0)))
    }

    /// The value as a column of type `numeric(precision, scale)` holds it:
    /// rounded to the scale, 22003 when its integer digits do not fit.
    pub fn with_typmod(&self, precision: Option<u32>, scale: Option<u32>) -> Result<Numeric, NumericError> {
        let Some(precision) = precision else { return Ok(self.clone()) };
        let scale = i64::from(scale.unwrap_or(0));
        // PostgreSQL's DETAIL, which SQLite functions cannot carry, goes
        // into the message after the primary text.
        let overflow =
            |detail: String| NumericError::new("22003", format!("numeric field overflow: a field with {detail}"));
        match self {
            Numeric::NaN => Ok(Numeric::NaN),
            Numeric::Infinity { .. } => {
                Err(overflow(format!("precision {precision}, scale {scale} cannot hold an infinite value")))
            }
            Numeric::Finite(d) => {
                let rounded = d.with_scale_round(scale, RoundingMode::HalfUp);
                let integer_digits = integer_digits(&rounded);
                let allowed = i64::from(precision) - scale;
                if integer_digits > allowed {
                    return Err(overflow(format!(
                        "precision {precision}, scale {scale} must round to an absolute value less than 10^{allowed}"
                    )));
                }
                Ok(Numeric::Finite(rounded))
            }
        }
    }

    /// Rounded half away from zero to an integer, or `None` when it does
    /// not fit an i64.
    pub fn to_i64_rounded(&self) -> Option<i64> {
        match self {
            Numeric::Finite(d) => d.with_scale_round(0, RoundingMode::HalfUp).to_i64(),
            _ => None,
        }
    }

    pub fn to_f64(&self) -> f64 {
        match self {
            Numeric::NaN => f64::NAN,
            Numeric::Infinity { negative: false } => f64::INFINITY,
            Numeric::Infinity { negative: true } => f64::NEG_INFINITY,
            Numeric::Finite(d) => d.to_f64().unwrap_or(f64::NAN),
        }
    }

    /// PostgreSQL's total order: `-Infinity` < finite < `Infinity` < `NaN`,
    /// and NaN equals NaN.
    pub fn total_cmp(&self, other: &Numeric) -> Ordering {
        fn rank(n: &Numeric) -> u8 {
            match n {
                Numeric::Infinity { negative: true } => 0,
                Numeric::Finite(_) => 1,
                Numeric::Infinity { negative: false } => 2,
                Numeric::NaN => 3,
            }
        }
        match (self, other) {
            (Numeric::Finite(a), Numeric::Finite(b)) => a.cmp(b),
            _ => rank(self).cmp(&rank(other)),
        }
    }
}

impl fmt::Display for Numeric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_text())
    }
}

/// A finite result within PostgreSQL's limits, its scale made non-negative.
fn finite(d: BigDecimal) -> Result<Numeric, NumericError> {
    let scale = d.fractional_digit_count();
    if scale > MAX_SCALE || integer_digits(&d) > MAX_INTEGER_DIGITS {
        return Err(NumericError::overflow());
    }
    Ok(Numeric::Finite(if scale < 0 { d.with_scale(0) } else { d }))
}

/// How many digits a value has before its decimal point (0 for |x| < 1).
fn integer_digits(d: &BigDecimal) -> i64 {
    if d.is_zero() {
        return 0;
    }
    (d.order_of_magnitude() + 1).max(0)
}

/// The unscaled integer of `d` at `scale` (which is at least its own).
fn at_scale(d: &BigDecimal, scale: i64) -> BigInt {
    let (int, own) = d.as_bigint_and_scale();
    let shift = (scale - own).max(0);
    int.into_owned() * BigInt::from(10u8).pow(shift as u32)
}

/// PostgreSQL's choice of a quotient's scale (`select_div_scale`): the
/// quotient's first digit is estimated from the operands' first
/// base-10000 digits, and 16 significant digits are kept.
fn division_scale(a: &BigDecimal, b: &BigDecimal) -> i64 {
    let (weight_a, first_a) = base10000_lead(a);
    let (weight_b, first_b) = base10000_lead(b);
    let mut quotient_weight = weight_a - weight_b;
    if first_a <= first_b {
        quotient_weight -= 1;
    }
    let scale = MIN_SIGNIFICANT_DIGITS - quotient_weight * 4;
    scale.max(a.fractional_digit_count()).max(b.fractional_digit_count()).clamp(0, MAX_DISPLAY_SCALE)
}

/// The weight and value of a value's first non-zero base-10000 digit
/// (weight 0 and digit 0 for zero).
fn base10000_lead(d: &BigDecimal) -> (i64, u32) {
    if d.is_zero() {
        return (0, 0);
    }
    let magnitude = d.order_of_magnitude();
    let weight = magnitude.div_euclid(4);
    let leading = (magnitude - weight * 4 + 1) as usize;
    let (int, _) = d.as_bigint_and_scale();
    let digits = int.magnitude().to_string();
    let first = digits.get(..leading.min(digits.len())).unwrap_or("0");
    // Fewer digits than the group holds: the group is padded with zeros.
    let pad = leading.saturating_sub(digits.len()) as u32;
    (weight, first.parse::<u32>().unwrap_or(0) * 10u32.pow(pad))
}

/// `a / b` at `scale` digits, rounded half away from zero, on integers.
fn divide_rounded(a: &BigDecimal, b: &BigDecimal, scale: i64) -> BigDecimal {
    let (ia, sa) = a.as_bigint_and_scale();
    let (ib, sb) = b.as_bigint_and_scale();
    // a/b = ia/ib * 10^(sb - sa); scaled by 10^scale.
    let shift = scale + sb - sa;
    let ten = BigInt::from(10u8);
    let (numerator, denominator) = if shift >= 0 {
        (ia.into_owned() * ten.pow(shift as u32), ib.into_owned())
    } else {
        (ia.into_owned(), ib.into_owned() * ten.pow((-shift) as u32))
    };
    let quotient = &numerator / &denominator;
    let remainder = &numerator % &denominator;
    let twice = remainder.abs() * 2u8;
    let rounded = if twice >= denominator.abs() {
        let away = if (numerator.sign() == Sign::Minus) != (denominator.sign() == Sign::Minus) { -1 } else { 1 };
        quotient + away
    } else {
        quotient
    };
    BigDecimal::new(rounded, scale)
}

/// The `rc_numeric` collation: numeric text ordered by value, in
/// PostgreSQL's total order. Text that is no numeric sorts after `NaN`,
/// by its bytes. The common case (plain decimals) compares without
/// allocating.
pub fn compare_text(a: &str, b: &str) -> Ordering {
    if let (Some(x), Some(y)) = (Plain::read(a), Plain::read(b)) {
        return x.cmp(&y);
    }
    match (Numeric::parse(a), Numeric::parse(b)) {
        (Ok(x), Ok(y)) => x.total_cmp(&y),
        (Ok(_), Err(_)) => Ordering::Less,
        (Err(_), Ok(_)) => Ordering::Greater,
        (Err(_), Err(_)) => a.as_bytes().cmp(b.as_bytes()),
    }
}

/// A plain decimal's parts: `-`? digits (`.` digits)?, without leading
/// zeros on the integer part or trailing zeros on the fraction.
struct Plain<'a> {
    negative: bool,
    whole: &'a [u8],
    fraction: &'a [u8],
}

impl<'a> Plain<'a> {
    fn read(text: &'a str) -> Option<Self> {
        let bytes = text.as_bytes();
        let (negative, rest) = match bytes.split_first() {
            Some((b'-', rest)) => (true, rest),
            _ => (false, bytes),
        };
        let mut parts = rest.splitn(2, |&b| b == b'.');
        let whole = parts.next().unwrap_or_default();
        let fraction = parts.next().unwrap_or_default();
        if whole.is_empty() || !whole.iter().all(u8::is_ascii_digit) || !fraction.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let start = whole.iter().position(|&b| b != b'0').unwrap_or(whole.len());
        let end = fraction.iter().rposition(|&b| b != b'0').map_or(0, |at| at + 1);
        let (whole, fraction) = (whole.get(start..)?, fraction.get(..end)?);
        // -0 is 0.
        let negative = negative && !(whole.is_empty() && fraction.is_empty());
        Some(Plain { negative, whole, fraction })
    }

    fn cmp_magnitude(&self, other: &Plain<'_>) -> Ordering {
        self.whole.len().cmp(&other.whole.len()).then_with(|| self.whole.cmp(other.whole)).then_with(|| {
            // Missing digits are zeros, and neither fraction ends in one.
            self.fraction.cmp(other.fraction)
        })
    }

    fn cmp(&self, other: &Plain<'_>) -> Ordering {
        match (self.negative, other.negative) {
            (false, true) => Ordering::Greater,
            (true, false) => Ordering::Less,
            (false, false) => self.cmp_magnitude(other),
            (true, true) => other.cmp_magnitude(self),
        }
    }
}

/// A running `sum` (and count, for `avg`) of numeric values. Values of up
/// to 38 digits add as 128-bit integers; past that, or on NaN and the
/// infinities, the sum moves to arbitrary precision.
#[derive(Debug, Clone, Default)]
pub struct Sum {
    /// Unscaled sum and its scale, while it fits.
    small: Option<(i128, u32)>,
    big: Option<Numeric>,
    pub count: i64,
}

impl Sum {
    pub fn add_text(&mut self, text: &str) -> Result<(), NumericError> {
        self.count += 1;
        if self.big.is_none() {
            if let Some((value, scale)) = small_decimal(text) {
                let (sum, sum_scale) = self.small.unwrap_or((0, 0));
                let target = sum_scale.max(scale);
                let aligned = rescale_i128(sum, sum_scale, target)
                    .zip(rescale_i128(value, scale, target))
                    .and_then(|(a, b)| a.checked_add(b));
                if let Some(total) = aligned {
                    self.small = Some((total, target));
                    return Ok(());
                }
            }
        }
        self.add(&Numeric::parse(text)?)
    }

    pub fn add(&mut self, value: &Numeric) -> Result<(), NumericError> {
        let current = match (self.big.take(), self.small.take()) {
            (Some(big), _) => big,
            (None, Some((sum, scale))) => Numeric::Finite(BigDecimal::new(BigInt::from(sum), i64::from(scale))),
            (None, None) => Numeric::zero(),
        };
        self.big = Some(current.add(value)?);
        Ok(())
    }

    /// The sum; `None` when nothing was added (SQL's NULL).
    pub fn total(&self) -> Option<Numeric> {
        if self.count == 0 {
            return None;
        }
        Some(match (&self.big, self.small) {
            (Some(big), _) => big.clone(),
            (None, Some((sum, scale))) => Numeric::Finite(BigDecimal::new(BigInt::from(sum), i64::from(scale))),
            (None, None) => Numeric::zero(),
        })
    }

    /// The mean, with a quotient's scale; `None` when nothing was added.
    pub fn mean(&self) -> Result<Option<Numeric>, NumericError> {
        match self.total() {
            None => Ok(None),
            Some(total) => total.div(&Numeric::from_i64(self.count)).map(Some),
        }
    }
}

/// A plain decimal of at most 38 digits as an unscaled i128 and its scale.
fn small_decimal(text: &str) -> Option<(i128, u32)> {
    let plain = text.as_bytes();
    let (negative, rest) = match plain.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, plain),
    };
    if rest.is_empty() || rest.len() > 39 {
        return None;
    }
    let mut value: i128 = 0;
    let mut scale: Option<u32> = None;
    for &b in rest {
        match b {
            b'0'..=b'9' => {
                value = value.checked_mul(10)?.checked_add(i128::from(b - b'0'))?;
                if let Some(s) = scale.as_mut() {
                    *s += 1;
                }
            }
            b'.' if scale.is_none() => scale = Some(0),
            _ => return None,
        }
    }
    Some((if negative { -value } else { value }, scale.unwrap_or(0)))
}

fn rescale_i128(value: i128, from: u32, to: u32) -> Option<i128> {
    10i128.checked_pow(to - from).and_then(|factor| value.checked_mul(factor))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(text: &str) -> Numeric {
        Numeric::parse(text).unwrap()
    }

    fn t(value: Result<Numeric, NumericError>) -> String {
        value.unwrap().to_text()
    }

    #[test]
    fn input_follows_postgresql() {
        for (input, output) in [
            ("1.50", "1.50"),
            ("  -0.5 ", "-0.5"),
            ("+3", "3"),
            ("1e5", "100000"),
            ("1.5e-3", "0.0015"),
            ("100e-1", "10.0"),
            (".5", "0.5"),
            ("5.", "5"),
            ("-0.00", "0.00"),
            ("NaN", "NaN"),
            ("nan", "NaN"),
            ("-Infinity", "-Infinity"),
            ("inf", "Infinity"),
            ("0001.10", "1.10"),
        ] {
            assert_eq!(n(input).to_text(), output, "{input}");
        }
        for bad in ["", ".", "-", "1.2.3", "abc", "1e", "1e+", "--1", "-NaN", "1 2", "0x10", "١"] {
            assert_eq!(Numeric::parse(bad).unwrap_err().sqlstate, "22P02", "{bad:?}");
        }
        assert_eq!(Numeric::parse("1e999999999999").unwrap_err().sqlstate, "22003");
        assert_eq!(Numeric::parse("1e200000").unwrap_err().sqlstate, "22003");
        assert_eq!(Numeric::parse("1e-20000").unwrap_err().sqlstate, "22003");
    }

    #[test]
    fn arithmetic_is_exact_with_postgresql_scales() {
        assert_eq!(t(n("0.1").add(&n("0.2"))), "0.3");
        assert_eq!(n("0.1").add(&n("0.2")).unwrap().total_cmp(&n("0.3")), Ordering::Equal);
        assert_eq!(t(n("1.50").add(&n("2.125"))), "3.625");
        assert_eq!(t(n("1.50").sub(&n("1.50"))), "0.00");
        assert_eq!(t(n("1.5").mul(&n("2.25"))), "3.375");
        assert_eq!(t(n("-1.10").mul(&n("3"))), "-3.30");
        // Division: at least 16 significant digits.
        assert_eq!(t(n("1").div(&n("3"))), "0.33333333333333333333");
        assert_eq!(t(n("10.0").div(&n("3"))), "3.3333333333333333");
        assert_eq!(t(n("2").div(&n("3"))), "0.66666666666666666667");
        assert_eq!(t(n("-2").div(&n("3"))), "-0.66666666666666666667");
        assert_eq!(t(n("1").div(&n("8"))), "0.12500000000000000000");
        assert_eq!(t(n("100").div(&n("7"))), "14.2857142857142857");
        assert_eq!(t(n("0").div(&n("3"))), "0.00000000000000000000");
        assert_eq!(t(n("123456789").div(&n("0.001"))), "123456789000.00000000");
        assert_eq!(n("1").div(&n("0")).unwrap_err().sqlstate, "22012");
        assert_eq!(t(n("7.5").rem(&n("2"))), "1.5");
        assert_eq!(t(n("-7.5").rem(&n("2"))), "-1.5");
        assert_eq!(n("1").rem(&n("0.0")).unwrap_err().sqlstate, "22012");
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(t(n("2.5").round(0)), "3");
        assert_eq!(t(n("-2.5").round(0)), "-3");
        assert_eq!(t(n("2.345").round(2)), "2.35");
        assert_eq!(t(n("1234.5").round(-2)), "1200");
        assert_eq!(t(n("1.2").round(3)), "1.200");
        assert_eq!(t(n("-2.99").trunc(1)), "-2.9");
        assert_eq!(t(n("-2.1").ceil()), "-2");
        assert_eq!(t(n("-2.1").floor()), "-3");
        assert_eq!(n("2.5").to_i64_rounded(), Some(3));
        assert_eq!(n("-2.5").to_i64_rounded(), Some(-3));
        assert_eq!(n("1e30").to_i64_rounded(), None);
    }

    #[test]
    fn type_modifiers_round_and_overflow() {
        assert_eq!(n("1.005").with_typmod(Some(10), Some(2)).unwrap().to_text(), "1.01");
        assert_eq!(n("3").with_typmod(Some(10), Some(2)).unwrap().to_text(), "3.00");
        assert_eq!(n("99999999.994").with_typmod(Some(10), Some(2)).unwrap().to_text(), "99999999.99");
        let e = n("99999999.995").with_typmod(Some(10), Some(2)).unwrap_err();
        assert_eq!(e.sqlstate, "22003");
        assert!(e.message.contains("less than 10^8"), "{}", e.message);
        assert_eq!(n("0.001").with_typmod(Some(3), Some(3)).unwrap().to_text(), "0.001");
        assert_eq!(n("1").with_typmod(Some(3), Some(3)).unwrap_err().sqlstate, "22003");
        assert_eq!(n("NaN").with_typmod(Some(3), Some(1)).unwrap().to_text(), "NaN");
        assert_eq!(n("Infinity").with_typmod(Some(3), Some(1)).unwrap_err().sqlstate, "22003");
        assert_eq!(n("12.345").with_typmod(None, None).unwrap().to_text(), "12.345");
    }

    #[test]
    fn specials_follow_postgresql() {
        assert_eq!(t(n("Infinity").add(&n("-Infinity"))), "NaN");
        assert_eq!(t(n("Infinity").add(&n("1"))), "Infinity");
        assert_eq!(t(n("Infinity").mul(&n("0"))), "NaN");
        assert_eq!(t(n("-Infinity").mul(&n("2"))), "-Infinity");
        assert_eq!(t(n("1").div(&n("Infinity"))), "0");
        assert_eq!(t(n("NaN").add(&n("1"))), "NaN");
        assert_eq!(Numeric::from_f64(0.1 + 0.2).to_text(), "0.30000000000000004");
        assert_eq!(Numeric::from_f64(99998969694839.98).to_text(), "99998969694839.98");
        assert_eq!(Numeric::from_f64(1e21).to_text(), "1000000000000000000000");
        assert_eq!(Numeric::from_f64(1.5e-7).to_text(), "0.00000015");
        assert_eq!(Numeric::from_f64(100.0).to_text(), "100");
        assert_eq!(Numeric::from_f64(-1.25).to_text(), "-1.25");
        assert_eq!(Numeric::from_f64(f64::NAN).to_text(), "NaN");
    }

    #[test]
    fn the_collation_orders_by_value() {
        let mut values = vec![
            "NaN",
            "10",
            "9.99",
            "-1",
            "-10.5",
            "0",
            "-0.00",
            "0.10",
            "Infinity",
            "-Infinity",
            "1e1",
            "2.5",
            "junk",
        ];
        values.sort_by(|a, b| compare_text(a, b));
        assert_eq!(
            values,
            vec![
                "-Infinity",
                "-10.5",
                "-1",
                "0",
                "-0.00",
                "0.10",
                "2.5",
                "9.99",
                "10",
                "1e1",
                "Infinity",
                "NaN",
                "junk"
            ]
        );
        assert_eq!(compare_text("1.0", "1.00"), Ordering::Equal);
        assert_eq!(compare_text("010", "10"), Ordering::Equal);
        assert_eq!(compare_text("-2", "-10"), Ordering::Greater);
        assert_eq!(compare_text("0.09", "0.1"), Ordering::Less);
        assert_eq!(compare_text("NaN", "NaN"), Ordering::Equal);
    }

    /// A decimal text from an integer of cents-like units and a scale.
    fn decimal(units: i64, scale: u32) -> String {
        Numeric::Finite(BigDecimal::new(BigInt::from(units), i64::from(scale))).to_text()
    }

    proptest::proptest! {
        #[test]
        fn the_collation_agrees_with_the_values(a in -10_000_000i64..10_000_000, sa in 0u32..6, b in -10_000_000i64..10_000_000, sb in 0u32..6) {
            let (x, y) = (decimal(a, sa), decimal(b, sb));
            let by_value = (a as i128 * 10i128.pow(sb)).cmp(&(b as i128 * 10i128.pow(sa)));
            proptest::prop_assert_eq!(compare_text(&x, &y), by_value, "{} vs {}", x, y);
            proptest::prop_assert_eq!(n(&x).total_cmp(&n(&y)), by_value);
        }

        #[test]
        fn arithmetic_matches_integer_arithmetic(a in -1_000_000_000i64..1_000_000_000, b in -1_000_000_000i64..1_000_000_000) {
            // Cents: exact sums, differences and products at their scales.
            let (x, y) = (n(&decimal(a, 2)), n(&decimal(b, 2)));
            proptest::prop_assert_eq!(x.add(&y).unwrap().to_text(), decimal(a + b, 2));
            proptest::prop_assert_eq!(x.sub(&y).unwrap().to_text(), decimal(a - b, 2));
            proptest::prop_assert_eq!(x.mul(&y).unwrap().to_text(), Numeric::Finite(BigDecimal::new(BigInt::from(a as i128 * b as i128), 4)).to_text());
            if b != 0 {
                // (x / y) * y is x to within the quotient's last digit.
                let q = x.div(&y).unwrap();
                let back = q.mul(&y).unwrap().sub(&x).unwrap().abs();
                let unit = n(&format!("1e-{}", q.scale()));
                proptest::prop_assert!(back.total_cmp(&unit.mul(&y.abs()).unwrap()) != Ordering::Greater);
            }
            let mut sum = Sum::default();
            sum.add_text(&decimal(a, 2)).unwrap();
            sum.add_text(&decimal(b, 2)).unwrap();
            proptest::prop_assert_eq!(sum.total().unwrap().to_text(), decimal(a + b, 2));
        }
    }

    #[test]
    fn sums_are_exact_past_128_bits() {
        let mut sum = Sum::default();
        for _ in 0..1000 {
            sum.add_text("0.01").unwrap();
        }
        assert_eq!(sum.total().unwrap().to_text(), "10.00");
        assert_eq!(sum.mean().unwrap().unwrap().to_text(), "0.01000000000000000000");
        let mut big = Sum::default();
        big.add_text("99999999999999999999999999999999999999").unwrap();
        big.add_text("1.5").unwrap();
        assert_eq!(big.total().unwrap().to_text(), "100000000000000000000000000000000000000.5");
        big.add_text("NaN").unwrap();
        assert_eq!(big.total().unwrap().to_text(), "NaN");
        assert!(Sum::default().total().is_none());
        let mut ints = Sum::default();
        ints.add_text("2").unwrap();
        ints.add_text("3").unwrap();
        assert_eq!(ints.mean().unwrap().unwrap().to_text(), "2.5000000000000000");
    }
}
