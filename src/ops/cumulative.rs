//! Cumsum and Cumprod (`tf.math.cumsum` / `tf.math.cumprod`): running sums and products along
//! an axis, `exclusive` (each output leaves its own element out) and/or `reverse` (from the end).
//!
//! Internally the same op scans a group of several axes as one flattened axis (in the order
//! given): Prod's gradient is built from two exclusive Cumprods over its reduced axes, as
//! TensorFlow's `_ProdGrad` is, so its second derivative (through Cumprod's gradient and
//! DivNoNan) gives TensorFlow's answers at zeros, infinities and overflow too.

use super::{Attrs, GradArgs, Graph, Handle, Op, binary, run1};
use crate::error::{Error, Result};
use crate::num_map;
use crate::tensor::{Arith, Tensor, norm_axis};
use ndarray::{ArcArray, ArrayD, IxDyn};
use std::sync::Arc;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Sum,
    Prod,
}

#[derive(Clone, Debug)]
pub struct Cumulative {
    pub kind: Kind,
    /// The scanned axes (one for the public ops), flattened into one in this order; negative
    /// values count from the end.
    pub axes: Vec<i64>,
    pub exclusive: bool,
    pub reverse: bool,
}

fn parse(kind: Kind, a: &mut Attrs) -> Result<Arc<dyn Op>> {
    let axis = a.int("axis")?.unwrap_or(0);
    Ok(Arc::new(Cumulative {
        kind,
        axes: vec![axis],
        exclusive: a.bool("exclusive", false)?,
        reverse: a.bool("reverse", false)?,
    }))
}

pub fn cumsum_op(a: &mut Attrs) -> Result<Arc<dyn Op>> {
    parse(Kind::Sum, a)
}
pub fn cumprod_op(a: &mut Attrs) -> Result<Arc<dyn Op>> {
    parse(Kind::Prod, a)
}

/// Runs a Cumsum or Cumprod over the flattened group `axes` on the graph.
pub fn scan(
    g: &mut dyn Graph,
    kind: Kind,
    x: &Handle,
    axes: &[i64],
    exclusive: bool,
    reverse: bool,
) -> Result<Handle> {
    let op = Cumulative {
        kind,
        axes: axes.to_vec(),
        exclusive,
        reverse,
    };
    run1(g, op, &[x])
}

/// Scans every group of `a` (the elements that differ only in `axes`) with `f` from `init`.
fn scan_groups<T: Copy>(
    a: &ArcArray<T, IxDyn>,
    axes: &[usize],
    exclusive: bool,
    reverse: bool,
    init: T,
    f: impl Fn(T, T) -> T,
) -> Result<ArrayD<T>> {
    let nd = a.ndim();
    // Kept axes first, then the scanned ones: each group is a contiguous run of `r` values.
    let perm: Vec<usize> = (0..nd)
        .filter(|d| !axes.contains(d))
        .chain(axes.iter().copied())
        .collect();
    let p = a.view().permuted_axes(IxDyn(&perm));
    let pshape = p.shape().to_vec();
    let r: usize = axes.iter().map(|&d| a.shape()[d]).product();
    let mut vals: Vec<T> = p.iter().copied().collect();
    for run in vals.chunks_mut(r.max(1)) {
        let mut acc = init;
        let mut step = |v: &mut T| {
            let x = *v;
            if exclusive {
                *v = acc;
                acc = f(acc, x);
            } else {
                acc = f(acc, x);
                *v = acc;
            }
        };
        if reverse {
            run.iter_mut().rev().for_each(&mut step);
        } else {
            run.iter_mut().for_each(&mut step);
        }
    }
    let arr = ArrayD::from_shape_vec(IxDyn(&pshape), vals)
        .map_err(|e| Error::Internal(format!("cumulative scan: {e}")))?;
    let mut inverse = vec![0; nd];
    for (i, &d) in perm.iter().enumerate() {
        inverse[d] = i;
    }
    Ok(arr
        .permuted_axes(IxDyn(&inverse))
        .as_standard_layout()
        .into_owned())
}

impl Cumulative {
    /// The scanned axes, normalized and checked against the input's rank.
    fn axes_for(&self, rank: usize) -> Result<Vec<usize>> {
        let mut out = Vec::with_capacity(self.axes.len());
        for &ax in &self.axes {
            let d = norm_axis(ax, rank).map_err(|e| crate::invalid!("{}: {e}", self.name()))?;
            if out.contains(&d) {
                return Err(crate::invalid!("{}: axis {ax} repeated", self.name()));
            }
            out.push(d);
        }
        Ok(out)
    }
}

