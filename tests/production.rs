//! The production gRPC surface: health, reflection, google.rpc error details, message size
//! limits, deadlines, graceful shutdown (in-process and the `gradd` binary) and metrics.
//! Limits are in `production_limits.rs`, session lifetime and chaos in `production_sessions.rs`,
//! auth and TLS in `production_security.rs`; the shared harness in `prod/mod.rs`.

mod common;
mod prod;

use common::*;
use gradd::proto as pb;
use gradd::service::ServiceConfig;
use prod::*;
use std::time::Duration;
use tonic::Code;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_types::StatusExt;

fn health_req(service: &str) -> HealthCheckRequest {
    HealthCheckRequest {
        service: service.into(),
    }
}

#[tokio::test]
async fn health_reports_serving_for_overall_readiness_and_liveness() {
    let server = Server::start(ServiceConfig::default()).await;
    let mut h = HealthClient::new(server.channel().await);
    for name in ["", "readiness", "liveness", "gradd.v1.Gradd"] {
        let st = h
            .check(health_req(name))
            .await
            .expect("health check")
            .into_inner();
        assert_eq!(st.status(), ServingStatus::Serving, "service {name:?}");
    }
    let err = h
        .check(health_req("no.such.Service"))
        .await
        .expect_err("unknown service");
    assert_eq!(err.code(), Code::NotFound, "{}", err.message());
    server.stop().await;
}

/// Lists services and asks for the file defining gradd.v1.Gradd; returns (services, file).
macro_rules! reflect {
    ($m:ident, $channel:expr) => {{
        use tonic_reflection::pb::$m::ServerReflectionRequest;
        use tonic_reflection::pb::$m::server_reflection_client::ServerReflectionClient;
        use tonic_reflection::pb::$m::server_reflection_request::MessageRequest;
        use tonic_reflection::pb::$m::server_reflection_response::MessageResponse;
        let mut c = ServerReflectionClient::new($channel);
        let reqs = vec![
            ServerReflectionRequest {
                host: String::new(),
                message_request: Some(MessageRequest::ListServices(String::new())),
            },
            ServerReflectionRequest {
                host: String::new(),
                message_request: Some(MessageRequest::FileContainingSymbol("gradd.v1.Gradd".into())),
            },
        ];
        let mut out = c
            .server_reflection_info(tokio_stream::iter(reqs))
            .await
            .expect("reflection call")
            .into_inner();
        let first = out.message().await.expect("first reply").expect("a reply");
        let services: Vec<String> = match first.message_response {
            Some(MessageResponse::ListServicesResponse(l)) => l.service.into_iter().map(|s| s.name).collect(),
            other => panic!("expected a service list, got {other:?}"),
        };
        let second = out.message().await.expect("second reply").expect("a reply");
        let files: Vec<Vec<u8>> = match second.message_response {
            Some(MessageResponse::FileDescriptorResponse(f)) => f.file_descriptor_proto,
            other => panic!("expected a file descriptor, got {other:?}"),
        };
        (services, files)
    }};
}

fn check_reflection(services: &[String], files: &[Vec<u8>]) {
    for want in ["gradd.v1.Gradd", "grpc.health.v1.Health"] {
        assert!(
            services.iter().any(|s| s == want),
            "{want} missing from {services:?}"
        );
    }
    // The serialized FileDescriptorProto names its file, its package and the service's methods.
    let file = files.first().expect("one file descriptor");
    let has = |needle: &str| file.windows(needle.len()).any(|w| w == needle.as_bytes());
    for needle in [
        "gradd/v1/gradd.proto",
        "gradd.v1",
        "Gradd",
        "RunStream",
        "CreateSession",
    ] {
        assert!(has(needle), "file descriptor lacks {needle:?}");
    }
}

#[tokio::test]
async fn reflection_v1_lists_services_and_finds_gradd() {
    let server = Server::start(ServiceConfig::default()).await;
    let (services, files) = reflect!(v1, server.channel().await);
    check_reflection(&services, &files);
    server.stop().await;
}

