//! The tonic service: a thin adapter that validates and converts wire messages, runs steps on
//! a compute thread (never on the reactor), and converts results and errors back.

pub mod convert;
pub mod status;

use crate::error::Error;
use crate::proto as pb;
use crate::proto::gradd_server::{Gradd, GraddServer};
use crate::session::store::SessionCell;
use crate::session::{SessionStore, StoreConfig};
use convert::DecodeLimits;
use status::StepFailure;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tokio_stream::{Stream, StreamExt};
use tonic::{Request, Response, Status, Streaming};
use tracing::{debug, info};

/// Everything the service can be configured with.
#[derive(Clone, Debug)]
pub struct ServiceConfig {
    pub store: StoreConfig,
    pub max_tensor_elements: usize,
    pub max_steps_per_run: usize,
    pub max_message_bytes: usize,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        ServiceConfig {
            store: StoreConfig::default(),
            max_tensor_elements: 64 << 20,
            max_steps_per_run: 100_000,
            max_message_bytes: 256 << 20,
        }
    }
}

#[derive(Clone)]
pub struct GraddService {
    store: Arc<SessionStore>,
    cfg: Arc<ServiceConfig>,
}

/// Who is calling. Until auth is configured every caller is the same principal.
fn principal<T>(_req: &Request<T>) -> String {
    "anonymous".to_string()
}

fn describe(cell: &SessionCell) -> pb::Session {
    let u = cell.usage();
    pb::Session {
        session_id: cell.id.clone(),
        ttl_seconds: cell.ttl.as_secs() as u32,
        expires_in_seconds: cell.expires_in().as_secs_f64(),
        refs: u.refs as u32,
        tapes: u.tapes as u32,
        bytes: u.bytes as u64,
    }
}

/// Runs the steps in order on one session; stops at the first failure.
fn execute(
    cell: &SessionCell,
    steps: Vec<pb::Step>,
    limits: DecodeLimits,
    raw: bool,
) -> Result<Vec<pb::StepResult>, StepFailure> {
    let mut session = cell.lock();
    let mut results = Vec::with_capacity(steps.len());
    for (index, s) in steps.into_iter().enumerate() {
        let kind = convert::step_kind_pb(&s);
        let step = convert::step_from_pb(s, limits).map_err(|error| StepFailure {
            index,
            kind,
            subject: String::new(),
            error,
        })?;
        let subject = step.subject();
        let out = session.run_step(step).map_err(|error| StepFailure {
            index,
            kind,
            subject,
            error,
        })?;
        results.push(convert::output_to_pb(out, raw));
    }
    Ok(results)
}

impl GraddService {
    pub fn new(cfg: ServiceConfig) -> GraddService {
        GraddService {
            store: Arc::new(SessionStore::new(cfg.store.clone())),
            cfg: Arc::new(cfg),
        }
    }

    pub fn store(&self) -> Arc<SessionStore> {
        self.store.clone()
    }

    fn limits(&self) -> DecodeLimits {
        DecodeLimits {
            max_tensor_elements: self.cfg.max_tensor_elements,
        }
    }

    /// Runs one batch on a blocking thread.
    async fn run_batch(
        &self,
        cell: Arc<SessionCell>,
        steps: Vec<pb::Step>,
        raw: bool,
    ) -> Result<Vec<pb::StepResult>, StepFailure> {
        if steps.len() > self.cfg.max_steps_per_run {
            return Err(StepFailure {
                index: self.cfg.max_steps_per_run,
                kind: "run",
                subject: String::new(),
                error: Error::ResourceExhausted(format!(
                    "{} steps in one request exceed the limit of {}",
                    steps.len(),
                    self.cfg.max_steps_per_run
                )),
            });
        }
        let limits = self.limits();
        match tokio::task::spawn_blocking(move || execute(&cell, steps, limits, raw)).await {
            Ok(r) => r,
            Err(e) => Err(StepFailure {
                index: 0,
                kind: "run",
                subject: String::new(),
                error: Error::Internal(format!("step execution failed: {e}")),
            }),
        }
    }

