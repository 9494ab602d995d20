//! The state tree: a 16-ary Merkle radix tree over 256-bit keys.
//!
//! Shape (as in the seed's SHAMap): a key's path is its 64 nibbles. A subtree
//! holding one key is a leaf; a subtree holding two or more keys is an inner
//! node with up to 16 children. Inner nodes are not path-compressed, so the
//! shape, and therefore the root, depends only on the set of (key, value)
//! pairs, never on the order in which they were written.
//!
//! Leaves also carry a *label*: the pre-image of their key (for a row, the
//! table id and primary key). The label is not hashed into the node (the key
//! already commits to it) but lets `verify` name a row that went missing.
//!
//! Every hash is the chain's suite's ([`Suite`]), passed to each function.
//!
//! Nodes are content-addressed (stored under their hash), so every old root
//! stays readable until pruned. This module does no I/O itself: it reads nodes
//! through [`NodeSource`] and returns the nodes an update created.

use crate::codec::{DecodeError, Reader, Writer};
use crate::crypto::{Hash, Suite, ZERO_HASH};
use std::collections::BTreeMap;

/// The root of the empty tree.
pub const EMPTY_ROOT: Hash = ZERO_HASH;
pub const DEPTH_MAX: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Leaf {
        key: Hash,
        value: Hash,
        label: Vec<u8>,
    },
    /// Boxed: most nodes are leaves, and an inner node's slots are 528 bytes.
    Inner {
        children: Box<[Option<Hash>; 16]>,
    },
}

