//! Offline verification of a data directory: the ledger's hash chain,
//! signatures, tx and receipt roots and certificates; the state tree's hashes;
//! and the SQLite view's rows against the state root. Optionally re-executes
//! the whole ledger from genesis into a scratch view and compares every root.

use crate::service::DataDir;
use node_chain::chain::Chain;
use node_chain::ledger::{Ledger, LedgerRead, LedgerStore};
use node_core::block::{receipts_root, tx_root, Block};
use node_core::catalog::{format_key, parse_label, LabelKind, TableMeta};
use node_core::crypto::{Hash, Suite, ZERO_HASH};
use node_core::genesis::Genesis;
use node_core::state_tree::{self, MemoryNodes};
use node_exec::executor::{state_leaves, ExecLimits, Executor};
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

#[derive(Debug, Default)]
pub struct Report {
    /// The last block verified.
    pub height: u64,
    pub txs: u64,
    /// State leaves (accounts, tables, rows) checked against the state root.
    pub leaves: u64,
    /// The height the SQLite view has applied (the node replays the rest at start).
    pub view_height: u64,
    pub replayed: bool,
    /// The crypto suite genesis names, which every block and tx was checked under.
    pub suite: Suite,
}

/// What failed, and where.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Failure(pub String);

fn fail<T>(msg: impl Into<String>) -> Result<T, Failure> {
    Err(Failure(msg.into()))
}

pub fn verify(dir: &Path, replay: bool) -> Result<Report, Failure> {
    let d = DataDir(dir.to_owned());
    let genesis = Genesis::load(&d.genesis()).map_err(|e| Failure(e.to_string()))?;
    let ledger = Ledger::open_read_only(&d.ledger()).map_err(|e| Failure(format!("cannot open the ledger: {e}")))?;
    let mut report = check_ledger(&genesis, &ledger)?;
    check_view(&d, genesis.suite(), &ledger, &mut report)?;
    if replay {
        replay_all(&genesis, &ledger, report.height)?;
        report.replayed = true;
    }
    Ok(report)
}

fn load_block(ledger: &Ledger, h: u64) -> Result<Block, Failure> {
    match ledger.block_bytes(h) {
        Err(e) => fail(format!("block {h}: cannot be read: {e}")),
        Ok(None) => fail(format!("block {h}: missing from the ledger")),
        Ok(Some(b)) => Block::from_bytes(&b).map_err(|e| Failure(format!("block {h}: does not decode: {e}"))),
    }
}

fn check_ledger(genesis: &Genesis, ledger: &Ledger) -> Result<Report, Failure> {
    let head = match ledger.head() {
        Ok(Some(h)) => h,
        Ok(None) => return fail("the ledger is empty"),
        Err(e) => return fail(format!("ledger head: {e}")),
    };
    let validators = genesis.validator_keys();
    let mut check = ChainCheck {
        genesis,
        network: validators.len() > 1,
        validators,
        scheme: node_bft::verifier(genesis),
        uncovered: None,
        seen: HashSet::new(),
        prev: None,
    };
    let mut report = Report { height: head, suite: genesis.suite(), ..Report::default() };
    for h in 0..=head {
        let b = load_block(ledger, h)?;
        check.block(ledger, h, &b).map_err(|what| Failure(format!("block {h}: {what}")))?;
        report.txs += b.txs.len() as u64;
    }
    if let Some(from) = check.uncovered {
        return fail(format!("blocks {from}..{head}: no finalization certificate covers them"));
    }
    Ok(report)
}

/// The ledger's blocks checked in height order: what one block must satisfy
/// given the blocks before it.
struct ChainCheck<'a> {
    genesis: &'a Genesis,
    validators: Vec<node_core::crypto::PublicKey>,
    network: bool,
    scheme: node_bft::Scheme,
    /// In a network, a block without its own finalization is final through
    /// the first later block that has one (the engine finalizes ancestors
    /// with a block); the first such block not yet covered.
    uncovered: Option<u64>,
    /// Every tx hash so far (a tx is executed at most once).
    seen: HashSet<Hash>,
    /// The previous block's hash and time.
    prev: Option<(Hash, u64)>,
}

