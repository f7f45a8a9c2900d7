//! Elementwise kernels: binary ops on equal-length slices and against a broadcast scalar,
//! in-place accumulation, and unary ops; the ops themselves live in `ops`.

use std::marker::PhantomData;

use rayon::prelude::*;

use super::float::Float;
use super::ops::{
    Add, BinaryOp, Div, Exp, Flip, Log, Maximum, Minimum, Mul, Neg, Relu, ReluGrad, Sigmoid, Sqrt, Square,
    Sub, Tanh, UnaryOp,
};
use super::simd::{Kernel, Lanes1, Lanes2, Simd, map1, map2};
use super::{Isa, isa, par_chunk_len};

/// Adapts a `BinaryOp` to `map2`.
struct ViaBinary<Op>(PhantomData<Op>);
impl<T: Float, S: Simd<T>, Op: BinaryOp<T>> Lanes2<T, S> for ViaBinary<Op> {
    #[inline(always)]
    fn apply(&self, s: S, a: S::V, b: S::V) -> S::V {
        Op::vector(s, a, b)
    }
}

/// Adapts a `BinaryOp` with a broadcast right operand to `map1`.
struct WithRhs<Op, V>(V, PhantomData<Op>);
impl<T: Float, S: Simd<T>, Op: BinaryOp<T>> Lanes1<T, S> for WithRhs<Op, S::V> {
    #[inline(always)]
    fn apply(&self, s: S, a: S::V) -> S::V {
        Op::vector(s, a, self.0)
    }
}

/// Adapts a `UnaryOp` to `map1`.
struct ViaUnary<Op>(PhantomData<Op>);
impl<T: Float, S: Simd<T>, Op: UnaryOp<T>> Lanes1<T, S> for ViaUnary<Op> {
    #[inline(always)]
    fn apply(&self, s: S, x: S::V) -> S::V {
        Op::vector(s, x)
    }
}

/// `out = a op b` over equal-length slices.
struct Zip<'a, T, Op> {
    a: &'a [T],
    b: &'a [T],
    out: &'a mut [T],
    op: PhantomData<Op>,
}

impl<T: Float, Op: BinaryOp<T>> Kernel<T> for Zip<'_, T, Op> {
    type Output = ();
    fn scalar(self) {
        for ((o, &a), &b) in self.out.iter_mut().zip(self.a).zip(self.b) {
            *o = Op::scalar(a, b);
        }
    }
    #[inline(always)]
    fn simd<S: Simd<T>>(self, s: S) {
        // Padding with 1 keeps the unused tail lanes away from special cases (0/0, log 0).
        map2(s, self.a, self.b, self.out, T::ONE, &ViaBinary::<Op>(PhantomData));
    }
}

/// `out = a op b` with a broadcast scalar `b`.
struct ZipScalar<'a, T, Op> {
    a: &'a [T],
    b: T,
    out: &'a mut [T],
    op: PhantomData<Op>,
}

impl<T: Float, Op: BinaryOp<T>> Kernel<T> for ZipScalar<'_, T, Op> {
    type Output = ();
    fn scalar(self) {
        for (o, &a) in self.out.iter_mut().zip(self.a) {
            *o = Op::scalar(a, self.b);
        }
    }
    #[inline(always)]
    fn simd<S: Simd<T>>(self, s: S) {
        let rhs = WithRhs::<Op, S::V>(s.splat(self.b), PhantomData);
        map1(s, self.a, self.out, T::ONE, &rhs);
    }
}

/// `acc = acc op x` in place.
struct ZipInPlace<'a, T, Op> {
    acc: &'a mut [T],
    x: &'a [T],
    op: PhantomData<Op>,
}

impl<T: Float, Op: BinaryOp<T>> Kernel<T> for ZipInPlace<'_, T, Op> {
    type Output = ();
    fn scalar(self) {
        for (acc, &x) in self.acc.iter_mut().zip(self.x) {
            *acc = Op::scalar(*acc, x);
        }
    }
    #[inline(always)]
    fn simd<S: Simd<T>>(self, s: S) {
        // In place: the accumulator row is both an input and the output.
        let mut acc = self.acc.chunks_exact_mut(S::LANES);
        let mut x = self.x.chunks_exact(S::LANES);
        for (acc, x) in (&mut acc).zip(&mut x) {
            let v = Op::vector(s, s.load(acc), s.load(x));
            s.store(acc, v);
        }
        let acc = acc.into_remainder();
        if !acc.is_empty() {
            let va = s.load_partial(acc, T::ONE);
            let vx = s.load_partial(x.remainder(), T::ONE);
            s.store_partial(acc, Op::vector(s, va, vx));
        }
    }
}

