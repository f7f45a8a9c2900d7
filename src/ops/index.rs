//! Ops that select or assemble parts of tensors: ConcatV2, Pack, Slice, Pad, GatherV2 (and its
//! gradient, an internal scatter-add).

use super::{Attrs, GradArgs, Graph, Handle, Op, run1, shape};
use crate::error::{Error, Result};
use crate::tensor::{DType, Elem, Tensor, check_alloc, norm_axis};
use crate::{invalid, with_elem};
use ndarray::{ArrayD, Axis, IxDyn, Slice as NdSlice};
use std::sync::Arc;

/// The inputs as arrays of one element type, or INVALID_ARGUMENT naming the odd one out.
fn same<'a, T: Elem>(op: &str, ts: &[&'a Tensor]) -> Result<Vec<ndarray::ArrayViewD<'a, T>>> {
    (ts.iter())
        .map(|t| {
            T::get(t).map(|a| a.view()).ok_or_else(|| {
                invalid!(
                    "{op} needs inputs of one dtype, got {} and {}",
                    T::DTYPE,
                    t.dtype()
                )
            })
        })
        .collect()
}

#[derive(Debug)]
pub struct Concat {
    pub axis: i64,
}

pub fn concat(a: &mut Attrs) -> Result<Arc<dyn Op>> {
    Ok(Arc::new(Concat {
        axis: a.req_int("axis")?,
    }))
}

impl Op for Concat {
    fn name(&self) -> &'static str {
        "ConcatV2"
    }
    fn forward(&self, inputs: &[&Tensor]) -> Result<Vec<Tensor>> {
        let first = inputs[0];
        let ax = norm_axis(self.axis, first.rank()).map_err(|e| e.context("ConcatV2"))?;
        for t in inputs {
            let ok = t.rank() == first.rank()
                && (t.shape().iter().zip(first.shape()).enumerate()).all(|(i, (a, b))| i == ax || a == b);
            if !ok {
                return Err(invalid!(
                    "ConcatV2: shapes {:?} and {:?} differ off axis {ax}",
                    first.shape(),
                    t.shape()
                ));
            }
        }
        with_elem!(first.dtype(), T => {
            let views = same::<T>("ConcatV2", inputs)?;
            let out = ndarray::concatenate(Axis(ax), &views).map_err(|e| invalid!("ConcatV2: {e}"))?;
            Ok(vec![T::wrap(out.into_shared())])
        })
    }
    // Each input gets its own slice of g along the axis.
    fn gradient(&self, g: &mut dyn Graph, a: &GradArgs) -> Result<Vec<Option<Handle>>> {
        let gr = a.grad(g, 0)?;
        let ax = norm_axis(self.axis, gr.value.rank())?;
        let mut begin = vec![0i64; gr.value.rank()];
        let mut out = Vec::with_capacity(a.inputs.len());
        for x in a.inputs {
            let size: Vec<i64> = x.shape().iter().map(|&d| d as i64).collect();
            out.push(Some(slice(g, &gr, begin.clone(), size)?));
            begin[ax] += x.shape()[ax] as i64;
        }
        Ok(out)
    }
}

#[derive(Debug)]
pub struct Pack {
    pub axis: i64,
}

pub fn pack(a: &mut Attrs) -> Result<Arc<dyn Op>> {
    Ok(Arc::new(Pack {
        axis: a.int("axis")?.unwrap_or(0),
    }))
}

impl Op for Pack {
    fn name(&self) -> &'static str {
        "Pack"
    }
    fn forward(&self, inputs: &[&Tensor]) -> Result<Vec<Tensor>> {
        let first = inputs[0];
        let ax = norm_axis(self.axis, first.rank() + 1).map_err(|e| e.context("Pack"))?;
        if let Some(t) = inputs.iter().find(|t| t.shape() != first.shape()) {
            return Err(invalid!(
                "Pack: shapes {:?} and {:?} differ",
                first.shape(),
                t.shape()
            ));
        }
        with_elem!(first.dtype(), T => {
            let views = same::<T>("Pack", inputs)?;
            let out = ndarray::stack(Axis(ax), &views).map_err(|e| invalid!("Pack: {e}"))?;
            Ok(vec![T::wrap(out.into_shared())])
        })
    }
    // Each input gets its slice of g, reshaped back to the input's shape.
    fn gradient(&self, g: &mut dyn Graph, a: &GradArgs) -> Result<Vec<Option<Handle>>> {
        let gr = a.grad(g, 0)?;
        let ax = norm_axis(self.axis, gr.value.rank())?;
        let mut size: Vec<i64> = gr.shape().iter().map(|&d| d as i64).collect();
        size[ax] = 1;
        let mut out = Vec::with_capacity(a.inputs.len());
        for (i, x) in a.inputs.iter().enumerate() {
            let mut begin = vec![0i64; size.len()];
            begin[ax] = i as i64;
            let s = slice(g, &gr, begin, size.clone())?;
            out.push(Some(shape::reshape(g, &s, x.shape())?));
        }
        Ok(out)
    }
}

