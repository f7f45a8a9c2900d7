//! Every server limit answers RESOURCE_EXHAUSTED with a message naming the limit, and leaves
//! the server (and the session, where there is one) usable: sessions (global and per
//! principal), the per-session memory budget (tapes' saved tensors included), tensor
//! elements, steps per Run, load shedding, HTTP/2 streams per connection, and server-side
//! tensors too large to allocate.

mod common;
mod prod;

use common::*;
use gradd::proto as pb;
use gradd::service::ServiceConfig;
use gradd::service::auth::Tokens;
use prod::*;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tonic::Code;

#[tokio::test]
async fn global_session_limit_is_resource_exhausted() {
    let mut cfg = ServiceConfig::default();
    cfg.store.max_sessions = 2;
    let server = Server::start(cfg).await;
    let mut c = server.client().await;
    let a = new_session(&mut c).await;
    let _b = new_session(&mut c).await;
    let err = c
        .create_session(pb::CreateSessionRequest::default())
        .await
        .expect_err("third session");
    assert_eq!(err.code(), Code::ResourceExhausted, "{}", err.message());
    assert!(
        err.message().contains("too many sessions (2 of 2)"),
        "{}",
        err.message()
    );
    // An ephemeral Run needs a session too.
    let err = c
        .run(run_req("", probe_steps()))
        .await
        .expect_err("ephemeral run");
    assert_eq!(err.code(), Code::ResourceExhausted, "{}", err.message());
    // Existing sessions work; deleting one makes room.
    c.run(run_req(&a, probe_steps()))
        .await
        .expect("existing session works");
    let del = c
        .delete_session(pb::DeleteSessionRequest { session_id: a })
        .await
        .expect("delete")
        .into_inner();
    assert!(del.deleted);
    new_session(&mut c).await;
    server.stop().await;
}

#[tokio::test]
async fn per_principal_session_limit_leaves_other_principals_alone() {
    let mut cfg = ServiceConfig::default();
    cfg.store.max_sessions_per_principal = 2;
    cfg.tokens = Some(Arc::new(
        Tokens::parse("alice:token-alice-1,bob:token-bob-1").expect("tokens"),
    ));
    let server = Server::start(cfg).await;
    let mut c = server.client().await;
    let create = || pb::CreateSessionRequest::default();
    for _ in 0..2 {
        c.create_session(bearer(create(), "token-alice-1"))
            .await
            .expect("alice creates");
    }
    let err = c
        .create_session(bearer(create(), "token-alice-1"))
        .await
        .expect_err("alice over her limit");
    assert_eq!(err.code(), Code::ResourceExhausted, "{}", err.message());
    assert!(
        err.message().contains("principal \"alice\" has 2 sessions"),
        "{}",
        err.message()
    );
    assert!(err.message().contains("the limit is 2"), "{}", err.message());
    let bob = c
        .create_session(bearer(create(), "token-bob-1"))
        .await
        .expect("bob is under his own limit")
        .into_inner();
    let ok = c
        .run(bearer(run_req(&bob.session_id, probe_steps()), "token-bob-1"))
        .await
        .expect("bob runs")
        .into_inner();
    assert_eq!(probe_value(&ok), Some(vec![7.0]));
    server.stop().await;
}

fn floats(n: usize) -> pb::Tensor {
    f32_tensor(&[n as i64], &vec![0.5; n])
}

