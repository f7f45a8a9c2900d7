//! SessionStore: sessions by id, their idle TTL and owner, and the limits on how many exist.
//! Plain std types (no tokio): the service drives expiry by calling `reap` on a timer.

use super::{Session, Usage};
use crate::error::{Error, Result};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

#[derive(Clone, Debug)]
pub struct StoreConfig {
    /// Idle TTL when the client does not choose one.
    pub default_ttl: Duration,
    /// Upper bound on a client-chosen TTL.
    pub max_ttl: Duration,
    /// Most sessions alive at once (all principals).
    pub max_sessions: usize,
    /// Most sessions alive at once for one principal.
    pub max_sessions_per_principal: usize,
    /// Bytes of tensor data one session may hold (refs, variables, tapes' saved tensors).
    pub session_memory_bytes: usize,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            default_ttl: Duration::from_secs(600),
            max_ttl: Duration::from_secs(24 * 3600),
            max_sessions: 10_000,
            max_sessions_per_principal: 1_000,
            session_memory_bytes: 1 << 30,
        }
    }
}

type SessionMutex = parking_lot::Mutex<Session>;

/// A lock on a session that may be sent to another thread (and unlocked there).
pub type SessionGuard = parking_lot::ArcMutexGuard<parking_lot::RawMutex, Session>;

/// One session and its bookkeeping. `session` is locked for the duration of one request, so
/// requests on one session run one after another while different sessions run in parallel.
#[derive(Debug)]
pub struct SessionCell {
    pub id: String,
    pub principal: String,
    pub ttl: Duration,
    /// Locked for a whole request. An owned (Arc) guard can move from the thread that
    /// decoded the request to a compute thread without unlocking in between.
    session: Arc<SessionMutex>,
    last_used: Mutex<Instant>,
    /// Usage as last counted, and whether a request ran since (read by Session.info and
    /// metrics, which count again only if the session is idle, so they never wait on a Run).
    last_usage: Mutex<(Usage, bool)>,
}

impl SessionCell {
    /// Renews the TTL.
    pub fn touch(&self) {
        *lock(&self.last_used) = Instant::now();
    }

    pub fn expires_in(&self) -> Duration {
        let used = *lock(&self.last_used);
        self.ttl.saturating_sub(used.elapsed())
    }

    pub fn lock(&self) -> SessionGuard {
        self.session.lock_arc()
    }

    /// The session if no request holds it.
    pub fn try_lock(&self) -> Option<SessionGuard> {
        self.session.try_lock_arc()
    }

    /// Notes that a request changed the session: the next `last_usage` counts again. Counting
    /// is O(session) (refs, variables, every tape's saved tensors), too much for every Run.
    pub fn usage_changed(&self) {
        lock(&self.last_usage).1 = true;
    }

    /// The session's usage: counted now if a request changed it since the last count and no
    /// request holds it; otherwise the last count (during a Run: as of the request before it).
    pub fn last_usage(&self) -> Usage {
        let (u, stale) = *lock(&self.last_usage);
        if !stale {
            return u;
        }
        let Some(mut session) = self.try_lock() else {
            return u;
        };
        let fresh = session.refresh_usage();
        // Under the session lock: no request can mark it changed between the count and this.
        *lock(&self.last_usage) = (fresh, false);
        fresh
    }
}

/// Locks a mutex, recovering from poisoning: a panic while holding it must not take the
/// server down with it (the data is still structurally valid).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[derive(Debug, Default)]
pub struct SessionStore {
    config: StoreConfig,
    sessions: Mutex<HashMap<String, Arc<SessionCell>>>,
}

/// A random 128-bit id as 32 hex characters.
pub fn new_session_id() -> String {
    format!("{:032x}", rand::random::<u128>())
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.:-".contains(&b))
}

impl SessionStore {
    pub fn new(config: StoreConfig) -> SessionStore {
        SessionStore {
            config,
            sessions: Mutex::new(HashMap::new()),
        }
    }

    pub fn config(&self) -> &StoreConfig {
        &self.config
    }

