//! Reductions: Sum, Mean, Max, Min, Prod over an int axis, a list of axes, or all axes when the
//! attr is absent; negative axes count from the end; keep_dims keeps reduced dims as size 1.

use super::{Attrs, GradArgs, Graph, Handle, Op, binary, cumulative, misc, run1, shape};
use crate::error::{Error, Result};
use crate::tensor::{Arith, Tensor, norm_axis};
use crate::{float_map, num_map};
use ndarray::{ArrayD, ArrayViewD, Axis, IxDyn};
use std::sync::Arc;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kind {
    Sum,
    Mean,
    Max,
    Min,
    Prod,
}

#[derive(Debug)]
pub struct Reduce {
    pub kind: Kind,
    /// None = all axes.
    pub axes: Option<Vec<i64>>,
    pub keep_dims: bool,
}

fn parse(kind: Kind, a: &mut Attrs) -> Result<Arc<dyn Op>> {
    let axes = a.ints("axis")?;
    let keep_dims = a.bool("keep_dims", false)?;
    Ok(Arc::new(Reduce {
        kind,
        axes,
        keep_dims,
    }))
}

pub fn sum_op(a: &mut Attrs) -> Result<Arc<dyn Op>> {
    parse(Kind::Sum, a)
}
pub fn mean_op(a: &mut Attrs) -> Result<Arc<dyn Op>> {
    parse(Kind::Mean, a)
}
pub fn max_op(a: &mut Attrs) -> Result<Arc<dyn Op>> {
    parse(Kind::Max, a)
}
pub fn min_op(a: &mut Attrs) -> Result<Arc<dyn Op>> {
    parse(Kind::Min, a)
}
pub fn prod_op(a: &mut Attrs) -> Result<Arc<dyn Op>> {
    parse(Kind::Prod, a)
}

/// Runs Sum on the graph (used by other ops' gradients).
pub fn sum(g: &mut dyn Graph, x: &Handle, axes: Option<Vec<i64>>, keep_dims: bool) -> Result<Handle> {
    run1(
        g,
        Reduce {
            kind: Kind::Sum,
            axes,
            keep_dims,
        },
        &[x],
    )
}

