//! Blocks, headers, finality certificates and receipts, with their encodings.

use crate::codec::{DecodeError, Reader, Writer, PREALLOCATE_MAX};
use crate::crypto::{self, Hash, PublicKey, SecretKey, Suite, ZERO_HASH};
use crate::tx::SignedTx;
use crate::value::{decode_row, Value};

/// The first byte of a header: 1 for the `standard` suite, 2 for `sm` (the
/// proposer's key is then 33 bytes, and the header is hashed with SM3).
pub const BLOCK_VERSION: u8 = 1;
pub const BLOCK_VERSION_SM: u8 = 2;
const HEADER_DOMAIN: &[u8] = b"rowchain/header/v1";
const FINALIZE_DOMAIN: &[u8] = b"rowchain/finalize/v1";
pub const TXS_PER_BLOCK_LIMIT: u64 = 1_000_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub chain_id: String,
    pub height: u64,
    pub prev_hash: Hash,
    pub timestamp_ms: u64,
    pub proposer: PublicKey,
    pub tx_root: Hash,
    pub receipts_root: Hash,
    pub state_root: Hash,
}

impl Header {
    pub fn encode(&self, w: &mut Writer) {
        let version = match self.suite() {
            Suite::Standard => BLOCK_VERSION,
            Suite::Sm => BLOCK_VERSION_SM,
        };
        w.u8(version)
            .str(&self.chain_id)
            .u64(self.height)
            .fixed(&self.prev_hash)
            .u64(self.timestamp_ms)
            .fixed(self.proposer.as_bytes())
            .fixed(&self.tx_root)
            .fixed(&self.receipts_root)
            .fixed(&self.state_root);
    }

    pub fn decode(r: &mut Reader) -> Result<Self, DecodeError> {
        let suite = match r.u8()? {
            BLOCK_VERSION => Suite::Standard,
            BLOCK_VERSION_SM => Suite::Sm,
            version => return Err(DecodeError::Version { what: "block", version }),
        };
        Ok(Header {
            chain_id: r.string()?,
            height: r.u64()?,
            prev_hash: r.fixed()?,
            timestamp_ms: r.u64()?,
            proposer: suite.read_public_key(r)?,
            tx_root: r.fixed()?,
            receipts_root: r.fixed()?,
            state_root: r.fixed()?,
        })
    }

    pub fn hash(&self) -> Hash {
        let mut w = Writer::with_capacity(256);
        self.encode(&mut w);
        self.suite().hash_parts(&[HEADER_DOMAIN, &w.finish()])
    }

    /// The chain's suite, as the proposer's key says it (the chain checks
    /// that it is genesis's).
    pub fn suite(&self) -> Suite {
        self.proposer.suite()
    }
}

/// What makes a block final.
///
/// - A single validator (`rowchain dev`) signs the block hash itself:
///   `signatures` holds that one signature.
/// - A BFT network's engine certifies it: `finalization` holds the
///   engine's finalization certificate (see the `node-bft` crate), over the block
///   hash, signed by a quorum of the genesis validators.
/// - Both empty: the block was finalized together with a later block, whose
///   finalization covers it through the chain of `prev_hash` links (the
///   engine finalizes a block's ancestors with it). Genesis of a network is
///   also empty: genesis.json defines it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Certificate {
    pub signatures: Vec<(PublicKey, [u8; 64])>,
    pub finalization: Vec<u8>,
}

/// Set in the encoded signature count when a finalization follows the
/// signatures; blocks without one encode as they always did.
const HAS_FINALIZATION: u32 = 1 << 31;
const FINALIZATION_BYTES_MAX: usize = 1 << 20;
const SIGNATURES_MAX: u64 = 1024;

