//! The `gradd` binary's own surface: `serve --help` documents every limit and its default,
//! JSON logs carry a span per Run with the session id, and subnormal floats are flushed to zero
//! as in TensorFlow.

mod common;
mod prod;

use common::*;
use gradd::proto::gradd_client::GraddClient;

#[test]
fn serve_help_documents_every_limit_and_its_default() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gradd"))
        .args(["serve", "--help"])
        .env_remove("GRADD_ADDR")
        .output()
        .expect("run gradd serve --help");
    let help = String::from_utf8_lossy(&out.stdout);
    let flags = [
        "--max-sessions ",
        "--max-sessions-per-principal",
        "--session-memory-bytes",
        "--max-tensor-elements",
        "--max-steps",
        "--max-message-bytes",
        "--max-response-bytes",
        "--max-concurrent-requests",
        "--max-concurrent-streams",
        "--session-ttl",
        "--max-session-ttl",
        "--grace-period",
        "--busy-poll",
    ];
    // clap prints each option as a block: the flag line, its doc, then `[env: ..] [default: ..]`.
    let blocks: Vec<&str> = help.split("\n      --").collect();
    for f in flags {
        let name = f.trim().trim_start_matches("--");
        let block = blocks
            .iter()
            .find(|b| b.starts_with(&format!("{name} ")) || b.starts_with(&format!("{name}\n")))
            .unwrap_or_else(|| panic!("{f} missing from serve --help:\n{help}"));
        assert!(
            block.contains("[default: "),
            "{f} has no default in serve --help: {block}"
        );
        assert!(
            block.contains("[env: GRADD_"),
            "{f} has no GRADD_* variable: {block}"
        );
    }
}

#[tokio::test]
async fn json_logs_carry_a_span_per_run_with_the_session_id() {
    let mut child = prod::spawn_gradd(&["--log", "gradd=debug"], None).await;
    let mut c = GraddClient::connect(format!("http://{}", child.addr))
        .await
        .expect("connect");
    let sid = new_session(&mut c).await;
    c.run(run_req(&sid, seed_cell())).await.expect("run");
    prod::sigterm(&child.child);
    let status = child.child.wait().await.expect("wait");
    assert!(status.success(), "gradd exited with {status}");
    let lines = child.log.await.expect("log task");
    let run_line = lines
        .iter()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v["fields"]["message"] == "run finished")
        .unwrap_or_else(|| panic!("no `run finished` event in {lines:#?}"));
    assert_eq!(run_line["span"]["name"], "run", "{run_line}");
    assert_eq!(run_line["span"]["session"], sid.as_str(), "{run_line}");
}

/// Logging never stalls requests: with stderr a pipe nobody reads (full after 64 KiB), a
/// server that logs every Run at debug level keeps answering. With blocking writes to stderr
/// the runtime's workers would hang in `write` once the pipe filled.
#[tokio::test]
async fn an_unread_stderr_does_not_stall_requests() {
    use tokio::io::AsyncBufReadExt;
    let mut cmd = prod::gradd_cmd();
    cmd.args([
        "serve",
        "--addr",
        "127.0.0.1:0",
        "--log-format",
        "json",
        "--log",
        "gradd=debug",
    ]);
    let mut child = cmd.spawn().expect("spawn gradd");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = tokio::io::BufReader::new(stderr).lines();
    let addr = loop {
        let line = tokio::time::timeout(std::time::Duration::from_secs(60), lines.next_line())
            .await
            .expect("gradd did not log its address within 60 s")
            .expect("read stderr")
            .expect("gradd exited before listening");
        if line.contains("gradd listening") {
            let v: serde_json::Value = serde_json::from_str(&line).expect("json log line");
            break v["fields"]["addr"].as_str().expect("addr field").to_string();
        }
    };
    // From here on nobody reads the pipe (`lines` keeps it open): a few hundred Runs fill it.
    let mut c = GraddClient::connect(format!("http://{addr}"))
        .await
        .expect("connect");
    let runs = async {
        for _ in 0..2000 {
            c.run(run_req("", seed_cell())).await.expect("run");
        }
    };
    let done = tokio::time::timeout(std::time::Duration::from_secs(60), runs).await;
    assert!(done.is_ok(), "Runs stalled behind a full stderr pipe");
    child.kill().await.expect("kill gradd");
    drop(lines);
}

/// Op names a client makes up are counted as `unknown_op`, so they cannot grow the metrics'
/// label set (and the server's memory) without bound.
#[tokio::test]
async fn made_up_op_names_do_not_become_metric_labels() {
    let server = prod::Server::start_with_metrics(gradd::service::ServiceConfig::default()).await;
    let mut c = server.client().await;
    let sid = new_session(&mut c).await;
    for name in ["Bogus1", "Bogus2"] {
        let steps = vec![constant("a", f32_tensor(&[1], &[1.0])), op(name, &["a"], &["y"])];
        assert!(c.run(run_req(&sid, steps)).await.is_err());
    }
    c.run(run_req(&sid, vec![op("Exp", &["a"], &["e"])]))
        .await
        .expect("run");
    let text = server.metrics().await;
    assert!(!text.contains("Bogus"), "{text}");
    assert!(text.contains("gradd_steps_total{op=\"unknown_op\"} 2"), "{text}");
    assert!(text.contains("gradd_steps_total{op=\"Exp\"} 1"), "{text}");
    server.stop().await;
}

