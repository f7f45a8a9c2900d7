//! TensorFlow's SqrtGrad, RsqrtGrad and ReciprocalGrad: the gradients of Sqrt, Rsqrt and
//! Reciprocal as ops of their own, because TensorFlow's kernels return 0 wherever the incoming
//! gradient is 0, even where the local derivative is infinite or NaN (`sqrt(x)` at 0 behind a
//! Relu that is off, say). Composed from Mul and Div they would give 0 * inf = NaN there. Each
//! one's own gradient is TensorFlow's (`_SqrtGradGrad` and friends in math_grad.py), so second
//! derivatives match too. Internal, not in the registry.
//!
//! Also the gradients of the trigonometric, hyperbolic and error-function ops (`more_grad`),
//! op for op as TensorFlow's math_grad.py builds them, so their higher derivatives and their
//! rounding follow TensorFlow's.

use super::unary::{Kind, Unary, neg, square};
use super::{GradArgs, Graph, Handle, Op, binary, run1, scalar};
use crate::error::Result;
use crate::tensor::Tensor;

/// dx for `kind` at input `x` with incoming gradient `gr`, as TensorFlow's gradient function
/// for that op composes it (the order of its multiplications included).
pub fn more_grad(g: &mut dyn Graph, kind: Kind, x: &Handle, gr: &Handle) -> Result<Handle> {
    let dt = x.dtype();
    let un = |g: &mut dyn Graph, k: Kind, t: &Handle| run1(g, Unary(k), &[t]);
    match kind {
        // _TanGrad: square(reciprocal(cos x)) * g
        Kind::Tan => {
            let c = un(g, Kind::Cos, x)?;
            let sec = un(g, Kind::Reciprocal, &c)?;
            let sec2 = square(g, &sec)?;
            binary::mul(g, &sec2, gr)
        }
        // _AtanGrad: g * reciprocal(1 + x^2)
        Kind::Atan => {
            let x2 = square(g, x)?;
            let one = scalar(g, dt, 1.0);
            let d = binary::add(g, &one, &x2)?;
            let inv = un(g, Kind::Reciprocal, &d)?;
            binary::mul(g, gr, &inv)
        }
        // _AsinGrad: g * reciprocal(sqrt(1 - x^2)); _AcosGrad: -g * the same
        Kind::Asin | Kind::Acos => {
            let x2 = square(g, x)?;
            let one = scalar(g, dt, 1.0);
            let d = binary::sub(g, &one, &x2)?;
            let den = un(g, Kind::Sqrt, &d)?;
            let inv = un(g, Kind::Reciprocal, &den)?;
            if kind == Kind::Acos {
                let ng = neg(g, gr)?;
                binary::mul(g, &ng, &inv)
            } else {
                binary::mul(g, gr, &inv)
            }
        }
        // _SinhGrad: g * cosh x; _CoshGrad: g * sinh x; _Expm1Grad: g * exp x
        Kind::Sinh | Kind::Cosh | Kind::Expm1 => {
            let k = match kind {
                Kind::Sinh => Kind::Cosh,
                Kind::Cosh => Kind::Sinh,
                _ => Kind::Exp,
            };
            let d = un(g, k, x)?;
            binary::mul(g, gr, &d)
        }
        // _ErfGrad: (g * 2/sqrt(pi)) * exp(-square(x)); _ErfcGrad: the same with -2/sqrt(pi)
        Kind::Erf | Kind::Erfc => {
            let k = std::f64::consts::FRAC_2_SQRT_PI;
            let c = scalar(g, dt, if kind == Kind::Erf { k } else { -k });
            let gc = binary::mul(g, gr, &c)?;
            let x2 = square(g, x)?;
            let nx2 = neg(g, &x2)?;
            let e = un(g, Kind::Exp, &nx2)?;
            binary::mul(g, &gc, &e)
        }
        other => Err(crate::error::Error::Internal(format!(
            "more_grad has no rule for {other:?}"
        ))),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Of {
    Sqrt,
    Rsqrt,
    Reciprocal,
}

/// `(y, dy) -> dx` for y = sqrt(x), rsqrt(x) or 1/x.
#[derive(Debug)]
pub struct PowerGrad(pub Of);

/// Runs the gradient op of `of` on the graph: inputs the forward output `y` and `dy`.
pub fn power_grad(g: &mut dyn Graph, of: Of, y: &Handle, dy: &Handle) -> Result<Handle> {
    run1(g, PowerGrad(of), &[y, dy])
}

fn kernel<T: num_traits::Float>(of: Of, y: T, dy: T) -> T {
    if dy == T::zero() {
        return T::zero();
    }
    let half = T::from(0.5).unwrap_or_else(T::zero);
    match of {
        Of::Sqrt => half * dy / y,
        Of::Rsqrt => -half * (dy * y) * (y * y),
        Of::Reciprocal => -dy * y * y,
    }
}

impl Op for PowerGrad {
    fn name(&self) -> &'static str {
        match self.0 {
            Of::Sqrt => "SqrtGrad",
            Of::Rsqrt => "RsqrtGrad",
            Of::Reciprocal => "ReciprocalGrad",
        }
    }

    fn forward(&self, inputs: &[&Tensor]) -> Result<Vec<Tensor>> {
        let of = self.0;
        let out = super::zip_same_shape(
            self.name(),
            inputs[0],
            inputs[1],
            |y, dy| kernel(of, y, dy),
            |y, dy| kernel(of, y, dy),
        )?;
        Ok(vec![out])
    }

    fn gradient(&self, g: &mut dyn Graph, a: &GradArgs) -> Result<Vec<Option<Handle>>> {
        let (y, dy, out) = (&a.inputs[0], &a.inputs[1], &a.outputs[0]);
        let gg = a.grad(g, 0)?;
        let dt = y.dtype();
        let (d_y, d_dy) = match self.0 {
            // out = 0.5 dy / y: w.r.t. y, -(gg / y) * out; w.r.t. dy, 0.5 gg / y.
            Of::Sqrt => {
                let ga = binary::div(g, &gg, y)?;
                let d_y = a.needs(0).then(|| -> Result<Handle> {
                    let m = binary::mul(g, &ga, out)?;
                    super::unary::neg(g, &m)
                });
                let d_dy = a.needs(1).then(|| {
                    let half = scalar(g, dt, 0.5);
                    binary::mul(g, &half, &ga)
                });
                (d_y.transpose()?, d_dy.transpose()?)
            }
            // out = -0.5 dy y^3: w.r.t. y = -1.5 gg dy y^2; w.r.t. dy = RsqrtGrad(y, gg).
            Of::Rsqrt => {
                let d_y = a.needs(0).then(|| -> Result<Handle> {
                    let c = scalar(g, dt, -1.5);
                    let t = binary::mul(g, &c, &gg)?;
                    let t = binary::mul(g, &t, dy)?;
                    let y2 = square(g, y)?;
                    binary::mul(g, &t, &y2)
                });
                let d_dy = a.needs(1).then(|| power_grad(g, Of::Rsqrt, y, &gg));
                (d_y.transpose()?, d_dy.transpose()?)
            }
            // out = -dy y^2: w.r.t. y = -2 gg dy y; w.r.t. dy = ReciprocalGrad(y, gg).
            Of::Reciprocal => {
                let d_y = a.needs(0).then(|| -> Result<Handle> {
                    let c = scalar(g, dt, -2.0);
                    let t = binary::mul(g, &gg, &c)?;
                    let t = binary::mul(g, &t, dy)?;
                    binary::mul(g, &t, y)
                });
                let d_dy = a.needs(1).then(|| power_grad(g, Of::Reciprocal, y, &gg));
                (d_y.transpose()?, d_dy.transpose()?)
            }
        };
        Ok(vec![d_y, d_dy])
    }
}
