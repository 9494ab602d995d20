//! What one ed25519 signature check costs, in µs per signature, under the
//! rule rowchain used before ZIP-215 (ed25519-dalek: `verify_strict` alone,
//! its cofactorless `verify_batch` in batches) and under the one it uses now
//! (`node_core::crypto::verify` and `verify_batch`, ZIP-215 by ed25519-consensus).
//!
//! Below, the same for the `sm` suite's SM2, and what signing costs in each.
//!
//! Run: `cargo bench --workspace --bench signatures` (release profile, one
//! thread, CPU time). `cargo test --all-targets` runs it once through as a
//! smoke test.

use node_core::crypto::{self, PublicKey, SecretKey, Suite};
use std::hint::black_box;
use std::time::Duration;

const BATCH_SIZES: [usize; 4] = [1, 8, 64, 256];

const SAMPLES: usize = 7;

/// More signers than `crypto::verify` keeps decoded keys for (4096), so each
/// of their checks decodes the key.
const SIGNERS_PAST_THE_CACHE: usize = 8192;

type Item = (PublicKey, Vec<u8>, [u8; 64]);

/// A way to check a batch of signatures, and one signature.
type BatchCheck = fn(&[Item]) -> bool;
type SingleCheck = fn(&Item) -> bool;

fn main() {
    let measuring = std::env::args().any(|a| a == "--bench");
    let min_time = if measuring { Duration::from_millis(60) } else { Duration::ZERO };
    println!("ed25519 verification, µs per signature (thread CPU time, fastest of {SAMPLES} samples)");
    println!("{:<44}{:>9}{:>9}{:>9}{:>9}", "batch size", 1, 8, 64, 256);
    for (signers, label) in [(usize::MAX, "distinct signers"), (1, "one signer")] {
        println!("batch, {label}");
        let rows: [(&str, BatchCheck); 2] =
            [("  dalek verify_batch (before)", dalek_batch), ("  ZIP-215 crypto::verify_batch (now)", zip215_batch)];
        for (name, check) in rows {
            let cells: Vec<f64> = BATCH_SIZES
                .iter()
                .map(|&n| {
                    let items = signed(n, signers.min(n));
                    per_signature(min_time, n, || assert!(check(black_box(&items))))
                })
                .collect();
            row(name, &cells);
        }
    }
    println!("single verify{:>31}{:>9}{:>9}", "signers: 1", 256, SIGNERS_PAST_THE_CACHE);
    let rows: [(&str, SingleCheck); 2] =
        [("  dalek verify_strict (before)", dalek_single), ("  ZIP-215 crypto::verify (now)", zip215_single)];
    for (name, check) in rows {
        let cells: Vec<f64> = [1, 256, SIGNERS_PAST_THE_CACHE]
            .iter()
            .map(|&signers| {
                let items = signed(SIGNERS_PAST_THE_CACHE, signers);
                let mut next = items.iter().cycle();
                per_signature(min_time, 1, || {
                    let item = next.next().expect("cycle never ends");
                    assert!(check(black_box(item)))
                })
            })
            .collect();
        row(name, &cells);
    }
    // The sm suite's SM2 (no batch equation: a batch is checked one by one).
    println!("SM2 (sm suite){:>30}{:>9}{:>9}", "signers: 1", 256, SIGNERS_PAST_THE_CACHE);
    let cells: Vec<f64> = [1, 256, SIGNERS_PAST_THE_CACHE]
        .iter()
        .map(|&signers| {
            let items = signed_in(Suite::Sm, SIGNERS_PAST_THE_CACHE, signers);
            let mut next = items.iter().cycle();
            per_signature(min_time, 1, || {
                let item = next.next().expect("cycle never ends");
                assert!(crypto::verify(&item.0, &item.1, black_box(&item.2)))
            })
        })
        .collect();
    row("  SM2 crypto::verify", &cells);
    println!("signing, µs per signature{:>19}{:>9}", "standard", "sm");
    let cells: Vec<f64> = Suite::ALL
        .iter()
        .map(|suite| {
            let key = suite.generate_key();
            per_signature(min_time, 1, || {
                black_box(key.sign(black_box(b"a tx hash of 32 bytes, or about")));
            })
        })
        .collect();
    row("  SecretKey::sign", &cells);
}

