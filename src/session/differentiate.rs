//! The gradient, jacobian and batch_jacobian steps' bookkeeping around the backward sweep
//! (`tape::gradient`): the checks before it, a non-persistent tape's release after it, and
//! the results bound as refs.

use super::{Session, Slot, StepOutput, Value};
use crate::error::{Error, Result};
use crate::invalid;
use crate::ops::{Handle, TensorId};
use crate::tape;
use rustc_hash::FxHashSet as HashSet;

impl Session {
    /// A jacobian's target. TensorFlow reshapes it on the tape first, which reads a variable
    /// target: a trainable one is then watched by the tape (if it watches accessed variables,
    /// recording or not: the tape records for the call) and by the other recording tapes.
    pub(super) fn jacobian_target(&mut self, tid: u64, name: &str) -> Result<Handle> {
        let h = self.handle(name)?;
        self.variable_read(h.id);
        if let Some(v) = self.vars.get(&h.id)
            && v.trainable
        {
            let t = self.rec.tape_mut(tid)?;
            if t.watch_accessed_variables && !t.consumed {
                t.watch_variable(h.id, &v.name);
            }
        }
        Ok(h)
    }

    /// Checks the tape can compute a gradient and leaves its context if it is non-persistent
    /// (TensorFlow pops a non-persistent tape that computes a gradient inside its context).
    pub(super) fn begin_gradient(
        &mut self,
        tid: u64,
        name: &str,
    ) -> Result<(Vec<std::sync::Arc<tape::Entry>>, HashSet<TensorId>)> {
        let t = self.rec.tape_mut(tid)?;
        if t.consumed {
            return Err(Error::FailedPrecondition(format!(
                "tape {name:?} already computed its gradient: a non-persistent tape can compute \
                 one set of gradients (or jacobians); start it with persistent=true to reuse it"
            )));
        }
        // A non-persistent tape leaves recording first, so the sweep cannot add to what was
        // moved out; `end_gradient` consumes it whether the sweep succeeds or fails.
        if t.persistent {
            return Ok(t.snapshot());
        }
        let moved = t.take_for_sweep();
        self.rec.deactivate(tid);
        Ok(moved)
    }

    pub(super) fn end_gradient(&mut self, tid: u64) {
        if let Ok(t) = self.rec.tape_mut(tid)
            && !t.persistent
        {
            t.consume();
        }
    }

    pub(super) fn bind_results(
        &mut self,
        grads: Vec<Option<Handle>>,
        sources: &[String],
        outputs: &[String],
        fetch: bool,
    ) -> Result<StepOutput> {
        if outputs.len() > grads.len() {
            return Err(invalid!(
                "{} output refs for {} results",
                outputs.len(),
                grads.len()
            ));
        }
        let mut out = StepOutput::default();
        for (i, gr) in grads.into_iter().enumerate() {
            let name = outputs.get(i).cloned().unwrap_or_default();
            let tensor = gr.as_ref().map(|h| h.value.clone());
            if !name.is_empty() {
                match gr {
                    Some(h) => self.bind(name.clone(), Slot::Tensor(h)),
                    None => self.unbind(&name),
                }
            }
            let label = if name.is_empty() {
                sources.get(i).cloned().unwrap_or_default()
            } else {
                name
            };
            out.values.push(Value {
                name: label,
                tensor,
                fetched: fetch,
            });
        }
        Ok(out)
    }
}