#[derive(Debug)]
pub struct Slice {
    pub begin: Vec<i64>,
    pub size: Vec<i64>,
}

pub fn slice_op(a: &mut Attrs) -> Result<Arc<dyn Op>> {
    Ok(Arc::new(Slice {
        begin: a.req_ints("begin")?,
        size: a.req_ints("size")?,
    }))
}

/// Runs Slice on the graph.
pub fn slice(g: &mut dyn Graph, x: &Handle, begin: Vec<i64>, size: Vec<i64>) -> Result<Handle> {
    if begin.iter().all(|&b| b == 0) && size.iter().zip(x.shape()).all(|(&s, &d)| s == d as i64) {
        return Ok(x.clone());
    }
    run1(g, Slice { begin, size }, &[x])
}

impl Slice {
    /// (begin, size) per dim, checked against `shape`.
    fn bounds(&self, shape: &[usize]) -> Result<Vec<(usize, usize)>> {
        if self.begin.len() != shape.len() || self.size.len() != shape.len() {
            return Err(invalid!(
                "Slice: begin {:?} and size {:?} need one entry per dim of {shape:?}",
                self.begin,
                self.size
            ));
        }
        (0..shape.len())
            .map(|i| {
                let (b, s, d) = (self.begin[i], self.size[i], shape[i] as i64);
                let s = if s == -1 { d - b } else { s };
                if b < 0 || s < 0 || b + s > d {
                    return Err(invalid!(
                        "Slice: begin {:?} size {:?} out of bounds for {shape:?}",
                        self.begin,
                        self.size
                    ));
                }
                Ok((b as usize, s as usize))
            })
            .collect()
    }
}

impl Op for Slice {
    fn name(&self) -> &'static str {
        "Slice"
    }
    fn forward(&self, inputs: &[&Tensor]) -> Result<Vec<Tensor>> {
        let x = inputs[0];
        let bs = self.bounds(x.shape())?;
        let t = crate::any_map!(x, |a| a
            .slice_each_axis(|ad| {
                let (b, s) = bs[ad.axis.index()];
                NdSlice::from(b..b + s)
            })
            .to_owned());
        Ok(vec![t])
    }
    // d slice(x) = g padded with zeros back to x's shape
    fn gradient(&self, g: &mut dyn Graph, a: &GradArgs) -> Result<Vec<Option<Handle>>> {
        let x = &a.inputs[0];
        let bs = self.bounds(x.shape())?;
        let mut paddings = Vec::with_capacity(2 * bs.len());
        for (&(b, s), &d) in bs.iter().zip(x.shape()) {
            paddings.push(b as i64);
            paddings.push((d - b - s) as i64);
        }
        let gr = a.grad(g, 0)?;
        Ok(vec![Some(run1(g, Pad { paddings }, &[&gr])?)])
    }
}

#[derive(Debug)]
pub struct Pad {
    /// before, after for each dim.
    pub paddings: Vec<i64>,
}

pub fn pad_op(a: &mut Attrs) -> Result<Arc<dyn Op>> {
    Ok(Arc::new(Pad {
        paddings: a.req_ints("paddings")?,
    }))
}

impl Op for Pad {
    fn name(&self) -> &'static str {
        "Pad"
    }
    fn forward(&self, inputs: &[&Tensor]) -> Result<Vec<Tensor>> {
        let x = inputs[0];
        let p = &self.paddings;
        if p.len() != 2 * x.rank() || p.iter().any(|&v| v < 0) {
            return Err(invalid!(
                "Pad: paddings {p:?} need 2 non-negative entries per dim of {:?}",
                x.shape()
            ));
        }
        let shape: Vec<usize> = (x.shape().iter().enumerate())
            .map(|(i, &d)| {
                let extra = (p[2 * i] as u64).saturating_add(p[2 * i + 1] as u64);
                usize::try_from(extra)
                    .ok()
                    .and_then(|e| d.checked_add(e))
                    .unwrap_or(usize::MAX)
            })
            .collect();
        check_alloc("Pad", &shape)?;
        with_elem!(x.dtype(), T => {
            let src = T::get(x).ok_or_else(|| Error::Internal("pad dtype".into()))?;
            let mut out = ArrayD::<T>::default(IxDyn(&shape));
            out.slice_each_axis_mut(|ad| {
                let i = ad.axis.index();
                let b = p[2 * i] as usize;
                NdSlice::from(b..b + x.shape()[i])
            })
            .assign(src);
            Ok(vec![T::wrap(out.into_shared())])
        })
    }
    // d pad(x) = the slice of g where x was
    fn gradient(&self, g: &mut dyn Graph, a: &GradArgs) -> Result<Vec<Option<Handle>>> {
        let x = &a.inputs[0];
        let begin = (0..x.value.rank()).map(|i| self.paddings[2 * i]).collect();
        let size = x.shape().iter().map(|&d| d as i64).collect();
        let gr = a.grad(g, 0)?;
        Ok(vec![Some(slice(g, &gr, begin, size)?)])
    }
}

