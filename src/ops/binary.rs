//! Binary elementwise ops with numpy broadcasting. The gradient of a broadcast input is summed
//! back to its shape (`sum_to_shape`).

use super::fast::{self, Bin, Elt};
use super::{GradArgs, Graph, Handle, Op, misc, run1, scalar, sum_to_shape, unary};
use crate::error::Result;
use crate::num_map2;
use crate::tensor::{Arith, Tensor, zip_broadcast};
use ndarray::{ArcArray, ArrayD, IxDyn};
use std::sync::Arc;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
    Maximum,
    Minimum,
    SquaredDifference,
    /// x / y, and 0 where y == 0 (`tf.math.divide_no_nan`); floats only, as in TensorFlow.
    DivNoNan,
    /// floor(x / y) (`//`); no gradient, as in TensorFlow.
    FloorDiv,
    /// x - floor(x / y) * y, with the sign of y (`%`).
    FloorMod,
}

#[derive(Debug)]
pub struct Binary(pub Kind);

impl Op for Binary {
    fn name(&self) -> &'static str {
        match self.0 {
            Kind::Add => "AddV2",
            Kind::Sub => "Sub",
            Kind::Mul => "Mul",
            Kind::Div => "RealDiv",
            Kind::Pow => "Pow",
            Kind::Maximum => "Maximum",
            Kind::Minimum => "Minimum",
            Kind::SquaredDifference => "SquaredDifference",
            Kind::DivNoNan => "DivNoNan",
            Kind::FloorDiv => "FloorDiv",
            Kind::FloorMod => "FloorMod",
        }
    }

    fn forward(&self, inputs: &[&Tensor]) -> Result<Vec<Tensor>> {
        let (x, y) = (inputs[0], inputs[1]);
        let op = self.name();
        let k = self.0;
        let out = match (x, y) {
            (Tensor::F32(a), Tensor::F32(b)) => Tensor::F32(float_binary(k, op, a, b)?.into_shared()),
            (Tensor::F64(a), Tensor::F64(b)) => Tensor::F64(float_binary(k, op, a, b)?.into_shared()),
            _ => match k {
                Kind::Add => num_map2!(op, x, y, |a, b| zip_broadcast(op, a, b, Arith::add)?),
                Kind::Sub => num_map2!(op, x, y, |a, b| zip_broadcast(op, a, b, Arith::sub)?),
                Kind::Mul => num_map2!(op, x, y, |a, b| zip_broadcast(op, a, b, Arith::mul)?),
                Kind::Maximum => num_map2!(op, x, y, |a, b| zip_broadcast(op, a, b, Arith::max_of)?),
                Kind::Minimum => num_map2!(op, x, y, |a, b| zip_broadcast(op, a, b, Arith::min_of)?),
                Kind::SquaredDifference => num_map2!(op, x, y, |a, b| zip_broadcast(op, a, b, |p, q| {
                    let d = Arith::sub(p, q);
                    Arith::mul(d, d)
                })?),
                Kind::Pow => int_pow(op, x, y),
                Kind::FloorDiv | Kind::FloorMod => int_floor(k, op, x, y),
                // TensorFlow's DivNoNan is not defined for integers at all (INVALID_ARGUMENT).
                Kind::DivNoNan => Err(super::dtype_error(op, x, y)),
                Kind::Div => match (x, y) {
                    (Tensor::I32(_), Tensor::I32(_)) | (Tensor::I64(_), Tensor::I64(_)) => {
                        Err(super::no_cpu_kernel(op, x.dtype()))
                    }
                    _ => Err(super::dtype_error(op, x, y)),
                },
            }?,
        };
        Ok(vec![out])
    }

    // Only the gradients of inputs the tape needs are computed (`a.needs`), so a constant
    // operand (Pow's exponent, say) costs nothing.
    fn gradient(&self, g: &mut dyn Graph, a: &GradArgs) -> Result<Vec<Option<Handle>>> {
        let (x, y) = (&a.inputs[0], &a.inputs[1]);
        let (nx, ny) = (a.needs(0), a.needs(1));
        let gr = a.grad(g, 0)?;
        let (gx, gy) = match self.0 {
            // d(x+y) = dx + dy
            Kind::Add => (nx.then(|| gr.clone()), ny.then(|| gr.clone())),
            // d(x-y) = dx - dy
            Kind::Sub => (
                nx.then(|| gr.clone()),
                if ny { Some(unary::neg(g, &gr)?) } else { None },
            ),
            // d(xy) = y dx + x dy
            Kind::Mul => (
                if nx { Some(mul(g, &gr, y)?) } else { None },
                if ny { Some(mul(g, &gr, x)?) } else { None },
            ),
            // d(x/y) = dx/y - x/y^2 dy
            Kind::Div => {
                let gx = if nx { Some(div(g, &gr, y)?) } else { None };
                let gy = if ny {
                    let x_y = div(g, x, y)?;
                    let x_y2 = div(g, &x_y, y)?;
                    let t = mul(g, &gr, &x_y2)?;
                    Some(unary::neg(g, &t)?)
                } else {
                    None
                };
                (gx, gy)
            }
            // d(x^y) = y x^(y-1) dx + x^y log(x) dy, with log(x) taken as 0 where x <= 0
            Kind::Pow => {
                let gx = if nx {
                    let one = scalar(g, x.dtype(), 1.0);
                    let ym1 = sub(g, y, &one)?;
                    let p = pow(g, x, &ym1)?;
                    let gy_ = mul(g, &gr, y)?;
                    Some(mul(g, &gy_, &p)?)
                } else {
                    None
                };
                let gy = if ny {
                    let zero = scalar(g, x.dtype(), 0.0);
                    let mask = misc::gt(g, x, &zero)?;
                    let ones = g.constant(Tensor::full(x.dtype(), x.shape(), 1.0));
                    let safe_x = misc::select(g, &mask, x, &ones)?;
                    let log_x = unary::log_h(g, &safe_x)?;
                    let zeros = g.constant(Tensor::zeros(x.dtype(), x.shape()));
                    let log_x = misc::select(g, &mask, &log_x, &zeros)?;
                    let gz = mul(g, &gr, &a.outputs[0])?;
                    Some(mul(g, &gz, &log_x)?)
                } else {
                    None
                };
                (gx, gy)
            }
            // TensorFlow: x gets g where x >= y (Maximum) / x <= y (Minimum), y elsewhere.
            // TensorFlow's mask: x wins ties (x >= y for Maximum); y gets g wherever x does
            // not win, NaN comparisons included.
            Kind::Maximum | Kind::Minimum => {
                let x_wins = if self.0 == Kind::Maximum {
                    misc::ge(g, x, y)?
                } else {
                    misc::le(g, x, y)?
                };
                let zeros = g.constant(Tensor::zeros(gr.dtype(), gr.shape()));
                let gx = if nx {
                    Some(misc::select(g, &x_wins, &gr, &zeros)?)
                } else {
                    None
                };
                let gy = if ny {
                    Some(misc::select(g, &x_wins, &zeros, &gr)?)
                } else {
                    None
                };
                (gx, gy)
            }
            // TensorFlow's `_DivNoNanGrad`: dx = div_no_nan(g, y),
            // dy = g * div_no_nan(div_no_nan(-x, y), y)
            Kind::DivNoNan => {
                let gx = if nx { Some(div_no_nan(g, &gr, y)?) } else { None };
                let gy = if ny {
                    let nx_ = unary::neg(g, x)?;
                    let q = div_no_nan(g, &nx_, y)?;
                    let q = div_no_nan(g, &q, y)?;
                    Some(mul(g, &gr, &q)?)
                } else {
                    None
                };
                (gx, gy)
            }
            Kind::FloorDiv => (None, None),
            // TensorFlow's `_FloorModGrad`: dx = g, dy = g * -floor_div(x, y)
            Kind::FloorMod => {
                let gy = if ny {
                    let q = run1(g, Binary(Kind::FloorDiv), &[x, y])?;
                    let nq = unary::neg(g, &q)?;
                    Some(mul(g, &gr, &nq)?)
                } else {
                    None
                };
                (nx.then(|| gr.clone()), gy)
            }
            // d(x-y)^2 = 2(x-y)(dx - dy)
            Kind::SquaredDifference => {
                let d = sub(g, x, y)?;
                let two = scalar(g, x.dtype(), 2.0);
                let t = mul(g, &gr, &d)?;
                let gx = mul(g, &two, &t)?;
                let gy = if ny { Some(unary::neg(g, &gx)?) } else { None };
                (nx.then_some(gx), gy)
            }
        };
        let gx = gx.map(|h| sum_to_shape(g, &h, x.shape())).transpose()?;
        let gy = gy.map(|h| sum_to_shape(g, &h, y.shape())).transpose()?;
        Ok(vec![gx, gy])
    }
}

