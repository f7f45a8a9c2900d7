//! Unary elementwise ops. Each gradient is written in terms of the op's input x or output y,
//! whichever TensorFlow uses.

use super::fast::{self, Un};
use super::unary_grad::{Of, more_grad, power_grad};
use super::{Attrs, GradArgs, Graph, Handle, Op, binary, misc, run1, scalar};
use crate::error::Result;
use crate::tensor::{Arith, Tensor};
use crate::{float_map, num_map};
use std::sync::Arc;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kind {
    Identity,
    StopGradient,
    Neg,
    Square,
    Sqrt,
    Rsqrt,
    Reciprocal,
    Exp,
    Log,
    Log1p,
    Abs,
    Sign,
    /// Rounds down; floats only, and no gradient (None), as in TensorFlow.
    Floor,
    Sin,
    Cos,
    Tanh,
    Sigmoid,
    Relu,
    LeakyRelu(f64),
    Elu,
    Softplus,
    Tan,
    Atan,
    Asin,
    Acos,
    Sinh,
    Cosh,
    Expm1,
    Erf,
    Erfc,
    /// Rounds up; floats only, no gradient (None).
    Ceil,
    /// Rounds half to even (TensorFlow's, as Eigen's); no gradient. Integers: see forward.
    Round,
}

#[derive(Debug)]
pub struct Unary(pub Kind);

pub fn new(k: Kind) -> Result<Arc<dyn Op>> {
    Ok(Arc::new(Unary(k)))
}

pub fn stop_gradient(_: &mut Attrs) -> Result<Arc<dyn Op>> {
    new(Kind::StopGradient)
}

pub fn leaky_relu(a: &mut Attrs) -> Result<Arc<dyn Op>> {
    // TensorFlow's `alpha` is a float attr, stored as f32: a float64 LeakyRelu multiplies by
    // f64(f32(alpha)) (0.20000000298... for the default), so do the same.
    new(Kind::LeakyRelu(f64::from(a.float("alpha", 0.2)? as f32)))
}

/// softplus(x) = log(1 + e^x), computed without overflow for large |x|.
fn softplus<T: crate::tensor::Float>(x: T) -> T {
    if x > T::zero() {
        x + (-x).exp().ln_1p()
    } else {
        x.exp().ln_1p()
    }
}

fn scale<T: crate::tensor::Float>(v: T, a: f64) -> T {
    v * T::c(a)
}

fn sigmoid<T: crate::tensor::Float>(x: T) -> T {
    if x >= T::zero() {
        T::one() / (T::one() + (-x).exp())
    } else {
        let e = x.exp();
        e / (T::one() + e)
    }
}

