//! Test server harness: binds port 0 first (so the address is known and connectable before the
//! server task runs: no sleeps), shuts down through a oneshot and joins the task so its errors
//! and panics reach the test.
#![allow(dead_code)]

use gradd::proto as pb;
use gradd::proto::gradd_client::GraddClient;
use gradd::service::{ServiceConfig, serve};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::transport::Channel;

pub struct TestServer {
    pub addr: std::net::SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), Box<dyn std::error::Error + Send + Sync>>>>,
}

impl TestServer {
    pub async fn start() -> TestServer {
        TestServer::start_with(ServiceConfig::default()).await
    }

    pub async fn start_with(cfg: ServiceConfig) -> TestServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind port 0");
        let addr = listener.local_addr().expect("local addr");
        let (tx, rx) = oneshot::channel();
        let task = tokio::spawn(serve(listener, cfg, async {
            let _ = rx.await;
        }));
        TestServer {
            addr,
            stop: Some(tx),
            task: Some(task),
        }
    }

    pub async fn client(&self) -> GraddClient<Channel> {
        GraddClient::connect(format!("http://{}", self.addr))
            .await
            .expect("connect")
    }

    /// Stops the server and propagates its error or panic.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            t.await.expect("server task panicked").expect("server failed");
        }
    }
}

pub fn f32_tensor(shape: &[i64], values: &[f32]) -> pb::Tensor {
    pb::Tensor {
        dtype: pb::DType::DtypeFloat32 as i32,
        shape: shape.to_vec(),
        float_val: values.to_vec(),
        ..Default::default()
    }
}

pub fn step(kind: pb::step::Kind) -> pb::Step {
    pb::Step { kind: Some(kind) }
}

pub fn constant(name: &str, t: pb::Tensor) -> pb::Step {
    step(pb::step::Kind::Constant(pb::ConstantStep {
        r#ref: name.into(),
        value: Some(t),
    }))
}

pub fn variable(name: &str, t: pb::Tensor) -> pb::Step {
    step(pb::step::Kind::Variable(pb::VariableStep {
        r#ref: name.into(),
        value: Some(t),
        trainable: None,
    }))
}

pub fn tape(name: &str, persistent: bool) -> pb::Step {
    step(pb::step::Kind::Tape(pb::TapeStep {
        tape: name.into(),
        persistent,
        watch_accessed_variables: None,
        reenter: false,
    }))
}

pub fn stop(name: &str) -> pb::Step {
    step(pb::step::Kind::Stop(pb::TapeRef { tape: name.into() }))
}

pub fn op(name: &str, inputs: &[&str], outputs: &[&str]) -> pb::Step {
    step(pb::step::Kind::Op(pb::OpStep {
        op: name.into(),
        inputs: inputs.iter().map(|s| s.to_string()).collect(),
        attrs: Default::default(),
        outputs: outputs.iter().map(|s| s.to_string()).collect(),
        quiet: false,
    }))
}

pub fn gradient(tape: &str, targets: &[&str], sources: &[&str]) -> pb::Step {
    step(pb::step::Kind::Gradient(pb::GradientStep {
        tape: tape.into(),
        targets: targets.iter().map(|s| s.to_string()).collect(),
        sources: sources.iter().map(|s| s.to_string()).collect(),
        fetch: true,
        ..Default::default()
    }))
}

pub fn fetch(refs: &[&str]) -> pb::Step {
    step(pb::step::Kind::Fetch(pb::FetchStep {
        refs: refs.iter().map(|s| s.to_string()).collect(),
    }))
}

pub fn run_req(session: &str, steps: Vec<pb::Step>) -> pb::RunRequest {
    pb::RunRequest {
        session_id: session.into(),
        steps,
        raw_results: false,
    }
}

pub async fn new_session(c: &mut GraddClient<Channel>) -> String {
    c.create_session(pb::CreateSessionRequest::default())
        .await
        .expect("create")
        .into_inner()
        .session_id
}

/// The seed notebook's first cell as steps: y = x @ w + b; loss = mean(y^2); grads of w, b.
pub fn seed_cell() -> Vec<pb::Step> {
    vec![
        variable(
            "w",
            f32_tensor(&[3, 2], &[-0.374, -0.256, 0.938, 1.392, -1.416, 0.072]),
        ),
        variable("b", f32_tensor(&[2], &[0.0, 0.0])),
        constant("x", f32_tensor(&[1, 3], &[1.0, 2.0, 3.0])),
        constant("two", f32_tensor(&[], &[2.0])),
        tape("t", false),
        op("MatMul", &["x", "w"], &["xw"]),
        op("AddV2", &["xw", "b"], &["y"]),
        op("Pow", &["y", "two"], &["y2"]),
        op("Mean", &["y2"], &["loss"]),
        stop("t"),
        gradient("t", &["loss"], &["w", "b"]),
        fetch(&["loss"]),
    ]
}