/// Resolves the axes attr against `rank`: sorted, deduplicated, non-negative.
pub fn resolve_axes(op: &str, axes: &Option<Vec<i64>>, rank: usize) -> Result<Vec<usize>> {
    let mut out = match axes {
        None => (0..rank).collect::<Vec<_>>(),
        Some(v) => v
            .iter()
            .map(|&a| norm_axis(a, rank).map_err(|e| e.context(op)))
            .collect::<Result<Vec<_>>>()?,
    };
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// The shape of the result with keep_dims=true.
pub fn kept_shape(shape: &[usize], axes: &[usize]) -> Vec<usize> {
    (shape.iter().enumerate())
        .map(|(i, &d)| if axes.contains(&i) { 1 } else { d })
        .collect()
}

fn div_count<T: crate::tensor::Float>(v: T, n: usize) -> T {
    v / T::c(n as f64)
}

/// Float sum over sorted axes (keep-dims shape): SIMD kernels when the layout allows.
fn float_sum<T: super::fast::Elt>(a: &ndarray::ArcArray<T, IxDyn>, axes: &[usize]) -> ArrayD<T> {
    if axes.is_empty() {
        return a.to_owned();
    }
    // A strided view (a slice or transpose): TensorFlow's tensors are always dense, so sum a
    // dense copy with the same kernel. The result then does not depend on the layout; a plain
    // fold can differ from the kernel's pairwise, lane-split order in the last bits (a unit
    // test's f64 sum agreed on AVX-512 and was 1 ulp apart on AVX2). The copy costs nothing
    // extra where the fold runs anyway: `fold` copies its input first.
    let dense;
    let a = if a.as_slice().is_some() {
        a
    } else {
        dense = a.as_standard_layout().into_owned().into_shared();
        &dense
    };
    super::fast::sum(a, axes).unwrap_or_else(|| fold(a.view(), axes, T::zero(), |p, q| p + q))
}

/// Folds `a` over `axes` (sorted) and returns the keep-dims result.
fn fold<T: Copy>(a: ArrayViewD<T>, axes: &[usize], init: T, f: impl Fn(T, T) -> T) -> ArrayD<T> {
    let mut cur = a.to_owned();
    for &ax in axes.iter().rev() {
        cur = cur
            .fold_axis(Axis(ax), init, |&acc, &v| f(acc, v))
            .insert_axis(Axis(ax));
    }
    cur
}

/// The shape of the result with keep_dims=false.
fn dropped_shape(shape: &[usize], axes: &[usize]) -> Vec<usize> {
    (shape.iter().enumerate())
        .filter(|(i, _)| !axes.contains(i))
        .map(|(_, &d)| d)
        .collect()
}

fn finish<T>(a: ArrayD<T>, shape: &[usize], axes: &[usize], keep: bool) -> Result<ArrayD<T>> {
    if keep {
        return Ok(a);
    }
    let out = dropped_shape(shape, axes);
    a.into_shape_with_order(IxDyn(&out))
        .map_err(|e| Error::Internal(format!("reduce reshape: {e}")))
}

impl Op for Reduce {
    fn name(&self) -> &'static str {
        match self.kind {
            Kind::Sum => "Sum",
            Kind::Mean => "Mean",
            Kind::Max => "Max",
            Kind::Min => "Min",
            Kind::Prod => "Prod",
        }
    }

    fn forward(&self, inputs: &[&Tensor]) -> Result<Vec<Tensor>> {
        let x = inputs[0];
        if x.numel() > 1
            && let Some(t) = self.whole_float(x)
        {
            return Ok(vec![t]);
        }
        let op = self.name();
        let axes = resolve_axes(op, &self.axes, x.rank())?;
        let sh = x.shape().to_vec();
        let k = self.keep_dims;
        let count: usize = axes.iter().map(|&a| sh[a]).product();
        if count == 1 {
            // Every reduced axis has size 1: TensorFlow copies the input (its reduction
            // kernel's "reduces nothing" case), so -0.0 stays -0.0 where a sum from 0 would
            // give +0.0. The copy is a reshape of the shared buffer.
            let out = if k {
                kept_shape(&sh, &axes)
            } else {
                dropped_shape(&sh, &axes)
            };
            return Ok(vec![shape::reshape_tensor(x, &out)?]);
        }
        let y = match self.kind {
            Kind::Sum => match x {
                Tensor::F32(a) => Ok(Tensor::F32(
                    finish(float_sum(a, &axes), &sh, &axes, k)?.into_shared(),
                )),
                Tensor::F64(a) => Ok(Tensor::F64(
                    finish(float_sum(a, &axes), &sh, &axes, k)?.into_shared(),
                )),
                _ => num_map!(op, x, |a| finish(
                    fold(a.view(), &axes, Arith::zero(), Arith::add),
                    &sh,
                    &axes,
                    k
                )?),
            },
            Kind::Mean => match x {
                Tensor::I32(a) => Ok(Tensor::I32(int_mean(a, &axes, &sh, count, k)?.into_shared())),
                Tensor::I64(a) => Ok(Tensor::I64(int_mean(a, &axes, &sh, count, k)?.into_shared())),
                _ => float_map!(op, x, |a| {
                    let mut s = float_sum(a, &axes);
                    s.mapv_inplace(|v| div_count(v, count));
                    finish(s, &sh, &axes, k)?
                }),
            },
            Kind::Max => num_map!(op, x, |a| finish(
                fold(a.view(), &axes, Arith::lowest(), Arith::max_of),
                &sh,
                &axes,
                k
            )?),
            Kind::Min => num_map!(op, x, |a| finish(
                fold(a.view(), &axes, Arith::highest(), Arith::min_of),
                &sh,
                &axes,
                k
            )?),
            Kind::Prod => num_map!(op, x, |a| {
                let one = Arith::add(Arith::zero(), num_traits::One::one());
                finish(fold(a.view(), &axes, one, Arith::mul), &sh, &axes, k)?
            }),
        }?;
        Ok(vec![y])
    }

    fn gradient(&self, g: &mut dyn Graph, a: &GradArgs) -> Result<Vec<Option<Handle>>> {
        let (x, y) = (&a.inputs[0], &a.outputs[0]);
        let axes = resolve_axes(self.name(), &self.axes, x.value.rank())?;
        let kept = kept_shape(x.shape(), &axes);
        let mut gr = a.grad(g, 0)?;
        if self.kind == Kind::Mean {
            // d mean = broadcast(g / n): dividing before broadcasting gives the same values
            // with one division per reduced group instead of one per input element.
            let n: usize = axes.iter().map(|&i| x.shape()[i]).product();
            let n = super::scalar(g, x.dtype(), n.max(1) as f64);
            gr = binary::div(g, &gr, &n)?;
        }
        // A scalar (every axis reduced, keep_dims off) broadcasts to any shape as it is.
        let g_kept = if gr.value.rank() == 0 {
            gr
        } else {
            shape::reshape(g, &gr, &kept)?
        };
        let g_full = shape::broadcast_to(g, &g_kept, x.shape())?;
        let gx = match self.kind {
            // d sum = broadcast(g); d mean = broadcast(g / n), divided above
            Kind::Sum | Kind::Mean => g_full,
            // TensorFlow splits the gradient evenly among tied extrema.
            Kind::Max | Kind::Min => {
                let y_kept = shape::reshape(g, y, &kept)?;
                let eq = misc::eq(g, x, &y_kept)?;
                let ind = misc::cast_to(g, &eq, x.dtype())?;
                let num = sum(g, &ind, Some(axes.iter().map(|&i| i as i64).collect()), true)?;
                let share = binary::div(g, &ind, &num)?;
                binary::mul(g, &share, &g_full)?
            }
            // d prod = product of the other elements (well defined when some are zero), built
            // as TensorFlow's `_ProdGrad` builds it: the exclusive products from the left times
            // those from the right, both recorded Cumprods, so the second derivative runs
            // through Cumprod's gradient exactly as TensorFlow's does.
            Kind::Prod => {
                let group: Vec<i64> = axes.iter().map(|&i| i as i64).collect();
                let left = cumulative::scan(g, cumulative::Kind::Prod, x, &group, true, false)?;
                let right = cumulative::scan(g, cumulative::Kind::Prod, x, &group, true, true)?;
                let others = binary::mul(g, &left, &right)?;
                binary::mul(g, &g_full, &others)?
            }
        };
        Ok(vec![Some(gx)])
    }
}

