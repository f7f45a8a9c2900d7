//! Ops: TensorFlow raw ops with their attrs, shape rules, forward and gradient side by side,
//! one file per family. The registry (`registry.rs`) maps a raw-op name to a builder.
//!
//! Gradients are written with the same ops they differentiate (`g.run(...)`), so the session's
//! executor records them on any active outer tape: higher-order gradients need nothing more.

mod attrs;
pub mod binary;
pub mod cumulative;
pub mod fast;
pub mod index;
pub mod matmul;
pub mod misc;
pub mod nn;
pub mod reduce;
mod registry;
pub mod shape;
pub mod unary;
mod unary_grad;

pub use attrs::{Attr, AttrMap, Attrs};
pub use registry::{OpSpec, build, markdown_table, spec, specs};

use crate::error::Result;
use crate::invalid;
use crate::tensor::{DType, Tensor};
use std::fmt::Debug;
use std::sync::Arc;

/// A session-local tensor identity (dense, per session). Tapes track ids, not values.
pub type TensorId = u64;

/// A tensor value together with its identity in the session.
#[derive(Clone, Debug)]
pub struct Handle {
    pub id: TensorId,
    pub value: Tensor,
}

impl Handle {
    pub fn shape(&self) -> &[usize] {
        self.value.shape()
    }
    pub fn dtype(&self) -> DType {
        self.value.dtype()
    }
}

/// What runs ops: the session's executor. Ops that ran here are recorded by every active tape
/// that tracks one of their inputs.
pub trait Graph {
    /// Runs `op` on `inputs` and returns its outputs.
    fn run(&mut self, op: Arc<dyn Op>, inputs: &[&Handle]) -> Result<Vec<Handle>>;
    /// Wraps a value that depends on nothing (never recorded).
    fn constant(&mut self, value: Tensor) -> Handle;
}

/// What a gradient function gets: the recorded op's inputs and outputs, and the gradient of
/// each output (`None` where nothing flowed back to that output).
pub struct GradArgs<'a> {
    pub inputs: &'a [Handle],
    pub outputs: &'a [Handle],
    pub grads: &'a [Option<Handle>],
    /// Which inputs' gradients the sweep will use (the others may be returned as None).
    pub needs: &'a [bool],
}

impl GradArgs<'_> {
    /// Whether the gradient of input `i` is wanted.
    pub fn needs(&self, i: usize) -> bool {
        self.needs.get(i).copied().unwrap_or(true)
    }

    /// The gradient of output `i`, or zeros of its shape.
    pub fn grad(&self, g: &mut dyn Graph, i: usize) -> Result<Handle> {
        match self.grads.get(i) {
            Some(Some(h)) => Ok(h.clone()),
            Some(None) => {
                let o = &self.outputs[i];
                Ok(g.constant(Tensor::zeros(o.dtype(), o.shape())))
            }
            None => Err(crate::error::Error::Internal(format!("no output {i}"))),
        }
    }
}

/// One TensorFlow raw op with its attrs already parsed.
pub trait Op: Send + Sync + Debug {
    fn name(&self) -> &'static str;
    /// Computes the outputs. Shape and dtype errors are INVALID_ARGUMENT naming the shapes.
    fn forward(&self, inputs: &[&Tensor]) -> Result<Vec<Tensor>>;
    /// Ops without a gradient (comparisons, ArgMax, ...) are never recorded. StopGradient is
    /// recorded, as TensorFlow records it: its output is tracked (so gradients w.r.t. it and
    /// ops after it work), only its own gradient is None.
    fn differentiable(&self) -> bool {
        true
    }
    /// The gradient of each input (None = no gradient), computed by running ops on `g`.
    fn gradient(&self, g: &mut dyn Graph, a: &GradArgs) -> Result<Vec<Option<Handle>>> {
        let _ = g;
        Ok(vec![None; a.inputs.len()])
    }
}

/// Runs a one-output op.
pub fn run1(g: &mut dyn Graph, op: impl Op + 'static, inputs: &[&Handle]) -> Result<Handle> {
    let mut out = g.run(Arc::new(op), inputs)?;
    if out.is_empty() {
        return Err(crate::error::Error::Internal("op returned no output".into()));
    }
    Ok(out.swap_remove(0))
}

/// NOT_FOUND for an integer input to an op TensorFlow defines for integers but has no CPU
/// kernel for (RealDiv, Reciprocal): TensorFlow fails to place it ("Could not find device").
pub fn no_cpu_kernel(op: &str, dtype: crate::tensor::DType) -> crate::error::Error {
    crate::error::Error::NotFound(format!(
        "{op} has no kernel for {dtype} (TensorFlow defines the op for integers but has no CPU kernel for them)"
    ))
}

