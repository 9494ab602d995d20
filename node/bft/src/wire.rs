//! rowchain's own peer messages: block relay, tx gossip and catch-up. The
//! engine's votes and certificates use commonware's encodings.

use node_core::codec::{DecodeError, Reader, Writer};
use node_core::crypto::Hash;
use node_core::tx::SignedTx;

/// Blocks one catch-up reply may carry.
pub const SYNC_BLOCKS_MAX: u32 = 64;

/// A message on the catch-up channel.
#[derive(Debug, Clone, PartialEq)]
pub enum Sync {
    /// "My ledger ends at `height` with block `hash`", sent to every peer
    /// every second: how a node that fell behind learns it, and what
    /// `status` shows of each peer.
    Status { height: u64, hash: Hash, validator: bool },
    /// "Send me the final blocks from `from`, at most `count`."
    Request { from: u64, count: u32 },
    /// "Send me block `hash`": a block this node needs to vote (or to
    /// build on) that did not reach it, final or not.
    Want { hash: Hash },
    /// Blocks (each [`node_core::block::Block::to_bytes`]): final ones with
    /// their certificates, consecutive from the requested height, or the
    /// one block wanted.
    Blocks(Vec<Vec<u8>>),
}

const TAG_STATUS: u8 = 0;
const TAG_REQUEST: u8 = 1;
const TAG_BLOCKS: u8 = 2;
const TAG_WANT: u8 = 3;

impl Sync {
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::with_capacity(64);
        match self {
            Sync::Status { height, hash, validator } => {
                w.u8(TAG_STATUS).u64(*height).fixed(hash).u8(*validator as u8);
            }
            Sync::Request { from, count } => {
                w.u8(TAG_REQUEST).u64(*from).u32(*count);
            }
            Sync::Want { hash } => {
                w.u8(TAG_WANT).fixed(hash);
            }
            Sync::Blocks(blocks) => {
                w.u8(TAG_BLOCKS).u32(blocks.len() as u32);
                for b in blocks {
                    w.bytes(b);
                }
            }
        }
        w.finish()
    }

    pub fn decode(b: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(b);
        let m = match r.u8()? {
            TAG_STATUS => Sync::Status { height: r.u64()?, hash: r.fixed()?, validator: r.u8()? != 0 },
            TAG_REQUEST => Sync::Request { from: r.u64()?, count: r.u32()?.min(SYNC_BLOCKS_MAX) },
            TAG_WANT => Sync::Want { hash: r.fixed()? },
            TAG_BLOCKS => {
                let n = r.count("block", SYNC_BLOCKS_MAX as u64, 4)?;
                let mut blocks = Vec::with_capacity(n);
                for _ in 0..n {
                    blocks.push(r.bytes()?.to_vec());
                }
                Sync::Blocks(blocks)
            }
            tag => return Err(DecodeError::Version { what: "sync message", version: tag }),
        };
        r.finish()?;
        Ok(m)
    }
}

/// A batch of txs gossiped to every peer.
pub fn encode_txs(txs: &[SignedTx]) -> Vec<u8> {
    let mut w = Writer::with_capacity(txs.len() * 256);
    w.u32(txs.len() as u32);
    for t in txs {
        t.encode(&mut w);
    }
    w.finish()
}

pub fn decode_txs(b: &[u8]) -> Result<Vec<SignedTx>, DecodeError> {
    let mut r = Reader::new(b);
    let n = r.count("tx", 100_000, 64)?;
    let mut txs = Vec::with_capacity(n);
    for _ in 0..n {
        txs.push(SignedTx::decode(&mut r)?);
    }
    r.finish()?;
    Ok(txs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sync_messages_round_trip_and_bound_counts() {
        for m in [
            Sync::Status { height: 7, hash: [3; 32], validator: true },
            Sync::Request { from: 12, count: 5 },
            Sync::Want { hash: [9; 32] },
            Sync::Blocks(vec![vec![1, 2, 3], vec![]]),
        ] {
            assert_eq!(Sync::decode(&m.encode()).unwrap(), m);
        }
        // A request for more than the cap is clamped, not honoured.
        let big = Sync::Request { from: 1, count: 1_000_000 }.encode();
        assert_eq!(Sync::decode(&big).unwrap(), Sync::Request { from: 1, count: SYNC_BLOCKS_MAX });
        // A forged block count larger than the message is refused.
        let mut forged = vec![TAG_BLOCKS];
        forged.extend_from_slice(&1000u32.to_be_bytes());
        assert!(Sync::decode(&forged).is_err());
        assert!(Sync::decode(&[9]).is_err());
    }
}
