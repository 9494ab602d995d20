//! Sequences: `CREATE SEQUENCE`, and the sequence behind each serial or
//! identity column that is not a table's rowid. A sequence is chain state:
//! its metadata, including where it stands (`last_value`, `is_called`), is
//! one state-tree leaf (label `q` + its SQLite name), rewritten by every
//! statement that draws from it. Validators draw in block order, so every
//! validator hands out the same values; a failed tx rolls its draws back
//! with its rows (PostgreSQL keeps them drawn; on a chain a failed tx leaves
//! nothing behind but its receipt).
//!
//! The arithmetic here is PostgreSQL's: option defaults by data type and
//! direction, the CREATE checks (22023), `nextval` at the bounds (2200H, or
//! a wrap with CYCLE) and `setval` outside them (22003).

use crate::codec::{DecodeError, Reader, Writer};
use crate::sqlerror::SqlError;

/// Sequence privilege bits (PostgreSQL's USAGE, SELECT, UPDATE).
pub mod privilege {
    /// `nextval`, `currval`.
    pub const USAGE: u8 = 1;
    /// `currval`, reading the sequence.
    pub const SELECT: u8 = 2;
    /// `nextval`, `setval`.
    pub const UPDATE: u8 = 4;
}

pub use sqlmap::{SeqType, SequenceOptions};

fn type_code(t: SeqType) -> u8 {
    match t {
        SeqType::Int2 => 2,
        SeqType::Int4 => 4,
        SeqType::Int8 => 8,
    }
}

fn type_from_code(code: u8) -> Option<SeqType> {
    match code {
        2 => Some(SeqType::Int2),
        4 => Some(SeqType::Int4),
        8 => Some(SeqType::Int8),
        _ => None,
    }
}

/// What one grantee may do with a sequence (bits of [`privilege`]), as a
/// schema's grants are kept.
pub use crate::schema::SchemaGrantMeta as SeqGrantMeta;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SequenceMeta {
    /// The SQLite name (`s`, or `schema.s`), as tables are named.
    pub name: String,
    /// The owner's address.
    pub owner: String,
    pub created_height: u64,
    pub data_type: SeqType,
    pub start: i64,
    pub increment: i64,
    pub min: i64,
    pub max: i64,
    pub cache: i64,
    pub cycle: bool,
    /// The value last drawn (or set), or `start` before the first draw.
    pub last_value: i64,
    /// Whether `last_value` was handed out: the next draw moves on from it.
    pub is_called: bool,
    /// The column whose values it draws (`OWNED BY`, serial and identity
    /// columns), as (table SQLite name, column): dropped with it.
    pub owned_by: Option<(String, String)>,
    /// Privileges the owner granted, one entry per grantee, sorted by grantee.
    pub acl: Vec<SeqGrantMeta>,
    /// `COMMENT ON SEQUENCE`.
    pub comment: Option<String>,
}

/// User sequences by SQLite name.
pub type Sequences = std::collections::BTreeMap<String, SequenceMeta>;

fn invalid(message: String) -> SqlError {
    SqlError::new("22023", message)
}