#[tokio::test]
async fn reflection_v1alpha_lists_services_and_finds_gradd() {
    let server = Server::start(ServiceConfig::default()).await;
    let (services, files) = reflect!(v1alpha, server.channel().await);
    check_reflection(&services, &files);
    server.stop().await;
}

#[tokio::test]
async fn bad_op_step_carries_error_info_and_a_field_violation() {
    let server = Server::start(ServiceConfig::default()).await;
    let mut c = server.client().await;
    let sid = new_session(&mut c).await;
    let steps = vec![
        constant("x", f32_tensor(&[2], &[1.0, 2.0])),
        op("Frobnicate", &["x"], &["y"]),
    ];
    let err = c.run(run_req(&sid, steps)).await.expect_err("unknown op");
    assert_eq!(err.code(), Code::InvalidArgument, "{}", err.message());
    assert!(
        err.message().starts_with("step 1 (op Frobnicate -> y)"),
        "{}",
        err.message()
    );
    assert!(err.message().contains("Frobnicate"), "{}", err.message());

    let d = err.get_error_details();
    let info = d.error_info().expect("ErrorInfo");
    assert_eq!(info.reason, "INVALID_ARGUMENT");
    assert_eq!(info.domain, "gradd.v1");
    assert_eq!(info.metadata.get("step_index").map(String::as_str), Some("1"));
    assert_eq!(info.metadata.get("step_kind").map(String::as_str), Some("op"));
    assert_eq!(
        info.metadata.get("ref").map(String::as_str),
        Some("Frobnicate -> y")
    );
    let br = d.bad_request().expect("BadRequest");
    assert_eq!(br.field_violations.len(), 1, "{:?}", br.field_violations);
    assert_eq!(br.field_violations[0].field, "steps[1].op");
    assert!(br.field_violations[0].description.contains("Frobnicate"));

    // The session still works and step 0 took effect.
    let ok = c
        .run(run_req(&sid, vec![fetch(&["x"])]))
        .await
        .expect("usable")
        .into_inner();
    assert_eq!(probe_value(&ok), Some(vec![1.0, 2.0]));
    server.stop().await;
}

#[tokio::test]
async fn unknown_session_carries_error_info() {
    let server = Server::start(ServiceConfig::default()).await;
    let mut c = server.client().await;
    let err = c
        .get_session(pb::GetSessionRequest {
            session_id: "ghost".into(),
        })
        .await
        .expect_err("no such session");
    assert_eq!(err.code(), Code::NotFound);
    assert!(err.message().contains("\"ghost\""), "{}", err.message());
    let d = err.get_error_details();
    let info = d.error_info().expect("ErrorInfo");
    assert_eq!(info.reason, "NOT_FOUND");
    assert_eq!(info.domain, "gradd.v1");
    assert!(d.bad_request().is_none(), "NOT_FOUND is not a field violation");
    server.stop().await;
}

#[tokio::test]
async fn oversized_request_is_resource_exhausted() {
    let cfg = ServiceConfig {
        max_message_bytes: 64 << 10,
        ..ServiceConfig::default()
    };
    let server = Server::start(cfg).await;
    let mut c = server.client().await;
    let sid = new_session(&mut c).await;
    // 32768 floats: 128 KiB of packed float_val, twice the limit.
    let big = constant("big", f32_tensor(&[32768], &vec![1.0; 32768]));
    let err = c.run(run_req(&sid, vec![big])).await.expect_err("too large");
    assert_eq!(err.code(), Code::ResourceExhausted, "{}", err.message());
    assert!(err.message().contains("too large"), "{}", err.message());
    assert!(
        err.message().contains("65536"),
        "names the limit: {}",
        err.message()
    );
    // The connection and the session are still fine.
    let ok = c
        .run(run_req(&sid, probe_steps()))
        .await
        .expect("usable")
        .into_inner();
    assert_eq!(probe_value(&ok), Some(vec![7.0]));
    server.stop().await;
}

