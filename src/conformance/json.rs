//! The conformance file's JSON, read into wire steps: tensors (exact float32 subnormals, the
//! bare NaN/Infinity Python writes), attrs, and what each step's result must look like.

use crate::proto as pb;
use serde_json::Value as J;
use std::collections::HashMap;

/// JSON written by Python may carry bare NaN / Infinity; quote them so serde_json parses it.
pub(super) fn quote_non_finite(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let (mut in_str, mut esc) = (false, false);
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i] as char;
        if in_str {
            out.push(c);
            if esc {
                esc = false;
            } else if c == '\\' {
                esc = true;
            } else if c == '"' {
                in_str = false;
            }
            i += 1;
            continue;
        }
        let rest = &text[i..];
        if let Some(tok) = ["-Infinity", "Infinity", "NaN"]
            .iter()
            .find(|t| rest.starts_with(**t))
        {
            out.push('"');
            out.push_str(tok);
            out.push('"');
            i += tok.len();
            continue;
        }
        if c == '"' {
            in_str = true;
        }
        // Multi-byte UTF-8 only occurs inside strings here; copy bytes verbatim otherwise.
        out.push(c);
        i += 1;
    }
    out
}

fn num(v: &J) -> Result<f64, String> {
    match v {
        J::Number(n) => n.as_f64().ok_or_else(|| format!("bad number {n}")),
        J::Bool(b) => Ok(if *b { 1.0 } else { 0.0 }),
        J::String(s) if s == "NaN" => Ok(f64::NAN),
        J::String(s) if s == "Infinity" => Ok(f64::INFINITY),
        J::String(s) if s == "-Infinity" => Ok(f64::NEG_INFINITY),
        other => Err(format!("bad value {other}")),
    }
}

/// A tensor as written in the JSON: dtype name, shape, row-major values.
#[derive(Debug, Clone)]
pub(super) struct JTensor {
    pub(super) dtype: String,
    pub(super) shape: Vec<i64>,
    pub(super) values: Vec<f64>,
}

fn jtensor(v: &J) -> Result<JTensor, String> {
    let dtype = v
        .get("dtype")
        .and_then(J::as_str)
        .ok_or("tensor without dtype")?
        .to_string();
    let shape = (v
        .get("shape")
        .and_then(J::as_array)
        .ok_or("tensor without shape")?
        .iter())
    .map(|d| d.as_i64().ok_or("bad dim"))
    .collect::<Result<Vec<_>, _>>()?;
    let values = (v
        .get("values")
        .and_then(J::as_array)
        .ok_or("tensor without values")?
        .iter())
    .map(num)
    .collect::<Result<Vec<_>, _>>()?;
    Ok(JTensor { dtype, shape, values })
}

/// `v as f32`, except that a value in f32's subnormal range is built from its bits instead of
/// converted: the conversion instruction flushes it to 0 on threads that flush denormals
/// (`kernels::flush_denormals`, which `gradd`'s main sets), and the file holds TensorFlow's
/// inputs exactly, subnormals included.
fn to_f32(v: f64) -> f32 {
    let a = v.abs();
    if a == 0.0 || !a.is_finite() || a >= f64::from(f32::MIN_POSITIVE) {
        return v as f32;
    }
    // a * 2^149 is the subnormal's mantissa, at most 2^23 (which is MIN_POSITIVE's bits).
    let m = (a * 2f64.powi(149)).round_ties_even() as u32;
    f32::from_bits(m | (u32::from(v.is_sign_negative()) << 31))
}

fn to_pb(t: &JTensor) -> Result<pb::Tensor, String> {
    let mut out = pb::Tensor {
        shape: t.shape.clone(),
        ..Default::default()
    };
    let dt = match t.dtype.as_str() {
        "float32" => {
            out.float_val = t.values.iter().map(|&v| to_f32(v)).collect();
            pb::DType::DtypeFloat32
        }
        "float64" => {
            out.double_val = t.values.clone();
            pb::DType::DtypeFloat64
        }
        "int32" => {
            out.int_val = t.values.iter().map(|&v| v as i32).collect();
            pb::DType::DtypeInt32
        }
        "int64" => {
            out.int64_val = t.values.iter().map(|&v| v as i64).collect();
            pb::DType::DtypeInt64
        }
        "bool" => {
            out.bool_val = t.values.iter().map(|&v| v != 0.0).collect();
            pb::DType::DtypeBool
        }
        d => return Err(format!("unknown dtype {d}")),
    };
    out.dtype = dt as i32;
    Ok(out)
}

