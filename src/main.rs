//! The `gradd` command line: `serve`, `conformance`, `bench`, `perf`, `ops`, `protoset`, `health`.

use clap::{Parser, Subcommand};

/// Small tensors make the engine allocation-bound; mimalloc (entered as `kernels::alloc`
/// describes) halves that cost versus glibc.
#[global_allocator]
static GLOBAL: gradd::kernels::alloc::Allocator = gradd::kernels::alloc::Allocator;
use gradd::service::auth::Tokens;
use gradd::service::{ServiceConfig, TlsFiles, serve, serve_with};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

#[derive(Parser)]
#[command(
    name = "gradd",
    version,
    about = "TensorFlow's GradientTape, served over gRPC"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Runs the gRPC server.
    Serve(Box<ServeArgs>),
    /// Replays conformance programs against a server (an embedded one unless --addr is given).
    Conformance {
        /// Conformance JSON files.
        #[arg(required = true)]
        files: Vec<String>,
        /// Server to test, HOST:PORT; default: start one in-process on a free port.
        #[arg(long)]
        addr: Option<String>,
        /// Only cases whose name starts with this prefix.
        #[arg(long)]
        filter: Option<String>,
    },
    /// Loads a server with one scenario's requests and reports throughput and latency.
    Bench(gradd::bench::BenchArgs),
    /// Times kernels and engine workloads in-process (no gRPC), for bench/compare.py.
    Perf {
        /// Seconds spent per workload.
        #[arg(long, default_value_t = 2.0)]
        seconds: f64,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// Only the workloads whose names contain one of these comma-separated parts
        /// (e.g. `exp,matmul_f32_2048`); all of them when empty.
        #[arg(long, default_value = "")]
        only: String,
    },
    /// Prints the op table (markdown), as in the README.
    Ops,
    /// Asks a server's grpc.health.v1 service whether it is serving: exit 0 and `SERVING`, or
    /// exit 1 with the reason (for container health checks and exec probes).
    Health(HealthArgs),
    /// Writes the API's FileDescriptorSet (for `ghz --protoset` or grpcurl).
    Protoset {
        /// Output file.
        #[arg(long, default_value = "gradd.protoset")]
        out: String,
    },
}

