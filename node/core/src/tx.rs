//! Transactions: what a client signs, and how it is encoded and identified.
//!
//! A tx carries a random 16-byte id and an expiry time instead of a sequential
//! per-account nonce, so many sessions of one role can write at once. The tx
//! hash (over the unsigned body) is the replay key: executed hashes are
//! remembered until they expire, and a tx is never applied in a block whose
//! time is at or past its expiry.

use crate::codec::{DecodeError, Reader, Writer, PREALLOCATE_MAX};
use crate::crypto::{self, Hash, PublicKey, SecretKey, Suite};
use crate::import::SourcePosition;
use crate::value::Value;

/// The SQL dialect a tx's statements are written in: every validator plans
/// them with it, so it is part of the signed body.
pub use sqlmap::Dialect;

/// The first byte of a tx: 1 for the `standard` suite, 2 for `sm`. The
/// version says how long the keys in it are and which hash names it, so a
/// `standard` tx encodes (and hashes) exactly as before suites existed.
pub const TX_VERSION: u8 = 1;
pub const TX_VERSION_SM: u8 = 2;
const TX_DOMAIN: &[u8] = b"rowchain/tx/v1";

fn tx_version(suite: Suite) -> u8 {
    match suite {
        Suite::Standard => TX_VERSION,
        Suite::Sm => TX_VERSION_SM,
    }
}
/// Upper bound on statements in one tx and parameters in one statement,
/// checked while decoding.
pub const STATEMENTS_MAX: u64 = 100_000;
pub const PARAMS_MAX: u64 = 65_535;

#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub sql: String,
    pub params: Vec<Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Payload {
    /// SQL statements executed in order, atomically.
    Sql(Vec<Statement>),
    /// A client's `BEGIN ... COMMIT` block: every statement it ran, reads,
    /// savepoint commands and failed statements included, in order, plus the
    /// digest of every result the client observed. The executor re-runs the
    /// steps at the tx's position; any difference fails the tx with 40001.
    Interactive { steps: Vec<Statement>, observed: Hash },
    /// `CREATE ROLE`, `ALTER ROLE ... PASSWORD`, `DROP ROLE`.
    Role(RoleOp),
    /// One transaction of a followed source database (`rowchain import`):
    /// its statements, applied atomically with the source's new position.
    Import(ImportBatch),
}

/// A source transaction as a chain tx: see [`crate::import`].
#[derive(Debug, Clone, PartialEq)]
pub struct ImportBatch {
    pub source: String,
    /// The source's position after this transaction.
    pub position: SourcePosition,
    /// The order of the position this batch must directly follow, when the
    /// importer sends several before the first is in a block: then a batch
    /// that failed makes every later one fail too, instead of leaving a gap.
    pub follows: Option<Vec<u64>>,
    pub statements: Vec<Statement>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum RoleOp {
    /// A new account with its own key pair (its secret stays in the creating
    /// node's keystore).
    Create {
        name: String,
        public_key: PublicKey,
        create_role: bool,
    },
    /// The role's password changed: the key was re-encrypted in the keystore.
    /// Nothing secret is on chain; the tx makes the change auditable.
    SetPassword {
        name: String,
    },
    Drop {
        name: String,
    },
}

fn encode_statements(w: &mut Writer, stmts: &[Statement]) {
    w.u32(stmts.len() as u32);
    for s in stmts {
        w.str(&s.sql).u32(s.params.len() as u32);
        for p in &s.params {
            p.encode(w);
        }
    }
}

fn decode_statements(r: &mut Reader) -> Result<Vec<Statement>, DecodeError> {
    let n = r.count("statement", STATEMENTS_MAX, 8)?;
    let mut stmts = Vec::with_capacity(n.min(PREALLOCATE_MAX));
    for _ in 0..n {
        let sql = r.string()?;
        let np = r.count("parameter", PARAMS_MAX, 1)?;
        let params = (0..np).map(|_| Value::decode(r)).collect::<Result<_, _>>()?;
        stmts.push(Statement { sql, params });
    }
    Ok(stmts)
}

#[derive(Debug, Clone, PartialEq)]
pub struct TxBody {
    pub chain_id: String,
    pub account: PublicKey,
    pub id: [u8; 16],
    pub expires_at_ms: u64,
    /// The dialect of the payload's SQL (PostgreSQL's unless the tx came
    /// through the MySQL front end). A role payload holds no SQL: it is
    /// always encoded, and decodes, as [`Dialect::Postgres`].
    pub dialect: Dialect,
    pub payload: Payload,
}

/// Payload tags. SQL in MySQL's dialect has tags of its own, so a
/// PostgreSQL tx encodes (and hashes) exactly as before dialects existed.
mod tag {
    pub const SQL: u8 = 1;
    pub const INTERACTIVE: u8 = 2;
    pub const ROLE: u8 = 3;
    pub const SQL_MYSQL: u8 = 4;
    pub const INTERACTIVE_MYSQL: u8 = 5;
    pub const IMPORT: u8 = 6;
    pub const IMPORT_MYSQL: u8 = 7;
}

impl TxBody {
    pub fn encode(&self, w: &mut Writer) {
        // A role's new key is written at its own length; a key of another
        // suite than the account's fails to decode, and the executor
        // refuses it before that (`Suite` mismatch, 22023).
        w.u8(tx_version(self.account.suite()))
            .str(&self.chain_id)
            .fixed(self.account.as_bytes())
            .fixed(&self.id)
            .u64(self.expires_at_ms);
        let mysql = self.dialect == Dialect::MySql;
        match &self.payload {
            Payload::Sql(stmts) => {
                w.u8(if mysql { tag::SQL_MYSQL } else { tag::SQL });
                encode_statements(w, stmts);
            }
            Payload::Interactive { steps, observed } => {
                w.u8(if mysql { tag::INTERACTIVE_MYSQL } else { tag::INTERACTIVE });
                encode_statements(w, steps);
                w.fixed(observed);
            }
            Payload::Role(op) => {
                w.u8(tag::ROLE);
                match op {
                    // Tag 4 is a role with CREATEROLE; tag 1 keeps its encoding.
                    RoleOp::Create { name, public_key, create_role } => {
                        w.u8(if *create_role { 4 } else { 1 }).str(name).fixed(public_key.as_bytes())
                    }
                    RoleOp::SetPassword { name } => w.u8(2).str(name),
                    RoleOp::Drop { name } => w.u8(3).str(name),
                };
            }
            Payload::Import(batch) => {
                w.u8(if mysql { tag::IMPORT_MYSQL } else { tag::IMPORT }).str(&batch.source);
                batch.position.encode(w);
                match &batch.follows {
                    None => {
                        w.u8(0);
                    }
                    Some(order) => {
                        w.u8(1).u32(order.len() as u32);
                        for n in order {
                            w.u64(*n);
                        }
                    }
                }
                encode_statements(w, &batch.statements);
            }
        }
    }

