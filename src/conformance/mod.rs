//! Replays conformance programs (`../shared/conformance/*.json`, recorded from TensorFlow) over
//! gRPC and compares every answer. Used by `gradd conformance` and by the integration tests.

use crate::proto as pb;
use crate::proto::gradd_client::GraddClient;
use serde_json::Value as J;
use tonic::transport::Channel;

mod json;

pub use crate::service::status::code_name;
use json::{Expect, JTensor, convert, from_pb, quote_non_finite};

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

/// Parses a conformance file.
pub fn load_cases(text: &str) -> Result<Vec<Case>, String> {
    // Parsed with IEEE subnormals: `gradd` runs with denormals flushed, which would read a
    // recorded float64 input such as 1e-310 as 0.
    let doc: J = crate::kernels::with_ieee_denormals(|| serde_json::from_str(&quote_non_finite(text)))
        .map_err(|e| format!("bad JSON: {e}"))?;
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
    use super::{close, load_cases};

    /// `gradd` flushes denormals on every thread; the file's subnormal float64 inputs must
    /// still load exactly (parsing multiplies by powers of ten, which a flushing thread would
    /// round to 0). The flush stays on this test's own thread.
    #[test]
    fn subnormal_inputs_load_exactly_on_a_flushing_thread() {
        crate::kernels::flush_denormals();
        let text = r#"{"cases": [{"name": "c", "steps": [{"constant": "x", "value":
            {"dtype": "float64", "shape": [2], "values": [1e-310, -4.9e-324]}}]}]}"#;
        let cases = load_cases(text).expect("loads");
        let values = cases[0].steps[0]["value"]["values"]
            .as_array()
            .expect("values")
            .clone();
        let bits: Vec<u64> = values
            .iter()
            .map(|v| v.as_f64().expect("number").to_bits())
            .collect();
        assert_eq!(bits, vec![1e-310f64.to_bits(), (-4.9e-324f64).to_bits()]);
    }

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
