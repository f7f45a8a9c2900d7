//! Fused row-wise nn kernels on row-major `rows x cols` matrices: softmax, log-softmax, the
//! two TF softmax cross-entropy ops, and bias-add (+ relu).
//!
//! All softmax forms subtract the row max before exponentiating (TF does the same), so any
//! finite logits are safe; a row holding +inf or only -inf gives NaN, as in TF.

use std::fmt;

use rayon::prelude::*;

use super::float::Float;
use super::math;
use super::reduce::{Extremum, cascade_sum};
use super::simd::{Kernel, Lanes1, Lanes2, Simd, as_uninit, map_in_place, map1, map2};
use super::{Isa, isa, par_chunk_len};

/// Writes `out = exp(x - max(x))` and returns `(max(x), sum(out))`.
#[inline(always)]
fn exp_shifted<T: Float, S: Simd<T>>(s: S, x: &[T], out: &mut [T]) -> (T, T) {
    let m = Extremum::<T, true> { x }.simd(s);
    let vm = s.splat(m);
    // SAFETY: map1 writes only the lanes' results.
    map1(s, x, unsafe { as_uninit(out) }, m, &ExpMinus(vm));
    (m, cascade_sum(s, out))
}

/// Scalar reference of `exp_shifted`.
fn exp_shifted_ref<T: Float>(x: &[T], out: &mut [T]) -> (T, T) {
    let m = Extremum::<T, true> { x }.scalar();
    for (o, &v) in out.iter_mut().zip(x) {
        *o = (v - m).exp();
    }
    (m, out.iter().copied().sum())
}

/// `exp(x - m)` lane-wise.
struct ExpMinus<V>(V);
impl<T: Float, S: Simd<T>> Lanes1<T, S> for ExpMinus<S::V> {
    #[inline(always)]
    fn apply(&self, s: S, x: S::V) -> S::V {
        math::exp(s, s.sub(x, self.0))
    }
}

/// `(x - a) - b` lane-wise, rounding as the scalar reference does.
struct MinusTwice<V>(V, V);
impl<T: Float, S: Simd<T>> Lanes1<T, S> for MinusTwice<S::V> {
    #[inline(always)]
    fn apply(&self, s: S, x: S::V) -> S::V {
        s.sub(s.sub(x, self.0), self.1)
    }
}

/// `x * c` lane-wise.
struct Scale<V>(V);
impl<T: Float, S: Simd<T>> Lanes1<T, S> for Scale<S::V> {
    #[inline(always)]
    fn apply(&self, s: S, x: S::V) -> S::V {
        s.mul(x, self.0)
    }
}

/// `softmax` (or `log_softmax` when `LOG`) of each row.
struct Softmax<'a, T, const LOG: bool> {
    x: &'a [T],
    cols: usize,
    out: &'a mut [T],
}

impl<T: Float, const LOG: bool> Kernel<T> for Softmax<'_, T, LOG> {
    type Output = ();
    fn scalar(self) {
        for (x, out) in self
            .x
            .chunks_exact(self.cols)
            .zip(self.out.chunks_exact_mut(self.cols))
        {
            let (m, sum) = exp_shifted_ref(x, out);
            if LOG {
                let ln_sum = sum.ln();
                for (o, &v) in out.iter_mut().zip(x) {
                    *o = v - m - ln_sum;
                }
            } else {
                let inv = T::ONE / sum;
                out.iter_mut().for_each(|o| *o = *o * inv);
            }
        }
    }
    #[inline(always)]
    fn simd<S: Simd<T>>(self, s: S) {
        for (x, out) in self
            .x
            .chunks_exact(self.cols)
            .zip(self.out.chunks_exact_mut(self.cols))
        {
            let (m, sum) = exp_shifted(s, x, out);
            if LOG {
                // log_softmax = (x - m) - ln(sum); `out` held the exponentials as scratch.
                let (vm, ln_sum) = (s.splat(m), s.splat(sum.ln()));
                // SAFETY: map1 writes only the lanes' results.
                map1(s, x, unsafe { as_uninit(out) }, T::ZERO, &MinusTwice(vm, ln_sum));
            } else {
                let inv = s.splat(T::ONE / sum);
                map_in_place(s, out, T::ZERO, &Scale(inv));
            }
        }
    }
}

/// TF `SoftmaxCrossEntropyWithLogits` per row: `loss = sum(labels * (lse - (x - m)))` with
/// `lse = ln(sum(exp(x - m)))`, and `backprop = softmax(x) - labels`.
struct Xent<'a, T> {
    logits: &'a [T],
    labels: &'a [T],
    cols: usize,
    loss: &'a mut [T],
    backprop: &'a mut [T],
}