    fn decode(r: &mut Reader) -> Result<Self, DecodeError> {
        let suite = match r.u8()? {
            TX_VERSION => Suite::Standard,
            TX_VERSION_SM => Suite::Sm,
            version => return Err(DecodeError::Version { what: "tx", version }),
        };
        let chain_id = r.string()?;
        let account = suite.read_public_key(r)?;
        let id = r.fixed()?;
        let expires_at_ms = r.u64()?;
        let payload_tag = r.u8()?;
        let dialect = match payload_tag {
            tag::SQL_MYSQL | tag::INTERACTIVE_MYSQL | tag::IMPORT_MYSQL => Dialect::MySql,
            _ => Dialect::Postgres,
        };
        let payload = match payload_tag {
            tag::SQL | tag::SQL_MYSQL => Payload::Sql(decode_statements(r)?),
            tag::INTERACTIVE | tag::INTERACTIVE_MYSQL => {
                let steps = decode_statements(r)?;
                Payload::Interactive { steps, observed: r.fixed()? }
            }
            tag::ROLE => Payload::Role(match r.u8()? {
                tag @ (1 | 4) => {
                    RoleOp::Create { name: r.string()?, public_key: suite.read_public_key(r)?, create_role: tag == 4 }
                }
                2 => RoleOp::SetPassword { name: r.string()? },
                3 => RoleOp::Drop { name: r.string()? },
                tag => return Err(DecodeError::UnknownTag { what: "role operation", tag }),
            }),
            tag::IMPORT | tag::IMPORT_MYSQL => Payload::Import(ImportBatch {
                source: r.string()?,
                position: SourcePosition::decode(r)?,
                follows: match r.u8()? {
                    0 => None,
                    1 => {
                        let n = r.count("position part", crate::import::ORDER_MAX, 8)?;
                        Some((0..n).map(|_| r.u64()).collect::<Result<_, _>>()?)
                    }
                    tag => return Err(DecodeError::UnknownTag { what: "import follows", tag }),
                },
                statements: decode_statements(r)?,
            }),
            tag => return Err(DecodeError::UnknownTag { what: "payload", tag }),
        };
        Ok(TxBody { chain_id, account, id, expires_at_ms, dialect, payload })
    }

    pub fn hash(&self) -> Hash {
        let mut w = Writer::with_capacity(256);
        self.encode(&mut w);
        self.account.suite().hash_parts(&[TX_DOMAIN, &w.finish()])
    }

