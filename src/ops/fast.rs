//! Fast paths from ops into the SIMD kernels: taken when the operands are contiguous (or one
//! is a scalar); otherwise the ops fall back to ndarray's general strided code.

use crate::kernels;
use crate::tensor::Float;
use ndarray::{ArcArray, ArrayD, IxDyn};

/// Element types the kernels serve (f32 and f64).
pub trait Elt: Float + kernels::Float {}
impl<T: Float + kernels::Float> Elt for T {}

/// Builds an owned array of `shape` by letting `f` fill a zeroed buffer.
pub fn fill<T: Elt>(shape: &[usize], f: impl FnOnce(&mut [T])) -> ArrayD<T> {
    let n = shape.iter().product();
    let mut v = vec![T::zero(); n];
    f(&mut v);
    from_vec(shape, v)
}

/// Builds an owned array of `shape` from an elementwise kernel: `f(range, out)` writes the
/// output elements `range` (from the same range of its inputs). The output is zeroed block by
/// block just before `f` runs, in parallel for large shapes (see `kernels::new_with`); whole
/// same-shape and scalar ops skip the zeroing through the kernels' `new_*` entry points.
pub fn fill_each<T: Elt>(shape: &[usize], f: impl Fn(std::ops::Range<usize>, &mut [T]) + Sync) -> ArrayD<T> {
    let n = shape.iter().product();
    from_vec(
        shape,
        kernels::new_with(n, |off, o: &mut [T]| f(off..off + o.len(), o)),
    )
}

/// An owned array of `shape` over `v` (a kernel's fresh output of the shape's length).
pub fn from_vec<T: Elt>(shape: &[usize], v: Vec<T>) -> ArrayD<T> {
    crate::tensor::dense(shape, v).unwrap_or_else(|_| ArrayD::zeros(IxDyn(shape)))
}

/// The single value of a one-element array (a scalar or all-ones shape).
pub fn single<T: Elt>(a: &ArcArray<T, IxDyn>) -> Option<T> {
    if a.len() == 1 {
        // `first` reads the pointer; `iter().next()` builds an n-d iterator (~100 instructions).
        a.first().copied()
    } else {
        None
    }
}

pub use crate::kernels::{Bin, Un};

/// `a op b` through the kernels when both are contiguous with one shape, or one operand is a
/// single value whose rank does not exceed the other's (so the result has the other's shape).
pub fn binary<T: Elt>(op: Bin, a: &ArcArray<T, IxDyn>, b: &ArcArray<T, IxDyn>) -> Option<ArrayD<T>> {
    use kernels as k;
    // Same shapes and scalar operands write a fresh output in one kernel call (streamed when
    // large); a repeated row runs the same-shape kernel a row at a time (below).
    if a.shape() == b.shape() {
        let (x, y) = (a.as_slice()?, b.as_slice()?);
        return Some(from_vec(a.shape(), k::new_binary(op, x, y)));
    }
    if b.ndim() <= a.ndim()
        && let Some(s) = single(b)
    {
        let x = a.as_slice()?;
        return Some(from_vec(a.shape(), k::new_binary_scalar(op, x, s)));
    }
    if a.ndim() <= b.ndim()
        && let Some(s) = single(a)
    {
        let y = b.as_slice()?;
        return Some(from_vec(b.shape(), k::new_scalar_binary(op, s, y)));
    }
    // One operand repeated over the other's rows (`[n, k] + [k]`): the same-shape kernel a row
    // (or the part of one a parallel block holds) at a time.
    let f: fn(&[T], &[T], &mut [T]) = match op {
        Bin::Add => k::add,
        Bin::Sub => k::sub,
        Bin::Mul => k::mul,
        Bin::Div => k::div,
        Bin::Max => k::maximum,
        Bin::Min => k::minimum,
    };
    let (x, y) = (a.as_slice()?, b.as_slice()?);
    if crate::tensor::repeats_rows(a.shape(), b.shape()) && !y.is_empty() {
        return Some(fill_each(a.shape(), |r, o| {
            by_rows(r, o, y.len(), |i, j, o| f(&x[i], &y[j], o))
        }));
    }
    if crate::tensor::repeats_rows(b.shape(), a.shape()) && !x.is_empty() {
        return Some(fill_each(b.shape(), |r, o| {
            by_rows(r, o, x.len(), |i, j, o| f(&x[j], &y[i], o))
        }));
    }
    None
}

