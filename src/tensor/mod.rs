//! Tensor: a dtype plus an `Arc`'d n-d array (cheap to clone, so saved tensors are shared by
//! reference), and the numpy broadcasting rules.

mod dispatch;
mod dtype;

pub use dtype::{DType, Elem, Float};

use crate::error::Result;
use crate::{any_apply, invalid};
use ndarray::{ArcArray, ArrayD, IxDyn};

/// A dense, immutable n-d tensor of one of the five supported dtypes.
#[derive(Clone, Debug, PartialEq)]
pub enum Tensor {
    F32(ArcArray<f32, IxDyn>),
    F64(ArcArray<f64, IxDyn>),
    I32(ArcArray<i32, IxDyn>),
    I64(ArcArray<i64, IxDyn>),
    Bool(ArcArray<bool, IxDyn>),
}

impl Tensor {
    pub fn dtype(&self) -> DType {
        match self {
            Tensor::F32(_) => DType::F32,
            Tensor::F64(_) => DType::F64,
            Tensor::I32(_) => DType::I32,
            Tensor::I64(_) => DType::I64,
            Tensor::Bool(_) => DType::Bool,
        }
    }

    pub fn shape(&self) -> &[usize] {
        any_apply!(self, |a| a.shape())
    }

    pub fn rank(&self) -> usize {
        self.shape().len()
    }

    pub fn numel(&self) -> usize {
        self.shape().iter().product()
    }

    /// Bytes of element data this tensor holds.
    pub fn nbytes(&self) -> usize {
        self.numel() * self.dtype().size()
    }

    /// Builds a tensor from row-major f64 values, converting to `dtype`.
    pub fn from_f64s(dtype: DType, shape: &[usize], values: &[f64]) -> Result<Tensor> {
        check_len(shape, values.len())?;
        let sh = IxDyn(shape);
        let t = match dtype {
            DType::F32 => Tensor::F32(arr(sh, values.iter().map(|&v| v as f32).collect())?),
            DType::F64 => Tensor::F64(arr(sh, values.to_vec())?),
            DType::I32 => Tensor::I32(arr(sh, values.iter().map(|&v| v as i32).collect())?),
            DType::I64 => Tensor::I64(arr(sh, values.iter().map(|&v| v as i64).collect())?),
            DType::Bool => Tensor::Bool(arr(sh, values.iter().map(|&v| v != 0.0).collect())?),
        };
        Ok(t)
    }

    /// A tensor of `shape` filled with `value` (converted to `dtype`).
    pub fn full(dtype: DType, shape: &[usize], value: f64) -> Tensor {
        match dtype {
            DType::F32 => Tensor::F32(filled(shape, value as f32).into_shared()),
            DType::F64 => Tensor::F64(filled(shape, value).into_shared()),
            DType::I32 => Tensor::I32(filled(shape, value as i32).into_shared()),
            DType::I64 => Tensor::I64(filled(shape, value as i64).into_shared()),
            DType::Bool => Tensor::Bool(filled(shape, value != 0.0).into_shared()),
        }
    }

    pub fn zeros(dtype: DType, shape: &[usize]) -> Tensor {
        Tensor::full(dtype, shape, 0.0)
    }

    pub fn scalar(dtype: DType, value: f64) -> Tensor {
        Tensor::full(dtype, &[], value)
    }

    /// Row-major values as f64 (for comparisons, attrs and tests; not a hot path).
    pub fn to_f64_vec(&self) -> Vec<f64> {
        match self {
            Tensor::F32(a) => a.iter().map(|&v| v as f64).collect(),
            Tensor::F64(a) => a.iter().copied().collect(),
            Tensor::I32(a) => a.iter().map(|&v| v as f64).collect(),
            Tensor::I64(a) => a.iter().map(|&v| v as f64).collect(),
            Tensor::Bool(a) => a.iter().map(|&v| if v { 1.0 } else { 0.0 }).collect(),
        }
    }

    /// Row-major values as i64 (index tensors).
    pub fn to_i64_vec(&self) -> Vec<i64> {
        match self {
            Tensor::F32(a) => a.iter().map(|&v| v as i64).collect(),
            Tensor::F64(a) => a.iter().map(|&v| v as i64).collect(),
            Tensor::I32(a) => a.iter().map(|&v| v as i64).collect(),
            Tensor::I64(a) => a.iter().copied().collect(),
            Tensor::Bool(a) => a.iter().map(|&v| v as i64).collect(),
        }
    }

