//! Shape ops that move no values or copy them once: Reshape, Transpose, ExpandDims, Squeeze,
//! Tile, BroadcastTo. Their gradients are shape ops too.

use super::{Attrs, GradArgs, Graph, Handle, Op, reduce, run1, sum_to_shape};
use crate::error::{Error, Result};
use crate::tensor::{Tensor, broadcast_shape, check_alloc, norm_axis};
use crate::{any_map, invalid};
use ndarray::{ArcArray, IxDyn};
use std::sync::Arc;

/// Returns `a` with standard (row-major) layout, sharing the data when it already has it.
fn standard<T: Clone>(a: &ArcArray<T, IxDyn>) -> ArcArray<T, IxDyn> {
    if a.is_standard_layout() {
        a.clone()
    } else {
        a.as_standard_layout().into_owned().into_shared()
    }
}

/// Reshapes to `shape` (no -1 here), sharing data when possible.
pub fn reshape_tensor(x: &Tensor, shape: &[usize]) -> Result<Tensor> {
    if x.numel() != shape.iter().product::<usize>() {
        return Err(invalid!(
            "Reshape: cannot reshape {:?} ({} values) to {shape:?}",
            x.shape(),
            x.numel()
        ));
    }
    let sh = IxDyn(shape);
    let t = any_map!(x, |a| standard(a)
        .into_shape_with_order(sh.clone())
        .map_err(|e| Error::Internal(format!("reshape: {e}")))?);
    Ok(t)
}

fn dims(op: &str, v: &[i64]) -> Result<Vec<usize>> {
    v.iter()
        .map(|&d| usize::try_from(d).map_err(|_| invalid!("{op}: bad dimension {d} in {v:?}")))
        .collect()
}

#[derive(Debug)]
pub struct Reshape {
    pub shape: Vec<i64>,
}

pub fn reshape_op(a: &mut Attrs) -> Result<Arc<dyn Op>> {
    Ok(Arc::new(Reshape {
        shape: a.req_ints("shape")?,
    }))
}

impl Op for Reshape {
    fn name(&self) -> &'static str {
        "Reshape"
    }
    fn forward(&self, inputs: &[&Tensor]) -> Result<Vec<Tensor>> {
        let x = inputs[0];
        let n = x.numel();
        let unknown = self.shape.iter().filter(|&&d| d == -1).count();
        if unknown > 1 || self.shape.iter().any(|&d| d < -1) {
            return Err(invalid!("Reshape: bad shape {:?} (at most one -1)", self.shape));
        }
        // TensorFlow's rule: with a 0 in the target shape, the -1 is inferred from the
        // nonzero dims on both sides ((0, 3) -> [0, -1] is (0, 3)).
        let has_zero = self.shape.contains(&0);
        let known: usize = self
            .shape
            .iter()
            .filter(|&&d| d > 0)
            .map(|&d| d as usize)
            .product();
        let n = if has_zero {
            x.shape().iter().filter(|&&d| d > 0).product()
        } else {
            n
        };
        let shape: Vec<usize> = if unknown == 1 {
            if known == 0 || !n.is_multiple_of(known) {
                return Err(invalid!(
                    "Reshape: cannot reshape {:?} ({n} values) to {:?}",
                    x.shape(),
                    self.shape
                ));
            }
            (self.shape.iter())
                .map(|&d| if d == -1 { n / known } else { d as usize })
                .collect()
        } else {
            dims("Reshape", &self.shape)?
        };
        Ok(vec![reshape_tensor(x, &shape)?])
    }
    // d reshape(x) = reshape(g, x.shape)
    fn gradient(&self, g: &mut dyn Graph, a: &GradArgs) -> Result<Vec<Option<Handle>>> {
        let gr = a.grad(g, 0)?;
        Ok(vec![Some(reshape(g, &gr, a.inputs[0].shape())?)])
    }
}

/// Runs Reshape to a fully known shape.
pub fn reshape(g: &mut dyn Graph, x: &Handle, shape: &[usize]) -> Result<Handle> {
    if x.shape() == shape {
        return Ok(x.clone());
    }
    let shape = shape.iter().map(|&d| d as i64).collect();
    run1(g, Reshape { shape }, &[x])
}

#[derive(Debug)]
pub struct Transpose {
    pub perm: Vec<i64>,
}

