//! The elementwise ops as types: each carries its scalar reference definition next to its
//! vector form, so a kernel loop is written once and instantiated per op.

use std::marker::PhantomData;

use super::float::Float;
use super::math;
use super::simd::Simd;

/// A binary elementwise op.
pub trait BinaryOp<T: Float>: Copy + Send + Sync + 'static {
    /// The reference definition.
    fn scalar(a: T, b: T) -> T;
    fn vector<S: Simd<T>>(s: S, a: S::V, b: S::V) -> S::V;
}

/// A unary elementwise op.
pub trait UnaryOp<T: Float>: Copy + Send + Sync + 'static {
    /// The reference definition.
    fn scalar(x: T) -> T;
    fn vector<S: Simd<T>>(s: S, x: S::V) -> S::V;
}

#[derive(Clone, Copy, Debug)]
pub struct Add;
impl<T: Float> BinaryOp<T> for Add {
    fn scalar(a: T, b: T) -> T {
        a + b
    }
    #[inline(always)]
    fn vector<S: Simd<T>>(s: S, a: S::V, b: S::V) -> S::V {
        s.add(a, b)
    }
}

#[derive(Clone, Copy, Debug)]
pub struct Sub;
impl<T: Float> BinaryOp<T> for Sub {
    fn scalar(a: T, b: T) -> T {
        a - b
    }
    #[inline(always)]
    fn vector<S: Simd<T>>(s: S, a: S::V, b: S::V) -> S::V {
        s.sub(a, b)
    }
}

#[derive(Clone, Copy, Debug)]
pub struct Mul;
impl<T: Float> BinaryOp<T> for Mul {
    fn scalar(a: T, b: T) -> T {
        a * b
    }
    #[inline(always)]
    fn vector<S: Simd<T>>(s: S, a: S::V, b: S::V) -> S::V {
        s.mul(a, b)
    }
}

#[derive(Clone, Copy, Debug)]
pub struct Div;
impl<T: Float> BinaryOp<T> for Div {
    fn scalar(a: T, b: T) -> T {
        a / b
    }
    #[inline(always)]
    fn vector<S: Simd<T>>(s: S, a: S::V, b: S::V) -> S::V {
        s.div(a, b)
    }
}

/// NaN-propagating maximum, as TF's Maximum (`maximum(1, NaN) = NaN`). On a tie (0.0 against
/// -0.0 is the only one whose operands differ) it returns `b`, as x86 `max` does; the scalar
/// reference does the same, so every ISA agrees bit for bit. TF's own rule for ties (its vector
/// lanes return `b`, its scalar tail `a`) is applied by the op (`ops::binary`).
#[derive(Clone, Copy, Debug)]
pub struct Maximum;
impl<T: Float> BinaryOp<T> for Maximum {
    fn scalar(a: T, b: T) -> T {
        match (a.is_nan() || b.is_nan(), a > b) {
            (true, _) => T::NAN,
            (false, true) => a,
            (false, false) => b,
        }
    }
    #[inline(always)]
    fn vector<S: Simd<T>>(s: S, a: S::V, b: S::V) -> S::V {
        // x86 max returns the second operand when either is NaN: that covers NaN in `b`;
        // the select covers NaN in `a`.
        s.select(s.is_nan(a), a, s.max(a, b))
    }
}

/// NaN-propagating minimum; ties return `b` (see `Maximum`).
#[derive(Clone, Copy, Debug)]
pub struct Minimum;
impl<T: Float> BinaryOp<T> for Minimum {
    fn scalar(a: T, b: T) -> T {
        match (a.is_nan() || b.is_nan(), a < b) {
            (true, _) => T::NAN,
            (false, true) => a,
            (false, false) => b,
        }
    }
    #[inline(always)]
    fn vector<S: Simd<T>>(s: S, a: S::V, b: S::V) -> S::V {
        s.select(s.is_nan(a), a, s.min(a, b))
    }
}