    /// Converts to another dtype (TensorFlow's Cast: float -> int truncates toward zero).
    pub fn cast(&self, dtype: DType) -> Tensor {
        if self.dtype() == dtype {
            return self.clone();
        }
        match (self, dtype) {
            (Tensor::F32(a), DType::F64) => Tensor::F64(a.mapv(|v| v as f64).into_shared()),
            (Tensor::F64(a), DType::F32) => Tensor::F32(a.mapv(|v| v as f32).into_shared()),
            (Tensor::I32(a), DType::I64) => Tensor::I64(a.mapv(|v| v as i64).into_shared()),
            (Tensor::I64(a), DType::I32) => Tensor::I32(a.mapv(|v| v as i32).into_shared()),
            (Tensor::F32(a), DType::I32) => {
                Tensor::I32(a.mapv(|v| float_to_int::<i32>(v as f64)).into_shared())
            }
            (Tensor::F64(a), DType::I32) => Tensor::I32(a.mapv(float_to_int::<i32>).into_shared()),
            (Tensor::F32(a), DType::I64) => {
                Tensor::I64(a.mapv(|v| float_to_int::<i64>(v as f64)).into_shared())
            }
            (Tensor::F64(a), DType::I64) => Tensor::I64(a.mapv(float_to_int::<i64>).into_shared()),
            (t, DType::Bool) => {
                let v = t.to_f64_vec().into_iter().map(|x| x != 0.0).collect::<Vec<_>>();
                Tensor::Bool(
                    ArcArray::from_shape_vec(IxDyn(t.shape()), v)
                        .unwrap_or_else(|_| ArcArray::from_elem(IxDyn(t.shape()), false)),
                )
            }
            (t, d) => {
                let v = t.to_f64_vec();
                Tensor::from_f64s(d, t.shape(), &v).unwrap_or_else(|_| Tensor::zeros(d, t.shape()))
            }
        }
    }

    /// Wraps an owned float array of either precision.
    pub fn from_float<T: Float>(a: ArrayD<T>) -> Tensor {
        T::wrap(a.into_shared())
    }
}

/// A row-major array of `shape` over `v` (whose length must be the shape's product). Ranks 0
/// to 2 are built as fixed-rank arrays and converted: ndarray's n-d constructor spends ~300
/// instructions on shape and stride handling, several times a small op's arithmetic, and most
/// ops' outputs are built here.
pub fn dense<T>(shape: &[usize], v: Vec<T>) -> std::result::Result<ArrayD<T>, ndarray::ShapeError> {
    match *shape {
        [] => ndarray::Array0::from_shape_vec((), v).map(|a| a.into_dyn()),
        [n] => ndarray::Array1::from_shape_vec(n, v).map(|a| a.into_dyn()),
        [r, c] => ndarray::Array2::from_shape_vec((r, c), v).map(|a| a.into_dyn()),
        _ => ArrayD::from_shape_vec(IxDyn(shape), v),
    }
}

/// An array of `shape` with every element `value` (through `dense`); a shape whose size
/// overflows panics, as ndarray's `from_elem` does.
pub fn filled<T: Clone>(shape: &[usize], value: T) -> ArrayD<T> {
    match shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d)) {
        Some(n) => {
            dense(shape, vec![value.clone(); n]).unwrap_or_else(|_| ArrayD::from_elem(IxDyn(shape), value))
        }
        None => ArrayD::from_elem(IxDyn(shape), value),
    }
}

fn arr<T>(shape: IxDyn, v: Vec<T>) -> Result<ArcArray<T, IxDyn>> {
    ArcArray::from_shape_vec(shape, v).map_err(|e| invalid!("bad tensor: {e}"))
}

fn check_len(shape: &[usize], n: usize) -> Result<()> {
    let want = shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d));
    match want {
        Some(w) if w == n => Ok(()),
        Some(w) => Err(invalid!("tensor of shape {shape:?} needs {w} values, got {n}")),
        None => Err(invalid!("tensor shape {shape:?} overflows")),
    }
}

/// The numpy broadcast of two shapes, or INVALID_ARGUMENT naming both.
pub fn broadcast_shape(a: &[usize], b: &[usize]) -> Result<Vec<usize>> {
    let n = a.len().max(b.len());
    let mut out = vec![0; n];
    for i in 0..n {
        let da = if i + a.len() >= n { a[i + a.len() - n] } else { 1 };
        let db = if i + b.len() >= n { b[i + b.len() - n] } else { 1 };
        out[i] = if da == db || db == 1 {
            da
        } else if da == 1 {
            db
        } else {
            return Err(invalid!("shapes {a:?} and {b:?} are not broadcastable"));
        };
    }
    Ok(out)
}

