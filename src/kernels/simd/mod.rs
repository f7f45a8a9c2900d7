//! The vector abstraction: a token type per instruction set (`Avx2`, `Avx512`) implementing
//! `Simd<T>`, the `Kernel` trait that generic kernel bodies implement, and `dispatch`, the one
//! place that enters `#[target_feature]` code.
//!
//! A kernel body is written once against `Simd<T>` with `#[inline(always)]` operations; it is
//! monomorphised inside a `#[target_feature]` function per ISA so every operation compiles to
//! the ISA's instructions (the same scheme as pulp's `Arch::dispatch`).

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;

#[cfg(target_arch = "x86_64")]
pub use avx2::Avx2;
#[cfg(target_arch = "x86_64")]
pub use avx512::Avx512;

use std::mem::MaybeUninit;

use super::{Float, Isa};

/// The widest vector any token has, in elements (AVX-512 with `f32`).
pub const MAX_LANES: usize = 16;

/// Vector operations on `T` for one instruction set.
///
/// A value of the implementing type is proof that the CPU supports that instruction set, so
/// the methods are safe. Unless stated, operations follow the x86 instructions exactly; in
/// particular `min`/`max` return the *second* operand when either is NaN, which the math
/// uses on purpose to let NaN through clamps.
pub trait Simd<T: Float>: Copy + Send + Sync + 'static {
    /// Elements per vector.
    const LANES: usize;
    type V: Copy;
    /// Lane mask produced by comparisons.
    type M: Copy;

    fn splat(self, x: T) -> Self::V;
    /// Loads the first `LANES` elements of `src` (panics if shorter; the check folds away
    /// under `chunks_exact`).
    fn load(self, src: &[T]) -> Self::V;
    /// Stores into the first `LANES` elements of `dst` (panics if shorter).
    fn store(self, dst: &mut [T], v: Self::V);
    /// `store` into memory that may be uninitialized (a fresh output); afterwards the first
    /// `LANES` elements of `dst` are initialized.
    fn store_uninit(self, dst: &mut [MaybeUninit<T>], v: Self::V);
    /// Stores with a non-temporal hint (bypassing the caches) into the first `LANES`
    /// elements of `dst` (which may be uninitialized before and are initialized after), which
    /// must be aligned to the vector size (panics otherwise). Callers must `fence` before other
    /// threads read the data.
    fn stream(self, dst: &mut [MaybeUninit<T>], v: Self::V);
    /// Orders earlier `stream` stores before later stores (sfence).
    fn fence(self);

    fn add(self, a: Self::V, b: Self::V) -> Self::V;
    fn sub(self, a: Self::V, b: Self::V) -> Self::V;
    fn mul(self, a: Self::V, b: Self::V) -> Self::V;
    fn div(self, a: Self::V, b: Self::V) -> Self::V;
    /// `a * b + c` with a single rounding.
    fn mul_add(self, a: Self::V, b: Self::V, c: Self::V) -> Self::V;
    fn min(self, a: Self::V, b: Self::V) -> Self::V;
    fn max(self, a: Self::V, b: Self::V) -> Self::V;
    fn sqrt(self, a: Self::V) -> Self::V;
    fn abs(self, a: Self::V) -> Self::V;
    fn neg(self, a: Self::V) -> Self::V;
    /// Returns `mag` with its sign bit ORed with the sign of `sign` (`mag` must be >= +0).
    fn or_sign(self, mag: Self::V, sign: Self::V) -> Self::V;
    /// Rounds to the nearest integer, ties to even.
    fn round(self, a: Self::V) -> Self::V;
    /// Computes `x * 2^n` for integral `n` with `|n|` at most twice the largest exponent
    /// (252 for f32, 2044 for f64), with correct overflow to infinity and gradual underflow.
    fn scale2(self, x: Self::V, n: Self::V) -> Self::V;
    /// Splits a positive normal `x` into `(m, e)` with `x = m * 2^e`, `m` in `[1, 2)`.
    fn frexp(self, x: Self::V) -> (Self::V, Self::V);

    fn gt(self, a: Self::V, b: Self::V) -> Self::M;
    fn ge(self, a: Self::V, b: Self::V) -> Self::M;
    fn lt(self, a: Self::V, b: Self::V) -> Self::M;
    fn eq(self, a: Self::V, b: Self::V) -> Self::M;
    fn is_nan(self, a: Self::V) -> Self::M;
    fn mask_or(self, a: Self::M, b: Self::M) -> Self::M;
    fn mask_not(self, a: Self::M) -> Self::M;
    fn mask_any(self, a: Self::M) -> bool;
    /// Lane-wise `if m { a } else { b }`.
    fn select(self, m: Self::M, a: Self::V, b: Self::V) -> Self::V;

    /// Sums the lanes (pairwise, so the order does not depend on the call site).
    fn reduce_add(self, v: Self::V) -> T {
        let mut buf = [T::ZERO; MAX_LANES];
        self.store(&mut buf, v);
        let mut width = Self::LANES;
        while width > 1 {
            width /= 2;
            for i in 0..width {
                buf[i] += buf[i + width];
            }
        }
        buf[0]
    }
    /// Maximum of the lanes; NaN lanes must have been handled by the caller.
    fn reduce_max(self, v: Self::V) -> T {
        let mut buf = [T::ZERO; MAX_LANES];
        self.store(&mut buf, v);
        buf[..Self::LANES]
            .iter()
            .fold(T::NEG_INFINITY, |m, &x| if x > m { x } else { m })
    }
    /// Minimum of the lanes; NaN lanes must have been handled by the caller.
    fn reduce_min(self, v: Self::V) -> T {
        let mut buf = [T::ZERO; MAX_LANES];
        self.store(&mut buf, v);
        buf[..Self::LANES]
            .iter()
            .fold(T::INFINITY, |m, &x| if x < m { x } else { m })
    }

    /// Loads `src` (shorter than `LANES`) padding the missing lanes with `fill`, so tails run
    /// through the same vector code as the body and give bit-identical results.
    #[inline(always)]
    fn load_partial(self, src: &[T], fill: T) -> Self::V {
        let mut buf = [fill; MAX_LANES];
        buf[..src.len()].copy_from_slice(src);
        self.load(&buf)
    }
    /// Stores the first `dst.len()` lanes of `v` (`dst` shorter than `LANES`).
    #[inline(always)]
    fn store_partial(self, dst: &mut [T], v: Self::V) {
        let mut buf = [T::ZERO; MAX_LANES];
        self.store(&mut buf, v);
        let n = dst.len();
        dst.copy_from_slice(&buf[..n]);
    }
    /// `store_partial` into memory that may be uninitialized.
    #[inline(always)]
    fn store_partial_uninit(self, dst: &mut [MaybeUninit<T>], v: Self::V) {
        let mut buf = [T::ZERO; MAX_LANES];
        self.store(&mut buf, v);
        for (d, &x) in dst.iter_mut().zip(&buf) {
            d.write(x);
        }
    }
}