#[tokio::test]
async fn oversized_response_is_resource_exhausted() {
    let cfg = ServiceConfig {
        max_response_bytes: 64 << 10,
        ..ServiceConfig::default()
    };
    let server = Server::start(cfg).await;
    let mut c = server.client().await;
    let sid = new_session(&mut c).await;
    // A 1-element request grows server-side to 100000 floats (400 KB to send back).
    let steps = vec![
        constant("one", f32_tensor(&[1], &[1.0])),
        op_with(
            "BroadcastTo",
            &["one"],
            &["big"],
            &[("shape", ints_attr(&[100_000]))],
        ),
        fetch(&["big"]),
    ];
    let err = c.run(run_req(&sid, steps)).await.expect_err("response too large");
    assert_eq!(err.code(), Code::ResourceExhausted, "{}", err.message());
    assert!(err.message().contains("response would be"), "{}", err.message());
    assert!(
        err.message().contains("65536"),
        "names the limit: {}",
        err.message()
    );
    // Not fetching it is fine: the tensor exists (shape only in the reply).
    let ok = c
        .run(run_req(&sid, vec![op("Identity", &["big"], &["same"])]))
        .await
        .expect("usable")
        .into_inner();
    let t = ok.results[0].values[0].tensor.as_ref().expect("shape");
    assert_eq!(t.shape, vec![100_000]);
    server.stop().await;
}

/// The proto: "RunStream puts the same information in RunResponse.error and keeps the stream
/// open". A reply too large to send is such a failure; the stream's own session (which lives
/// only as long as the stream) must survive it.
#[tokio::test]
async fn oversized_response_on_a_stream_is_in_band_and_the_stream_survives() {
    let cfg = ServiceConfig {
        max_response_bytes: 64 << 10,
        ..ServiceConfig::default()
    };
    let server = Server::start(cfg).await;
    let mut c = server.client().await;
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    let mut out = c
        .run_stream(tokio_stream::wrappers::ReceiverStream::new(rx))
        .await
        .expect("open stream")
        .into_inner();
    let steps = vec![
        constant("one", f32_tensor(&[1], &[1.0])),
        op_with(
            "BroadcastTo",
            &["one"],
            &["big"],
            &[("shape", ints_attr(&[100_000]))],
        ),
    ];
    tx.send(run_req("", steps)).await.expect("send");
    let first = out.message().await.expect("reply").expect("a reply");
    assert!(first.error.is_none(), "{:?}", first.error);

    tx.send(run_req("", vec![fetch(&["big"])])).await.expect("send");
    let second = out.message().await;
    let e = match &second {
        Ok(Some(r)) => r.error.clone(),
        _ => None,
    };
    let e = e.unwrap_or_else(|| panic!("expected an in-band error, got {second:?}"));
    assert_eq!(e.code, Code::ResourceExhausted as i32, "{}", e.message);
    assert!(e.message.contains("response would be"), "{}", e.message);

    tx.send(run_req("", vec![fetch(&["one"])])).await.expect("send");
    let third = out.message().await.expect("stream open").expect("a reply");
    assert!(third.error.is_none(), "{:?}", third.error);
    assert_eq!(third.session_id, first.session_id);
    assert_eq!(probe_value(&third), Some(vec![1.0]));
    drop(tx);
    server.stop().await;
}