/// Resolves a possibly negative axis against `rank`.
pub fn norm_axis(axis: i64, rank: usize) -> Result<usize> {
    let r = rank as i64;
    if axis < -r || axis >= r {
        return Err(invalid!("axis {axis} is out of range for rank {rank}"));
    }
    Ok(if axis < 0 {
        (axis + r) as usize
    } else {
        axis as usize
    })
}

#[cfg(test)]
mod tests;

/// Most elements any op may allocate for one output (set from the server's
/// `max_tensor_elements`); checked before allocating, so a request can never ask for more.
static MAX_ELEMENTS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(1 << 30);

/// Sets the per-tensor element limit for op outputs.
pub fn set_max_elements(n: usize) {
    MAX_ELEMENTS.store(n, std::sync::atomic::Ordering::Relaxed);
}

/// RESOURCE_EXHAUSTED if a tensor of `shape` would exceed the element limit (or overflow).
pub fn check_alloc(op: &str, shape: &[usize]) -> Result<()> {
    let max = MAX_ELEMENTS.load(std::sync::atomic::Ordering::Relaxed);
    match shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d)) {
        Some(n) if n <= max => Ok(()),
        _ => Err(crate::error::Error::ResourceExhausted(format!(
            "{op}: an output of shape {shape:?} exceeds the limit of {max} elements per tensor"
        ))),
    }
}

/// Whether broadcasting `inner` against `outer` repeats `inner` over `outer`'s rows unchanged:
/// `inner`, leading 1s aside, is `outer`'s trailing dims and its rank does not exceed `outer`'s
/// (the bias-add pattern, `[n, k] + [k]`). The result then has `outer`'s shape and element `i`
/// pairs `outer[i]` with `inner[i % inner.len()]`.
pub fn repeats_rows(outer: &[usize], inner: &[usize]) -> bool {
    let lead = inner.iter().take_while(|&&d| d == 1).count();
    inner.len() <= outer.len() && outer.ends_with(&inner[lead..])
}

/// Elementwise `f(a, b)` with numpy broadcasting; the error names `op` and both shapes.
pub fn zip_broadcast<A: Copy, B: Copy, O>(
    op: &str,
    a: &ArcArray<A, IxDyn>,
    b: &ArcArray<B, IxDyn>,
    f: impl Fn(A, B) -> O,
) -> Result<ArrayD<O>> {
    use ndarray::Zip;
    // Contiguous operands of one shape, or one of them a single element whose rank does not
    // raise the result's (a scalar operand: `x ** 2`): a plain loop over the slices. On the
    // seed cell's tiny tensors ndarray's broadcasting iterators cost ~4K instructions a call.
    if let (Some(xs), Some(ys)) = (a.as_slice(), b.as_slice()) {
        let plain = if a.shape() == b.shape() {
            Some((
                a.shape(),
                xs.iter().zip(ys).map(|(&x, &y)| f(x, y)).collect::<Vec<O>>(),
            ))
        } else if ys.len() == 1 && b.ndim() <= a.ndim() {
            let y = ys[0];
            Some((a.shape(), xs.iter().map(|&x| f(x, y)).collect()))
        } else if xs.len() == 1 && a.ndim() <= b.ndim() {
            let x = xs[0];
            Some((b.shape(), ys.iter().map(|&y| f(x, y)).collect()))
        } else if repeats_rows(a.shape(), b.shape()) {
            Some((
                a.shape(),
                xs.iter().zip(ys.iter().cycle()).map(|(&x, &y)| f(x, y)).collect(),
            ))
        } else if repeats_rows(b.shape(), a.shape()) {
            Some((
                b.shape(),
                xs.iter().cycle().zip(ys).map(|(&x, &y)| f(x, y)).collect(),
            ))
        } else {
            None
        };
        if let Some((shape, v)) = plain {
            return dense(shape, v).map_err(|e| crate::error::Error::Internal(format!("{op}: {e}")));
        }
    }
    if a.shape() == b.shape() {
        return Ok(Zip::from(a).and(b).map_collect(|&x, &y| f(x, y)));
    }
    let shape = broadcast_shape(a.shape(), b.shape()).map_err(|e| e.context(op))?;
    check_alloc(op, &shape)?;
    let sh = IxDyn(&shape);
    let (Some(av), Some(bv)) = (a.broadcast(sh.clone()), b.broadcast(sh)) else {
        return Err(invalid!(
            "{op}: shapes {:?} and {:?} are not broadcastable",
            a.shape(),
            b.shape()
        ));
    };
    Ok(Zip::from(&av).and(&bv).map_collect(|&x, &y| f(x, y)))
}