/// Splits the output block `r` (written to `o`) at the boundaries of rows of length `n`, and
/// calls `f(big, small, out)` with the range in the full-size operand, the same range within
/// the repeated row, and the output piece.
fn by_rows<T>(
    r: std::ops::Range<usize>,
    o: &mut [T],
    n: usize,
    f: impl Fn(std::ops::Range<usize>, std::ops::Range<usize>, &mut [T]),
) {
    let mut i = r.start;
    while i < r.end {
        let j = i % n;
        let len = (n - j).min(r.end - i);
        f(i..i + len, j..j + len, &mut o[i - r.start..i - r.start + len]);
        i += len;
    }
}

/// A unary kernel over a contiguous array.
pub fn unary<T: Elt>(op: Un, a: &ArcArray<T, IxDyn>) -> Option<ArrayD<T>> {
    Some(from_vec(a.shape(), kernels::new_unary(op, a.as_slice()?)))
}

/// Sum over the sorted axes `axes` of a contiguous array when they form one block: all axes,
/// a trailing block (rows of a matrix) or a leading block (columns). Keep-dims shape.
pub fn sum<T: Elt>(a: &ArcArray<T, IxDyn>, axes: &[usize]) -> Option<ArrayD<T>> {
    let x = a.as_slice()?;
    let sh = a.shape();
    let kept: Vec<usize> = (0..sh.len())
        .map(|i| if axes.contains(&i) { 1 } else { sh[i] })
        .collect();
    let contiguous_block = axes.windows(2).all(|w| w[1] == w[0] + 1);
    if axes.is_empty() || !contiguous_block {
        return None;
    }
    let (first, last) = (axes[0], axes[axes.len() - 1]);
    let outer: usize = sh[..first].iter().product();
    let red: usize = sh[first..=last].iter().product();
    let inner: usize = sh[last + 1..].iter().product();
    if inner == 1 {
        // Each of `outer` rows of length `red` sums to one value.
        return Some(fill(&kept, |o| kernels::sum_cols(x, outer, red, o)));
    }
    if outer == 1 {
        return Some(fill(&kept, |o| kernels::sum_rows(x, red, inner, o)));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arr(shape: &[usize], seed: usize) -> ArcArray<f32, IxDyn> {
        let n: usize = shape.iter().product();
        let v = (0..n).map(|i| ((i * 7 + seed * 13) % 23) as f32 - 11.5).collect();
        ArrayD::from_shape_vec(IxDyn(shape), v)
            .expect("shape")
            .into_shared()
    }

    /// The row-repeating path against a plain index loop, for both operand orders, rows that
    /// are not a multiple of the blocks `new_with` hands out (8192 elements, split across
    /// threads past that), and inner shapes with leading 1s.
    #[test]
    fn repeated_rows_match_an_index_loop() {
        let ops = [Bin::Add, Bin::Sub, Bin::Mul, Bin::Div, Bin::Max, Bin::Min];
        let shapes: [(&[usize], &[usize]); 5] = [
            (&[1, 2], &[2]),
            (&[4, 3], &[1, 3]),
            (&[2, 3, 5], &[3, 5]),
            (&[3001, 37], &[37]),
            (&[2, 700, 129], &[1, 1, 129]),
        ];
        for (big, small) in shapes {
            for op in ops {
                let f = |p: f32, q: f32| match op {
                    Bin::Add => p + q,
                    Bin::Sub => p - q,
                    Bin::Mul => p * q,
                    Bin::Div => p / q,
                    Bin::Max => p.max(q),
                    Bin::Min => p.min(q),
                };
                let (x, y) = (arr(big, 1), arr(small, 2));
                let (xs, ys) = (
                    x.as_slice().expect("contiguous"),
                    y.as_slice().expect("contiguous"),
                );
                let n = ys.len();
                let got = binary(op, &x, &y).expect("fast path");
                assert_eq!(got.shape(), big, "{op:?} {big:?} {small:?}");
                let want: Vec<f32> = xs.iter().enumerate().map(|(i, &p)| f(p, ys[i % n])).collect();
                assert_eq!(
                    got.as_slice().expect("owned"),
                    &want[..],
                    "{op:?} {big:?} {small:?}"
                );
                // The repeated operand first: `small op big`.
                let got = binary(op, &y, &x).expect("fast path");
                assert_eq!(got.shape(), big);
                let want: Vec<f32> = xs.iter().enumerate().map(|(i, &q)| f(ys[i % n], q)).collect();
                assert_eq!(
                    got.as_slice().expect("owned"),
                    &want[..],
                    "{op:?} {small:?} {big:?}"
                );
            }
        }
        // An inner operand of higher rank raises the result's rank: the general path's.
        assert!(binary(Bin::Add, &arr(&[2, 3], 1), &arr(&[1, 1, 3], 2)).is_none());
        // Middle-axis broadcasting is not this pattern.
        assert!(binary(Bin::Add, &arr(&[2, 3], 1), &arr(&[2, 1], 2)).is_none());
    }
}