impl ChainCheck<'_> {
    fn block(&mut self, ledger: &Ledger, h: u64, b: &Block) -> Result<(), String> {
        let hd = &b.header;
        if hd.height != h || hd.chain_id != self.genesis.chain_id {
            return Err("height or chain id does not match its position".into());
        }
        let (prev_hash, prev_time) = self.prev.unwrap_or((ZERO_HASH, 0));
        if hd.prev_hash != prev_hash {
            return Err("previous-block hash does not match block before it (hash chain broken)".into());
        }
        if h > 0 && hd.timestamp_ms <= prev_time {
            return Err("timestamp does not increase".into());
        }
        let suite = self.genesis.suite();
        if hd.suite() != suite {
            return Err(format!("its header is of the {} suite, and genesis names {suite}", hd.suite()));
        }
        self.txs(b)?;
        let receipts = ledger.receipts(h).map_err(|e| format!("receipts: {e}"))?.unwrap_or_default();
        if receipts.len() != b.txs.len() || receipts.iter().zip(&b.txs).any(|(r, t)| r.tx_hash != t.hash()) {
            return Err("receipts do not match its txs".into());
        }
        if receipts_root(suite, &receipts) != hd.receipts_root {
            return Err("receipts Merkle root does not match its receipts".into());
        }
        let hash = b.hash();
        self.certificate(h, b, &hash)?;
        self.prev = Some((hash, hd.timestamp_ms));
        Ok(())
    }

    /// The tx root, every signature, no replay, no expired or foreign tx.
    fn txs(&mut self, b: &Block) -> Result<(), String> {
        let suite = self.genesis.suite();
        if tx_root(suite, &b.txs) != b.header.tx_root {
            return Err("tx Merkle root does not match its txs".into());
        }
        if let Some(i) = b.txs.iter().position(|t| t.body.account.suite() != suite) {
            return Err(format!("tx {i} is signed under another suite than genesis's {suite}"));
        }
        let sigs = node_core::tx::verify_signatures(&b.txs);
        if let Some(i) = sigs.iter().position(|ok| !ok) {
            let hash = b.txs.get(i).map(|t| hex::encode(t.hash())).unwrap_or_default();
            return Err(format!("tx {i} ({hash}) has an invalid signature"));
        }
        for (i, tx) in b.txs.iter().enumerate() {
            if !self.seen.insert(tx.hash()) {
                return Err(format!("tx {i} ({}) was already executed earlier (replay)", hex::encode(tx.hash())));
            }
            if tx.body.expires_at_ms <= b.header.timestamp_ms || tx.body.chain_id != self.genesis.chain_id {
                return Err(format!("tx {i} ({}) was expired or for another chain", hex::encode(tx.hash())));
            }
        }
        Ok(())
    }

    /// A lone validator signs every block; a network's blocks are final by
    /// their own finalization or a later block's.
    fn certificate(&mut self, h: u64, b: &Block, hash: &Hash) -> Result<(), String> {
        if !self.network {
            if !b.certificate.verify(hash, &self.validators, self.genesis.quorum()) {
                return Err("finality certificate is not signed by a quorum of the genesis validators".into());
            }
        } else if h == 0 {
            if !b.certificate.is_empty() {
                return Err("a network's genesis block carries no certificate".into());
            }
        } else if !b.certificate.finalization.is_empty() {
            if !node_bft::verify_finalization(&self.scheme, b) {
                return Err(
                    "finalization certificate is not a quorum of the genesis validators' signatures over this block"
                        .into(),
                );
            }
            self.uncovered = None;
        } else if !b.certificate.signatures.is_empty() {
            return Err("a network's block carries a single validator's signature".into());
        } else {
            self.uncovered.get_or_insert(h);
        }
        Ok(())
    }
}