#[derive(Debug)]
pub struct Gather {
    pub axis: i64,
}

pub fn gather(a: &mut Attrs) -> Result<Arc<dyn Op>> {
    Ok(Arc::new(Gather {
        axis: a.int("axis")?.unwrap_or(0),
    }))
}

/// Checked indices along a dim of size `dim`.
fn indices(op: &str, t: &Tensor, dim: usize) -> Result<Vec<usize>> {
    if !matches!(t.dtype(), DType::I32 | DType::I64) {
        return Err(invalid!(
            "{op}: indices must be int32 or int64, got {}",
            t.dtype()
        ));
    }
    (t.to_i64_vec().into_iter())
        .map(|i| {
            usize::try_from(i)
                .ok()
                .filter(|&u| u < dim)
                .ok_or_else(|| invalid!("{op}: index {i} is out of range [0, {dim})"))
        })
        .collect()
}

impl Op for Gather {
    fn name(&self) -> &'static str {
        "GatherV2"
    }
    fn forward(&self, inputs: &[&Tensor]) -> Result<Vec<Tensor>> {
        let (p, idx) = (inputs[0], inputs[1]);
        let ax = norm_axis(self.axis, p.rank()).map_err(|e| e.context("GatherV2"))?;
        let ix = indices("GatherV2", idx, p.shape()[ax])?;
        let mut shape = p.shape()[..ax].to_vec();
        shape.extend_from_slice(idx.shape());
        shape.extend_from_slice(&p.shape()[ax + 1..]);
        check_alloc("GatherV2", &shape)?;
        let picked = crate::any_map!(p, |a| a.select(Axis(ax), &ix));
        Ok(vec![shape::reshape_tensor(&picked, &shape)?])
    }
    // Rows of g are added back at their indices (repeated indices add up); indices: none.
    fn gradient(&self, g: &mut dyn Graph, a: &GradArgs) -> Result<Vec<Option<Handle>>> {
        let (p, idx) = (&a.inputs[0], &a.inputs[1]);
        let ax = norm_axis(self.axis, p.value.rank())?;
        let gr = a.grad(g, 0)?;
        let op = GatherGrad {
            axis: ax,
            dim: p.shape()[ax],
        };
        Ok(vec![Some(run1(g, op, &[&gr, idx])?), None])
    }
}

/// Scatter-add of gathered rows back into a tensor of the params' shape: GatherV2's gradient.
/// Its own gradient is a gather, so second derivatives work.
#[derive(Debug)]
pub struct GatherGrad {
    axis: usize,
    dim: usize,
}

impl Op for GatherGrad {
    fn name(&self) -> &'static str {
        "GatherGrad"
    }
    fn forward(&self, inputs: &[&Tensor]) -> Result<Vec<Tensor>> {
        let (gr, idx) = (inputs[0], inputs[1]);
        let ix = indices("GatherV2", idx, self.dim)?;
        let ax = self.axis;
        // g has shape params[..ax] + indices.shape + params[ax+1..]; flatten the index dims.
        let outer = &gr.shape()[..ax];
        let inner = &gr.shape()[ax + idx.rank()..];
        let mut flat = outer.to_vec();
        flat.push(ix.len());
        flat.extend_from_slice(inner);
        let gflat = shape::reshape_tensor(gr, &flat)?;
        let mut out_shape = outer.to_vec();
        out_shape.push(self.dim);
        out_shape.extend_from_slice(inner);
        crate::float_map!("GatherV2", &gflat, |ga| {
            let mut out = ArrayD::zeros(IxDyn(&out_shape));
            for (j, &i) in ix.iter().enumerate() {
                let mut dst = out.index_axis_mut(Axis(ax), i);
                dst += &ga.index_axis(Axis(ax), j);
            }
            out
        })
        .map(|t| vec![t])
    }
    fn gradient(&self, g: &mut dyn Graph, a: &GradArgs) -> Result<Vec<Option<Handle>>> {
        let gr = a.grad(g, 0)?;
        let out = run1(
            g,
            Gather {
                axis: self.axis as i64,
            },
            &[&gr, &a.inputs[1]],
        )?;
        Ok(vec![Some(out), None])
    }
}