impl SequenceMeta {
    /// A new sequence from its options, checked as PostgreSQL's CREATE
    /// SEQUENCE checks them (22023). `default_type` is the type when the
    /// options name none (bigint for CREATE SEQUENCE, the column's type for
    /// serial and identity columns).
    pub fn new(
        name: String,
        owner: String,
        created_height: u64,
        options: &SequenceOptions,
        default_type: SeqType,
    ) -> Result<SequenceMeta, SqlError> {
        let data_type = options.data_type.unwrap_or(default_type);
        let increment = options.increment.unwrap_or(1);
        if increment == 0 {
            return Err(invalid("INCREMENT must not be zero".into()));
        }
        let ascending = increment > 0;
        let max = options.max.unwrap_or(if ascending { data_type.max() } else { -1 });
        let min = options.min.unwrap_or(if ascending { 1 } else { data_type.min() });
        let type_name = data_type.pg_name();
        if max < data_type.min() || max > data_type.max() {
            return Err(invalid(format!("MAXVALUE ({max}) is out of range for sequence data type {type_name}")));
        }
        if min < data_type.min() || min > data_type.max() {
            return Err(invalid(format!("MINVALUE ({min}) is out of range for sequence data type {type_name}")));
        }
        if min >= max {
            return Err(invalid(format!("MINVALUE ({min}) must be less than MAXVALUE ({max})")));
        }
        let start = options.start.unwrap_or(if ascending { min } else { max });
        if start < min {
            return Err(invalid(format!("START value ({start}) cannot be less than MINVALUE ({min})")));
        }
        if start > max {
            return Err(invalid(format!("START value ({start}) cannot be greater than MAXVALUE ({max})")));
        }
        let cache = options.cache.unwrap_or(1);
        if cache <= 0 {
            return Err(invalid(format!("CACHE ({cache}) must be greater than zero")));
        }
        Ok(SequenceMeta {
            name,
            owner,
            created_height,
            data_type,
            start,
            increment,
            min,
            max,
            cache,
            cycle: options.cycle.unwrap_or(false),
            last_value: start,
            is_called: false,
            owned_by: None,
            acl: Vec::new(),
            comment: None,
        })
    }

    /// The name as PostgreSQL shows it: without the schema.
    pub fn relname(&self) -> &str {
        self.name.split_once('.').map_or(self.name.as_str(), |(_, n)| n)
    }

    /// `nextval`: the next value, which the sequence now stands at.
    /// At a bound it wraps (CYCLE) or fails with 2200H.
    pub fn next_value(&mut self) -> Result<i64, SqlError> {
        if !self.is_called {
            self.is_called = true;
            return Ok(self.last_value);
        }
        let stepped = self.last_value.checked_add(self.increment);
        let next = if self.increment > 0 {
            match stepped {
                Some(v) if v <= self.max => v,
                _ if self.cycle => self.min,
                _ => {
                    return Err(SqlError::new(
                        "2200H",
                        format!("nextval: reached maximum value of sequence \"{}\" ({})", self.relname(), self.max),
                    ))
                }
            }
        } else {
            match stepped {
                Some(v) if v >= self.min => v,
                _ if self.cycle => self.max,
                _ => {
                    return Err(SqlError::new(
                        "2200H",
                        format!("nextval: reached minimum value of sequence \"{}\" ({})", self.relname(), self.min),
                    ))
                }
            }
        };
        self.last_value = next;
        Ok(next)
    }

    /// `setval(s, value, is_called)`: 22003 outside the bounds.
    pub fn set_value(&mut self, value: i64, is_called: bool) -> Result<(), SqlError> {
        if value < self.min || value > self.max {
            return Err(SqlError::new(
                "22003",
                format!(
                    "setval: value {value} is out of bounds for sequence \"{}\" ({}..{})",
                    self.relname(),
                    self.min,
                    self.max
                ),
            ));
        }
        self.last_value = value;
        self.is_called = is_called;
        Ok(())
    }

    /// `ALTER SEQUENCE ... RESTART [WITH n]`: the next draw returns `n`
    /// (the start value when none is given).
    pub fn restart(&mut self, with: Option<i64>) -> Result<(), SqlError> {
        let value = with.unwrap_or(self.start);
        if value < self.min {
            return Err(invalid(format!("RESTART value ({value}) cannot be less than MINVALUE ({})", self.min)));
        }
        if value > self.max {
            return Err(invalid(format!("RESTART value ({value}) cannot be greater than MAXVALUE ({})", self.max)));
        }
        self.last_value = value;
        self.is_called = false;
        Ok(())
    }

    /// Whether `address` holds privilege `bit`: the owner, or a grant to it
    /// or to PUBLIC. Admins are the caller's to add.
    pub fn has(&self, address: &str, bit: u8) -> bool {
        self.owner == address || crate::schema::granted(&self.acl, address, bit)
    }