impl Op for Unary {
    fn name(&self) -> &'static str {
        match self.0 {
            Kind::Identity => "Identity",
            Kind::StopGradient => "StopGradient",
            Kind::Neg => "Neg",
            Kind::Square => "Square",
            Kind::Sqrt => "Sqrt",
            Kind::Rsqrt => "Rsqrt",
            Kind::Reciprocal => "Reciprocal",
            Kind::Exp => "Exp",
            Kind::Log => "Log",
            Kind::Log1p => "Log1p",
            Kind::Abs => "Abs",
            Kind::Sign => "Sign",
            Kind::Floor => "Floor",
            Kind::Sin => "Sin",
            Kind::Cos => "Cos",
            Kind::Tanh => "Tanh",
            Kind::Sigmoid => "Sigmoid",
            Kind::Relu => "Relu",
            Kind::LeakyRelu(_) => "LeakyRelu",
            Kind::Elu => "Elu",
            Kind::Softplus => "Softplus",
            Kind::Tan => "Tan",
            Kind::Atan => "Atan",
            Kind::Asin => "Asin",
            Kind::Acos => "Acos",
            Kind::Sinh => "Sinh",
            Kind::Cosh => "Cosh",
            Kind::Expm1 => "Expm1",
            Kind::Erf => "Erf",
            Kind::Erfc => "Erfc",
            Kind::Ceil => "Ceil",
            Kind::Round => "Round",
        }
    }

    fn forward(&self, inputs: &[&Tensor]) -> Result<Vec<Tensor>> {
        let x = inputs[0];
        let op = self.name();
        let y = match self.0 {
            // Integer Relu is TensorFlow's too; Reciprocal is defined for integers but has no
            // CPU kernel for them.
            Kind::Relu if !x.dtype().is_float() => {
                num_map!(op, x, |a| a.mapv(|v| Arith::max_of(v, Arith::zero())))
            }
            Kind::Reciprocal if matches!(x, Tensor::I32(_) | Tensor::I64(_)) => {
                Err(super::no_cpu_kernel(op, x.dtype()))
            }
            Kind::Identity | Kind::StopGradient => Ok(x.clone()),
            // TensorFlow's signed zeros: Neg(0.0) is -0.0, Abs(-0.0) and Sign(-0.0) are 0.0.
            Kind::Neg => num_map!(op, x, |a| a.mapv(Arith::negate)),
            Kind::Square => num_map!(op, x, |a| a.mapv(|v| Arith::mul(v, v))),
            Kind::Abs => num_map!(op, x, |a| a.mapv(Arith::abs_of)),
            // -1, 0 or 1 (integers too); either zero gives 0.0 (a zero is the one value left that
            // equals itself) and NaN stays NaN, its sign too.
            Kind::Sign => num_map!(op, x, |a| a.mapv(|v| if v > Arith::zero() {
                num_traits::one()
            } else if v < Arith::zero() {
                Arith::sub(Arith::zero(), num_traits::one())
            } else if v.partial_cmp(&v).is_some() {
                Arith::zero()
            } else {
                v
            })),
            // `v * one` (opaque to the optimizer) reads a subnormal as zero when denormals are
            // flushed, as TensorFlow's vector code does (ceil(1e-40) is 0 there, not 1); the
            // scalar floor/ceil/round work on the bits and would not.
            Kind::Floor => float_map!(op, x, |a| {
                let one = std::hint::black_box(1.0);
                a.mapv(|v| (v * one).floor())
            }),
            Kind::Sqrt => float_map!(op, x, |a| fast::unary(Un::Sqrt, a)
                .unwrap_or_else(|| a.mapv(|v| v.sqrt()))),
            Kind::Rsqrt => float_map!(op, x, |a| a.mapv(|v| v.sqrt().recip())),
            Kind::Reciprocal => float_map!(op, x, |a| a.mapv(|v| v.recip())),
            Kind::Exp => float_map!(op, x, |a| fast::unary(Un::Exp, a)
                .unwrap_or_else(|| a.mapv(|v| v.exp()))),
            // The strided fallback walks the output in logical order: the subnormal rule
            // depends on the element's position (`kernels::tf_vector_len`).
            Kind::Log => float_map!(op, x, |a| fast::unary(Un::Log, a).unwrap_or_else(|| {
                let (n, mut out) = (a.len(), a.to_owned());
                for (i, o) in out.iter_mut().enumerate() {
                    *o = crate::kernels::ln_at(*o, i, n);
                }
                out
            })),
            Kind::Log1p => float_map!(op, x, |a| a.mapv(|v| v.ln_1p())),
            Kind::Sin => float_map!(op, x, |a| a.mapv(|v| v.sin())),
            Kind::Cos => float_map!(op, x, |a| a.mapv(|v| v.cos())),
            Kind::Tanh => float_map!(op, x, |a| fast::unary(Un::Tanh, a)
                .unwrap_or_else(|| a.mapv(|v| v.tanh()))),
            Kind::Sigmoid => float_map!(op, x, |a| fast::unary(Un::Sigmoid, a)
                .unwrap_or_else(|| a.mapv(sigmoid))),
            Kind::Relu => float_map!(op, x, |a| fast::unary(Un::Relu, a)
                .unwrap_or_else(|| a.mapv(|v| if v > 0.0 || v.is_nan() { v } else { 0.0 }))),
            Kind::LeakyRelu(alpha) => {
                float_map!(op, x, |a| a.mapv(|v| if v > 0.0 { v } else { scale(v, alpha) }))
            }
            // exp(x) - 1 as TensorFlow's kernel computes it (not expm1): a tiny negative x gives
            // exactly 0, which its gradient's mask on the output depends on.
            Kind::Elu => float_map!(op, x, |a| a.mapv(|v| if v < 0.0 { v.exp() - 1.0 } else { v })),
            Kind::Softplus => float_map!(op, x, |a| a.mapv(softplus)),
            Kind::Tan => float_map!(op, x, |a| a.mapv(|v| v.tan())),
            Kind::Atan => float_map!(op, x, |a| a.mapv(|v| v.atan())),
            Kind::Asin => float_map!(op, x, |a| a.mapv(|v| v.asin())),
            Kind::Acos => float_map!(op, x, |a| a.mapv(|v| v.acos())),
            Kind::Sinh => float_map!(op, x, |a| a.mapv(|v| v.sinh())),
            Kind::Cosh => float_map!(op, x, |a| a.mapv(|v| v.cosh())),
            Kind::Expm1 => float_map!(op, x, |a| a.mapv(|v| v.exp_m1())),
            Kind::Erf => float_map!(op, x, |a| a.mapv(crate::tensor::Float::erf)),
            Kind::Erfc => float_map!(op, x, |a| a.mapv(crate::tensor::Float::erfc)),
            Kind::Ceil => float_map!(op, x, |a| {
                let one = std::hint::black_box(1.0);
                a.mapv(|v| (v * one).ceil())
            }),
            // TensorFlow 2.21's CPU kernel answers zeros for integers (its Python tf.round
            // returns an integer tensor unchanged without running the op; so does gradd's).
            Kind::Round if matches!(x, Tensor::I32(_) | Tensor::I64(_)) => {
                Ok(Tensor::zeros(x.dtype(), x.shape()))
            }
            Kind::Round => float_map!(op, x, |a| {
                let one = std::hint::black_box(1.0);
                a.mapv(|v| (v * one).round_ties_even())
            }),
        }?;
        Ok(vec![y])
    }

    fn gradient(&self, g: &mut dyn Graph, a: &GradArgs) -> Result<Vec<Option<Handle>>> {
        let (x, y) = (&a.inputs[0], &a.outputs[0]);
        let gr = a.grad(g, 0)?;
        let dt = x.dtype();
        let gx = match self.0 {
            Kind::StopGradient | Kind::Floor | Kind::Ceil | Kind::Round => return Ok(vec![None]),
            Kind::Tan
            | Kind::Atan
            | Kind::Asin
            | Kind::Acos
            | Kind::Sinh
            | Kind::Cosh
            | Kind::Expm1
            | Kind::Erf
            | Kind::Erfc => more_grad(g, self.0, x, &gr)?,
            Kind::Identity => gr,
            Kind::Neg => neg(g, &gr)?,
            // d x^2 = 2x
            Kind::Square => {
                let two = scalar(g, dt, 2.0);
                let t = binary::mul(g, x, &two)?;
                binary::mul(g, &gr, &t)?
            }
            // d sqrt(x) = 0.5 / y; d rsqrt(x) = -0.5 y^3; d 1/x = -y^2, each 0 where g is 0
            // (TensorFlow's SqrtGrad, RsqrtGrad and ReciprocalGrad).
            Kind::Sqrt => power_grad(g, Of::Sqrt, y, &gr)?,
            Kind::Rsqrt => power_grad(g, Of::Rsqrt, y, &gr)?,
            Kind::Reciprocal => power_grad(g, Of::Reciprocal, y, &gr)?,
            // d e^x = y
            Kind::Exp => binary::mul(g, &gr, y)?,
            // d log x = 1/x and d log(1+x) = 1/(1+x), as g * Reciprocal (TensorFlow's form: its
            // second derivative goes through ReciprocalGrad, 0 where the gradient is 0)
            Kind::Log => {
                let r = run1(g, Unary(Kind::Reciprocal), &[x])?;
                binary::mul(g, &gr, &r)?
            }
            Kind::Log1p => {
                let one = scalar(g, dt, 1.0);
                let xp1 = binary::add(g, &one, x)?;
                let r = run1(g, Unary(Kind::Reciprocal), &[&xp1])?;
                binary::mul(g, &gr, &r)?
            }
            // d |x| = sign(x)
            Kind::Abs => {
                let s = run1(g, Unary(Kind::Sign), &[x])?;
                binary::mul(g, &gr, &s)?
            }
            Kind::Sign => g.constant(Tensor::zeros(dt, x.shape())),
            // d sin x = cos x
            Kind::Sin => {
                let c = run1(g, Unary(Kind::Cos), &[x])?;
                binary::mul(g, &gr, &c)?
            }
            // d cos x = -sin x
            Kind::Cos => {
                let s = run1(g, Unary(Kind::Sin), &[x])?;
                let t = binary::mul(g, &gr, &s)?;
                neg(g, &t)?
            }
            // d tanh x = 1 - y^2
            Kind::Tanh => {
                let one = scalar(g, dt, 1.0);
                let y2 = square(g, y)?;
                let d = binary::sub(g, &one, &y2)?;
                binary::mul(g, &gr, &d)?
            }
            // d sigmoid x = y (1 - y)
            Kind::Sigmoid => {
                let one = scalar(g, dt, 1.0);
                let omy = binary::sub(g, &one, y)?;
                let d = binary::mul(g, y, &omy)?;
                binary::mul(g, &gr, &d)?
            }
            // Relu'(x) = 1 for x > 0, else 0 (including at 0, as TensorFlow)
            Kind::Relu => run1(g, ReluGrad { alpha: 0.0 }, &[&gr, x])?,
            Kind::LeakyRelu(alpha) => run1(g, ReluGrad { alpha }, &[&gr, x])?,
            // Elu'(x) = e^x = y + 1 where y < 0, else 1: TensorFlow's EluGrad masks on the
            // output, so NaN passes g through and the second derivative is 0 where y == 0
            // (x = 0, or a tiny negative x whose e^x - 1 rounds to 0).
            Kind::Elu => {
                let zero = scalar(g, dt, 0.0);
                let neg = misc::lt(g, y, &zero)?;
                let one = scalar(g, dt, 1.0);
                let yp1 = binary::add(g, y, &one)?;
                let gn = binary::mul(g, &gr, &yp1)?;
                misc::select(g, &neg, &gn, &gr)?
            }
            // d softplus x = sigmoid x
            Kind::Softplus => {
                let s = run1(g, Unary(Kind::Sigmoid), &[x])?;
                binary::mul(g, &gr, &s)?
            }
        };
        Ok(vec![Some(gx)])
    }
}

