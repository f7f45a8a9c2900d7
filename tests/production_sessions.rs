//! Session lifetime over gRPC: idle TTL expiry and the reaper, KeepAlive, a RunStream that
//! vanishes without half-closing, and a chaos run of 200 clients, half of which disappear.
//! Sleeps here only let time pass for a TTL or wait (bounded) for background work; no test
//! asserts a duration.

mod common;
mod prod;

use common::*;
use gradd::proto as pb;
use gradd::proto::gradd_client::GraddClient;
use gradd::service::ServiceConfig;
use prod::*;
use std::time::Duration;
use tonic::Code;
use tonic::transport::Channel;

async fn create_with_ttl(c: &mut GraddClient<Channel>, ttl: u32) -> String {
    c.create_session(pb::CreateSessionRequest {
        session_id: String::new(),
        ttl_seconds: ttl,
    })
    .await
    .expect("create")
    .into_inner()
    .session_id
}

/// GetSession renews the TTL, so it cannot be the poll; the metrics gauge (which does not
/// touch sessions) shows the reaper at work.
#[tokio::test]
async fn an_idle_session_expires_after_its_ttl() {
    let server = Server::start_with_metrics(ServiceConfig::default()).await;
    let mut c = server.client().await;
    let sid = create_with_ttl(&mut c, 1).await;
    c.run(run_req(&sid, seed_cell())).await.expect("seed cell");
    assert_eq!(sample(&server.metrics().await, "gradd_sessions"), Some(1.0));
    let addr = server.metrics_addr.expect("metrics");
    let reaped = eventually(100, Duration::from_millis(100), || async {
        sample(&scrape(addr).await, "gradd_sessions") == Some(0.0)
    })
    .await;
    assert!(reaped, "the reaper never freed the session");
    let text = server.metrics().await;
    assert_eq!(sample(&text, "gradd_session_bytes"), Some(0.0), "{text}");
    let err = c
        .get_session(pb::GetSessionRequest {
            session_id: sid.clone(),
        })
        .await
        .expect_err("expired");
    assert_eq!(err.code(), Code::NotFound);
    assert!(err.message().contains("expired"), "{}", err.message());
    let err = c.run(run_req(&sid, probe_steps())).await.expect_err("expired");
    assert_eq!(err.code(), Code::NotFound);
    server.stop().await;
}

/// Past its TTL a session is NOT_FOUND whether or not the reaper has run yet; KeepAlive does
/// not revive it.
#[tokio::test]
async fn a_session_past_its_ttl_is_not_found_and_not_revived() {
    let server = Server::start(ServiceConfig::default()).await;
    let mut c = server.client().await;
    let sid = create_with_ttl(&mut c, 1).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let err = c
        .keep_alive(pb::KeepAliveRequest {
            session_id: sid.clone(),
        })
        .await
        .expect_err("expired");
    assert_eq!(err.code(), Code::NotFound, "{}", err.message());
    let err = c.run(run_req(&sid, probe_steps())).await.expect_err("expired");
    assert_eq!(err.code(), Code::NotFound, "{}", err.message());
    server.stop().await;
}

#[tokio::test]
async fn keep_alive_renews_the_ttl() {
    let server = Server::start(ServiceConfig::default()).await;
    let mut c = server.client().await;
    let sid = create_with_ttl(&mut c, 2).await;
    c.run(run_req(&sid, vec![constant("x", f32_tensor(&[2], &[1.0, 2.0]))]))
        .await
        .expect("bind x");
    // 3.5 s in all, longer than the TTL, renewed every 0.5 s.
    for _ in 0..7 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let s = c
            .keep_alive(pb::KeepAliveRequest {
                session_id: sid.clone(),
            })
            .await
            .expect("alive")
            .into_inner();
        assert_eq!(s.ttl_seconds, 2);
        assert!(s.expires_in_seconds > 0.0);
        assert_eq!((s.refs, s.bytes), (1, 8), "KeepAlive reports the usage");
    }
    let ok = c
        .run(run_req(&sid, vec![fetch(&["x"])]))
        .await
        .expect("still alive")
        .into_inner();
    assert_eq!(probe_value(&ok), Some(vec![1.0, 2.0]));
    server.stop().await;
}

/// The client vanishes mid-stream: the task owning its own connection, the request sender
/// and the response stream is aborted, so the stream is never half-closed.
#[tokio::test]
async fn a_dropped_run_stream_frees_its_session() {
    let server = Server::start(ServiceConfig::default()).await;
    let url = server.url();
    let (id_tx, id_rx) = tokio::sync::oneshot::channel();
    let client = tokio::spawn(async move {
        let mut c = GraddClient::connect(url).await.expect("connect");
        let (tx, rx) = tokio::sync::mpsc::channel(4);
        let mut out = c
            .run_stream(tokio_stream::wrappers::ReceiverStream::new(rx))
            .await
            .expect("stream")
            .into_inner();
        tx.send(run_req("", seed_cell())).await.expect("send");
        let r = out.message().await.expect("reply").expect("a reply");
        let _ = id_tx.send(r.session_id);
        std::future::pending::<()>().await;
        drop((tx, out, c));
    });
    let sid = id_rx.await.expect("session id");
    let c = server.client().await;
    let get = || {
        let mut c = c.clone();
        let id = sid.clone();
        async move { c.get_session(pb::GetSessionRequest { session_id: id }).await }
    };
    let s = get().await.expect("alive while the stream is open").into_inner();
    assert!(s.bytes > 0);
    client.abort();
    assert!(client.await.expect_err("aborted").is_cancelled());
    let freed = eventually(200, Duration::from_millis(50), || async {
        matches!(get().await, Err(e) if e.code() == Code::NotFound)
    })
    .await;
    assert!(freed, "the stream's session outlived its stream");
    server.stop().await;
}