#[derive(clap::Args)]
struct ServeArgs {
    /// Address to listen on. Without tokens only a loopback address is allowed (see --insecure).
    #[arg(long, env = "GRADD_ADDR", default_value = "127.0.0.1:50051")]
    addr: SocketAddr,
    /// Serve Prometheus metrics (GET /metrics) on this address.
    #[arg(long, env = "GRADD_METRICS_ADDR")]
    metrics_addr: Option<SocketAddr>,
    /// Log filter (tracing EnvFilter syntax), e.g. `info` or `gradd=debug`.
    #[arg(long, env = "GRADD_LOG", default_value = "info")]
    log: String,
    /// Log format: pretty or json.
    #[arg(long, env = "GRADD_LOG_FORMAT", default_value = "pretty", value_parser = ["pretty", "json"])]
    log_format: String,
    /// File of bearer tokens, one `principal:token` per line; enables auth.
    #[arg(long, env = "GRADD_TOKENS_FILE")]
    tokens_file: Option<String>,
    /// Bearer tokens as `principal:token,principal:token`; enables auth.
    #[arg(long, env = "GRADD_TOKENS", hide_env_values = true)]
    tokens: Option<String>,
    /// Allow a non-loopback address without tokens (anyone who can connect can compute).
    #[arg(long, env = "GRADD_INSECURE")]
    insecure: bool,
    /// TLS certificate chain (PEM); with --tls-key enables TLS.
    #[arg(long, env = "GRADD_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<String>,
    /// TLS private key (PEM).
    #[arg(long, env = "GRADD_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<String>,
    /// CA (PEM) that client certificates must chain to; enables client-certificate auth.
    #[arg(long, env = "GRADD_TLS_CLIENT_CA", requires = "tls_cert")]
    tls_client_ca: Option<String>,
    /// Default idle TTL of a session, in seconds (renewed by every call).
    #[arg(long, env = "GRADD_SESSION_TTL", default_value_t = 600)]
    session_ttl: u64,
    /// Longest TTL a client may ask for, in seconds.
    #[arg(long, env = "GRADD_MAX_SESSION_TTL", default_value_t = 86_400)]
    max_session_ttl: u64,
    /// Most sessions alive at once, all principals together.
    #[arg(long, env = "GRADD_MAX_SESSIONS", default_value_t = 10_000)]
    max_sessions: usize,
    /// Most sessions alive at once for one principal.
    #[arg(long, env = "GRADD_MAX_SESSIONS_PER_PRINCIPAL", default_value_t = 1_000)]
    max_sessions_per_principal: usize,
    /// Bytes of tensor data one session may hold (refs, variables, tapes' saved tensors).
    #[arg(long, env = "GRADD_SESSION_MEMORY_BYTES", default_value_t = 1 << 30)]
    session_memory_bytes: usize,
    /// Most elements in one tensor sent by a client.
    #[arg(long, env = "GRADD_MAX_TENSOR_ELEMENTS", default_value_t = 64 << 20)]
    max_tensor_elements: usize,
    /// Most steps in one Run request.
    #[arg(long, env = "GRADD_MAX_STEPS", default_value_t = 100_000)]
    max_steps: usize,
    /// Steps estimated at no more than this many work units (about one element or
    /// multiply-add each) run on the thread that decoded the request instead of being handed
    /// to a compute thread; 0 sends every Run to the compute pool.
    #[arg(long, env = "GRADD_INLINE_WORK", default_value_t = gradd::service::DEFAULT_INLINE_WORK)]
    inline_work: usize,
    /// Largest request message, in bytes (larger: RESOURCE_EXHAUSTED).
    #[arg(long, env = "GRADD_MAX_MESSAGE_BYTES", default_value_t = 256 << 20)]
    max_message_bytes: usize,
    /// Largest response message, in bytes (larger: RESOURCE_EXHAUSTED).
    #[arg(long, env = "GRADD_MAX_RESPONSE_BYTES", default_value_t = 256 << 20)]
    max_response_bytes: usize,
    /// Requests running at once; more are shed at once with RESOURCE_EXHAUSTED.
    #[arg(long, env = "GRADD_MAX_CONCURRENT_REQUESTS", default_value_t = 1024)]
    max_concurrent_requests: usize,
    /// HTTP/2 streams one connection may have open at once.
    #[arg(long, env = "GRADD_MAX_CONCURRENT_STREAMS", default_value_t = 256)]
    max_concurrent_streams: u32,
    /// Seconds in-flight requests get to finish after SIGTERM/SIGINT.
    #[arg(long, env = "GRADD_GRACE_PERIOD", default_value_t = 30)]
    grace_period: u64,
    /// Seconds a new connection gets to finish its TLS handshake (or, without TLS, to send
    /// its first bytes) before it is closed.
    #[arg(long, env = "GRADD_HANDSHAKE_TIMEOUT", default_value_t = 10)]
    handshake_timeout: u64,
    /// Busy polling, in microseconds: for this long after each request starts and ends, the
    /// network thread polls its sockets instead of sleeping, which saves the wake-up on the
    /// next request of an interactive client (a notebook: Python, a Run, Python, a Run) at the
    /// cost of one CPU core while the window is open. It also serves all connections from one
    /// network thread (compute still runs on its own threads). 0 is off; 1000 suits a client
    /// that does up to a millisecond of work between requests.
    #[arg(long, env = "GRADD_BUSY_POLL", default_value_t = 0)]
    busy_poll: u64,
}

