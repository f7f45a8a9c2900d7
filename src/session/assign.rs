//! Assigning to variables, and what counts as reading one (TensorFlow's `variable_accessed`:
//! trainable variables read while tapes record are watched by them).

use super::graph::Recorder;
use super::{AssignMode, AssignSource, Session, Slot, StepOutput, Variable, not_found, one};
use crate::error::Result;
use crate::invalid;
use crate::ops::{self, Op as _, TensorId};
use rustc_hash::FxHashMap as HashMap;

/// A read of a variable (an op's input, an assign's target or source): a trainable one is
/// watched by the recording tapes that watch accessed variables (TensorFlow's
/// `variable_accessed`). Any other ref is no variable: nothing happens. On the two fields it
/// needs, so `run_op` can call it while it holds its inputs borrowed from the others.
pub(super) fn read_variable(rec: &mut Recorder, vars: &HashMap<TensorId, Variable>, id: TensorId) {
    if let Some(v) = vars.get(&id)
        && v.trainable
    {
        rec.variable_accessed(id, &v.name);
    }
}

impl Session {
    /// `read_variable` on this session.
    pub(super) fn variable_read(&mut self, id: TensorId) {
        read_variable(&mut self.rec, &self.vars, id);
    }

    pub(super) fn assign(
        &mut self,
        variable: &str,
        mode: AssignMode,
        source: AssignSource,
    ) -> Result<StepOutput> {
        let Some(Slot::Variable(id)) = self.refs.get(variable) else {
            return match self.refs.get(variable) {
                Some(_) => Err(invalid!("{variable:?} is not a variable")),
                None => Err(not_found("variable", variable)),
            };
        };
        let id = *id;
        // TensorFlow converts the value first (reading a variable source of the right dtype),
        // then assigns and reads the variable back (`_lazy_read`): both count as accesses,
        // though no tape records the update itself.
        let value = match source {
            AssignSource::Value(t) => t,
            AssignSource::Ref(r) => {
                let h = self.handle(&r)?;
                if self
                    .vars
                    .get(&id)
                    .is_some_and(|v| v.handle.value.dtype() == h.value.dtype())
                {
                    self.variable_read(h.id);
                }
                h.value
            }
        };
        let v = self
            .vars
            .get_mut(&id)
            .ok_or_else(|| not_found("variable", variable))?;
        if value.shape() != v.handle.value.shape() || value.dtype() != v.handle.value.dtype() {
            return Err(invalid!(
                "cannot assign {} {:?} to variable {variable:?} of {} {:?}",
                value.dtype(),
                value.shape(),
                v.handle.value.dtype(),
                v.handle.value.shape()
            ));
        }
        // Never recorded: an update is not part of any tape (TensorFlow).
        v.handle.value = match mode {
            AssignMode::Assign => value,
            AssignMode::Add => ops::binary::Binary(ops::binary::Kind::Add)
                .forward(&[&v.handle.value, &value])?
                .remove(0),
            AssignMode::Sub => ops::binary::Binary(ops::binary::Kind::Sub)
                .forward(&[&v.handle.value, &value])?
                .remove(0),
        };
        let out = one(variable.to_string(), Some(v.handle.value.clone()), false);
        self.variable_read(id);
        Ok(out)
    }
}
