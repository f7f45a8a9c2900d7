//! Neural-network ops: BiasAdd, Softmax, LogSoftmax (last axis) and the two fused
//! cross-entropy ops, which return (loss, backprop) as TensorFlow's raw ops do.

use super::fast::{self, Elt};
use super::{Attrs, GradArgs, Graph, Handle, Op, binary, reduce, run1, shape, unary};
use crate::error::Result;
use crate::tensor::{DType, Tensor};
use crate::{float_map, float_map2, invalid};
use ndarray::{ArcArray, ArrayD, Axis, IxDyn};
use num_traits::Float as F;
use std::sync::Arc;

#[derive(Debug)]
pub struct BiasAdd;

/// Only the default data format (bias on the last axis) is supported.
pub fn bias_add(_: &mut Attrs) -> Result<Arc<dyn Op>> {
    Ok(Arc::new(BiasAdd))
}

impl Op for BiasAdd {
    fn name(&self) -> &'static str {
        "BiasAdd"
    }
    fn forward(&self, inputs: &[&Tensor]) -> Result<Vec<Tensor>> {
        let (x, b) = (inputs[0], inputs[1]);
        if b.rank() != 1 || x.rank() < 2 || x.shape()[x.rank() - 1] != b.shape()[0] {
            return Err(invalid!(
                "BiasAdd: bias {:?} must be a vector matching the last dim of {:?} (rank >= 2)",
                b.shape(),
                x.shape()
            ));
        }
        let out = match (x, b) {
            (Tensor::F32(a), Tensor::F32(v)) => fast_bias_add(a, v).map(|r| Tensor::F32(r.into_shared())),
            (Tensor::F64(a), Tensor::F64(v)) => fast_bias_add(a, v).map(|r| Tensor::F64(r.into_shared())),
            _ => None,
        };
        match out {
            Some(t) => Ok(vec![t]),
            None => binary::Binary(binary::Kind::Add).forward(inputs),
        }
    }
    // dx = g, dbias = g summed over every axis but the last
    fn gradient(&self, g: &mut dyn Graph, a: &GradArgs) -> Result<Vec<Option<Handle>>> {
        let gr = a.grad(g, 0)?;
        let r = gr.value.rank();
        let gb = reduce::sum(g, &gr, Some((0..r as i64 - 1).collect()), false)?;
        Ok(vec![Some(gr), Some(gb)])
    }
}

fn fast_bias_add<T: Elt>(x: &ArcArray<T, IxDyn>, b: &ArcArray<T, IxDyn>) -> Option<ArrayD<T>> {
    let (xs, bs) = (x.as_slice()?, b.as_slice()?);
    let cols = b.len();
    let rows = xs.len().checked_div(cols).unwrap_or(0);
    Some(fast::fill(x.shape(), |o| {
        crate::kernels::bias_add(xs, bs, rows, cols, o)
    }))
}

/// Row-wise softmax (log = false) or log-softmax over the last axis, stable for large logits.
fn softmax_last<T: Elt>(x: &ArcArray<T, IxDyn>, log: bool) -> ArrayD<T> {
    if let (Some(xs), Some(&cols)) = (x.as_slice(), x.shape().last())
        && cols > 0
    {
        let rows = xs.len() / cols;
        let f = if log {
            crate::kernels::log_softmax_rows
        } else {
            crate::kernels::softmax_rows
        };
        return fast::fill(x.shape(), |o| f(xs, rows, cols, o));
    }
    let mut out = x.to_owned();
    let last = Axis(out.ndim().saturating_sub(1));
    if out.ndim() == 0 {
        return out.mapv(|_| if log { T::zero() } else { T::one() });
    }
    for mut lane in out.lanes_mut(last) {
        let m = lane.iter().fold(F::neg_infinity(), |a, &b| F::max(a, b));
        let m = if F::is_finite(m) { m } else { T::zero() };
        lane.mapv_inplace(|v| v - m);
        let s: T = lane.iter().map(|&v| F::exp(v)).sum();
        if log {
            let ls = F::ln(s);
            lane.mapv_inplace(|v| v - ls);
        } else {
            lane.mapv_inplace(|v| F::exp(v) / s);
        }
    }
    out
}