#[derive(clap::Args)]
struct HealthArgs {
    /// Server to ask, HOST:PORT (the GRADD_ADDR a container's server listens on works as is).
    #[arg(long, env = "GRADD_ADDR", default_value = "127.0.0.1:50051")]
    addr: String,
    /// Service to ask about: "" (the server), readiness, liveness or gradd.v1.Gradd.
    #[arg(long, default_value = "")]
    service: String,
    /// Seconds to wait for the connection and the answer together.
    #[arg(long, default_value_t = 3.0)]
    timeout: f64,
    /// CA certificate (PEM) of a TLS server; connects over TLS when given.
    #[arg(long, env = "GRADD_HEALTH_TLS_CA")]
    tls_ca: Option<String>,
    /// Name the server's certificate must carry (default: the host part of --addr).
    #[arg(long, env = "GRADD_HEALTH_TLS_DOMAIN", requires = "tls_ca")]
    tls_domain: Option<String>,
    /// Client certificate (PEM) for a server that requires one (--tls-client-ca).
    #[arg(long, requires_all = ["tls_ca", "tls_client_key"])]
    tls_client_cert: Option<String>,
    /// Client private key (PEM).
    #[arg(long, requires = "tls_client_cert")]
    tls_client_key: Option<String>,
}

/// `gradd health`: one grpc.health.v1 Check. Ok(false) (exit 1) when the answer is anything
/// but SERVING; Err (exit 1, message on stderr) when there is no answer.
async fn run_health(a: HealthArgs) -> Result<bool, String> {
    use tonic::transport::{Certificate, ClientTlsConfig, Endpoint, Identity};
    use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};
    let limit =
        Duration::try_from_secs_f64(a.timeout).map_err(|e| format!("--timeout {}: {e}", a.timeout))?;
    let scheme = if a.tls_ca.is_some() { "https" } else { "http" };
    let mut ep = Endpoint::from_shared(format!("{scheme}://{}", a.addr))
        .map_err(|e| format!("--addr {}: {e}", a.addr))?
        .connect_timeout(limit)
        .timeout(limit);
    if let Some(ca) = &a.tls_ca {
        let mut tls = ClientTlsConfig::new().ca_certificate(Certificate::from_pem(read(ca)?));
        if let Some(d) = &a.tls_domain {
            tls = tls.domain_name(d.clone());
        }
        if let (Some(c), Some(k)) = (&a.tls_client_cert, &a.tls_client_key) {
            tls = tls.identity(Identity::from_pem(read(c)?, read(k)?));
        }
        ep = ep.tls_config(tls).map_err(|e| format!("TLS: {e}"))?;
    }
    let ask = async {
        let ch = ep
            .connect()
            .await
            .map_err(|e| format!("cannot connect to {}: {}", a.addr, with_sources(&e)))?;
        HealthClient::new(ch)
            .check(HealthCheckRequest {
                service: a.service.clone(),
            })
            .await
            .map_err(|s| {
                let code = gradd::service::status::code_name(s.code());
                format!(
                    "health check of {:?} on {}: {code}: {}",
                    a.service,
                    a.addr,
                    s.message()
                )
            })
    };
    let resp = tokio::time::timeout(limit, ask)
        .await
        .map_err(|_| format!("no answer from {} within {limit:?}", a.addr))??;
    let status = resp.into_inner().status();
    println!("{}", status.as_str_name());
    Ok(status == tonic_health::pb::health_check_response::ServingStatus::Serving)
}

/// An error with its chain of causes ("transport error: Connection refused (os error 111)").
fn with_sources(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    let mut last = out.clone();
    while let Some(c) = cause {
        let text = c.to_string();
        // Wrappers often repeat their cause's text; say it once.
        if text != last {
            out.push_str(": ");
            out.push_str(&text);
        }
        cause = c.source();
        last = text;
    }
    out
}

/// Logs go to stderr from a thread of their own: a slow reader of stderr (a full pipe, a log
/// shipper applying backpressure) must not stall the threads serving requests. If the queue
/// (`LOG_QUEUE_LINES`) fills up, lines are dropped rather than waited for. The returned guard
/// flushes what is queued when dropped, at the end of `serve`.
fn init_logs(format: &str, filter: &str) -> tracing_appender::non_blocking::WorkerGuard {
    const LOG_QUEUE_LINES: usize = 64 * 1024;
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .buffered_lines_limit(LOG_QUEUE_LINES)
        .lossy(true)
        .thread_name("gradd-log")
        .finish(std::io::stderr());
    let b = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    if format == "json" {
        b.json().init();
    } else {
        b.init();
    }
    guard
}

