//! `gradd bench` against a real server on port 0: every scenario completes its request budget
//! without errors, the percentiles are ordered, and the workers leave no session behind.

mod common;

use clap::Parser;
use common::TestServer;
use gradd::bench::{BenchArgs, Report, run};
use gradd::proto as pb;
use gradd::service::ServiceConfig;

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    bench: BenchArgs,
}

/// Parses the flags as `gradd bench` would (so the test also covers the CLI).
fn args(addr: std::net::SocketAddr, scenario: &str, extra: &[&str]) -> BenchArgs {
    let addr = addr.to_string();
    let mut argv = vec!["bench", "--addr", &addr, "--scenario", scenario];
    argv.extend_from_slice(extra);
    Cli::try_parse_from(argv).expect("bench flags").bench
}

/// Runs the bench against a real server (`serve` on port 0) that allows `room` sessions, then
/// checks through the API alone that the workers left none behind: `room` new sessions fit and
/// one more does not.
async fn bench_then_count_sessions(room: usize, scenario: &str, extra: &[&str]) -> Report {
    let mut cfg = ServiceConfig::default();
    cfg.store.max_sessions = room;
    let server = TestServer::start_with(cfg).await;
    let report = run(args(server.addr, scenario, extra)).await.expect("bench run");
    let mut c = server.client().await;
    for i in 0..room {
        c.create_session(pb::CreateSessionRequest::default())
            .await
            .unwrap_or_else(|e| panic!("session {i} of {room} after {scenario}: {e}"));
    }
    let over = c.create_session(pb::CreateSessionRequest::default()).await;
    assert_eq!(
        over.map(drop).map_err(|e| e.code()),
        Err(tonic::Code::ResourceExhausted)
    );
    server.stop().await;
    report
}

fn assert_clean(r: &Report, requests: u64) {
    assert!(
        r.errors.is_empty(),
        "errors: {:?} {:?}",
        r.errors,
        r.error_samples
    );
    assert_eq!(r.failed_workers, 0);
    assert_eq!(r.requests, requests);
    assert_eq!(r.ok, requests);
    let l = &r.latency_ms;
    assert!(l.p50 <= l.p90 && l.p90 <= l.p99 && l.p99 <= l.max, "{l:?}");
    assert!(l.mean <= l.max, "{l:?}");
}

const SMALL: &[&str] = &["--concurrency", "4", "--requests", "200"];

/// `workers` workers send `requests` requests; the server has room for exactly one session per
/// worker (ephemeral and churn sessions count too), so a leak shows.
async fn check(scenario: &str, workers: usize, requests: u64, extra: &[&str]) {
    let (w, n) = (workers.to_string(), requests.to_string());
    let mut flags = vec!["--concurrency", &w, "--requests", &n];
    flags.extend_from_slice(extra);
    let report = bench_then_count_sessions(workers, scenario, &flags).await;
    assert_clean(&report, requests);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed() {
    check("seed", 4, 200, &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_ephemeral() {
    check("seed-ephemeral", 4, 200, &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn churn() {
    check("churn", 4, 200, &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keepalive_over_several_connections() {
    check("keepalive", 5, 200, &["--connections", "2"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mlp() {
    check("mlp", 2, 10, &[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paced_by_rps() {
    // 40 requests at 2000/s: a 20 ms schedule; latency is then measured from the due time.
    let flags = ["--concurrency", "2", "--requests", "40", "--rps", "2000"];
    let report = bench_then_count_sessions(2, "keepalive", &flags).await;
    assert_clean(&report, 40);
    assert_eq!(report.latency_from, "due");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bounded_by_duration() {
    let flags = ["--concurrency", "2", "--duration", "0.2"];
    let report = bench_then_count_sessions(2, "keepalive", &flags).await;
    assert_clean(&report, report.requests);
    assert_eq!(report.requests_limit, None);
    assert!(report.requests > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_without_a_session_count_an_error_and_stop() {
    // Room for 2 sessions and 4 workers: 2 setups fail, the other 2 serve the whole budget.
    let report = bench_then_count_sessions(2, "seed", SMALL).await;
    assert_eq!(report.failed_workers, 2);
    assert_eq!(
        report.errors.get("RESOURCE_EXHAUSTED"),
        Some(&2),
        "{:?}",
        report.errors
    );
    assert_eq!((report.requests, report.ok), (200, 200));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_server_is_an_error() {
    // Nothing listens on the port: connecting fails, the one fatal case.
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = l.local_addr().expect("addr");
    drop(l);
    assert!(run(args(addr, "keepalive", SMALL)).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health() {
    let server = TestServer::start().await;
    let report = run(args(server.addr, "health", SMALL)).await.expect("bench run");
    server.stop().await;
    assert_clean(&report, 200);
}
