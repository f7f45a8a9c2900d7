//! The server: gradd plus grpc.health.v1 and server reflection (v1 and v1alpha) on one HTTP/2
//! listener, optional TLS (rustls, optional client certificates), bearer-token auth, the
//! outer layer (deadlines, status fixes, metrics), a session reaper, a Prometheus endpoint,
//! and graceful shutdown (health flips to NOT_SERVING, in-flight requests get a grace period).

use super::GraddService;
use super::auth::{Tokens, interceptor};
use super::busy::BusyPoll;
use super::layer::Outer;
use super::metrics::serve_metrics;
use crate::proto::gradd_server::GraddServer;
use crate::session::StoreConfig;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tonic::service::Routes;
use tonic::service::interceptor::InterceptedService;
use tonic_health::ServingStatus;
use tracing::{info, warn};

/// PEM files for TLS.
#[derive(Clone, Debug)]
pub struct TlsFiles {
    pub cert_pem: Vec<u8>,
    pub key_pem: Vec<u8>,
    /// When set, clients must present a certificate signed by this CA.
    pub client_ca_pem: Option<Vec<u8>>,
}

/// Everything the service can be configured with (flags and GRADD_* env vars in main.rs).
#[derive(Clone, Debug)]
pub struct ServiceConfig {
    pub store: StoreConfig,
    pub max_tensor_elements: usize,
    pub max_steps_per_run: usize,
    /// Work bound under which steps run without a hand-off to a compute thread (see
    /// `exec.rs`); None: every Run goes to the blocking pool.
    pub inline_work: Option<usize>,
    /// Largest request message (decode limit).
    pub max_message_bytes: usize,
    /// Largest response message (encode limit).
    pub max_response_bytes: usize,
    /// Requests running at once; beyond it requests are shed with RESOURCE_EXHAUSTED.
    pub max_concurrent_requests: usize,
    /// HTTP/2 streams one connection may have open at once.
    pub max_concurrent_streams: u32,
    /// How long in-flight requests may take to finish after a shutdown signal.
    pub grace_period: Duration,
    /// How long a new connection may take to complete its TLS handshake, or (plaintext) to
    /// send its first bytes, before it is closed: a peer that connects and stalls would
    /// otherwise hold a task and a file descriptor for as long as it likes.
    pub handshake_timeout: Duration,
    pub tokens: Option<Arc<Tokens>>,
    pub tls: Option<TlsFiles>,
    /// Busy polling: for this long after each request starts and ends, the reactor polls its
    /// sockets instead of sleeping (see `busy.rs`; effective on a runtime with one worker
    /// thread, which `gradd serve` builds when it is set). None: off.
    pub busy_poll: Option<Duration>,
}

/// About 30 us of single-threaded work: under the cost of waking a compute thread and back.
pub const DEFAULT_INLINE_WORK: usize = 32 << 10;

