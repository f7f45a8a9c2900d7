//! The tonic service: a thin adapter that validates and converts wire messages, runs steps
//! (small ones where the request was decoded, anything bigger on a compute thread: see
//! `exec.rs`), and converts results and errors back. Transport concerns (TLS, deadlines,
//! health, reflection, shutdown) live in `server.rs` and `layer.rs`.

pub mod auth;
pub mod busy;
pub mod convert;
mod exec;
pub mod layer;
pub mod metrics;
pub mod server;
pub mod status;

pub use server::{DEFAULT_INLINE_WORK, ServiceConfig, TlsFiles, serve, serve_with};

use crate::error::Error;
use crate::proto as pb;
use crate::proto::gradd_server::Gradd;
use crate::session::SessionStore;
use crate::session::store::SessionCell;
use auth::principal_of;
use convert::DecodeLimits;
use exec::{Exec, Progress};
use layer::Deadline;
use metrics::Metrics;
use status::StepFailure;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;
use tokio_stream::{Stream, StreamExt};
use tonic::{Request, Response, Status, Streaming};
use tracing::{Instrument, debug, debug_span};

#[derive(Clone)]
pub struct GraddService {
    store: Arc<SessionStore>,
    cfg: Arc<ServiceConfig>,
    metrics: Arc<Metrics>,
    /// Global concurrency limit: a request that finds no permit is shed at once.
    permits: Arc<Semaphore>,
}

/// Describes a session without waiting for it (a Run may hold it for long): the usage is
/// counted now if the session is idle, else the count from before the running request.
fn describe(cell: &SessionCell) -> pb::Session {
    let u = cell.last_usage();
    pb::Session {
        session_id: cell.id.clone(),
        ttl_seconds: cell.ttl.as_secs() as u32,
        expires_in_seconds: cell.expires_in().as_secs_f64(),
        refs: u.refs as u32,
        tapes: u.tapes as u32,
        bytes: u.bytes as u64,
    }
}

/// Why a batch did not complete: the request as a whole was refused (limits, load shedding,
/// an unknown session), or one of its steps failed.
enum Failure {
    Request(Error),
    Step(StepFailure),
}

impl Failure {
    fn to_status(&self) -> Status {
        match self {
            Failure::Request(e) => Status::from(e.clone()),
            Failure::Step(f) => f.to_status(),
        }
    }

    fn to_pb(&self) -> pb::StepError {
        match self {
            Failure::Request(e) => pb::StepError {
                code: status::code_of(e) as i32,
                message: e.to_string(),
                step_index: 0,
                step_kind: String::new(),
                r#ref: String::new(),
            },
            Failure::Step(f) => f.to_pb(),
        }
    }
}

impl GraddService {
    pub fn new(cfg: ServiceConfig) -> GraddService {
        GraddService {
            store: Arc::new(SessionStore::new(cfg.store.clone())),
            permits: Arc::new(Semaphore::new(cfg.max_concurrent_requests.max(1))),
            metrics: Arc::new(Metrics::default()),
            cfg: Arc::new(cfg),
        }
    }

    pub fn store(&self) -> Arc<SessionStore> {
        self.store.clone()
    }

    pub fn metrics(&self) -> Arc<Metrics> {
        self.metrics.clone()
    }

    fn limits(&self) -> DecodeLimits {
        DecodeLimits {
            max_tensor_elements: self.cfg.max_tensor_elements,
        }
    }

