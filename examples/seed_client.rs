//! A Rust client of a running gradd server: the seed notebook's first cell as ONE `Run`, as
//! `clients/node/seed.js` and the Python quick start run it:
//!
//! ```text
//! w = tf.Variable(tf.random.normal((3, 2)), name='w'); b = tf.Variable(tf.zeros(2))
//! x = [[1., 2., 3.]]
//! with tf.GradientTape() as tape:
//!     y = x @ w + b
//!     loss = tf.reduce_mean(y**2)
//! [dl_dw, dl_db] = tape.gradient(loss, [w, b])
//! ```
//!
//! `cargo run --release --example seed_client` with a server at `GRADD_ADDR` (default
//! `127.0.0.1:50051`); `GRADD_TOKEN` is sent as `authorization: Bearer <token>` to a server
//! started with `--tokens`. The client is the tonic one generated from `proto/`
//! (`gradd::proto::gradd_client::GraddClient`); any gRPC stack generated from the same proto
//! sends the same request.

use gradd::proto as pb;
use gradd::proto::gradd_client::GraddClient;
use pb::step::Kind;
use tonic::transport::Channel;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What the cell computed.
#[derive(Debug)]
pub struct SeedCell {
    /// The initial value of `w` (3 x 2, row-major).
    pub w: Vec<f32>,
    pub dl_dw: pb::Tensor,
    pub dl_db: pb::Tensor,
    pub loss: f32,
}

/// A request with the bearer token, when there is one.
fn request<T>(msg: T, token: Option<&str>) -> Result<tonic::Request<T>, BoxError> {
    let mut req = tonic::Request::new(msg);
    if let Some(t) = token {
        req.metadata_mut()
            .insert("authorization", format!("Bearer {t}").parse()?);
    }
    Ok(req)
}

fn f32s(shape: &[i64], values: &[f32]) -> Option<pb::Tensor> {
    Some(pb::Tensor {
        dtype: pb::DType::DtypeFloat32 as i32,
        shape: shape.to_vec(),
        float_val: values.to_vec(),
        ..Default::default()
    })
}

fn names(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// `tf.random.normal`: Box-Muller over `rand`'s uniform samples.
fn random_normal(n: usize) -> Vec<f32> {
    (0..n)
        .map(|_| {
            let (u, v) = (1.0 - rand::random::<f32>(), rand::random::<f32>());
            (-2.0 * u.ln()).sqrt() * (std::f32::consts::TAU * v).cos()
        })
        .collect()
}

/// The cell's steps: upload w, b, x and the exponent, record the forward pass on tape `t`,
/// then the gradient (its values returned: `fetch`) and the loss.
fn steps(w: &[f32]) -> Vec<pb::Step> {
    let op = |op: &str, inputs: &[&str], output: &str| {
        Kind::Op(pb::OpStep {
            op: op.into(),
            inputs: names(inputs),
            outputs: names(&[output]),
            ..Default::default()
        })
    };
    let variable = |r: &str, value| {
        Kind::Variable(pb::VariableStep {
            r#ref: r.into(),
            value,
            trainable: None,
        })
    };
    let constant = |r: &str, value| {
        Kind::Constant(pb::ConstantStep {
            r#ref: r.into(),
            value,
        })
    };
    let kinds = vec![
        variable("w", f32s(&[3, 2], w)),
        variable("b", f32s(&[2], &[0.0, 0.0])),
        constant("x", f32s(&[1, 3], &[1.0, 2.0, 3.0])),
        constant("two", f32s(&[], &[2.0])),
        Kind::Tape(pb::TapeStep {
            tape: "t".into(),
            ..Default::default()
        }),
        op("MatMul", &["x", "w"], "xw"),
        op("AddV2", &["xw", "b"], "y"),
        op("Pow", &["y", "two"], "y2"),
        op("Mean", &["y2"], "loss"),
        Kind::Stop(pb::TapeRef { tape: "t".into() }),
        Kind::Gradient(pb::GradientStep {
            tape: "t".into(),
            targets: names(&["loss"]),
            sources: names(&["w", "b"]),
            fetch: true,
            ..Default::default()
        }),
        Kind::Fetch(pb::FetchStep {
            refs: names(&["loss"]),
        }),
    ];
    kinds.into_iter().map(|k| pb::Step { kind: Some(k) }).collect()
}

/// Runs the cell in a session of its own on `client`, and deletes the session after it.
pub async fn run_seed_cell(
    client: &mut GraddClient<Channel>,
    token: Option<&str>,
) -> Result<SeedCell, BoxError> {
    let session = client
        .create_session(request(pb::CreateSessionRequest::default(), token)?)
        .await?
        .into_inner()
        .session_id;
    let w = random_normal(6);
    let run = pb::RunRequest {
        session_id: session.clone(),
        steps: steps(&w),
        raw_results: false,
    };
    let res = client.run(request(run, token)?).await;
    // Freed either way (a session also expires after its idle TTL).
    let _ = client
        .delete_session(request(pb::DeleteSessionRequest { session_id: session }, token)?)
        .await;
    let results = res?.into_inner().results;
    let tensor = |step: usize, i: usize| {
        let v = results.get(step).and_then(|r| r.values.get(i));
        v.and_then(|v| v.tensor.clone())
            .ok_or_else(|| format!("step {step}: no tensor {i} (a None gradient?)"))
    };
    let (dl_dw, dl_db, loss) = (tensor(10, 0)?, tensor(10, 1)?, tensor(11, 0)?);
    let loss = *loss.float_val.first().ok_or("loss has no value")?;
    Ok(SeedCell {
        w,
        dl_dw,
        dl_db,
        loss,
    })
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), BoxError> {
    let addr = std::env::var("GRADD_ADDR").unwrap_or_else(|_| "127.0.0.1:50051".into());
    let token = std::env::var("GRADD_TOKEN").ok();
    let mut client = GraddClient::connect(format!("http://{addr}"))
        .await
        .map_err(|e| format!("cannot connect to {addr}: {e}"))?;
    let cell = run_seed_cell(&mut client, token.as_deref()).await?;
    println!("dl_dw = {:?}, shape={:?}", cell.dl_dw.float_val, cell.dl_dw.shape);
    println!("dl_db = {:?}, shape={:?}", cell.dl_db.float_val, cell.dl_db.shape);
    println!("loss = {} (one Run)", cell.loss);
    Ok(())
}
