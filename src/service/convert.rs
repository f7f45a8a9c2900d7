//! Wire <-> engine conversion. Every proto message is destructured exhaustively
//! (`let pb::X { a, b } = x;`), so a new proto field is a compile error here until handled.

use crate::error::{Error, Result};
use crate::invalid;
use crate::ops::{Attr, AttrMap};
use crate::proto as pb;
use crate::session::{AssignMode, AssignSource, Step, StepOutput};
use crate::tensor::{DType, Tensor};
use ndarray::{ArcArray, IxDyn};

/// Limits applied while decoding.
#[derive(Clone, Copy, Debug)]
pub struct DecodeLimits {
    pub max_tensor_elements: usize,
}

pub fn dtype_from_pb(v: i32) -> Result<DType> {
    match pb::DType::try_from(v) {
        Ok(pb::DType::DtypeFloat32) => Ok(DType::F32),
        Ok(pb::DType::DtypeFloat64) => Ok(DType::F64),
        Ok(pb::DType::DtypeInt32) => Ok(DType::I32),
        Ok(pb::DType::DtypeInt64) => Ok(DType::I64),
        Ok(pb::DType::DtypeBool) => Ok(DType::Bool),
        Ok(pb::DType::DtypeUnspecified) => Err(invalid!("tensor dtype is missing")),
        Err(_) => Err(invalid!("unknown dtype enum value {v}")),
    }
}

pub fn dtype_to_pb(d: DType) -> pb::DType {
    match d {
        DType::F32 => pb::DType::DtypeFloat32,
        DType::F64 => pb::DType::DtypeFloat64,
        DType::I32 => pb::DType::DtypeInt32,
        DType::I64 => pb::DType::DtypeInt64,
        DType::Bool => pb::DType::DtypeBool,
    }
}

fn arr<T>(shape: &[usize], v: Vec<T>) -> Result<ArcArray<T, IxDyn>> {
    ArcArray::from_shape_vec(IxDyn(shape), v).map_err(|e| invalid!("tensor: {e}"))
}

fn raw_values<T, const N: usize>(raw: &[u8], n: usize, f: fn([u8; N]) -> T) -> Result<Vec<T>> {
    if raw.len() != n * N {
        return Err(invalid!(
            "tensor raw has {} bytes, shape needs {} ({} values of {N} bytes)",
            raw.len(),
            n * N,
            n
        ));
    }
    Ok(raw
        .chunks_exact(N)
        .map(|c| f(c.try_into().unwrap_or([0; N])))
        .collect())
}

fn typed<T: Clone>(v: &[T], n: usize, field: &str) -> Result<Vec<T>> {
    if v.len() != n {
        return Err(invalid!("tensor {field} has {} values, shape needs {n}", v.len()));
    }
    Ok(v.to_vec())
}

/// Decodes a wire tensor, checking dtype, shape, value count and size limits.
pub fn tensor_from_pb(t: &pb::Tensor, limits: DecodeLimits) -> Result<Tensor> {
    let pb::Tensor {
        dtype,
        shape,
        float_val,
        double_val,
        int_val,
        int64_val,
        bool_val,
        raw,
    } = t;
    let dtype = dtype_from_pb(*dtype)?;
    let shape: Vec<usize> = (shape.iter())
        .map(|&d| usize::try_from(d).map_err(|_| invalid!("tensor shape {shape:?} has a negative dim")))
        .collect::<Result<_>>()?;
    let n = shape
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .filter(|&n| n <= limits.max_tensor_elements)
        .ok_or_else(|| {
            Error::ResourceExhausted(format!(
                "tensor of shape {shape:?} exceeds the limit of {} elements",
                limits.max_tensor_elements
            ))
        })?;
    let filled = [
        !float_val.is_empty(),
        !double_val.is_empty(),
        !int_val.is_empty(),
        !int64_val.is_empty(),
        !bool_val.is_empty(),
        !raw.is_empty(),
    ];
    if filled.iter().filter(|&&f| f).count() > 1 {
        return Err(invalid!("tensor sets more than one value field"));
    }
    let use_raw = !raw.is_empty();
    let t = match dtype {
        DType::F32 => Tensor::F32(arr(
            &shape,
            if use_raw {
                raw_values(raw, n, f32::from_le_bytes)?
            } else {
                typed(float_val, n, "float_val")?
            },
        )?),
        DType::F64 => Tensor::F64(arr(
            &shape,
            if use_raw {
                raw_values(raw, n, f64::from_le_bytes)?
            } else {
                typed(double_val, n, "double_val")?
            },
        )?),
        DType::I32 => Tensor::I32(arr(
            &shape,
            if use_raw {
                raw_values(raw, n, i32::from_le_bytes)?
            } else {
                typed(int_val, n, "int_val")?
            },
        )?),
        DType::I64 => Tensor::I64(arr(
            &shape,
            if use_raw {
                raw_values(raw, n, i64::from_le_bytes)?
            } else {
                typed(int64_val, n, "int64_val")?
            },
        )?),
        DType::Bool => Tensor::Bool(arr(
            &shape,
            if use_raw {
                raw_values(raw, n, |b: [u8; 1]| b[0] != 0)?
            } else {
                typed(bool_val, n, "bool_val")?
            },
        )?),
    };
    Ok(t)
}