    /// Runs one batch on a blocking thread (kernels never run on the reactor). The concurrency
    /// permit travels with the computation, so a caller that gives up (deadline) does not free
    /// its slot while the steps still run.
    async fn run_batch(
        &self,
        cell: Arc<SessionCell>,
        steps: Vec<pb::Step>,
        raw: bool,
        deadline: Option<Instant>,
    ) -> Result<Vec<pb::StepResult>, Failure> {
        if steps.len() > self.cfg.max_steps_per_run {
            return Err(Failure::Request(Error::ResourceExhausted(format!(
                "{} steps in one request exceed the limit of {}",
                steps.len(),
                self.cfg.max_steps_per_run
            ))));
        }
        let Ok(permit) = self.permits.clone().try_acquire_owned() else {
            return Err(Failure::Request(Error::ResourceExhausted(format!(
                "server busy: {} requests are running (the limit); retry with backoff",
                self.cfg.max_concurrent_requests
            ))));
        };
        let mut exec = Exec::new(steps, self.limits(), raw, deadline);
        // Small steps run right here (no hand-off); the session stays locked from here until
        // the batch ends, on whichever thread that is.
        let mut held = None;
        if let Some(max) = self.cfg.inline_work
            && let Some(mut session) = cell.try_lock()
        {
            match exec.advance(&cell, &mut session, Some(max)) {
                Progress::Done => {
                    drop(session);
                    drop(permit);
                    let b = exec.finish();
                    debug!(inline = true, ok = b.result.is_ok(), "run finished");
                    self.metrics.steps(&b.counts);
                    return b.result.map_err(Failure::Step);
                }
                Progress::Heavy => held = Some(session),
            }
        }
        // The RPC's span (with the session id) follows the work onto the compute thread.
        let span = tracing::Span::current();
        let batch = tokio::task::spawn_blocking(move || {
            let _entered = span.enter();
            let mut session = held.unwrap_or_else(|| cell.lock());
            exec.advance(&cell, &mut session, None);
            drop(session);
            drop(permit);
            let b = exec.finish();
            match &b.result {
                Ok(_) => debug!("run finished"),
                Err(f) => debug!(error = %f.message(), "run failed"),
            }
            b
        })
        .await;
        match batch {
            Ok(b) => {
                self.metrics.steps(&b.counts);
                b.result.map_err(Failure::Step)
            }
            Err(e) => Err(Failure::Request(Error::Internal(format!(
                "step execution failed: {e}"
            )))),
        }
    }

    /// A session for a stream batch: the stream's own (opened on first use) or a named one.
    fn stream_cell(
        &self,
        session_id: &str,
        own: &mut StreamSession,
        p: &str,
    ) -> Result<Arc<SessionCell>, Error> {
        if !session_id.is_empty() {
            return self.store.get(session_id, p);
        }
        match &own.id {
            Some((id, _)) => self.store.get(id, p),
            None => {
                let c = self.store.create("", Duration::ZERO, p)?;
                own.id = Some((c.id.clone(), p.to_string()));
                Ok(c)
            }
        }
    }

    /// Fails if the response would exceed the encode limit (tonic would otherwise cut it off).
    fn check_size(&self, resp: &pb::RunResponse) -> Result<(), Error> {
        let n = prost::Message::encoded_len(resp);
        if n > self.cfg.max_response_bytes {
            return Err(Error::ResourceExhausted(format!(
                "response would be {n} bytes, over the limit of {}: fetch fewer or smaller tensors",
                self.cfg.max_response_bytes
            )));
        }
        Ok(())
    }
}

/// Deletes the stream's session when the stream ends, however it ends.
struct StreamSession {
    store: Arc<SessionStore>,
    id: Option<(String, String)>,
}

impl Drop for StreamSession {
    fn drop(&mut self) {
        if let Some((id, p)) = self.id.take() {
            self.store.delete(&id, &p);
            debug!(session = %id, "stream session freed");
        }
    }
}

type RunStreamOut = Pin<Box<dyn Stream<Item = Result<pb::RunResponse, Status>> + Send>>;

fn deadline_of<T>(req: &Request<T>) -> Option<Instant> {
    req.extensions().get::<Deadline>().map(|d| d.0)
}

#[tonic::async_trait]
impl Gradd for GraddService {
    async fn create_session(
        &self,
        req: Request<pb::CreateSessionRequest>,
    ) -> Result<Response<pb::Session>, Status> {
        let p = principal_of(&req);
        let pb::CreateSessionRequest {
            session_id,
            ttl_seconds,
        } = req.into_inner();
        let cell = self
            .store
            .create(&session_id, Duration::from_secs(ttl_seconds as u64), &p)?;
        debug!(session = %cell.id, principal = %p, "session created");
        Ok(Response::new(describe(&cell)))
    }

    async fn get_session(
        &self,
        req: Request<pb::GetSessionRequest>,
    ) -> Result<Response<pb::Session>, Status> {
        let p = principal_of(&req);
        let cell = self.store.get(&req.get_ref().session_id, &p)?;
        Ok(Response::new(describe(&cell)))
    }

