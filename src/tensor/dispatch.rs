//! Dtype dispatch macros. A macro (rather than a generic function) because the body must be
//! type-checked once per element type: `float_apply!(t, |a| a.mapv(|v| v.tanh()))` runs the
//! same expression for f32 and f64 arrays. These are the only macros in the engine.

/// Applies `$body` (with `$a` bound to the array) to any dtype; the body's value is returned.
#[macro_export]
macro_rules! any_apply {
    ($t:expr, |$a:ident| $body:expr) => {
        match $t {
            $crate::tensor::Tensor::F32($a) => $body,
            $crate::tensor::Tensor::F64($a) => $body,
            $crate::tensor::Tensor::I32($a) => $body,
            $crate::tensor::Tensor::I64($a) => $body,
            $crate::tensor::Tensor::Bool($a) => $body,
        }
    };
}

/// Like `any_apply!`, but the body yields an owned array that is wrapped back in a Tensor of
/// the same dtype.
#[macro_export]
macro_rules! any_map {
    ($t:expr, |$a:ident| $body:expr) => {
        match $t {
            $crate::tensor::Tensor::F32($a) => $crate::tensor::Tensor::F32($body.into_shared()),
            $crate::tensor::Tensor::F64($a) => $crate::tensor::Tensor::F64($body.into_shared()),
            $crate::tensor::Tensor::I32($a) => $crate::tensor::Tensor::I32($body.into_shared()),
            $crate::tensor::Tensor::I64($a) => $crate::tensor::Tensor::I64($body.into_shared()),
            $crate::tensor::Tensor::Bool($a) => $crate::tensor::Tensor::Bool($body.into_shared()),
        }
    };
}

/// Float-only map: `Ok(Tensor)` of the same dtype, or INVALID_ARGUMENT naming `$op`.
#[macro_export]
macro_rules! float_map {
    ($op:expr, $t:expr, |$a:ident| $body:expr) => {
        match $t {
            $crate::tensor::Tensor::F32($a) => Ok($crate::tensor::Tensor::F32($body.into_shared())),
            $crate::tensor::Tensor::F64($a) => Ok($crate::tensor::Tensor::F64($body.into_shared())),
            t => Err($crate::invalid!(
                "{} needs a float tensor, got {}",
                $op,
                t.dtype()
            )),
        }
    };
}

/// Numeric (float or integer) map of one tensor.
#[macro_export]
macro_rules! num_map {
    ($op:expr, $t:expr, |$a:ident| $body:expr) => {
        match $t {
            $crate::tensor::Tensor::F32($a) => Ok($crate::tensor::Tensor::F32($body.into_shared())),
            $crate::tensor::Tensor::F64($a) => Ok($crate::tensor::Tensor::F64($body.into_shared())),
            $crate::tensor::Tensor::I32($a) => Ok($crate::tensor::Tensor::I32($body.into_shared())),
            $crate::tensor::Tensor::I64($a) => Ok($crate::tensor::Tensor::I64($body.into_shared())),
            t => Err($crate::invalid!(
                "{} needs a numeric tensor, got {}",
                $op,
                t.dtype()
            )),
        }
    };
}

/// Two float tensors of the same dtype; the body yields an owned array.
#[macro_export]
macro_rules! float_map2 {
    ($op:expr, $x:expr, $y:expr, |$a:ident, $b:ident| $body:expr) => {
        match ($x, $y) {
            ($crate::tensor::Tensor::F32($a), $crate::tensor::Tensor::F32($b)) => {
                Ok($crate::tensor::Tensor::F32($body.into_shared()))
            }
            ($crate::tensor::Tensor::F64($a), $crate::tensor::Tensor::F64($b)) => {
                Ok($crate::tensor::Tensor::F64($body.into_shared()))
            }
            (x, y) => Err($crate::ops::dtype_error($op, x, y)),
        }
    };
}

/// Two numeric tensors of the same dtype; the body yields an owned array.
#[macro_export]
macro_rules! num_map2 {
    ($op:expr, $x:expr, $y:expr, |$a:ident, $b:ident| $body:expr) => {
        match ($x, $y) {
            ($crate::tensor::Tensor::F32($a), $crate::tensor::Tensor::F32($b)) => {
                Ok($crate::tensor::Tensor::F32($body.into_shared()))
            }
            ($crate::tensor::Tensor::F64($a), $crate::tensor::Tensor::F64($b)) => {
                Ok($crate::tensor::Tensor::F64($body.into_shared()))
            }
            ($crate::tensor::Tensor::I32($a), $crate::tensor::Tensor::I32($b)) => {
                Ok($crate::tensor::Tensor::I32($body.into_shared()))
            }
            ($crate::tensor::Tensor::I64($a), $crate::tensor::Tensor::I64($b)) => {
                Ok($crate::tensor::Tensor::I64($body.into_shared()))
            }
            (x, y) => Err($crate::ops::dtype_error($op, x, y)),
        }
    };
}

/// Runs `$body` with the type alias `$T` set to the element type of `$dt`.
#[macro_export]
macro_rules! with_elem {
    ($dt:expr, $T:ident => $body:expr) => {
        match $dt {
            $crate::tensor::DType::F32 => {
                type $T = f32;
                $body
            }
            $crate::tensor::DType::F64 => {
                type $T = f64;
                $body
            }
            $crate::tensor::DType::I32 => {
                type $T = i32;
                $body
            }
            $crate::tensor::DType::I64 => {
                type $T = i64;
                $body
            }
            $crate::tensor::DType::Bool => {
                type $T = bool;
                $body
            }
        }
    };
}