/// `out = op(x)`.
struct Map<'a, T, Op> {
    x: &'a [T],
    out: &'a mut [T],
    op: PhantomData<Op>,
}

impl<T: Float, Op: UnaryOp<T>> Kernel<T> for Map<'_, T, Op> {
    type Output = ();
    fn scalar(self) {
        for (o, &x) in self.out.iter_mut().zip(self.x) {
            *o = Op::scalar(x);
        }
    }
    #[inline(always)]
    fn simd<S: Simd<T>>(self, s: S) {
        map1(s, self.x, self.out, T::ONE, &ViaUnary::<Op>(PhantomData));
    }
}

fn check_len(what: &str, got: usize, want: usize) {
    assert_eq!(got, want, "{what}: length {got} does not match {want}");
}

/// Inputs shorter than this run the binary ops' scalar reference: under one vector the ISA
/// entry and the padded partial loads cost more than the arithmetic, and these ops are exact
/// (IEEE add/sub/mul/div, the x86 rules for min/max), so the tests hold every ISA to the
/// reference bit for bit and the result cannot depend on the path. The small graphs a session
/// runs (the seed cell's 1x2 tensors) are made of such calls.
const TINY: usize = 8;

/// The ISA for a binary op over `n` elements (see [`TINY`]).
fn binary_isa(isa: Isa, n: usize) -> Isa {
    if n < TINY { Isa::Scalar } else { isa }
}

/// Runs `out = a op b` on `isa`, split across threads when large.
pub(crate) fn binary_with<T: Float, Op: BinaryOp<T>>(isa: Isa, a: &[T], b: &[T], out: &mut [T]) {
    check_len("binary op rhs", b.len(), a.len());
    check_len("binary op out", out.len(), a.len());
    let isa = binary_isa(isa, a.len());
    let run = |a, b, out| {
        T::dispatch(
            isa,
            Zip::<T, Op> {
                a,
                b,
                out,
                op: PhantomData,
            },
        )
    };
    match par_chunk_len(a.len()) {
        None => run(a, b, out),
        Some(c) => out
            .par_chunks_mut(c)
            .zip(a.par_chunks(c).zip(b.par_chunks(c)))
            .for_each(|(out, (a, b))| run(a, b, out)),
    }
}

/// Runs `out = a op b` (broadcast scalar `b`) on `isa`.
pub(crate) fn binary_scalar_with<T: Float, Op: BinaryOp<T>>(isa: Isa, a: &[T], b: T, out: &mut [T]) {
    check_len("binary op out", out.len(), a.len());
    let isa = binary_isa(isa, a.len());
    let run = |a, out| {
        T::dispatch(
            isa,
            ZipScalar::<T, Op> {
                a,
                b,
                out,
                op: PhantomData,
            },
        )
    };
    match par_chunk_len(a.len()) {
        None => run(a, out),
        Some(c) => out
            .par_chunks_mut(c)
            .zip(a.par_chunks(c))
            .for_each(|(out, a)| run(a, out)),
    }
}

/// Runs `acc = acc op x` on `isa`.
pub(crate) fn binary_in_place_with<T: Float, Op: BinaryOp<T>>(isa: Isa, acc: &mut [T], x: &[T]) {
    check_len("accumulate rhs", x.len(), acc.len());
    let isa = binary_isa(isa, acc.len());
    let run = |acc, x| {
        T::dispatch(
            isa,
            ZipInPlace::<T, Op> {
                acc,
                x,
                op: PhantomData,
            },
        )
    };
    match par_chunk_len(acc.len()) {
        None => run(acc, x),
        Some(c) => acc
            .par_chunks_mut(c)
            .zip(x.par_chunks(c))
            .for_each(|(acc, x)| run(acc, x)),
    }
}

/// Runs `out = op(x)` on `isa`.
pub(crate) fn unary_with<T: Float, Op: UnaryOp<T>>(isa: Isa, x: &[T], out: &mut [T]) {
    unary_with_then::<T, Op>(isa, x, out, |_, _| {});
}