/// `gradd` flushes subnormal floats to zero on every thread as TensorFlow's kernels do
/// (`kernels::flush_denormals` in main): the TF-recorded cases with subnormal inputs in
/// tests/data/tf-denormals.json (scripts/tf_special_values.py, seeds 1 and 2, and Pow's from
/// seeds 1-7) all pass through the binary. Without the flush, 27 of them fail (sqrt of a
/// subnormal is 0 in TensorFlow, Relu's and Abs's gradients there are 0, 1/subnormal is inf,
/// ...); without Pow's lane rule (`ops::binary::float_pow`) and the runner's exact parse of
/// float64 subnormals, 9 of the 10 Pow cases do.
#[test]
fn the_binary_treats_subnormals_as_tensorflow_does() {
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/tf-denormals.json");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gradd"))
        .args(["conformance", file])
        .env_remove("GRADD_ADDR")
        .output()
        .expect("run gradd conformance");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout.lines().last().unwrap_or_default();
    let cases = stdout
        .lines()
        .filter(|l| l.starts_with("FAIL"))
        .collect::<Vec<_>>();
    assert!(
        out.status.success() && last.ends_with(" passed, 0 failed") && !last.starts_with("0 "),
        "{last}\n{}\nstderr: {}",
        cases.join("\n"),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// CPU time (user + system, in clock ticks) the process has used so far.
#[cfg(target_os = "linux")]
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("read /proc/PID/stat");
    // Fields after the command name (which is in parentheses and may hold spaces): utime and
    // stime are the 12th and 13th of them.
    let rest = stat.rsplit_once(')').expect("stat has a command name").1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    f[11].parse::<u64>().expect("utime") + f[12].parse::<u64>().expect("stime")
}

/// `serve --busy-poll`: answers as the default server does, spins in the window after a
/// request, and sleeps when idle. The spin is read from `gradd_busy_poll_turns_total`: the
/// loop gives its core away on every turn (so on a loaded machine it may use little CPU), but
/// it turns throughout the window and not once while idle. Idle CPU is checked in ticks too:
/// a poller that never slept would use a whole core through the idle second (~100 ticks).
#[cfg(target_os = "linux")]
#[tokio::test]
async fn busy_polling_answers_alike_spins_after_requests_and_sleeps_when_idle() {
    use std::time::Duration;
    let reference = TestServer::start().await;
    let mut rc = reference.client().await;
    let rsid = new_session(&mut rc).await;
    let want = rc
        .run(run_req(&rsid, seed_cell()))
        .await
        .expect("run")
        .into_inner();
    reference.stop().await;

    let metrics_addr = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port");
    let metrics_arg = metrics_addr.to_string();
    let mut child = prod::spawn_gradd(&["--busy-poll", "500000", "--metrics-addr", &metrics_arg], None).await;
    let pid = child.child.id().expect("pid");
    let turns = || async {
        let text = prod::scrape(metrics_addr).await;
        (text.lines())
            .find_map(|l| l.strip_prefix("gradd_busy_poll_turns_total "))
            .and_then(|v| v.trim().parse::<u64>().ok())
            .unwrap_or_else(|| panic!("no gradd_busy_poll_turns_total in {text}"))
    };
    let mut c = GraddClient::connect(format!("http://{}", child.addr))
        .await
        .expect("connect");
    let sid = new_session(&mut c).await;
    let got = c.run(run_req(&sid, seed_cell())).await.expect("run").into_inner();
    assert_eq!(got.results, want.results);
    // Inside the half-second window after that Run: the poller turns.
    let t0 = turns().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let in_window = turns().await - t0;
    assert!(
        in_window >= 10,
        "{in_window} turns in the window: the poller did not spin"
    );
    // Past the window, with no requests: it sleeps.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (n1, ticks1) = (turns().await, cpu_ticks(pid));
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (idle_turns, idle_ticks) = (turns().await - n1, cpu_ticks(pid) - ticks1);
    assert_eq!(idle_turns, 0, "the poller kept turning through an idle second");
    assert!(
        idle_ticks <= 20,
        "{idle_ticks} ticks in an idle second: the server kept spinning"
    );
    // And a request wakes it for another window.
    c.keep_alive(gradd::proto::KeepAliveRequest {
        session_id: sid.clone(),
    })
    .await
    .expect("keep alive");
    let t2 = turns().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let again = turns().await - t2;
    assert!(
        again >= 10,
        "{again} turns after a KeepAlive: the poller did not wake"
    );
    prod::sigterm(&child.child);
    let status = child.child.wait().await.expect("wait");
    assert!(status.success(), "gradd exited with {status}");
}

/// `gradd health`: SERVING and exit 0 from a running server (the whole server and gradd's own
/// service), exit 1 with the reason for an unknown service and for no server at all.
// The server runs on this test's runtime while `gradd health` blocks a thread.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_reports_serving_and_fails_clearly_otherwise() {
    let server = TestServer::start().await;
    let health = |args: Vec<String>| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_gradd"))
            .arg("health")
            .args(args)
            .env_remove("GRADD_ADDR")
            .output()
            .expect("run gradd health");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).trim().to_string(),
            String::from_utf8_lossy(&out.stderr).trim().to_string(),
        )
    };
    let addr = server.addr.to_string();
    for service in ["", "gradd.v1.Gradd", "readiness"] {
        let (ok, out, err) = health(vec![
            "--addr".into(),
            addr.clone(),
            "--service".into(),
            service.into(),
        ]);
        assert!(ok && out == "SERVING", "{service:?}: {out} {err}");
    }
    let (ok, _, err) = health(vec![
        "--addr".into(),
        addr.clone(),
        "--service".into(),
        "nope".into(),
    ]);
    assert!(!ok && err.contains("NOT_FOUND"), "{err}");
    server.stop().await;
    let (ok, _, err) = health(vec![
        "--addr".into(),
        addr.clone(),
        "--timeout".into(),
        "2".into(),
    ]);
    assert!(!ok && err.contains(&format!("cannot connect to {addr}")), "{err}");
}