/// Float Pow as TensorFlow 2.21 computes it: Eigen's vector code for the first `n - n % L`
/// elements of the output (`kernels::tf_vector_len`) and `std::pow` for the remaining ones.
/// The two differ only on subnormal operands: the vector code reads them as zero when
/// denormals are flushed (pow(-0.5, 1e-40) is 1 there, NaN from `std::pow`, which looks at
/// the bits) and returns x itself where y == 1 (pow(1e-40, 1) is 1e-40, not the flushed 0).
/// So without a subnormal operand one pass does it all.
fn float_pow<T: Elt>(op: &str, a: &ArcArray<T, IxDyn>, b: &ArcArray<T, IxDyn>) -> Result<ArrayD<T>> {
    let is_subnormal = |v: &T| v.classify() == std::num::FpCategory::Subnormal;
    // A contiguous base and one exponent (`x ** 2`, and its gradient's `x ** 1`): one pass over
    // the slice, where the broadcasting zip's set-up cost more than the powers on small tensors.
    if b.ndim() <= a.ndim()
        && let (Some(x), Some(q)) = (a.as_slice(), fast::single(b))
        && !is_subnormal(&q)
        && !x.iter().any(is_subnormal)
    {
        return Ok(fast::from_vec(a.shape(), x.iter().map(|&p| p.powf(q)).collect()));
    }
    let mut out = zip_broadcast(op, a, b, |p, q| p.powf(q))?;
    let subnormal = |x: &ArcArray<T, IxDyn>| x.iter().any(is_subnormal);
    if !(subnormal(a) || subnormal(b)) {
        return Ok(out);
    }
    // `v * one`, opaque to the optimizer, is zero for a subnormal v when denormals are flushed.
    let one = std::hint::black_box(T::one());
    let vector = zip_broadcast(
        op,
        a,
        b,
        |p, q| if q == T::one() { p } else { (p * one).powf(q * one) },
    )?;
    let end = crate::kernels::tf_vector_len::<T>(out.len());
    // Logical (row-major) order on both sides, as Eigen walks the output.
    for (o, v) in out.iter_mut().zip(vector.iter()).take(end) {
        *o = *v;
    }
    Ok(out)
}

