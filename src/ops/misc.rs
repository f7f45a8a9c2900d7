//! Helpers without a gradient of their own (Cast between floats excepted): Cast, comparisons,
//! SelectV2, ArgMax, OneHot.

use super::{Attrs, GradArgs, Graph, Handle, Op, run1, sum_to_shape};
use crate::error::Result;
use crate::tensor::{DType, Tensor, check_alloc, norm_axis, zip_broadcast};
use crate::{invalid, with_elem};
use ndarray::{ArrayD, Axis, IxDyn};
use std::sync::Arc;

#[derive(Debug)]
pub struct Cast {
    pub dtype: DType,
}

pub fn cast(a: &mut Attrs) -> Result<Arc<dyn Op>> {
    let dtype = match a.dtype("dtype")? {
        Some(d) => d,
        None => a
            .dtype("DstT")?
            .ok_or_else(|| invalid!("Cast: missing attr dtype"))?,
    };
    Ok(Arc::new(Cast { dtype }))
}

/// Runs Cast on the graph.
pub fn cast_to(g: &mut dyn Graph, x: &Handle, dtype: DType) -> Result<Handle> {
    run1(g, Cast { dtype }, &[x])
}

impl Op for Cast {
    fn name(&self) -> &'static str {
        "Cast"
    }
    fn forward(&self, inputs: &[&Tensor]) -> Result<Vec<Tensor>> {
        Ok(vec![inputs[0].cast(self.dtype)])
    }
    // Between float dtypes the gradient is cast back; otherwise there is none.
    fn gradient(&self, g: &mut dyn Graph, a: &GradArgs) -> Result<Vec<Option<Handle>>> {
        let src = a.inputs[0].dtype();
        if !(src.is_float() && self.dtype.is_float()) {
            return Ok(vec![None]);
        }
        let gr = a.grad(g, 0)?;
        Ok(vec![Some(cast_to(g, &gr, src)?)])
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Cmp {
    Greater,
    Less,
    GreaterEqual,
    LessEqual,
    Equal,
    NotEqual,
}

#[derive(Debug)]
pub struct Compare(pub Cmp);

pub fn greater(_: &mut Attrs) -> Result<Arc<dyn Op>> {
    Ok(Arc::new(Compare(Cmp::Greater)))
}
pub fn less(_: &mut Attrs) -> Result<Arc<dyn Op>> {
    Ok(Arc::new(Compare(Cmp::Less)))
}
pub fn greater_equal(_: &mut Attrs) -> Result<Arc<dyn Op>> {
    Ok(Arc::new(Compare(Cmp::GreaterEqual)))
}
pub fn less_equal(_: &mut Attrs) -> Result<Arc<dyn Op>> {
    Ok(Arc::new(Compare(Cmp::LessEqual)))
}
pub fn equal(a: &mut Attrs) -> Result<Arc<dyn Op>> {
    // TensorFlow's Equal carries this attr; it changes nothing for valid shapes.
    a.bool("incompatible_shape_error", true)?;
    Ok(Arc::new(Compare(Cmp::Equal)))
}
pub fn not_equal(a: &mut Attrs) -> Result<Arc<dyn Op>> {
    a.bool("incompatible_shape_error", true)?;
    Ok(Arc::new(Compare(Cmp::NotEqual)))
}

pub fn gt(g: &mut dyn Graph, x: &Handle, y: &Handle) -> Result<Handle> {
    run1(g, Compare(Cmp::Greater), &[x, y])
}
pub fn lt(g: &mut dyn Graph, x: &Handle, y: &Handle) -> Result<Handle> {
    run1(g, Compare(Cmp::Less), &[x, y])
}
/// GreaterEqual (false where either side is NaN, unlike not-Less).
pub fn ge(g: &mut dyn Graph, x: &Handle, y: &Handle) -> Result<Handle> {
    run1(g, Compare(Cmp::GreaterEqual), &[x, y])
}
pub fn le(g: &mut dyn Graph, x: &Handle, y: &Handle) -> Result<Handle> {
    run1(g, Compare(Cmp::LessEqual), &[x, y])
}
pub fn eq(g: &mut dyn Graph, x: &Handle, y: &Handle) -> Result<Handle> {
    run1(g, Compare(Cmp::Equal), &[x, y])
}

impl Op for Compare {
    fn name(&self) -> &'static str {
        match self.0 {
            Cmp::Greater => "Greater",
            Cmp::Less => "Less",
            Cmp::GreaterEqual => "GreaterEqual",
            Cmp::LessEqual => "LessEqual",
            Cmp::Equal => "Equal",
            Cmp::NotEqual => "NotEqual",
        }
    }
    fn differentiable(&self) -> bool {
        false
    }
    fn forward(&self, inputs: &[&Tensor]) -> Result<Vec<Tensor>> {
        let (x, y) = (inputs[0], inputs[1]);
        let op = self.name();
        if x.dtype() != y.dtype() {
            return Err(super::dtype_error(op, x, y));
        }
        let c = self.0;
        // Booleans are equal or not, but not ordered (TensorFlow has no bool Greater/Less).
        if x.dtype() == DType::Bool && !matches!(c, Cmp::Equal | Cmp::NotEqual) {
            return Err(super::dtype_error(op, x, y));
        }
        let out: ArrayD<bool> = with_elem!(x.dtype(), T => {
            let (Some(a), Some(b)) = (<T as crate::tensor::Elem>::get(x), <T as crate::tensor::Elem>::get(y)) else {
                return Err(super::dtype_error(op, x, y));
            };
            zip_broadcast(op, a, b, |p: T, q: T| compare(c, p, q))?
        });
        Ok(vec![Tensor::Bool(out.into_shared())])
    }
}