/// Resolves on SIGTERM or SIGINT (Ctrl-C). The handlers are installed here, before the server
/// listens, not when the future is first polled: a signal that arrived before that poll would
/// otherwise kill the process without a graceful shutdown, and an installation that fails is
/// an error at start-up rather than a server that ignores SIGTERM.
fn shutdown_signal() -> Result<impl std::future::Future<Output = ()> + Send + 'static, String> {
    #[cfg(unix)]
    let (mut term, mut int) = {
        use tokio::signal::unix::{SignalKind, signal};
        let install = |kind: SignalKind, name: &str| {
            signal(kind).map_err(|e| format!("cannot install the {name} handler: {e}"))
        };
        (
            install(SignalKind::terminate(), "SIGTERM")?,
            install(SignalKind::interrupt(), "SIGINT")?,
        )
    };
    Ok(async move {
        #[cfg(unix)]
        tokio::select! { _ = term.recv() => {}, _ = int.recv() => {} }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutting down");
    })
}

fn read(path: &str) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{path}: {e}"))
}

fn config(a: &ServeArgs) -> Result<ServiceConfig, String> {
    let mut cfg = ServiceConfig::default();
    cfg.store.default_ttl = Duration::from_secs(a.session_ttl.max(1));
    cfg.store.max_ttl = Duration::from_secs(a.max_session_ttl.max(1));
    cfg.store.max_sessions = a.max_sessions;
    cfg.store.max_sessions_per_principal = a.max_sessions_per_principal;
    cfg.store.session_memory_bytes = a.session_memory_bytes;
    cfg.max_tensor_elements = a.max_tensor_elements;
    cfg.max_steps_per_run = a.max_steps;
    cfg.inline_work = (a.inline_work > 0).then_some(a.inline_work);
    cfg.max_message_bytes = a.max_message_bytes;
    cfg.max_response_bytes = a.max_response_bytes;
    cfg.max_concurrent_requests = a.max_concurrent_requests;
    cfg.max_concurrent_streams = a.max_concurrent_streams;
    cfg.grace_period = Duration::from_secs(a.grace_period);
    cfg.handshake_timeout = Duration::from_secs(a.handshake_timeout.max(1));
    cfg.busy_poll = (a.busy_poll > 0).then(|| Duration::from_micros(a.busy_poll));
    let mut text = String::new();
    if let Some(f) = &a.tokens_file {
        text.push_str(&String::from_utf8_lossy(&read(f)?));
        text.push('\n');
    }
    if let Some(t) = &a.tokens {
        text.push_str(t);
    }
    if !text.trim().is_empty() {
        cfg.tokens = Some(Arc::new(
            Tokens::parse(&text).map_err(|e| format!("tokens: {e}"))?,
        ));
    }
    if let (Some(c), Some(k)) = (&a.tls_cert, &a.tls_key) {
        let client_ca_pem = a.tls_client_ca.as_deref().map(read).transpose()?;
        cfg.tls = Some(TlsFiles {
            cert_pem: read(c)?,
            key_pem: read(k)?,
            client_ca_pem,
        });
    }
    if cfg.tokens.is_none() && !a.addr.ip().is_loopback() && !a.insecure {
        return Err(format!(
            "refusing to serve on {} without authentication: configure --tokens/--tokens-file, \
             listen on a loopback address, or pass --insecure",
            a.addr
        ));
    }
    Ok(cfg)
}

async fn run_serve(a: ServeArgs) -> Result<(), String> {
    let _log_flush = init_logs(&a.log_format, &a.log);
    let cfg = config(&a)?;
    let shutdown = shutdown_signal()?;
    let listener = tokio::net::TcpListener::bind(a.addr)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", a.addr))?;
    let metrics = match a.metrics_addr {
        Some(m) => Some(
            tokio::net::TcpListener::bind(m)
                .await
                .map_err(|e| format!("cannot listen on {m}: {e}"))?,
        ),
        None => None,
    };
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    tracing::info!(addr = %local, tls = cfg.tls.is_some(), auth = cfg.tokens.is_some(), "gradd listening");
    serve_with(listener, metrics, cfg, shutdown)
        .await
        .map_err(|e| e.to_string())?;
    tracing::info!("gradd stopped");
    Ok(())
}

