//! MatMul and BatchMatMulV2. Transposes are folded into strides (`.t()` is a view), never
//! copied; batch dims of BatchMatMulV2 broadcast like numpy.

use super::fast::Elt;
use super::{Attrs, GradArgs, Graph, Handle, Op, run1, sum_to_shape};
use crate::error::{Error, Result};
use crate::tensor::{Tensor, broadcast_shape, check_alloc};
use crate::{invalid, num_map2};
use ndarray::{ArcArray, ArrayD, Axis, Ix2, IxDyn, s};
use std::sync::Arc;

#[derive(Debug)]
pub struct MatMul {
    pub ta: bool,
    pub tb: bool,
    /// BatchMatMulV2 (leading batch dims) rather than MatMul (rank 2 only).
    pub batch: bool,
}

pub fn mat_mul(a: &mut Attrs) -> Result<Arc<dyn Op>> {
    let ta = a.bool("transpose_a", false)?;
    let tb = a.bool("transpose_b", false)?;
    Ok(Arc::new(MatMul { ta, tb, batch: false }))
}

pub fn batch_mat_mul(a: &mut Attrs) -> Result<Arc<dyn Op>> {
    let ta = a.bool("adj_x", false)?;
    let tb = a.bool("adj_y", false)?;
    Ok(Arc::new(MatMul { ta, tb, batch: true }))
}

/// Runs MatMul (rank 2) or BatchMatMulV2 on the graph.
pub fn matmul(g: &mut dyn Graph, x: &Handle, y: &Handle, ta: bool, tb: bool, batch: bool) -> Result<Handle> {
    run1(g, MatMul { ta, tb, batch }, &[x, y])
}

/// The (m, k) x (k, n) dims after transposes, or INVALID_ARGUMENT naming the shapes.
fn mnk(op: &str, xs: &[usize], ys: &[usize], ta: bool, tb: bool) -> Result<(usize, usize, usize)> {
    let (r, q) = (xs.len(), ys.len());
    if r < 2 || q < 2 {
        return Err(invalid!(
            "{op} needs matrices of rank >= 2, got {xs:?} and {ys:?}"
        ));
    }
    let (m, k) = if ta {
        (xs[r - 1], xs[r - 2])
    } else {
        (xs[r - 2], xs[r - 1])
    };
    let (k2, n) = if tb {
        (ys[q - 1], ys[q - 2])
    } else {
        (ys[q - 2], ys[q - 1])
    };
    if k != k2 {
        return Err(invalid!(
            "{op}: inner dimensions differ: {xs:?} x {ys:?} (transpose_a={ta}, transpose_b={tb})"
        ));
    }
    check_alloc(op, &[m, n])?;
    Ok((m, k, n))
}

/// A rank-2 array as (contiguous memory, row stride, col stride), if its strides allow it.
fn strided<'a, T>(a: &ndarray::ArrayView2<'a, T>) -> Option<(&'a [T], usize, usize)> {
    let (r, c) = (a.nrows(), a.ncols());
    let st = a.strides();
    let rs = if r <= 1 {
        c.max(1)
    } else {
        usize::try_from(st[0]).ok()?
    };
    let cs = if c <= 1 { 1 } else { usize::try_from(st[1]).ok()? };
    // The view's memory is one slice when it is contiguous in some order.
    let s = a.to_slice_memory_order()?;
    Some((s, rs, cs))
}

/// C = op(A) op(B) through the SIMD matmul (gemm) with transposes folded into strides; ndarray's
/// dot when a layout does not fit.
/// The element types MatMul runs on: floats through the gemm kernels, and the integers
/// TensorFlow also has MatMul kernels for, through a plain loop that wraps on overflow like
/// its other integer ops (integer products are never differentiated, and rarely big).
trait MatElt: Copy + num_traits::Zero + 'static {
    fn product(a: ndarray::ArrayView2<'_, Self>, b: ndarray::ArrayView2<'_, Self>) -> ArrayD<Self>;
}

impl<T: Elt> MatElt for T {
    fn product(a: ndarray::ArrayView2<'_, T>, b: ndarray::ArrayView2<'_, T>) -> ArrayD<T> {
        float_product(a, b)
    }
}

macro_rules! int_product {
    ($($t:ty),*) => {$(
        impl MatElt for $t {
            fn product(a: ndarray::ArrayView2<'_, $t>, b: ndarray::ArrayView2<'_, $t>) -> ArrayD<$t> {
                let mut out = ndarray::Array2::<$t>::zeros((a.nrows(), b.ncols()));
                for (mut row, ar) in out.rows_mut().into_iter().zip(a.rows()) {
                    for (&av, br) in ar.iter().zip(b.rows()) {
                        row.zip_mut_with(&br, |o, &bv| *o = o.wrapping_add(av.wrapping_mul(bv)));
                    }
                }
                out.into_dyn()
            }
        }
    )*};
}
int_product!(i32, i64);

fn float_product<T: Elt>(a: ndarray::ArrayView2<'_, T>, b: ndarray::ArrayView2<'_, T>) -> ArrayD<T> {
    let (m, k, n) = (a.nrows(), a.ncols(), b.ncols());
    match (strided(&a), strided(&b)) {
        (Some((x, ars, acs)), Some((y, brs, bcs))) => {
            let v = crate::kernels::matmul_new(m, k, n, x, ars, acs, y, brs, bcs);
            super::fast::from_vec(&[m, n], v)
        }
        _ => a.dot(&b).into_dyn(),
    }
}

