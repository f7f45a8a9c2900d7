//! The backward sweep: gradients of targets w.r.t. sources over a tape's recorded entries,
//! computed by running ops on the session's graph (so outer tapes record them), plus the
//! jacobian and batch_jacobian built on it.

use super::Entry;
use crate::error::{Error, Result};
use crate::invalid;
use crate::ops::{GradArgs, Graph, Handle, TensorId, binary, index, shape};
use crate::tensor::Tensor;
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use smallvec::SmallVec;
use std::sync::Arc;

/// Adds `g` into the gradient slot of `id` (accumulating on insert).
fn accumulate(
    g: &mut dyn Graph,
    grads: &mut HashMap<TensorId, Handle>,
    id: TensorId,
    v: Handle,
) -> Result<()> {
    let sum = match grads.remove(&id) {
        Some(prev) => binary::add(g, &prev, &v)?,
        None => v,
    };
    grads.insert(id, sum);
    Ok(())
}

/// `tape.gradient(targets, sources, output_gradients)`: one entry per source, `None` for "no
/// gradient" (unwatched, unconnected or integer sources) unless `unconnected_zero` (zeros of
/// the source's dtype, integer and bool sources included, as TensorFlow's `zeros_like`).
pub fn gradient(
    g: &mut dyn Graph,
    entries: &[Arc<Entry>],
    tracked: &HashSet<TensorId>,
    targets: &[Handle],
    sources: &[Handle],
    output_gradients: &[Tensor],
    unconnected_zero: bool,
) -> Result<Vec<Option<Handle>>> {
    if !output_gradients.is_empty() && output_gradients.len() != targets.len() {
        return Err(invalid!(
            "output_gradients has {} tensors for {} targets",
            output_gradients.len(),
            targets.len()
        ));
    }
    // Sized for one gradient per recorded tensor, so the sweep never rehashes.
    let mut grads: HashMap<TensorId, Handle> =
        HashMap::with_capacity_and_hasher(2 * entries.len() + targets.len(), Default::default());
    // Integer and bool targets are seeded too, but their seeds never flow backwards: only a
    // source that is such a target gets one back (TensorFlow's gradient(k, k) is ones of k's
    // dtype).
    let mut int_seeds: HashMap<TensorId, Handle> = HashMap::default();
    for (i, t) in targets.iter().enumerate() {
        let seed = match output_gradients.get(i) {
            Some(og) => {
                if og.shape() != t.shape() || og.dtype() != t.dtype() {
                    return Err(invalid!(
                        "output_gradients[{i}] is {} {:?} but target {i} is {} {:?}",
                        og.dtype(),
                        og.shape(),
                        t.dtype(),
                        t.shape()
                    ));
                }
                og.clone()
            }
            // The gradient of a non-scalar target is that of its sum: seed with ones.
            None => Tensor::full(t.dtype(), t.shape(), 1.0),
        };
        let seed = g.constant(seed);
        let slots = if t.dtype().is_float() {
            &mut grads
        } else {
            &mut int_seeds
        };
        accumulate(g, slots, t.id, seed)?;
    }

    // Only entries downstream of a source can carry gradient to one.
    let mut reach: HashSet<TensorId> =
        HashSet::with_capacity_and_hasher(2 * entries.len() + sources.len(), Default::default());
    reach.extend(sources.iter().map(|s| s.id));
    let useful: Vec<bool> = (entries.iter())
        .map(|e| {
            let hit = e.inputs.iter().any(|h| reach.contains(&h.id));
            if hit {
                reach.extend(e.outputs.iter().map(|o| o.id));
            }
            hit
        })
        .collect();

    for (e, _) in entries.iter().zip(&useful).rev().filter(|(_, u)| **u) {
        let out_grads: SmallVec<[Option<Handle>; 2]> =
            e.outputs.iter().map(|o| grads.get(&o.id).cloned()).collect();
        if out_grads.iter().all(Option::is_none) {
            continue;
        }
        // An input needs a gradient if the tape tracks it and a source is at or above it.
        let needs: SmallVec<[bool; 4]> = (e.inputs.iter())
            .map(|x| x.dtype().is_float() && tracked.contains(&x.id) && reach.contains(&x.id))
            .collect();
        let args = GradArgs {
            inputs: &e.inputs,
            outputs: &e.outputs,
            grads: &out_grads,
            needs: &needs,
        };
        let in_grads =
            e.op.gradient(g, &args)
                .map_err(|err| err.context(format!("gradient of {}", e.op.name())))?;
        for (x, gx) in e.inputs.iter().zip(in_grads) {
            // TensorFlow computes no gradient for inputs this tape does not track.
            let Some(gx) = gx else { continue };
            if !x.dtype().is_float() || !tracked.contains(&x.id) {
                continue;
            }
            if gx.shape() != x.shape() {
                return Err(Error::Internal(format!(
                    "gradient of {} has shape {:?} for an input of shape {:?}",
                    e.op.name(),
                    gx.shape(),
                    x.shape()
                )));
            }
            accumulate(g, &mut grads, x.id, gx)?;
        }
    }

    // TensorFlow drops the gradient of a tensor the tape does not track once the recorded ops
    // that consume it (on the way back from the targets) are done, even when that tensor is a
    // source and a target, seeded with ones: tape.gradient([a, a * k], a) is None for an
    // unwatched a and a watched k, while tape.gradient(a, a) is ones. Only such a source
    // (seeded, untracked) needs the walk, so the usual gradient skips it.
    let seeded = |s: &Handle| grads.contains_key(&s.id) || int_seeds.contains_key(&s.id);
    let seeded_untracked = |s: &&Handle| !tracked.contains(&s.id) && seeded(s);
    let mut consumed: HashSet<TensorId> = HashSet::default();
    if sources.iter().any(|s| seeded_untracked(&s)) {
        let mut wanted: HashSet<TensorId> = targets.iter().map(|t| t.id).collect();
        for e in entries.iter().rev() {
            if e.outputs.iter().any(|o| wanted.contains(&o.id)) {
                for x in &e.inputs {
                    wanted.insert(x.id);
                    consumed.insert(x.id);
                }
            }
        }
    }
    Ok(sources
        .iter()
        .map(|s| {
            let slots = if s.dtype().is_float() { &grads } else { &int_seeds };
            let dropped = !tracked.contains(&s.id) && consumed.contains(&s.id);
            match slots.get(&s.id).filter(|_| !dropped) {
                Some(h) => Some(h.clone()),
                None if unconnected_zero => Some(g.constant(Tensor::zeros(s.dtype(), s.shape()))),
                None => None,
            }
        })
        .collect())
}