    /// The tonic server for this service, with message size limits applied.
    pub fn into_server(self) -> GraddServer<GraddService> {
        let max = self.cfg.max_message_bytes;
        GraddServer::new(self)
            .max_decoding_message_size(max)
            .max_encoding_message_size(max)
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

#[tonic::async_trait]
impl Gradd for GraddService {
    async fn create_session(
        &self,
        req: Request<pb::CreateSessionRequest>,
    ) -> Result<Response<pb::Session>, Status> {
        let p = principal(&req);
        let pb::CreateSessionRequest {
            session_id,
            ttl_seconds,
        } = req.into_inner();
        let cell = self
            .store
            .create(&session_id, Duration::from_secs(ttl_seconds as u64), &p)?;
        info!(session = %cell.id, "session created");
        Ok(Response::new(describe(&cell)))
    }

    async fn get_session(
        &self,
        req: Request<pb::GetSessionRequest>,
    ) -> Result<Response<pb::Session>, Status> {
        let p = principal(&req);
        let cell = self.store.get(&req.get_ref().session_id, &p)?;
        Ok(Response::new(describe(&cell)))
    }

    async fn keep_alive(&self, req: Request<pb::KeepAliveRequest>) -> Result<Response<pb::Session>, Status> {
        let p = principal(&req);
        let cell = self.store.get(&req.get_ref().session_id, &p)?;
        Ok(Response::new(pb::Session {
            session_id: cell.id.clone(),
            ttl_seconds: cell.ttl.as_secs() as u32,
            expires_in_seconds: cell.expires_in().as_secs_f64(),
            ..Default::default()
        }))
    }

    async fn delete_session(
        &self,
        req: Request<pb::DeleteSessionRequest>,
    ) -> Result<Response<pb::DeleteSessionResponse>, Status> {
        let p = principal(&req);
        let deleted = self.store.delete(&req.get_ref().session_id, &p);
        Ok(Response::new(pb::DeleteSessionResponse { deleted }))
    }

    async fn run(&self, req: Request<pb::RunRequest>) -> Result<Response<pb::RunResponse>, Status> {
        let p = principal(&req);
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
        let res = self.run_batch(cell, steps, raw_results).await;
        if ephemeral {
            self.store.delete(&id, &p);
        }
        match res {
            Ok(results) => Ok(Response::new(pb::RunResponse {
                session_id: if ephemeral { String::new() } else { id },
                results,
                error: None,
            })),
            Err(f) => {
                debug!(session = %id, error = %f.message(), "run failed");
                Err(f.to_status())
            }
        }
    }

    type RunStreamStream = RunStreamOut;

    async fn run_stream(
        &self,
        req: Request<Streaming<pb::RunRequest>>,
    ) -> Result<Response<RunStreamOut>, Status> {
        let p = principal(&req);
        let mut inbound = req.into_inner();
        let svc = self.clone();
        let (tx, rx) = tokio::sync::mpsc::channel(16);
        tokio::spawn(async move {
            let mut own = StreamSession {
                store: svc.store.clone(),
                id: None,
            };
            while let Some(msg) = inbound.next().await {
                let Ok(pb::RunRequest {
                    session_id,
                    steps,
                    raw_results,
                }) = msg
                else {
                    break;
                };
                let cell = if session_id.is_empty() {
                    match &own.id {
                        Some((id, _)) => svc.store.get(id, &p),
                        None => svc.store.create("", Duration::ZERO, &p).inspect(|c| {
                            own.id = Some((c.id.clone(), p.clone()));
                        }),
                    }
                } else {
                    svc.store.get(&session_id, &p)
                };
                let reply = match cell {
                    Err(e) => Err(Status::from(e)),
                    Ok(cell) => {
                        let id = cell.id.clone();
                        let res = svc.run_batch(cell, steps, raw_results).await;
                        Ok(match res {
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
                        })
                    }
                };
                if tx.send(reply).await.is_err() {
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

/// Serves gradd on `listener` until `shutdown` resolves; expired sessions are reaped meanwhile.
pub async fn serve(
    listener: tokio::net::TcpListener,
    cfg: ServiceConfig,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), tonic::transport::Error> {
    let svc = GraddService::new(cfg);
    let store = svc.store();
    let reaper = tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tick.tick().await;
            let n = store.reap();
            if n > 0 {
                info!(expired = n, "reaped sessions");
            }
        }
    });
    let incoming = tokio_stream::wrappers::TcpListenerStream::new(listener);
    let res = tonic::transport::Server::builder()
        .add_service(svc.into_server())
        .serve_with_incoming_shutdown(incoming, shutdown)
        .await;
    reaper.abort();
    res
}