impl Default for ServiceConfig {
    fn default() -> Self {
        ServiceConfig {
            store: StoreConfig::default(),
            max_tensor_elements: 64 << 20,
            max_steps_per_run: 100_000,
            inline_work: Some(DEFAULT_INLINE_WORK),
            max_message_bytes: 256 << 20,
            max_response_bytes: 256 << 20,
            max_concurrent_requests: 1024,
            max_concurrent_streams: 256,
            grace_period: Duration::from_secs(30),
            handshake_timeout: Duration::from_secs(10),
            tokens: None,
            tls: None,
            busy_poll: None,
        }
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The health services reported: overall, the Kubernetes-style probes, and gradd itself. Set to
/// SERVING at start and NOT_SERVING on shutdown.
const HEALTH_NAMES: [&str; 4] = ["", "readiness", "liveness", "gradd.v1.Gradd"];

fn tls_acceptor(t: &TlsFiles) -> Result<tokio_rustls::TlsAcceptor, BoxError> {
    use tokio_rustls::rustls;
    let certs = rustls_pemfile::certs(&mut t.cert_pem.as_slice()).collect::<Result<Vec<_>, _>>()?;
    let key =
        rustls_pemfile::private_key(&mut t.key_pem.as_slice())?.ok_or("no private key in the key file")?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?;
    let builder = match &t.client_ca_pem {
        Some(ca) => {
            let mut roots = rustls::RootCertStore::empty();
            for c in rustls_pemfile::certs(&mut ca.as_slice()) {
                roots.add(c?)?;
            }
            let verifier =
                rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                    .build()?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let mut cfg = builder.with_single_cert(certs, key)?;
    cfg.alpn_protocols = vec![b"h2".to_vec()];
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(cfg)))
}

/// Serves gradd on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    cfg: ServiceConfig,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), BoxError> {
    serve_with(listener, None, cfg, shutdown).await
}

/// Like `serve`, with a Prometheus `/metrics` endpoint on `metrics` when given.
pub async fn serve_with(
    listener: TcpListener,
    metrics_listener: Option<TcpListener>,
    cfg: ServiceConfig,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), BoxError> {
    let tls = cfg.tls.as_ref().map(tls_acceptor).transpose()?;
    crate::tensor::set_max_elements(cfg.max_tensor_elements);
    let svc = GraddService::new(cfg.clone());
    let (store, metrics) = (svc.store(), svc.metrics());

    let (health, health_svc) = tonic_health::server::health_reporter();
    for name in HEALTH_NAMES {
        health.set_service_status(name, ServingStatus::Serving).await;
    }
    let reflection = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(crate::proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_types::pb::FILE_DESCRIPTOR_SET)
    };
    let max = cfg.max_message_bytes;
    let gradd = GraddServer::new(svc)
        .max_decoding_message_size(max)
        .max_encoding_message_size(usize::MAX);
    // Every service but health takes the same bearer token: reflection describes the whole
    // API, which is for callers who may use it. Health stays open because probes (Kubernetes'
    // gRPC probe, load balancers) cannot send credentials and learn nothing beyond SERVING.
    let auth = interceptor(cfg.tokens.clone());
    let gradd = InterceptedService::new(gradd, auth.clone());
    let routes = Routes::new(gradd)
        .add_service(health_svc)
        .add_service(InterceptedService::new(reflection().build_v1()?, auth.clone()))
        .add_service(InterceptedService::new(reflection().build_v1alpha()?, auth))
        .prepare();
    let busy = cfg.busy_poll.filter(|w| !w.is_zero()).map(BusyPoll::new);
    if let Some(b) = &busy {
        metrics.watch_busy_poll(b.clone());
    }
    let poller = busy.clone().map(|b| tokio::spawn(b.run()));
    let app = Outer::new(routes, metrics.clone(), busy);

    let reaper = {
        let store = store.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            loop {
                tick.tick().await;
                let n = store.reap();
                if n > 0 {
                    info!(expired = n, "reaped sessions");
                }
            }
        })
    };
    let metrics_task = metrics_listener.map(|l| tokio::spawn(serve_metrics(l, metrics, store.clone())));

    let mut http = hyper::server::conn::http2::Builder::new(TokioExecutor::new());
    http.timer(TokioTimer::new())
        .max_concurrent_streams(cfg.max_concurrent_streams);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    // Connection tasks, so that connections still open after the grace period are closed.
    let mut conns = tokio::task::JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(c) => c,
                Err(e) => {
                    warn!(error = %e, "accept failed");
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let (http, app, watcher, tls) = (http.clone(), app.clone(), graceful.watcher(), tls.clone());
        let limit = cfg.handshake_timeout;
        while conns.try_join_next().is_some() {}
        conns.spawn(async move {
            let svc = TowerToHyperService::new(app);
            let res = match tls {
                Some(acc) => match tokio::time::timeout(limit, acc.accept(stream)).await {
                    Ok(Ok(s)) => watcher.watch(http.serve_connection(TokioIo::new(s), svc)).await,
                    Ok(Err(e)) => {
                        warn!(%peer, error = %e, "TLS handshake failed");
                        return;
                    }
                    Err(_) => {
                        warn!(%peer, timeout = ?limit, "TLS handshake timed out; connection closed");
                        return;
                    }
                },
                None => {
                    // A gRPC client sends the HTTP/2 preface as soon as it connects.
                    // (`peek` waits for a byte or end of stream; `readable()` may wake early.)
                    let mut first = [0u8; 1];
                    if tokio::time::timeout(limit, stream.peek(&mut first))
                        .await
                        .is_err()
                    {
                        warn!(%peer, timeout = ?limit, "no bytes from a new connection; closed");
                        return;
                    }
                    watcher
                        .watch(http.serve_connection(TokioIo::new(stream), svc))
                        .await
                }
            };
            if let Err(e) = res {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
        });
    }

    // Shutdown: report NOT_SERVING, stop accepting, let in-flight requests finish.
    for name in HEALTH_NAMES {
        health.set_service_status(name, ServingStatus::NotServing).await;
    }
    drop(listener);
    info!(grace = ?cfg.grace_period, "draining in-flight requests");
    if tokio::time::timeout(cfg.grace_period, graceful.shutdown())
        .await
        .is_err()
    {
        warn!("grace period over; closing remaining connections");
    }
    conns.shutdown().await;
    reaper.abort();
    for t in [metrics_task, poller].into_iter().flatten() {
        t.abort();
    }
    Ok(())
}