/// TensorFlow's ReluGrad(g, x) = g where x > 0, else 0 (`alpha` 0; one fused kernel pass, no
/// mask or zeros tensors), and LeakyReluGrad(g, x) = g where x > 0, else alpha * g. Internal:
/// the gradients of Relu and LeakyRelu. Their own gradient (for higher orders) is the same op
/// on the incoming gradient w.r.t. g, and zeros w.r.t. x (both are piecewise linear): zeros,
/// not None, as TF 2.21 returns for the second derivative w.r.t. the input (a select on
/// `x > 0` would leave x unconnected).
#[derive(Debug)]
pub struct ReluGrad {
    pub alpha: f64,
}

impl Op for ReluGrad {
    fn name(&self) -> &'static str {
        if self.alpha == 0.0 {
            "ReluGrad"
        } else {
            "LeakyReluGrad"
        }
    }

    fn forward(&self, inputs: &[&Tensor]) -> Result<Vec<Tensor>> {
        let (gr, x) = (inputs[0], inputs[1]);
        let alpha = self.alpha;
        let out = match (gr, x) {
            // Plain Relu's gradient has a SIMD kernel of its own.
            (Tensor::F32(g), Tensor::F32(a)) if alpha == 0.0 && g.shape() == a.shape() => {
                Tensor::F32(relu_grad(g, a).into_shared())
            }
            (Tensor::F64(g), Tensor::F64(a)) if alpha == 0.0 && g.shape() == a.shape() => {
                Tensor::F64(relu_grad(g, a).into_shared())
            }
            _ => {
                let al = alpha as f32;
                super::zip_same_shape(
                    self.name(),
                    gr,
                    x,
                    |g, x| if x > 0.0 { g } else { al * g },
                    |g, x| if x > 0.0 { g } else { alpha * g },
                )?
            }
        };
        Ok(vec![out])
    }

    fn gradient(&self, g: &mut dyn Graph, a: &GradArgs) -> Result<Vec<Option<Handle>>> {
        let gg = a.grad(g, 0)?;
        let dg = if a.needs(0) {
            let op = ReluGrad { alpha: self.alpha };
            Some(run1(g, op, &[&gg, &a.inputs[1]])?)
        } else {
            None
        };
        let dx = a
            .needs(1)
            .then(|| g.constant(Tensor::zeros(a.inputs[1].dtype(), a.inputs[1].shape())));
        Ok(vec![dg, dx])
    }
}