/// One-hot seed of `shape` with a 1 at flat position `i`.
fn one_hot_seed(t: &Handle, i: usize) -> Result<Tensor> {
    let mut v = vec![0.0; t.value.numel()];
    v[i] = 1.0;
    Tensor::from_f64s(t.dtype(), t.shape(), &v)
}

/// Stacks per-row gradients (zeros where a row had none) and reshapes to `shape`.
fn stack_rows(g: &mut dyn Graph, rows: Vec<Option<Handle>>, src: &Handle, shape: &[usize]) -> Result<Handle> {
    if rows.is_empty() {
        return Ok(g.constant(Tensor::zeros(src.dtype(), shape)));
    }
    let rows: Vec<Handle> = (rows.into_iter())
        .map(|r| r.unwrap_or_else(|| g.constant(Tensor::zeros(src.dtype(), src.shape()))))
        .collect();
    let refs: Vec<&Handle> = rows.iter().collect();
    let packed = g.run(Arc::new(index::Pack { axis: 0 }), &refs)?;
    let packed = packed
        .into_iter()
        .next()
        .ok_or_else(|| Error::Internal("pack".into()))?;
    shape::reshape(g, &packed, shape)
}

/// `tape.jacobian(target, sources)`: per source, shape target.shape + source.shape.
/// TensorFlow differentiates rows of a reshape of the target that it records only when the
/// tape tracks the target: a target the tape does not track (or an integer one) is connected
/// to no source, not even to itself.
pub fn jacobian(
    g: &mut dyn Graph,
    entries: &[Arc<Entry>],
    tracked: &HashSet<TensorId>,
    target: &Handle,
    sources: &[Handle],
    unconnected_zero: bool,
) -> Result<Vec<Option<Handle>>> {
    let n = target.value.numel();
    let mut rows: Vec<Vec<Option<Handle>>> = vec![Vec::with_capacity(n); sources.len()];
    let on_tape = target.dtype().is_float() && tracked.contains(&target.id);
    for i in (0..n).filter(|_| on_tape) {
        let seed = one_hot_seed(target, i)?;
        let gs = gradient(
            g,
            entries,
            tracked,
            std::slice::from_ref(target),
            sources,
            &[seed],
            false,
        )?;
        for (r, gi) in rows.iter_mut().zip(gs) {
            r.push(gi);
        }
    }
    let mut out = Vec::with_capacity(sources.len());
    for (src, r) in sources.iter().zip(rows) {
        let mut shape = target.shape().to_vec();
        shape.extend_from_slice(src.shape());
        let connected = src.dtype().is_float() && r.iter().any(Option::is_some);
        out.push(if connected {
            Some(stack_rows(g, r, src, &shape)?)
        } else if unconnected_zero {
            Some(g.constant(Tensor::zeros(src.dtype(), &shape)))
        } else {
            None
        });
    }
    Ok(out)
}