impl Node {
    pub fn hash(&self, suite: Suite) -> Hash {
        match self {
            Node::Leaf { key, value, .. } => leaf_hash(suite, key, value),
            Node::Inner { children } => {
                let mut buf = Vec::with_capacity(3 + 16 * 32);
                buf.push(1);
                buf.extend_from_slice(&bitmap(children).to_be_bytes());
                for h in children.iter().flatten() {
                    buf.extend_from_slice(h);
                }
                suite.hash(&buf)
            }
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = Writer::with_capacity(100);
        match self {
            Node::Leaf { key, value, label } => {
                w.u8(0).fixed(key).fixed(value).bytes(label);
            }
            Node::Inner { children } => {
                w.u8(1).u16(bitmap(children));
                for h in children.iter().flatten() {
                    w.fixed(h);
                }
            }
        }
        w.finish()
    }

    pub fn from_bytes(b: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(b);
        let node = match r.u8()? {
            0 => Node::Leaf { key: r.fixed()?, value: r.fixed()?, label: r.bytes()?.to_vec() },
            1 => {
                let bitmap = r.u16()?;
                let mut children = [None; 16];
                for (i, c) in children.iter_mut().enumerate() {
                    if bitmap & (1 << i) != 0 {
                        *c = Some(r.fixed()?);
                    }
                }
                Node::Inner { children: Box::new(children) }
            }
            tag => return Err(DecodeError::UnknownTag { what: "tree node", tag }),
        };
        r.finish()?;
        Ok(node)
    }
}

/// Bit `i` set when child `i` is present.
fn bitmap(children: &[Option<Hash>; 16]) -> u16 {
    children.iter().enumerate().fold(0u16, |b, (i, c)| b | (u16::from(c.is_some()) << i))
}

pub fn leaf_hash(suite: Suite, key: &Hash, value: &Hash) -> Hash {
    suite.hash_parts(&[&[0u8], key, value])
}

/// The child slot (0..16) `key` takes at `depth`.
#[allow(clippy::indexing_slicing)] // Every caller keeps depth < DEPTH_MAX: a 32-byte key has 64 nibbles.
fn nibble(key: &Hash, depth: usize) -> usize {
    let b = key[depth / 2];
    (if depth.is_multiple_of(2) { b >> 4 } else { b & 0x0f }) as usize
}

/// Splits `items`, sorted by key and sharing their first `depth` nibbles,
/// into the 16 runs that go to each child slot at `depth`.
fn runs<T>(items: &[T], depth: usize, key: impl Fn(&T) -> &Hash) -> [&[T]; 16] {
    let mut rest = items;
    let runs = std::array::from_fn(|slot| {
        let n = rest.iter().take_while(|item| nibble(key(item), depth) == slot).count();
        let (run, after) = rest.split_at(n);
        rest = after;
        run
    });
    assert!(rest.is_empty(), "items are sorted by key");
    runs
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TreeError {
    #[error("tree node {} is missing from the store", hex::encode(.0))]
    Missing(Hash),
    #[error("tree node {} is corrupt: {}", hex::encode(.0), .1)]
    Corrupt(Hash, String),
    #[error("store error: {0}")]
    Store(String),
}

/// Where the tree reads its nodes from.
pub trait NodeSource {
    fn node(&self, hash: &Hash) -> Result<Option<Node>, TreeError>;
}

fn load(suite: Suite, src: &dyn NodeSource, h: &Hash) -> Result<Node, TreeError> {
    let n = src.node(h)?.ok_or(TreeError::Missing(*h))?;
    if n.hash(suite) != *h {
        return Err(TreeError::Corrupt(*h, "its content does not hash to its address".into()));
    }
    if let Node::Leaf { key, label, .. } = &n {
        if suite.hash(label) != *key {
            return Err(TreeError::Corrupt(*h, "leaf label does not hash to its key".into()));
        }
    }
    Ok(n)
}

/// A store whose nodes hash right yet nest deeper than a key has nibbles.
fn below_deepest(node: Option<Hash>) -> TreeError {
    TreeError::Corrupt(node.unwrap_or(EMPTY_ROOT), "an inner node below the deepest level".into())
}

/// A change to one key: `Some((value, label))` sets it, `None` removes it.
pub type Change = Option<(Hash, Vec<u8>)>;

/// The result of applying a batch of changes.
pub struct Update {
    pub root: Hash,
    /// Nodes created by the update, to be stored under their hash.
    pub created: Vec<(Hash, Node)>,
}

/// Applies `changes` (sorted by key, as a BTreeMap is) to the tree at `root`.
/// Each touched node is rehashed once per batch, however many keys below it changed.
pub fn apply(
    suite: Suite,
    src: &dyn NodeSource,
    root: &Hash,
    changes: &BTreeMap<Hash, Change>,
) -> Result<Update, TreeError> {
    let items: Vec<(&Hash, &Change)> = changes.iter().collect();
    let mut created = Vec::new();
    let start = if *root == EMPTY_ROOT { None } else { Some(*root) };
    let new = update(suite, src, start, 0, &items, &mut created)?;
    Ok(Update { root: new.map(|(h, _)| h).unwrap_or(EMPTY_ROOT), created })
}

/// A subtree after an update: its hash and whether it is a leaf (an inner
/// node left with a single leaf child collapses into that leaf).
type Sub = Option<(Hash, bool)>;

fn update(
    suite: Suite,
    src: &dyn NodeSource,
    node: Option<Hash>,
    depth: usize,
    changes: &[(&Hash, &Change)],
    created: &mut Vec<(Hash, Node)>,
) -> Result<Sub, TreeError> {
    if changes.is_empty() {
        return match node {
            None => Ok(None),
            Some(h) => Ok(Some((h, matches!(load(suite, src, &h)?, Node::Leaf { .. })))),
        };
    }
    match node.map(|h| load(suite, src, &h)).transpose()? {
        None => build(
            suite,
            depth,
            &changes.iter().filter_map(|(k, c)| c.as_ref().map(|c| (**k, c.clone()))).collect::<Vec<_>>(),
            created,
        ),
        Some(Node::Leaf { key, value, label }) => {
            // Merge the one existing key with the changes, then build afresh.
            let mut items: Vec<(Hash, (Hash, Vec<u8>))> = Vec::with_capacity(changes.len() + 1);
            if !changes.iter().any(|(k, _)| **k == key) {
                items.push((key, (value, label)));
            }
            items.extend(changes.iter().filter_map(|(k, c)| c.as_ref().map(|c| (**k, c.clone()))));
            items.sort_by_key(|item| item.0);
            build(suite, depth, &items, created)
        }
        Some(Node::Inner { mut children }) => {
            if depth >= DEPTH_MAX {
                return Err(below_deepest(node));
            }
            let mut kinds: [Option<bool>; 16] = [None; 16];
            let runs = runs(changes, depth, |(k, _)| k);
            for ((child, kind), run) in children.iter_mut().zip(kinds.iter_mut()).zip(runs) {
                if !run.is_empty() {
                    let sub = update(suite, src, *child, depth + 1, run, created)?;
                    *child = sub.map(|(h, _)| h);
                    *kind = sub.map(|(_, leaf)| leaf);
                }
            }
            finish_inner(suite, src, *children, kinds, created)
        }
    }
}

fn finish_inner(
    suite: Suite,
    src: &dyn NodeSource,
    children: [Option<Hash>; 16],
    kinds: [Option<bool>; 16],
    created: &mut Vec<(Hash, Node)>,
) -> Result<Sub, TreeError> {
    let mut present = children.iter().zip(kinds).filter_map(|(c, kind)| c.map(|h| (h, kind)));
    match (present.next(), present.next()) {
        (None, _) => Ok(None),
        (Some((h, kind)), None) => {
            let is_leaf = match kind {
                Some(k) => k,
                None => matches!(load(suite, src, &h)?, Node::Leaf { .. }),
            };
            if is_leaf {
                // A lone leaf moves up; its hash does not depend on its depth.
                return Ok(Some((h, true)));
            }
            let node = Node::Inner { children: Box::new(children) };
            let hash = node.hash(suite);
            created.push((hash, node));
            Ok(Some((hash, false)))
        }
        _ => {
            let node = Node::Inner { children: Box::new(children) };
            let hash = node.hash(suite);
            created.push((hash, node));
            Ok(Some((hash, false)))
        }
    }
}

/// Builds the canonical subtree for sorted `items` at `depth`.
fn build(
    suite: Suite,
    depth: usize,
    items: &[(Hash, (Hash, Vec<u8>))],
    created: &mut Vec<(Hash, Node)>,
) -> Result<Sub, TreeError> {
    match items {
        [] => Ok(None),
        [(key, (value, label))] => {
            let node = Node::Leaf { key: *key, value: *value, label: label.clone() };
            let hash = node.hash(suite);
            created.push((hash, node));
            Ok(Some((hash, true)))
        }
        _ => {
            assert!(depth < DEPTH_MAX, "two distinct keys share all 64 nibbles");
            let mut children = [None; 16];
            for (child, run) in children.iter_mut().zip(runs(items, depth, |(k, _)| k)) {
                *child = build(suite, depth + 1, run, created)?.map(|(h, _)| h);
            }
            let node = Node::Inner { children: Box::new(children) };
            let hash = node.hash(suite);
            created.push((hash, node));
            Ok(Some((hash, false)))
        }
    }
}

/// Calls `f` with every leaf of the tree at `root`, in key order, checking
/// every node's hash on the way.
pub fn for_each_leaf(
    suite: Suite,
    src: &dyn NodeSource,
    root: &Hash,
    f: &mut dyn FnMut(&Hash, &Hash, &[u8]),
) -> Result<(), TreeError> {
    if *root == EMPTY_ROOT {
        return Ok(());
    }
    match load(suite, src, root)? {
        Node::Leaf { key, value, label } => f(&key, &value, &label),
        Node::Inner { children } => {
            for c in children.iter().flatten() {
                for_each_leaf(suite, src, c, f)?;
            }
        }
    }
    Ok(())
}

/// A Merkle proof that a key has a value, or is absent, under a root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proof {
    /// The inner nodes from the root down, each with all 16 child slots.
    pub path: Vec<[Option<Hash>; 16]>,
    /// Where the path ends: a leaf (the key's, or another key's that proves
    /// absence), or an empty slot.
    pub end: Option<(Hash, Hash)>,
}

pub fn prove(suite: Suite, src: &dyn NodeSource, root: &Hash, key: &Hash) -> Result<Proof, TreeError> {
    let mut path = Vec::new();
    let mut cur = if *root == EMPTY_ROOT { None } else { Some(*root) };
    let mut depth = 0;
    while let Some(h) = cur {
        match load(suite, src, &h)? {
            Node::Leaf { key: k, value, .. } => return Ok(Proof { path, end: Some((k, value)) }),
            Node::Inner { children } => {
                if depth >= DEPTH_MAX {
                    return Err(below_deepest(Some(h)));
                }
                cur = children.get(nibble(key, depth)).copied().flatten();
                path.push(*children);
                depth += 1;
            }
        }
    }
    Ok(Proof { path, end: None })
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("the proof does not match the root")]
pub struct BadProof;

/// Checks `proof` against `root` for `key`: the key's value, or `None` when
/// the proof shows the key is absent.
pub fn verify_proof(suite: Suite, root: &Hash, key: &Hash, proof: &Proof) -> Result<Option<Hash>, BadProof> {
    if proof.path.len() > DEPTH_MAX {
        return Err(BadProof);
    }
    let (mut cur, found) = match proof.end {
        None => (None, None),
        Some((k, v)) => {
            // Another key's leaf proves absence only where that leaf sits on our path.
            let depth = proof.path.len();
            if (0..depth).any(|d| nibble(&k, d) != nibble(key, d)) {
                return Err(BadProof);
            }
            (Some(leaf_hash(suite, &k, &v)), if k == *key { Some(v) } else { None })
        }
    };
    for (depth, slots) in proof.path.iter().enumerate().rev() {
        if slots.get(nibble(key, depth)) != Some(&cur) {
            return Err(BadProof);
        }
        cur = Some(Node::Inner { children: Box::new(*slots) }.hash(suite));
    }
    if cur.unwrap_or(EMPTY_ROOT) != *root {
        return Err(BadProof);
    }
    Ok(found)
}

/// An in-memory node store: for tests, for `verify`'s recomputation, and as
/// the cache in front of the ledger.
#[derive(Default)]
pub struct MemoryNodes {
    pub nodes: std::collections::HashMap<Hash, Node>,
}

impl MemoryNodes {
    pub fn insert_all(&mut self, created: Vec<(Hash, Node)>) {
        self.nodes.extend(created);
    }
}

impl NodeSource for MemoryNodes {
    fn node(&self, hash: &Hash) -> Result<Option<Node>, TreeError> {
        Ok(self.nodes.get(hash).cloned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const S: Suite = Suite::Standard;

    fn key(i: u32) -> Hash {
        S.hash(&i.to_be_bytes())
    }
    fn set(i: u32, v: u32) -> (Hash, Change) {
        (key(i), Some((S.hash(&v.to_le_bytes()), i.to_be_bytes().to_vec())))
    }

    fn apply_in_batches(batches: &[Vec<(Hash, Change)>]) -> (Hash, MemoryNodes) {
        let mut store = MemoryNodes::default();
        let mut root = EMPTY_ROOT;
        for b in batches {
            let changes: BTreeMap<Hash, Change> = b.iter().cloned().collect();
            let up = apply(S, &store, &root, &changes).unwrap();
            store.insert_all(up.created);
            root = up.root;
        }
        (root, store)
    }

    #[test]
    fn empty_and_single() {
        let (r, _) = apply_in_batches(&[vec![]]);
        assert_eq!(r, EMPTY_ROOT);
        let (r1, _) = apply_in_batches(&[vec![set(1, 1)]]);
        assert_eq!(r1, leaf_hash(S, &key(1), &S.hash(&1u32.to_le_bytes())));
        let (r2, _) = apply_in_batches(&[vec![set(1, 1)], vec![(key(1), None)]]);
        assert_eq!(r2, EMPTY_ROOT);
    }

    /// The same contents under SM3: another root, proofs checked with SM3.
    #[test]
    fn the_sm_suite_hashes_the_tree_with_sm3() {
        // A leaf's key is its suite's hash of its label.
        let sm_key = |i: u32| Suite::Sm.hash(&i.to_be_bytes());
        let sm_changes: BTreeMap<Hash, Change> = (0..20).map(|i| (sm_key(i), set(i, i * 3).1)).collect();
        let std_changes: BTreeMap<Hash, Change> = (0..20).map(|i| set(i, i * 3)).collect();
        let std = apply(S, &MemoryNodes::default(), &EMPTY_ROOT, &std_changes).unwrap();
        let mut store = MemoryNodes::default();
        let sm = apply(Suite::Sm, &store, &EMPTY_ROOT, &sm_changes).unwrap();
        assert_ne!(sm.root, std.root);
        store.insert_all(sm.created);
        let proof = prove(Suite::Sm, &store, &sm.root, &sm_key(7)).unwrap();
        assert_eq!(verify_proof(Suite::Sm, &sm.root, &sm_key(7), &proof), Ok(Some(S.hash(&21u32.to_le_bytes()))));
        assert_eq!(verify_proof(S, &sm.root, &sm_key(7), &proof), Err(BadProof));
        // Loading under the wrong suite finds the nodes corrupt.
        assert!(prove(S, &store, &sm.root, &sm_key(7)).is_err());
    }

    #[test]
    fn keys_sharing_a_long_prefix() {
        // Two keys that share 63 nibbles force the deepest path.
        let a = [0x11u8; 32];
        let mut b = a;
        b[31] = 0x12;
        let mk = |k: Hash| (k, Some((k, vec![])));
        let mut store = MemoryNodes::default();
        let changes: BTreeMap<Hash, Change> = [mk(a), mk(b)].into_iter().collect();
        let up = apply(S, &store, &EMPTY_ROOT, &changes).unwrap();
        // 63 shared nibbles: inner nodes at depths 0..=63, then two leaves.
        assert_eq!(up.created.len(), 64 + 2);
        store.insert_all(up.created);
        // Removing one key collapses the whole path back into a single leaf.
        let del: BTreeMap<Hash, Change> = [(b, None)].into_iter().collect();
        let up = apply(S, &store, &up.root, &del);
        assert!(up.is_err(), "labels here do not hash to keys, so loading the leaf must be refused");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// The root depends only on the final contents, not on the order or
        /// the grouping of the changes that produced them.
        #[test]
        fn root_is_independent_of_order(ops in proptest::collection::vec((0u32..60, proptest::option::of(0u32..5)), 1..120),
                                        split in 1usize..10, seed in any::<u64>()) {
            let ops: Vec<(Hash, Change)> = ops.into_iter()
                .map(|(k, v)| match v { Some(v) => set(k, v), None => (key(k), None) })
                .collect();
            // Sequential application in `split`-sized batches.
            let batches: Vec<Vec<(Hash, Change)>> = ops.chunks(split).map(|c| {
                // Within one batch the last change to a key wins.
                let m: BTreeMap<Hash, Change> = c.iter().cloned().collect();
                m.into_iter().collect()
            }).collect();
            let (r1, _) = apply_in_batches(&batches);
            // The final contents, inserted in a shuffled order one at a time.
            let mut last: BTreeMap<Hash, Change> = BTreeMap::new();
            for (k, c) in &ops { last.insert(*k, c.clone()); }
            let mut finals: Vec<(Hash, Change)> = last.into_iter().filter(|(_, c)| c.is_some()).collect();
            let mut s = seed;
            for i in (1..finals.len()).rev() {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                finals.swap(i, (s >> 33) as usize % (i + 1));
            }
            let one_by_one: Vec<Vec<(Hash, Change)>> = finals.iter().map(|c| vec![c.clone()]).collect();
            let (r2, _) = apply_in_batches(&one_by_one);
            prop_assert_eq!(r1, r2);
        }

        #[test]
        fn proofs_verify_and_fail_when_altered(n in 1u32..80, probe in 0u32..120, flip in 0usize..32) {
            let (root, store) = apply_in_batches(&[(0..n).map(|i| set(i, i * 7)).collect()]);
            let k = key(probe);
            let proof = prove(S, &store, &root, &k).unwrap();
            let got = verify_proof(S, &root, &k, &proof).unwrap();
            if probe < n {
                prop_assert_eq!(got, Some(S.hash(&(probe * 7).to_le_bytes())));
            } else {
                prop_assert_eq!(got, None);
            }
            // A wrong value, a wrong root, or an altered sibling must all fail.
            if let Some((pk, v)) = proof.end {
                let mut bad = proof.clone();
                let mut v2 = v; v2[flip] ^= 1;
                bad.end = Some((pk, v2));
                prop_assert_eq!(verify_proof(S, &root, &k, &bad), Err(BadProof));
            }
            let mut bad_root = root; bad_root[flip] ^= 1;
            prop_assert_eq!(verify_proof(S, &bad_root, &k, &proof), Err(BadProof));
            if let Some(level) = proof.path.first() {
                let mut bad = proof.clone();
                if let Some(slot) = (0..16).find(|i| level[*i].is_some()) {
                    let mut h = level[slot].unwrap(); h[flip] ^= 1;
                    bad.path[0][slot] = Some(h);
                    prop_assert_eq!(verify_proof(S, &root, &k, &bad), Err(BadProof));
                }
            }
        }
    }

    #[test]
    fn every_leaf_is_visited_and_corruption_is_caught() {
        let (root, mut store) = apply_in_batches(&[(0..50).map(|i| set(i, i)).collect()]);
        let mut n = 0;
        for_each_leaf(S, &store, &root, &mut |_, _, _| n += 1).unwrap();
        assert_eq!(n, 50);
        let victim = *store.nodes.keys().find(|h| matches!(store.nodes[*h], Node::Leaf { .. })).unwrap();
        if let Some(Node::Leaf { value, .. }) = store.nodes.get_mut(&victim) {
            value[0] ^= 1;
        }
        assert!(matches!(for_each_leaf(S, &store, &root, &mut |_, _, _| {}), Err(TreeError::Corrupt(..))));
    }
}
