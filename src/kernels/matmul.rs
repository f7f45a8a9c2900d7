//! Matrix multiply through the `gemm` crate, with transposes expressed as strides.

use gemm::Parallelism;

use super::float::Float;

/// Products with fewer multiply-adds than this (~160^3) run on the calling thread: on the
/// dev box a 128^3 product took 30 µs on one core but 35 µs split over two, while 256^3
/// took 157 µs on two against ~240 µs on one.
const PAR_MIN_FLOPS: usize = 1 << 22;

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
    check_view("lhs", a.len(), m, k, a_row_stride, a_col_stride);
    check_view("rhs", b.len(), k, n, b_row_stride, b_col_stride);
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        out.fill(T::ZERO);
        return;
    }
    let parallelism = if m.saturating_mul(n).saturating_mul(k) >= PAR_MIN_FLOPS {
        Parallelism::Rayon(0)
    } else {
        Parallelism::None
    };
    // The casts cannot wrap: check_view bounded every stride by a slice length.
    let (a_rs, a_cs) = (a_row_stride as isize, a_col_stride as isize);
    let (b_rs, b_cs) = (b_row_stride as isize, b_col_stride as isize);
    // SAFETY: `check_view` proved every element the views address lies inside `a` and `b`,
    // `out` holds exactly m*n elements addressed with strides (n, 1), and `out` cannot alias
    // `a` or `b` (it is a unique borrow). With `read_dst = false` gemm never reads `out`.
    // `T` is f32 or f64 (sealed `Float`), both of which gemm supports.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            out.as_mut_ptr(),
            1,
            n as isize,
            false,
            a.as_ptr(),
            a_cs,
            a_rs,
            b.as_ptr(),
            b_cs,
            b_rs,
            T::ZERO,
            T::ONE,
            false,
            false,
            false,
            parallelism,
        );
    }
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