    /// Creates a session owned by `principal`; `id` empty = generated; `ttl` zero = default.
    pub fn create(&self, id: &str, ttl: Duration, principal: &str) -> Result<Arc<SessionCell>> {
        let id = if id.is_empty() {
            new_session_id()
        } else if valid_id(id) {
            id.to_string()
        } else {
            return Err(Error::InvalidArgument(format!(
                "session id {id:?} must be 1..=128 characters of [A-Za-z0-9_.:-]"
            )));
        };
        let ttl = if ttl.is_zero() {
            self.config.default_ttl
        } else {
            ttl.min(self.config.max_ttl)
        };
        let mut map = lock(&self.sessions);
        if map.contains_key(&id) {
            return Err(Error::AlreadyExists(format!("session {id:?} already exists")));
        }
        let mine = map.values().filter(|c| c.principal == principal).count();
        if mine >= self.config.max_sessions_per_principal {
            return Err(Error::ResourceExhausted(format!(
                "principal {principal:?} has {mine} sessions, the limit is {}: delete some or wait for them to expire",
                self.config.max_sessions_per_principal
            )));
        }
        if map.len() >= self.config.max_sessions {
            return Err(Error::ResourceExhausted(format!(
                "too many sessions ({} of {}): delete some or wait for them to expire",
                map.len(),
                self.config.max_sessions
            )));
        }
        let cell = Arc::new(SessionCell {
            id: id.clone(),
            principal: principal.to_string(),
            ttl,
            session: Arc::new(SessionMutex::new(Session::with_budget(
                self.config.session_memory_bytes,
            ))),
            last_used: Mutex::new(Instant::now()),
            last_usage: Mutex::new((Usage::default(), false)),
        });
        map.insert(id, cell.clone());
        Ok(cell)
    }

    /// The session with `id` owned by `principal`, its TTL renewed. Another principal's
    /// session is NOT_FOUND, exactly like a missing one (no existence oracle).
    pub fn get(&self, id: &str, principal: &str) -> Result<Arc<SessionCell>> {
        let map = lock(&self.sessions);
        match map.get(id) {
            Some(c) if c.principal == principal && !c.expires_in().is_zero() => {
                c.touch();
                Ok(c.clone())
            }
            _ => Err(Error::NotFound(format!(
                "session {id:?} not found (deleted, expired or never created)"
            ))),
        }
    }

    /// Deletes a session; true if one was deleted. Idempotent.
    pub fn delete(&self, id: &str, principal: &str) -> bool {
        let mut map = lock(&self.sessions);
        match map.get(id) {
            Some(c) if c.principal == principal => map.remove(id).is_some(),
            _ => false,
        }
    }

    /// Frees every expired session; returns how many.
    pub fn reap(&self) -> usize {
        let mut map = lock(&self.sessions);
        let before = map.len();
        // A session busy with a request is never reaped under it; the request renews it.
        map.retain(|_, c| !c.expires_in().is_zero() || c.session.is_locked());
        before - map.len()
    }

    pub fn len(&self) -> usize {
        lock(&self.sessions).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// All live sessions (for metrics).
    pub fn cells(&self) -> Vec<Arc<SessionCell>> {
        lock(&self.sessions).values().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::Step;
    use crate::tensor::{DType, Tensor};

    fn constant(cell: &SessionCell, name: &str) {
        let mut s = cell.lock();
        s.run_step(Step::Constant {
            name: name.into(),
            value: Tensor::scalar(DType::F32, 1.0),
        })
        .expect("constant");
        cell.usage_changed();
    }

    /// Usage is counted when asked for, not at the end of every request, and asking never
    /// waits for a request that holds the session: it gets the last count instead.
    #[test]
    fn usage_is_counted_on_demand_and_never_waits_for_a_run() {
        let store = SessionStore::default();
        let cell = store.create("", Duration::ZERO, "p").expect("create");
        assert_eq!(cell.last_usage().refs, 0);
        constant(&cell, "a");
        assert_eq!((cell.last_usage().refs, cell.last_usage().bytes), (1, 4));
        constant(&cell, "b");
        let held = cell.lock();
        // A request holds the session: the count from before it, at once.
        assert_eq!(cell.last_usage().refs, 1);
        drop(held);
        assert_eq!((cell.last_usage().refs, cell.last_usage().bytes), (2, 8));
    }
}