/// A deadline covers the whole call, streams included: a RunStream whose `grpc-timeout`
/// passes while a batch computes ends with DEADLINE_EXCEEDED (as the stream's status, or
/// in-band), instead of running every step. Plain HTTP/2 client, as for the unary test.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_stream_honours_the_deadline() {
    let server = Server::start(ServiceConfig::default()).await;
    let mut plain = plain_h2_client(server.addr).await;
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    let mut req = tonic::Request::new(tokio_stream::wrappers::ReceiverStream::new(rx));
    req.set_timeout(Duration::from_millis(5));
    tx.send(run_req("", slow_steps(512, 30))).await.expect("send");
    let res = async {
        let mut out = plain.run_stream(req).await?.into_inner();
        out.message().await
    }
    .await;
    drop(tx);
    let code = match &res {
        Err(e) => Some(e.code()),
        Ok(Some(r)) => r.error.as_ref().map(|e| Code::from_i32(e.code)),
        Ok(None) => None,
    };
    assert_eq!(code, Some(Code::DeadlineExceeded), "{res:?}");
    server.stop().await;
}

/// tonic's own Channel enforces `grpc-timeout` on the client and reports CANCELLED ("Timeout
/// expired", tonic `Status::from_error`); the plain HTTP/2 client only sends the header, so
/// the code seen is the server's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_deadline_is_deadline_exceeded_and_the_session_survives() {
    let server = Server::start(ServiceConfig::default()).await;
    let mut c = server.client().await;
    let sid = new_session(&mut c).await;
    let mut plain = plain_h2_client(server.addr).await;
    let mut req = tonic::Request::new(run_req(&sid, slow_steps(512, 200)));
    req.set_timeout(Duration::from_millis(5));
    let err = plain
        .run(req)
        .await
        .expect_err("deadline passes long before 200 MatMuls");
    assert_eq!(err.code(), Code::DeadlineExceeded, "{}", err.message());
    assert!(err.message().contains("deadline"), "{}", err.message());
    // The server stops between steps; the session answers afterwards on both clients.
    let ok = c
        .run(run_req(&sid, probe_steps()))
        .await
        .expect("usable")
        .into_inner();
    assert_eq!(probe_value(&ok), Some(vec![7.0]));
    let ok = plain
        .run(run_req(&sid, probe_steps()))
        .await
        .expect("usable")
        .into_inner();
    assert_eq!(probe_value(&ok), Some(vec![7.0]));
    server.stop().await;
}

/// Waits on a health Watch stream until it reports `want`.
async fn watch_until(w: &mut tonic::Streaming<tonic_health::pb::HealthCheckResponse>, want: ServingStatus) {
    loop {
        let m = w.message().await.expect("watch").expect("watch ended early");
        if m.status() == want {
            return;
        }
    }
}

/// A RunStream is in flight (open, between requests) when the shutdown signal comes: the
/// health Watch flips to NOT_SERVING, the stream keeps working until the client closes it,
/// and then the server returns Ok. Every step is ordered by messages, no timing involved.
#[tokio::test]
async fn graceful_shutdown_lets_an_open_stream_finish() {
    let mut server = Server::start(ServiceConfig::default()).await;
    let ch = server.channel().await;
    let mut h = HealthClient::new(ch.clone());
    let mut w = h.watch(health_req("")).await.expect("watch").into_inner();
    watch_until(&mut w, ServingStatus::Serving).await;

    let mut c = pb::gradd_client::GraddClient::new(ch);
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    let mut out = c
        .run_stream(tokio_stream::wrappers::ReceiverStream::new(rx))
        .await
        .expect("open stream")
        .into_inner();
    tx.send(run_req("", seed_cell())).await.expect("send");
    let first = out.message().await.expect("reply").expect("a reply");
    assert!(first.error.is_none(), "{:?}", first.error);

    server.signal_shutdown();
    watch_until(&mut w, ServingStatus::NotServing).await;
    drop(w);

    tx.send(run_req("", vec![fetch(&["loss"])]))
        .await
        .expect("send after shutdown");
    let second = out
        .message()
        .await
        .expect("in-flight stream still served")
        .expect("reply");
    assert!(second.error.is_none(), "{:?}", second.error);
    assert_eq!(second.session_id, first.session_id);
    drop(tx);
    assert!(out.message().await.expect("clean end").is_none());
    server.join().await;
}