/// `ReluGrad(x, g) = g if x > 0 else 0`: d/dx relu(x) is 1 for x > 0 and 0 otherwise,
/// including at 0 (TF's choice).
#[derive(Clone, Copy, Debug)]
pub struct ReluGrad;
impl<T: Float> BinaryOp<T> for ReluGrad {
    fn scalar(x: T, g: T) -> T {
        if x > T::ZERO { g } else { T::ZERO }
    }
    #[inline(always)]
    fn vector<S: Simd<T>>(s: S, x: S::V, g: S::V) -> S::V {
        let zero = s.splat(T::ZERO);
        s.select(s.gt(x, zero), g, zero)
    }
}

/// `Flip<Op>` computes `Op(b, a)`: turns `a op scalar` kernels into `scalar op a`.
#[derive(Clone, Copy, Debug)]
pub struct Flip<Op>(PhantomData<Op>);
impl<T: Float, Op: BinaryOp<T>> BinaryOp<T> for Flip<Op> {
    fn scalar(a: T, b: T) -> T {
        Op::scalar(b, a)
    }
    #[inline(always)]
    fn vector<S: Simd<T>>(s: S, a: S::V, b: S::V) -> S::V {
        Op::vector(s, b, a)
    }
}

#[derive(Clone, Copy, Debug)]
pub struct Exp;
impl<T: Float> UnaryOp<T> for Exp {
    fn scalar(x: T) -> T {
        x.exp()
    }
    #[inline(always)]
    fn vector<S: Simd<T>>(s: S, x: S::V) -> S::V {
        math::exp(s, x)
    }
}

#[derive(Clone, Copy, Debug)]
pub struct Log;
impl<T: Float> UnaryOp<T> for Log {
    fn scalar(x: T) -> T {
        x.ln()
    }
    #[inline(always)]
    fn vector<S: Simd<T>>(s: S, x: S::V) -> S::V {
        math::log(s, x)
    }
}

#[derive(Clone, Copy, Debug)]
pub struct Tanh;
impl<T: Float> UnaryOp<T> for Tanh {
    fn scalar(x: T) -> T {
        x.tanh()
    }
    #[inline(always)]
    fn vector<S: Simd<T>>(s: S, x: S::V) -> S::V {
        math::tanh(s, x)
    }
}

#[derive(Clone, Copy, Debug)]
pub struct Sigmoid;
impl<T: Float> UnaryOp<T> for Sigmoid {
    fn scalar(x: T) -> T {
        x.sigmoid()
    }
    #[inline(always)]
    fn vector<S: Simd<T>>(s: S, x: S::V) -> S::V {
        math::sigmoid(s, x)
    }
}

/// `max(x, 0)` with `relu(NaN) = NaN`.
#[derive(Clone, Copy, Debug)]
pub struct Relu;
impl<T: Float> UnaryOp<T> for Relu {
    fn scalar(x: T) -> T {
        // x itself at -0.0 too, as the vector path (and TF: Relu(-0.0) is -0.0).
        if x >= T::ZERO || x.is_nan() { x } else { T::ZERO }
    }
    #[inline(always)]
    fn vector<S: Simd<T>>(s: S, x: S::V) -> S::V {
        // max returns its second operand, x, when x is NaN or a zero.
        s.max(s.splat(T::ZERO), x)
    }
}

#[derive(Clone, Copy, Debug)]
pub struct Neg;
impl<T: Float> UnaryOp<T> for Neg {
    fn scalar(x: T) -> T {
        -x
    }
    #[inline(always)]
    fn vector<S: Simd<T>>(s: S, x: S::V) -> S::V {
        s.neg(x)
    }
}

#[derive(Clone, Copy, Debug)]
pub struct Square;
impl<T: Float> UnaryOp<T> for Square {
    fn scalar(x: T) -> T {
        x * x
    }
    #[inline(always)]
    fn vector<S: Simd<T>>(s: S, x: S::V) -> S::V {
        s.mul(x, x)
    }
}

#[derive(Clone, Copy, Debug)]
pub struct Sqrt;
impl<T: Float> UnaryOp<T> for Sqrt {
    fn scalar(x: T) -> T {
        x.sqrt()
    }
    #[inline(always)]
    fn vector<S: Simd<T>>(s: S, x: S::V) -> S::V {
        s.sqrt(x)
    }
}