/// LogicalAnd, LogicalOr (broadcasting) and LogicalNot: bool tensors only, no gradient.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Logic {
    And,
    Or,
    Not,
}

#[derive(Debug)]
pub struct Logical(pub Logic);

pub fn logical_and(_: &mut Attrs) -> Result<Arc<dyn Op>> {
    Ok(Arc::new(Logical(Logic::And)))
}
pub fn logical_or(_: &mut Attrs) -> Result<Arc<dyn Op>> {
    Ok(Arc::new(Logical(Logic::Or)))
}
pub fn logical_not(_: &mut Attrs) -> Result<Arc<dyn Op>> {
    Ok(Arc::new(Logical(Logic::Not)))
}

impl Op for Logical {
    fn name(&self) -> &'static str {
        match self.0 {
            Logic::And => "LogicalAnd",
            Logic::Or => "LogicalOr",
            Logic::Not => "LogicalNot",
        }
    }
    fn differentiable(&self) -> bool {
        false
    }
    fn forward(&self, inputs: &[&Tensor]) -> Result<Vec<Tensor>> {
        let op = self.name();
        let mut bools = Vec::with_capacity(inputs.len());
        for (i, t) in inputs.iter().enumerate() {
            let Tensor::Bool(b) = t else {
                return Err(invalid!(
                    "{op}: input {i} must be a bool tensor, got {}",
                    t.dtype()
                ));
            };
            bools.push(b);
        }
        let out: ArrayD<bool> = match (self.0, bools.as_slice()) {
            (Logic::Not, [a]) => a.mapv(|v| !v),
            (Logic::And, [a, b]) => zip_broadcast(op, a, b, |p: bool, q: bool| p && q)?,
            (Logic::Or, [a, b]) => zip_broadcast(op, a, b, |p: bool, q: bool| p || q)?,
            _ => return Err(invalid!("{op}: wrong number of inputs ({})", inputs.len())),
        };
        Ok(vec![Tensor::Bool(out.into_shared())])
    }
}

#[derive(Debug)]
pub struct Select;

pub fn select_v2(_: &mut Attrs) -> Result<Arc<dyn Op>> {
    Ok(Arc::new(Select))
}

/// Runs SelectV2(cond, t, e) on the graph.
pub fn select(g: &mut dyn Graph, c: &Handle, t: &Handle, e: &Handle) -> Result<Handle> {
    run1(g, Select, &[c, t, e])
}

impl Op for Select {
    fn name(&self) -> &'static str {
        "SelectV2"
    }
    fn forward(&self, inputs: &[&Tensor]) -> Result<Vec<Tensor>> {
        let (c, t, e) = (inputs[0], inputs[1], inputs[2]);
        let Tensor::Bool(cond) = c else {
            return Err(invalid!("SelectV2: condition must be bool, got {}", c.dtype()));
        };
        if t.dtype() != e.dtype() {
            return Err(super::dtype_error("SelectV2", t, e));
        }
        let shape = crate::tensor::broadcast_shape(t.shape(), e.shape())
            .and_then(|s| crate::tensor::broadcast_shape(cond.shape(), &s))
            .map_err(|err| err.context("SelectV2"))?;
        check_alloc("SelectV2", &shape)?;
        let sh = IxDyn(&shape);
        with_elem!(t.dtype(), T => {
            use crate::tensor::Elem;
            let (Some(ta), Some(ea)) = (T::get(t), T::get(e)) else {
                return Err(super::dtype_error("SelectV2", t, e));
            };
            let bad = || invalid!("SelectV2: cannot broadcast {:?}, {:?}, {:?}", c.shape(), t.shape(), e.shape());
            let cb = cond.broadcast(sh.clone()).ok_or_else(bad)?;
            let tb = ta.broadcast(sh.clone()).ok_or_else(bad)?;
            let eb = ea.broadcast(sh.clone()).ok_or_else(bad)?;
            let out = ndarray::Zip::from(&cb).and(&tb).and(&eb).map_collect(|&k, &x, &y| if k { x } else { y });
            Ok(vec![T::wrap(out.into_shared())])
        })
    }
    // The chosen branch gets g, the other zeros (so an unselected source gets zeros, not None).
    fn gradient(&self, g: &mut dyn Graph, a: &GradArgs) -> Result<Vec<Option<Handle>>> {
        let (c, t, e) = (&a.inputs[0], &a.inputs[1], &a.inputs[2]);
        let gr = a.grad(g, 0)?;
        let zeros = g.constant(Tensor::zeros(gr.dtype(), gr.shape()));
        let gt_ = select(g, c, &gr, &zeros)?;
        let ge = select(g, c, &zeros, &gr)?;
        Ok(vec![
            None,
            Some(sum_to_shape(g, &gt_, t.shape())?),
            Some(sum_to_shape(g, &ge, e.shape())?),
        ])
    }
}

