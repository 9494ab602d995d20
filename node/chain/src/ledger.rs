//! The ledger store: blocks, receipts, the tx index and the state tree's
//! nodes. It is the durable log; the SQLite view is rebuilt from it.
//! [`LedgerStore`] is what the chain needs of it; [`Ledger`] keeps it in
//! RocksDB, [`MemLedger`] in memory (tests, and `verify`'s scratch replay).
//!
//! RocksDB keys are one prefix byte and a big-endian number or a hash:
//! `B`+height -> block, `R`+height -> receipts, `H`+block hash -> height,
//! `T`+tx hash -> height and index, `N`+node hash -> tree node, `M`+name -> meta.

use node_core::block::{decode_receipts, encode_receipts, Block, Receipt};
use node_core::crypto::Hash;
use node_core::state_tree::{Node, NodeSource, TreeError};
use parking_lot::Mutex;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    #[error("ledger database: {0}")]
    Db(#[from] rocksdb::Error),
    #[error("ledger record {what} is corrupt: {detail}")]
    Corrupt { what: String, detail: String },
    #[error("block {height} does not extend the ledger's head {head:?}")]
    NotNext { height: u64, head: Option<u64> },
    #[error("block {height} has {txs} txs but {receipts} receipts")]
    ReceiptCount { height: u64, txs: usize, receipts: usize },
}

/// Reading the durable log: what a node's front ends may do with it.
pub trait LedgerRead: NodeSource + Send + Sync {
    /// The height of the last appended block; `None` when empty.
    fn head(&self) -> Result<Option<u64>, StoreError>;
    /// A block as stored: its encoding, served to peers as it is.
    fn block_bytes(&self, height: u64) -> Result<Option<Vec<u8>>, StoreError>;
    fn block(&self, height: u64) -> Result<Option<Block>, StoreError>;
    fn receipts(&self, height: u64) -> Result<Option<Vec<Receipt>>, StoreError>;
    fn height_of_block(&self, hash: &Hash) -> Result<Option<u64>, StoreError>;
    fn tx_location(&self, hash: &Hash) -> Result<Option<TxLocation>, StoreError>;
}

/// What the chain needs of its durable log. Blocks are appended in height
/// order, each atomically with its receipts, tx index entries and the tree
/// nodes it created.
pub trait LedgerStore: LedgerRead {
    /// Appends a final block. With `durable` it is on stable storage when
    /// this returns; without, after the next [`LedgerStore::sync`].
    fn append(
        &self,
        block: &Block,
        receipts: &[Receipt],
        nodes: &[(Hash, Node)],
        durable: bool,
    ) -> Result<(), StoreError>;
    /// Makes every append so far durable.
    fn sync(&self) -> Result<(), StoreError>;
}

/// Appends must extend the head by one and carry a receipt per tx.
fn check_append(head: Option<u64>, block: &Block, receipts: &[Receipt]) -> Result<(), StoreError> {
    let height = block.header.height;
    if head.map_or(height != 0, |h| h.checked_add(1) != Some(height)) {
        return Err(StoreError::NotNext { height, head });
    }
    if receipts.len() != block.txs.len() {
        return Err(StoreError::ReceiptCount { height, txs: block.txs.len(), receipts: receipts.len() });
    }
    Ok(())
}

const HEAD: &[u8] = b"Mhead";

fn key(prefix: u8, rest: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(1 + rest.len());
    k.push(prefix);
    k.extend_from_slice(rest);
    k
}

/// Where a tx landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxLocation {
    pub height: u64,
    pub index: u32,
}

fn encode_location(loc: TxLocation) -> [u8; 12] {
    let mut b = [0u8; 12];
    let (height, index) = b.split_at_mut(8);
    height.copy_from_slice(&loc.height.to_be_bytes());
    index.copy_from_slice(&loc.index.to_be_bytes());
    b
}

/// A stored tx location: 8 bytes of height, 4 of index; anything else is
/// not one (a torn or foreign record reads as absent, as it always did).
fn decode_location(v: &[u8]) -> Option<TxLocation> {
    let (height, index) = v.split_first_chunk::<8>()?;
    let index: [u8; 4] = index.try_into().ok()?;
    Some(TxLocation { height: u64::from_be_bytes(*height), index: u32::from_be_bytes(index) })
}

pub struct Ledger {
    db: rocksdb::DB,
    /// Recently used tree nodes; bounded, emptied when full.
    cache: Mutex<HashMap<Hash, Node>>,
    cache_max: usize,
}

impl Ledger {
    pub fn open(dir: &Path) -> Result<Arc<Self>, StoreError> {
        let mut opts = rocksdb::Options::default();
        opts.create_if_missing(true);
        opts.set_compression_type(rocksdb::DBCompressionType::Lz4);
        opts.increase_parallelism(2);
        let db = rocksdb::DB::open(&opts, dir)?;
        Ok(Arc::new(Self { db, cache: Mutex::new(HashMap::new()), cache_max: 2_000_000 }))
    }

