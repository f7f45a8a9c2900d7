//! Elementwise kernels: binary ops on equal-length slices and against a broadcast scalar,
//! in-place accumulation, and unary ops; the ops themselves live in `ops`.

use std::marker::PhantomData;
use std::mem::MaybeUninit;

use rayon::prelude::*;

use super::float::Float;
use super::ops::{
    Add, BinaryOp, Div, Exp, Flip, Log, Maximum, Minimum, Mul, Neg, Relu, ReluGrad, Sigmoid, Sqrt, Square,
    Sub, Tanh, UnaryOp,
};
use super::simd::{Kernel, Lanes1, Lanes2, Simd, as_uninit, map1, map2};
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
    out: &'a mut [MaybeUninit<T>],
    op: PhantomData<Op>,
}

impl<T: Float, Op: BinaryOp<T>> Kernel<T> for Zip<'_, T, Op> {
    type Output = ();
    fn scalar(self) {
        for ((o, &a), &b) in self.out.iter_mut().zip(self.a).zip(self.b) {
            o.write(Op::scalar(a, b));
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
    out: &'a mut [MaybeUninit<T>],
    op: PhantomData<Op>,
}

impl<T: Float, Op: BinaryOp<T>> Kernel<T> for ZipScalar<'_, T, Op> {
    type Output = ();
    fn scalar(self) {
        for (o, &a) in self.out.iter_mut().zip(self.a) {
            o.write(Op::scalar(a, self.b));
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
    out: &'a mut [MaybeUninit<T>],
    op: PhantomData<Op>,
}

impl<T: Float, Op: UnaryOp<T>> Kernel<T> for Map<'_, T, Op> {
    type Output = ();
    fn scalar(self) {
        for (o, &x) in self.out.iter_mut().zip(self.x) {
            o.write(Op::scalar(x));
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
    // SAFETY: `binary_into` writes only op results.
    binary_into::<T, Op>(isa, a, b, unsafe { as_uninit(out) });
}

/// `binary_with` into memory that may be uninitialized; every element of `out` is
/// initialized on return (or the call panics on a length mismatch before writing).
fn binary_into<T: Float, Op: BinaryOp<T>>(isa: Isa, a: &[T], b: &[T], out: &mut [MaybeUninit<T>]) {
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
    // SAFETY: `binary_scalar_into` writes only op results.
    binary_scalar_into::<T, Op>(isa, a, b, unsafe { as_uninit(out) });
}

/// `binary_scalar_with` into memory that may be uninitialized (initialized on return).
fn binary_scalar_into<T: Float, Op: BinaryOp<T>>(isa: Isa, a: &[T], b: T, out: &mut [MaybeUninit<T>]) {
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
    // SAFETY: `unary_into` writes only op results.
    unary_into::<T, Op>(isa, x, unsafe { as_uninit(out) });
}

/// `unary_with` into memory that may be uninitialized (initialized on return).
fn unary_into<T: Float, Op: UnaryOp<T>>(isa: Isa, x: &[T], out: &mut [MaybeUninit<T>]) {
    check_len("unary op out", out.len(), x.len());
    let run = |x: &[T], out: &mut [MaybeUninit<T>]| {
        T::dispatch(
            isa,
            Map::<T, Op> {
                x,
                out,
                op: PhantomData,
            },
        )
    };
    match par_chunk_len(x.len()) {
        None => run(x, out),
        Some(c) => out
            .par_chunks_mut(c)
            .zip(x.par_chunks(c))
            .for_each(|(out, x)| run(x, out)),
    }
}

/// A binary elementwise op, for the fresh-output entry points ([`new_binary`] and friends).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bin {
    Add,
    Sub,
    Mul,
    Div,
    Max,
    Min,
}

/// A unary elementwise op, for [`new_unary`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Un {
    Exp,
    Log,
    Tanh,
    Sigmoid,
    Relu,
    Neg,
    Square,
    Sqrt,
}

/// A new vector of `n` elements that `write` initializes in full. Nothing is zeroed first, so
/// a large output streams straight from the kernel: an op's fresh output costs what a kernel
/// call into a preallocated buffer does, where zeroing block by block (`new_with`) kept every
/// output line in the caches: exp of 16M f32 took 7.5-8.1 ms that way against 3.3 ms now
/// (`examples/fresh_outputs`).
///
/// # Safety
/// `write` must initialize every element of the slice it gets, or panic.
unsafe fn fresh<T>(n: usize, write: impl FnOnce(&mut [MaybeUninit<T>])) -> Vec<T> {
    let mut v = Vec::with_capacity(n);
    write(&mut v.spare_capacity_mut()[..n]);
    // SAFETY: by the caller's contract the first `n` elements are initialized; a panic in
    // `write` unwinds past this with the length still 0.
    unsafe { v.set_len(n) };
    v
}

type IntoBinary<T> = fn(Isa, &[T], &[T], &mut [MaybeUninit<T>]);
type IntoScalar<T> = fn(Isa, &[T], T, &mut [MaybeUninit<T>]);

/// `a op b` over equal-length slices (panics otherwise), as a new vector.
pub fn new_binary<T: Float>(op: Bin, a: &[T], b: &[T]) -> Vec<T> {
    let f: IntoBinary<T> = match op {
        Bin::Add => binary_into::<T, Add>,
        Bin::Sub => binary_into::<T, Sub>,
        Bin::Mul => binary_into::<T, Mul>,
        Bin::Div => binary_into::<T, Div>,
        Bin::Max => binary_into::<T, Maximum>,
        Bin::Min => binary_into::<T, Minimum>,
    };
    // SAFETY: `binary_into` writes every element of an output as long as `a` (it panics on
    // any length mismatch first).
    unsafe { fresh(a.len(), |out| f(isa(), a, b, out)) }
}

/// The relu backward (`relu_grad`) as a new vector.
pub fn new_relu_grad<T: Float>(x: &[T], g: &[T]) -> Vec<T> {
    // SAFETY: as in `new_binary`.
    unsafe { fresh(x.len(), |out| binary_into::<T, ReluGrad>(isa(), x, g, out)) }
}

/// `a op s` for a scalar `s`, as a new vector.
pub fn new_binary_scalar<T: Float>(op: Bin, a: &[T], s: T) -> Vec<T> {
    let f: IntoScalar<T> = match op {
        Bin::Add => binary_scalar_into::<T, Add>,
        Bin::Sub => binary_scalar_into::<T, Sub>,
        Bin::Mul => binary_scalar_into::<T, Mul>,
        Bin::Div => binary_scalar_into::<T, Div>,
        Bin::Max => binary_scalar_into::<T, Maximum>,
        Bin::Min => binary_scalar_into::<T, Minimum>,
    };
    // SAFETY: `binary_scalar_into` writes every element of an output as long as `a`.
    unsafe { fresh(a.len(), |out| f(isa(), a, s, out)) }
}

/// `s op a` for a scalar `s`, as a new vector. The operands keep their order (it decides
/// which zero a tie of max/min returns), except for add and mul, where it decides nothing.
pub fn new_scalar_binary<T: Float>(op: Bin, s: T, a: &[T]) -> Vec<T> {
    let f: IntoScalar<T> = match op {
        Bin::Add => binary_scalar_into::<T, Add>,
        Bin::Mul => binary_scalar_into::<T, Mul>,
        Bin::Sub => binary_scalar_into::<T, Flip<Sub>>,
        Bin::Div => binary_scalar_into::<T, Flip<Div>>,
        Bin::Max => binary_scalar_into::<T, Flip<Maximum>>,
        Bin::Min => binary_scalar_into::<T, Flip<Minimum>>,
    };
    // SAFETY: as in `new_binary_scalar`.
    unsafe { fresh(a.len(), |out| f(isa(), a, s, out)) }
}

/// `op(x)` as a new vector (log with `log`'s rule for subnormals in TensorFlow's tail).
pub fn new_unary<T: Float>(op: Un, x: &[T]) -> Vec<T> {
    let f: fn(Isa, &[T], &mut [MaybeUninit<T>]) = match op {
        Un::Exp => unary_into::<T, Exp>,
        Un::Log => unary_into::<T, Log>,
        Un::Tanh => unary_into::<T, Tanh>,
        Un::Sigmoid => unary_into::<T, Sigmoid>,
        Un::Relu => unary_into::<T, Relu>,
        Un::Neg => unary_into::<T, Neg>,
        Un::Square => unary_into::<T, Square>,
        Un::Sqrt => unary_into::<T, Sqrt>,
    };
    // SAFETY: `unary_into` writes every element of an output as long as `x`.
    let mut v = unsafe { fresh(x.len(), |out| f(isa(), x, out)) };
    if op == Un::Log {
        patch_log_tail(x, &mut v);
    }
    v
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
    patch_log_tail(x, out);
}

/// Replaces the -inf that a subnormal input gave by `Float::ln_subnormal`, for the elements of
/// `log(x)` (in `out`) that fall in TensorFlow's scalar tail.
fn patch_log_tail<T: Float>(x: &[T], out: &mut [T]) {
    let tail = tf_vector_len::<T>(x.len());
    for (o, &v) in out[tail..].iter_mut().zip(&x[tail..]) {
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