    /// GRANT (or REVOKE) `bits` to (from) `grantee`.
    pub fn apply_grant(&mut self, grantee: &str, bits: u8, revoke: bool) {
        crate::schema::apply_grant(&mut self.acl, grantee, bits, revoke)
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::with_capacity(96);
        w.u8(1).str(&self.name).str(&self.owner).u64(self.created_height).u8(type_code(self.data_type));
        w.i64(self.start).i64(self.increment).i64(self.min).i64(self.max).i64(self.cache);
        w.u8(self.cycle as u8).i64(self.last_value).u8(self.is_called as u8);
        match &self.owned_by {
            None => w.u8(0),
            Some((table, column)) => w.u8(1).str(table).str(column),
        };
        w.u32(self.acl.len() as u32);
        for g in &self.acl {
            w.str(&g.grantee).u8(g.privileges);
        }
        crate::catalog::optional(&mut w, &self.comment);
        w.finish()
    }

    pub fn decode(b: &[u8]) -> Result<SequenceMeta, DecodeError> {
        let mut r = Reader::new(b);
        let version = r.u8()?;
        if version != 1 {
            return Err(DecodeError::Version { what: "sequence metadata", version });
        }
        let (name, owner, created_height) = (r.string()?, r.string()?, r.u64()?);
        let code = r.u8()?;
        let data_type = type_from_code(code).ok_or(DecodeError::UnknownTag { what: "sequence type", tag: code })?;
        let (start, increment, min, max, cache) = (r.i64()?, r.i64()?, r.i64()?, r.i64()?, r.i64()?);
        let cycle = flag(&mut r, "sequence cycle")?;
        let last_value = r.i64()?;
        let is_called = flag(&mut r, "sequence is_called")?;
        let owned_by = match r.u8()? {
            0 => None,
            1 => Some((r.string()?, r.string()?)),
            tag => return Err(DecodeError::UnknownTag { what: "sequence owner column", tag }),
        };
        let n = r.count("sequence grant", 65_536, 5)?;
        let acl = (0..n)
            .map(|_| Ok(SeqGrantMeta { grantee: r.string()?, privileges: r.u8()? }))
            .collect::<Result<_, DecodeError>>()?;
        let comment = crate::catalog::read_optional(&mut r)?;
        r.finish()?;
        Ok(SequenceMeta {
            name,
            owner,
            created_height,
            data_type,
            start,
            increment,
            min,
            max,
            cache,
            cycle,
            last_value,
            is_called,
            owned_by,
            acl,
            comment,
        })
    }

    /// The state-tree leaf label of this sequence.
    pub fn label(&self) -> Vec<u8> {
        label(&self.name)
    }
}

/// A 0 or 1 byte: one encoding per value.
fn flag(r: &mut Reader, what: &'static str) -> Result<bool, DecodeError> {
    match r.u8()? {
        0 => Ok(false),
        1 => Ok(true),
        tag => Err(DecodeError::UnknownTag { what, tag }),
    }
}

/// The leaf label of sequence `name` (its SQLite name).
pub fn label(name: &str) -> Vec<u8> {
    [b"q".as_slice(), name.as_bytes()].concat()
}