    /// Opens without taking the write lock, for `verify` beside a stopped node.
    pub fn open_read_only(dir: &Path) -> Result<Self, StoreError> {
        let opts = rocksdb::Options::default();
        let db = rocksdb::DB::open_for_read_only(&opts, dir, false)?;
        Ok(Self { db, cache: Mutex::new(HashMap::new()), cache_max: 200_000 })
    }

    /// Raw access for tools and tests that need to look under the hood
    /// (the tamper tests flip a byte of a stored block through this).
    pub fn raw(&self) -> &rocksdb::DB {
        &self.db
    }

    pub fn block_key(height: u64) -> Vec<u8> {
        key(b'B', &height.to_be_bytes())
    }
}

impl LedgerRead for Ledger {
    fn block_bytes(&self, height: u64) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.db.get(key(b'B', &height.to_be_bytes()))?)
    }

    fn head(&self) -> Result<Option<u64>, StoreError> {
        match self.db.get(HEAD)? {
            None => Ok(None),
            Some(v) => Ok(Some(u64::from_be_bytes(
                v.as_slice()
                    .try_into()
                    .map_err(|_| StoreError::Corrupt { what: "head".into(), detail: format!("{} bytes", v.len()) })?,
            ))),
        }
    }

    fn block(&self, height: u64) -> Result<Option<Block>, StoreError> {
        match self.block_bytes(height)? {
            None => Ok(None),
            Some(b) => Block::from_bytes(&b)
                .map(Some)
                .map_err(|e| StoreError::Corrupt { what: format!("block {height}"), detail: e.to_string() }),
        }
    }

    fn receipts(&self, height: u64) -> Result<Option<Vec<Receipt>>, StoreError> {
        match self.db.get(key(b'R', &height.to_be_bytes()))? {
            None => Ok(None),
            Some(b) => decode_receipts(&b).map(Some).map_err(|e| StoreError::Corrupt {
                what: format!("receipts of block {height}"),
                detail: e.to_string(),
            }),
        }
    }

    fn height_of_block(&self, hash: &Hash) -> Result<Option<u64>, StoreError> {
        Ok(self.db.get(key(b'H', hash))?.and_then(|v| v.as_slice().try_into().ok().map(u64::from_be_bytes)))
    }

    fn tx_location(&self, hash: &Hash) -> Result<Option<TxLocation>, StoreError> {
        Ok(self.db.get(key(b'T', hash))?.as_deref().and_then(decode_location))
    }
}

impl LedgerStore for Ledger {
    /// Writes a finalized block with its receipts and the tree nodes it
    /// created in one atomic batch. With `durable` the write is fsynced before
    /// it returns; without, it survives a process crash at once but a power
    /// loss only after the next [`LedgerStore::sync`].
    fn append(
        &self,
        block: &Block,
        receipts: &[Receipt],
        nodes: &[(Hash, Node)],
        durable: bool,
    ) -> Result<(), StoreError> {
        check_append(self.head()?, block, receipts)?;
        let h = block.header.height;
        let mut batch = rocksdb::WriteBatch::default();
        batch.put(key(b'B', &h.to_be_bytes()), block.to_bytes());
        batch.put(key(b'R', &h.to_be_bytes()), encode_receipts(receipts));
        batch.put(key(b'H', &block.hash()), h.to_be_bytes());
        for (i, tx) in block.txs.iter().enumerate() {
            batch.put(key(b'T', &tx.hash()), encode_location(TxLocation { height: h, index: i as u32 }));
        }
        for (hash, node) in nodes {
            batch.put(key(b'N', hash), node.to_bytes());
        }
        batch.put(HEAD, h.to_be_bytes());
        let mut wo = rocksdb::WriteOptions::default();
        wo.set_sync(durable);
        self.db.write_opt(batch, &wo)?;
        let mut cache = self.cache.lock();
        if cache.len() + nodes.len() > self.cache_max {
            cache.clear();
        }
        cache.extend(nodes.iter().cloned());
        Ok(())
    }

    /// Makes every write so far durable: one fsync of the write-ahead log,
    /// however many blocks it covers.
    fn sync(&self) -> Result<(), StoreError> {
        self.db.flush_wal(true)?;
        Ok(())
    }
}

impl NodeSource for Ledger {
    fn node(&self, hash: &Hash) -> Result<Option<Node>, TreeError> {
        if let Some(n) = self.cache.lock().get(hash) {
            return Ok(Some(n.clone()));
        }
        let Some(bytes) = self.db.get(key(b'N', hash)).map_err(|e| TreeError::Store(e.to_string()))? else {
            return Ok(None);
        };
        let node = Node::from_bytes(&bytes).map_err(|e| TreeError::Corrupt(*hash, e.to_string()))?;
        let mut cache = self.cache.lock();
        if cache.len() >= self.cache_max {
            cache.clear();
        }
        cache.insert(*hash, node.clone());
        Ok(Some(node))
    }
}

/// Reads through `base` but sees `overlay` first: used while a block is
/// executed and not yet stored.
pub struct Overlay<'a> {
    pub base: &'a dyn NodeSource,
    pub overlay: &'a HashMap<Hash, Node>,
}