impl Certificate {
    pub fn message(block_hash: &Hash) -> Vec<u8> {
        [FINALIZE_DOMAIN, block_hash.as_slice()].concat()
    }
    pub fn sign(block_hash: &Hash, key: &SecretKey) -> Self {
        Certificate { signatures: vec![(key.public(), key.sign(&Self::message(block_hash)))], finalization: Vec::new() }
    }
    pub fn is_empty(&self) -> bool {
        self.signatures.is_empty() && self.finalization.is_empty()
    }
    /// True when at least `quorum` distinct validators of `validators` signed `block_hash`.
    pub fn verify(&self, block_hash: &Hash, validators: &[PublicKey], quorum: usize) -> bool {
        let msg = Self::message(block_hash);
        let mut seen: Vec<PublicKey> = Vec::new();
        for (k, s) in &self.signatures {
            if validators.contains(k) && !seen.contains(k) && crypto::verify(k, &msg, s) {
                seen.push(*k);
            }
        }
        seen.len() >= quorum
    }
    fn encode(&self, w: &mut Writer) {
        let flag = if self.finalization.is_empty() { 0 } else { HAS_FINALIZATION };
        w.u32(self.signatures.len() as u32 | flag);
        for (k, s) in &self.signatures {
            w.fixed(k.as_bytes()).fixed(s);
        }
        if !self.finalization.is_empty() {
            w.bytes(&self.finalization);
        }
    }
    /// Decodes a certificate whose keys are of `suite` (the header's).
    fn decode(r: &mut Reader, suite: Suite) -> Result<Self, DecodeError> {
        let raw = r.u32()?;
        let n = u64::from(raw & !HAS_FINALIZATION);
        // A signature is a key and 64 bytes.
        let max = SIGNATURES_MAX.min(r.left() as u64 / (suite.public_key_len() as u64 + 64));
        if n > max {
            return Err(DecodeError::TooMany { what: "signature", count: n, max });
        }
        let mut signatures = Vec::with_capacity(n as usize);
        for _ in 0..n {
            signatures.push((suite.read_public_key(r)?, r.fixed()?));
        }
        let mut finalization = Vec::new();
        if raw & HAS_FINALIZATION != 0 {
            let b = r.bytes()?;
            if b.is_empty() || b.len() > FINALIZATION_BYTES_MAX {
                return Err(DecodeError::TooMany {
                    what: "finalization byte",
                    count: b.len() as u64,
                    max: FINALIZATION_BYTES_MAX as u64,
                });
            }
            finalization = b.to_vec();
        }
        Ok(Certificate { signatures, finalization })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    pub header: Header,
    pub txs: Vec<SignedTx>,
    pub certificate: Certificate,
}

impl Block {
    pub fn hash(&self) -> Hash {
        self.header.hash()
    }
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::with_capacity(512 + self.txs.len() * 256);
        self.header.encode(&mut w);
        w.u32(self.txs.len() as u32);
        for t in &self.txs {
            t.encode(&mut w);
        }
        self.certificate.encode(&mut w);
        w.finish()
    }
    pub fn from_bytes(b: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(b);
        let header = Header::decode(&mut r)?;
        let n = r.count("tx", TXS_PER_BLOCK_LIMIT, 64)?;
        let mut txs = Vec::with_capacity(n.min(PREALLOCATE_MAX));
        for _ in 0..n {
            txs.push(SignedTx::decode(&mut r)?);
        }
        let certificate = Certificate::decode(&mut r, header.suite())?;
        r.finish()?;
        Ok(Block { header, txs, certificate })
    }
}

/// Merkle root of a list of hashes (RFC 6962 shape: leaves and nodes domain
/// separated, an unbalanced list split at the largest power of two).
pub fn merkle_root(suite: Suite, leaves: &[Hash]) -> Hash {
    match leaves {
        [] => ZERO_HASH,
        [leaf] => suite.hash_parts(&[&[0u8], leaf]),
        _ => {
            // For two or more leaves, 1 <= k < len.
            let (l, r) = leaves.split_at(leaves.len().next_power_of_two() / 2);
            suite.hash_parts(&[&[1u8], &merkle_root(suite, l), &merkle_root(suite, r)])
        }
    }
}

