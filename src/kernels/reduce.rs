//! Reductions: full `sum`/`max`/`min` of a slice, and sums over one axis of a row-major
//! matrix (`sum_rows` over axis 0, `sum_cols` over axis 1). N-d reductions reshape to these.

use rayon::prelude::*;

use super::elementwise::binary_in_place_with;
use super::float::Float;
use super::ops::Add;
use super::simd::{Kernel, Simd};
use super::{Isa, isa, par_chunk_len};

/// Leaf size of the pairwise summation tree. Inside a leaf, 4 vector accumulators each add
/// up `SUM_BLOCK / (4 * LANES)` elements in sequence (64 with AVX-512 f32), so the error
/// bound is ~(64 + log2(n / SUM_BLOCK)) ulp instead of n ulp for a running sum.
const SUM_BLOCK: usize = 4096;

/// Sums one leaf (at most `SUM_BLOCK` elements) of the pairwise tree. A trait rather than a
/// closure so the vector leaf is always inlined into the ISA's `#[target_feature]` entry.
trait Leaf<T> {
    fn sum(&self, x: &[T]) -> T;
}

struct ScalarLeaf;
impl<T: Float> Leaf<T> for ScalarLeaf {
    fn sum(&self, x: &[T]) -> T {
        x.iter().copied().sum()
    }
}

struct SimdLeaf<S>(S);
impl<T: Float, S: Simd<T>> Leaf<T> for SimdLeaf<S> {
    #[inline(always)]
    fn sum(&self, x: &[T]) -> T {
        sum_leaf(self.0, x)
    }
}

/// Sums `x` as a pairwise tree over `SUM_BLOCK` leaves, without recursion: a binary counter
/// of partial sums merges two partials as soon as they cover equal-sized spans.
#[inline(always)]
fn cascade<T: Float>(x: &[T], leaf: impl Leaf<T>) -> T {
    // 64 levels cover any slice that fits in memory.
    let mut stack = [(T::ZERO, 0u32); 64];
    let mut depth = 0;
    for block in x.chunks(SUM_BLOCK) {
        let mut v = leaf.sum(block);
        let mut level = 0;
        while depth > 0 && stack[depth - 1].1 == level {
            v = stack[depth - 1].0 + v;
            depth -= 1;
            level += 1;
        }
        stack[depth] = (v, level);
        depth += 1;
    }
    stack[..depth].iter().rev().fold(T::ZERO, |acc, &(v, _)| v + acc)
}

/// Sums a slice of at most `SUM_BLOCK` elements with 4 independent vector accumulators (so
/// the adds pipeline instead of waiting on each other).
#[inline(always)]
fn sum_leaf<T: Float, S: Simd<T>>(s: S, x: &[T]) -> T {
    let l = S::LANES;
    let zero = s.splat(T::ZERO);
    let mut acc = [zero; 4];
    let mut quads = x.chunks_exact(4 * l);
    for q in &mut quads {
        for (k, a) in acc.iter_mut().enumerate() {
            *a = s.add(*a, s.load(&q[k * l..]));
        }
    }
    let mut singles = quads.remainder().chunks_exact(l);
    for v in &mut singles {
        acc[0] = s.add(acc[0], s.load(v));
    }
    let rest = singles.remainder();
    if !rest.is_empty() {
        acc[1] = s.add(acc[1], s.load_partial(rest, T::ZERO));
    }
    s.reduce_add(s.add(s.add(acc[0], acc[1]), s.add(acc[2], acc[3])))
}

/// Sums `x` with the vector leaves (for kernels that already hold an ISA token).
#[inline(always)]
pub(super) fn cascade_sum<T: Float, S: Simd<T>>(s: S, x: &[T]) -> T {
    cascade(x, SimdLeaf(s))
}

struct Sum<'a, T> {
    x: &'a [T],
}

