//! DType and the `Float` element trait that lets one generic function serve f32 and f64.

use super::Tensor;
use crate::error::Result;
use crate::invalid;
use ndarray::{ArcArray, IxDyn, LinalgScalar, ScalarOperand};
use std::fmt::{Debug, Display};
use std::iter::Sum;
use std::ops::{AddAssign, MulAssign};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DType {
    F32,
    F64,
    I32,
    I64,
    Bool,
}

impl DType {
    pub fn name(self) -> &'static str {
        match self {
            DType::F32 => "float32",
            DType::F64 => "float64",
            DType::I32 => "int32",
            DType::I64 => "int64",
            DType::Bool => "bool",
        }
    }

    /// Parses TensorFlow's dtype names (and a few aliases clients use).
    pub fn from_name(s: &str) -> Result<DType> {
        Ok(match s {
            "float32" | "float" | "DT_FLOAT" | "DTYPE_FLOAT32" => DType::F32,
            "float64" | "double" | "DT_DOUBLE" | "DTYPE_FLOAT64" => DType::F64,
            "int32" | "DT_INT32" | "DTYPE_INT32" => DType::I32,
            "int64" | "DT_INT64" | "DTYPE_INT64" => DType::I64,
            "bool" | "DT_BOOL" | "DTYPE_BOOL" => DType::Bool,
            _ => return Err(invalid!("unknown dtype {s:?}")),
        })
    }

    /// Only floating tensors are differentiable (TensorFlow: integer sources get None).
    pub fn is_float(self) -> bool {
        matches!(self, DType::F32 | DType::F64)
    }

    pub fn size(self) -> usize {
        match self {
            DType::F32 | DType::I32 => 4,
            DType::F64 | DType::I64 => 8,
            DType::Bool => 1,
        }
    }
}

impl Display for DType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Any element type: lets one generic function serve all five dtypes.
pub trait Elem: Copy + Default + PartialEq + Send + Sync + Debug + 'static {
    const DTYPE: DType;
    fn get(t: &Tensor) -> Option<&ArcArray<Self, IxDyn>>;
    fn wrap(a: ArcArray<Self, IxDyn>) -> Tensor;
}

macro_rules! elem {
    ($t:ty, $v:ident, $d:ident) => {
        impl Elem for $t {
            const DTYPE: DType = DType::$d;
            fn get(t: &Tensor) -> Option<&ArcArray<Self, IxDyn>> {
                match t {
                    Tensor::$v(a) => Some(a),
                    _ => None,
                }
            }
            fn wrap(a: ArcArray<Self, IxDyn>) -> Tensor {
                Tensor::$v(a)
            }
        }
    };
}
elem!(f32, F32, F32);
elem!(f64, F64, F64);
elem!(i32, I32, I32);
elem!(i64, I64, I64);
elem!(bool, Bool, Bool);

/// The element types gradients are computed in.
pub trait Float:
    Elem + num_traits::Float + LinalgScalar + ScalarOperand + Display + Sum + AddAssign + MulAssign + 'static
{
    fn c(x: f64) -> Self;
    /// The error function (libm's: std has none).
    fn erf(self) -> Self;
    /// The complementary error function, 1 - erf, accurate where erf is near 1 (libm's).
    fn erfc(self) -> Self;
}

impl Float for f32 {
    fn c(x: f64) -> f32 {
        x as f32
    }
    fn erf(self) -> f32 {
        libm::erff(self)
    }
    fn erfc(self) -> f32 {
        libm::erfcf(self)
    }
}

impl Float for f64 {
    fn c(x: f64) -> f64 {
        x
    }
    /// TensorFlow 2.21's float64 Erf (Eigen's) is NaN once x*x overflows (|x| above about
    /// 1.34e154, infinities included), where float32's saturates at +-1.
    fn erf(self) -> f64 {
        if (self * self).is_infinite() {
            f64::NAN
        } else {
            libm::erf(self)
        }
    }
    fn erfc(self) -> f64 {
        libm::erfc(self)
    }
}