fn relu_grad<T: fast::Elt>(
    g: &ndarray::ArcArray<T, ndarray::IxDyn>,
    x: &ndarray::ArcArray<T, ndarray::IxDyn>,
) -> ndarray::ArrayD<T> {
    if let (Some(gs), Some(xs)) = (g.as_slice(), x.as_slice()) {
        return fast::from_vec(g.shape(), crate::kernels::new_relu_grad(xs, gs));
    }
    ndarray::Zip::from(g)
        .and(x)
        .map_collect(|&gv, &xv| if xv > T::zero() { gv } else { T::zero() })
}

pub fn neg(g: &mut dyn Graph, x: &Handle) -> Result<Handle> {
    run1(g, Unary(Kind::Neg), &[x])
}
pub fn square(g: &mut dyn Graph, x: &Handle) -> Result<Handle> {
    run1(g, Unary(Kind::Square), &[x])
}
pub fn exp_h(g: &mut dyn Graph, x: &Handle) -> Result<Handle> {
    run1(g, Unary(Kind::Exp), &[x])
}
pub fn log_h(g: &mut dyn Graph, x: &Handle) -> Result<Handle> {
    run1(g, Unary(Kind::Log), &[x])
}

#[cfg(test)]
mod tests {
    use crate::ops::{Attr, AttrMap, build};
    use crate::tensor::{DType, Tensor};

