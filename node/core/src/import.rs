//! Imports: a source database (a MySQL/MariaDB binlog, a PostgreSQL
//! logical replication slot) followed into the chain. Each source
//! transaction becomes one chain tx ([`ImportBatch`]) carrying the source's
//! position after it; the executor applies the tx's statements and records
//! the position in the same savepoint, so rows and position commit together.
//! The position is chain state: one leaf per source (label `i` + its name),
//! so `verify` covers it and every validator refuses the same stale batch.
//!
//! Consensus rule: a batch applies only when its position is past the
//! source's recorded one, compared by [`SourcePosition::order`]
//! (lexicographically). An importer that restarts, or races another,
//! therefore cannot apply a source transaction twice.

use crate::codec::{DecodeError, Reader, Writer};

/// The longest source name, position text and order a batch may carry.
pub const SOURCE_NAME_MAX: usize = 128;
pub const POSITION_TEXT_MAX: usize = 512;
pub const ORDER_MAX: u64 = 8;

/// Where a source stands after a transaction. `order` is what the executor
/// compares; `text` is the importer's own resumable form of it (a binlog
/// `file:pos`, an LSN), shown to people and read back on restart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourcePosition {
    pub order: Vec<u64>,
    pub text: String,
}

impl SourcePosition {
    pub fn encode(&self, w: &mut Writer) {
        w.u32(self.order.len() as u32);
        for n in &self.order {
            w.u64(*n);
        }
        w.str(&self.text);
    }

    pub fn decode(r: &mut Reader) -> Result<Self, DecodeError> {
        let n = r.count("position part", ORDER_MAX, 8)?;
        let order = (0..n).map(|_| r.u64()).collect::<Result<_, _>>()?;
        Ok(SourcePosition { order, text: r.string()? })
    }

    /// Whether this position is strictly past `recorded`.
    pub fn is_past(&self, recorded: &SourcePosition) -> bool {
        self.order > recorded.order
    }
}

/// What a batch must hold before a validator looks at its statements: a
/// name, a bounded position. 22023 otherwise (the same on every validator).
/// (Decoding bounds `follows` already.)
pub fn check_batch(source: &str, position: &SourcePosition) -> Result<(), crate::SqlError> {
    let invalid = |m: String| Err(crate::SqlError::new("22023", m));
    if source.is_empty() || source.len() > SOURCE_NAME_MAX {
        return invalid(format!("an import source name has 1 to {SOURCE_NAME_MAX} bytes"));
    }
    if position.order.is_empty() || position.order.len() as u64 > ORDER_MAX {
        return invalid(format!("an import position has 1 to {ORDER_MAX} parts"));
    }
    if position.text.len() > POSITION_TEXT_MAX {
        return invalid(format!("an import position's text has at most {POSITION_TEXT_MAX} bytes"));
    }
    Ok(())
}

/// A source's record on the chain: who imports it and where it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportMeta {
    pub source: String,
    /// The address of the account that imports it: only that account (or
    /// an admin) may move it on.
    pub account: String,
    pub position: SourcePosition,
    /// Batches applied so far.
    pub batches: u64,
    /// The height of the block that applied the last batch.
    pub height: u64,
}

impl ImportMeta {
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::with_capacity(96);
        w.u8(1).str(&self.source).str(&self.account);
        self.position.encode(&mut w);
        w.u64(self.batches).u64(self.height);
        w.finish()
    }

    pub fn decode(b: &[u8]) -> Result<ImportMeta, DecodeError> {
        let mut r = Reader::new(b);
        let version = r.u8()?;
        if version != 1 {
            return Err(DecodeError::Version { what: "import metadata", version });
        }
        let (source, account) = (r.string()?, r.string()?);
        let position = SourcePosition::decode(&mut r)?;
        let (batches, height) = (r.u64()?, r.u64()?);
        r.finish()?;
        Ok(ImportMeta { source, account, position, batches, height })
    }

    /// The state-tree leaf label of this source.
    pub fn label(&self) -> Vec<u8> {
        label(&self.source)
    }
}

/// The leaf label of import source `name`.
pub fn label(name: &str) -> Vec<u8> {
    [b"i".as_slice(), name.as_bytes()].concat()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn position(order: Vec<u64>) -> SourcePosition {
        SourcePosition { order, text: "f.000001:4".into() }
    }

    #[test]
    fn positions_compare_part_by_part() {
        assert!(position(vec![1, 2, 5]).is_past(&position(vec![1, 2, 4])));
        assert!(position(vec![1, 3, 0]).is_past(&position(vec![1, 2, 900])));
        assert!(position(vec![1, 0, 0]).is_past(&position(vec![0, 7, 7, 7])));
        assert!(!position(vec![1, 2, 4]).is_past(&position(vec![1, 2, 4])));
        assert!(!position(vec![1, 2]).is_past(&position(vec![1, 2, 0])));
    }

    #[test]
    fn a_batch_needs_a_name_and_a_bounded_position() {
        assert!(check_batch("src", &position(vec![1])).is_ok());
        assert_eq!(check_batch("", &position(vec![1])).unwrap_err().sqlstate, "22023");
        assert_eq!(check_batch(&"x".repeat(129), &position(vec![1])).unwrap_err().sqlstate, "22023");
        assert_eq!(check_batch("src", &position(vec![])).unwrap_err().sqlstate, "22023");
        assert_eq!(check_batch("src", &position(vec![0; 9])).unwrap_err().sqlstate, "22023");
    }

    proptest! {
        #[test]
        fn meta_round_trips(source in ".{1,20}", account in "[0-9a-f]{0,40}",
                            order in proptest::collection::vec(any::<u64>(), 1..8), text in ".{0,40}",
                            batches in any::<u64>(), height in any::<u64>()) {
            let meta = ImportMeta { source, account, position: SourcePosition { order, text }, batches, height };
            prop_assert_eq!(ImportMeta::decode(&meta.encode()).unwrap(), meta);
        }

        #[test]
        fn decoding_garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..120)) {
            let _ = ImportMeta::decode(&bytes);
        }
    }
}