#[tokio::test]
async fn session_memory_budget_is_enforced_and_release_frees_at_once() {
    let mut cfg = ServiceConfig::default();
    cfg.store.session_memory_bytes = 4096;
    let server = Server::start(cfg).await;
    let mut c = server.client().await;
    let sid = new_session(&mut c).await;

    let err = c
        .run(run_req(&sid, vec![constant("huge", floats(2000))]))
        .await
        .expect_err("8000 bytes in a 4096-byte budget");
    assert_eq!(err.code(), Code::ResourceExhausted, "{}", err.message());
    assert!(
        err.message().starts_with("step 0 (constant huge)"),
        "{}",
        err.message()
    );
    assert!(
        err.message().contains("memory budget exceeded"),
        "{}",
        err.message()
    );
    assert!(err.message().contains("budget 4096"), "{}", err.message());
    assert_eq!(
        session_bytes(&mut c, &sid).await,
        0,
        "the failed step's output was released"
    );

    c.run(run_req(&sid, vec![constant("a", floats(600))]))
        .await
        .expect("2400 bytes fit");
    assert_eq!(session_bytes(&mut c, &sid).await, 2400);
    let err = c
        .run(run_req(&sid, vec![constant("b", floats(600))]))
        .await
        .expect_err("4800 bytes do not");
    assert_eq!(err.code(), Code::ResourceExhausted, "{}", err.message());
    assert!(err.message().contains("4800 bytes"), "{}", err.message());
    assert_eq!(session_bytes(&mut c, &sid).await, 2400, "b was released, a kept");

    c.run(run_req(&sid, vec![release(&["a"], &[])]))
        .await
        .expect("release");
    assert_eq!(session_bytes(&mut c, &sid).await, 0, "released at once");
    c.run(run_req(&sid, vec![constant("b", floats(600)), fetch(&["b"])]))
        .await
        .expect("b fits now");
    assert_eq!(session_bytes(&mut c, &sid).await, 2400);
    server.stop().await;
}

#[tokio::test]
async fn a_tapes_saved_tensors_count_until_the_tape_is_released() {
    let server = Server::start(ServiceConfig::default()).await;
    let mut c = server.client().await;
    let sid = new_session(&mut c).await;
    c.run(run_req(&sid, vec![constant("x", floats(100))]))
        .await
        .expect("x");
    assert_eq!(session_bytes(&mut c, &sid).await, 400);
    let steps = vec![
        tape("p", true),
        watch("p", &["x"]),
        op("Square", &["x"], &["y"]),
        op("Exp", &["y"], &["z"]),
        stop("p"),
        release(&["y", "z"], &[]),
    ];
    c.run(run_req(&sid, steps)).await.expect("record");
    let s = c
        .get_session(pb::GetSessionRequest {
            session_id: sid.clone(),
        })
        .await
        .expect("get")
        .into_inner();
    assert_eq!((s.refs, s.tapes), (1, 1));
    assert!(
        s.bytes >= 800,
        "the persistent tape holds y (and/or z) for its gradients: {} bytes",
        s.bytes
    );
    c.run(run_req(&sid, vec![release(&[], &["p"])]))
        .await
        .expect("release tape");
    let s = c
        .get_session(pb::GetSessionRequest { session_id: sid })
        .await
        .expect("get")
        .into_inner();
    assert_eq!((s.refs, s.tapes, s.bytes), (1, 0, 400));
    server.stop().await;
}

#[tokio::test]
async fn tensor_element_limit_is_resource_exhausted() {
    let cfg = ServiceConfig {
        max_tensor_elements: 1000,
        ..ServiceConfig::default()
    };
    let server = Server::start(cfg).await;
    let mut c = server.client().await;
    let sid = new_session(&mut c).await;
    let err = c
        .run(run_req(&sid, vec![constant("a", floats(1001))]))
        .await
        .expect_err("1001 elements");
    assert_eq!(err.code(), Code::ResourceExhausted, "{}", err.message());
    assert!(
        err.message().contains("exceeds the limit of 1000 elements"),
        "{}",
        err.message()
    );
    // A shape that claims 2^40 elements is refused before anything is allocated.
    let claim = f32_tensor(&[1 << 20, 1 << 20], &[]);
    let err = c
        .run(run_req(&sid, vec![variable("v", claim)]))
        .await
        .expect_err("2^40 elements");
    assert_eq!(err.code(), Code::ResourceExhausted, "{}", err.message());
    assert!(err.message().contains("[1048576, 1048576]"), "{}", err.message());
    let ok = c
        .run(run_req(&sid, vec![constant("a", floats(1000)), fetch(&["a"])]))
        .await
        .expect("1000 elements are fine")
        .into_inner();
    assert_eq!(probe_value(&ok).map(|v| v.len()), Some(1000));
    server.stop().await;
}

