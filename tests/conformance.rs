//! Every program of `../shared/conformance/tf-gradienttape.json` (answers recorded from
//! TensorFlow 2.21) replayed over gRPC against a real server, grouped by prefix, and the
//! programs of `tests/data/tf-pinned.json` (recorded the same way).

mod common;

use common::TestServer;
use gradd::conformance::{Case, load_cases, run_cases};

fn cases() -> Vec<Case> {
    let dir = std::env::var("GRADD_CONFORMANCE_DIR")
        .unwrap_or_else(|_| format!("{}/../shared/conformance", env!("CARGO_MANIFEST_DIR")));
    let path = format!("{dir}/tf-gradienttape.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    load_cases(&text).expect("parse conformance file")
}

async fn check_prefix(prefix: &str, at_least: usize) {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let report = run_cases(&mut client, &cases(), Some(prefix)).await;
    server.stop().await;
    assert!(report.failures.is_empty(), "{}", report.failures.join("\n"));
    assert!(
        report.passed >= at_least,
        "only {} cases ran for {prefix}",
        report.passed
    );
}

#[tokio::test]
async fn seed_cases_pass() {
    check_prefix("seed/", 5).await;
}

#[tokio::test]
async fn tape_cases_pass() {
    check_prefix("tape/", 21).await;
}

#[tokio::test]
async fn error_cases_pass() {
    check_prefix("error/", 3).await;
}

#[tokio::test]
async fn op_cases_pass() {
    check_prefix("op/", 139).await;
}

#[tokio::test]
async fn whole_file_passes() {
    check_prefix("", 168).await;
}

/// `tests/data/tf-pinned.json`: TensorFlow's answers (recorded by
/// `scripts/tf_pinned_cases.py`) for the differences the random generators once found, and
/// every op on integer and bool inputs.
#[tokio::test]
async fn pinned_tensorflow_answers_pass() {
    let path = format!("{}/tests/data/tf-pinned.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let cases = load_cases(&text).expect("parse pinned cases");
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let report = run_cases(&mut client, &cases, None).await;
    server.stop().await;
    assert!(report.failures.is_empty(), "{}", report.failures.join("\n"));
    assert!(report.passed >= 150, "only {} pinned cases ran", report.passed);
}