/// Runs `out = op(x)` on `isa`, then `fix(x, out)` on each chunk while it is still in cache
/// (a per-element correction the vector code leaves out).
fn unary_with_then<T: Float, Op: UnaryOp<T>>(
    isa: Isa,
    x: &[T],
    out: &mut [T],
    fix: impl Fn(&[T], &mut [T]) + Sync,
) {
    check_len("unary op out", out.len(), x.len());
    let run = |x: &[T], out: &mut [T]| {
        T::dispatch(
            isa,
            Map::<T, Op> {
                x,
                out: &mut *out,
                op: PhantomData,
            },
        );
        fix(x, out);
    };
    match par_chunk_len(x.len()) {
        None => run(x, out),
        Some(c) => out
            .par_chunks_mut(c)
            .zip(x.par_chunks(c))
            .for_each(|(out, x)| run(x, out)),
    }
}

/// Computes `out = a + b`. Panics if the lengths differ (as every function here).
pub fn add<T: Float>(a: &[T], b: &[T], out: &mut [T]) {
    binary_with::<T, Add>(isa(), a, b, out);
}
/// Computes `out = a - b`.
pub fn sub<T: Float>(a: &[T], b: &[T], out: &mut [T]) {
    binary_with::<T, Sub>(isa(), a, b, out);
}
/// Computes `out = a * b`.
pub fn mul<T: Float>(a: &[T], b: &[T], out: &mut [T]) {
    binary_with::<T, Mul>(isa(), a, b, out);
}
/// Computes `out = a / b`.
pub fn div<T: Float>(a: &[T], b: &[T], out: &mut [T]) {
    binary_with::<T, Div>(isa(), a, b, out);
}
/// Computes `out = max(a, b)`; NaN in either operand gives NaN.
pub fn maximum<T: Float>(a: &[T], b: &[T], out: &mut [T]) {
    binary_with::<T, Maximum>(isa(), a, b, out);
}
/// Computes `out = min(a, b)`; NaN in either operand gives NaN.
pub fn minimum<T: Float>(a: &[T], b: &[T], out: &mut [T]) {
    binary_with::<T, Minimum>(isa(), a, b, out);
}
/// Computes `out = g` where `x > 0`, else 0: the relu backward (`relu'(0) = 0`, as TF).
pub fn relu_grad<T: Float>(x: &[T], g: &[T], out: &mut [T]) {
    binary_with::<T, ReluGrad>(isa(), x, g, out);
}
/// Computes `acc += x` in place (gradient accumulation).
pub fn add_assign<T: Float>(acc: &mut [T], x: &[T]) {
    binary_in_place_with::<T, Add>(isa(), acc, x);
}

/// Computes `out = a + s`.
pub fn add_scalar<T: Float>(a: &[T], s: T, out: &mut [T]) {
    binary_scalar_with::<T, Add>(isa(), a, s, out);
}
/// Computes `out = a - s`.
pub fn sub_scalar<T: Float>(a: &[T], s: T, out: &mut [T]) {
    binary_scalar_with::<T, Sub>(isa(), a, s, out);
}
/// Computes `out = a * s`.
pub fn mul_scalar<T: Float>(a: &[T], s: T, out: &mut [T]) {
    binary_scalar_with::<T, Mul>(isa(), a, s, out);
}
/// Computes `out = a / s`.
pub fn div_scalar<T: Float>(a: &[T], s: T, out: &mut [T]) {
    binary_scalar_with::<T, Div>(isa(), a, s, out);
}
/// Computes `out = max(a, s)`, NaN-propagating.
pub fn maximum_scalar<T: Float>(a: &[T], s: T, out: &mut [T]) {
    binary_scalar_with::<T, Maximum>(isa(), a, s, out);
}
/// Computes `out = min(a, s)`, NaN-propagating.
pub fn minimum_scalar<T: Float>(a: &[T], s: T, out: &mut [T]) {
    binary_scalar_with::<T, Minimum>(isa(), a, s, out);
}
/// Computes `out = max(s, a)`: `maximum_scalar` with the operands' order kept, which decides
/// which zero a tie returns (the second operand's, here `a`'s).
pub fn scalar_maximum<T: Float>(s: T, a: &[T], out: &mut [T]) {
    binary_scalar_with::<T, Flip<Maximum>>(isa(), a, s, out);
}
/// Computes `out = min(s, a)` (ties as in `scalar_maximum`).
pub fn scalar_minimum<T: Float>(s: T, a: &[T], out: &mut [T]) {
    binary_scalar_with::<T, Flip<Minimum>>(isa(), a, s, out);
}
/// Computes `out = s - a` (add and mul need no scalar-first form).
pub fn scalar_sub<T: Float>(s: T, a: &[T], out: &mut [T]) {
    binary_scalar_with::<T, Flip<Sub>>(isa(), a, s, out);
}
/// Computes `out = s / a`.
pub fn scalar_div<T: Float>(s: T, a: &[T], out: &mut [T]) {
    binary_scalar_with::<T, Flip<Div>>(isa(), a, s, out);
}

