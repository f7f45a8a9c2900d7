//! Matrix multiply with transposes expressed as strides: by definition for tiny products, through
//! `private-gemm-x86` for large ones on AVX2+FMA / AVX-512 CPUs (`matmul_x86`), otherwise
//! through the `gemm` crate.

use gemm::Parallelism;
use rayon::prelude::*;

use super::float::Float;

/// Products with fewer multiply-adds than this (~160^3) run on the calling thread with `gemm`;
/// from here they are threaded (`private-gemm-x86` where the CPU has it). On the dev box a
/// 128^3 product took 30 µs on one core but 35 µs split over two, while 256^3 took 157 µs on
/// two against ~240 µs on one.
const PAR_MIN_FLOPS: usize = 1 << 22;

/// Products with at most this many multiply-adds (8^3) skip gemm and run by definition: gemm's
/// set-up (blocking parameters, an aligned scratch buffer) costs more than the arithmetic for
/// the seed cell's 1x3 @ 3x2 and its gradient, about 1K instructions a call.
const TINY_FLOPS: usize = 512;

/// Checks that a `rows x cols` view with strides `(rs, cs)` fits in `len` elements.
fn check_view(what: &str, len: usize, rows: usize, cols: usize, rs: usize, cs: usize) {
    if rows == 0 || cols == 0 {
        return;
    }
    let last = (rows - 1)
        .checked_mul(rs)
        .and_then(|r| (cols - 1).checked_mul(cs).and_then(|c| r.checked_add(c)));
    assert!(
        last.is_some_and(|last| last < len),
        "matmul: {what} view {rows}x{cols} with strides ({rs}, {cs}) exceeds its {len} elements"
    );
    assert!(
        isize::try_from(rs).is_ok() && isize::try_from(cs).is_ok(),
        "matmul: {what} strides overflow isize"
    );
}

/// Column blocks of a split along `n` are multiples of this, so every block but the last fills
/// whole AVX-512 microkernel rows (gemm transposes a row-major product and runs its 64-wide f32
/// / 32-wide f64 `MR` side along our `n`).
const N_ALIGN: usize = 64;
/// Row blocks of a split along `m` are multiples of this (gemm's `NR` side: 6 columns).
const M_ALIGN: usize = 48;

/// A raw output pointer shared by the pieces of a split product, each writing its own block, or
/// handed whole to the one pool worker that runs a `private-gemm-x86` call.
#[derive(Clone, Copy)]
pub(super) struct OutPtr<T>(pub(super) *mut T);
// SAFETY: the pieces of one split write disjoint blocks of the output (see `run_gemm`), a
// `matmul_x86::run` call has one writer while its caller waits, and the pointee type is
// `f32`/`f64`, which are `Send`.
unsafe impl<T: Send> Send for OutPtr<T> {}
// SAFETY: as above; the pointer itself is only copied between threads, never used to alias.
unsafe impl<T: Send> Sync for OutPtr<T> {}

/// The operands of one product after `check_view`, in elements.
#[derive(Clone, Copy)]
pub(super) struct Views<'a, T> {
    pub(super) m: usize,
    pub(super) k: usize,
    pub(super) n: usize,
    pub(super) a: &'a [T],
    pub(super) ars: usize,
    pub(super) acs: usize,
    pub(super) b: &'a [T],
    pub(super) brs: usize,
    pub(super) bcs: usize,
}