impl<T: Float> Kernel<T> for Sum<'_, T> {
    type Output = T;
    fn scalar(self) -> T {
        cascade(self.x, ScalarLeaf)
    }
    #[inline(always)]
    fn simd<S: Simd<T>>(self, s: S) -> T {
        cascade_sum(s, self.x)
    }
}

/// Max (`IS_MAX`) or min of a slice; NaN anywhere gives NaN, empty gives -inf (max) or +inf
/// (min), the identities TF uses for empty reductions.
pub(super) struct Extremum<'a, T, const IS_MAX: bool> {
    pub(super) x: &'a [T],
}

impl<T: Float, const IS_MAX: bool> Extremum<'_, T, IS_MAX> {
    const IDENTITY: T = if IS_MAX { T::NEG_INFINITY } else { T::INFINITY };
}

impl<T: Float, const IS_MAX: bool> Kernel<T> for Extremum<'_, T, IS_MAX> {
    type Output = T;
    fn scalar(self) -> T {
        let mut best = Self::IDENTITY;
        for &x in self.x {
            if x.is_nan() {
                return T::NAN;
            }
            if (IS_MAX && x > best) || (!IS_MAX && x < best) {
                best = x;
            }
        }
        best
    }
    #[inline(always)]
    fn simd<S: Simd<T>>(self, s: S) -> T {
        let l = S::LANES;
        let id = s.splat(Self::IDENTITY);
        let mut acc = [id; 4];
        // x86 max/min drop NaN in the first operand, so NaNs are tracked separately.
        let mut nan = s.is_nan(id);
        let mut quads = self.x.chunks_exact(4 * l);
        for q in &mut quads {
            for (k, a) in acc.iter_mut().enumerate() {
                let v = s.load(&q[k * l..]);
                nan = s.mask_or(nan, s.is_nan(v));
                *a = pick::<T, S, IS_MAX>(s, v, *a);
            }
        }
        let mut singles = quads.remainder().chunks_exact(l);
        for v in &mut singles {
            let v = s.load(v);
            nan = s.mask_or(nan, s.is_nan(v));
            acc[0] = pick::<T, S, IS_MAX>(s, v, acc[0]);
        }
        let rest = singles.remainder();
        if !rest.is_empty() {
            let v = s.load_partial(rest, Self::IDENTITY);
            nan = s.mask_or(nan, s.is_nan(v));
            acc[1] = pick::<T, S, IS_MAX>(s, v, acc[1]);
        }
        if s.mask_any(nan) {
            return T::NAN;
        }
        let (a, b) = (
            pick::<T, S, IS_MAX>(s, acc[0], acc[1]),
            pick::<T, S, IS_MAX>(s, acc[2], acc[3]),
        );
        let v = pick::<T, S, IS_MAX>(s, a, b);
        if IS_MAX { s.reduce_max(v) } else { s.reduce_min(v) }
    }
}

/// `max(a, b)` or `min(a, b)` with the x86 NaN rule (second operand on NaN).
#[inline(always)]
fn pick<T: Float, S: Simd<T>, const IS_MAX: bool>(s: S, a: S::V, b: S::V) -> S::V {
    if IS_MAX { s.max(a, b) } else { s.min(a, b) }
}

/// Loads `r` (at most `LANES` long) zero-padded.
#[inline(always)]
fn load_upto<T: Float, S: Simd<T>>(s: S, r: &[T]) -> S::V {
    if r.len() == S::LANES {
        s.load(r)
    } else {
        s.load_partial(r, T::ZERO)
    }
}

pub(crate) fn sum_with<T: Float>(isa: Isa, x: &[T]) -> T {
    match par_chunk_len(x.len()) {
        None => T::dispatch(isa, Sum { x }),
        Some(c) => {
            let parts: Vec<T> = x
                .par_chunks(c.next_multiple_of(SUM_BLOCK))
                .map(|x| T::dispatch(isa, Sum { x }))
                .collect();
            parts.into_iter().sum()
        }
    }
}