fn mm2<T: MatElt>(x: &ArcArray<T, IxDyn>, y: &ArcArray<T, IxDyn>, ta: bool, tb: bool) -> Result<ArrayD<T>> {
    let bad = |e| Error::Internal(format!("matmul: {e}"));
    let a = x.view().into_dimensionality::<Ix2>().map_err(bad)?;
    let b = y.view().into_dimensionality::<Ix2>().map_err(bad)?;
    let a = if ta { a.reversed_axes() } else { a };
    let b = if tb { b.reversed_axes() } else { b };
    Ok(T::product(a, b))
}

fn batched<T: MatElt>(
    x: &ArcArray<T, IxDyn>,
    y: &ArcArray<T, IxDyn>,
    ta: bool,
    tb: bool,
) -> Result<ArrayD<T>> {
    let (xs, ys) = (x.shape(), y.shape());
    let (m, _, n) = mnk("BatchMatMulV2", xs, ys, ta, tb)?;
    let (r, q) = (xs.len(), ys.len());
    let batch = broadcast_shape(&xs[..r - 2], &ys[..q - 2]).map_err(|e| e.context("BatchMatMulV2"))?;
    let mut out_shape = batch.clone();
    out_shape.extend_from_slice(&[m, n]);
    check_alloc("BatchMatMulV2", &out_shape)?;
    let nb: usize = batch.iter().product();
    let full = |tail: &[usize]| {
        let mut v = batch.clone();
        v.extend_from_slice(tail);
        IxDyn(&v)
    };
    let bad = || invalid!("BatchMatMulV2: cannot broadcast {xs:?} and {ys:?}");
    check_alloc("BatchMatMulV2", ndarray::Dimension::slice(&full(&xs[r - 2..])))?;
    check_alloc("BatchMatMulV2", ndarray::Dimension::slice(&full(&ys[q - 2..])))?;
    let xb = x.broadcast(full(&xs[r - 2..])).ok_or_else(bad)?;
    let yb = y.broadcast(full(&ys[q - 2..])).ok_or_else(bad)?;
    let x3 = xb.as_standard_layout().into_owned();
    let y3 = yb.as_standard_layout().into_owned();
    let to3 = |a: ArrayD<T>, t: &[usize]| a.into_shape_with_order((nb, t[0], t[1]));
    let e = |e| Error::Internal(format!("batch matmul: {e}"));
    let x3 = to3(x3, &xs[r - 2..]).map_err(e)?;
    let y3 = to3(y3, &ys[q - 2..]).map_err(e)?;
    let mut out = ndarray::Array3::<T>::zeros((nb, m, n));
    for i in 0..nb {
        let a = x3.slice(s![i, .., ..]);
        let b = y3.slice(s![i, .., ..]);
        let a = if ta { a.reversed_axes() } else { a };
        let b = if tb { b.reversed_axes() } else { b };
        out.index_axis_mut(Axis(0), i).assign(&T::product(a, b));
    }
    let mut shape = batch.clone();
    shape.extend_from_slice(&[m, n]);
    out.into_shape_with_order(IxDyn(&shape)).map_err(e)
}

impl Op for MatMul {
    fn name(&self) -> &'static str {
        if self.batch { "BatchMatMulV2" } else { "MatMul" }
    }

    fn forward(&self, inputs: &[&Tensor]) -> Result<Vec<Tensor>> {
        let (x, y) = (inputs[0], inputs[1]);
        let op = self.name();
        let (ta, tb) = (self.ta, self.tb);
        let out = if self.batch {
            num_map2!(op, x, y, |a, b| batched(a, b, ta, tb)?)
        } else {
            if x.rank() != 2 || y.rank() != 2 {
                return Err(invalid!(
                    "MatMul needs rank-2 inputs, got {:?} and {:?}",
                    x.shape(),
                    y.shape()
                ));
            }
            mnk(op, x.shape(), y.shape(), ta, tb)?;
            num_map2!(op, x, y, |a, b| mm2(a, b, ta, tb)?)
        }?;
        Ok(vec![out])
    }

    // C = A B: dA = G B^T, dB = A^T G, with the transposes folded into the attrs (TF's table).
    fn gradient(&self, g: &mut dyn Graph, a: &GradArgs) -> Result<Vec<Option<Handle>>> {
        let (x, y) = (&a.inputs[0], &a.inputs[1]);
        let gr = a.grad(g, 0)?;
        let bt = self.batch;
        let (x_, y_) = (&gr, &gr);
        // Which product gives each gradient, per transpose combination (TensorFlow's table).
        let gx = |g: &mut dyn Graph| match (self.ta, self.tb) {
            (false, false) => matmul(g, x_, y, false, true, bt),
            (false, true) => matmul(g, x_, y, false, false, bt),
            (true, false) => matmul(g, y, x_, false, true, bt),
            (true, true) => matmul(g, y, x_, true, true, bt),
        };
        let gy = |g: &mut dyn Graph| match (self.ta, self.tb) {
            (false, false) => matmul(g, x, y_, true, false, bt),
            (false, true) => matmul(g, y_, x, true, false, bt),
            (true, false) => matmul(g, x, y_, false, false, bt),
            (true, true) => matmul(g, y_, x, true, true, bt),
        };
        let gx = if a.needs(0) {
            let p = gx(g)?;
            Some(sum_to_shape(g, &p, x.shape())?)
        } else {
            None
        };
        let gy = if a.needs(1) {
            let p = gy(g)?;
            Some(sum_to_shape(g, &p, y.shape())?)
        } else {
            None
        };
        Ok(vec![gx, gy])
    }
}