fn check_view(d: &DataDir, suite: Suite, ledger: &Ledger, report: &mut Report) -> Result<(), Failure> {
    let conn = Connection::open_with_flags(d.sqlite(), OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| Failure(format!("cannot open the SQLite view: {e}")))?;
    // The view's numeric columns name the node's collation.
    node_exec::pgfns::register(&conn).map_err(|e| Failure(format!("SQLite view: {e}")))?;
    let q = |e: rusqlite::Error| Failure(format!("SQLite view: {e}"));
    let height: i64 = conn
        .query_row("SELECT value FROM __rc_meta WHERE key = 'height'", [], |r| r.get(0))
        .optional()
        .map_err(q)?
        .ok_or_else(|| Failure("the SQLite view has applied no block".into()))?;
    let height = height as u64;
    if height > report.height {
        return fail(format!("the SQLite view claims block {height}, beyond the ledger's head {}", report.height));
    }
    let block = load_block(ledger, height)?;
    check_block_rows(&conn, ledger, height)?;
    // The tree at the view's height, every node's hash checked on the way.
    let mut stored: BTreeMap<Hash, (Hash, Vec<u8>)> = BTreeMap::new();
    state_tree::for_each_leaf(suite, ledger, &block.header.state_root, &mut |k, v, l| {
        stored.insert(*k, (*v, l.to_vec()));
    })
    .map_err(|e| Failure(format!("state tree at block {height}: {e}")))?;
    let view = state_leaves(&conn, suite).map_err(|e| Failure(e.to_string()))?;
    let tables: HashMap<[u8; 16], String> = table_names(&conn)?;
    if let Some(msg) = first_difference(&stored, &view, &tables) {
        return fail(format!("state at block {height}: {msg}"));
    }
    report.leaves = view.len() as u64;
    report.view_height = height;
    Ok(())
}

/// The `rowchain.blocks` view must list exactly the ledger's blocks.
fn check_block_rows(conn: &Connection, ledger: &Ledger, height: u64) -> Result<(), Failure> {
    let q = |e: rusqlite::Error| Failure(format!("SQLite view: {e}"));
    let mut st = conn.prepare("SELECT height, hash, state_root FROM __rc_blocks ORDER BY height").map_err(q)?;
    let mut rows = st.query([]).map_err(q)?;
    let mut expect = 0u64;
    while let Some(r) = rows.next().map_err(q)? {
        let h: i64 = r.get(0).map_err(q)?;
        let hash: String = r.get(1).map_err(q)?;
        let root: String = r.get(2).map_err(q)?;
        let b = load_block(ledger, h as u64)?;
        if h as u64 != expect || hash != hex::encode(b.hash()) || root != hex::encode(b.header.state_root) {
            return fail(format!("rowchain.blocks row for block {h} does not match the ledger"));
        }
        expect += 1;
    }
    if expect != height + 1 {
        return fail(format!("rowchain.blocks lists {expect} blocks, the view has applied {}", height + 1));
    }
    Ok(())
}

fn table_names(conn: &Connection) -> Result<HashMap<[u8; 16], String>, Failure> {
    let q = |e: rusqlite::Error| Failure(format!("SQLite view: {e}"));
    let mut st = conn.prepare("SELECT name, meta FROM __rc_tables").map_err(q)?;
    let rows: Vec<(String, Vec<u8>)> =
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).map_err(q)?.collect::<Result<_, _>>().map_err(q)?;
    Ok(rows.into_iter().filter_map(|(n, m)| TableMeta::decode(&m).ok().map(|t| (t.id, n))).collect())
}

