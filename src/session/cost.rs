//! A cheap, conservative estimate of a step's work, made before running it. The service runs
//! a Run's steps on the thread that decoded the request while they are certainly small (the
//! hand-off to a compute thread costs more than the seed cell's whole math), and hands the
//! rest of the Run to the blocking pool at the first step that might not be.
//!
//! The bound is in "work units" (about one element touched or one multiply-add each): for an
//! op, the product of its inputs' element counts (each at least 2). That product bounds every
//! registered op's output size and work (a broadcast, matmul's m*n*k, a gather, a concat),
//! except ops whose output size comes from attrs, which never count as light.

use super::{Session, Slot, Step};
use crate::tape::Entry;

/// Ops whose output size is set by attrs (shapes, multiples, paddings, depth), not bounded by
/// their inputs: never light.
const SIZED_BY_ATTRS: &[&str] = &["BroadcastTo", "Tile", "Pad", "OneHot"];

/// Tape entries a light gradient may sweep.
const MAX_LIGHT_ENTRIES: usize = 64;

/// The work bound of running `op` on inputs of these element counts; None: unbounded.
fn op_bound(op: &str, mut elems: impl Iterator<Item = usize>) -> Option<usize> {
    if SIZED_BY_ATTRS.contains(&op) {
        return None;
    }
    elems.try_fold(1usize, |acc, n| acc.checked_mul(n.max(2)))
}

fn entry_bound(e: &Entry) -> Option<usize> {
    op_bound(e.op.name(), e.inputs.iter().map(|h| h.value.numel()))
}

/// Refs plus tape entries beyond which a session's end-of-Run bookkeeping (a usage count that
/// walks everything held) is itself too long to do on the reactor.
const MAX_LIGHT_SESSION: usize = 4096;

impl Session {
    /// Whether the end-of-Run bookkeeping on this session is certainly cheap.
    pub fn is_small(&self) -> bool {
        let entries: usize = self.rec.tapes().map(|t| t.len()).sum();
        self.refs.len() + self.vars.len() + entries <= MAX_LIGHT_SESSION
    }

    fn ref_elems(&self, name: &str) -> Option<usize> {
        match self.refs.get(name)? {
            Slot::Tensor(h) => Some(h.value.numel()),
            Slot::Variable(id) => self.vars.get(id).map(|v| v.handle.value.numel()),
        }
    }

    /// Whether `step` certainly takes at most `max` work units. Steps that will fail on an
    /// unknown ref or tape count as light: they fail before doing any work.
    pub fn is_light(&self, step: &Step, max: usize) -> bool {
        let elems = |r: &String| self.ref_elems(r).unwrap_or(0);
        match step {
            Step::Op { op, inputs, .. } => op_bound(op, inputs.iter().map(elems)).is_some_and(|b| b <= max),
            Step::Gradient {
                tape,
                output_gradients,
                ..
            } => {
                let Some(t) = self.tape_ids.get(tape).and_then(|id| self.rec.tape(*id).ok()) else {
                    return true;
                };
                let og: usize = output_gradients.iter().map(|g| g.numel()).sum();
                t.len() <= MAX_LIGHT_ENTRIES
                    && (t.entries().iter().map(|e| entry_bound(e)))
                        .try_fold(og, |acc, b| acc.checked_add(b?))
                        .is_some_and(|total| total <= max)
            }
            // One backward sweep per target element: never light.
            Step::Jacobian { .. } | Step::BatchJacobian { .. } => false,
            Step::Fetch { refs } => refs.iter().map(elems).sum::<usize>() <= max,
            Step::Assign { variable, .. } => elems(variable) <= max,
            // Values already decoded, or bookkeeping on a handful of names.
            Step::Variable { .. }
            | Step::Constant { .. }
            | Step::Tape { .. }
            | Step::Reenter { .. }
            | Step::Watch { .. }
            | Step::Stop { .. }
            | Step::Pause { .. }
            | Step::Resume { .. }
            | Step::Reset { .. }
            | Step::WatchedVariables { .. }
            | Step::Release { .. } => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::AttrMap;
    use crate::tensor::{DType, Tensor};

    fn session_with(shapes: &[(&str, &[usize])]) -> Session {
        let mut s = Session::new();
        for (name, shape) in shapes {
            let n: usize = shape.iter().product();
            let value = Tensor::from_f64s(DType::F32, shape, &vec![1.0; n]).expect("tensor");
            s.run_step(Step::Constant {
                name: name.to_string(),
                value,
            })
            .expect("constant");
        }
        s
    }

    fn op(name: &str, inputs: &[&str]) -> Step {
        Step::Op {
            op: name.into(),
            inputs: inputs.iter().map(|s| s.to_string()).collect(),
            attrs: AttrMap::default(),
            outputs: vec!["out".into()],
        }
    }

    #[test]
    fn ops_are_light_by_the_product_of_their_input_sizes() {
        let s = session_with(&[
            ("x", &[1, 3]),
            ("w", &[3, 2]),
            ("big", &[256, 256]),
            ("col", &[4096, 1]),
        ]);
        assert!(s.is_light(&op("MatMul", &["x", "w"]), 1000));
        assert!(s.is_light(&op("Neg", &["big"]), 1 << 16));
        assert!(!s.is_light(&op("Neg", &["big"]), 1 << 15));
        // An outer-product broadcast of two small inputs is big: the product says so.
        assert!(!s.is_light(&op("AddV2", &["col", "col"]), 1 << 20));
        assert!(!s.is_light(&op("MatMul", &["big", "big"]), 1 << 30));
        // Output sizes set by attrs: never light, however small the input.
        assert!(!s.is_light(&op("BroadcastTo", &["x"]), usize::MAX));
        // An unknown ref fails before doing any work.
        assert!(s.is_light(&op("MatMul", &["nope", "x"]), 10));
    }

    #[test]
    fn gradients_are_light_by_their_tape_and_jacobians_never() {
        let mut s = session_with(&[("x", &[1, 3]), ("w", &[3, 2]), ("big", &[128, 128])]);
        let tape = |name: &str| Step::Tape {
            tape: name.into(),
            persistent: true,
            watch_accessed_variables: true,
        };
        let watch = |tape: &str, r: &str| Step::Watch {
            tape: tape.into(),
            refs: vec![r.into()],
        };
        let grad = |tape: &str, target: &str, source: &str| Step::Gradient {
            tape: tape.into(),
            targets: vec![target.into()],
            sources: vec![source.into()],
            output_gradients: vec![],
            unconnected_zero: false,
            outputs: vec!["g".into()],
            fetch: false,
        };
        for st in [tape("small"), watch("small", "w"), op("MatMul", &["x", "w"])] {
            s.run_step(st).expect("small tape");
        }
        assert!(s.is_light(&grad("small", "out", "w"), 1000));
        for st in [
            tape("large"),
            watch("large", "big"),
            op("MatMul", &["big", "big"]),
        ] {
            s.run_step(st).expect("large tape");
        }
        assert!(!s.is_light(&grad("large", "out", "big"), 1 << 20));
        let jac = Step::Jacobian {
            tape: "small".into(),
            target: "out".into(),
            sources: vec!["w".into()],
            unconnected_zero: false,
            outputs: vec!["j".into()],
            fetch: false,
        };
        assert!(!s.is_light(&jac, usize::MAX));
        assert!(s.is_small());
    }
}