/// `count` signatures of distinct messages by `signers` keys in turn.
fn signed(count: usize, signers: usize) -> Vec<Item> {
    signed_in(Suite::Standard, count, signers)
}

fn signed_in(suite: Suite, count: usize, signers: usize) -> Vec<Item> {
    let keys: Vec<SecretKey> = (0..signers.min(count) as u64)
        .map(|i| {
            let mut seed = [7u8; 32];
            seed[..8].copy_from_slice(&i.to_le_bytes());
            suite.secret_key(&seed).expect("a valid key")
        })
        .collect();
    (0..count)
        .map(|i| {
            let key = &keys[i % keys.len()];
            let msg = format!("tx {i}").into_bytes();
            let sig = key.sign(&msg);
            (key.public(), msg, sig)
        })
        .collect()
}

/// Runs `round` (checking `per_round` signatures) in `SAMPLES` samples of at
/// least `min_time` each, after one warm-up round, and returns µs per
/// signature of the fastest sample. Time is this thread's CPU time, and the
/// fastest sample is kept, so that other work on a shared machine (the
/// project's is 2 cores) does not count.
fn per_signature(min_time: Duration, per_round: usize, mut round: impl FnMut()) -> f64 {
    round();
    (0..SAMPLES)
        .map(|_| {
            let start = thread_cpu_time();
            let mut rounds = 0usize;
            while rounds == 0 || thread_cpu_time() - start < min_time {
                round();
                rounds += 1;
            }
            (thread_cpu_time() - start).as_secs_f64() * 1e6 / (rounds * per_round) as f64
        })
        .fold(f64::INFINITY, f64::min)
}

fn thread_cpu_time() -> Duration {
    let mut t = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `t` is a valid timespec for the call to write.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

fn row(name: &str, cells: &[f64]) {
    let cells: String = cells.iter().map(|c| format!("{c:>9.2}")).collect();
    println!("{name:<44}{cells}");
}

/// What `crypto::verify_batch` did before ZIP-215: decode every key, then
/// dalek's cofactorless batch equation.
fn dalek_batch(items: &[Item]) -> bool {
    let mut keys = Vec::with_capacity(items.len());
    for (key, _, _) in items {
        match ed25519_dalek::VerifyingKey::from_bytes(key.as_bytes().try_into().expect("an ed25519 key")) {
            Ok(vk) if !vk.is_weak() => keys.push(vk),
            _ => return false,
        }
    }
    let msgs: Vec<&[u8]> = items.iter().map(|(_, m, _)| m.as_slice()).collect();
    let sigs: Vec<ed25519_dalek::Signature> =
        items.iter().map(|(_, _, s)| ed25519_dalek::Signature::from_bytes(s)).collect();
    ed25519_dalek::verify_batch(&msgs, &sigs, &keys).is_ok()
}

fn zip215_batch(items: &[Item]) -> bool {
    let items: Vec<(PublicKey, &[u8], [u8; 64])> = items.iter().map(|(k, m, s)| (*k, m.as_slice(), *s)).collect();
    crypto::verify_batch(&items).iter().all(|ok| *ok)
}

/// What `crypto::verify` did before ZIP-215.
fn dalek_single((key, msg, sig): &Item) -> bool {
    ed25519_dalek::VerifyingKey::from_bytes(key.as_bytes().try_into().expect("an ed25519 key"))
        .is_ok_and(|vk| vk.verify_strict(msg, &ed25519_dalek::Signature::from_bytes(sig)).is_ok())
}

fn zip215_single((key, msg, sig): &Item) -> bool {
    crypto::verify(key, msg, sig)
}