/// A float binary op: the SIMD kernels for contiguous and scalar operands, ndarray's
/// broadcasting zip otherwise; TensorFlow's tie rule for Maximum and Minimum on top.
fn float_binary<T: Elt + Arith>(
    k: Kind,
    op: &str,
    a: &ArcArray<T, IxDyn>,
    b: &ArcArray<T, IxDyn>,
) -> Result<ArrayD<T>> {
    let mut out = float_values(k, op, a, b)?;
    if matches!(k, Kind::Maximum | Kind::Minimum) {
        tf_tie_tail(&mut out, a, b);
    }
    Ok(out)
}

/// On a tie of 0.0 and -0.0, TensorFlow's Maximum and Minimum return y's zero in the elements
/// its vector code computes (the first `kernels::tf_vector_len(n)` in row-major order) and x's
/// in its scalar tail: checked on TF 2.21 with 508 random tie patterns of both dtypes, with
/// same-shape, scalar and broadcast operands. Every path here returns y's on a tie (the
/// kernels' x86 rule, `Arith::max_of`), so only the tail, at most 7 elements, is revisited.
fn tf_tie_tail<T: Elt>(out: &mut ArrayD<T>, a: &ArcArray<T, IxDyn>, b: &ArcArray<T, IxDyn>) {
    let n = out.len();
    let start = crate::kernels::tf_vector_len::<T>(n);
    if start == n {
        return;
    }
    let shape = out.shape().to_vec();
    let (Some(x), Some(y)) = (a.broadcast(IxDyn(&shape)), b.broadcast(IxDyn(&shape))) else {
        return;
    };
    let mut idx = vec![0usize; shape.len()];
    for i in start..n {
        let mut rest = i;
        for (d, &len) in shape.iter().enumerate().rev() {
            idx[d] = rest % len;
            rest /= len;
        }
        let (p, q) = (x[IxDyn(&idx)], y[IxDyn(&idx)]);
        if p == q {
            out[IxDyn(&idx)] = p;
        }
    }
}