fn describe(label: &[u8], tables: &HashMap<[u8; 16], String>) -> String {
    let table =
        |id: &[u8; 16]| tables.get(id).cloned().unwrap_or_else(|| format!("(dropped table {})", hex::encode(id)));
    match parse_label(label) {
        LabelKind::Account(a) => format!("account {a}"),
        LabelKind::Table(id) => format!("table {} (its definition)", table(&id)),
        LabelKind::Row { table: id, key } => format!("table {} primary key {}", table(&id), format_key(&key)),
        LabelKind::Schema(name) => format!("schema {name} (its definition)"),
        LabelKind::Sequence(name) => format!("sequence {name} (its definition and value)"),
        LabelKind::Import(name) => format!("import source {name} (its position)"),
        LabelKind::Unknown => format!("leaf {}", hex::encode(label)),
    }
}

fn first_difference(
    stored: &BTreeMap<Hash, (Hash, Vec<u8>)>,
    view: &BTreeMap<Hash, (Hash, Vec<u8>)>,
    tables: &HashMap<[u8; 16], String>,
) -> Option<String> {
    for (k, (v, label)) in view {
        match stored.get(k) {
            None => {
                return Some(format!("{}: present in SQLite but not in the ledger's state", describe(label, tables)))
            }
            Some((sv, _)) if sv != v => {
                return Some(format!("{}: SQLite content differs from the ledger's state", describe(label, tables)))
            }
            _ => {}
        }
    }
    for (k, (_, label)) in stored {
        if !view.contains_key(k) {
            return Some(format!("{}: in the ledger's state but missing from SQLite", describe(label, tables)));
        }
    }
    None
}

/// Re-executes every block from genesis into a scratch view and ledger; each
/// block's state and receipts roots must come out the same.
fn replay_all(genesis: &Genesis, ledger: &Ledger, head: u64) -> Result<(), Failure> {
    let scratch =
        std::env::temp_dir().join(format!("rowchain-replay-{}", hex::encode(node_core::crypto::random_bytes::<8>())));
    let result = replay_into(&scratch, genesis, ledger, head);
    let _ = std::fs::remove_dir_all(&scratch);
    result
}

fn replay_into(scratch: &Path, genesis: &Genesis, ledger: &Ledger, head: u64) -> Result<(), Failure> {
    let e = |e: &dyn std::fmt::Display| Failure(format!("replay: {e}"));
    std::fs::create_dir_all(scratch).map_err(|x| e(&x))?;
    let limits = ExecLimits { result_rows_max: usize::MAX };
    let b0 = load_block(ledger, 0)?;
    // Genesis state, computed in memory, seeds the scratch ledger's tree.
    let suite = genesis.suite();
    let mut mem = Executor::open(Path::new(":memory:"), suite, limits).map_err(|x| e(&x))?;
    let changes = node_chain::chain::genesis_changes(genesis, &mut mem, b0.header.timestamp_ms).map_err(|x| e(&x))?;
    let up = state_tree::apply(suite, &MemoryNodes::default(), &state_tree::EMPTY_ROOT, &changes).map_err(|x| e(&x))?;
    if up.root != b0.header.state_root {
        return fail("replay: block 0: genesis state root differs");
    }
    let scratch_ledger = Ledger::open(&scratch.join("ledger")).map_err(|x| e(&x))?;
    scratch_ledger.append(&b0, &[], &up.created, true).map_err(|x| e(&x))?;
    let exec = Executor::open(&scratch.join("state.sqlite"), suite, limits).map_err(|x| e(&x))?;
    let mut chain = Chain::open(genesis.clone(), scratch_ledger, exec, None).map_err(|x| e(&x))?;
    for h in 1..=head {
        let b = load_block(ledger, h)?;
        // Certificates were checked with the ledger; replay re-executes
        // and compares every root in the header.
        chain
            .execute_on_tip(&b)
            .and_then(|()| chain.commit_first(b.certificate.clone(), false))
            .map_err(|x| Failure(format!("replay: block {h}: {x}")))?;
    }
    Ok(())
}
