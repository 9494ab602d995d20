//! Time as the chain's moving parts see it. Consensus never reads it (block
//! times are in the blocks); the pool reads it to decide when to cut a block
//! and the producer to stamp one. Tests drive a [`ManualClock`].

use parking_lot::Mutex;
use std::time::{Duration, Instant};

pub trait Clock: Send + Sync {
    /// A monotonic instant, for timeouts.
    fn now(&self) -> Instant;
    /// Milliseconds since the Unix epoch, for block timestamps.
    fn wall_ms(&self) -> u64;
}

/// The operating system's clocks.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }

    fn wall_ms(&self) -> u64 {
        now_ms()
    }
}

/// Milliseconds since the Unix epoch (0 if the system clock is before it).
pub fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// A clock that moves only when told to.
#[derive(Debug)]
pub struct ManualClock {
    start: Instant,
    wall_start_ms: u64,
    elapsed: Mutex<Duration>,
}

impl ManualClock {
    pub fn new(wall_start_ms: u64) -> Self {
        ManualClock { start: Instant::now(), wall_start_ms, elapsed: Mutex::new(Duration::ZERO) }
    }

    pub fn advance(&self, by: Duration) {
        *self.elapsed.lock() += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        self.start + *self.elapsed.lock()
    }

    fn wall_ms(&self) -> u64 {
        self.wall_start_ms + self.elapsed.lock().as_millis() as u64
    }
}