/// A stream still open when the grace period ends does not keep the server up: `serve`
/// returns Ok, and the connection is closed ("closing remaining connections"), so the
/// stream's next request fails and its session is gone.
#[tokio::test]
async fn grace_period_over_closes_remaining_connections() {
    let cfg = ServiceConfig {
        grace_period: Duration::from_secs(1),
        ..ServiceConfig::default()
    };
    let mut server = Server::start(cfg).await;
    let mut c = server.client().await;
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    let mut out = c
        .run_stream(tokio_stream::wrappers::ReceiverStream::new(rx))
        .await
        .expect("open stream")
        .into_inner();
    tx.send(run_req("", probe_steps())).await.expect("send");
    out.message().await.expect("reply").expect("a reply");
    server.signal_shutdown();
    tokio::time::timeout(Duration::from_secs(60), server.join())
        .await
        .expect("serve outlived its grace period by a minute");
    let _ = tx.send(run_req("", probe_steps())).await;
    let next = tokio::time::timeout(Duration::from_secs(60), out.message())
        .await
        .expect("the stream neither answered nor closed");
    assert!(
        !matches!(next, Ok(Some(_))),
        "the stream was still served after the server stopped: {next:?}"
    );
}

/// A slow unary Run that the server has started (seen in its metrics) when the signal
/// comes completes with OK, and the server then exits Ok. Whether the Run is still computing
/// at the signal depends on scheduling (it normally is: 30 512x512 MatMuls); the assertions
/// hold either way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_completes_an_in_flight_run() {
    let mut server = Server::start_with_metrics(ServiceConfig::default()).await;
    let ch = server.channel().await;
    let mut h = HealthClient::new(ch.clone());
    let mut w = h
        .watch(health_req("readiness"))
        .await
        .expect("watch")
        .into_inner();
    watch_until(&mut w, ServingStatus::Serving).await;
    let mut c = pb::gradd_client::GraddClient::new(ch);
    let run = tokio::spawn(async move { c.run(run_req("", slow_steps(512, 30))).await });
    let started =
        "grpc_server_started_total{grpc_type=\"unary\",grpc_service=\"gradd.v1.Gradd\",grpc_method=\"Run\"}";
    let addr = server.metrics_addr.expect("metrics");
    let seen = eventually(2000, Duration::from_millis(5), || async {
        sample(&scrape(addr).await, started) == Some(1.0)
    })
    .await;
    assert!(seen, "the Run never reached the server");

    server.signal_shutdown();
    watch_until(&mut w, ServingStatus::NotServing).await;
    drop(w);
    let resp = run
        .await
        .expect("run task")
        .expect("in-flight Run completes")
        .into_inner();
    assert_eq!(resp.results.len(), 32);
    server.join().await;
}

#[tokio::test]
async fn gradd_binary_exits_zero_on_sigterm() {
    let mut child = spawn_gradd(&[], None).await;
    let mut c = pb::gradd_client::GraddClient::connect(format!("http://{}", child.addr))
        .await
        .expect("connect");
    let resp = c
        .run(run_req("", seed_cell()))
        .await
        .expect("seed cell")
        .into_inner();
    assert_eq!(resp.results.len(), seed_cell().len());
    drop(c);
    sigterm(&child.child);
    let status = tokio::time::timeout(Duration::from_secs(60), child.child.wait())
        .await
        .expect("gradd did not exit within 60 s of SIGTERM")
        .expect("wait");
    let log = child.log.await.expect("log");
    assert!(status.success(), "exit {status:?}, log {log:#?}");
    assert!(log.iter().any(|l| l.contains("gradd stopped")), "{log:#?}");
}

#[tokio::test]
async fn gradd_binary_refuses_a_public_address_without_tokens() {
    let out = gradd_cmd()
        .args(["serve", "--addr", "0.0.0.0:0"])
        .output()
        .await
        .expect("run gradd");
    assert!(!out.status.success(), "must refuse to start");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--insecure"), "{err}");
    assert!(err.contains("without authentication"), "{err}");
}