impl<T: Float> Views<'_, T> {
    /// One single-threaded gemm for the block of rows `r0..r0 + rows` and columns
    /// `c0..c0 + cols` of the row-major `m x n` output at `out`.
    ///
    /// # Safety
    /// `out` must be valid for writes of `m * n` elements, no other thread may access the
    /// block concurrently, and `k > 0`. The views must have passed `check_view`.
    unsafe fn block(&self, out: OutPtr<T>, r0: usize, rows: usize, c0: usize, cols: usize) {
        // The casts cannot wrap: check_view bounded every stride by a slice length.
        let (ars, acs) = (self.ars as isize, self.acs as isize);
        let (brs, bcs) = (self.brs as isize, self.bcs as isize);
        // SAFETY: `r0 + rows <= m` and `c0 + cols <= n` (the callers split `0..m` / `0..n`),
        // so the offsets stay inside the views `check_view` proved in bounds, and the output
        // block lies inside the caller's `m * n` elements, which it owns exclusively. gemm with
        // `read_dst = false` writes every element of the block before reading it (its `k == 0`
        // path is excluded by the caller), so `out` may be uninitialized. `T` is f32 or f64
        // (sealed `Float`), both of which gemm supports.
        unsafe {
            gemm::gemm(
                rows,
                cols,
                self.k,
                out.0.add(r0 * self.n + c0),
                1,
                self.n as isize,
                false,
                self.a.as_ptr().add(r0 * self.ars),
                acs,
                ars,
                self.b.as_ptr().add(c0 * self.bcs),
                bcs,
                brs,
                T::ZERO,
                T::ONE,
                false,
                false,
                false,
                Parallelism::None,
            );
        }
    }

    /// Writes the `m x n` product to `out` one element at a time (summing along `k` in order),
    /// for products below [`TINY_FLOPS`].
    ///
    /// # Safety
    /// `out` must be valid for writes of `m * n` elements; the views must have passed
    /// `check_view`.
    unsafe fn naive(&self, out: OutPtr<T>) {
        for i in 0..self.m {
            for j in 0..self.n {
                let mut acc = T::ZERO;
                for p in 0..self.k {
                    // In bounds: check_view proved the last element of each view is.
                    acc += self.a[i * self.ars + p * self.acs] * self.b[p * self.brs + j * self.bcs];
                }
                // SAFETY: i < m and j < n, so the offset is inside the caller's m * n elements.
                unsafe { out.0.add(i * self.n + j).write(acc) };
            }
        }
    }

    /// Writes the whole `m x n` product to `out`: by definition below [`TINY_FLOPS`], with
    /// `private-gemm-x86` from [`PAR_MIN_FLOPS`] on CPUs with AVX2+FMA (see `matmul_x86`),
    /// otherwise with `gemm` ([`Views::run_gemm`]).
    ///
    /// # Safety
    /// `out` must be valid for writes of `m * n` elements and not accessed by anything else
    /// during the call; `k > 0`; the views must have passed `check_view`.
    unsafe fn run(&self, out: OutPtr<T>) {
        let flops = self.m.saturating_mul(self.n).saturating_mul(self.k);
        if flops <= TINY_FLOPS {
            // SAFETY: the caller's contract is `naive`'s.
            unsafe { self.naive(out) };
            return;
        }
        #[cfg(target_arch = "x86_64")]
        if flops >= PAR_MIN_FLOPS
            && let Some(instr) = super::matmul_x86::instr_set()
        {
            let threads = rayon::current_num_threads();
            // SAFETY: the caller's contract, with m, n > 0 (flops > 0) and the instruction set
            // this CPU was detected to run.
            unsafe { super::matmul_x86::run(self, out, instr, threads) };
            return;
        }
        // SAFETY: the caller's contract is `run_gemm`'s.
        unsafe { self.run_gemm(out) };
    }

    /// Writes the whole `m x n` product to `out` with `gemm`, on one thread for products below
    /// [`PAR_MIN_FLOPS`] and otherwise split into blocks over the rayon pool.
    ///
    /// The split is ours, not gemm's `Parallelism::Rayon`: gemm packs a transposed right-hand
    /// side (`a @ b^T`, the MatMul gradient `g @ w^T`) on one thread before its parallel loop,
    /// which measured ~1.4x slower than giving each thread its own columns to pack, and the
    /// batch-128 MLP shapes ran ~10% faster split by columns. Columns (`n`) are split when
    /// `n >= m`: every block then packs only its own columns of `b` and reads `a` in place;
    /// otherwise rows (`m`), where each block re-packs `b` but gemm keeps long panels.
    ///
    /// # Safety
    /// As [`Views::run`], and the product is above [`TINY_FLOPS`] (gemm needs `k > 0`).
    unsafe fn run_gemm(&self, out: OutPtr<T>) {
        let (m, n) = (self.m, self.n);
        let threads = rayon::current_num_threads();
        let flops = m.saturating_mul(n).saturating_mul(self.k);
        let (len, align) = if n >= m { (n, N_ALIGN) } else { (m, M_ALIGN) };
        // Two blocks per thread let a thread that got the core back take a block from one
        // that is descheduled (the box is shared), at no extra packing for column splits.
        let step = len.div_ceil(threads * 2).next_multiple_of(align);
        if flops < PAR_MIN_FLOPS || threads < 2 || step >= len {
            // SAFETY: the whole output, on this thread; the caller's contract covers the rest.
            unsafe { self.block(out, 0, m, 0, n) };
            return;
        }
        let split_n = n >= m;
        (0..len.div_ceil(step)).into_par_iter().for_each(|i| {
            let (s0, w) = (i * step, step.min(len - i * step));
            // SAFETY: block `i` covers `s0..s0 + w` of the split axis and all of the other;
            // the blocks of `0..len` are disjoint, so no two threads write one element.
            unsafe {
                if split_n {
                    self.block(out, 0, m, s0, w);
                } else {
                    self.block(out, s0, w, 0, n);
                }
            }
        });
    }
}

/// Validates the views of `a` (`m x k`) and `b` (`k x n`).
#[allow(clippy::too_many_arguments)]
fn views<'a, T>(
    m: usize,
    k: usize,
    n: usize,
    a: &'a [T],
    a_row_stride: usize,
    a_col_stride: usize,
    b: &'a [T],
    b_row_stride: usize,
    b_col_stride: usize,
) -> Views<'a, T> {
    check_view("lhs", a.len(), m, k, a_row_stride, a_col_stride);
    check_view("rhs", b.len(), k, n, b_row_stride, b_col_stride);
    Views {
        m,
        k,
        n,
        a,
        ars: a_row_stride,
        acs: a_col_stride,
        b,
        brs: b_row_stride,
        bcs: b_col_stride,
    }
}