/// A kernel: a scalar reference body and a vector body generic over the instruction set.
pub trait Kernel<T: Float> {
    type Output;
    /// The plain-Rust reference; it is both the fallback and the test oracle.
    fn scalar(self) -> Self::Output;
    /// The vector body; implementations are `#[inline(always)]` so they compile inside the
    /// `#[target_feature]` entry of each ISA.
    fn simd<S: Simd<T>>(self, s: S) -> Self::Output;
}

/// Runs `k` on `isa`.
///
/// # Panics
/// If `isa` is not supported by this CPU (only reachable by forcing an ISA in tests).
#[cfg(target_arch = "x86_64")]
pub fn dispatch<T: Float, K: Kernel<T>>(isa: Isa, k: K) -> K::Output
where
    Avx2: Simd<T>,
    Avx512: Simd<T>,
{
    match isa {
        Isa::Scalar => k.scalar(),
        Isa::Avx2 => {
            let s = Avx2::try_new().expect("avx2+fma not supported by this cpu");
            // SAFETY: `Avx2::try_new` returned a token only because the CPU reports avx2 and
            // fma, the features `run_avx2` is compiled with.
            unsafe { run_avx2(s, k) }
        }
        Isa::Avx512 => {
            let s = Avx512::try_new().expect("avx512f+dq not supported by this cpu");
            // SAFETY: the token proves avx512f and avx512dq (and so avx2/fma) are present.
            unsafe { run_avx512(s, k) }
        }
    }
}