/// Float to int32/int64 as TensorFlow's Cast on x86 (the truncating conversion instruction):
/// NaN, infinities and values out of range give the "integer indefinite" MIN, where Rust's
/// `as` would saturate. The range is [MIN, -MIN), both ends exact as f64.
fn float_to_int<T: num_traits::PrimInt>(v: f64) -> T {
    let lo = T::min_value().to_f64().unwrap_or(f64::MIN);
    let t = v.trunc();
    if (lo..-lo).contains(&t) {
        T::from(t).unwrap_or_else(T::min_value)
    } else {
        T::min_value()
    }
}

/// Arithmetic that never panics: wrapping for integers (debug builds would otherwise panic on
/// overflow, and a client must not be able to panic the server).
pub trait Arith: Copy + PartialOrd {
    fn zero() -> Self;
    /// The identity of `max_of` (what an empty Max reduces to): -inf, or the integer minimum.
    fn lowest() -> Self;
    /// The identity of `min_of`: +inf, or the integer maximum.
    fn highest() -> Self;
    fn add(self, o: Self) -> Self;
    fn sub(self, o: Self) -> Self;
    fn mul(self, o: Self) -> Self;
    /// The larger of the two; a tie returns `o`. That is the x86 rule the kernels follow for
    /// Maximum, and, folded left to right, TensorFlow's Max reduction, which returns the later
    /// of tied elements (visible only as the sign of a zero: Max of [0.0, -0.0] is -0.0).
    fn max_of(self, o: Self) -> Self {
        if self > o { self } else { o }
    }
    /// The smaller of the two; a tie returns `o` (as `max_of`).
    fn min_of(self, o: Self) -> Self {
        if self < o { self } else { o }
    }
    /// `-self`: a float's sign flips (Neg of 0.0 is -0.0, where 0 - 0.0 would be 0.0);
    /// integers wrap.
    fn negate(self) -> Self {
        Self::zero().sub(self)
    }
    /// `|self|`: a float's sign bit is cleared (Abs of -0.0 is 0.0); integers wrap at MIN.
    fn abs_of(self) -> Self {
        if self < Self::zero() { self.negate() } else { self }
    }
}

macro_rules! arith_float {
    ($t:ty) => {
        impl Arith for $t {
            fn zero() -> Self {
                0.0
            }
            fn lowest() -> Self {
                <$t>::NEG_INFINITY
            }
            fn highest() -> Self {
                <$t>::INFINITY
            }
            fn add(self, o: Self) -> Self {
                self + o
            }
            fn sub(self, o: Self) -> Self {
                self - o
            }
            fn mul(self, o: Self) -> Self {
                self * o
            }
            // NaN propagates, as in TensorFlow's Maximum/Minimum; a tie returns `o` (which of
            // 0.0 and -0.0 comes back), as the kernels do (see `kernels::ops::Maximum`).
            fn max_of(self, o: Self) -> Self {
                if self.is_nan() || o.is_nan() {
                    <$t>::NAN
                } else if self > o {
                    self
                } else {
                    o
                }
            }
            fn min_of(self, o: Self) -> Self {
                if self.is_nan() || o.is_nan() {
                    <$t>::NAN
                } else if self < o {
                    self
                } else {
                    o
                }
            }
            fn negate(self) -> Self {
                -self
            }
            fn abs_of(self) -> Self {
                self.abs()
            }
        }
    };
}
macro_rules! arith_int {
    ($t:ty) => {
        impl Arith for $t {
            fn zero() -> Self {
                0
            }
            fn lowest() -> Self {
                <$t>::MIN
            }
            fn highest() -> Self {
                <$t>::MAX
            }
            fn add(self, o: Self) -> Self {
                self.wrapping_add(o)
            }
            fn sub(self, o: Self) -> Self {
                self.wrapping_sub(o)
            }
            fn mul(self, o: Self) -> Self {
                self.wrapping_mul(o)
            }
        }
    };
}
arith_float!(f32);
arith_float!(f64);
arith_int!(i32);
arith_int!(i64);