    pub fn sign(self, key: &SecretKey) -> SignedTx {
        assert_eq!(key.public(), self.account, "signing with a key that is not the tx's account");
        let hash = self.hash();
        let signature = key.sign(&hash);
        SignedTx { body: self, signature, hash }
    }

    /// The SQL text of the tx, statements joined with "; ", for display.
    pub fn statement_text(&self) -> String {
        let join = |stmts: &[Statement]| stmts.iter().map(|s| s.sql.trim()).collect::<Vec<_>>().join("; ");
        match &self.payload {
            Payload::Sql(stmts) => join(stmts),
            Payload::Interactive { steps, .. } => format!("BEGIN; {}; COMMIT", join(steps)),
            Payload::Role(RoleOp::Create { name, create_role: false, .. }) => format!("CREATE ROLE {name}"),
            Payload::Role(RoleOp::Create { name, create_role: true, .. }) => format!("CREATE ROLE {name} CREATEROLE"),
            Payload::Role(RoleOp::SetPassword { name }) => format!("ALTER ROLE {name} PASSWORD"),
            Payload::Role(RoleOp::Drop { name }) => format!("DROP ROLE {name}"),
            Payload::Import(b) => format!("IMPORT {} AT {}; {}", b.source, b.position.text, join(&b.statements)),
        }
    }
}

/// A tx with its signature. The hash is computed once, when the tx is built or decoded.
#[derive(Debug, Clone, PartialEq)]
pub struct SignedTx {
    pub body: TxBody,
    pub signature: [u8; 64],
    hash: Hash,
}

impl SignedTx {
    pub fn hash(&self) -> Hash {
        self.hash
    }

    pub fn encode(&self, w: &mut Writer) {
        self.body.encode(w);
        w.fixed(&self.signature);
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::with_capacity(256);
        self.encode(&mut w);
        w.finish()
    }

    pub fn decode(r: &mut Reader) -> Result<Self, DecodeError> {
        let body = TxBody::decode(r)?;
        let signature = r.fixed()?;
        let hash = body.hash();
        Ok(SignedTx { body, signature, hash })
    }

    pub fn from_bytes(b: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(b);
        let tx = Self::decode(&mut r)?;
        r.finish()?;
        Ok(tx)
    }

