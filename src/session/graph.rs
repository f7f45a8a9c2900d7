//! The recorder: runs ops and records them on every active tape that tracks an input. It is
//! the `Graph` that gradient functions run on, which is what makes higher-order gradients work.

use crate::error::{Error, Result};
use crate::ops::{Graph, Handle, Op, TensorId};
use crate::tape::{Entry, Tape};
use crate::tensor::Tensor;
use rustc_hash::FxHashMap as HashMap;
use smallvec::SmallVec;
use std::sync::Arc;

#[derive(Debug, Default)]
pub struct Recorder {
    next_id: TensorId,
    next_tape: u64,
    tapes: HashMap<u64, Tape>,
    /// Tapes whose context is entered, outermost first.
    active: Vec<u64>,
}

impl Recorder {
    pub fn fresh_id(&mut self) -> TensorId {
        self.next_id += 1;
        self.next_id
    }

    pub fn constant_handle(&mut self, value: Tensor) -> Handle {
        Handle {
            id: self.fresh_id(),
            value,
        }
    }

    pub fn push_tape(&mut self, tape: Tape) -> u64 {
        self.next_tape += 1;
        let id = self.next_tape;
        self.tapes.insert(id, tape);
        self.active.push(id);
        id
    }

    /// Makes a tape the innermost recording one again (re-entering its context).
    pub fn activate(&mut self, id: u64) {
        self.active.retain(|&t| t != id);
        self.active.push(id);
    }

    pub fn remove_tape(&mut self, id: u64) {
        self.tapes.remove(&id);
        self.active.retain(|&t| t != id);
    }

    pub fn deactivate(&mut self, id: u64) {
        self.active.retain(|&t| t != id);
    }

    pub fn tape(&self, id: u64) -> Result<&Tape> {
        self.tapes
            .get(&id)
            .ok_or_else(|| Error::Internal(format!("tape {id} vanished")))
    }

    pub fn tape_mut(&mut self, id: u64) -> Result<&mut Tape> {
        self.tapes
            .get_mut(&id)
            .ok_or_else(|| Error::Internal(format!("tape {id} vanished")))
    }

    pub fn tapes(&self) -> impl Iterator<Item = &Tape> {
        self.tapes.values()
    }

    /// A trainable variable was read: recording tapes with watch_accessed_variables watch it.
    pub fn variable_accessed(&mut self, id: TensorId, name: &str) {
        for t in &self.active {
            if let Some(tape) = self.tapes.get_mut(t)
                && tape.watch_accessed_variables
                && !tape.paused
            {
                tape.watch_variable(id, name);
            }
        }
    }
}

impl Graph for Recorder {
    fn run(&mut self, op: Arc<dyn Op>, inputs: &[&Handle]) -> Result<Vec<Handle>> {
        let values: SmallVec<[&Tensor; 4]> = inputs.iter().map(|h| &h.value).collect();
        let outs = op.forward(&values)?;
        let outputs: Vec<Handle> = outs.into_iter().map(|t| self.constant_handle(t)).collect();
        if op.differentiable() {
            let mut entry: Option<Arc<Entry>> = None;
            for t in &self.active {
                let Some(tape) = self.tapes.get_mut(t) else {
                    continue;
                };
                if !tape.should_record(inputs) {
                    continue;
                }
                let e = entry.get_or_insert_with(|| {
                    Arc::new(Entry {
                        op: op.clone(),
                        inputs: inputs.iter().map(|&h| h.clone()).collect(),
                        outputs: outputs.clone(),
                    })
                });
                tape.record(e.clone());
            }
        }
        Ok(outputs)
    }

    fn constant(&mut self, value: Tensor) -> Handle {
        self.constant_handle(value)
    }
}
