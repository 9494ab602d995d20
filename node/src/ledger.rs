//! The ledger store in RocksDB: blocks, receipts, the tx index and the state
//! tree's nodes. It is the durable log; the SQLite view is rebuilt from it.
//!
//! Keys are one prefix byte and a big-endian number or a hash:
//! `B`+height -> block, `R`+height -> receipts, `H`+block hash -> height,
//! `T`+tx hash -> height and index, `N`+node hash -> tree node, `M`+name -> meta.

use crate::block::{decode_receipts, encode_receipts, Block, Receipt};
use crate::crypto::Hash;
use crate::state_tree::{Node, NodeSource, TreeError};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    #[error("ledger database: {0}")]
    Db(#[from] rocksdb::Error),
    #[error("ledger record {what} is corrupt: {detail}")]
    Corrupt { what: String, detail: String },
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

    pub fn head(&self) -> Result<Option<u64>, StoreError> {
        match self.db.get(HEAD)? {
            None => Ok(None),
            Some(v) => Ok(Some(u64::from_be_bytes(
                v.as_slice()
                    .try_into()
                    .map_err(|_| StoreError::Corrupt { what: "head".into(), detail: format!("{} bytes", v.len()) })?,
            ))),
        }
    }

    /// Writes a finalized block with its receipts and the tree nodes it
    /// created in one atomic batch. With `durable` the write is fsynced before
    /// it returns; without, it survives a process crash at once but a power
    /// loss only after the next [`Ledger::sync`].
    pub fn append(
        &self,
        block: &Block,
        receipts: &[Receipt],
        nodes: &[(Hash, Node)],
        durable: bool,
    ) -> Result<(), StoreError> {
        let h = block.header.height;
        assert_eq!(receipts.len(), block.txs.len(), "one receipt per tx");
        let mut batch = rocksdb::WriteBatch::default();
        batch.put(key(b'B', &h.to_be_bytes()), block.to_bytes());
        batch.put(key(b'R', &h.to_be_bytes()), encode_receipts(receipts));
        batch.put(key(b'H', &block.hash()), h.to_be_bytes());
        for (i, tx) in block.txs.iter().enumerate() {
            let mut loc = [0u8; 12];
            loc[..8].copy_from_slice(&h.to_be_bytes());
            loc[8..].copy_from_slice(&(i as u32).to_be_bytes());
            batch.put(key(b'T', &tx.hash()), loc);
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
    pub fn sync(&self) -> Result<(), StoreError> {
        self.db.flush_wal(true)?;
        Ok(())
    }

    pub fn block_bytes(&self, height: u64) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.db.get(key(b'B', &height.to_be_bytes()))?)
    }

    pub fn block(&self, height: u64) -> Result<Option<Block>, StoreError> {
        match self.block_bytes(height)? {
            None => Ok(None),
            Some(b) => Block::from_bytes(&b)
                .map(Some)
                .map_err(|e| StoreError::Corrupt { what: format!("block {height}"), detail: e.to_string() }),
        }
    }

    pub fn receipts(&self, height: u64) -> Result<Option<Vec<Receipt>>, StoreError> {
        match self.db.get(key(b'R', &height.to_be_bytes()))? {
            None => Ok(None),
            Some(b) => decode_receipts(&b).map(Some).map_err(|e| StoreError::Corrupt {
                what: format!("receipts of block {height}"),
                detail: e.to_string(),
            }),
        }
    }

    pub fn height_of_block(&self, hash: &Hash) -> Result<Option<u64>, StoreError> {
        Ok(self.db.get(key(b'H', hash))?.and_then(|v| v.as_slice().try_into().ok().map(u64::from_be_bytes)))
    }

    pub fn tx_location(&self, hash: &Hash) -> Result<Option<TxLocation>, StoreError> {
        Ok(self.db.get(key(b'T', hash))?.and_then(|v| {
            (v.len() == 12).then(|| TxLocation {
                height: u64::from_be_bytes(v[..8].try_into().unwrap()),
                index: u32::from_be_bytes(v[8..].try_into().unwrap()),
            })
        }))
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