/// INVALID_ARGUMENT for two inputs whose dtypes disagree (TensorFlow never promotes).
/// `f(a, b)` elementwise over two float tensors of one shape and dtype, without
/// broadcasting: the forward of the internal gradient ops (ReluGrad, SqrtGrad and friends),
/// whose two inputs always come from the same forward op. `f32`/`f64` are the same formula.
pub(crate) fn zip_same_shape(
    op: &str,
    a: &Tensor,
    b: &Tensor,
    f32: impl Fn(f32, f32) -> f32,
    f64: impl Fn(f64, f64) -> f64,
) -> crate::error::Result<Tensor> {
    if a.shape() != b.shape() {
        return Err(invalid!(
            "{op}: shapes {:?} and {:?} differ",
            a.shape(),
            b.shape()
        ));
    }
    Ok(match (a, b) {
        (Tensor::F32(x), Tensor::F32(y)) => Tensor::F32(
            ndarray::Zip::from(x)
                .and(y)
                .map_collect(|&p, &q| f32(p, q))
                .into_shared(),
        ),
        (Tensor::F64(x), Tensor::F64(y)) => Tensor::F64(
            ndarray::Zip::from(x)
                .and(y)
                .map_collect(|&p, &q| f64(p, q))
                .into_shared(),
        ),
        _ => return Err(dtype_error(op, a, b)),
    })
}

pub fn dtype_error(op: &str, x: &Tensor, y: &Tensor) -> crate::error::Error {
    if x.dtype() == y.dtype() {
        invalid!("{op} does not support dtype {}", x.dtype())
    } else {
        invalid!(
            "{op} needs inputs of one dtype, got {} {:?} and {} {:?}",
            x.dtype(),
            x.shape(),
            y.dtype(),
            y.shape()
        )
    }
}

/// A scalar constant of `dtype`.
pub fn scalar(g: &mut dyn Graph, dtype: DType, v: f64) -> Handle {
    g.constant(Tensor::scalar(dtype, v))
}

/// Sums `x` down to `shape`: the gradient of an input that was broadcast to `x`'s shape.
pub fn sum_to_shape(g: &mut dyn Graph, x: &Handle, shape: &[usize]) -> Result<Handle> {
    let xs = x.shape();
    if xs == shape {
        return Ok(x.clone());
    }
    // Only size-1 axes to sum away (`[1, n]` back to `[n]`, AddV2's bias in the seed cell): the
    // Sum would copy its input (TensorFlow's "reduces nothing" case, which `reduce` follows, so
    // -0.0 survives), which is what the Reshape does, at a fraction of the bookkeeping. The
    // recorded Reshape differentiates to the same values for outer tapes.
    if x.value.numel() == shape.iter().product::<usize>() {
        return shape::reshape(g, x, shape);
    }
    let lead = xs.len().saturating_sub(shape.len());
    let mut axes: Vec<i64> = (0..lead as i64).collect();
    for (i, &d) in shape.iter().enumerate() {
        if d == 1 && xs.get(lead + i).copied() != Some(1) {
            axes.push((lead + i) as i64);
        }
    }
    let summed = if axes.is_empty() {
        x.clone()
    } else {
        reduce::sum(g, x, Some(axes), false)?
    };
    if summed.shape() == shape {
        Ok(summed)
    } else {
        shape::reshape(g, &summed, shape)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs ops without recording, and counts them by name.
    #[derive(Default)]
    struct Plain {
        next: TensorId,
        ran: Vec<&'static str>,
    }

    impl Graph for Plain {
        fn run(&mut self, op: Arc<dyn Op>, inputs: &[&Handle]) -> Result<Vec<Handle>> {
            let values: Vec<&Tensor> = inputs.iter().map(|h| &h.value).collect();
            self.ran.push(op.name());
            let outs = op.forward(&values)?;
            Ok(outs.into_iter().map(|t| self.constant(t)).collect())
        }
        fn constant(&mut self, value: Tensor) -> Handle {
            self.next += 1;
            Handle { id: self.next, value }
        }
    }

    /// Summing away only size-1 axes is a Reshape (TensorFlow's Sum copies its input there, so
    /// -0.0 stays -0.0); a real reduction is a Sum, and a shape that already fits runs nothing.
    #[test]
    fn sum_to_shape_reshapes_when_only_size_one_axes_go() {
        let mut g = Plain::default();
        let x = g.constant(Tensor::from_f64s(DType::F32, &[1, 2], &[-0.0, 3.0]).expect("x"));
        let y = sum_to_shape(&mut g, &x, &[2]).expect("to [2]");
        assert_eq!(y.shape(), &[2]);
        let v = y.value.to_f64_vec();
        assert!(v[0] == 0.0 && v[0].is_sign_negative() && v[1] == 3.0, "{v:?}");
        assert_eq!(g.ran, ["Reshape"]);

        let x = g.constant(Tensor::from_f64s(DType::F64, &[2, 1, 3], &[1., 2., 3., 4., 5., 6.]).expect("x"));
        let y = sum_to_shape(&mut g, &x, &[1, 3]).expect("to [1, 3]");
        assert_eq!(y.shape(), &[1, 3]);
        assert_eq!(y.value.to_f64_vec(), [5.0, 7.0, 9.0]);
        assert_eq!(g.ran, ["Reshape", "Sum"]);

        let same = sum_to_shape(&mut g, &x, &[2, 1, 3]).expect("same shape");
        assert_eq!(same.id, x.id);
        assert_eq!(g.ran.len(), 2);
    }
}