/// `float_binary`'s values before the tie rule.
fn float_values<T: Elt + Arith>(
    k: Kind,
    op: &str,
    a: &ArcArray<T, IxDyn>,
    b: &ArcArray<T, IxDyn>,
) -> Result<ArrayD<T>> {
    let fast = match k {
        Kind::Add => Some(Bin::Add),
        Kind::Sub => Some(Bin::Sub),
        Kind::Mul => Some(Bin::Mul),
        Kind::Div => Some(Bin::Div),
        Kind::Maximum => Some(Bin::Max),
        Kind::Minimum => Some(Bin::Min),
        Kind::Pow | Kind::SquaredDifference | Kind::DivNoNan | Kind::FloorDiv | Kind::FloorMod => None,
    };
    if let Some(r) = fast.and_then(|f| fast::binary(f, a, b)) {
        return Ok(r);
    }
    match k {
        Kind::Add => zip_broadcast(op, a, b, |p, q| p + q),
        Kind::Sub => zip_broadcast(op, a, b, |p, q| p - q),
        Kind::Mul => zip_broadcast(op, a, b, |p, q| p * q),
        Kind::Div => zip_broadcast(op, a, b, |p, q| p / q),
        Kind::Maximum => zip_broadcast(op, a, b, Arith::max_of),
        Kind::Minimum => zip_broadcast(op, a, b, Arith::min_of),
        Kind::Pow => float_pow(op, a, b),
        Kind::SquaredDifference => zip_broadcast(op, a, b, |p, q| (p - q) * (p - q)),
        Kind::DivNoNan => zip_broadcast(op, a, b, |p, q| {
            let zero = <T as Arith>::zero();
            if q == zero { zero } else { p / q }
        }),
        Kind::FloorDiv => zip_broadcast(op, a, b, |p, q| (p / q).floor()),
        // TensorFlow's float FloorMod: fmod, moved to the divisor's sign when they differ. A
        // subnormal divisor reads as zero there when denormals are flushed (the result is
        // NaN); `%` alone would look at its bits.
        Kind::FloorMod => zip_broadcast(op, a, b, |p, q| {
            let q = q * std::hint::black_box(T::one());
            let r = p % q;
            let zero = <T as Arith>::zero();
            if r != zero && ((q < zero) != (r < zero)) {
                r + q
            } else {
                r
            }
        }),
    }
}

/// TensorFlow's integer Pow (`safe_pow`): a negative exponent is an error; powers wrap around
/// like the other integer ops.
fn int_pow(op: &str, x: &Tensor, y: &Tensor) -> Result<Tensor> {
    fn pow<T: num_traits::PrimInt + Arith>(
        op: &str,
        a: &ArcArray<T, IxDyn>,
        b: &ArcArray<T, IxDyn>,
    ) -> Result<ArrayD<T>> {
        if b.iter().any(|&e| e < <T as Arith>::zero()) {
            return Err(crate::invalid!(
                "{op}: integers to negative integer powers are not allowed"
            ));
        }
        zip_broadcast(op, a, b, |base, e| {
            // Square-and-multiply with wrapping products: the same result mod 2^bits as any
            // other order of multiplication.
            let (mut base, mut e, mut r) = (base, e.to_u64().unwrap_or(0), T::one());
            while e > 0 {
                if e & 1 == 1 {
                    r = Arith::mul(r, base);
                }
                base = Arith::mul(base, base);
                e >>= 1;
            }
            r
        })
    }
    match (x, y) {
        (Tensor::I32(a), Tensor::I32(b)) => Ok(Tensor::I32(pow(op, a, b)?.into_shared())),
        (Tensor::I64(a), Tensor::I64(b)) => Ok(Tensor::I64(pow(op, a, b)?.into_shared())),
        _ => Err(super::dtype_error(op, x, y)),
    }
}

