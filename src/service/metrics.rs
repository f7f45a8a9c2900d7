//! Prometheus metrics with go-grpc-prometheus names (grpc_server_started_total,
//! grpc_server_handled_total, grpc_server_handling_seconds) plus gradd's own
//! (gradd_sessions, gradd_session_bytes, gradd_tapes, gradd_steps_total, and
//! gradd_busy_poll_turns_total with `--busy-poll`), served as text on
//! `--metrics-addr`.

use crate::session::SessionStore;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

/// Labels of one RPC method: (grpc_type, grpc_service, grpc_method).
pub type Method = (&'static str, String, String);

#[derive(Default)]
struct Hist {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

#[derive(Default)]
struct Inner {
    started: BTreeMap<Method, u64>,
    handled: BTreeMap<(Method, &'static str), u64>,
    seconds: BTreeMap<Method, Hist>,
    steps: BTreeMap<&'static str, u64>,
}

#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
    /// The busy poller, when `--busy-poll` is on: its turns are exported.
    busy: std::sync::OnceLock<Arc<super::busy::BusyPoll>>,
}

fn lock(m: &Mutex<Inner>) -> std::sync::MutexGuard<'_, Inner> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Metrics {
    pub fn started(&self, m: &Method) {
        *lock(&self.inner).started.entry(m.clone()).or_default() += 1;
    }

    pub fn handled(&self, m: &Method, code: &'static str, secs: f64) {
        let mut i = lock(&self.inner);
        *i.handled.entry((m.clone(), code)).or_default() += 1;
        let h = i.seconds.entry(m.clone()).or_default();
        for (b, c) in BUCKETS.iter().zip(h.counts.iter_mut()) {
            if secs <= *b {
                *c += 1;
            }
        }
        h.sum += secs;
        h.count += 1;
    }

    /// Exports the busy poller's turns (`gradd_busy_poll_turns_total`).
    pub fn watch_busy_poll(&self, b: Arc<super::busy::BusyPoll>) {
        let _ = self.busy.set(b);
    }

    /// Adds one Run's step counts (op name, or the step kind for non-op steps).
    pub fn steps(&self, counts: &[(&'static str, u64)]) {
        let mut i = lock(&self.inner);
        for (k, n) in counts {
            *i.steps.entry(*k).or_default() += n;
        }
    }

    /// The Prometheus text exposition.
    pub fn render(&self, store: &SessionStore) -> String {
        let i = lock(&self.inner);
        let mut s = String::new();
        let lbl = |m: &Method| {
            format!(
                "grpc_type=\"{}\",grpc_service=\"{}\",grpc_method=\"{}\"",
                m.0, m.1, m.2
            )
        };
        s.push_str("# HELP grpc_server_started_total Total number of RPCs started on the server.\n");
        s.push_str("# TYPE grpc_server_started_total counter\n");
        for (m, n) in &i.started {
            let _ = writeln!(s, "grpc_server_started_total{{{}}} {n}", lbl(m));
        }
        s.push_str("# HELP grpc_server_handled_total Total number of RPCs completed on the server, regardless of success or failure.\n");
        s.push_str("# TYPE grpc_server_handled_total counter\n");
        for ((m, code), n) in &i.handled {
            let _ = writeln!(
                s,
                "grpc_server_handled_total{{{},grpc_code=\"{code}\"}} {n}",
                lbl(m)
            );
        }
        s.push_str("# HELP grpc_server_handling_seconds Histogram of response latency (seconds) of gRPC that had been application-level handled by the server.\n");
        s.push_str("# TYPE grpc_server_handling_seconds histogram\n");
        for (m, h) in &i.seconds {
            for (b, c) in BUCKETS.iter().zip(h.counts) {
                let _ = writeln!(
                    s,
                    "grpc_server_handling_seconds_bucket{{{},le=\"{b}\"}} {c}",
                    lbl(m)
                );
            }
            let _ = writeln!(
                s,
                "grpc_server_handling_seconds_bucket{{{},le=\"+Inf\"}} {}",
                lbl(m),
                h.count
            );
            let _ = writeln!(s, "grpc_server_handling_seconds_sum{{{}}} {}", lbl(m), h.sum);
            let _ = writeln!(s, "grpc_server_handling_seconds_count{{{}}} {}", lbl(m), h.count);
        }
        s.push_str("# HELP gradd_steps_total Steps run, by op (op steps) or step kind.\n# TYPE gradd_steps_total counter\n");
        for (op, n) in &i.steps {
            let _ = writeln!(s, "gradd_steps_total{{op=\"{op}\"}} {n}");
        }
        drop(i);
        let cells = store.cells();
        let (mut bytes, mut tapes) = (0usize, 0usize);
        for c in &cells {
            let u = c.last_usage();
            bytes += u.bytes;
            tapes += u.tapes;
        }
        let _ = writeln!(
            s,
            "# HELP gradd_sessions Sessions alive.\n# TYPE gradd_sessions gauge\ngradd_sessions {}",
            cells.len()
        );
        let _ = writeln!(
            s,
            "# HELP gradd_session_bytes Bytes of tensor data held by all sessions (counted when scraped; a session busy in a request counts as of its last count).\n# TYPE gradd_session_bytes gauge\ngradd_session_bytes {bytes}"
        );
        let _ = writeln!(
            s,
            "# HELP gradd_tapes Tapes held by all sessions.\n# TYPE gradd_tapes gauge\ngradd_tapes {tapes}"
        );
        if let Some(b) = self.busy.get() {
            let _ = writeln!(
                s,
                "# HELP gradd_busy_poll_turns_total Turns of the --busy-poll loop: grows while a window after a request is open, stands still while the server is idle.\n# TYPE gradd_busy_poll_turns_total counter\ngradd_busy_poll_turns_total {}",
                b.turns()
            );
        }
        s
    }
}

/// Serves `GET /metrics` over plain HTTP/1.1 until the task is dropped.
pub async fn serve_metrics(listener: TcpListener, metrics: Arc<Metrics>, store: Arc<SessionStore>) {
    loop {
        let Ok((mut sock, _)) = listener.accept().await else {
            continue;
        };
        let (metrics, store) = (metrics.clone(), store.clone());
        tokio::spawn(async move {
            let mut buf = vec![0u8; 4096];
            let mut n = 0;
            // Read the request head (bounded); the body, if any, is ignored.
            while n < buf.len() {
                match sock.read(&mut buf[n..]).await {
                    Ok(0) | Err(_) => break,
                    Ok(k) => n += k,
                }
                if buf[..n].windows(4).any(|w| w == b"\r\n\r\n") {
                    break;
                }
            }
            let head = String::from_utf8_lossy(&buf[..n]);
            let (status, body) = if head.starts_with("GET /metrics") {
                ("200 OK", metrics.render(&store))
            } else {
                ("404 Not Found", "only GET /metrics is served here\n".to_string())
            };
            let resp = format!(
                "HTTP/1.1 {status}\r\ncontent-type: text/plain; version=0.0.4\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = sock.write_all(resp.as_bytes()).await;
            let _ = sock.shutdown().await;
        });
    }
}