#[derive(Debug)]
pub struct ArgMax {
    pub axis: i64,
}

pub fn arg_max(a: &mut Attrs) -> Result<Arc<dyn Op>> {
    let axis = a.int("axis")?.unwrap_or(0);
    if let Some(t) = a.dtype("output_type")?
        && t != DType::I64
    {
        return Err(invalid!("ArgMax: only output_type int64 is supported, got {t}"));
    }
    Ok(Arc::new(ArgMax { axis }))
}

impl Op for ArgMax {
    fn name(&self) -> &'static str {
        "ArgMax"
    }
    fn differentiable(&self) -> bool {
        false
    }
    fn forward(&self, inputs: &[&Tensor]) -> Result<Vec<Tensor>> {
        let x = inputs[0];
        let ax = norm_axis(self.axis, x.rank()).map_err(|e| e.context("ArgMax"))?;
        if x.shape()[ax] == 0 {
            return Err(invalid!(
                "ArgMax: reduction dimension {ax} of {:?} is empty",
                x.shape()
            ));
        }
        let out: ArrayD<i64> = with_elem!(x.dtype(), T => {
            use crate::tensor::Elem;
            let a = T::get(x).ok_or_else(|| invalid!("ArgMax: bad dtype"))?;
            a.map_axis(Axis(ax), |lane| {
                // First maximum wins, as in TensorFlow, which never picks a NaN (comparisons
                // with NaN are false): an all-NaN lane gives 0.
                let mut best: Option<usize> = None;
                for (i, v) in lane.iter().enumerate() {
                    #[allow(clippy::eq_op)] // v == v is false exactly for NaN
                    let comparable = v == v;
                    if comparable && best.is_none_or(|b| ordered_lt(&lane[b], v)) {
                        best = Some(i);
                    }
                }
                let best = best.unwrap_or(0);
                best as i64
            })
        });
        Ok(vec![Tensor::I64(out.into_shared())])
    }
}

fn compare<T: PartialOrd>(c: Cmp, p: T, q: T) -> bool {
    match c {
        Cmp::Greater => p > q,
        Cmp::Less => p < q,
        Cmp::GreaterEqual => p >= q,
        Cmp::LessEqual => p <= q,
        Cmp::Equal => p == q,
        Cmp::NotEqual => p != q,
    }
}

/// `a < b` for any element type (a function, so bool lanes do not trip clippy's lint on
/// comparing booleans inside the generic macro).
fn ordered_lt<T: PartialOrd>(a: &T, b: &T) -> bool {
    a < b
}

#[derive(Debug)]
pub struct OneHot {
    pub depth: usize,
    pub dtype: DType,
    pub on: f64,
    pub off: f64,
    pub axis: i64,
}

pub fn one_hot(a: &mut Attrs) -> Result<Arc<dyn Op>> {
    let depth = a.req_int("depth")?;
    let depth = usize::try_from(depth).map_err(|_| invalid!("OneHot: depth must be >= 0, got {depth}"))?;
    let dtype = a.dtype("dtype")?.unwrap_or(DType::F32);
    let on = a.float("on_value", 1.0)?;
    let off = a.float("off_value", 0.0)?;
    let axis = a.int("axis")?.unwrap_or(-1);
    Ok(Arc::new(OneHot {
        depth,
        dtype,
        on,
        off,
        axis,
    }))
}

impl Op for OneHot {
    fn name(&self) -> &'static str {
        "OneHot"
    }
    fn differentiable(&self) -> bool {
        false
    }
    fn forward(&self, inputs: &[&Tensor]) -> Result<Vec<Tensor>> {
        let idx = inputs[0];
        if !matches!(idx.dtype(), DType::I32 | DType::I64) {
            return Err(invalid!(
                "OneHot: indices must be int32 or int64, got {}",
                idx.dtype()
            ));
        }
        let ax = if self.axis == -1 {
            idx.rank()
        } else {
            norm_axis(self.axis, idx.rank() + 1)?
        };
        let d = self.depth;
        let mut shape = idx.shape().to_vec();
        shape.push(d);
        check_alloc("OneHot", &shape)?;
        let ix = idx.to_i64_vec();
        // Build with the depth axis last, then move it; out-of-range indices give all-off rows.
        let mut vals = vec![self.off; ix.len() * d];
        for (j, &i) in ix.iter().enumerate() {
            if i >= 0 && (i as usize) < d {
                vals[j * d + i as usize] = self.on;
            }
        }
        let t = Tensor::from_f64s(self.dtype, &shape, &vals)?;
        if ax == idx.rank() {
            return Ok(vec![t]);
        }
        let mut perm: Vec<i64> = (0..idx.rank() as i64).collect();
        perm.insert(ax, idx.rank() as i64);
        let tr = super::shape::Transpose { perm };
        tr.forward(&[&t])
    }
}
