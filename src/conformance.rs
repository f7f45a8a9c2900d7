//! Replays conformance programs (`../shared/conformance/*.json`, recorded from TensorFlow) over
//! gRPC and compares every answer. Used by `gradd conformance` and by the integration tests.

use crate::proto as pb;
use crate::proto::gradd_client::GraddClient;
use serde_json::Value as J;
use std::collections::HashMap;
use tonic::transport::Channel;

/// One conformance program.
#[derive(Debug, Clone)]
pub struct Case {
    pub name: String,
    pub rtol: f64,
    pub atol: f64,
    pub steps: Vec<J>,
}

/// Outcome of a run: counts and one message per failing case.
#[derive(Debug, Default)]
pub struct Report {
    pub passed: usize,
    pub failed: usize,
    pub failures: Vec<String>,
}

/// JSON written by Python may carry bare NaN / Infinity; quote them so serde_json parses it.
fn quote_non_finite(text: &str) -> String {
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

/// Parses a conformance file.
pub fn load_cases(text: &str) -> Result<Vec<Case>, String> {
    let doc: J = serde_json::from_str(&quote_non_finite(text)).map_err(|e| format!("bad JSON: {e}"))?;
    let cases = doc
        .get("cases")
        .and_then(J::as_array)
        .ok_or("no \"cases\" array")?;
    cases
        .iter()
        .map(|c| {
            Ok(Case {
                name: c.get("name").and_then(J::as_str).unwrap_or("?").to_string(),
                rtol: c.get("rtol").and_then(J::as_f64).unwrap_or(1e-4),
                atol: c.get("atol").and_then(J::as_f64).unwrap_or(1e-5),
                steps: c
                    .get("steps")
                    .and_then(J::as_array)
                    .cloned()
                    .ok_or("case without steps")?,
            })
        })
        .collect()
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
struct JTensor {
    dtype: String,
    shape: Vec<i64>,
    values: Vec<f64>,
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

fn from_pb(t: &pb::Tensor) -> (String, Vec<i64>, Vec<f64>) {
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
enum Expect {
    Nothing,
    Tensors(Vec<Option<JTensor>>),
    Names(Vec<String>),
}

/// Converts a JSON step to a wire step and its expectation.
fn convert(st: &J) -> Result<(pb::Step, Expect), String> {
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

pub use crate::service::status::code_name;

/// `|got - want| <= atol + rtol * |want|`, NaN equal to NaN; an infinite expectation must be
/// met exactly (the tolerance would be infinite and accept any finite value, of either sign).
fn close(got: f64, want: f64, rtol: f64, atol: f64) -> bool {
    (got.is_nan() && want.is_nan())
        || got == want
        || (want.is_finite() && (got - want).abs() <= atol + rtol * want.abs())
}

/// Compares one result tensor (or None) with the expectation; Err describes the difference.
fn compare(got: &pb::Value, want: &Option<JTensor>, rtol: f64, atol: f64) -> Result<(), String> {
    match (got.none, want) {
        (true, None) => Ok(()),
        (true, Some(_)) => Err("got None (no gradient), want a tensor".into()),
        (false, None) => Err("got a tensor, want None (no gradient)".into()),
        (false, Some(w)) => {
            let t = got.tensor.as_ref().ok_or("result has no tensor")?;
            let (dt, shape, vals) = from_pb(t);
            if dt != w.dtype || shape != w.shape {
                return Err(format!("got {dt} {shape:?}, want {} {:?}", w.dtype, w.shape));
            }
            if vals.len() != w.values.len() {
                return Err(format!("got {} values, want {}", vals.len(), w.values.len()));
            }
            for (i, (&g, &e)) in vals.iter().zip(&w.values).enumerate() {
                if !close(g, e, rtol, atol) {
                    return Err(format!(
                        "value [{i}]: got {g}, want {e} (|diff| {:.3e})",
                        (g - e).abs()
                    ));
                }
            }
            Ok(())
        }
    }
}

fn check(res: &pb::StepResult, exp: &Expect, rtol: f64, atol: f64) -> Result<(), String> {
    match exp {
        Expect::Nothing => Ok(()),
        Expect::Names(n) => {
            if &res.variables == n {
                Ok(())
            } else {
                Err(format!("got variables {:?}, want {n:?}", res.variables))
            }
        }
        Expect::Tensors(ts) => {
            if res.values.len() != ts.len() {
                return Err(format!("got {} values, want {}", res.values.len(), ts.len()));
            }
            for (i, (g, w)) in res.values.iter().zip(ts).enumerate() {
                compare(g, w, rtol, atol).map_err(|e| format!("result {i}: {e}"))?;
            }
            Ok(())
        }
    }
}

/// Runs one case in a fresh session; Err describes the first difference.
pub async fn run_case(client: &mut GraddClient<Channel>, case: &Case) -> Result<(), String> {
    let sess = client
        .create_session(pb::CreateSessionRequest::default())
        .await
        .map_err(|e| format!("CreateSession: {e}"))?
        .into_inner();
    let res = run_steps(client, &sess.session_id, case).await;
    let _ = client
        .delete_session(pb::DeleteSessionRequest {
            session_id: sess.session_id,
        })
        .await;
    res
}

async fn run_steps(client: &mut GraddClient<Channel>, sid: &str, case: &Case) -> Result<(), String> {
    // Steps go in as few Runs as possible; a step expected to fail goes alone so that the
    // results of the steps before it are still checked.
    let mut batch: Vec<(usize, pb::Step, Expect)> = Vec::new();
    for (i, st) in case.steps.iter().enumerate() {
        let (step, exp) = convert(st).map_err(|e| format!("step {i}: {e}"))?;
        match st.get("expect_error").and_then(J::as_str) {
            None => batch.push((i, step, exp)),
            Some(code) => {
                flush(client, sid, case, std::mem::take(&mut batch)).await?;
                let req = pb::RunRequest {
                    session_id: sid.to_string(),
                    steps: vec![step],
                    raw_results: false,
                };
                match client.run(req).await {
                    Ok(_) => return Err(format!("step {i}: succeeded, want {code}")),
                    Err(s) if code_name(s.code()) == code => {}
                    Err(s) => {
                        return Err(format!(
                            "step {i}: got {} ({}), want {code}",
                            code_name(s.code()),
                            s.message()
                        ));
                    }
                }
            }
        }
    }
    flush(client, sid, case, batch).await
}

async fn flush(
    client: &mut GraddClient<Channel>,
    sid: &str,
    case: &Case,
    batch: Vec<(usize, pb::Step, Expect)>,
) -> Result<(), String> {
    if batch.is_empty() {
        return Ok(());
    }
    let (idx, rest): (Vec<usize>, Vec<(pb::Step, Expect)>) =
        batch.into_iter().map(|(i, s, e)| (i, (s, e))).unzip();
    let (steps, exps): (Vec<pb::Step>, Vec<Expect>) = rest.into_iter().unzip();
    let req = pb::RunRequest {
        session_id: sid.to_string(),
        steps,
        raw_results: false,
    };
    let resp = client.run(req).await.map_err(|s| {
        format!(
            "step starting {}: unexpected {}: {}",
            idx[0],
            code_name(s.code()),
            s.message()
        )
    })?;
    let results = resp.into_inner().results;
    for ((i, exp), res) in idx.iter().zip(&exps).zip(&results) {
        check(res, exp, case.rtol, case.atol).map_err(|e| format!("step {i}: {e}"))?;
    }
    Ok(())
}

/// Runs every case whose name starts with `filter`.
pub async fn run_cases(client: &mut GraddClient<Channel>, cases: &[Case], filter: Option<&str>) -> Report {
    let mut report = Report::default();
    for case in cases
        .iter()
        .filter(|c| filter.is_none_or(|f| c.name.starts_with(f)))
    {
        match run_case(client, case).await {
            Ok(()) => report.passed += 1,
            Err(e) => {
                report.failed += 1;
                report.failures.push(format!("FAIL {}: {e}", case.name));
            }
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::close;

    #[test]
    fn tolerances_apply_to_finite_expectations_only() {
        assert!(close(1.00001, 1.0, 1e-4, 0.0));
        assert!(!close(1.001, 1.0, 1e-4, 0.0));
        assert!(close(f64::NAN, f64::NAN, 1e-4, 1e-5));
        assert!(close(f64::INFINITY, f64::INFINITY, 1e-4, 1e-5));
        assert!(!close(3.4e38, f64::INFINITY, 1e-4, 1e-5));
        assert!(!close(f64::NEG_INFINITY, f64::INFINITY, 1e-4, 1e-5));
        assert!(!close(0.0, f64::NAN, 1e-4, 1e-5));
    }
}
