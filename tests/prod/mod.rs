//! Harness for the production-surface tests: a server started with `serve_with` (optional
//! metrics listener, a shutdown signal separate from the join), a `/metrics` scraper, bearer
//! tokens, a plain HTTP/2 client that does not enforce deadlines itself, and the `gradd`
//! binary as a child process. Readiness never sleeps: listeners are bound before the server
//! task runs, and the binary is ready when it logs its bound address.
#![allow(dead_code)]

use crate::common::*;
use gradd::proto as pb;
use gradd::proto::gradd_client::GraddClient;
use gradd::service::{ServiceConfig, serve_with};
use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::transport::Channel;

type ServeResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

pub struct Server {
    pub addr: SocketAddr,
    pub metrics_addr: Option<SocketAddr>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<ServeResult>>,
}

impl Server {
    pub async fn start(cfg: ServiceConfig) -> Server {
        Server::start_inner(cfg, false).await
    }

    /// Also serves `/metrics` on a second port-0 listener.
    pub async fn start_with_metrics(cfg: ServiceConfig) -> Server {
        Server::start_inner(cfg, true).await
    }

    async fn start_inner(cfg: ServiceConfig, metrics: bool) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (ml, metrics_addr) = if metrics {
            let l = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind metrics");
            let a = l.local_addr().expect("metrics addr");
            (Some(l), Some(a))
        } else {
            (None, None)
        };
        let (tx, rx) = oneshot::channel();
        let task = tokio::spawn(serve_with(listener, ml, cfg, async {
            let _ = rx.await;
        }));
        Server {
            addr,
            metrics_addr,
            stop: Some(tx),
            task: Some(task),
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A channel with its own HTTP/2 connection.
    pub async fn channel(&self) -> Channel {
        Channel::from_shared(self.url())
            .expect("url")
            .connect()
            .await
            .expect("connect")
    }

    pub async fn client(&self) -> GraddClient<Channel> {
        GraddClient::new(self.channel().await)
    }

    /// Sends the shutdown signal without waiting for the server to finish.
    pub fn signal_shutdown(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }

    /// Waits for the server task; it must return Ok (a panic or an error fails the test).
    pub async fn join(mut self) {
        self.signal_shutdown();
        if let Some(t) = self.task.take() {
            t.await
                .expect("server task panicked")
                .expect("server returned an error");
        }
    }

    pub async fn stop(self) {
        self.join().await
    }

    pub async fn metrics(&self) -> String {
        scrape(self.metrics_addr.expect("server started without metrics")).await
    }
}

/// `GET /metrics` over a plain TCP socket; returns the body.
pub async fn scrape(addr: SocketAddr) -> String {
    let mut s = tokio::net::TcpStream::connect(addr)
        .await
        .expect("connect metrics");
    s.write_all(b"GET /metrics HTTP/1.1\r\nhost: localhost\r\n\r\n")
        .await
        .expect("write");
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.expect("read metrics");
    let text = String::from_utf8(buf).expect("utf-8 metrics");
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    let (_, body) = text.split_once("\r\n\r\n").expect("http head");
    body.to_string()
}

/// The value of the sample whose name-and-labels part is exactly `series`.
pub fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| l.rsplit_once(' ').filter(|(k, _)| *k == series))
        .and_then(|(_, v)| v.parse().ok())
}

/// Polls `cond` up to `tries` times, `every` apart; true as soon as it holds. Used only to
/// wait for background work (the reaper, a disconnect noticed by the server), never for
/// readiness, and the bound only decides when to give up.
pub async fn eventually<F, Fut>(tries: usize, every: Duration, mut cond: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    for _ in 0..tries {
        if cond().await {
            return true;
        }
        tokio::time::sleep(every).await;
    }
    false
}

pub fn bearer<T>(msg: T, token: &str) -> tonic::Request<T> {
    let mut r = tonic::Request::new(msg);
    r.metadata_mut().insert(
        "authorization",
        format!("Bearer {token}").parse().expect("ascii header"),
    );
    r
}

pub fn ints_attr(values: &[i64]) -> pb::AttrValue {
    pb::AttrValue {
        value: Some(pb::attr_value::Value::Ints(pb::IntList {
            values: values.to_vec(),
        })),
    }
}

pub fn int_attr(v: i64) -> pb::AttrValue {
    pb::AttrValue {
        value: Some(pb::attr_value::Value::I(v)),
    }
}

pub fn op_with(name: &str, inputs: &[&str], outputs: &[&str], attrs: &[(&str, pb::AttrValue)]) -> pb::Step {
    let mut s = op(name, inputs, outputs);
    if let Some(pb::step::Kind::Op(o)) = &mut s.kind {
        o.attrs = attrs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect::<HashMap<_, _>>();
    }
    s
}

pub fn release(refs: &[&str], tapes: &[&str]) -> pb::Step {
    step(pb::step::Kind::Release(pb::ReleaseStep {
        refs: refs.iter().map(|s| s.to_string()).collect(),
        tapes: tapes.iter().map(|s| s.to_string()).collect(),
    }))
}

pub fn watch(tape: &str, refs: &[&str]) -> pb::Step {
    step(pb::step::Kind::Watch(pb::WatchStep {
        tape: tape.into(),
        refs: refs.iter().map(|s| s.to_string()).collect(),
    }))
}