/// TensorFlow runs float32 Softmax through oneDNN, whose answers differ from the textbook ones
/// on rows holding inf or NaN (float64 goes through Eigen and gives NaN for the whole row, as
/// `softmax_last` does). TF 2.21's answers on AVX-512 fit oneDNN's vector code step by step:
/// the row's max is taken per lane of 16 (`acc = acc > x ? acc : x`, which lets a NaN in), then
/// reduced across lanes in a butterfly (lanes i and i^8, i^4, i^2, i^1, `a > b ? a : b`), and
/// each element is shifted by its own lane's result, which a NaN can leave different from the
/// others'; `exp` of a NaN difference is +inf, and each output is `e / sum(e)`. So `[NaN, 0, 1]`
/// gives `[NaN, 0, 0]` and `[inf, inf, 0]` gives `[NaN, NaN, 0]`. Rows without inf or NaN
/// never produce a NaN either way, so only rows whose output has a NaN are recomputed.
fn onednn_nonfinite_rows(x: &ArcArray<f32, IxDyn>, out: &mut ArcArray<f32, IxDyn>) {
    const LANES: usize = 16;
    let Some(&cols) = x.shape().last() else {
        return;
    };
    if cols == 0 || !out.iter().any(|v| v.is_nan()) {
        return;
    }
    let max = |a: f32, b: f32| if a > b { a } else { b };
    let last = Axis(x.ndim() - 1);
    for (xr, mut yr) in x.lanes(last).into_iter().zip(out.lanes_mut(last)) {
        if !yr.iter().any(|v| v.is_nan()) {
            continue;
        }
        let mut acc = [f32::MIN; LANES];
        for (i, &v) in xr.iter().enumerate() {
            acc[i % LANES] = max(acc[i % LANES], v);
        }
        for step in [8, 4, 2, 1] {
            let t = acc;
            for (i, a) in acc.iter_mut().enumerate() {
                *a = max(t[i], t[i ^ step]);
            }
        }
        let e = |i: usize, v: f32| {
            let d = (v - acc[i % LANES]).exp();
            if d.is_nan() { f32::INFINITY } else { d }
        };
        let sum: f32 = xr.iter().enumerate().map(|(i, &v)| e(i, v)).sum();
        for (i, (o, &v)) in yr.iter_mut().zip(xr.iter()).enumerate() {
            *o = e(i, v) / sum;
        }
    }
}

#[derive(Debug)]
pub struct Softmax {
    pub log: bool,
}

pub fn softmax(_: &mut Attrs) -> Result<Arc<dyn Op>> {
    Ok(Arc::new(Softmax { log: false }))
}
pub fn log_softmax(_: &mut Attrs) -> Result<Arc<dyn Op>> {
    Ok(Arc::new(Softmax { log: true }))
}

/// sum(x, -1, keep_dims)
fn sum_last(g: &mut dyn Graph, x: &Handle) -> Result<Handle> {
    reduce::sum(g, x, Some(vec![-1]), true)
}

impl Op for Softmax {
    fn name(&self) -> &'static str {
        if self.log { "LogSoftmax" } else { "Softmax" }
    }
    fn forward(&self, inputs: &[&Tensor]) -> Result<Vec<Tensor>> {
        if inputs[0].rank() < 1 {
            return Err(invalid!("{} needs rank >= 1, got a scalar", self.name()));
        }
        let log = self.log;
        let mut y = float_map!(self.name(), inputs[0], |a| softmax_last(a, log))?;
        if let (false, Tensor::F32(x), Tensor::F32(out)) = (log, inputs[0], &mut y) {
            onednn_nonfinite_rows(x, out);
        }
        Ok(vec![y])
    }
    // softmax: dx = (g - sum(g*y))*y;  log_softmax: dx = g - sum(g)*exp(y)
    fn gradient(&self, g: &mut dyn Graph, a: &GradArgs) -> Result<Vec<Option<Handle>>> {
        let y = &a.outputs[0];
        let gr = a.grad(g, 0)?;
        let gx = if self.log {
            let s = sum_last(g, &gr)?;
            let p = unary::exp_h(g, y)?;
            let t = binary::mul(g, &s, &p)?;
            binary::sub(g, &gr, &t)?
        } else {
            let gy = binary::mul(g, &gr, y)?;
            let s = sum_last(g, &gy)?;
            let d = binary::sub(g, &gr, &s)?;
            binary::mul(g, &d, y)?
        };
        Ok(vec![Some(gx)])
    }
}

/// Cross-entropy of each row: (loss, softmax - labels).
fn xent<T: Elt>(logits: &ArcArray<T, IxDyn>, labels: &ArcArray<T, IxDyn>) -> (ArrayD<T>, ArrayD<T>) {
    if let (Some(l), Some(y)) = (logits.as_slice(), labels.as_slice()) {
        let (rows, cols) = (logits.shape()[0], logits.shape()[1]);
        let mut back = vec![T::zero(); rows * cols];
        let loss = fast::fill(&[rows], |lo| {
            crate::kernels::softmax_cross_entropy_rows(l, y, rows, cols, lo, &mut back)
        });
        let back = ArrayD::from_shape_vec(IxDyn(&[rows, cols]), back)
            .unwrap_or_else(|_| ArrayD::zeros(IxDyn(&[rows, cols])));
        return (loss, back);
    }
    let ls = softmax_last(logits, true);
    let loss = (&ls * labels).sum_axis(Axis(1)).mapv(|v| -v);
    let back = ls.mapv(F::exp) - labels;
    (loss, back)
}

