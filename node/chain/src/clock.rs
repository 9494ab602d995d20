//! Time as the chain's moving parts see it. Consensus never reads it (block
//! times are in the blocks); the pool reads it to decide when to cut a block.
//! Tests drive a [`ManualClock`].

use parking_lot::Mutex;
use std::time::{Duration, Instant};

pub trait Clock: Send + Sync {
    /// A monotonic instant, for timeouts.
    fn now(&self) -> Instant;
}

/// The operating system's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
}

/// Milliseconds since the Unix epoch (0 if the system clock is before it):
/// the wall time the producer stamps blocks with.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// A clock that moves only when told to.
#[derive(Debug)]
pub struct ManualClock {
    start: Instant,
    elapsed: Mutex<Duration>,
}

impl Default for ManualClock {
    fn default() -> Self {
        ManualClock { start: Instant::now(), elapsed: Mutex::new(Duration::ZERO) }
    }
}

impl ManualClock {
    pub fn advance(&self, by: Duration) {
        *self.elapsed.lock() += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        self.start + *self.elapsed.lock()
    }
}
