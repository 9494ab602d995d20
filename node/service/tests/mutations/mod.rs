//! What the fuzz targets share: proptest settings that a campaign scales
//! with `PROPTEST_CASES`, and the mutations that turn a valid seed into
//! near-valid input (bytes flipped, inserted, deleted, truncated, forged
//! length prefixes; text with awkward characters at awkward offsets).
//!
//! Included by `node/service/tests/fuzz.rs` and, by path, by
//! `proxy/rpc/tests/fuzz.rs`; each uses a part of it.
#![allow(dead_code)]

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::Config as RunnerConfig;

/// Cases for a target: `PROPTEST_CASES` when set, else the target's default.
pub fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

pub fn runner_config(default_cases: u32) -> RunnerConfig {
    RunnerConfig { cases: cases(default_cases), ..RunnerConfig::default() }
}

// ---------------------------------------------------------------------------
// Mutations

/// One change to a byte string.
#[derive(Debug, Clone)]
pub enum Mutation {
    Flip(Index, u8),
    Set(Index, u8),
    Insert(Index, Vec<u8>),
    Delete(Index, usize),
    Truncate(Index),
    /// Overwrites four bytes with a big-endian count, as a forged length prefix.
    Length(Index, u32),
}

pub fn mutation() -> impl Strategy<Value = Mutation> {
    let length = prop_oneof![
        Just(u32::MAX),
        Just(0x8000_0000),
        Just(0x7fff_ffff),
        Just(0x8000_0001),
        Just(1 << 20),
        Just(1025),
        any::<u32>(),
        0u32..64,
    ];
    prop_oneof![
        (any::<Index>(), 1u8..).prop_map(|(i, m)| Mutation::Flip(i, m)),
        (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::Set(i, b)),
        (any::<Index>(), proptest::collection::vec(any::<u8>(), 1..8)).prop_map(|(i, b)| Mutation::Insert(i, b)),
        (any::<Index>(), 1usize..16).prop_map(|(i, n)| Mutation::Delete(i, n)),
        any::<Index>().prop_map(Mutation::Truncate),
        (any::<Index>(), length).prop_map(|(i, n)| Mutation::Length(i, n)),
    ]
}

pub fn mutate(seed: &[u8], mutations: &[Mutation]) -> Vec<u8> {
    let mut b = seed.to_vec();
    for m in mutations {
        let len = b.len();
        match m {
            Mutation::Insert(i, bytes) => {
                let at = i.index(len + 1);
                b.splice(at..at, bytes.iter().copied());
            }
            _ if len == 0 => {}
            Mutation::Flip(i, mask) => b[i.index(len)] ^= mask,
            Mutation::Set(i, v) => b[i.index(len)] = *v,
            Mutation::Delete(i, n) => {
                let at = i.index(len);
                b.drain(at..(at + n).min(len));
            }
            Mutation::Truncate(i) => b.truncate(i.index(len)),
            Mutation::Length(i, n) => {
                let at = i.index(len);
                for (dst, src) in b[at..].iter_mut().zip(n.to_be_bytes()) {
                    *dst = src;
                }
            }
        }
    }
    b
}

/// Arbitrary bytes, or one of `seeds` mutated.
pub fn bytes_from(seeds: Vec<Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        1 => proptest::collection::vec(any::<u8>(), 0..400),
        4 => (proptest::sample::select(seeds), proptest::collection::vec(mutation(), 1..6))
            .prop_map(|(seed, ms)| mutate(&seed, &ms)),
    ]
}

/// Characters that break byte-offset assumptions: multi-byte letters,
/// combining marks, emoji, and the ASCII that separates SQL, JSON and TOML.
pub const AWKWARD: &[&str] = &[
    "Ü",
    "ß",
    "é",
    "e\u{301}",
    "日本",
    "😀",
    "\u{feff}",
    "\u{0}",
    "'",
    "\"",
    ";",
    "--",
    "/*",
    "*/",
    "\\",
    "$$",
    "\n",
    " ",
    "-",
    "+",
    ":",
    ".",
    "T",
    "Z",
    "=",
    "[",
    "]",
    "{",
    "}",
    "#",
    ",",
    "0",
    "9",
    "99999999999999999999",
];

/// One change to a text.
#[derive(Debug, Clone)]
pub enum TextMutation {
    Insert(Index, String),
    Delete(Index, usize),
    Truncate(Index),
    /// Replaces what follows the first `=` of a line.
    Value(Index, String),
    DuplicateLine(Index),
    DeleteLine(Index),
}

pub fn awkward_text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => proptest::sample::select(AWKWARD).prop_map(str::to_string),
        1 => ".{0,6}",
    ]
}

pub fn text_mutation() -> impl Strategy<Value = TextMutation> {
    let value = prop_oneof![
        Just("0".to_string()),
        Just("-1".to_string()),
        Just("9223372036854775807".to_string()),
        Just("18446744073709551616".to_string()),
        Just("1e400".to_string()),
        Just("\"\"".to_string()),
        Just("\"Ü\"".to_string()),
        Just("\"10.0.0.0/33\"".to_string()),
        Just("[]".to_string()),
        Just("{}".to_string()),
        Just("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]".to_string()),
        Just("true".to_string()),
        awkward_text(),
    ];
    prop_oneof![
        3 => (any::<Index>(), awkward_text()).prop_map(|(i, s)| TextMutation::Insert(i, s)),
        1 => (any::<Index>(), 1usize..8).prop_map(|(i, n)| TextMutation::Delete(i, n)),
        1 => any::<Index>().prop_map(TextMutation::Truncate),
        2 => (any::<Index>(), value).prop_map(|(i, v)| TextMutation::Value(i, v)),
        1 => any::<Index>().prop_map(TextMutation::DuplicateLine),
        1 => any::<Index>().prop_map(TextMutation::DeleteLine),
    ]
}

pub fn mutate_text(seed: &str, mutations: &[TextMutation]) -> String {
    let mut s = seed.to_string();
    for m in mutations {
        let chars: Vec<(usize, char)> = s.char_indices().collect();
        let at = |i: &Index| chars.get(i.index(chars.len() + 1)).map_or(s.len(), |(b, _)| *b);
        let mut lines: Vec<String> = s.lines().map(str::to_string).collect();
        match m {
            TextMutation::Insert(i, text) => s.insert_str(at(i), text),
            TextMutation::Delete(i, n) => {
                let from = at(i);
                let to = chars.iter().map(|(b, _)| *b).filter(|b| *b > from).nth(n - 1).unwrap_or(s.len());
                s.replace_range(from..to, "");
            }
            TextMutation::Truncate(i) => s.truncate(at(i)),
            _ if lines.is_empty() => {}
            TextMutation::Value(i, v) => {
                let n = i.index(lines.len());
                let line = &mut lines[n];
                if let Some((key, _)) = line.split_once('=') {
                    *line = format!("{key}= {v}");
                }
                s = lines.join("\n");
            }
            TextMutation::DuplicateLine(i) => {
                let n = i.index(lines.len());
                lines.insert(n, lines[n].clone());
                s = lines.join("\n");
            }
            TextMutation::DeleteLine(i) => {
                lines.remove(i.index(lines.len()));
                s = lines.join("\n");
            }
        }
    }
    s
}

/// Arbitrary text, or one of `seeds` mutated.
pub fn text_from(seeds: Vec<String>) -> impl Strategy<Value = String> {
    prop_oneof![
        1 => ".{0,200}",
        4 => (proptest::sample::select(seeds), proptest::collection::vec(text_mutation(), 1..5))
            .prop_map(|(seed, ms)| mutate_text(&seed, &ms)),
    ]
}