pub(super) fn from_pb(t: &pb::Tensor) -> (String, Vec<i64>, Vec<f64>) {
    let dt = match pb::DType::try_from(t.dtype) {
        Ok(pb::DType::DtypeFloat32) => "float32",
        Ok(pb::DType::DtypeFloat64) => "float64",
        Ok(pb::DType::DtypeInt32) => "int32",
        Ok(pb::DType::DtypeInt64) => "int64",
        Ok(pb::DType::DtypeBool) => "bool",
        _ => "?",
    };
    let mut v: Vec<f64> = t.float_val.iter().map(|&x| x as f64).collect();
    v.extend(t.double_val.iter().copied());
    v.extend(t.int_val.iter().map(|&x| x as f64));
    v.extend(t.int64_val.iter().map(|&x| x as f64));
    v.extend(t.bool_val.iter().map(|&x| if x { 1.0 } else { 0.0 }));
    (dt.to_string(), t.shape.clone(), v)
}

fn strs(v: Option<&J>) -> Vec<String> {
    (v.and_then(J::as_array).into_iter().flatten())
        .filter_map(|s| s.as_str().map(str::to_string))
        .collect()
}

fn s(v: &J, k: &str) -> String {
    v.get(k).and_then(J::as_str).unwrap_or_default().to_string()
}

fn attr(v: &J) -> Result<pb::AttrValue, String> {
    use pb::attr_value::Value as V;
    let value = match v {
        J::Bool(b) => V::B(*b),
        J::Number(n) if n.is_i64() => V::I(n.as_i64().unwrap_or_default()),
        J::Number(n) => V::F(n.as_f64().unwrap_or_default()),
        J::String(s) => V::S(s.clone()),
        J::Array(a) => V::Ints(pb::IntList {
            values: a
                .iter()
                .map(|x| x.as_i64().ok_or("non-int in attr list"))
                .collect::<Result<_, _>>()?,
        }),
        other => return Err(format!("unsupported attr {other}")),
    };
    Ok(pb::AttrValue { value: Some(value) })
}

fn unconnected(v: &J) -> i32 {
    if s(v, "unconnected") == "zero" {
        pb::Unconnected::Zero as i32
    } else {
        pb::Unconnected::None as i32
    }
}

/// What a step's result must look like.
#[derive(Debug, Clone)]
pub(super) enum Expect {
    Nothing,
    Tensors(Vec<Option<JTensor>>),
    Names(Vec<String>),
}