#[tokio::test]
async fn metrics_expose_rpc_and_session_series() {
    let server = Server::start_with_metrics(ServiceConfig::default()).await;
    let mut c = server.client().await;
    let sid = new_session(&mut c).await;
    let mut steps = seed_cell();
    steps.push(tape("keep", true));
    c.run(run_req(&sid, steps)).await.expect("seed cell");
    let err = c
        .run(run_req(&sid, vec![op("Frobnicate", &["x"], &["y"])]))
        .await
        .expect_err("bad op");
    assert_eq!(err.code(), Code::InvalidArgument);

    let text = server.metrics().await;
    let lbl = |m: &str| format!("grpc_type=\"unary\",grpc_service=\"gradd.v1.Gradd\",grpc_method=\"{m}\"");
    assert_eq!(
        sample(&text, &format!("grpc_server_started_total{{{}}}", lbl("Run"))),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            &format!(
                "grpc_server_handled_total{{{},grpc_code=\"INVALID_ARGUMENT\"}}",
                lbl("Run")
            )
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            &format!("grpc_server_handled_total{{{},grpc_code=\"OK\"}}", lbl("Run"))
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            &format!(
                "grpc_server_handled_total{{{},grpc_code=\"OK\"}}",
                lbl("CreateSession")
            )
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            &format!(
                "grpc_server_handling_seconds_bucket{{{},le=\"+Inf\"}}",
                lbl("Run")
            )
        ),
        Some(2.0),
        "{text}"
    );
    assert!(text.contains("grpc_server_handling_seconds_bucket{"), "{text}");
    assert_eq!(sample(&text, "gradd_sessions"), Some(1.0), "{text}");
    let bytes = sample(&text, "gradd_session_bytes").expect("gradd_session_bytes");
    assert!(bytes > 0.0, "{text}");
    // The seed cell's tape was consumed by its gradient; "keep" is held.
    assert_eq!(sample(&text, "gradd_tapes"), Some(2.0), "{text}");
    assert_eq!(
        sample(&text, "gradd_steps_total{op=\"MatMul\"}"),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, "gradd_steps_total{op=\"unknown_op\"}"),
        Some(1.0),
        "{text}"
    );
    server.stop().await;
}

/// An op on input it cannot handle is INVALID_ARGUMENT, never a panic on a compute thread
/// (which the client would see as INTERNAL "step execution failed"). Found by
/// `tests/fuzz_run.rs`: ArgMax and GatherV2 index the axis of a scalar.
#[tokio::test]
async fn an_axis_op_on_a_scalar_is_invalid_argument_not_a_panic() {
    let server = Server::start(ServiceConfig::default()).await;
    let mut c = server.client().await;
    let sid = new_session(&mut c).await;
    let idx = pb::Tensor {
        dtype: pb::DType::DtypeInt32 as i32,
        shape: vec![1],
        int_val: vec![0],
        ..Default::default()
    };
    c.run(run_req(
        &sid,
        vec![constant("s", f32_tensor(&[], &[1.0])), constant("i", idx)],
    ))
    .await
    .expect("bind");
    let mut failures = Vec::new();
    for (name, inputs) in [("ArgMax", vec!["s"]), ("GatherV2", vec!["s", "i"])] {
        let res = c.run(run_req(&sid, vec![op(name, &inputs, &["out"])])).await;
        match res {
            Err(e)
                if e.code() == Code::InvalidArgument
                    && e.message().starts_with(&format!("step 0 (op {name}")) => {}
            other => failures.push(format!("{name}: {other:?}")),
        }
        let ok = c
            .run(run_req(&sid, probe_steps()))
            .await
            .expect("session usable")
            .into_inner();
        assert_eq!(probe_value(&ok), Some(vec![7.0]));
    }
    assert!(failures.is_empty(), "{failures:#?}");
    server.stop().await;
}