pub(crate) fn extremum_with<T: Float, const IS_MAX: bool>(isa: Isa, x: &[T]) -> T {
    match par_chunk_len(x.len()) {
        None => T::dispatch(isa, Extremum::<T, IS_MAX> { x }),
        Some(c) => {
            let parts: Vec<T> = x
                .par_chunks(c)
                .map(|x| T::dispatch(isa, Extremum::<T, IS_MAX> { x }))
                .collect();
            T::dispatch(Isa::Scalar, Extremum::<T, IS_MAX> { x: &parts })
        }
    }
}

/// Returns the sum of `x` (pairwise over 4096-element leaves, multiple accumulators inside).
/// `d/dx_i sum(x) = 1`.
pub fn sum<T: Float>(x: &[T]) -> T {
    sum_with(isa(), x)
}

/// Returns the largest element; NaN if any element is NaN, -inf if `x` is empty.
pub fn max<T: Float>(x: &[T]) -> T {
    extremum_with::<T, true>(isa(), x)
}

/// Returns the smallest element; NaN if any element is NaN, +inf if `x` is empty.
pub fn min<T: Float>(x: &[T]) -> T {
    extremum_with::<T, false>(isa(), x)
}

/// Rows summed into a register block before touching `out`: 16 concurrent row streams suit
/// the hardware prefetchers, `out` is read and written once per 16 rows, and the error
/// bound is ~(rows/16 + 4) ulp.
const ROW_BLOCK: usize = 16;

/// `out[j] = sum_i x[i * stride + j]` for `i < rows`, `j < out.len()`: axis 0 of a matrix,
/// or of a column band of one when `stride` exceeds `out.len()`.
struct SumRows<'a, T> {
    x: &'a [T],
    rows: usize,
    stride: usize,
    out: &'a mut [T],
}

impl<T: Float> Kernel<T> for SumRows<'_, T> {
    type Output = ();
    fn scalar(self) {
        let width = self.out.len();
        self.out.fill(T::ZERO);
        for i in 0..self.rows {
            let row = &self.x[i * self.stride..i * self.stride + width];
            for (o, &v) in self.out.iter_mut().zip(row) {
                *o += v;
            }
        }
    }
    #[inline(always)]
    fn simd<S: Simd<T>>(self, s: S) {
        let (l, x, stride) = (S::LANES, self.x, self.stride);
        self.out.fill(T::ZERO);
        for r0 in (0..self.rows).step_by(ROW_BLOCK) {
            let rows = ROW_BLOCK.min(self.rows - r0);
            for (t, out) in self.out.chunks_mut(l).enumerate() {
                let width = out.len();
                // Plain index arithmetic (no SIMD inside), so a closure is harmless here.
                let at = |i: usize| (r0 + i) * stride + t * l;
                // Quads of rows are added pairwise, then the quads in sequence.
                let mut acc = s.splat(T::ZERO);
                let mut i = 0;
                while i + 4 <= rows {
                    let a = load_upto(s, &x[at(i)..at(i) + width]);
                    let b = load_upto(s, &x[at(i + 1)..at(i + 1) + width]);
                    let c = load_upto(s, &x[at(i + 2)..at(i + 2) + width]);
                    let d = load_upto(s, &x[at(i + 3)..at(i + 3) + width]);
                    let quad = s.add(s.add(a, b), s.add(c, d));
                    acc = s.add(acc, quad);
                    i += 4;
                }
                while i < rows {
                    acc = s.add(acc, load_upto(s, &x[at(i)..at(i) + width]));
                    i += 1;
                }
                if width == l {
                    let sum = s.add(s.load(out), acc);
                    s.store(out, sum);
                } else {
                    let sum = s.add(s.load_partial(out, T::ZERO), acc);
                    s.store_partial(out, sum);
                }
            }
        }
    }
}

