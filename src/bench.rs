//! `gradd bench`: a ghz-like load generator. Workers spread over HTTP/2 connections send one
//! scenario's request in a loop (closed loop, or paced by an open-loop `--rps` schedule) and the
//! report gives throughput, latency percentiles and errors by gRPC code.

use crate::conformance::code_name;
use crate::proto as pb;
use crate::proto::gradd_client::GraddClient;
use crate::service::{ServiceConfig, serve};
use clap::ValueEnum;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::time::Instant;
use tonic::Status;
use tonic::transport::{Channel, Endpoint};
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

mod programs;
mod report;
use programs::{mlp_iteration, mlp_uploads, run_req, seed_iteration, seed_uploads};
use report::latency;
pub use report::{Latency, Report};

/// The seed scenario's wire steps: (uploads sent once, one iteration's steps). For
/// `examples/service_loop.rs`, which times the service's Run without a network.
pub fn seed_program() -> (Vec<pb::Step>, Vec<pb::Step>) {
    (seed_uploads(), seed_iteration())
}

/// What one request is.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scenario {
    /// One Run of the seed cell's tape, ops and gradient on a per-worker session.
    Seed,
    /// One Run of the whole seed cell (uploads included) in an ephemeral session.
    SeedEphemeral,
    /// One Run of an MLP 784-128-10 forward pass and gradient (batch 32) on a per-worker session.
    Mlp,
    /// CreateSession then DeleteSession, timed as one request.
    Churn,
    /// One KeepAlive on a per-worker session: the round-trip floor.
    Keepalive,
    /// grpc.health.v1.Health/Check with service "".
    Health,
}

/// The options of `gradd bench`.
#[derive(clap::Args, Clone, Debug)]
pub struct BenchArgs {
    /// Server to load, HOST:PORT.
    #[arg(long, default_value = "127.0.0.1:50051", conflicts_with = "embedded")]
    pub addr: String,
    /// Start a server in-process on a free port and load it instead.
    #[arg(long)]
    pub embedded: bool,
    /// What each request does.
    #[arg(long, value_enum, default_value_t = Scenario::Seed)]
    pub scenario: Scenario,
    /// Workers (concurrent requests in flight).
    #[arg(long, default_value_t = 50)]
    pub concurrency: usize,
    /// HTTP/2 connections; workers are spread over them round-robin.
    #[arg(long, default_value_t = 1)]
    pub connections: usize,
    /// Total requests (ignored when --duration is given).
    #[arg(long, default_value_t = 10_000)]
    pub requests: u64,
    /// Run for this many seconds instead of a request count.
    #[arg(long)]
    pub duration: Option<f64>,
    /// Target total rate in requests/s on an open-loop schedule; 0 = as fast as possible.
    #[arg(long, default_value_t = 0.0)]
    pub rps: f64,
    /// Print one JSON object instead of the human report.
    #[arg(long)]
    pub json: bool,
}

/// Runs the benchmark described by `args` and reports on it. Failed calls are counted, never
/// fatal; only an unusable setup (no connection, bad arguments) is an error.
pub async fn run(args: BenchArgs) -> Result<Report, String> {
    if args.concurrency == 0 || args.connections == 0 {
        return Err("--concurrency and --connections must be at least 1".into());
    }
    if !(args.rps >= 0.0 && args.rps.is_finite()) {
        return Err(format!("--rps must be a finite number >= 0, got {}", args.rps));
    }
    let limit = match args.duration {
        Some(d) if !(d > 0.0 && d.is_finite()) => return Err(format!("--duration must be > 0, got {d}")),
        Some(d) => Limit::For(Duration::from_secs_f64(d)),
        None => Limit::Requests(args.requests),
    };
    let (addr, server) = if args.embedded {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| e.to_string())?;
        let local = l.local_addr().map_err(|e| e.to_string())?;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let h = tokio::spawn(serve(l, ServiceConfig::default(), async {
            let _ = rx.await;
        }));
        (local.to_string(), Some((tx, h)))
    } else {
        (args.addr.clone(), None)
    };
    let res = drive(&args, &addr, limit).await;
    if let Some((tx, h)) = server {
        let _ = tx.send(());
        match h.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(format!("embedded server failed: {e}")),
            Err(e) => return Err(format!("embedded server panicked: {e}")),
        }
    }
    let mut report = res?;
    if args.embedded {
        report.target = format!("embedded server at {addr}");
    }
    Ok(report)
}