    /// TensorFlow stores LeakyRelu's `alpha` as an f32 attr, so a float64 LeakyRelu scales by
    /// f64(f32(alpha)), not by the decimal alpha (TF 2.21's float64 results differ from
    /// x * 0.2 from the 9th digit on).
    #[test]
    fn leaky_relu_alpha_is_an_f32_attr() {
        let x = Tensor::from_f64s(DType::F64, &[2], &[-1.25, 3.0]).expect("x");
        for (attrs, alpha) in [
            (AttrMap::new(), 0.2f32),
            (
                [("alpha".to_string(), Attr::Float(0.1))].into_iter().collect(),
                0.1f32,
            ),
        ] {
            let op = build("LeakyRelu", &attrs, 1).expect("build");
            let y = op.forward(&[&x]).expect("forward").remove(0).to_f64_vec();
            assert_eq!(y, vec![-1.25 * f64::from(alpha), 3.0]);
        }
    }

    /// Log of a strided (non-contiguous) tensor takes the element-wise fallback, which must
    /// apply the same float32 subnormal rule as the vector kernel: ln(2^-150) for a positive
    /// subnormal, NaN for a negative one (TensorFlow's answers; `Float::ln_subnormal`).
    #[test]
    fn strided_log_follows_the_subnormal_rule() {
        let tiny = f32::from_bits(1);
        let big_sub = f32::from_bits(0x007f_ffff);
        let base = ndarray::Array1::from(vec![tiny, 9.0, big_sub, 9.0, -tiny, 9.0, 2.0, 9.0]);
        let strided = base.slice_move(ndarray::s![..;2]).into_dyn().into_shared();
        assert!(!strided.is_standard_layout());
        let x = Tensor::F32(strided);
        let op = build("Log", &AttrMap::new(), 1).expect("build");
        let y = op.forward(&[&x]).expect("forward").remove(0).to_f64_vec();
        // TensorFlow 2.21 answers ln(2^-150) in float32 for every positive subnormal.
        let floor = (-150.0 * std::f64::consts::LN_2) as f32;
        assert_eq!(y[0], f64::from(floor), "smallest subnormal");
        assert_eq!(y[1], f64::from(floor), "largest subnormal");
        assert!(y[2].is_nan(), "negative subnormal: {}", y[2]);
        assert_eq!(y[3], f64::from(2f32.ln()));
    }
}