pub(crate) fn sum_rows_with<T: Float>(isa: Isa, x: &[T], rows: usize, cols: usize, out: &mut [T]) {
    assert_eq!(x.len(), rows * cols, "sum_rows: x is not {rows}x{cols}");
    assert_eq!(out.len(), cols, "sum_rows: out must have {cols} elements");
    if cols == 0 {
        return;
    }
    match par_chunk_len(x.len()) {
        None => T::dispatch(
            isa,
            SumRows {
                x,
                rows,
                stride: cols,
                out,
            },
        ),
        // Wide matrices split by column bands: each thread owns a slice of `out`.
        Some(_) if cols >= 512 => {
            let band = cols.div_ceil(rayon::current_num_threads()).next_multiple_of(64);
            out.par_chunks_mut(band).enumerate().for_each(|(b, out)| {
                let x = &x[b * band..];
                T::dispatch(
                    isa,
                    SumRows {
                        x,
                        rows,
                        stride: cols,
                        out,
                    },
                );
            });
        }
        // Tall narrow matrices split by rows into per-thread partial sums.
        Some(c) => {
            let rows_per = c.div_ceil(cols).next_multiple_of(ROW_BLOCK);
            let parts: Vec<Vec<T>> = x
                .par_chunks(rows_per * cols)
                .map(|x| {
                    let mut part = vec![T::ZERO; cols];
                    let (rows, out) = (x.len() / cols, &mut part[..]);
                    T::dispatch(
                        isa,
                        SumRows {
                            x,
                            rows,
                            stride: cols,
                            out,
                        },
                    );
                    part
                })
                .collect();
            out.fill(T::ZERO);
            for p in &parts {
                binary_in_place_with::<T, Add>(isa, out, p);
            }
        }
    }
}

/// Computes `out[j] = sum_i x[i, j]` for a row-major `rows x cols` matrix (reduce axis 0).
pub fn sum_rows<T: Float>(x: &[T], rows: usize, cols: usize, out_cols: &mut [T]) {
    sum_rows_with(isa(), x, rows, cols, out_cols);
}

/// `out[i] = sum_j x[i, j]`: a pairwise sum per row.
struct SumCols<'a, T> {
    x: &'a [T],
    cols: usize,
    out: &'a mut [T],
}

impl<T: Float> Kernel<T> for SumCols<'_, T> {
    type Output = ();
    fn scalar(self) {
        for (o, row) in self.out.iter_mut().zip(self.x.chunks_exact(self.cols)) {
            *o = Sum { x: row }.scalar();
        }
    }
    #[inline(always)]
    fn simd<S: Simd<T>>(self, s: S) {
        for (o, row) in self.out.iter_mut().zip(self.x.chunks_exact(self.cols)) {
            *o = cascade_sum(s, row);
        }
    }
}

pub(crate) fn sum_cols_with<T: Float>(isa: Isa, x: &[T], rows: usize, cols: usize, out: &mut [T]) {
    assert_eq!(x.len(), rows * cols, "sum_cols: x is not {rows}x{cols}");
    assert_eq!(out.len(), rows, "sum_cols: out must have {rows} elements");
    if cols == 0 {
        out.fill(T::ZERO);
        return;
    }
    match par_chunk_len(x.len()) {
        None => T::dispatch(isa, SumCols { x, cols, out }),
        Some(c) => {
            let rows_per = c.div_ceil(cols);
            out.par_chunks_mut(rows_per)
                .zip(x.par_chunks(rows_per * cols))
                .for_each(|(out, x)| T::dispatch(isa, SumCols { x, cols, out }));
        }
    }
}

/// Computes `out[i] = sum_j x[i, j]` for a row-major `rows x cols` matrix (reduce axis 1).
pub fn sum_cols<T: Float>(x: &[T], rows: usize, cols: usize, out_rows: &mut [T]) {
    sum_cols_with(isa(), x, rows, cols, out_rows);
}