/// Encodes a tensor; values only when `with_values`, as raw bytes when `raw`.
pub fn tensor_to_pb(t: &Tensor, with_values: bool, raw: bool) -> pb::Tensor {
    let mut out = pb::Tensor {
        dtype: dtype_to_pb(t.dtype()) as i32,
        shape: t.shape().iter().map(|&d| d as i64).collect(),
        ..Default::default()
    };
    if !with_values {
        return out;
    }
    if raw {
        let mut bytes = Vec::with_capacity(t.nbytes());
        match t {
            Tensor::F32(a) => a.iter().for_each(|v| bytes.extend_from_slice(&v.to_le_bytes())),
            Tensor::F64(a) => a.iter().for_each(|v| bytes.extend_from_slice(&v.to_le_bytes())),
            Tensor::I32(a) => a.iter().for_each(|v| bytes.extend_from_slice(&v.to_le_bytes())),
            Tensor::I64(a) => a.iter().for_each(|v| bytes.extend_from_slice(&v.to_le_bytes())),
            Tensor::Bool(a) => a.iter().for_each(|&v| bytes.push(v as u8)),
        }
        out.raw = bytes;
        return out;
    }
    match t {
        Tensor::F32(a) => out.float_val = a.iter().copied().collect(),
        Tensor::F64(a) => out.double_val = a.iter().copied().collect(),
        Tensor::I32(a) => out.int_val = a.iter().copied().collect(),
        Tensor::I64(a) => out.int64_val = a.iter().copied().collect(),
        Tensor::Bool(a) => out.bool_val = a.iter().copied().collect(),
    }
    out
}

fn attr_from_pb(name: &str, a: &pb::AttrValue) -> Result<Attr> {
    let pb::AttrValue { value } = a;
    use pb::attr_value::Value as V;
    Ok(match value {
        Some(V::I(i)) => Attr::Int(*i),
        Some(V::F(f)) => Attr::Float(*f),
        Some(V::B(b)) => Attr::Bool(*b),
        Some(V::S(s)) => Attr::Str(s.clone()),
        Some(V::Ints(pb::IntList { values })) => Attr::Ints(values.clone()),
        Some(V::Type(t)) => Attr::Type(dtype_from_pb(*t)?),
        None => return Err(invalid!("attr {name} has no value")),
    })
}

fn need<'a, T>(v: &'a Option<T>, what: &str) -> Result<&'a T> {
    v.as_ref().ok_or_else(|| invalid!("{what} is missing"))
}

fn tape_name(t: &Option<pb::TapeRef>) -> String {
    t.as_ref().map(|t| t.tape.clone()).unwrap_or_default()
}

fn unconnected_zero(v: i32) -> Result<bool> {
    match pb::Unconnected::try_from(v) {
        Ok(pb::Unconnected::None) => Ok(false),
        Ok(pb::Unconnected::Zero) => Ok(true),
        Err(_) => Err(invalid!("unknown unconnected value {v}")),
    }
}