/// Converts a JSON step to a wire step and its expectation.
pub(super) fn convert(st: &J) -> Result<(pb::Step, Expect), String> {
    use pb::step::Kind as K;
    let tensors = |k: &str| -> Result<Expect, String> {
        match st.get(k) {
            None => Ok(Expect::Nothing),
            Some(J::Array(a)) => Ok(Expect::Tensors(
                a.iter()
                    .map(|t| {
                        if t.is_null() {
                            Ok(None)
                        } else {
                            jtensor(t).map(Some)
                        }
                    })
                    .collect::<Result<_, _>>()?,
            )),
            Some(J::Null) => Ok(Expect::Tensors(vec![None])),
            Some(t) => Ok(Expect::Tensors(vec![Some(jtensor(t)?)])),
        }
    };
    let value = |k: &str| -> Result<Option<pb::Tensor>, String> {
        st.get(k).map(|t| jtensor(t).and_then(|t| to_pb(&t))).transpose()
    };
    let tape_ref = |k: &str| pb::TapeRef { tape: s(st, k) };
    let (kind, expect) = if st.get("variable").is_some() {
        let trainable = st.get("trainable").and_then(J::as_bool);
        (
            K::Variable(pb::VariableStep {
                r#ref: s(st, "variable"),
                value: value("value")?,
                trainable,
            }),
            Expect::Nothing,
        )
    } else if st.get("constant").is_some() {
        (
            K::Constant(pb::ConstantStep {
                r#ref: s(st, "constant"),
                value: value("value")?,
            }),
            Expect::Nothing,
        )
    } else if st.get("tape").is_some() {
        let persistent = st.get("persistent").and_then(J::as_bool).unwrap_or(false);
        let wav = st.get("watch_accessed_variables").and_then(J::as_bool);
        (
            K::Tape(pb::TapeStep {
                tape: s(st, "tape"),
                persistent,
                watch_accessed_variables: wav,
                reenter: false,
            }),
            Expect::Nothing,
        )
    } else if st.get("watch").is_some() {
        (
            K::Watch(pb::WatchStep {
                tape: s(st, "watch"),
                refs: strs(st.get("refs")),
            }),
            Expect::Nothing,
        )
    } else if st.get("op").is_some() {
        let attrs = (st.get("attrs").and_then(J::as_object).into_iter().flatten())
            .map(|(k, v)| Ok((k.clone(), attr(v)?)))
            .collect::<Result<HashMap<_, _>, String>>()?;
        let op = pb::OpStep {
            op: s(st, "op"),
            inputs: strs(st.get("inputs")),
            attrs,
            outputs: strs(st.get("outputs")),
            quiet: false,
        };
        (K::Op(op), Expect::Nothing)
    } else if st.get("stop").is_some() {
        (K::Stop(tape_ref("stop")), Expect::Nothing)
    } else if st.get("pause").is_some() {
        (K::Pause(tape_ref("pause")), Expect::Nothing)
    } else if st.get("resume").is_some() {
        (K::Resume(tape_ref("resume")), Expect::Nothing)
    } else if st.get("reset").is_some() {
        (K::Reset(tape_ref("reset")), Expect::Nothing)
    } else if st.get("gradient").is_some() {
        let og = (st
            .get("output_gradients")
            .and_then(J::as_array)
            .into_iter()
            .flatten())
        .map(|t| jtensor(t).and_then(|t| to_pb(&t)))
        .collect::<Result<_, _>>()?;
        let g = pb::GradientStep {
            tape: s(st, "gradient"),
            targets: strs(st.get("targets")),
            sources: strs(st.get("sources")),
            output_gradients: og,
            unconnected: unconnected(st),
            outputs: strs(st.get("outputs")),
            fetch: true,
        };
        (K::Gradient(g), tensors("expect")?)
    } else if st.get("jacobian").is_some() {
        let j = pb::JacobianStep {
            tape: s(st, "jacobian"),
            target: s(st, "target"),
            sources: strs(st.get("sources")),
            unconnected: unconnected(st),
            outputs: strs(st.get("outputs")),
            fetch: true,
        };
        (K::Jacobian(j), tensors("expect")?)
    } else if st.get("batch_jacobian").is_some() {
        let j = pb::BatchJacobianStep {
            tape: s(st, "batch_jacobian"),
            target: s(st, "target"),
            source: s(st, "source"),
            output: s(st, "output"),
            fetch: true,
        };
        (K::BatchJacobian(j), tensors("expect")?)
    } else if st.get("fetch").is_some() {
        (
            K::Fetch(pb::FetchStep {
                refs: strs(st.get("fetch")),
            }),
            tensors("expect")?,
        )
    } else if st.get("watched_variables").is_some() {
        (
            K::WatchedVariables(tape_ref("watched_variables")),
            Expect::Names(strs(st.get("expect"))),
        )
    } else if st.get("assign").is_some() {
        use pb::assign_step::Source;
        let mode = match s(st, "mode").as_str() {
            "add" => pb::AssignMode::Add,
            "sub" => pb::AssignMode::Sub,
            _ => pb::AssignMode::Assign,
        } as i32;
        let source = match value("value")? {
            Some(t) => Some(Source::Value(t)),
            None => st
                .get("source")
                .and_then(J::as_str)
                .map(|r| Source::FromRef(r.to_string())),
        };
        (
            K::Assign(pb::AssignStep {
                variable: s(st, "assign"),
                mode,
                source,
            }),
            Expect::Nothing,
        )
    } else if st.get("release").is_some() {
        (
            K::Release(pb::ReleaseStep {
                refs: strs(st.get("release")),
                tapes: strs(st.get("tapes")),
            }),
            Expect::Nothing,
        )
    } else {
        return Err(format!("unknown step {st}"));
    };
    Ok((pb::Step { kind: Some(kind) }, expect))
}