/// Integer FloorDiv / FloorMod: rounding toward negative infinity (Python's `//` and `%`),
/// wrapping where the quotient overflows; a zero divisor is TensorFlow's INVALID_ARGUMENT.
fn int_floor(k: Kind, op: &str, x: &Tensor, y: &Tensor) -> Result<Tensor> {
    fn run<
        T: num_traits::PrimInt
            + num_traits::CheckedRem
            + num_traits::WrappingSub
            + num_traits::WrappingAdd
            + Arith,
    >(
        k: Kind,
        op: &str,
        a: &ArcArray<T, IxDyn>,
        b: &ArcArray<T, IxDyn>,
    ) -> Result<ArrayD<T>> {
        let zero = <T as Arith>::zero();
        if b.iter().any(|&d| d == zero) {
            return Err(crate::invalid!("{op}: Integer division by zero"));
        }
        zip_broadcast(op, a, b, |p, q| {
            // checked_* fail only for MIN / -1, whose true quotient wraps to MIN (remainder 0).
            let t = p.checked_div(&q).unwrap_or(p);
            let r = p.checked_rem(&q).unwrap_or(zero);
            let adjust = r != zero && ((r < zero) != (q < zero));
            match k {
                Kind::FloorDiv if adjust => t.wrapping_sub(&T::one()),
                Kind::FloorDiv => t,
                _ if adjust => r.wrapping_add(&q),
                _ => r,
            }
        })
    }
    match (x, y) {
        (Tensor::I32(a), Tensor::I32(b)) => Ok(Tensor::I32(run(k, op, a, b)?.into_shared())),
        (Tensor::I64(a), Tensor::I64(b)) => Ok(Tensor::I64(run(k, op, a, b)?.into_shared())),
        _ => Err(super::dtype_error(op, x, y)),
    }
}

fn new(k: Kind) -> Result<Arc<dyn Op>> {
    Ok(Arc::new(Binary(k)))
}

pub fn add_v2(_: &mut super::Attrs) -> Result<Arc<dyn Op>> {
    new(Kind::Add)
}
pub fn sub_op(_: &mut super::Attrs) -> Result<Arc<dyn Op>> {
    new(Kind::Sub)
}
pub fn mul_op(_: &mut super::Attrs) -> Result<Arc<dyn Op>> {
    new(Kind::Mul)
}
pub fn real_div(_: &mut super::Attrs) -> Result<Arc<dyn Op>> {
    new(Kind::Div)
}
pub fn pow_op(_: &mut super::Attrs) -> Result<Arc<dyn Op>> {
    new(Kind::Pow)
}
pub fn maximum(_: &mut super::Attrs) -> Result<Arc<dyn Op>> {
    new(Kind::Maximum)
}
pub fn minimum(_: &mut super::Attrs) -> Result<Arc<dyn Op>> {
    new(Kind::Minimum)
}
pub fn squared_difference(_: &mut super::Attrs) -> Result<Arc<dyn Op>> {
    new(Kind::SquaredDifference)
}
pub fn div_no_nan_op(_: &mut super::Attrs) -> Result<Arc<dyn Op>> {
    new(Kind::DivNoNan)
}
pub fn floor_div(_: &mut super::Attrs) -> Result<Arc<dyn Op>> {
    new(Kind::FloorDiv)
}
pub fn floor_mod(_: &mut super::Attrs) -> Result<Arc<dyn Op>> {
    new(Kind::FloorMod)
}

pub fn add(g: &mut dyn Graph, x: &Handle, y: &Handle) -> Result<Handle> {
    run1(g, Binary(Kind::Add), &[x, y])
}
pub fn sub(g: &mut dyn Graph, x: &Handle, y: &Handle) -> Result<Handle> {
    run1(g, Binary(Kind::Sub), &[x, y])
}
pub fn mul(g: &mut dyn Graph, x: &Handle, y: &Handle) -> Result<Handle> {
    run1(g, Binary(Kind::Mul), &[x, y])
}
pub fn div(g: &mut dyn Graph, x: &Handle, y: &Handle) -> Result<Handle> {
    run1(g, Binary(Kind::Div), &[x, y])
}
pub fn div_no_nan(g: &mut dyn Graph, x: &Handle, y: &Handle) -> Result<Handle> {
    run1(g, Binary(Kind::DivNoNan), &[x, y])
}
pub fn pow(g: &mut dyn Graph, x: &Handle, y: &Handle) -> Result<Handle> {
    run1(g, Binary(Kind::Pow), &[x, y])
}

#[cfg(test)]
#[path = "binary_tests.rs"]
mod tests;