pub fn transpose_op(a: &mut Attrs) -> Result<Arc<dyn Op>> {
    Ok(Arc::new(Transpose {
        perm: a.req_ints("perm")?,
    }))
}

fn check_perm(perm: &[i64], rank: usize) -> Result<Vec<usize>> {
    let p = (perm.iter())
        .map(|&a| norm_axis(a, rank))
        .collect::<Result<Vec<_>>>()
        .map_err(|e| e.context("Transpose"))?;
    let mut seen = vec![false; rank];
    for &i in &p {
        if seen[i] {
            return Err(invalid!(
                "Transpose: perm {perm:?} is not a permutation of rank {rank}"
            ));
        }
        seen[i] = true;
    }
    if p.len() != rank {
        return Err(invalid!("Transpose: perm {perm:?} does not match rank {rank}"));
    }
    Ok(p)
}

impl Op for Transpose {
    fn name(&self) -> &'static str {
        "Transpose"
    }
    fn forward(&self, inputs: &[&Tensor]) -> Result<Vec<Tensor>> {
        let p = check_perm(&self.perm, inputs[0].rank())?;
        // A strided view over the same data: no copy until someone needs row-major order.
        Ok(vec![any_map!(inputs[0], |a| a.clone().permuted_axes(IxDyn(&p)))])
    }
    // d transpose(x, p) = transpose(g, p^-1)
    fn gradient(&self, g: &mut dyn Graph, a: &GradArgs) -> Result<Vec<Option<Handle>>> {
        let p = check_perm(&self.perm, a.inputs[0].value.rank())?;
        let mut inv = vec![0i64; p.len()];
        for (i, &pi) in p.iter().enumerate() {
            inv[pi] = i as i64;
        }
        let gr = a.grad(g, 0)?;
        Ok(vec![Some(run1(g, Transpose { perm: inv }, &[&gr])?)])
    }
}

#[derive(Debug)]
pub struct ExpandDims {
    pub axis: i64,
}

pub fn expand_dims(a: &mut Attrs) -> Result<Arc<dyn Op>> {
    Ok(Arc::new(ExpandDims {
        axis: a.req_int("axis")?,
    }))
}

impl Op for ExpandDims {
    fn name(&self) -> &'static str {
        "ExpandDims"
    }
    fn forward(&self, inputs: &[&Tensor]) -> Result<Vec<Tensor>> {
        let x = inputs[0];
        let ax = norm_axis(self.axis, x.rank() + 1).map_err(|e| e.context("ExpandDims"))?;
        let mut shape = x.shape().to_vec();
        shape.insert(ax, 1);
        Ok(vec![reshape_tensor(x, &shape)?])
    }
    fn gradient(&self, g: &mut dyn Graph, a: &GradArgs) -> Result<Vec<Option<Handle>>> {
        let gr = a.grad(g, 0)?;
        Ok(vec![Some(reshape(g, &gr, a.inputs[0].shape())?)])
    }
}

#[derive(Debug)]
pub struct Squeeze {
    pub axes: Vec<i64>,
}

pub fn squeeze(a: &mut Attrs) -> Result<Arc<dyn Op>> {
    let axes = match a.ints("axis")? {
        Some(v) => v,
        None => a.ints("squeeze_dims")?.unwrap_or_default(),
    };
    Ok(Arc::new(Squeeze { axes }))
}

impl Op for Squeeze {
    fn name(&self) -> &'static str {
        "Squeeze"
    }
    fn forward(&self, inputs: &[&Tensor]) -> Result<Vec<Tensor>> {
        let x = inputs[0];
        let axes = reduce::resolve_axes("Squeeze", &Some(self.axes.clone()), x.rank())?;
        for &ax in &axes {
            if x.shape()[ax] != 1 {
                return Err(invalid!("Squeeze: dimension {ax} of {:?} is not 1", x.shape()));
            }
        }
        let shape: Vec<usize> = (x.shape().iter().enumerate())
            .filter(|&(i, &d)| {
                if axes.is_empty() {
                    d != 1
                } else {
                    !axes.contains(&i)
                }
            })
            .map(|(_, &d)| d)
            .collect();
        Ok(vec![reshape_tensor(x, &shape)?])
    }
    fn gradient(&self, g: &mut dyn Graph, a: &GradArgs) -> Result<Vec<Option<Handle>>> {
        let gr = a.grad(g, 0)?;
        Ok(vec![Some(reshape(g, &gr, a.inputs[0].shape())?)])
    }
}