/// Converts one wire step, validating what can be checked without the session.
pub fn step_from_pb(s: pb::Step, limits: DecodeLimits) -> Result<Step> {
    use pb::step::Kind as K;
    let pb::Step { kind } = s;
    let kind = kind.ok_or_else(|| invalid!("step has no kind"))?;
    let tensor = |t: &Option<pb::Tensor>, what: &str| tensor_from_pb(need(t, what)?, limits);
    Ok(match kind {
        K::Variable(pb::VariableStep {
            r#ref,
            value,
            trainable,
        }) => Step::Variable {
            value: tensor(&value, "variable value")?,
            name: nonempty(r#ref, "variable ref")?,
            trainable: trainable.unwrap_or(true),
        },
        K::Constant(pb::ConstantStep { r#ref, value }) => Step::Constant {
            value: tensor(&value, "constant value")?,
            name: nonempty(r#ref, "constant ref")?,
        },
        K::Tape(pb::TapeStep {
            tape,
            persistent,
            watch_accessed_variables,
            reenter,
        }) => {
            let (tape, watch_accessed_variables) = (
                nonempty(tape, "tape name")?,
                watch_accessed_variables.unwrap_or(true),
            );
            if reenter {
                Step::Reenter {
                    tape,
                    persistent,
                    watch_accessed_variables,
                }
            } else {
                Step::Tape {
                    tape,
                    persistent,
                    watch_accessed_variables,
                }
            }
        }
        K::Watch(pb::WatchStep { tape, refs }) => Step::Watch { tape, refs },
        K::Op(pb::OpStep {
            op,
            inputs,
            attrs,
            outputs,
            quiet: _,
        }) => {
            let attrs = (attrs.iter())
                .map(|(k, v)| Ok((k.clone(), attr_from_pb(k, v)?)))
                .collect::<Result<AttrMap>>()?;
            Step::Op {
                op,
                inputs,
                attrs,
                outputs,
            }
        }
        K::Stop(t) => Step::Stop { tape: t.tape },
        K::Pause(t) => Step::Pause { tape: t.tape },
        K::Resume(t) => Step::Resume { tape: t.tape },
        K::Reset(t) => Step::Reset { tape: t.tape },
        K::WatchedVariables(t) => Step::WatchedVariables {
            tape: tape_name(&Some(t)),
        },
        K::Gradient(pb::GradientStep {
            tape,
            targets,
            sources,
            output_gradients,
            unconnected,
            outputs,
            fetch,
        }) => Step::Gradient {
            tape,
            targets,
            sources,
            output_gradients: (output_gradients.iter())
                .map(|t| tensor_from_pb(t, limits))
                .collect::<Result<_>>()?,
            unconnected_zero: unconnected_zero(unconnected)?,
            outputs,
            fetch,
        },
        K::Jacobian(pb::JacobianStep {
            tape,
            target,
            sources,
            unconnected,
            outputs,
            fetch,
        }) => Step::Jacobian {
            tape,
            target,
            sources,
            unconnected_zero: unconnected_zero(unconnected)?,
            outputs,
            fetch,
        },
        K::BatchJacobian(pb::BatchJacobianStep {
            tape,
            target,
            source,
            output,
            fetch,
        }) => Step::BatchJacobian {
            tape,
            target,
            source,
            output,
            fetch,
        },
        K::Fetch(pb::FetchStep { refs }) => Step::Fetch { refs },
        K::Assign(pb::AssignStep {
            variable,
            mode,
            source,
        }) => {
            use pb::assign_step::Source;
            let mode = match pb::AssignMode::try_from(mode) {
                Ok(pb::AssignMode::Assign) => AssignMode::Assign,
                Ok(pb::AssignMode::Add) => AssignMode::Add,
                Ok(pb::AssignMode::Sub) => AssignMode::Sub,
                Err(_) => return Err(invalid!("unknown assign mode {mode}")),
            };
            let source = match source {
                Some(Source::Value(t)) => AssignSource::Value(tensor_from_pb(&t, limits)?),
                Some(Source::FromRef(r)) => AssignSource::Ref(r),
                None => return Err(invalid!("assign needs a value or from_ref")),
            };
            Step::Assign {
                variable,
                mode,
                source,
            }
        }
        K::Release(pb::ReleaseStep { refs, tapes }) => Step::Release { refs, tapes },
    })
}

fn nonempty(s: String, what: &str) -> Result<String> {
    if s.is_empty() {
        Err(invalid!("{what} is empty"))
    } else {
        Ok(s)
    }
}

/// Encodes a step's output.
pub fn output_to_pb(o: StepOutput, raw: bool) -> pb::StepResult {
    let StepOutput { values, variables } = o;
    pb::StepResult {
        values: (values.into_iter())
            .map(|v| pb::Value {
                none: v.tensor.is_none(),
                tensor: v.tensor.as_ref().map(|t| tensor_to_pb(t, v.fetched, raw)),
                r#ref: v.name,
            })
            .collect(),
        variables,
    }
}

/// The step kind of a wire step, for errors raised before it could be decoded.
pub fn step_kind_pb(s: &pb::Step) -> &'static str {
    use pb::step::Kind as K;
    match &s.kind {
        None => "unknown",
        Some(K::Variable(_)) => "variable",
        Some(K::Constant(_)) => "constant",
        Some(K::Tape(_)) => "tape",
        Some(K::Watch(_)) => "watch",
        Some(K::Op(_)) => "op",
        Some(K::Stop(_)) => "stop",
        Some(K::Pause(_)) => "pause",
        Some(K::Resume(_)) => "resume",
        Some(K::Reset(_)) => "reset",
        Some(K::Gradient(_)) => "gradient",
        Some(K::Jacobian(_)) => "jacobian",
        Some(K::BatchJacobian(_)) => "batch_jacobian",
        Some(K::Fetch(_)) => "fetch",
        Some(K::WatchedVariables(_)) => "watched_variables",
        Some(K::Assign(_)) => "assign",
        Some(K::Release(_)) => "release",
    }
}