#[tokio::test]
async fn steps_per_run_limit_is_resource_exhausted_on_run_and_stream() {
    let cfg = ServiceConfig {
        max_steps_per_run: 10,
        ..ServiceConfig::default()
    };
    let server = Server::start(cfg).await;
    let mut c = server.client().await;
    let sid = new_session(&mut c).await;
    let eleven: Vec<pb::Step> = (0..11).map(|i| constant(&format!("c{i}"), floats(1))).collect();
    let err = c.run(run_req(&sid, eleven.clone())).await.expect_err("11 steps");
    assert_eq!(err.code(), Code::ResourceExhausted, "{}", err.message());
    assert!(
        err.message()
            .contains("11 steps in one request exceed the limit of 10"),
        "{}",
        err.message()
    );
    // Refused as a whole: not even step 0 ran.
    let err = c
        .run(run_req(&sid, vec![fetch(&["c0"])]))
        .await
        .expect_err("c0 never bound");
    assert_eq!(err.code(), Code::NotFound, "{}", err.message());
    c.run(run_req(&sid, eleven[..10].to_vec()))
        .await
        .expect("10 steps are fine");

    let (tx, rx) = tokio::sync::mpsc::channel(4);
    let mut out = c
        .run_stream(tokio_stream::wrappers::ReceiverStream::new(rx))
        .await
        .expect("stream")
        .into_inner();
    tx.send(run_req(&sid, eleven)).await.expect("send");
    let r = out.message().await.expect("reply").expect("a reply");
    let e = r.error.expect("error on the stream");
    assert_eq!(e.code, Code::ResourceExhausted as i32);
    assert!(e.message.contains("exceed the limit of 10"), "{}", e.message);
    tx.send(run_req(&sid, probe_steps())).await.expect("send");
    let r = out
        .message()
        .await
        .expect("reply")
        .expect("the stream stays open");
    assert!(r.error.is_none(), "{:?}", r.error);
    assert_eq!(probe_value(&r), Some(vec![7.0]));
    server.stop().await;
}

/// With one permit, two Runs whose lifetimes overlap cannot both run: the later one is shed
/// at once with RESOURCE_EXHAUSTED. The slow Run holds its permit for its whole execution
/// (20 512x512 MatMuls: seconds in a debug build), and the loop keeps sending cheap Runs until
/// the slow one has returned, so their lifetimes overlap whatever the scheduling; whichever
/// arrives second is shed (usually the cheap ones, possibly the slow one if a cheap one held
/// the permit at that instant). Hence: at least one RESOURCE_EXHAUSTED, and no other error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_is_shed_beyond_the_concurrency_limit() {
    let cfg = ServiceConfig {
        max_concurrent_requests: 1,
        ..ServiceConfig::default()
    };
    let server = Server::start(cfg).await;
    let mut slow_client = server.client().await;
    let mut c = server.client().await;
    let slow = tokio::spawn(async move { slow_client.run(run_req("", slow_steps(512, 20))).await });
    let (mut shed, mut served) = (0usize, 0usize);
    let mut check = |r: Result<tonic::Response<pb::RunResponse>, tonic::Status>| match r {
        Ok(_) => served += 1,
        Err(e) => {
            assert_eq!(e.code(), Code::ResourceExhausted, "{}", e.message());
            assert!(e.message().contains("server busy"), "{}", e.message());
            assert!(e.message().contains("the limit"), "{}", e.message());
            shed += 1;
        }
    };
    while !slow.is_finished() {
        check(c.run(run_req("", probe_steps())).await);
    }
    check(slow.await.expect("slow task"));
    assert!(shed >= 1, "nothing was shed ({served} served)");
    // Once idle, requests are served again.
    let ok = c
        .run(run_req("", probe_steps()))
        .await
        .expect("served")
        .into_inner();
    assert_eq!(probe_value(&ok), Some(vec![7.0]));
    server.stop().await;
}