#[derive(Clone, Copy)]
enum Limit {
    Requests(u64),
    For(Duration),
}

/// The shared request schedule: workers claim request indices from one counter.
struct Plan {
    next: AtomicU64,
    start: Instant,
    limit: Limit,
    /// 1/rps in seconds; None = unpaced.
    interval: Option<f64>,
}

impl Plan {
    /// Claims the next request and returns when it is due, or None when the run is over.
    /// Unpaced requests are due when claimed.
    fn claim(&self) -> Option<Instant> {
        let i = self.next.fetch_add(1, Ordering::Relaxed);
        let due = match self.interval {
            Some(s) => self.start + Duration::from_secs_f64(i as f64 * s),
            None => Instant::now(),
        };
        let more = match self.limit {
            Limit::Requests(n) => i < n,
            Limit::For(d) => due < self.start + d,
        };
        more.then_some(due)
    }
}

/// What one worker saw.
#[derive(Default)]
struct Tally {
    latencies_us: Vec<u32>,
    failed: u64,
    errors: BTreeMap<String, u64>,
    samples: BTreeMap<String, String>,
}

impl Tally {
    fn error(&mut self, s: &Status) {
        let code = code_name(s.code()).to_string();
        *self.errors.entry(code.clone()).or_default() += 1;
        self.samples
            .entry(code)
            .or_insert_with(|| s.message().to_string());
    }

    fn merge(&mut self, o: Tally) {
        self.latencies_us.extend(o.latencies_us);
        self.failed += o.failed;
        for (k, n) in o.errors {
            *self.errors.entry(k).or_default() += n;
        }
        for (k, m) in o.samples {
            self.samples.entry(k).or_insert(m);
        }
    }
}

async fn drive(args: &BenchArgs, addr: &str, limit: Limit) -> Result<Report, String> {
    let endpoint = Endpoint::from_shared(format!("http://{addr}")).map_err(|e| format!("{addr}: {e}"))?;
    let mut channels = Vec::with_capacity(args.connections);
    for _ in 0..args.connections {
        // Each connect() dials its own HTTP/2 connection; clones of a Channel share one.
        channels.push(
            endpoint
                .connect()
                .await
                .map_err(|e| format!("cannot connect to {addr}: {e}"))?,
        );
    }
    // Setup (sessions, uploads) runs before the clock starts.
    let setups: Vec<_> = (0..args.concurrency)
        .map(|w| tokio::spawn(Worker::setup(args.scenario, channels[w % channels.len()].clone())))
        .collect();
    let mut total = Tally::default();
    let mut workers = Vec::new();
    for h in setups {
        match h.await.map_err(|e| format!("worker setup panicked: {e}"))? {
            Ok(w) => workers.push(w),
            Err(s) => total.error(&s),
        }
    }
    let failed_workers = args.concurrency - workers.len();
    let plan = Arc::new(Plan {
        next: AtomicU64::new(0),
        start: Instant::now(),
        limit,
        interval: (args.rps > 0.0).then(|| 1.0 / args.rps),
    });
    let tasks: Vec<_> = workers
        .into_iter()
        .map(|w| tokio::spawn(w.run(plan.clone())))
        .collect();
    let mut ends = Vec::new();
    for h in tasks {
        let (tally, end, teardown) = h.await.map_err(|e| format!("worker panicked: {e}"))?;
        total.merge(tally);
        total.merge(teardown);
        ends.push(end);
    }
    let end = ends.into_iter().max().unwrap_or_else(Instant::now);
    let duration = end.saturating_duration_since(plan.start).as_secs_f64();
    let mut lat = std::mem::take(&mut total.latencies_us);
    lat.sort_unstable();
    let ok = lat.len() as u64;
    let requests = ok + total.failed;
    Ok(Report {
        scenario: args.scenario,
        target: addr.to_string(),
        concurrency: args.concurrency,
        connections: args.connections,
        requests_limit: match limit {
            Limit::Requests(n) => Some(n),
            Limit::For(_) => None,
        },
        duration_limit_s: args.duration,
        rps_target: args.rps,
        latency_from: if args.rps > 0.0 { "due" } else { "send" },
        latency_note: if args.rps > 0.0 {
            "measured from the --rps schedule's due time if the worker was late for it (no \
             coordinated omission), else from the send"
        } else {
            "measured from the send (closed loop)"
        },
        requests,
        ok,
        errors: total.errors,
        error_samples: total.samples,
        failed_workers,
        duration_s: duration,
        rps: if duration > 0.0 {
            requests as f64 / duration
        } else {
            0.0
        },
        latency_ms: latency(&lat),
    })
}