/// [`matmul`] through `gemm` whatever the CPU (views as `(slice, row stride, col stride)`),
/// so the tests check that path on machines whose large products take `private-gemm-x86`.
#[cfg(test)]
pub(super) fn matmul_gemm<T: Float>(
    (m, k, n): (usize, usize, usize),
    (a, ars, acs): (&[T], usize, usize),
    (b, brs, bcs): (&[T], usize, usize),
    out: &mut [T],
) {
    assert_eq!(out.len(), m * n, "matmul: out must have {m}x{n} elements");
    let v = views(m, k, n, a, ars, acs, b, brs, bcs);
    if m * n * k <= TINY_FLOPS {
        return matmul(m, k, n, a, ars, acs, b, brs, bcs, out);
    }
    // SAFETY: `out` is a unique borrow of m*n elements; k > 0 (the product is above
    // TINY_FLOPS); `views` checked the operands.
    unsafe { v.run_gemm(OutPtr(out.as_mut_ptr())) };
}

/// Computes `out = a @ b` for an `m x k` view `a` and a `k x n` view `b`, each given by
/// row and column strides in elements (a transpose is just swapped strides, no copy), into
/// a contiguous row-major `m x n` `out`. `d/da = g @ b^T`, `d/db = a^T @ g`.
///
/// # Panics
/// If a view does not fit in its slice or `out.len() != m * n`.
#[allow(clippy::too_many_arguments)]
pub fn matmul<T: Float>(
    m: usize,
    k: usize,
    n: usize,
    a: &[T],
    a_row_stride: usize,
    a_col_stride: usize,
    b: &[T],
    b_row_stride: usize,
    b_col_stride: usize,
    out: &mut [T],
) {
    assert_eq!(out.len(), m * n, "matmul: out must have {m}x{n} elements");
    let v = views(
        m,
        k,
        n,
        a,
        a_row_stride,
        a_col_stride,
        b,
        b_row_stride,
        b_col_stride,
    );
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        out.fill(T::ZERO);
        return;
    }
    // SAFETY: `out` is a unique borrow of exactly m*n elements, so nothing else touches it
    // (and it cannot alias `a` or `b`); k > 0; `views` checked the operands.
    unsafe { v.run(OutPtr(out.as_mut_ptr())) };
}

/// [`matmul`] into a new row-major `m x n` vector, without first zero-filling it (gemm writes
/// every element; zeroing the MLP's outputs was ~5% of its training step).
///
/// # Panics
/// If a view does not fit in its slice or `m * n` overflows.
#[allow(clippy::too_many_arguments)]
pub fn matmul_new<T: Float>(
    m: usize,
    k: usize,
    n: usize,
    a: &[T],
    a_row_stride: usize,
    a_col_stride: usize,
    b: &[T],
    b_row_stride: usize,
    b_col_stride: usize,
) -> Vec<T> {
    let len = m.checked_mul(n).expect("matmul: m * n overflows");
    let v = views(
        m,
        k,
        n,
        a,
        a_row_stride,
        a_col_stride,
        b,
        b_row_stride,
        b_col_stride,
    );
    if len == 0 || k == 0 {
        return vec![T::ZERO; len];
    }
    let mut out = Vec::<T>::with_capacity(len);
    // SAFETY: the vector's buffer holds `len` = m*n elements of capacity that nothing else
    // can reach; `run` writes every one of them (gemm with read_dst = false, k > 0, blocks
    // covering the whole output), so all `len` elements are initialized before `set_len`.
    unsafe {
        v.run(OutPtr(out.as_mut_ptr()));
        out.set_len(len);
    }
    out
}

/// `f32` form of [`matmul`].
#[allow(clippy::too_many_arguments)]
pub fn matmul_f32(
    m: usize,
    k: usize,
    n: usize,
    a: &[f32],
    a_row_stride: usize,
    a_col_stride: usize,
    b: &[f32],
    b_row_stride: usize,
    b_col_stride: usize,
    out: &mut [f32],
) {
    matmul(
        m,
        k,
        n,
        a,
        a_row_stride,
        a_col_stride,
        b,
        b_row_stride,
        b_col_stride,
        out,
    );
}

/// `f64` form of [`matmul`].
#[allow(clippy::too_many_arguments)]
pub fn matmul_f64(
    m: usize,
    k: usize,
    n: usize,
    a: &[f64],
    a_row_stride: usize,
    a_col_stride: usize,
    b: &[f64],
    b_row_stride: usize,
    b_col_stride: usize,
    out: &mut [f64],
) {
    matmul(
        m,
        k,
        n,
        a,
        a_row_stride,
        a_col_stride,
        b,
        b_row_stride,
        b_col_stride,
        out,
    );
}
