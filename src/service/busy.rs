//! Busy polling, opt-in (`gradd serve --busy-poll MICROS`): for a window after each request
//! starts and ends, a task keeps the reactor thread polling its sockets instead of sleeping.
//!
//! Why: on small and virtual machines, a thread that sleeps in `epoll_wait` (and the idle CPU
//! under it) takes tens of microseconds to wake, more the longer it slept. An interactive
//! client (a notebook cell: some Python, one Run, some Python, the next Run) pays that on
//! every request. Measured on sessions 1-10's 2-core Xeon VM with the Python client: the seed cell
//! went from about 500 to 330 us per iteration, KeepAlive 166 -> 133 us (README, performance).
//!
//! How: `run` loops on `tokio::task::yield_now` while the window is open. A yielded task is
//! deferred until the worker has polled the I/O driver without blocking, so every turn of the
//! loop is one non-blocking poll of the sockets. After the window the task sleeps on a
//! `Notify` that the next request wakes, so an idle server uses no CPU.
//!
//! Each turn also yields the CPU to the OS (`sched_yield`, which returns at once when nothing
//! else waits for this core). A client on the same small machine (the Python client and its
//! gRPC threads on 2 cores) otherwise waited for the spinning thread's time slice: on session
//! 12's 2-core AMD VM the seed cell took 1423-1862 us with the spin against 700-769 us
//! without busy polling, and 692-772 us with the yield.
//!
//! The spinning worker must be the one that owns the I/O driver, which tokio gives only a
//! runtime with one worker thread (`gradd serve` builds that when busy polling is on; compute
//! runs on the blocking pool and rayon either way). With more workers an idle one parks in
//! the driver and takes the wake-ups: the loop then only burns CPU.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// The shared state: when the last request started or ended, and the sleeping poller's bell.
#[derive(Debug)]
pub struct BusyPoll {
    window_ns: u64,
    origin: Instant,
    /// Nanoseconds since `origin` of the last `touch`.
    last: AtomicU64,
    wake: Notify,
    /// Turns of the spin loop so far (a diagnostic: tests check that it stops when idle).
    turns: AtomicU64,
}

impl BusyPoll {
    pub fn new(window: Duration) -> Arc<BusyPoll> {
        Arc::new(BusyPoll {
            window_ns: u64::try_from(window.as_nanos()).unwrap_or(u64::MAX),
            origin: Instant::now(),
            last: AtomicU64::new(0),
            wake: Notify::new(),
            turns: AtomicU64::new(0),
        })
    }

    fn now_ns(&self) -> u64 {
        u64::try_from(self.origin.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    /// Marks request activity: the window opens (again) from now, and a sleeping poller wakes.
    pub fn touch(&self) {
        self.last.store(self.now_ns(), Ordering::Relaxed);
        // Stores a permit when nobody waits: `run` then takes one extra turn, finds the window
        // open or closed, and acts on that; no wake-up is ever lost.
        self.wake.notify_one();
    }

    /// Whether the window is open at `now_ns` (nanoseconds since `origin`).
    fn open_at(&self, now_ns: u64) -> bool {
        now_ns.saturating_sub(self.last.load(Ordering::Relaxed)) < self.window_ns
    }

    /// Turns the spin loop has taken so far.
    pub fn turns(&self) -> u64 {
        self.turns.load(Ordering::Relaxed)
    }

    /// The poller: spins (yielding to every other task) while the window is open, sleeps
    /// otherwise. Runs until the runtime shuts down.
    pub async fn run(self: Arc<Self>) {
        loop {
            while self.open_at(self.now_ns()) {
                self.turns.fetch_add(1, Ordering::Relaxed);
                // A syscall that never blocks: it only lets a waiting thread have the core.
                std::thread::yield_now();
                tokio::task::yield_now().await;
            }
            self.wake.notified().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_opens_at_each_touch_and_closes_after_it() {
        let b = BusyPoll::new(Duration::from_micros(500));
        b.touch();
        let t = b.last.load(Ordering::Relaxed);
        assert!(b.open_at(t));
        assert!(b.open_at(t + 499_999));
        assert!(!b.open_at(t + 500_000));
        assert!(!b.open_at(t + 10_000_000_000));
        // A clock reading from before the touch (another thread's) counts as open.
        assert!(b.open_at(t.saturating_sub(1)));
    }

    #[test]
    fn a_zero_window_never_spins() {
        let b = BusyPoll::new(Duration::ZERO);
        b.touch();
        assert!(!b.open_at(b.last.load(Ordering::Relaxed)));
    }

    /// The poller spins through the window, then sleeps (no turns while idle), and each touch
    /// wakes it for another window.
    #[tokio::test(flavor = "current_thread")]
    async fn the_poller_spins_in_the_window_sleeps_after_it_and_wakes_on_a_touch() {
        let b = BusyPoll::new(Duration::from_millis(5));
        let task = tokio::spawn(b.clone().run());
        let mut before = b.turns();
        for round in 0..3 {
            b.touch();
            tokio::time::sleep(Duration::from_millis(30)).await;
            let spun = b.turns();
            assert!(spun > before, "round {round}: no turns in the window");
            tokio::time::sleep(Duration::from_millis(30)).await;
            assert_eq!(b.turns(), spun, "round {round}: still spinning after the window");
            before = spun;
        }
        task.abort();
    }
}
