//! Times the service's Run of the seed cell in-process: the request decoded from bytes, the
//! handler, the response encoded, as on the wire but without HTTP/2 or sockets. The gap between
//! this and `gradd perf`'s seed cell is the service's own cost per Run (for profilers too).
use gradd::proto::gradd_server::Gradd;
use gradd::proto::{self as pb};
use prost::Message;

#[global_allocator]
static GLOBAL: gradd::kernels::alloc::Allocator = gradd::kernels::alloc::Allocator;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let svc = gradd::service::GraddService::new(gradd::service::ServiceConfig::default());
    let id = svc
        .create_session(tonic::Request::new(pb::CreateSessionRequest::default()))
        .await?
        .into_inner()
        .session_id;
    let (uploads, iteration) = gradd::bench::seed_program();
    let run = |steps: Vec<pb::Step>| {
        pb::RunRequest {
            session_id: id.clone(),
            steps,
            raw_results: true,
        }
        .encode_to_vec()
    };
    svc.run(tonic::Request::new(pb::RunRequest::decode(&run(uploads)[..])?))
        .await?;
    let body = run(iteration);
    let mut out = 0usize;
    let t = std::time::Instant::now();
    for _ in 0..n {
        let req = pb::RunRequest::decode(&body[..])?;
        let resp = svc.run(tonic::Request::new(req)).await?.into_inner();
        out += resp.encode_to_vec().len();
    }
    println!(
        "{:.2} us per seed Run through the service ({} request bytes, {} response bytes)",
        t.elapsed().as_secs_f64() * 1e6 / n as f64,
        body.len(),
        out / n
    );
    Ok(())
}