impl<T: Float> Kernel<T> for Xent<'_, T> {
    type Output = ();
    fn scalar(self) {
        let c = self.cols;
        let rows = self.logits.chunks_exact(c).zip(self.labels.chunks_exact(c));
        for ((x, y), (loss, bp)) in rows.zip(self.loss.iter_mut().zip(self.backprop.chunks_exact_mut(c))) {
            let (m, sum) = exp_shifted_ref(x, bp);
            let (lse, inv) = (sum.ln(), T::ONE / sum);
            let mut l = T::ZERO;
            for ((b, &xv), &yv) in bp.iter_mut().zip(x).zip(y) {
                l += yv * (lse - (xv - m));
                *b = *b * inv - yv;
            }
            *loss = l;
        }
    }
    #[inline(always)]
    fn simd<S: Simd<T>>(self, s: S) {
        let (c, l) = (self.cols, S::LANES);
        let rows = self.logits.chunks_exact(c).zip(self.labels.chunks_exact(c));
        for ((x, y), (loss, bp)) in rows.zip(self.loss.iter_mut().zip(self.backprop.chunks_exact_mut(c))) {
            let (m, sum) = exp_shifted(s, x, bp);
            let (vm, lse, inv) = (s.splat(m), s.splat(sum.ln()), s.splat(T::ONE / sum));
            let mut acc = s.splat(T::ZERO);
            // One pass finishes both outputs; padded tail lanes have label 0 and add nothing.
            let step = XentStep { vm, lse, inv };
            let mut bpc = bp.chunks_exact_mut(l);
            let (mut xc, mut yc) = (x.chunks_exact(l), y.chunks_exact(l));
            for ((b, xv), yv) in (&mut bpc).zip(&mut xc).zip(&mut yc) {
                let (a, bv) = step.apply(s, acc, s.load(xv), s.load(yv), s.load(b));
                acc = a;
                s.store(b, bv);
            }
            let b = bpc.into_remainder();
            if !b.is_empty() {
                let xv = s.load_partial(xc.remainder(), m);
                let yv = s.load_partial(yc.remainder(), T::ZERO);
                let (a, bv) = step.apply(s, acc, xv, yv, s.load_partial(b, T::ZERO));
                acc = a;
                s.store_partial(b, bv);
            }
            *loss = s.reduce_add(acc);
        }
    }
}

/// One vector of the xent finishing pass: accumulates `labels * (lse - (x - m))` into the
/// loss and returns `exp(x - m) / sum - labels` for the backprop.
struct XentStep<V> {
    vm: V,
    lse: V,
    inv: V,
}

impl<V: Copy> XentStep<V> {
    #[inline(always)]
    fn apply<T: Float, S: Simd<T, V = V>>(&self, s: S, acc: V, x: V, y: V, e: V) -> (V, V) {
        let acc = s.add(acc, s.mul(y, s.sub(self.lse, s.sub(x, self.vm))));
        (acc, s.sub(s.mul(e, self.inv), y))
    }
}

/// TF `SparseSoftmaxCrossEntropyWithLogits` per row: `loss = lse - (x[label] - m)`,
/// `backprop = softmax(x) - onehot(label)`. Labels are validated before the kernel runs.
struct SparseXent<'a, T> {
    logits: &'a [T],
    labels: &'a [i64],
    cols: usize,
    loss: &'a mut [T],
    backprop: &'a mut [T],
}

impl<T: Float> Kernel<T> for SparseXent<'_, T> {
    type Output = ();
    fn scalar(self) {
        let c = self.cols;
        let rows = self.logits.chunks_exact(c).zip(self.labels);
        for ((x, &y), (loss, bp)) in rows.zip(self.loss.iter_mut().zip(self.backprop.chunks_exact_mut(c))) {
            let (m, sum) = exp_shifted_ref(x, bp);
            let inv = T::ONE / sum;
            bp.iter_mut().for_each(|b| *b = *b * inv);
            let y = y as usize;
            bp[y] = bp[y] - T::ONE;
            *loss = sum.ln() - (x[y] - m);
        }
    }
    #[inline(always)]
    fn simd<S: Simd<T>>(self, s: S) {
        let c = self.cols;
        let rows = self.logits.chunks_exact(c).zip(self.labels);
        for ((x, &y), (loss, bp)) in rows.zip(self.loss.iter_mut().zip(self.backprop.chunks_exact_mut(c))) {
            let (m, sum) = exp_shifted(s, x, bp);
            let inv = s.splat(T::ONE / sum);
            map_in_place(s, bp, T::ZERO, &Scale(inv));
            let y = y as usize;
            bp[y] = bp[y] - T::ONE;
            *loss = sum.ln() - (x[y] - m);
        }
    }
}