impl Op for Cumulative {
    fn name(&self) -> &'static str {
        match self.kind {
            Kind::Sum => "Cumsum",
            Kind::Prod => "Cumprod",
        }
    }

    fn forward(&self, inputs: &[&Tensor]) -> Result<Vec<Tensor>> {
        let x = inputs[0];
        let axes = self.axes_for(x.shape().len())?;
        let (ex, rev) = (self.exclusive, self.reverse);
        let y = match self.kind {
            Kind::Sum => num_map!(self.name(), x, |a| scan_groups(
                a,
                &axes,
                ex,
                rev,
                Arith::zero(),
                Arith::add
            )?),
            Kind::Prod => num_map!(self.name(), x, |a| scan_groups(
                a,
                &axes,
                ex,
                rev,
                num_traits::one(),
                Arith::mul
            )?),
        }?;
        Ok(vec![y])
    }

    // TensorFlow's `_CumsumGrad` and `_CumprodGrad`:
    //   Cumsum:  dx = cumsum(g, exclusive, !reverse)
    //   Cumprod: dx = div_no_nan(cumsum(cumprod(x, exclusive, reverse) * g, exclusive, !reverse), x)
    // The Cumprod form is wrong where x == 0 (0 instead of the product of the others), as it
    // is in TensorFlow; Prod's own gradient avoids dividing (see `reduce`).
    fn gradient(&self, g: &mut dyn Graph, a: &GradArgs) -> Result<Vec<Option<Handle>>> {
        let x = &a.inputs[0];
        let gr = a.grad(g, 0)?;
        let (ex, rev) = (self.exclusive, self.reverse);
        let dx = match self.kind {
            Kind::Sum => scan(g, Kind::Sum, &gr, &self.axes, ex, !rev)?,
            Kind::Prod => {
                let prod = scan(g, Kind::Prod, x, &self.axes, ex, rev)?;
                let pg = binary::mul(g, &prod, &gr)?;
                let out = scan(g, Kind::Sum, &pg, &self.axes, ex, !rev)?;
                binary::div_no_nan(g, &out, x)?
            }
        };
        Ok(vec![Some(dx)])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::DType;

    fn run(kind: Kind, axes: &[i64], ex: bool, rev: bool, x: &Tensor) -> Result<Vec<f64>> {
        let op = Cumulative {
            kind,
            axes: axes.to_vec(),
            exclusive: ex,
            reverse: rev,
        };
        Ok(op.forward(&[x])?.remove(0).to_f64_vec())
    }

    /// tf.math.cumsum / cumprod on [[1, 2, 3], [4, 5, 6]], every exclusive/reverse combination
    /// along each axis (values as TensorFlow 2.21 prints them).
    #[test]
    fn scans_match_tensorflow() {
        let x = Tensor::from_f64s(DType::F32, &[2, 3], &[1., 2., 3., 4., 5., 6.]).expect("x");
        let cases: &[(Kind, i64, bool, bool, [f64; 6])] = &[
            (Kind::Sum, 1, false, false, [1., 3., 6., 4., 9., 15.]),
            (Kind::Sum, 1, true, false, [0., 1., 3., 0., 4., 9.]),
            (Kind::Sum, 1, false, true, [6., 5., 3., 15., 11., 6.]),
            (Kind::Sum, -1, true, true, [5., 3., 0., 11., 6., 0.]),
            (Kind::Sum, 0, false, false, [1., 2., 3., 5., 7., 9.]),
            (Kind::Prod, 1, false, false, [1., 2., 6., 4., 20., 120.]),
            (Kind::Prod, 1, true, true, [6., 3., 1., 30., 6., 1.]),
            (Kind::Prod, -2, true, false, [1., 1., 1., 1., 2., 3.]),
        ];
        for &(kind, axis, ex, rev, want) in cases {
            let got = run(kind, &[axis], ex, rev, &x).expect("scan");
            assert_eq!(got, want, "{kind:?} axis {axis} exclusive {ex} reverse {rev}");
        }
        let ints = Tensor::from_f64s(DType::I64, &[3], &[2., 3., 4.]).expect("ints");
        assert_eq!(
            run(Kind::Prod, &[0], false, false, &ints).expect("int"),
            [2., 6., 24.]
        );
    }

    /// A group of axes scans as one flattened axis in the order given.
    #[test]
    fn a_group_of_axes_scans_as_one() {
        let x = Tensor::from_f64s(DType::F64, &[2, 2], &[1., 2., 3., 4.]).expect("x");
        assert_eq!(
            run(Kind::Sum, &[0, 1], false, false, &x).expect("rows first"),
            [1., 3., 6., 10.]
        );
        assert_eq!(
            run(Kind::Sum, &[1, 0], false, false, &x).expect("cols first"),
            [1., 6., 4., 10.]
        );
    }

    #[test]
    fn bad_axes_are_invalid_arguments() {
        let x = Tensor::from_f64s(DType::F32, &[2], &[1., 2.]).expect("x");
        for axes in [&[1][..], &[-2], &[0, 0]] {
            let e = run(Kind::Sum, axes, false, false, &x).expect_err("must fail");
            assert!(matches!(e, Error::InvalidArgument(_)), "{axes:?}: {e:?}");
        }
        let scalar = Tensor::scalar(DType::F32, 1.0);
        assert!(run(Kind::Prod, &[0], false, false, &scalar).is_err());
    }
}