#[cfg(not(target_arch = "x86_64"))]
pub fn dispatch<T: Float, K: Kernel<T>>(isa: Isa, k: K) -> K::Output {
    match isa {
        Isa::Scalar => k.scalar(),
        other => panic!("{other:?} is not available on this architecture"),
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx,avx2,fma")]
fn run_avx2<T: Float, K: Kernel<T>>(s: Avx2, k: K) -> K::Output
where
    Avx2: Simd<T>,
{
    k.simd(s)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx,avx2,fma,avx512f,avx512dq")]
fn run_avx512<T: Float, K: Kernel<T>>(s: Avx512, k: K) -> K::Output
where
    Avx512: Simd<T>,
{
    k.simd(s)
}

/// Detects the best instruction set of this CPU.
pub fn detect() -> Isa {
    #[cfg(target_arch = "x86_64")]
    {
        if Avx512::try_new().is_some() {
            return Isa::Avx512;
        }
        if Avx2::try_new().is_some() {
            return Isa::Avx2;
        }
    }
    Isa::Scalar
}

/// A lane-wise function of one vector, for `map1` and `map_in_place`.
///
/// A trait rather than a closure: a closure is a separate function without the ISA's
/// target features, and if LLVM declines to inline it every intrinsic inside becomes an
/// out-of-line call (a 30x slowdown, seen in the exp benchmark). `#[inline(always)]` trait
/// methods are always inlined into the `#[target_feature]` entry.
pub trait Lanes1<T: Float, S: Simd<T>> {
    fn apply(&self, s: S, x: S::V) -> S::V;
}

/// A lane-wise function of two vectors, for `map2`.
pub trait Lanes2<T: Float, S: Simd<T>> {
    fn apply(&self, s: S, a: S::V, b: S::V) -> S::V;
}

/// Views an initialized output as possibly-uninitialized elements, to pass it to `map1` /
/// `map2` and the elementwise drivers, which also write fresh outputs.
///
/// # Safety
/// Only initialized values may be written through the result (the drivers write op results).
pub unsafe fn as_uninit<T>(out: &mut [T]) -> &mut [MaybeUninit<T>] {
    // SAFETY: `MaybeUninit<T>` has `T`'s layout, and the caller writes only initialized
    // values, so the slice stays initialized for its owner.
    unsafe { &mut *(out as *mut [T] as *mut [MaybeUninit<T>]) }
}

/// Computes `out[i] = f(x[i])` a vector at a time; the tail is padded with `fill` and runs
/// through `f` too, so every element sees the same arithmetic wherever it sits. Large
/// outputs are streamed (see `STREAM_MIN_BYTES`). `out` may be uninitialized (a fresh
/// output); every element of it is initialized on return.
#[inline(always)]
pub fn map1<T: Float, S: Simd<T>>(s: S, x: &[T], out: &mut [MaybeUninit<T>], fill: T, f: &impl Lanes1<T, S>) {
    if size_of_val(out) < STREAM_MIN_BYTES {
        return map1_with::<T, S, false>(s, x, out, fill, f);
    }
    let head = out
        .as_ptr()
        .align_offset(S::LANES * size_of::<T>())
        .min(out.len());
    let (oh, ob) = out.split_at_mut(head);
    map1_with::<T, S, false>(s, &x[..head], oh, fill, f);
    map1_with::<T, S, true>(s, &x[head..], ob, fill, f);
    s.fence();
}

#[inline(always)]
fn map1_with<T: Float, S: Simd<T>, const STREAM: bool>(
    s: S,
    x: &[T],
    out: &mut [MaybeUninit<T>],
    fill: T,
    f: &impl Lanes1<T, S>,
) {
    let mut out = out.chunks_exact_mut(S::LANES);
    let mut x = x.chunks_exact(S::LANES);
    for (o, x) in (&mut out).zip(&mut x) {
        let v = f.apply(s, s.load(x));
        if STREAM {
            s.stream(o, v)
        } else {
            s.store_uninit(o, v)
        }
    }
    let o = out.into_remainder();
    if !o.is_empty() {
        s.store_partial_uninit(o, f.apply(s, s.load_partial(x.remainder(), fill)));
    }
}

/// Outputs of at least this many bytes per kernel call (one chunk of `par_chunk_len`) are
/// written with non-temporal stores: they exceed this core's share of the caches, so caching
/// them would only evict the inputs and cost a read-for-ownership per line. On the dev box
/// this took `add` of 16M f32 from 16 ms to 9.4 ms on one core. With 2 threads x 4 chunks a
/// whole output streams from 32 MiB, as it did with 16 MiB per thread and one chunk each.
pub const STREAM_MIN_BYTES: usize = 4 << 20;

/// Computes `out[i] = f(a[i], b[i])` a vector at a time (tail and streaming as in `map1`).
#[inline(always)]
pub fn map2<T: Float, S: Simd<T>>(
    s: S,
    a: &[T],
    b: &[T],
    out: &mut [MaybeUninit<T>],
    fill: T,
    f: &impl Lanes2<T, S>,
) {
    if size_of_val(out) < STREAM_MIN_BYTES {
        return map2_with::<T, S, false>(s, a, b, out, fill, f);
    }
    // Peel the unaligned head so the streamed body starts on a vector boundary.
    let head = out
        .as_ptr()
        .align_offset(S::LANES * size_of::<T>())
        .min(out.len());
    let (oh, ob) = out.split_at_mut(head);
    map2_with::<T, S, false>(s, &a[..head], &b[..head], oh, fill, f);
    map2_with::<T, S, true>(s, &a[head..], &b[head..], ob, fill, f);
    s.fence();
}

#[inline(always)]
fn map2_with<T: Float, S: Simd<T>, const STREAM: bool>(
    s: S,
    a: &[T],
    b: &[T],
    out: &mut [MaybeUninit<T>],
    fill: T,
    f: &impl Lanes2<T, S>,
) {
    let mut out = out.chunks_exact_mut(S::LANES);
    let mut a = a.chunks_exact(S::LANES);
    let mut b = b.chunks_exact(S::LANES);
    for ((o, a), b) in (&mut out).zip(&mut a).zip(&mut b) {
        let v = f.apply(s, s.load(a), s.load(b));
        if STREAM {
            s.stream(o, v)
        } else {
            s.store_uninit(o, v)
        }
    }
    let o = out.into_remainder();
    if !o.is_empty() {
        let (va, vb) = (
            s.load_partial(a.remainder(), fill),
            s.load_partial(b.remainder(), fill),
        );
        s.store_partial_uninit(o, f.apply(s, va, vb));
    }
}

/// Computes `x[i] = f(x[i])` in place (tail as in `map1`).
#[inline(always)]
pub fn map_in_place<T: Float, S: Simd<T>>(s: S, x: &mut [T], fill: T, f: &impl Lanes1<T, S>) {
    let mut chunks = x.chunks_exact_mut(S::LANES);
    for c in &mut chunks {
        let v = f.apply(s, s.load(c));
        s.store(c, v);
    }
    let c = chunks.into_remainder();
    if !c.is_empty() {
        let v = f.apply(s, s.load_partial(c, fill));
        s.store_partial(c, v);
    }
}