/// The rows a statement returned (RETURNING), with column names.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RowSet {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct StatementResult {
    pub rows_affected: u64,
    pub returning: Option<RowSet>,
    /// MySQL's insert id: the first AUTO_INCREMENT value the statement
    /// inserted; 0 for none (always 0 in PostgreSQL-dialect txs).
    pub last_insert_id: u64,
    /// The rows a MySQL statement matched where that differs from
    /// `rows_affected` (an UPDATE that left rows as they were, an upsert):
    /// what clients with CLIENT_FOUND_ROWS are told. `None` otherwise, and
    /// never `Some(rows_affected)` (one encoding per receipt).
    pub rows_matched: Option<u64>,
}

impl StatementResult {
    /// Whether the result needs the version 2 receipt encoding.
    fn is_mysql(&self) -> bool {
        self.last_insert_id != 0 || self.rows_matched.is_some()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxFailure {
    pub statement_index: u32,
    pub sqlstate: String,
    pub message: String,
}

/// The receipt encoding of chains that predate insert ids.
const RECEIPT_VERSION_1: u8 = 1;
/// Each result carries `last_insert_id` and the rows it matched after
/// `rows_affected`; used only when some result has an insert id or matched
/// other rows than it affected (MySQL's counts).
const RECEIPT_VERSION_INSERT_IDS: u8 = 2;

/// The outcome of one tx in a block: per-statement results, or the failure
/// that rolled the whole tx back.
#[derive(Debug, Clone, PartialEq)]
pub struct Receipt {
    pub tx_hash: Hash,
    pub results: Vec<StatementResult>,
    pub failure: Option<TxFailure>,
}

impl Receipt {
    pub fn rows_affected(&self) -> u64 {
        self.results.iter().map(|r| r.rows_affected).sum()
    }
    pub fn is_success(&self) -> bool {
        self.failure.is_none()
    }
    /// Version 1 unless a result carries an insert id or a matched count:
    /// receipts that chains already hold (none has one) keep their exact
    /// bytes, so their hashes and every receipts root stay as they were.
    /// Consensus rule.
    fn version(&self) -> u8 {
        if self.results.iter().any(StatementResult::is_mysql) {
            RECEIPT_VERSION_INSERT_IDS
        } else {
            RECEIPT_VERSION_1
        }
    }

    pub fn encode(&self, w: &mut Writer) {
        let version = self.version();
        w.u8(version).fixed(&self.tx_hash).u32(self.results.len() as u32);
        for r in &self.results {
            w.u64(r.rows_affected);
            if version == RECEIPT_VERSION_INSERT_IDS {
                w.u64(r.last_insert_id).u64(r.rows_matched.unwrap_or(r.rows_affected));
            }
            match &r.returning {
                None => {
                    w.u8(0);
                }
                Some(rs) => {
                    w.u8(1).u32(rs.columns.len() as u32);
                    for c in &rs.columns {
                        w.str(c);
                    }
                    w.u32(rs.rows.len() as u32);
                    for row in &rs.rows {
                        w.fixed(&crate::value::encode_row(row));
                    }
                }
            }
        }
        match &self.failure {
            None => {
                w.u8(0);
            }
            Some(f) => {
                w.u8(1).u32(f.statement_index).str(&f.sqlstate).str(&f.message);
            }
        }
    }
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::with_capacity(64);
        self.encode(&mut w);
        w.finish()
    }
    pub fn decode(r: &mut Reader) -> Result<Self, DecodeError> {
        let version = r.u8()?;
        if version != RECEIPT_VERSION_1 && version != RECEIPT_VERSION_INSERT_IDS {
            return Err(DecodeError::Version { what: "receipt", version });
        }
        let with_ids = version == RECEIPT_VERSION_INSERT_IDS;
        let tx_hash = r.fixed()?;
        let result_size_min = if with_ids { 25 } else { 9 };
        let n = r.count("result", crate::tx::STATEMENTS_MAX, result_size_min)?;
        let mut results = Vec::with_capacity(n.min(PREALLOCATE_MAX));
        for _ in 0..n {
            let rows_affected = r.u64()?;
            let (last_insert_id, matched) = if with_ids { (r.u64()?, r.u64()?) } else { (0, rows_affected) };
            let rows_matched = (matched != rows_affected).then_some(matched);
            let returning = match r.u8()? {
                0 => None,
                1 => {
                    let nc = r.count("column", 32_768, 4)?;
                    let columns = (0..nc).map(|_| r.string()).collect::<Result<_, _>>()?;
                    let nr = r.count("row", u32::MAX as u64, 4)?;
                    let rows = (0..nr).map(|_| decode_row(r)).collect::<Result<_, _>>()?;
                    Some(RowSet { columns, rows })
                }
                tag => return Err(DecodeError::UnknownTag { what: "returning", tag }),
            };
            results.push(StatementResult { rows_affected, returning, last_insert_id, rows_matched });
        }
        let failure = match r.u8()? {
            0 => None,
            1 => Some(TxFailure { statement_index: r.u32()?, sqlstate: r.string()?, message: r.string()? }),
            tag => return Err(DecodeError::UnknownTag { what: "failure", tag }),
        };
        // A version 2 receipt without an insert id or a matched count would
        // be a second encoding of a version 1 receipt: refused, so each has one.
        if with_ids && !results.iter().any(StatementResult::is_mysql) {
            return Err(DecodeError::Version { what: "receipt without insert ids", version });
        }
        Ok(Receipt { tx_hash, results, failure })
    }
    pub fn hash(&self, suite: Suite) -> Hash {
        suite.hash(&self.to_bytes())
    }
}

pub fn encode_receipts(receipts: &[Receipt]) -> Vec<u8> {
    let mut w = Writer::with_capacity(64 * receipts.len());
    w.u32(receipts.len() as u32);
    for r in receipts {
        r.encode(&mut w);
    }
    w.finish()
}

pub fn decode_receipts(b: &[u8]) -> Result<Vec<Receipt>, DecodeError> {
    let mut r = Reader::new(b);
    let n = r.count("receipt", TXS_PER_BLOCK_LIMIT, 38)?;
    let v = (0..n).map(|_| Receipt::decode(&mut r)).collect::<Result<_, _>>()?;
    r.finish()?;
    Ok(v)
}

pub fn receipts_root(suite: Suite, receipts: &[Receipt]) -> Hash {
    merkle_root(suite, &receipts.iter().map(|r| r.hash(suite)).collect::<Vec<_>>())
}

pub fn tx_root(suite: Suite, txs: &[SignedTx]) -> Hash {
    merkle_root(suite, &txs.iter().map(SignedTx::hash).collect::<Vec<_>>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merkle_root_depends_on_order_and_content() {
        let a = Suite::Standard.hash(b"a");
        let b = Suite::Standard.hash(b"b");
        let c = Suite::Standard.hash(b"c");
        assert_ne!(merkle_root(Suite::Standard, &[a, b, c]), merkle_root(Suite::Standard, &[b, a, c]));
        assert_ne!(merkle_root(Suite::Standard, &[a, b]), merkle_root(Suite::Standard, &[a, b, c]));
        // A single leaf is not its own root (second-preimage resistance).
        assert_ne!(merkle_root(Suite::Standard, &[a]), a);
    }

    #[test]
    fn a_forged_signature_count_is_refused_before_allocating() {
        let key = Suite::Standard.secret_key(&[5; 32]).unwrap();
        let header = Header {
            chain_id: "c".into(),
            height: 1,
            prev_hash: [0; 32],
            timestamp_ms: 1,
            proposer: key.public(),
            tx_root: ZERO_HASH,
            receipts_root: ZERO_HASH,
            state_root: ZERO_HASH,
        };
        let block = Block { header, txs: Vec::new(), certificate: Certificate::sign(&[1; 32], &key) };
        let mut bytes = block.to_bytes();
        let at = bytes.len() - 100;
        assert_eq!(bytes[at..at + 4], [0, 0, 0, 1]);
        assert_eq!(Block::from_bytes(&bytes), Ok(block));
        bytes.splice(at..at + 4, 1000u32.to_be_bytes());
        assert_eq!(Block::from_bytes(&bytes), Err(DecodeError::TooMany { what: "signature", count: 1000, max: 1 }));
        bytes.splice(at..at + 4, (2u32 | HAS_FINALIZATION).to_be_bytes());
        assert_eq!(Block::from_bytes(&bytes), Err(DecodeError::TooMany { what: "signature", count: 2, max: 1 }));
        bytes.splice(at..at + 4, 0xffff_ffffu32.to_be_bytes());
        assert_eq!(
            Block::from_bytes(&bytes),
            Err(DecodeError::TooMany { what: "signature", count: 0x7fff_ffff, max: 1 })
        );
    }

    /// An sm block: version 2 header with a 33-byte proposer, SM3 hash and
    /// roots, an SM2 certificate; the same header content under the other
    /// suite is another block.
    #[test]
    fn an_sm_block_round_trips_and_hashes_with_sm3() {
        let key = Suite::Sm.secret_key(&[5; 32]).unwrap();
        let tx = crate::tx::TxBody {
            chain_id: "c".into(),
            account: key.public(),
            id: [1; 16],
            expires_at_ms: 9,
            dialect: crate::tx::Dialect::Postgres,
            payload: crate::tx::Payload::Sql(vec![]),
        }
        .sign(&key);
        let header = Header {
            chain_id: "c".into(),
            height: 1,
            prev_hash: [0; 32],
            timestamp_ms: 1,
            proposer: key.public(),
            tx_root: tx_root(Suite::Sm, std::slice::from_ref(&tx)),
            receipts_root: ZERO_HASH,
            state_root: ZERO_HASH,
        };
        assert_eq!(header.suite(), Suite::Sm);
        let hash = header.hash();
        let block = Block { header: header.clone(), txs: vec![tx], certificate: Certificate::sign(&hash, &key) };
        let bytes = block.to_bytes();
        assert_eq!(bytes[0], BLOCK_VERSION_SM);
        let back = Block::from_bytes(&bytes).unwrap();
        assert_eq!(back, block);
        assert!(back.certificate.verify(&hash, &[key.public()], 1));
        let mut w = Writer::new();
        header.encode(&mut w);
        assert_eq!(hash, Suite::Sm.hash_parts(&[HEADER_DOMAIN, &w.finish()]));
        assert_ne!(tx_root(Suite::Sm, &back.txs), tx_root(Suite::Standard, &back.txs));
        // The version byte says the key length: flipped, nothing decodes as a block.
        let mut flipped = bytes;
        flipped[0] = BLOCK_VERSION;
        assert!(Block::from_bytes(&flipped).is_err());
    }

    #[test]
    fn a_forged_tx_or_receipt_count_is_refused() {
        // Receipts: count 3 with room for none.
        assert_eq!(decode_receipts(&[0, 0, 0, 3, 1]), Err(DecodeError::TooMany { what: "receipt", count: 3, max: 0 }));
        assert_eq!(
            decode_receipts(&[0xff, 0xff, 0xff, 0xff]),
            Err(DecodeError::TooMany { what: "receipt", count: 0xffff_ffff, max: 0 })
        );
        assert_eq!(decode_receipts(&[0, 0, 0, 0]), Ok(Vec::new()));
    }

    #[test]
    fn receipt_round_trips() {
        let r = Receipt {
            tx_hash: [3; 32],
            results: vec![StatementResult {
                rows_affected: 2,
                returning: Some(RowSet {
                    columns: vec!["id".into()],
                    rows: vec![vec![Value::Integer(1)], vec![Value::Null]],
                }),
                ..Default::default()
            }],
            failure: Some(TxFailure { statement_index: 0, sqlstate: "23505".into(), message: "dup".into() }),
        };
        let b = encode_receipts(std::slice::from_ref(&r));
        assert_eq!(decode_receipts(&b).unwrap(), vec![r]);
    }

    fn two_results(last_insert_ids: [u64; 2]) -> Receipt {
        Receipt {
            tx_hash: [3; 32],
            results: vec![
                StatementResult {
                    rows_affected: 2,
                    returning: Some(RowSet {
                        columns: vec!["id".into()],
                        rows: vec![vec![Value::Integer(1)], vec![Value::Null]],
                    }),
                    last_insert_id: last_insert_ids[0],
                    rows_matched: None,
                },
                StatementResult {
                    rows_affected: 7,
                    returning: None,
                    last_insert_id: last_insert_ids[1],
                    rows_matched: None,
                },
            ],
            failure: Some(TxFailure { statement_index: 1, sqlstate: "23505".into(), message: "dup".into() }),
        }
    }

    fn hex(b: &[u8]) -> String {
        b.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn a_receipt_without_insert_ids_encodes_as_before_they_existed() {
        // Bytes and hash produced by the encoder before `last_insert_id`
        // existed: receipts already on chains must keep them.
        let r = two_results([0, 0]);
        assert_eq!(
            hex(&r.to_bytes()),
            "01030303030303030303030303030303030303030303030303030303030303030300000002000000\
             00000000020100000001000000026964000000020000000101000000000000000100000001000000\
             00000000000700010000000100000005323335303500000003647570"
        );
        assert_eq!(hex(&r.hash(Suite::Standard)), "9c69ef148a4c54b629d5b643afe5b5cb73479e8ddf9a17427c9d3b62f93c2dfd");
    }

    #[test]
    fn a_receipt_with_an_insert_id_is_version_2_and_round_trips() {
        let r = two_results([0, 41]);
        let bytes = r.to_bytes();
        assert_eq!(bytes[0], 2);
        // rows_affected, last_insert_id, then the rows matched, for each result.
        assert_eq!(bytes[37..61], [0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
        assert_ne!(r.hash(Suite::Standard), two_results([0, 0]).hash(Suite::Standard));
        let b = encode_receipts(std::slice::from_ref(&r));
        assert_eq!(decode_receipts(&b).unwrap(), vec![r.clone()]);
        // A matched count other than the affected rows alone makes version 2.
        let mut matched = two_results([0, 0]);
        matched.results[1].rows_matched = Some(9);
        assert_eq!(matched.to_bytes()[0], 2);
        assert_eq!(decode_receipts(&encode_receipts(std::slice::from_ref(&matched))).unwrap(), vec![matched]);
        let v1 = encode_receipts(&[two_results([0, 0])]);
        assert_eq!(decode_receipts(&v1).unwrap(), vec![two_results([0, 0])]);
        // Every truncation is an error, never a panic.
        for len in 0..b.len() {
            assert!(decode_receipts(&b[..len]).is_err(), "{len} bytes decoded");
        }
    }

    #[test]
    fn a_version_2_receipt_must_carry_an_insert_id() {
        // The same receipt as version 2 with zero ids: a second encoding of a
        // version 1 receipt, so refused.
        let mut bytes = two_results([0, 5]).to_bytes();
        let at = bytes.len() - 22 - 16;
        assert_eq!(bytes[at..at + 8], 5u64.to_be_bytes());
        bytes[at..at + 8].copy_from_slice(&0u64.to_be_bytes());
        assert!(Receipt::decode(&mut Reader::new(&bytes)).is_err());
        // An unknown version is refused.
        let mut bytes = two_results([0, 5]).to_bytes();
        bytes[0] = 3;
        assert_eq!(
            Receipt::decode(&mut Reader::new(&bytes)),
            Err(DecodeError::Version { what: "receipt", version: 3 })
        );
    }

    #[test]
    fn a_forged_result_count_in_version_2_is_refused_before_allocating() {
        let mut bytes = two_results([1, 2]).to_bytes();
        bytes[33..37].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(matches!(Receipt::decode(&mut Reader::new(&bytes)), Err(DecodeError::TooMany { what: "result", .. })));
    }
}
