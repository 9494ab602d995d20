//! The `[network]` section of `rowchain.toml`.

use serde::{Deserialize, Serialize};

/// The validators and observers this node talks to, and how consensus is
/// paced. Every node of a network lists every other node; a connection from
/// a key not listed here is refused.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NetworkConfig {
    /// Where this node listens for its peers.
    pub p2p_addr: String,
    /// Every other node of the network: its public key and address.
    pub peers: Vec<Peer>,
    /// How long the leader of a view has to propose before the view is
    /// skipped; the certification timeout is twice this.
    pub leader_timeout_ms: u64,
    /// The largest peer message (a block, with its txs, is the largest).
    pub message_bytes_max: u32,
    /// Messages per second a peer may send on one channel before it is
    /// throttled.
    pub peer_messages_per_second: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Peer {
    /// The node's ed25519 public key, hex (its `validator.key`'s public half).
    pub public_key: String,
    /// host:port of its `network.p2p_addr`.
    pub addr: String,
}

impl Default for NetworkConfig {
    fn default() -> Self {
        NetworkConfig {
            p2p_addr: "127.0.0.1:5125".into(),
            peers: Vec::new(),
            leader_timeout_ms: 1_000,
            message_bytes_max: 64 << 20,
            peer_messages_per_second: 10_000,
        }
    }
}