    async fn keep_alive(&self, req: Request<pb::KeepAliveRequest>) -> Result<Response<pb::Session>, Status> {
        let p = principal_of(&req);
        let cell = self.store.get(&req.get_ref().session_id, &p)?;
        Ok(Response::new(describe(&cell)))
    }

    async fn delete_session(
        &self,
        req: Request<pb::DeleteSessionRequest>,
    ) -> Result<Response<pb::DeleteSessionResponse>, Status> {
        let p = principal_of(&req);
        let id = &req.get_ref().session_id;
        let deleted = self.store.delete(id, &p);
        if deleted {
            debug!(session = %id, "session deleted");
        }
        Ok(Response::new(pb::DeleteSessionResponse { deleted }))
    }

    async fn run(&self, req: Request<pb::RunRequest>) -> Result<Response<pb::RunResponse>, Status> {
        let p = principal_of(&req);
        let deadline = deadline_of(&req);
        let pb::RunRequest {
            session_id,
            steps,
            raw_results,
        } = req.into_inner();
        let ephemeral = session_id.is_empty();
        let cell = if ephemeral {
            self.store.create("", Duration::ZERO, &p)?
        } else {
            self.store.get(&session_id, &p)?
        };
        let id = cell.id.clone();
        // At debug level: the only events inside a Run are debug ones, and an enabled span
        // formats its fields on every Run (a few percent of a small Run's cost).
        let span = debug_span!("run", session = %id, steps = steps.len());
        let res = self
            .run_batch(cell, steps, raw_results, deadline)
            .instrument(span)
            .await;
        if ephemeral {
            self.store.delete(&id, &p);
        }
        match res {
            Ok(results) => {
                let session_id = if ephemeral { String::new() } else { id };
                let resp = pb::RunResponse {
                    session_id,
                    results,
                    error: None,
                };
                self.check_size(&resp)?;
                Ok(Response::new(resp))
            }
            Err(f) => Err(f.to_status()),
        }
    }

    type RunStreamStream = RunStreamOut;

    async fn run_stream(
        &self,
        req: Request<Streaming<pb::RunRequest>>,
    ) -> Result<Response<RunStreamOut>, Status> {
        let p = principal_of(&req);
        // grpc-timeout on a stream bounds the whole stream.
        let deadline = deadline_of(&req);
        let mut inbound = req.into_inner();
        let svc = self.clone();
        let (tx, rx) = tokio::sync::mpsc::channel(16);
        tokio::spawn(async move {
            let mut own = StreamSession {
                store: svc.store.clone(),
                id: None,
            };
            // Ends when the client half-closes, errors or disconnects, or at the deadline; `own`
            // then frees the stream's session. A failed batch is reported in-band
            // (RunResponse.error) and the stream goes on.
            loop {
                let next = match deadline {
                    Some(d) => match tokio::time::timeout_at(d.into(), inbound.next()).await {
                        Ok(n) => n,
                        Err(_) => {
                            let _ = tx
                                .send(Err(Status::deadline_exceeded("the stream's deadline passed")))
                                .await;
                            break;
                        }
                    },
                    None => inbound.next().await,
                };
                let Some(Ok(pb::RunRequest {
                    session_id,
                    steps,
                    raw_results,
                })) = next
                else {
                    break;
                };
                let resp = match svc.stream_cell(&session_id, &mut own, &p) {
                    Err(e) => pb::RunResponse {
                        session_id,
                        results: vec![],
                        error: Some(Failure::Request(e).to_pb()),
                    },
                    Ok(cell) => {
                        let id = cell.id.clone();
                        match svc.run_batch(cell, steps, raw_results, deadline).await {
                            Ok(results) => pb::RunResponse {
                                session_id: id,
                                results,
                                error: None,
                            },
                            Err(f) => pb::RunResponse {
                                session_id: id,
                                results: vec![],
                                error: Some(f.to_pb()),
                            },
                        }
                    }
                };
                let resp = match svc.check_size(&resp) {
                    Ok(()) => resp,
                    Err(e) => pb::RunResponse {
                        session_id: resp.session_id,
                        results: vec![],
                        error: Some(Failure::Request(e).to_pb()),
                    },
                };
                if tx.send(Ok(resp)).await.is_err() {
                    break;
                }
            }
            drop(own);
        });
        Ok(Response::new(Box::pin(
            tokio_stream::wrappers::ReceiverStream::new(rx),
        )))
    }
}
