//! How a Run executes: small steps on the thread that decoded the request, the rest of the
//! batch on the compute pool from the first step that might be heavy. Whichever path a step
//! takes, results and errors are the same; `OpStep.quiet` drops an op's result values.

mod common;
mod prod;

use common::*;
use gradd::proto as pb;
use gradd::service::ServiceConfig;
use prod::*;

fn cfg(inline: Option<usize>) -> ServiceConfig {
    ServiceConfig {
        inline_work: inline,
        ..ServiceConfig::default()
    }
}

/// The seed cell, then a step heavy enough for the pool (a 128x128 MatMul of a broadcast),
/// then small steps again, the heavy result reduced, and everything fetched.
fn mixed_steps() -> Vec<pb::Step> {
    let mut steps = seed_cell();
    steps.extend(slow_steps(128, 1));
    steps.extend([
        op("Mean", &["mm"], &["mm_mean"]),
        op("AddV2", &["loss", "mm_mean"], &["total"]),
        fetch(&["total", "mm_mean", "loss"]),
    ]);
    steps
}

async fn run(inline: Option<usize>, steps: Vec<pb::Step>) -> Result<pb::RunResponse, tonic::Status> {
    let server = Server::start(cfg(inline)).await;
    let mut c = server.client().await;
    let id = new_session(&mut c).await;
    c.run(run_req(&id, steps)).await.map(|r| r.into_inner())
}

#[tokio::test]
async fn inline_and_pool_runs_give_identical_results() {
    let pooled = run(None, mixed_steps()).await.expect("pool-only run");
    for inline in [
        Some(1),
        Some(gradd::service::DEFAULT_INLINE_WORK),
        Some(usize::MAX),
    ] {
        let got = run(inline, mixed_steps()).await.expect("inline run");
        assert_eq!(got.results, pooled.results, "inline_work {inline:?}");
    }
    let last = pooled.results.last().expect("results");
    let total = &last.values[0].tensor.as_ref().expect("total").float_val;
    let parts: Vec<f32> = last.values[1..]
        .iter()
        .map(|v| v.tensor.as_ref().expect("value").float_val[0])
        .collect();
    assert_eq!(total.len(), 1);
    assert!(
        (total[0] - (parts[0] + parts[1])).abs() < 1e-4,
        "{total:?} vs {parts:?}"
    );
}

#[tokio::test]
async fn a_failure_after_the_hand_off_names_the_same_step() {
    let mut steps = mixed_steps();
    let bad = steps.len();
    steps.push(op("MatMul", &["mm", "no_such_ref"], &["z"]));
    steps.push(fetch(&["loss"]));
    for inline in [None, Some(gradd::service::DEFAULT_INLINE_WORK)] {
        let err = run(inline, steps.clone()).await.expect_err("unknown ref");
        assert_eq!(err.code(), tonic::Code::NotFound, "{err:?}");
        assert!(
            err.message().starts_with(&format!("step {bad} (op MatMul -> z)")),
            "inline_work {inline:?}: {}",
            err.message()
        );
    }
}

#[tokio::test]
async fn quiet_op_steps_return_empty_results() {
    let mut steps = seed_cell();
    for s in steps.iter_mut() {
        if let Some(pb::step::Kind::Op(o)) = &mut s.kind
            && o.op != "Mean"
        {
            o.quiet = true;
        }
    }
    let resp = run(Some(gradd::service::DEFAULT_INLINE_WORK), steps.clone())
        .await
        .expect("run");
    for (s, r) in steps.iter().zip(&resp.results) {
        match &s.kind {
            Some(pb::step::Kind::Op(o)) if o.quiet => assert!(r.values.is_empty(), "{}", o.op),
            Some(pb::step::Kind::Op(o)) => {
                let t = r.values[0].tensor.as_ref().expect("shape of a loud op");
                assert!(t.shape.is_empty(), "Mean to a scalar");
                assert_eq!(r.values[0].r#ref, "loss", "{}", o.op);
            }
            _ => {}
        }
    }
    // The gradient (fetched) is unaffected.
    let g = &resp.results[10].values;
    assert_eq!(g.len(), 2);
    assert_eq!(g[0].tensor.as_ref().expect("dl_dw").shape, vec![3, 2]);
}