/// A Run abandoned at its deadline keeps computing until its current step ends (a step is
/// not interruptible), so it must keep its concurrency permit until then; otherwise clients
/// with tiny deadlines get unbounded compute past `max_concurrent_requests`. Here the
/// abandoned step is one 1536x1536 MatMul (seconds in a debug build), and the next request is
/// sent as soon as the deadline answer arrives (tens of milliseconds).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_abandoned_at_its_deadline_keeps_its_permit_while_it_computes() {
    let cfg = ServiceConfig {
        max_concurrent_requests: 1,
        ..ServiceConfig::default()
    };
    let server = Server::start(cfg).await;
    let mut c = server.client().await;
    let sid = new_session(&mut c).await;
    // A MatMul that outlasts the 50 ms deadline many times over, so the probe below arrives
    // while the abandoned one still holds the permit: 3072^3 multiply-adds (58 GFLOP) with an
    // optimized build, 1536^3 without (already seconds there, and the test suite runs so).
    let dim = if cfg!(debug_assertions) { 1536 } else { 3072 };
    let mut prep = slow_steps(dim, 0);
    prep.push(fetch(&["one"]));
    c.run(run_req(&sid, prep))
        .await
        .expect("prepare the square matrix");

    let mut plain = plain_h2_client(server.addr).await;
    let mut req = tonic::Request::new(run_req(&sid, vec![op("MatMul", &["m", "m"], &["mm"])]));
    req.set_timeout(Duration::from_millis(50));
    let err = plain.run(req).await.expect_err("deadline");
    assert_eq!(err.code(), Code::DeadlineExceeded, "{}", err.message());

    let res = c.run(run_req("", probe_steps())).await;
    let code = res.as_ref().err().map(|e| e.code());
    assert_eq!(
        code,
        Some(Code::ResourceExhausted),
        "served while the abandoned MatMul runs: {res:?}"
    );
    server.stop().await;
}

// ------------------------------------------------------------------------------------------
// HTTP/2 streams per connection, seen on the wire: a hand-written HTTP/2 client reads the
// server's SETTINGS and opens two streams at once on one connection.

fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let n = payload.len() as u32;
    let mut f = vec![(n >> 16) as u8, (n >> 8) as u8, n as u8, kind, flags];
    f.extend_from_slice(&stream.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

/// A request HEADERS block of HPACK literals without indexing (names and values < 127 bytes).
fn request_headers(path: &str) -> Vec<u8> {
    let mut b = Vec::new();
    for (k, v) in [
        (":method", "POST"),
        (":scheme", "http"),
        (":path", path),
        (":authority", "localhost"),
        ("content-type", "application/grpc"),
        ("te", "trailers"),
    ] {
        b.push(0x00);
        b.push(k.len() as u8);
        b.extend_from_slice(k.as_bytes());
        b.push(v.len() as u8);
        b.extend_from_slice(v.as_bytes());
    }
    b
}

async fn read_frame(s: &mut tokio::net::TcpStream) -> (u8, u8, u32, Vec<u8>) {
    let mut h = [0u8; 9];
    s.read_exact(&mut h).await.expect("frame header");
    let len = (h[0] as usize) << 16 | (h[1] as usize) << 8 | h[2] as usize;
    let stream = u32::from_be_bytes([h[5], h[6], h[7], h[8]]) & 0x7fff_ffff;
    let mut p = vec![0u8; len];
    s.read_exact(&mut p).await.expect("frame payload");
    (h[3], h[4], stream, p)
}

const SETTINGS: u8 = 0x4;
const HEADERS: u8 = 0x1;
const RST_STREAM: u8 = 0x3;
const GOAWAY: u8 = 0x7;
const END_HEADERS: u8 = 0x4;
const REFUSED_STREAM: u32 = 0x7;

#[tokio::test]
async fn stream_limit_is_advertised_and_a_second_stream_is_refused() {
    let cfg = ServiceConfig {
        max_concurrent_streams: 1,
        ..ServiceConfig::default()
    };
    let server = Server::start(cfg).await;
    let mut s = tokio::net::TcpStream::connect(server.addr)
        .await
        .expect("connect");
    let mut hello = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    hello.extend(frame(SETTINGS, 0, 0, &[]));
    s.write_all(&hello).await.expect("preface");

    let wire = async {
        // The server's SETTINGS advertise SETTINGS_MAX_CONCURRENT_STREAMS (0x3) = 1.
        let settings = loop {
            let (kind, flags, _, p) = read_frame(&mut s).await;
            if kind == SETTINGS && flags & 1 == 0 {
                break p;
            }
        };
        let max = settings
            .chunks_exact(6)
            .find(|e| u16::from_be_bytes([e[0], e[1]]) == 0x3)
            .map(|e| u32::from_be_bytes([e[2], e[3], e[4], e[5]]));
        assert_eq!(max, Some(1), "SETTINGS {settings:?}");
        let mut out = frame(SETTINGS, 1, 0, &[]);
        out.extend(frame(
            HEADERS,
            END_HEADERS,
            1,
            &request_headers("/gradd.v1.Gradd/RunStream"),
        ));
        out.extend(frame(
            HEADERS,
            END_HEADERS,
            3,
            &request_headers("/grpc.health.v1.Health/Check"),
        ));
        s.write_all(&out).await.expect("two streams");
        // Stream 1 is open (its call is running); stream 3 is over the limit.
        loop {
            let (kind, _, stream, p) = read_frame(&mut s).await;
            assert_ne!(kind, GOAWAY, "connection-level error: {p:?}");
            if kind == RST_STREAM {
                assert_eq!(stream, 3, "only the second stream is refused");
                let code = u32::from_be_bytes([p[0], p[1], p[2], p[3]]);
                assert_eq!(code, REFUSED_STREAM);
                return;
            }
        }
    };
    // The bound only turns a hang into a failure.
    tokio::time::timeout(Duration::from_secs(30), wire)
        .await
        .expect("no RST_STREAM within 30 s");
    drop(s);
    server.stop().await;
}

/// tonic's client honours the advertised limit: a unary call on the same channel as an open
/// RunStream waits (it is not refused) and completes once the stream is closed. That it has
/// not reached the server while the stream is open is checked after one more stream round
/// trip: if the limit were not applied the call would normally have arrived by then (so this
/// part could miss a regression, but it cannot fail when the limit works).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_call_on_a_saturated_connection_waits_for_the_stream() {
    let cfg = ServiceConfig {
        max_concurrent_streams: 1,
        ..ServiceConfig::default()
    };
    let server = Server::start_with_metrics(cfg).await;
    let mut c = server.client().await;
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    let mut out = c
        .run_stream(tokio_stream::wrappers::ReceiverStream::new(rx))
        .await
        .expect("stream")
        .into_inner();
    tx.send(run_req("", probe_steps())).await.expect("send");
    let first = out.message().await.expect("reply").expect("a reply");
    let sid = first.session_id.clone();

    let mut c2 = c.clone();
    let queued = tokio::spawn(async move {
        c2.create_session(pb::CreateSessionRequest {
            session_id: "queued".into(),
            ttl_seconds: 0,
        })
        .await
    });
    tx.send(run_req("", vec![fetch(&["probe"])])).await.expect("send");
    let second = out.message().await.expect("reply").expect("a reply");
    assert_eq!(probe_value(&second), Some(vec![7.0]));
    let started = "grpc_server_started_total{grpc_type=\"unary\",grpc_service=\"gradd.v1.Gradd\",grpc_method=\"CreateSession\"}";
    assert_eq!(
        sample(&server.metrics().await, started),
        None,
        "the call went past the limit"
    );
    assert!(!queued.is_finished());

    drop(tx);
    assert!(out.message().await.expect("clean end").is_none());
    let s = queued
        .await
        .expect("task")
        .expect("the queued call succeeds")
        .into_inner();
    assert_eq!(s.session_id, "queued");
    let err = c
        .get_session(pb::GetSessionRequest { session_id: sid })
        .await
        .expect_err("the stream's session ended with it");
    assert_eq!(err.code(), Code::NotFound);
    server.stop().await;
}