    /// Consensus rule: the tx's signature is valid by [`crypto::verify`]'s
    /// rule for its account's suite.
    pub fn verify_signature(&self) -> bool {
        crypto::verify(&self.body.account, &self.hash, &self.signature)
    }
}

/// Consensus rule: checks the signatures of many txs in one batch, one bool
/// per tx, each the same as [`SignedTx::verify_signature`] says of it.
pub fn verify_signatures(txs: &[SignedTx]) -> Vec<bool> {
    let items: Vec<(PublicKey, &[u8], [u8; 64])> =
        txs.iter().map(|t| (t.body.account, t.hash.as_slice(), t.signature)).collect();
    crypto::verify_batch(&items)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn value() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<i64>().prop_map(Value::Integer),
            any::<f64>().prop_map(Value::Real),
            ".*".prop_map(Value::Text),
            proptest::collection::vec(any::<u8>(), 0..40).prop_map(Value::Blob),
        ]
    }

    proptest! {
        #[test]
        fn tx_round_trips(sql in ".{0,80}", params in proptest::collection::vec(value(), 0..6),
                          id in any::<[u8; 16]>(), exp in any::<u64>(), chain in "[a-z0-9-]{0,20}",
                          mysql in any::<bool>(), suite in proptest::sample::select(Suite::ALL.to_vec())) {
            let key = suite.secret_key(&[7; 32]).unwrap();
            let dialect = if mysql { Dialect::MySql } else { Dialect::Postgres };
            let tx = TxBody { chain_id: chain, account: key.public(), id, expires_at_ms: exp, dialect,
                              payload: Payload::Sql(vec![Statement { sql, params }]) }.sign(&key);
            let bytes = tx.to_bytes();
            let back = SignedTx::from_bytes(&bytes).unwrap();
            // NaN != NaN, so compare encodings rather than values.
            prop_assert_eq!(back.to_bytes(), bytes);
            prop_assert_eq!(back.hash(), tx.hash());
            prop_assert!(back.verify_signature());
            prop_assert_eq!(back.body.dialect, tx.body.dialect);
        }

        #[test]
        fn decoding_garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = SignedTx::from_bytes(&bytes);
        }
    }

    /// An sm tx is version 2, names an SM2 account and is hashed with SM3;
    /// a role key of the other suite cannot be read back from it.
    #[test]
    fn an_sm_tx_says_its_suite_and_keeps_to_it() {
        let body = |key: &SecretKey, payload| TxBody {
            chain_id: "c".into(),
            account: key.public(),
            id: [3; 16],
            expires_at_ms: 5,
            dialect: Dialect::Postgres,
            payload,
        };
        let sm = Suite::Sm.secret_key(&[4; 32]).unwrap();
        let drop = || Payload::Role(RoleOp::Drop { name: "r".into() });
        let tx = body(&sm, drop()).sign(&sm);
        let bytes = tx.to_bytes();
        assert_eq!(bytes[0], TX_VERSION_SM);
        let mut w = Writer::new();
        tx.body.encode(&mut w);
        assert_eq!(tx.hash(), Suite::Sm.hash_parts(&[TX_DOMAIN, &w.finish()]));
        let back = SignedTx::from_bytes(&bytes).unwrap();
        assert_eq!(back.body.account.suite(), Suite::Sm);
        assert!(back.verify_signature());
        // The standard twin of the same content is another tx.
        let std = Suite::Standard.secret_key(&[4; 32]).unwrap();
        assert_ne!(body(&std, drop()).hash(), tx.hash());
        // A CREATE ROLE naming an ed25519 key in an sm tx does not decode.
        let create = Payload::Role(RoleOp::Create { name: "r".into(), public_key: std.public(), create_role: false });
        assert!(SignedTx::from_bytes(&body(&sm, create).sign(&sm).to_bytes()).is_err());
    }

    #[test]
    fn the_dialect_is_signed_and_a_role_has_none() {
        let key = Suite::Standard.secret_key(&[9; 32]).unwrap();
        let body = |dialect, payload| TxBody {
            chain_id: "c".into(),
            account: key.public(),
            id: [1; 16],
            expires_at_ms: 5,
            dialect,
            payload,
        };
        let sql = || Payload::Sql(vec![Statement { sql: "REPLACE INTO t VALUES (1)".into(), params: vec![] }]);
        // The same text in two dialects is two txs: a signature over one
        // does not cover the other.
        let (pg, my) = (body(Dialect::Postgres, sql()), body(Dialect::MySql, sql()));
        assert_ne!(pg.hash(), my.hash());
        let back = SignedTx::from_bytes(&my.sign(&key).to_bytes()).unwrap();
        assert_eq!(back.body.dialect, Dialect::MySql);
        // A role payload holds no SQL: it encodes as PostgreSQL's whatever the field says.
        let role = || Payload::Role(RoleOp::Drop { name: "r".into() });
        let (pg_role, my_role) = (body(Dialect::Postgres, role()), body(Dialect::MySql, role()));
        assert_eq!(pg_role.hash(), my_role.hash());
        let back = SignedTx::from_bytes(&my_role.sign(&key).to_bytes()).unwrap();
        assert_eq!(back.body.dialect, Dialect::Postgres);
    }

    #[test]
    fn an_import_batch_round_trips_and_its_position_is_signed() {
        let key = Suite::Standard.secret_key(&[5; 32]).unwrap();
        let batch = |pos: u64| TxBody {
            chain_id: "c".into(),
            account: key.public(),
            id: [2; 16],
            expires_at_ms: 9,
            dialect: Dialect::Postgres,
            payload: Payload::Import(ImportBatch {
                source: "shop@db1".into(),
                position: SourcePosition { order: vec![1, 3, pos], text: format!("bin.000003:{pos}") },
                follows: Some(vec![1, 3, 7]),
                statements: vec![Statement {
                    sql: "INSERT INTO t VALUES ($1)".into(),
                    params: vec![Value::Integer(1)],
                }],
            }),
        };
        let tx = batch(120).sign(&key);
        let back = SignedTx::from_bytes(&tx.to_bytes()).unwrap();
        assert_eq!(back, tx);
        assert!(back.verify_signature());
        // The same rows at another position are another tx.
        assert_ne!(batch(121).hash(), tx.hash());
        assert_eq!(tx.body.statement_text(), "IMPORT shop@db1 AT bin.000003:120; INSERT INTO t VALUES ($1)");
    }

    #[test]
    fn changing_any_byte_breaks_the_signature_or_the_decoding() {
        let key = Suite::Standard.secret_key(&[9; 32]).unwrap();
        let tx = TxBody {
            chain_id: "c".into(),
            account: key.public(),
            id: [1; 16],
            expires_at_ms: 5,
            dialect: Dialect::Postgres,
            payload: Payload::Sql(vec![Statement {
                sql: "INSERT INTO t VALUES (1)".into(),
                params: vec![Value::Integer(3)],
            }]),
        }
        .sign(&key);
        let bytes = tx.to_bytes();
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0x20;
            if let Ok(t) = SignedTx::from_bytes(&b) {
                assert!(!t.verify_signature(), "byte {i} changed yet the signature still verifies");
            }
        }
    }
}