/// TensorFlow's checks before a batch_jacobian touches the tape: target and source of rank 2
/// or more, with the same first (batch) dim. A call that fails them leaves a non-persistent
/// tape usable.
pub fn check_batch_jacobian(target: &Handle, source: &Handle) -> Result<()> {
    let (ts, ss) = (target.shape(), source.shape());
    if ts.len() < 2 || ss.len() < 2 || ts[0] != ss[0] {
        return Err(invalid!(
            "batch_jacobian needs a target and a source of rank 2 or more with the same first \
             (batch) dim, got {ts:?} and {ss:?}"
        ));
    }
    Ok(())
}

/// `tape.batch_jacobian(target, source)`: shape (batch,) + target.shape[1:] + source.shape[1:],
/// assuming row b of the target depends only on row b of the source (as TensorFlow does).
/// Where nothing connects them (the tape does not track the target, or the source is an
/// integer), the result is zeros of the target's dtype, as TensorFlow's.
pub fn batch_jacobian(
    g: &mut dyn Graph,
    entries: &[Arc<Entry>],
    tracked: &HashSet<TensorId>,
    target: &Handle,
    source: &Handle,
) -> Result<Option<Handle>> {
    check_batch_jacobian(target, source)?;
    let (ts, ss) = (target.shape(), source.shape());
    let b = ts[0];
    let per_t: usize = ts[1..].iter().product();
    let per_s: usize = ss[1..].iter().product();
    let mut shape = vec![b];
    shape.extend_from_slice(&ts[1..]);
    shape.extend_from_slice(&ss[1..]);
    let on_tape = target.dtype().is_float() && tracked.contains(&target.id);
    if !on_tape || !source.dtype().is_float() {
        return Ok(Some(g.constant(Tensor::zeros(target.dtype(), &shape))));
    }
    let mut cols = Vec::with_capacity(per_t);
    for j in 0..per_t {
        let mut v = vec![0.0; b * per_t];
        for r in 0..b {
            v[r * per_t + j] = 1.0;
        }
        let seed = Tensor::from_f64s(target.dtype(), ts, &v)?;
        let gs = gradient(
            g,
            entries,
            tracked,
            std::slice::from_ref(target),
            std::slice::from_ref(source),
            &[seed],
            false,
        )?;
        let gcol = match gs.into_iter().next().flatten() {
            Some(h) => shape::reshape(g, &h, &[b, per_s])?,
            None => g.constant(Tensor::zeros(source.dtype(), &[b, per_s])),
        };
        cols.push(gcol);
    }
    if cols.is_empty() {
        return Ok(Some(g.constant(Tensor::zeros(source.dtype(), &shape))));
    }
    let refs: Vec<&Handle> = cols.iter().collect();
    let packed = g.run(Arc::new(index::Pack { axis: 1 }), &refs)?;
    let packed = packed
        .into_iter()
        .next()
        .ok_or_else(|| Error::Internal("pack".into()))?;
    Ok(Some(shape::reshape(g, &packed, &shape)?))
}