/// A small request that keeps a compute thread busy for a while: a scalar broadcast to
/// `dim`x`dim` server-side, then `n` MatMuls of it (2*dim^3 flops each), each its own step so
/// deadlines are checked between them. `n + 2` results. (In a debug build one 512x512 MatMul
/// takes ~0.1 s.)
pub fn slow_steps(dim: i64, n: usize) -> Vec<pb::Step> {
    let mut steps = vec![
        constant("one", f32_tensor(&[1, 1], &[0.001])),
        op_with(
            "BroadcastTo",
            &["one"],
            &["m"],
            &[("shape", ints_attr(&[dim, dim]))],
        ),
    ];
    steps.extend((0..n).map(|_| op("MatMul", &["m", "m"], &["mm"])));
    steps
}

/// A tiny Run that checks a session works: binds and fetches a scalar.
pub fn probe_steps() -> Vec<pb::Step> {
    vec![constant("probe", f32_tensor(&[], &[7.0])), fetch(&["probe"])]
}

pub fn probe_value(resp: &pb::RunResponse) -> Option<Vec<f32>> {
    resp.results
        .last()
        .and_then(|r| r.values.first())
        .and_then(|v| v.tensor.as_ref())
        .map(|t| t.float_val.clone())
}

pub async fn session_bytes(c: &mut GraddClient<Channel>, id: &str) -> u64 {
    c.get_session(pb::GetSessionRequest {
        session_id: id.into(),
    })
    .await
    .expect("get session")
    .into_inner()
    .bytes
}

// ------------------------------------------------------------------------------------------
// A plain HTTP/2 client (hyper, no tonic transport). tonic's Channel enforces `grpc-timeout`
// itself and reports its own CANCELLED ("Timeout expired") before the server's answer can
// arrive; this one forwards the header and reports what the server said.

#[derive(Clone)]
pub struct PlainH2 {
    send: hyper::client::conn::http2::SendRequest<tonic::body::Body>,
    authority: String,
}

impl tower::Service<http::Request<tonic::body::Body>> for PlainH2 {
    type Response = http::Response<hyper::body::Incoming>;
    type Error = hyper::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, hyper::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), hyper::Error>> {
        self.send.poll_ready(cx)
    }

    fn call(&mut self, mut req: http::Request<tonic::body::Body>) -> Self::Future {
        let path = req
            .uri()
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/".into());
        *req.uri_mut() = format!("http://{}{path}", self.authority).parse().expect("uri");
        Box::pin(self.send.send_request(req))
    }
}

pub async fn plain_h2_client(addr: SocketAddr) -> GraddClient<PlainH2> {
    let tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let (send, conn) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        hyper_util::rt::TokioIo::new(tcp),
    )
    .await
    .expect("h2 handshake");
    tokio::spawn(conn);
    GraddClient::new(PlainH2 {
        send,
        authority: addr.to_string(),
    })
}

// ------------------------------------------------------------------------------------------
// The gradd binary as a child process.

pub struct Child {
    pub child: tokio::process::Child,
    pub addr: SocketAddr,
    /// stderr lines after the readiness line, collected in the background.
    pub log: JoinHandle<Vec<String>>,
}

/// A `gradd` command with no GRADD_* variables inherited from the environment.
pub fn gradd_cmd() -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_gradd"));
    clean(&mut cmd);
    cmd
}

fn clean(cmd: &mut tokio::process::Command) {
    for (k, _) in std::env::vars() {
        if k.starts_with("GRADD_") {
            cmd.env_remove(k);
        }
    }
    cmd.stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
}

/// Starts `gradd serve --addr 127.0.0.1:0 --log-format json <extra>` (under `sh -c` with an
/// address-space limit when `limit_kib` is set, so a runaway allocation fails instead of
/// eating the machine) and waits for its "gradd listening" line, which carries the address.
pub async fn spawn_gradd(extra: &[&str], limit_kib: Option<u64>) -> Child {
    let bin = env!("CARGO_BIN_EXE_gradd");
    let mut args = vec!["serve", "--addr", "127.0.0.1:0", "--log-format", "json"];
    args.extend_from_slice(extra);
    let mut cmd = match limit_kib {
        Some(kib) => {
            let mut c = tokio::process::Command::new("sh");
            c.arg("-c")
                .arg(format!("ulimit -v {kib} && exec \"$0\" \"$@\""))
                .arg(bin);
            clean(&mut c);
            c
        }
        None => gradd_cmd(),
    };
    cmd.args(&args);
    let mut child = cmd.spawn().expect("spawn gradd");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = tokio::io::BufReader::new(stderr).lines();
    let mut seen = Vec::new();
    let addr = loop {
        let line = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
            .await
            .expect("gradd did not log its address within 60 s")
            .expect("read stderr");
        let Some(line) = line else {
            panic!("gradd exited before listening: {seen:#?}");
        };
        if line.contains("gradd listening") {
            let v: serde_json::Value = serde_json::from_str(&line).expect("json log line");
            let a = v["fields"]["addr"].as_str().expect("addr field").to_string();
            break a.parse::<SocketAddr>().expect("socket addr");
        }
        seen.push(line);
    };
    let log = tokio::spawn(async move {
        let mut rest = Vec::new();
        while let Ok(Some(l)) = lines.next_line().await {
            rest.push(l);
        }
        rest
    });
    Child { child, addr, log }
}

pub fn sigterm(child: &tokio::process::Child) {
    let pid = child.id().expect("child still running");
    let st = std::process::Command::new("kill")
        .arg("-TERM")
        .arg(pid.to_string())
        .status()
        .expect("run kill");
    assert!(st.success(), "kill -TERM {pid} failed");
}