/// Asks a fresh `gradd` child (under `ulimit -v` 4 GiB, so that an attempt to allocate fails
/// instead of exhausting the machine) to run `steps`; returns None if the answer was
/// RESOURCE_EXHAUSTED and the server kept serving, else what went wrong.
async fn huge_output_case(steps: Vec<pb::Step>) -> Option<String> {
    let mut child = spawn_gradd(&[], Some(4 << 20)).await;
    let mut c = pb::gradd_client::GraddClient::connect(format!("http://{}", child.addr))
        .await
        .expect("connect");
    let res = c.run(run_req("", steps)).await;
    let served = c.run(run_req("", probe_steps())).await;
    drop(c);
    let problem = match (&res, &served) {
        (Err(e), Ok(_)) if e.code() == Code::ResourceExhausted => None,
        _ => Some(format!("answer {res:?}; afterwards {served:?}")),
    };
    if child.child.try_wait().expect("try_wait").is_none() {
        sigterm(&child.child);
    }
    let status = tokio::time::timeout(Duration::from_secs(60), child.child.wait())
        .await
        .expect("exit")
        .expect("wait");
    let log = child.log.await.unwrap_or_default();
    match problem {
        None if status.success() => None,
        p => Some(format!(
            "{}; exit {status:?}; last log lines {:?}",
            p.unwrap_or_default(),
            &log[log.len().saturating_sub(2)..]
        )),
    }
}

/// An op whose output is far larger than anything a session may hold (2^40 elements, 4 TiB
/// of float32, from a 1-element input and one attr) must be refused with RESOURCE_EXHAUSTED
/// without trying to allocate it; the server must keep serving.
#[tokio::test]
async fn a_server_side_tensor_too_large_to_allocate_is_resource_exhausted() {
    let one = || constant("one", f32_tensor(&[1, 1], &[1.0]));
    let big = 1i64 << 20;
    let idx = pb::Tensor {
        dtype: pb::DType::DtypeInt32 as i32,
        shape: vec![1],
        int_val: vec![0],
        ..Default::default()
    };
    let cases = [
        (
            "BroadcastTo",
            vec![
                one(),
                op_with(
                    "BroadcastTo",
                    &["one"],
                    &["h"],
                    &[("shape", ints_attr(&[big, big]))],
                ),
            ],
        ),
        (
            "Tile",
            vec![
                one(),
                op_with("Tile", &["one"], &["h"], &[("multiples", ints_attr(&[big, big]))]),
            ],
        ),
        (
            "Pad",
            vec![
                one(),
                op_with(
                    "Pad",
                    &["one"],
                    &["h"],
                    &[("paddings", ints_attr(&[0, big, 0, big]))],
                ),
            ],
        ),
        (
            "OneHot",
            vec![
                constant("i", idx),
                op_with("OneHot", &["i"], &["h"], &[("depth", int_attr(big * big))]),
            ],
        ),
    ];
    let mut failures = Vec::new();
    for (name, steps) in cases {
        if let Some(p) = huge_output_case(steps).await {
            failures.push(format!("{name}: {p}"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