impl Reduce {
    /// A float Sum or Mean of every element of a contiguous tensor of rank >= 1 with more than
    /// one element (a loss's reduction): the same kernel call and division as the general
    /// path, without its axis lists and reshapes, which cost more than the sum itself on a
    /// small tensor.
    fn whole_float(&self, x: &Tensor) -> Option<Tensor> {
        let rank = x.rank();
        let every_axis = match &self.axes {
            None => true,
            Some(v) => {
                let r = rank as i64;
                v.len() == rank && (0..r).all(|d| v.iter().any(|&a| a == d || a == d - r))
            }
        };
        let ones = [1usize; 8];
        if rank == 0 || !every_axis || !matches!(self.kind, Kind::Sum | Kind::Mean) || rank > ones.len() {
            return None;
        }
        let shape: &[usize] = if self.keep_dims { &ones[..rank] } else { &[] };
        fn total<T: super::fast::Elt>(
            a: &ndarray::ArcArray<T, IxDyn>,
            mean: bool,
            shape: &[usize],
        ) -> Option<ndarray::ArcArray<T, IxDyn>> {
            let x = a.as_slice()?;
            let mut s = [T::zero()];
            crate::kernels::sum_cols(x, 1, x.len(), &mut s);
            let v = if mean { div_count(s[0], x.len()) } else { s[0] };
            crate::tensor::dense(shape, vec![v]).ok().map(ArrayD::into_shared)
        }
        let mean = self.kind == Kind::Mean;
        match x {
            Tensor::F32(a) => total(a, mean, shape).map(Tensor::F32),
            Tensor::F64(a) => total(a, mean, shape).map(Tensor::F64),
            _ => None,
        }
    }
}

