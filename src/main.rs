//! The `gradd` command line: `serve`, `conformance`, `protoset`.

use clap::{Parser, Subcommand};
use gradd::service::{ServiceConfig, serve};
use std::net::SocketAddr;
use std::process::ExitCode;

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
    Serve(ServeArgs),
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
    /// Prints the op table (markdown), as in the README.
    Ops,
    /// Writes the API's FileDescriptorSet (for `ghz --protoset` or grpcurl).
    Protoset {
        /// Output file.
        #[arg(long, default_value = "gradd.protoset")]
        out: String,
    },
}

#[derive(clap::Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "GRADD_ADDR", default_value = "127.0.0.1:50051")]
    addr: SocketAddr,
    /// Log format: pretty or json.
    #[arg(long, env = "GRADD_LOG_FORMAT", default_value = "pretty")]
    log_format: String,
    /// Default idle TTL of a session, in seconds (renewed by every call).
    #[arg(long, env = "GRADD_SESSION_TTL", default_value_t = 600)]
    session_ttl: u64,
    /// Most sessions alive at once.
    #[arg(long, env = "GRADD_MAX_SESSIONS", default_value_t = 10_000)]
    max_sessions: usize,
    /// Most elements in one tensor sent by a client.
    #[arg(long, env = "GRADD_MAX_TENSOR_ELEMENTS", default_value_t = 64 << 20)]
    max_tensor_elements: usize,
    /// Most steps in one Run request.
    #[arg(long, env = "GRADD_MAX_STEPS", default_value_t = 100_000)]
    max_steps: usize,
    /// Largest request or response message, in bytes.
    #[arg(long, env = "GRADD_MAX_MESSAGE_BYTES", default_value_t = 256 << 20)]
    max_message_bytes: usize,
}

fn init_logs(format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("GRADD_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let b = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if format == "json" {
        b.json().init();
    } else {
        b.init();
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}

async fn run_serve(a: ServeArgs) -> Result<(), String> {
    init_logs(&a.log_format);
    let mut cfg = ServiceConfig::default();
    cfg.store.default_ttl = std::time::Duration::from_secs(a.session_ttl.max(1));
    cfg.store.max_sessions = a.max_sessions;
    cfg.max_tensor_elements = a.max_tensor_elements;
    cfg.max_steps_per_run = a.max_steps;
    cfg.max_message_bytes = a.max_message_bytes;
    let listener = tokio::net::TcpListener::bind(a.addr)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", a.addr))?;
    let local = listener.local_addr().map_err(|e| e.to_string())?;
    tracing::info!(addr = %local, "gradd listening");
    serve(listener, cfg, shutdown_signal())
        .await
        .map_err(|e| e.to_string())
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

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let res = match cli.cmd {
        Cmd::Serve(a) => run_serve(a).await.map(|_| true),
        Cmd::Conformance { files, addr, filter } => run_conformance(files, addr, filter).await,
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