impl NodeSource for Overlay<'_> {
    fn node(&self, hash: &Hash) -> Result<Option<Node>, TreeError> {
        match self.overlay.get(hash) {
            Some(n) => Ok(Some(n.clone())),
            None => self.base.node(hash),
        }
    }
}

/// A ledger in memory: the same contract as [`Ledger`], nothing durable.
/// For tests of the chain's rules, and for replays that must not touch a
/// node's own ledger.
#[derive(Default)]
pub struct MemLedger {
    inner: Mutex<MemInner>,
}

#[derive(Default)]
struct MemInner {
    blocks: BTreeMap<u64, (Block, Vec<Receipt>)>,
    heights: HashMap<Hash, u64>,
    txs: HashMap<Hash, TxLocation>,
    nodes: HashMap<Hash, Node>,
}

impl MemLedger {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }
}

impl LedgerRead for MemLedger {
    fn block_bytes(&self, height: u64) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.inner.lock().blocks.get(&height).map(|(b, _)| b.to_bytes()))
    }

    fn head(&self) -> Result<Option<u64>, StoreError> {
        Ok(self.inner.lock().blocks.keys().next_back().copied())
    }

    fn block(&self, height: u64) -> Result<Option<Block>, StoreError> {
        Ok(self.inner.lock().blocks.get(&height).map(|(b, _)| b.clone()))
    }

    fn receipts(&self, height: u64) -> Result<Option<Vec<Receipt>>, StoreError> {
        Ok(self.inner.lock().blocks.get(&height).map(|(_, r)| r.clone()))
    }

    fn height_of_block(&self, hash: &Hash) -> Result<Option<u64>, StoreError> {
        Ok(self.inner.lock().heights.get(hash).copied())
    }

    fn tx_location(&self, hash: &Hash) -> Result<Option<TxLocation>, StoreError> {
        Ok(self.inner.lock().txs.get(hash).copied())
    }
}

impl LedgerStore for MemLedger {
    fn append(
        &self,
        block: &Block,
        receipts: &[Receipt],
        nodes: &[(Hash, Node)],
        _durable: bool,
    ) -> Result<(), StoreError> {
        let mut m = self.inner.lock();
        check_append(m.blocks.keys().next_back().copied(), block, receipts)?;
        let h = block.header.height;
        m.heights.insert(block.hash(), h);
        for (i, tx) in block.txs.iter().enumerate() {
            m.txs.insert(tx.hash(), TxLocation { height: h, index: i as u32 });
        }
        m.nodes.extend(nodes.iter().cloned());
        m.blocks.insert(h, (block.clone(), receipts.to_vec()));
        Ok(())
    }

    fn sync(&self) -> Result<(), StoreError> {
        Ok(())
    }
}

impl NodeSource for MemLedger {
    fn node(&self, hash: &Hash) -> Result<Option<Node>, TreeError> {
        Ok(self.inner.lock().nodes.get(hash).cloned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tx_locations_round_trip_and_odd_lengths_read_as_absent() {
        let loc = TxLocation { height: 0x0102_0304_0506_0708, index: 0x0a0b_0c0d };
        let b = encode_location(loc);
        assert_eq!(b, [1, 2, 3, 4, 5, 6, 7, 8, 0x0a, 0x0b, 0x0c, 0x0d]);
        assert_eq!(decode_location(&b), Some(loc));
        for len in [0, 1, 7, 8, 11, 13, 20] {
            assert_eq!(decode_location(&vec![0xff; len]), None, "{len} bytes");
        }
    }

    #[test]
    fn a_truncated_tx_location_or_head_on_disk_is_absent_or_corrupt_not_a_panic() {
        let dir = std::env::temp_dir().join(format!(
            "rowchain-ledger-test-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        let ledger = Ledger::open(&dir).unwrap();
        let hash = [7u8; 32];
        ledger.raw().put(key(b'T', &hash), [0u8; 5]).unwrap();
        assert_eq!(ledger.tx_location(&hash).unwrap(), None);
        ledger.raw().put(key(b'T', &hash), [0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 2]).unwrap();
        assert_eq!(ledger.tx_location(&hash).unwrap(), Some(TxLocation { height: 9, index: 2 }));
        ledger.raw().put(HEAD, [1u8; 3]).unwrap();
        assert_eq!(ledger.head().unwrap_err().to_string(), "ledger record head is corrupt: 3 bytes");
        ledger.raw().put(key(b'B', &4u64.to_be_bytes()), [1u8, 0, 0, 0, 200]).unwrap();
        assert_eq!(
            ledger.block(4).unwrap_err().to_string(),
            "ledger record block 4 is corrupt: truncated input: wanted 200 bytes at offset 5, 0 left"
        );
        ledger.raw().put(key(b'R', &4u64.to_be_bytes()), [0u8, 0, 0, 1, 1]).unwrap();
        assert_eq!(
            ledger.receipts(4).unwrap_err().to_string(),
            "ledger record receipts of block 4 is corrupt: receipt count 1 exceeds the limit 0"
        );
        drop(ledger);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