/// An integer mean truncates toward zero, as TensorFlow's (sum, then integer division; an
/// empty one is 0).
fn int_mean<T: num_traits::PrimInt + Arith>(
    a: &ndarray::ArcArray<T, IxDyn>,
    axes: &[usize],
    sh: &[usize],
    count: usize,
    keep: bool,
) -> Result<ArrayD<T>> {
    let n = T::from(count).unwrap_or_else(T::max_value);
    let s = fold(a.view(), axes, <T as Arith>::zero(), Arith::add);
    finish(
        s.mapv(|v| v.checked_div(&n).unwrap_or_else(<T as Arith>::zero)),
        sh,
        axes,
        keep,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::DType;

    fn t(shape: &[usize], v: &[f64]) -> Tensor {
        Tensor::from_f64s(DType::F32, shape, v).expect("valid")
    }

    fn run(kind: Kind, axes: Option<Vec<i64>>, keep: bool, x: &Tensor) -> Tensor {
        let op = Reduce {
            kind,
            axes,
            keep_dims: keep,
        };
        op.forward(&[x]).expect("ok").remove(0)
    }

    #[test]
    fn reduces_over_axes_with_keep_dims() {
        let x = t(&[2, 3], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        assert_eq!(run(Kind::Sum, None, false, &x).to_f64_vec(), vec![21.0]);
        let s = run(Kind::Sum, Some(vec![-1]), true, &x);
        assert_eq!(s.shape(), &[2, 1]);
        assert_eq!(s.to_f64_vec(), vec![6.0, 15.0]);
        assert_eq!(
            run(Kind::Mean, Some(vec![0]), false, &x).to_f64_vec(),
            vec![2.5, 3.5, 4.5]
        );
        assert_eq!(
            run(Kind::Max, Some(vec![1]), false, &x).to_f64_vec(),
            vec![3.0, 6.0]
        );
        assert_eq!(
            run(Kind::Prod, Some(vec![0]), false, &x).to_f64_vec(),
            vec![4.0, 10.0, 18.0]
        );
        assert_eq!(run(Kind::Sum, Some(vec![]), false, &x).shape(), &[2, 3]);
    }

    /// TensorFlow copies the input when every reduced axis has size 1: -0.0 survives a Sum,
    /// Mean or Prod there (a sum from 0 gives +0.0), with and without keep_dims.
    #[test]
    fn size_one_reductions_copy_the_input() {
        let neg = |v: &Tensor| {
            v.to_f64_vec()
                .iter()
                .map(|x| x.is_sign_negative())
                .collect::<Vec<_>>()
        };
        let x = t(&[1, 2], &[-0.0, 1.0]);
        for kind in [Kind::Sum, Kind::Mean, Kind::Prod, Kind::Max, Kind::Min] {
            let r = run(kind, Some(vec![0]), false, &x);
            assert_eq!(r.shape(), &[2]);
            assert_eq!(neg(&r), vec![true, false], "{kind:?}");
            let r = run(kind, Some(vec![-2]), true, &x);
            assert_eq!(r.shape(), &[1, 2]);
            assert_eq!(neg(&r), vec![true, false], "{kind:?} keep_dims");
        }
        let one = t(&[1], &[-0.0]);
        assert_eq!(neg(&run(Kind::Sum, None, false, &one)), vec![true]);
        assert_eq!(run(Kind::Sum, None, false, &one).shape(), &[] as &[usize]);
        // Two elements are a real sum: 0 + -0 + -0 is +0, as in TensorFlow.
        assert_eq!(
            neg(&run(Kind::Sum, None, false, &t(&[2], &[-0.0, -0.0]))),
            vec![false]
        );
    }

    /// The whole-tensor Sum and Mean take a shortcut for contiguous floats; a non-contiguous
    /// copy of the same values takes the general path, and both agree bit for bit.
    #[test]
    fn whole_tensor_shortcut_matches_the_general_path() {
        let vals: Vec<f64> = (0..24).map(|i| (i as f64 * 0.37).sin() * 1e3).collect();
        for dtype in [DType::F32, DType::F64] {
            let x = Tensor::from_f64s(dtype, &[2, 3, 4], &vals).expect("valid");
            // The same values at every other element of a wider buffer.
            let wide: Vec<f64> = vals.iter().flat_map(|&v| [v, f64::NAN]).collect();
            let strided = match Tensor::from_f64s(dtype, &[2, 3, 8], &wide).expect("valid") {
                Tensor::F32(a) => Tensor::F32(a.slice_move(ndarray::s![.., .., ..;2]).into_dyn()),
                Tensor::F64(a) => Tensor::F64(a.slice_move(ndarray::s![.., .., ..;2]).into_dyn()),
                _ => unreachable!("float"),
            };
            assert!(
                matches!(&strided, Tensor::F32(a) if a.as_slice().is_none())
                    || matches!(&strided, Tensor::F64(a) if a.as_slice().is_none())
            );
            assert_eq!(strided.to_f64_vec(), x.to_f64_vec());
            for kind in [Kind::Sum, Kind::Mean] {
                for axes in [None, Some(vec![0, 1, 2]), Some(vec![-1, 0, -2])] {
                    for keep in [false, true] {
                        let fast = run(kind, axes.clone(), keep, &x);
                        let general = run(kind, axes.clone(), keep, &strided);
                        assert_eq!(fast.shape(), general.shape());
                        let bits =
                            |t: &Tensor| t.to_f64_vec().iter().map(|v| v.to_bits()).collect::<Vec<_>>();
                        assert_eq!(bits(&fast), bits(&general), "{dtype} {kind:?} {axes:?} {keep}");
                    }
                }
            }
        }
    }

    #[test]
    fn bad_axis_is_invalid_argument() {
        let x = t(&[2], &[1.0, 2.0]);
        let op = Reduce {
            kind: Kind::Sum,
            axes: Some(vec![2]),
            keep_dims: false,
        };
        assert!(matches!(op.forward(&[&x]), Err(Error::InvalidArgument(_))));
    }
}