async fn run_conformance(
    files: Vec<String>,
    addr: Option<String>,
    filter: Option<String>,
) -> Result<bool, String> {
    let mut cases = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).map_err(|e| format!("{f}: {e}"))?;
        cases.extend(gradd::conformance::load_cases(&text).map_err(|e| format!("{f}: {e}"))?);
    }
    let (endpoint, server) = match addr {
        Some(a) => (format!("http://{a}"), None),
        None => {
            let l = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .map_err(|e| e.to_string())?;
            let local = l.local_addr().map_err(|e| e.to_string())?;
            let (tx, rx) = tokio::sync::oneshot::channel::<()>();
            let h = tokio::spawn(serve(l, ServiceConfig::default(), async {
                let _ = rx.await;
            }));
            (format!("http://{local}"), Some((tx, h)))
        }
    };
    let mut client = gradd::proto::gradd_client::GraddClient::connect(endpoint.clone())
        .await
        .map_err(|e| format!("cannot connect to {endpoint}: {e}"))?
        .max_decoding_message_size(usize::MAX);
    let report = gradd::conformance::run_cases(&mut client, &cases, filter.as_deref()).await;
    for f in &report.failures {
        println!("{f}");
    }
    println!("{} passed, {} failed", report.passed, report.failed);
    if let Some((tx, h)) = server {
        let _ = tx.send(());
        let _ = h.await;
    }
    Ok(report.failed == 0)
}

async fn run_bench(a: gradd::bench::BenchArgs) -> Result<bool, String> {
    let json = a.json;
    let report = gradd::bench::run(a).await?;
    if json {
        println!("{}", serde_json::to_string(&report).map_err(|e| e.to_string())?);
    } else {
        print!("{report}");
    }
    Ok(report.error_total() == 0)
}

fn main() -> ExitCode {
    // Before the runtime starts any thread, so that all of them (tokio's workers and blocking
    // pool, rayon's pool) inherit it: TensorFlow's subnormal handling.
    gradd::kernels::flush_denormals();
    let cli = Cli::parse();
    let mut rt = tokio::runtime::Builder::new_multi_thread();
    // Busy polling works only if the spinning worker owns the I/O driver: one worker (see
    // gradd::service::busy).
    if let Cmd::Serve(a) = &cli.cmd
        && a.busy_poll > 0
    {
        rt.worker_threads(1);
    }
    match rt.enable_all().build() {
        Ok(rt) => rt.block_on(run(cli)),
        Err(e) => {
            eprintln!("gradd: cannot start the async runtime: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> ExitCode {
    let res = match cli.cmd {
        Cmd::Serve(a) => run_serve(*a).await.map(|_| true),
        Cmd::Conformance { files, addr, filter } => run_conformance(files, addr, filter).await,
        Cmd::Bench(a) => run_bench(a).await,
        Cmd::Perf { seconds, json, only } => {
            let budget = Duration::from_secs_f64(seconds);
            let ms = tokio::task::spawn_blocking(move || gradd::perf::run_all(budget, &only))
                .await
                .map_err(|e| e.to_string());
            ms.and_then(|ms| {
                if json {
                    println!("{}", serde_json::to_string(&ms).map_err(|e| e.to_string())?);
                } else {
                    for m in &ms {
                        println!(
                            "{:<22} {:>12.3} us  (best {:.3} us)",
                            m.name,
                            m.seconds * 1e6,
                            m.best_seconds * 1e6
                        );
                    }
                }
                Ok(true)
            })
        }
        Cmd::Health(a) => run_health(a).await,
        Cmd::Ops => {
            print!("{}", gradd::ops::markdown_table());
            Ok(true)
        }
        Cmd::Protoset { out } => std::fs::write(&out, gradd::proto::FILE_DESCRIPTOR_SET)
            .map(|_| {
                println!("wrote {out}");
                true
            })
            .map_err(|e| format!("{out}: {e}")),
    };
    match res {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("gradd: {e}");
            ExitCode::FAILURE
        }
    }
}
