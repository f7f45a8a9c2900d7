//! The outermost HTTP layer: honours `grpc-timeout` with DEADLINE_EXCEEDED (tonic's own server
//! answers CANCELLED), reports an oversized request as RESOURCE_EXHAUSTED (tonic says
//! OUT_OF_RANGE), hands the deadline to handlers, and feeds the per-RPC metrics.

use super::busy::BusyPoll;
use super::metrics::{Method, Metrics};
use super::status::code_name;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Request, Response};
use http_body::Frame;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tonic::body::Body;
use tonic::{Code, Status};

/// The client's deadline, for handlers to check between steps.
#[derive(Clone, Copy, Debug)]
pub struct Deadline(pub Instant);

/// Parses gRPC's `grpc-timeout` header (e.g. `100m`, `5S`).
pub fn parse_timeout(h: &HeaderMap) -> Option<Duration> {
    let v = h.get("grpc-timeout")?.to_str().ok()?;
    let (num, unit) = v.split_at(v.len().checked_sub(1)?);
    let n: u64 = num.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(n.saturating_mul(3600)),
        "M" => Duration::from_secs(n.saturating_mul(60)),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    })
}

fn method_of(path: &str) -> Method {
    let mut parts = path.trim_start_matches('/').splitn(2, '/');
    let service = parts.next().unwrap_or_default().to_string();
    let method = parts.next().unwrap_or_default().to_string();
    let kind = match method.as_str() {
        "RunStream" | "ServerReflectionInfo" => "bidi_stream",
        "Watch" => "server_stream",
        _ => "unary",
    };
    (kind, service, method)
}

/// Rewrites tonic's OUT_OF_RANGE for an oversized message to RESOURCE_EXHAUSTED.
fn fix_status(h: &mut HeaderMap) {
    let Some(st) = Status::from_header_map(h) else {
        return;
    };
    if st.code() == Code::OutOfRange && st.message().contains("message length too large") {
        let msg = format!("request message too large: {}", st.message());
        let fixed = Status::resource_exhausted(msg);
        h.remove("grpc-message");
        if fixed.add_header(h).is_err() {
            h.insert("grpc-status", HeaderValue::from_static("8"));
        }
    }
}

#[derive(Clone)]
pub struct Outer<S> {
    inner: S,
    metrics: Arc<Metrics>,
    busy: Option<Arc<BusyPoll>>,
}

impl<S> Outer<S> {
    pub fn new(inner: S, metrics: Arc<Metrics>, busy: Option<Arc<BusyPoll>>) -> Self {
        Outer { inner, metrics, busy }
    }
}

type BoxFut<T> = Pin<Box<dyn Future<Output = Result<T, Infallible>> + Send>>;

impl<S, B> tower::Service<Request<B>> for Outer<S>
where
    S: tower::Service<Request<B>, Response = Response<Body>, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = BoxFut<Response<Body>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<B>) -> Self::Future {
        let method = method_of(req.uri().path());
        let timeout = parse_timeout(req.headers());
        let start = Instant::now();
        if let Some(t) = timeout {
            req.extensions_mut().insert(Deadline(start + t));
        }
        self.metrics.started(&method);
        let metrics = self.metrics.clone();
        let busy = self.busy.clone();
        if let Some(b) = &busy {
            b.touch();
        }
        // The tower idiom: call the instance that was polled ready, keep a fresh clone.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        Box::pin(async move {
            let fut = inner.call(req);
            let mut resp = match timeout {
                Some(t) => match tokio::time::timeout(t, fut).await {
                    Ok(r) => r?,
                    Err(_) => Status::deadline_exceeded(format!("deadline of {t:?} exceeded")).into_http(),
                },
                None => fut.await?,
            };
            fix_status(resp.headers_mut());
            if let Some(b) = &busy {
                b.touch();
            }
            // Trailers-only responses carry the status in the headers; others in trailers.
            if let Some(st) = Status::from_header_map(resp.headers()) {
                metrics.handled(&method, code_name(st.code()), start.elapsed().as_secs_f64());
                return Ok(resp);
            }
            let (parts, body) = resp.into_parts();
            let observed = Observed {
                inner: body,
                done: Some((metrics, method, start)),
            };
            Ok(Response::from_parts(parts, Body::new(observed)))
        })
    }
}

/// A response body that records the RPC's status when its trailers go by.
struct Observed {
    inner: Body,
    done: Option<(Arc<Metrics>, Method, Instant)>,
}

impl Observed {
    fn finish(&mut self, code: Code) {
        if let Some((m, method, start)) = self.done.take() {
            m.handled(&method, code_name(code), start.elapsed().as_secs_f64());
        }
    }
}

impl http_body::Body for Observed {
    type Data = Bytes;
    type Error = Status;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Status>>> {
        let r = Pin::new(&mut self.inner).poll_frame(cx);
        match &r {
            Poll::Ready(Some(Ok(f))) => {
                if let Some(t) = f.trailers_ref() {
                    let code = Status::from_header_map(t).map(|s| s.code()).unwrap_or(Code::Ok);
                    self.finish(code);
                }
            }
            Poll::Ready(Some(Err(s))) => {
                let c = s.code();
                self.finish(c);
            }
            Poll::Ready(None) => self.finish(Code::Ok),
            Poll::Pending => {}
        }
        r
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for Observed {
    fn drop(&mut self) {
        // The client went away before the status was sent.
        self.finish(Code::Cancelled);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_grpc_timeouts() {
        let mut h = HeaderMap::new();
        h.insert("grpc-timeout", HeaderValue::from_static("250m"));
        assert_eq!(parse_timeout(&h), Some(Duration::from_millis(250)));
        h.insert("grpc-timeout", HeaderValue::from_static("3S"));
        assert_eq!(parse_timeout(&h), Some(Duration::from_secs(3)));
        h.insert("grpc-timeout", HeaderValue::from_static("x"));
        assert_eq!(parse_timeout(&h), None);
    }

    #[test]
    fn oversized_is_resource_exhausted() {
        let mut h = HeaderMap::new();
        Status::out_of_range(
            "Error, decoded message length too large: found 10 bytes, the limit is: 4 bytes",
        )
        .add_header(&mut h)
        .expect("header");
        fix_status(&mut h);
        let st = Status::from_header_map(&h).expect("status");
        assert_eq!(st.code(), Code::ResourceExhausted);
    }
}