/// Computes `out = e^x`; `d/dx e^x = e^x`. Error bounds in the `math` module docs.
pub fn exp<T: Float>(x: &[T], out: &mut [T]) {
    unary_with::<T, Exp>(isa(), x, out);
}
/// Computes `out = ln(x)`; `d/dx ln(x) = 1/x`.
///
/// Subnormal inputs get TensorFlow's answers, which depend on where they sit
/// ([`tf_vector_len`]): in TensorFlow's vector lanes its log reads them as 0 (with
/// denormals-are-zero on, `flush_denormals`) and gives -inf, which is what the vector code here
/// gives too; in the scalar tail it gives `Float::ln_subnormal` (ln(2^-150), or NaN for a
/// negative one, in float32), patched in here.
pub fn log<T: Float>(x: &[T], out: &mut [T]) {
    unary_with::<T, Log>(isa(), x, out);
    let tail = tf_vector_len::<T>(x.len());
    patch_log_tail(&x[tail..], &mut out[tail..]);
}

/// Replaces the -inf that a subnormal input gave by `Float::ln_subnormal`, for elements in
/// TensorFlow's scalar tail.
fn patch_log_tail<T: Float>(x: &[T], out: &mut [T]) {
    for (o, &v) in out.iter_mut().zip(x) {
        if *o == T::NEG_INFINITY
            && let Some(l) = v.ln_subnormal()
        {
            *o = l;
        }
    }
}

/// `ln(v)` for the element at `index` of an `n`-element output, with `log`'s rule for
/// subnormal inputs (for strided fallbacks, which walk the output in logical order).
pub fn ln_at<T: Float>(v: T, index: usize, n: usize) -> T {
    if index >= tf_vector_len::<T>(n)
        && let Some(l) = v.ln_subnormal()
    {
        return l;
    }
    // `v * one`, opaque to the optimizer, is zero for a subnormal v when denormals are flushed.
    (v * std::hint::black_box(T::ONE)).ln()
}

/// How many leading elements of an `n`-element output TensorFlow's CPU kernels compute with
/// their vector code: its kernels are Eigen expressions, which take the first `n - n % L`
/// elements `L` at a time (`L` the lanes of a 256-bit AVX register in TensorFlow's x86-64
/// build: 8 float32, 4 float64) and the last `n % L` one at a time with the scalar functions.
/// The two agree except on subnormal operands, where gradd follows the same split (Log here,
/// Pow in `ops::binary`).
pub fn tf_vector_len<T>(n: usize) -> usize {
    let lanes = 32 / std::mem::size_of::<T>();
    n - n % lanes
}
/// Computes `out = tanh(x)`; `d/dx tanh(x) = 1 - tanh(x)^2`.
pub fn tanh<T: Float>(x: &[T], out: &mut [T]) {
    unary_with::<T, Tanh>(isa(), x, out);
}
/// Computes `out = 1 / (1 + e^-x)`; `d/dx sigmoid(x) = sigmoid(x) (1 - sigmoid(x))`.
pub fn sigmoid<T: Float>(x: &[T], out: &mut [T]) {
    unary_with::<T, Sigmoid>(isa(), x, out);
}
/// Computes `out = max(x, 0)`, NaN-propagating; the derivative is `relu_grad`.
pub fn relu<T: Float>(x: &[T], out: &mut [T]) {
    unary_with::<T, Relu>(isa(), x, out);
}
/// Computes `out = -x`.
pub fn neg<T: Float>(x: &[T], out: &mut [T]) {
    unary_with::<T, Neg>(isa(), x, out);
}
/// Computes `out = x^2`; `d/dx x^2 = 2x`.
pub fn square<T: Float>(x: &[T], out: &mut [T]) {
    unary_with::<T, Square>(isa(), x, out);
}
/// Computes `out = sqrt(x)` (correctly rounded on every path); `d/dx sqrt(x) = 1/(2 sqrt(x))`.
pub fn sqrt<T: Float>(x: &[T], out: &mut [T]) {
    unary_with::<T, Sqrt>(isa(), x, out);
}