#[derive(Debug)]
pub struct BroadcastTo {
    pub shape: Vec<usize>,
}

pub fn broadcast_to(g: &mut dyn Graph, x: &Handle, shape: &[usize]) -> Result<Handle> {
    if x.shape() == shape {
        return Ok(x.clone());
    }
    run1(
        g,
        BroadcastTo {
            shape: shape.to_vec(),
        },
        &[x],
    )
}

pub fn broadcast_to_op(a: &mut Attrs) -> Result<Arc<dyn Op>> {
    let shape = dims("BroadcastTo", &a.req_ints("shape")?)?;
    Ok(Arc::new(BroadcastTo { shape }))
}

impl Op for BroadcastTo {
    fn name(&self) -> &'static str {
        "BroadcastTo"
    }
    fn forward(&self, inputs: &[&Tensor]) -> Result<Vec<Tensor>> {
        let x = inputs[0];
        let ok = broadcast_shape(x.shape(), &self.shape).map(|s| s == self.shape);
        if ok != Ok(true) || x.rank() > self.shape.len() {
            return Err(invalid!(
                "BroadcastTo: cannot broadcast {:?} to {:?}",
                x.shape(),
                self.shape
            ));
        }
        check_alloc("BroadcastTo", &self.shape)?;
        let t = any_map!(x, |a| match (a.len(), a.first()) {
            // One value (a scalar gradient, say) is a fill: no broadcasting iterator.
            (1, Some(&v)) => crate::tensor::filled(&self.shape, v),
            _ => match a.broadcast(IxDyn(&self.shape)) {
                Some(v) => v.to_owned(),
                None =>
                    return Err(invalid!(
                        "BroadcastTo: cannot broadcast {:?} to {:?}",
                        x.shape(),
                        self.shape
                    )),
            },
        });
        Ok(vec![t])
    }
    // d broadcast(x) = g summed over the broadcast dims
    fn gradient(&self, g: &mut dyn Graph, a: &GradArgs) -> Result<Vec<Option<Handle>>> {
        let gr = a.grad(g, 0)?;
        Ok(vec![Some(sum_to_shape(g, &gr, a.inputs[0].shape())?)])
    }
}

#[derive(Debug)]
pub struct Tile {
    pub multiples: Vec<usize>,
}

pub fn tile(a: &mut Attrs) -> Result<Arc<dyn Op>> {
    let multiples = dims("Tile", &a.req_ints("multiples")?)?;
    Ok(Arc::new(Tile { multiples }))
}

impl Op for Tile {
    fn name(&self) -> &'static str {
        "Tile"
    }
    fn forward(&self, inputs: &[&Tensor]) -> Result<Vec<Tensor>> {
        let x = inputs[0];
        if self.multiples.len() != x.rank() {
            return Err(invalid!(
                "Tile: multiples {:?} must have one entry per dim of {:?}",
                self.multiples,
                x.shape()
            ));
        }
        let out: Vec<usize> = x
            .shape()
            .iter()
            .zip(&self.multiples)
            .map(|(&d, &m)| d.saturating_mul(m))
            .collect();
        check_alloc("Tile", &out)?;
        // Output index i reads input index i mod d along every axis (also right for m = 0).
        let t = any_map!(x, |a| ndarray::ArrayD::from_shape_fn(IxDyn(&out), |ix| {
            let src: Vec<usize> = (0..a.ndim()).map(|k| ix[k] % a.shape()[k]).collect();
            a[IxDyn(&src)]
        }));
        Ok(vec![t])
    }
    // d tile(x) = sum over the tiles: reshape g to (m0, d0, m1, d1, ...) and sum the m axes
    fn gradient(&self, g: &mut dyn Graph, a: &GradArgs) -> Result<Vec<Option<Handle>>> {
        let x = &a.inputs[0];
        let gr = a.grad(g, 0)?;
        let mut split = Vec::new();
        for (&m, &d) in self.multiples.iter().zip(x.shape()) {
            split.push(m);
            split.push(d);
        }
        let gs = reshape(g, &gr, &split)?;
        let axes = (0..self.multiples.len()).map(|i| 2 * i as i64).collect();
        let summed = reduce::sum(g, &gs, Some(axes), false)?;
        Ok(vec![Some(reshape(g, &summed, x.shape())?)])
    }
}
