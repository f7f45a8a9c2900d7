//! Tape: what one `tf.GradientTape` recorded. An op is recorded only when one of its float
//! inputs is tracked (watched, or produced by an op this tape recorded): candle's
//! `track_op()`, TensorFlow's `ShouldRecord`. Record order is a topological order, so the
//! backward sweep (`backward.rs`) is a reverse loop with no graph search.

mod backward;

pub use backward::{batch_jacobian, check_batch_jacobian, gradient, jacobian};

use crate::ops::{Handle, Op, TensorId};
use rustc_hash::FxHashSet as HashSet;
use std::collections::BTreeSet;
use std::sync::Arc;

/// One recorded op application; shared by every tape that recorded it.
#[derive(Debug)]
pub struct Entry {
    pub op: Arc<dyn Op>,
    pub inputs: Vec<Handle>,
    pub outputs: Vec<Handle>,
}

#[derive(Debug, Default)]
pub struct Tape {
    pub persistent: bool,
    pub watch_accessed_variables: bool,
    /// `with tape.stop_recording():` is in effect.
    pub paused: bool,
    /// A non-persistent tape that already computed its gradient.
    pub consumed: bool,
    tracked: HashSet<TensorId>,
    entries: Vec<Arc<Entry>>,
    watched_variables: BTreeSet<String>,
}

impl Tape {
    pub fn new(persistent: bool, watch_accessed_variables: bool) -> Tape {
        // Room for a small program's tracked ids and entries (the seed cell's: 2 variables and
        // 4 ops), so recording one does not regrow the set and vector step by step.
        Tape {
            persistent,
            watch_accessed_variables,
            tracked: HashSet::with_capacity_and_hasher(16, Default::default()),
            entries: Vec::with_capacity(8),
            ..Tape::default()
        }
    }

    /// `tape.watch(t)`.
    pub fn watch(&mut self, id: TensorId) {
        self.tracked.insert(id);
    }

    /// `tape.watch(v)` on a variable, or a trainable variable read while recording.
    pub fn watch_variable(&mut self, id: TensorId, name: &str) {
        self.tracked.insert(id);
        if !self.watched_variables.contains(name) {
            self.watched_variables.insert(name.to_string());
        }
    }

    pub fn is_tracked(&self, id: TensorId) -> bool {
        self.tracked.contains(&id)
    }

    /// TensorFlow's rule: record if any float input is tracked.
    pub fn should_record(&self, inputs: &[&Handle]) -> bool {
        !self.paused
            && inputs
                .iter()
                .any(|h| h.dtype().is_float() && self.tracked.contains(&h.id))
    }

    pub fn record(&mut self, entry: Arc<Entry>) {
        for o in &entry.outputs {
            if o.dtype().is_float() {
                self.tracked.insert(o.id);
            }
        }
        self.entries.push(entry);
    }

    /// `tape.reset()`: forget everything recorded and watched; recording continues.
    pub fn reset(&mut self) {
        self.tracked.clear();
        self.entries.clear();
        self.watched_variables.clear();
    }

    /// Marks a non-persistent tape as used and frees what it held.
    pub fn consume(&mut self) {
        self.consumed = true;
        self.tracked = HashSet::default();
        self.entries = Vec::new();
    }

    pub fn watched_variables(&self) -> Vec<String> {
        self.watched_variables.iter().cloned().collect()
    }

    /// A snapshot for a backward sweep (the sweep may record into this same tape).
    pub fn snapshot(&self) -> (Vec<Arc<Entry>>, HashSet<TensorId>) {
        (self.entries.clone(), self.tracked.clone())
    }

    /// What a non-persistent tape's one backward sweep needs, moved out instead of copied:
    /// the tape is consumed once the sweep ends (`consume`), whatever its outcome.
    pub fn take_for_sweep(&mut self) -> (Vec<Arc<Entry>>, HashSet<TensorId>) {
        (
            std::mem::take(&mut self.entries),
            std::mem::take(&mut self.tracked),
        )
    }

    /// Every tensor this tape keeps alive (saved inputs and outputs), for memory accounting.
    pub fn saved(&self) -> impl Iterator<Item = &Handle> {
        self.entries
            .iter()
            .flat_map(|e| e.inputs.iter().chain(e.outputs.iter()))
    }

    /// The recorded entries, oldest first.
    pub fn entries(&self) -> &[Arc<Entry>] {
        &self.entries
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}