/// One worker's clients, session and prepared request.
struct Worker {
    scenario: Scenario,
    gradd: GraddClient<Channel>,
    health: HealthClient<Channel>,
    /// The worker's own session; empty for scenarios without one.
    session: String,
    /// The Run of the Run scenarios (its session id filled in).
    request: pb::RunRequest,
}

impl Worker {
    /// Creates the worker's session and uploads its tensors; a failure leaves no session behind.
    async fn setup(scenario: Scenario, ch: Channel) -> Result<Worker, Status> {
        let mut w = Worker {
            scenario,
            gradd: GraddClient::new(ch.clone()).max_decoding_message_size(usize::MAX),
            health: HealthClient::new(ch),
            session: String::new(),
            request: pb::RunRequest::default(),
        };
        let (uploads, steps) = match scenario {
            Scenario::Seed => (seed_uploads(), seed_iteration()),
            Scenario::SeedEphemeral => (vec![], [seed_uploads(), seed_iteration()].concat()),
            Scenario::Mlp => (mlp_uploads(), mlp_iteration()),
            Scenario::Keepalive => (vec![], vec![]),
            Scenario::Churn | Scenario::Health => return Ok(w),
        };
        if scenario != Scenario::SeedEphemeral {
            w.session = w
                .gradd
                .create_session(pb::CreateSessionRequest::default())
                .await?
                .into_inner()
                .session_id;
        }
        if !uploads.is_empty()
            && let Err(s) = w.gradd.run(run_req(&w.session, uploads)).await
        {
            w.teardown().await;
            return Err(s);
        }
        w.request = run_req(&w.session, steps);
        Ok(w)
    }

    /// Sends one request.
    async fn call(&mut self) -> Result<(), Status> {
        match self.scenario {
            Scenario::Seed | Scenario::SeedEphemeral | Scenario::Mlp => {
                self.gradd.run(self.request.clone()).await.map(drop)
            }
            Scenario::Churn => {
                let s = self
                    .gradd
                    .create_session(pb::CreateSessionRequest::default())
                    .await?;
                let session_id = s.into_inner().session_id;
                let d = self.gradd.delete_session(pb::DeleteSessionRequest { session_id });
                d.await.map(drop)
            }
            Scenario::Keepalive => {
                let session_id = self.session.clone();
                self.gradd
                    .keep_alive(pb::KeepAliveRequest { session_id })
                    .await
                    .map(drop)
            }
            Scenario::Health => {
                let req = tonic_health::pb::HealthCheckRequest {
                    service: String::new(),
                };
                let st = self.health.check(req).await?.into_inner().status;
                if st == ServingStatus::Serving as i32 {
                    Ok(())
                } else {
                    Err(Status::unavailable(format!("health status {st}, not SERVING")))
                }
            }
        }
    }

    /// Sends requests until the plan runs out; returns the tally, the time the last request
    /// ended, and the teardown's errors.
    async fn run(mut self, plan: Arc<Plan>) -> (Tally, Instant, Tally) {
        let mut t = Tally::default();
        let mut end = plan.start;
        while let Some(due) = plan.claim() {
            let now = Instant::now();
            // Busy past the due time: the wait counts (coordinated omission). Idle: the
            // timer's wake-up lag is ours, not the server's, so count from the send.
            let t0 = if due > now {
                tokio::time::sleep_until(due).await;
                Instant::now()
            } else {
                due
            };
            let res = self.call().await;
            end = Instant::now();
            match res {
                Ok(()) => {
                    let us = end.saturating_duration_since(t0).as_micros();
                    t.latencies_us.push(u32::try_from(us).unwrap_or(u32::MAX));
                }
                Err(s) => {
                    t.failed += 1;
                    t.error(&s);
                }
            }
        }
        (t, end, self.teardown().await)
    }

    /// Deletes the worker's session, so a finished bench leaves the server without sessions.
    async fn teardown(&mut self) -> Tally {
        let mut t = Tally::default();
        if !self.session.is_empty() {
            let session_id = std::mem::take(&mut self.session);
            if let Err(s) = self
                .gradd
                .delete_session(pb::DeleteSessionRequest { session_id })
                .await
            {
                t.error(&s);
            }
        }
        t
    }
}
