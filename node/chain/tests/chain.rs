//! `Chain` over the in-memory ledger: commit, abort, stacked blocks, replay
//! after a restart, and each rule a block must pass.

use node_chain::chain::{Application, Chain, ChainError};
use node_chain::ledger::{LedgerRead, LedgerStore, MemLedger};
use node_core::block::{Block, Certificate};
use node_core::crypto::SecretKey;
use node_core::genesis::Genesis;
use node_core::tx::{Payload, SignedTx, Statement, TxBody};
use node_exec::executor::{ExecLimits, Executor};
use std::path::PathBuf;
use std::sync::Arc;

const T0: u64 = 1_700_000_000_000;

struct Fixture {
    dir: PathBuf,
    genesis: Genesis,
    validator: SecretKey,
    admin: SecretKey,
    ledger: Arc<MemLedger>,
}

impl Fixture {
    fn new(name: &str) -> Self {
        Self::sharing(name, None)
    }

    /// A fixture of its own, on `genesis` when given (a second node of one chain).
    fn sharing(name: &str, genesis: Option<&Genesis>) -> Self {
        let dir = std::env::temp_dir().join(format!("rowchain-chain-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let validator = node_core::crypto::Suite::Standard.secret_key(&[1; 32]).unwrap();
        let admin = node_core::crypto::Suite::Standard.secret_key(&[2; 32]).unwrap();
        let genesis = genesis.cloned().unwrap_or_else(|| Genesis::new_dev(&validator, &admin.public(), T0));
        Fixture { dir, genesis, validator, admin, ledger: MemLedger::new() }
    }

    /// Opens the chain on the fixture's ledger and the view file `view`.
    fn open(&self, view: &str) -> Chain {
        let exec = Executor::open(
            &self.dir.join(view),
            node_core::crypto::Suite::Standard,
            ExecLimits { result_rows_max: 1000 },
        )
        .unwrap();
        let ledger: Arc<dyn LedgerStore> = self.ledger.clone();
        Chain::open(self.genesis.clone(), ledger, exec, Some(&self.validator)).unwrap()
    }

    fn tx(&self, n: u8, sql: &str) -> SignedTx {
        TxBody {
            chain_id: self.genesis.chain_id.clone(),
            account: self.admin.public(),
            id: [n; 16],
            expires_at_ms: T0 + 1_000_000,
            dialect: node_core::tx::Dialect::Postgres,
            payload: Payload::Sql(vec![Statement { sql: sql.into(), params: vec![] }]),
        }
        .sign(&self.admin)
    }

    /// Proposes a block of `txs` at `t`, certifies it with the lone
    /// validator's signature and commits it.
    fn commit(&self, chain: &mut Chain, txs: Vec<SignedTx>, t: u64) -> Block {
        let mut block = chain.propose(txs, t, self.validator.public()).unwrap().block;
        block.certificate = Certificate::sign(&block.hash(), &self.validator);
        let receipts = chain.commit(block.clone()).unwrap();
        assert!(receipts.iter().all(|r| r.is_success()), "{receipts:?}");
        block
    }

    fn count(&self, chain: &Chain, table: &str) -> i64 {
        chain.executor().connection().query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0)).unwrap()
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[test]
fn a_committed_block_is_in_the_ledger_and_the_view() {
    let f = Fixture::new("commit");
    let mut chain = f.open("view.sqlite");
    assert_eq!(f.ledger.head().unwrap(), Some(0), "genesis is block 0");
    let b = f.commit(
        &mut chain,
        vec![f.tx(1, "CREATE TABLE t (id INT PRIMARY KEY, v TEXT)"), f.tx(2, "INSERT INTO t VALUES (1, 'a')")],
        T0 + 1,
    );
    assert_eq!(f.ledger.head().unwrap(), Some(1));
    let stored = f.ledger.block(1).unwrap().unwrap();
    assert_eq!(stored.hash(), b.hash());
    assert_eq!(stored.certificate, b.certificate);
    assert_eq!(f.ledger.receipts(1).unwrap().unwrap().len(), 2);
    assert_eq!(f.ledger.tx_location(&b.txs[1].hash()).unwrap().map(|l| (l.height, l.index)), Some((1, 1)));
    assert_eq!(chain.head().0.state_root, b.header.state_root);
    assert_eq!(f.count(&chain, "t"), 1);
}

#[test]
fn an_aborted_block_leaves_no_trace() {
    let f = Fixture::new("abort");
    let mut chain = f.open("view.sqlite");
    let root = chain.head().0.state_root;
    let p = chain.propose(vec![f.tx(1, "CREATE TABLE t (id INT PRIMARY KEY)")], T0 + 1, f.validator.public()).unwrap();
    assert_eq!(p.block.txs.len(), 1);
    chain.abort().unwrap();
    assert_eq!(f.ledger.head().unwrap(), Some(0));
    assert_eq!(chain.head().0.height, 0);
    assert_eq!(chain.head().0.state_root, root);
    let tables: i64 = chain
        .executor()
        .connection()
        .query_row("SELECT count(*) FROM sqlite_schema WHERE name = 't'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(tables, 0, "the aborted block's table is rolled back");
    // The same tx goes into the next block as if nothing happened.
    f.commit(&mut chain, vec![f.tx(1, "CREATE TABLE t (id INT PRIMARY KEY)")], T0 + 2);
    assert_eq!(f.count(&chain, "t"), 0);
}

#[test]
fn stacked_pending_blocks_commit_together_or_the_ones_above_are_dropped() {
    let f = Fixture::new("stacked");
    let mut chain = f.open("view.sqlite");
    f.commit(&mut chain, vec![f.tx(1, "CREATE TABLE t (id INT PRIMARY KEY)")], T0 + 1);
    let me = f.validator.public();
    let b2 = chain.propose_on_tip(vec![f.tx(2, "INSERT INTO t VALUES (2)")], T0 + 2, me).unwrap().block;
    let b3 = chain.propose_on_tip(vec![f.tx(3, "INSERT INTO t VALUES (3)")], T0 + 3, me).unwrap().block;
    assert_eq!(b3.header.prev_hash, b2.hash(), "the second pending block builds on the first");
    assert_eq!(chain.pending().collect::<Vec<_>>(), vec![b2.hash(), b3.hash()]);
    // Finalizing the first drops the one above it.
    let (done, _) = chain.commit_first(Certificate::sign(&b2.hash(), &f.validator), true).unwrap();
    assert_eq!(done.hash(), b2.hash());
    assert_eq!(chain.pending().count(), 0);
    assert_eq!(f.count(&chain, "t"), 1);
    // Two stacked blocks committed through at once.
    let b3 = chain.propose_on_tip(vec![f.tx(3, "INSERT INTO t VALUES (3)")], T0 + 3, me).unwrap().block;
    let b4 = chain.propose_on_tip(vec![f.tx(4, "INSERT INTO t VALUES (4)")], T0 + 4, me).unwrap().block;
    let certs = vec![Certificate::sign(&b3.hash(), &f.validator), Certificate::sign(&b4.hash(), &f.validator)];
    let done = chain.commit_through(certs, true).unwrap();
    assert_eq!(done.iter().map(|(b, _)| b.header.height).collect::<Vec<_>>(), vec![3, 4]);
    assert_eq!(f.ledger.head().unwrap(), Some(4));
    assert_eq!(f.count(&chain, "t"), 3);
    // More certificates than pending blocks is a caller's bug, reported as such.
    let err = chain.commit_through(vec![Certificate::default()], true).unwrap_err();
    assert!(matches!(err, ChainError::Misuse(_)), "{err}");
}

#[test]
fn a_restart_replays_what_the_view_lacks() {
    let f = Fixture::new("replay");
    let root = {
        let mut chain = f.open("view.sqlite");
        f.commit(&mut chain, vec![f.tx(1, "CREATE TABLE t (id INT PRIMARY KEY, v TEXT)")], T0 + 1);
        f.commit(&mut chain, vec![f.tx(2, "INSERT INTO t VALUES (1, 'a'), (2, 'b')")], T0 + 2);
        chain.head().0.state_root
    };
    // The same view: nothing to replay.
    let chain = f.open("view.sqlite");
    assert_eq!((chain.head().0.height, chain.head().0.state_root), (2, root));
    assert_eq!(f.count(&chain, "t"), 2);
    drop(chain);
    // A fresh view beside the ledger: rebuilt from genesis, block by block.
    let chain = f.open("fresh.sqlite");
    assert_eq!((chain.head().0.height, chain.head().0.state_root), (2, root));
    assert_eq!(f.count(&chain, "t"), 2);
    assert_eq!(chain.executor().applied().unwrap().map(|a| a.height), Some(2));
}

#[test]
fn a_view_ahead_of_the_ledger_is_reported() {
    let f = Fixture::new("ahead");
    {
        let mut chain = f.open("view.sqlite");
        f.commit(&mut chain, vec![f.tx(1, "CREATE TABLE t (id INT PRIMARY KEY)")], T0 + 1);
    }
    // The view has block 1; a ledger that lost it (a power loss) has only genesis.
    let short = MemLedger::new();
    short.append(&f.ledger.block(0).unwrap().unwrap(), &[], &[], true).unwrap();
    let exec = Executor::open(
        &f.dir.join("view.sqlite"),
        node_core::crypto::Suite::Standard,
        ExecLimits { result_rows_max: 1000 },
    )
    .unwrap();
    let err = Chain::open(f.genesis.clone(), short, exec, Some(&f.validator)).err().unwrap();
    assert!(matches!(err, ChainError::ViewAhead { view: 1, ledger: 0 }), "{err}");
}

/// A block some validator proposed, then changed: each change must be refused.
fn refused(f: &Fixture, chain: &mut Chain, block: &Block, expected: &str) {
    let err = chain.verify(block).unwrap_err();
    match err {
        ChainError::InvalidBlock { height, reason } => {
            assert_eq!(height, block.header.height);
            assert_eq!(reason, expected);
        }
        other => panic!("expected an invalid block ({expected}), got {other}"),
    }
    assert_eq!(chain.pending().count(), 0, "a refused block leaves nothing pending");
    assert_eq!(f.count(chain, "t"), 0);
}

#[test]
fn every_validity_rule_refuses_its_block() {
    let f = Fixture::new("rules");
    let mut chain = f.open("view.sqlite");
    f.commit(&mut chain, vec![f.tx(1, "CREATE TABLE t (id INT PRIMARY KEY)")], T0 + 1);
    // A good block, proposed by another instance of the chain.
    let g = Fixture::sharing("rules-other", Some(&f.genesis));
    let mut other = g.open("view.sqlite");
    f.commit(&mut other, vec![f.tx(1, "CREATE TABLE t (id INT PRIMARY KEY)")], T0 + 1);
    let good = other.propose(vec![f.tx(2, "INSERT INTO t VALUES (7)")], T0 + 2, f.validator.public()).unwrap().block;
    other.abort().unwrap();

    let with = |change: &dyn Fn(&mut Block)| {
        let mut b = good.clone();
        change(&mut b);
        b
    };
    refused(&f, &mut chain, &with(&|b| b.header.height += 1), "does not extend the head");
    refused(&f, &mut chain, &with(&|b| b.header.prev_hash = [9; 32]), "does not extend the head");
    refused(&f, &mut chain, &with(&|b| b.header.chain_id = "another".into()), "does not extend the head");
    refused(&f, &mut chain, &with(&|b| b.header.timestamp_ms = T0 + 1), "timestamp is not after its parent's");
    refused(&f, &mut chain, &with(&|b| b.header.tx_root = [9; 32]), "tx root does not match its txs");
    refused(&f, &mut chain, &with(&|b| b.txs[0].signature[0] ^= 1), "tx 0 has an invalid signature");
    refused(&f, &mut chain, &with(&|b| b.header.state_root = [9; 32]), "state root does not match execution");
    refused(&f, &mut chain, &with(&|b| b.header.receipts_root = [9; 32]), "receipts root does not match execution");
    let expired = f.tx(3, "INSERT INTO t VALUES (8)");
    let late = with(&|b| {
        b.header.timestamp_ms = expired.body.expires_at_ms;
        b.txs = vec![expired.clone()];
        b.header.tx_root = node_core::block::tx_root(node_core::crypto::Suite::Standard, &b.txs);
    });
    refused(&f, &mut chain, &late, "tx 0: the transaction expired before it could be included in a block");
    let replayed = with(&|b| {
        b.txs = vec![f.tx(1, "CREATE TABLE t (id INT PRIMARY KEY)")];
        b.header.tx_root = node_core::block::tx_root(node_core::crypto::Suite::Standard, &b.txs);
    });
    refused(&f, &mut chain, &replayed, "tx 0: the transaction was already executed");
    // The untouched block passes, and a commit needs the validator's quorum.
    chain.verify(&good).unwrap();
    chain.abort().unwrap();
    let mut unsigned = good.clone();
    unsigned.certificate = Certificate::sign(&good.hash(), &f.admin);
    let err = chain.commit(unsigned).unwrap_err();
    assert!(matches!(&err, ChainError::InvalidBlock { reason, .. } if reason == "certificate lacks a quorum"), "{err}");
    assert_eq!(f.ledger.head().unwrap(), Some(1));
    let mut signed = good.clone();
    signed.certificate = Certificate::sign(&good.hash(), &f.validator);
    chain.commit(signed).unwrap();
    assert_eq!(f.count(&chain, "t"), 1);
}