/// PostgreSQL's error for a sequence that is not there.
pub fn missing(name: &str) -> SqlError {
    SqlError::new("42P01", format!("relation \"{name}\" does not exist"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seq(options: SequenceOptions) -> Result<SequenceMeta, SqlError> {
        SequenceMeta::new("s".into(), "owner".into(), 3, &options, SeqType::Int8)
    }

    #[test]
    fn defaults_follow_the_direction_and_the_type() {
        let up = seq(SequenceOptions::default()).unwrap();
        assert_eq!((up.start, up.min, up.max, up.increment, up.cache, up.cycle), (1, 1, i64::MAX, 1, 1, false));
        let down =
            seq(SequenceOptions { increment: Some(-2), data_type: Some(SeqType::Int4), ..Default::default() }).unwrap();
        assert_eq!((down.start, down.min, down.max), (-1, i32::MIN as i64, -1));
    }

    #[test]
    fn create_checks_say_what_postgresql_says() {
        let err = |o: SequenceOptions| seq(o).unwrap_err();
        let e = err(SequenceOptions { increment: Some(0), ..Default::default() });
        assert_eq!((e.sqlstate, e.message.as_str()), ("22023", "INCREMENT must not be zero"));
        let e = err(SequenceOptions { min: Some(5), max: Some(5), ..Default::default() });
        assert_eq!(e.message, "MINVALUE (5) must be less than MAXVALUE (5)");
        let e = err(SequenceOptions { start: Some(0), ..Default::default() });
        assert_eq!(e.message, "START value (0) cannot be less than MINVALUE (1)");
        let e = err(SequenceOptions { data_type: Some(SeqType::Int2), max: Some(40_000), ..Default::default() });
        assert_eq!(e.message, "MAXVALUE (40000) is out of range for sequence data type smallint");
        let e = err(SequenceOptions { cache: Some(0), ..Default::default() });
        assert_eq!(e.message, "CACHE (0) must be greater than zero");
    }

    #[test]
    fn draws_stop_or_wrap_at_the_bounds() {
        let mut s =
            seq(SequenceOptions { start: Some(2), increment: Some(3), max: Some(8), ..Default::default() }).unwrap();
        assert_eq!([s.next_value().unwrap(), s.next_value().unwrap(), s.next_value().unwrap()], [2, 5, 8]);
        let e = s.next_value().unwrap_err();
        assert_eq!((e.sqlstate, e.message.as_str()), ("2200H", "nextval: reached maximum value of sequence \"s\" (8)"));
        s.cycle = true;
        assert_eq!(s.next_value().unwrap(), 1);
        // No overflow at the type's edge either.
        let mut big = seq(SequenceOptions { start: Some(i64::MAX), ..Default::default() }).unwrap();
        assert_eq!(big.next_value().unwrap(), i64::MAX);
        assert_eq!(big.next_value().unwrap_err().sqlstate, "2200H");
        let mut down =
            seq(SequenceOptions { increment: Some(-1), min: Some(-2), max: Some(0), ..Default::default() }).unwrap();
        assert_eq!([down.next_value().unwrap(), down.next_value().unwrap(), down.next_value().unwrap()], [0, -1, -2]);
        assert_eq!(down.next_value().unwrap_err().message, "nextval: reached minimum value of sequence \"s\" (-2)");
    }

    #[test]
    fn setval_and_restart_check_the_bounds() {
        let mut s = seq(SequenceOptions { max: Some(100), ..Default::default() }).unwrap();
        s.set_value(42, true).unwrap();
        assert_eq!(s.next_value().unwrap(), 43);
        s.set_value(42, false).unwrap();
        assert_eq!(s.next_value().unwrap(), 42);
        let e = s.set_value(0, true).unwrap_err();
        assert_eq!(
            (e.sqlstate, e.message.as_str()),
            ("22003", "setval: value 0 is out of bounds for sequence \"s\" (1..100)")
        );
        s.restart(Some(7)).unwrap();
        assert_eq!(s.next_value().unwrap(), 7);
        assert_eq!(
            s.restart(Some(101)).unwrap_err().message,
            "RESTART value (101) cannot be greater than MAXVALUE (100)"
        );
    }

    #[test]
    fn metadata_round_trips_and_truncation_is_an_error() {
        let mut meta = seq(SequenceOptions { cycle: Some(true), ..Default::default() }).unwrap();
        meta.owned_by = Some(("sales.t".into(), "id".into()));
        meta.apply_grant("", privilege::USAGE, false);
        meta.apply_grant("bob", privilege::SELECT | privilege::UPDATE, false);
        meta.comment = Some("Zähler".into());
        meta.next_value().unwrap();
        let bytes = meta.encode();
        assert_eq!(SequenceMeta::decode(&bytes).unwrap(), meta);
        for cut in 0..bytes.len() {
            assert!(SequenceMeta::decode(bytes.get(..cut).unwrap()).is_err(), "decoded {cut} of {} bytes", bytes.len());
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(SequenceMeta::decode(&longer).is_err());
    }
}