/// `out = x + bias` per row, then relu when `RELU`.
struct BiasAdd<'a, T, const RELU: bool> {
    x: &'a [T],
    bias: &'a [T],
    out: &'a mut [T],
}

impl<T: Float, const RELU: bool> Kernel<T> for BiasAdd<'_, T, RELU> {
    type Output = ();
    fn scalar(self) {
        let c = self.bias.len();
        for (x, out) in self.x.chunks_exact(c).zip(self.out.chunks_exact_mut(c)) {
            for ((o, &v), &b) in out.iter_mut().zip(x).zip(self.bias) {
                let y = v + b;
                *o = if RELU && !(y > T::ZERO || y.is_nan()) {
                    T::ZERO
                } else {
                    y
                };
            }
        }
    }
    #[inline(always)]
    fn simd<S: Simd<T>>(self, s: S) {
        let c = self.bias.len();
        for (x, out) in self.x.chunks_exact(c).zip(self.out.chunks_exact_mut(c)) {
            // SAFETY: map2 writes only the lanes' results.
            map2(
                s,
                x,
                self.bias,
                unsafe { as_uninit(out) },
                T::ZERO,
                &BiasLanes::<RELU>,
            );
        }
    }
}

/// `relu(x + b)` (or `x + b`) lane-wise.
struct BiasLanes<const RELU: bool>;
impl<T: Float, S: Simd<T>, const RELU: bool> Lanes2<T, S> for BiasLanes<RELU> {
    #[inline(always)]
    fn apply(&self, s: S, x: S::V, b: S::V) -> S::V {
        let y = s.add(x, b);
        // max(0, y) returns y when y is NaN, matching relu(NaN) = NaN.
        if RELU { s.max(s.splat(T::ZERO), y) } else { y }
    }
}

/// Rows per parallel task for a `rows x cols` op, or `None` to stay on this thread.
fn rows_per_task(rows: usize, cols: usize) -> Option<usize> {
    par_chunk_len(rows * cols).map(|c| c.div_ceil(cols.max(1)).max(1))
}

fn check_matrix(op: &str, what: &str, len: usize, rows: usize, cols: usize) {
    assert_eq!(
        len,
        rows * cols,
        "{op}: {what} has {len} elements, expected {rows}x{cols}"
    );
}

pub(crate) fn softmax_with<T: Float, const LOG: bool>(
    isa: Isa,
    x: &[T],
    rows: usize,
    cols: usize,
    out: &mut [T],
) {
    check_matrix("softmax", "x", x.len(), rows, cols);
    check_matrix("softmax", "out", out.len(), rows, cols);
    if cols == 0 {
        return;
    }
    let run = |x, out| T::dispatch(isa, Softmax::<T, LOG> { x, cols, out });
    match rows_per_task(rows, cols) {
        None => run(x, out),
        Some(r) => out
            .par_chunks_mut(r * cols)
            .zip(x.par_chunks(r * cols))
            .for_each(|(out, x)| run(x, out)),
    }
}

/// Computes the softmax of each row of a row-major `rows x cols` matrix.
pub fn softmax_rows<T: Float>(x: &[T], rows: usize, cols: usize, out: &mut [T]) {
    softmax_with::<T, false>(isa(), x, rows, cols, out);
}

/// Computes the log-softmax of each row: `x - max - ln(sum(exp(x - max)))`.
pub fn log_softmax_rows<T: Float>(x: &[T], rows: usize, cols: usize, out: &mut [T]) {
    softmax_with::<T, true>(isa(), x, rows, cols, out);
}

pub(crate) fn xent_with<T: Float>(
    isa: Isa,
    logits: &[T],
    labels: &[T],
    rows: usize,
    cols: usize,
    loss: &mut [T],
    backprop: &mut [T],
) {
    let op = "softmax_cross_entropy";
    check_matrix(op, "logits", logits.len(), rows, cols);
    check_matrix(op, "labels", labels.len(), rows, cols);
    check_matrix(op, "backprop", backprop.len(), rows, cols);
    check_matrix(op, "loss", loss.len(), rows, 1);
    if cols == 0 {
        loss.fill(T::ZERO);
        return;
    }
    let run = |logits, labels, loss, backprop| {
        T::dispatch(
            isa,
            Xent {
                logits,
                labels,
                cols,
                loss,
                backprop,
            },
        )
    };
    match rows_per_task(rows, cols) {
        None => run(logits, labels, loss, backprop),
        Some(r) => loss
            .par_chunks_mut(r)
            .zip(backprop.par_chunks_mut(r * cols))
            .zip(logits.par_chunks(r * cols).zip(labels.par_chunks(r * cols)))
            .for_each(|((loss, bp), (x, y))| run(x, y, loss, bp)),
    }
}