/// What one chaos client does.
#[derive(Clone, Copy, Debug)]
enum Role {
    /// Creates, runs the seed cell, deletes.
    Polite,
    /// Creates with a 1 s TTL, runs the seed cell, walks away.
    Vanish,
    /// Runs the seed cell on a RunStream and is aborted with the stream open.
    AbortStream,
}

/// 200 concurrent clients over 5 connections; half delete their sessions, a quarter walk
/// away from theirs (TTL 1 s), a quarter are aborted mid-stream. Afterwards the server holds
/// no session and no bytes, and still runs the seed cell.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chaos_two_hundred_clients_half_vanishing_leak_nothing() {
    let server = Server::start_with_metrics(ServiceConfig::default()).await;
    let mut channels = Vec::new();
    for _ in 0..5 {
        channels.push(server.channel().await);
    }
    let mut polite = Vec::new();
    let mut aborted = Vec::new();
    let mut ready = Vec::new();
    for i in 0..200usize {
        let mut c = GraddClient::new(channels[i % channels.len()].clone());
        let role = match i % 4 {
            0 | 1 => Role::Polite,
            2 => Role::Vanish,
            _ => Role::AbortStream,
        };
        match role {
            Role::Polite | Role::Vanish => polite.push(tokio::spawn(async move {
                let ttl = if matches!(role, Role::Vanish) { 1 } else { 0 };
                let sid = create_with_ttl(&mut c, ttl).await;
                let r = c
                    .run(run_req(&sid, seed_cell()))
                    .await
                    .expect("seed cell")
                    .into_inner();
                assert_eq!(r.results.len(), seed_cell().len());
                if matches!(role, Role::Polite) {
                    let d = c
                        .delete_session(pb::DeleteSessionRequest { session_id: sid })
                        .await
                        .expect("delete")
                        .into_inner();
                    assert!(d.deleted);
                }
            })),
            Role::AbortStream => {
                let (tx_ready, rx_ready) = tokio::sync::oneshot::channel();
                aborted.push(tokio::spawn(async move {
                    let (tx, rx) = tokio::sync::mpsc::channel(4);
                    let mut out = c
                        .run_stream(tokio_stream::wrappers::ReceiverStream::new(rx))
                        .await
                        .expect("stream")
                        .into_inner();
                    tx.send(run_req("", seed_cell())).await.expect("send");
                    let r = out.message().await.expect("reply").expect("a reply");
                    assert!(r.error.is_none(), "{:?}", r.error);
                    let _ = tx_ready.send(());
                    std::future::pending::<()>().await;
                    drop((tx, out));
                }));
                ready.push(rx_ready);
            }
        }
    }
    for t in polite {
        t.await.expect("client task");
    }
    for r in ready {
        r.await.expect("stream client got its reply");
    }
    for t in &aborted {
        t.abort();
    }
    for t in aborted {
        assert!(t.await.expect_err("aborted").is_cancelled());
    }

    let addr = server.metrics_addr.expect("metrics");
    let drained = eventually(150, Duration::from_millis(100), || async {
        let text = scrape(addr).await;
        sample(&text, "gradd_sessions") == Some(0.0) && sample(&text, "gradd_session_bytes") == Some(0.0)
    })
    .await;
    let text = server.metrics().await;
    assert!(drained, "sessions or bytes left behind:\n{text}");
    assert_eq!(sample(&text, "gradd_tapes"), Some(0.0), "{text}");

    let mut c = server.client().await;
    let r = c
        .run(run_req("", seed_cell()))
        .await
        .expect("still serving")
        .into_inner();
    assert_eq!(r.results.len(), seed_cell().len());
    server.stop().await;
}

/// The TTL is an idle time: a session is not idle while a Run is using it. A Run that
/// computes for longer than the TTL plus a reaper tick (30 512x512 MatMuls, seconds in a debug
/// build, against a 1 s TTL) must find its session still there when it returns.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_does_not_expire_while_a_run_is_using_it() {
    let server = Server::start(ServiceConfig::default()).await;
    let mut c = server.client().await;
    let sid = create_with_ttl(&mut c, 1).await;
    let r = c
        .run(run_req(&sid, slow_steps(512, 30)))
        .await
        .expect("long run")
        .into_inner();
    assert_eq!(r.results.len(), 32);
    let s = c
        .get_session(pb::GetSessionRequest {
            session_id: sid.clone(),
        })
        .await;
    assert!(s.is_ok(), "the session expired under a running Run: {s:?}");
    let ok = c
        .run(run_req(&sid, vec![fetch(&["one"])]))
        .await
        .expect("still there")
        .into_inner();
    assert_eq!(probe_value(&ok), Some(vec![0.001]));
    server.stop().await;
}