/// Sparse cross-entropy of each row through the kernel: (loss, softmax - one_hot(labels)).
/// None when the logits are not contiguous (or a label is out of range, checked earlier).
fn sparse_xent<T: Elt>(logits: &ArcArray<T, IxDyn>, labels: &[i64]) -> Option<(ArrayD<T>, ArrayD<T>)> {
    let l = logits.as_slice()?;
    let (rows, cols) = (logits.shape()[0], logits.shape()[1]);
    let mut back = vec![T::zero(); rows * cols];
    let mut loss = vec![T::zero(); rows];
    crate::kernels::sparse_softmax_cross_entropy_rows(l, labels, rows, cols, &mut loss, &mut back).ok()?;
    let loss = ArrayD::from_shape_vec(IxDyn(&[rows]), loss).ok()?;
    let back = ArrayD::from_shape_vec(IxDyn(&[rows, cols]), back).ok()?;
    Some((loss, back))
}

#[derive(Debug)]
pub struct SoftmaxXent {
    pub sparse: bool,
}

pub fn softmax_xent(_: &mut Attrs) -> Result<Arc<dyn Op>> {
    Ok(Arc::new(SoftmaxXent { sparse: false }))
}
pub fn sparse_softmax_xent(_: &mut Attrs) -> Result<Arc<dyn Op>> {
    Ok(Arc::new(SoftmaxXent { sparse: true }))
}

impl Op for SoftmaxXent {
    fn name(&self) -> &'static str {
        if self.sparse {
            "SparseSoftmaxCrossEntropyWithLogits"
        } else {
            "SoftmaxCrossEntropyWithLogits"
        }
    }

    fn forward(&self, inputs: &[&Tensor]) -> Result<Vec<Tensor>> {
        let (logits, labels) = (inputs[0], inputs[1]);
        let op = self.name();
        if logits.rank() != 2 {
            return Err(invalid!(
                "{op}: logits must be rank 2 (batch, classes), got {:?}",
                logits.shape()
            ));
        }
        let (b, c) = (logits.shape()[0], logits.shape()[1]);
        let labels = if self.sparse {
            if !matches!(labels.dtype(), DType::I32 | DType::I64) || labels.shape() != [b] {
                return Err(invalid!(
                    "{op}: labels must be int32/int64 of shape [{b}], got {} {:?}",
                    labels.dtype(),
                    labels.shape()
                ));
            }
            let ix = labels.to_i64_vec();
            if let Some(bad) = ix.iter().find(|&&i| i < 0 || i as usize >= c) {
                return Err(invalid!("{op}: label {bad} is outside the valid range [0, {c})"));
            }
            // Contiguous logits go straight to the fused sparse kernel; the dense one-hot
            // labels below are only the fallback for strided logits.
            let fast = match logits {
                Tensor::F32(l) => {
                    sparse_xent(l, &ix).map(|(lo, bp)| (Tensor::from_float(lo), Tensor::from_float(bp)))
                }
                Tensor::F64(l) => {
                    sparse_xent(l, &ix).map(|(lo, bp)| (Tensor::from_float(lo), Tensor::from_float(bp)))
                }
                _ => None,
            };
            if let Some((loss, backprop)) = fast {
                return Ok(vec![loss, backprop]);
            }
            let mut v = vec![0.0; b * c];
            for (r, &i) in ix.iter().enumerate() {
                v[r * c + i as usize] = 1.0;
            }
            Tensor::from_f64s(logits.dtype(), &[b, c], &v)?
        } else {
            if labels.shape() != logits.shape() {
                return Err(invalid!(
                    "{op}: logits {:?} and labels {:?} differ",
                    logits.shape(),
                    labels.shape()
                ));
            }
            labels.clone()
        };
        let mut backprop = None;
        let loss = float_map2!(op, logits, &labels, |l, y| {
            let (loss, back) = xent(l, y);
            backprop = Some(Tensor::from_float(back));
            loss
        })?;
        let backprop = backprop.ok_or_else(|| invalid!("{op}: no backprop"))?;
        Ok(vec![loss, backprop])
    }

    // dlogits = g[:, None] * backprop (+ the second-order term when backprop itself has a
    // gradient: (gg - sum(gg*softmax)) * softmax); dlabels = -g[:, None] * log_softmax(logits).
    fn gradient(&self, g: &mut dyn Graph, a: &GradArgs) -> Result<Vec<Option<Handle>>> {
        let (logits, labels) = (&a.inputs[0], &a.inputs[1]);
        let gl = a.grad(g, 0)?;
        let b = gl.shape()[0];
        let gcol = shape::reshape(g, &gl, &[b, 1])?;
        let mut gx = binary::mul(g, &gcol, &a.outputs[1])?;
        if let Some(Some(gg)) = a.grads.get(1) {
            let sm = run1(g, Softmax { log: false }, &[logits])?;
            let p = binary::mul(g, gg, &sm)?;
            let s = sum_last(g, &p)?;
            let d = binary::sub(g, gg, &s)?;
            let t = binary::mul(g, &d, &sm)?;
            gx = binary::add(g, &gx, &t)?;
        }
        let glab = if self.sparse {
            None
        } else {
            let ls = run1(g, Softmax { log: true }, &[logits])?;
            let t = binary::mul(g, &gcol, &ls)?;
            let t = unary::neg(g, &t)?;
            Some(super::sum_to_shape(g, &t, labels.shape())?)
        };
        Ok(vec![Some(gx), glab])
    }
}