/// Computes TF's `SoftmaxCrossEntropyWithLogits` for each row of `rows x cols` logits and
/// (probability) labels: `loss[i] = -sum_j labels[i,j] * log_softmax(logits)[i,j]` and
/// `backprop = softmax(logits) - labels`, which is d loss / d logits.
pub fn softmax_cross_entropy_rows<T: Float>(
    logits: &[T],
    labels: &[T],
    rows: usize,
    cols: usize,
    loss_out: &mut [T],
    backprop_out: &mut [T],
) {
    xent_with(isa(), logits, labels, rows, cols, loss_out, backprop_out);
}

/// A sparse label outside `[0, cols)`; TF's CPU kernel rejects these too.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LabelOutOfRange {
    pub row: usize,
    pub label: i64,
    pub cols: usize,
}

impl fmt::Display for LabelOutOfRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self { row, label, cols } = self;
        write!(
            f,
            "label {label} in row {row} is outside the valid range [0, {cols})"
        )
    }
}

impl std::error::Error for LabelOutOfRange {}

pub(crate) fn sparse_xent_with<T: Float>(
    isa: Isa,
    logits: &[T],
    labels: &[i64],
    rows: usize,
    cols: usize,
    loss: &mut [T],
    backprop: &mut [T],
) -> Result<(), LabelOutOfRange> {
    let op = "sparse_softmax_cross_entropy";
    check_matrix(op, "logits", logits.len(), rows, cols);
    check_matrix(op, "labels", labels.len(), rows, 1);
    check_matrix(op, "backprop", backprop.len(), rows, cols);
    check_matrix(op, "loss", loss.len(), rows, 1);
    if let Some((row, &label)) = labels
        .iter()
        .enumerate()
        .find(|&(_, &l)| usize::try_from(l).map_or(true, |l| l >= cols))
    {
        return Err(LabelOutOfRange { row, label, cols });
    }
    let run = |logits, labels, loss, backprop| {
        T::dispatch(
            isa,
            SparseXent {
                logits,
                labels,
                cols,
                loss,
                backprop,
            },
        )
    };
    match rows_per_task(rows, cols) {
        None => run(logits, labels, loss, backprop),
        Some(r) => loss
            .par_chunks_mut(r)
            .zip(backprop.par_chunks_mut(r * cols))
            .zip(logits.par_chunks(r * cols).zip(labels.par_chunks(r)))
            .for_each(|((loss, bp), (x, y))| run(x, y, loss, bp)),
    }
    Ok(())
}

/// Computes TF's `SparseSoftmaxCrossEntropyWithLogits`: like
/// [`softmax_cross_entropy_rows`] with one-hot labels given as class indices.
///
/// # Errors
/// [`LabelOutOfRange`] if a label is negative or `>= cols`; nothing is written then.
pub fn sparse_softmax_cross_entropy_rows<T: Float>(
    logits: &[T],
    label_idx: &[i64],
    rows: usize,
    cols: usize,
    loss_out: &mut [T],
    backprop_out: &mut [T],
) -> Result<(), LabelOutOfRange> {
    sparse_xent_with(isa(), logits, label_idx, rows, cols, loss_out, backprop_out)
}

pub(crate) fn bias_add_with<T: Float, const RELU: bool>(
    isa: Isa,
    x: &[T],
    bias: &[T],
    rows: usize,
    cols: usize,
    out: &mut [T],
) {
    check_matrix("bias_add", "x", x.len(), rows, cols);
    check_matrix("bias_add", "out", out.len(), rows, cols);
    check_matrix("bias_add", "bias", bias.len(), 1, cols);
    if cols == 0 {
        return;
    }
    let run = |x, out| T::dispatch(isa, BiasAdd::<T, RELU> { x, bias, out });
    match rows_per_task(rows, cols) {
        None => run(x, out),
        Some(r) => out
            .par_chunks_mut(r * cols)
            .zip(x.par_chunks(r * cols))
            .for_each(|(out, x)| run(x, out)),
    }
}

/// Computes `out[i, j] = x[i, j] + bias[j]` (TF `BiasAdd`, NHWC / channels-last).
pub fn bias_add<T: Float>(x: &[T], bias: &[T], rows: usize, cols: usize, out: &mut [T]) {
    bias_add_with::<T, false>(isa(), x, bias, rows, cols, out);
}

/// Computes `out = relu(x + bias)` in one pass; the backward is `relu_grad(out, g)` followed
/// by `sum_rows` for the bias gradient.
pub fn bias_add_relu<T: Float>(x: &[T], bias: &[T], rows: usize, cols: usize, out: &mut [T]) {
    bias_add_with::<T, true>(isa(), x, bias, rows, cols, out);
}
