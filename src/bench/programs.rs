//! The steps each Run scenario of `gradd bench` sends: the seed cell (y = x @ w + b,
//! loss = mean(y^2)) and an MLP 784-128-10 training step's forward pass and gradient.

use crate::proto as pb;

pub(super) fn run_req(session: &str, steps: Vec<pb::Step>) -> pb::RunRequest {
    pb::RunRequest {
        session_id: session.to_string(),
        steps,
        raw_results: false,
    }
}

fn step(kind: pb::step::Kind) -> pb::Step {
    pb::Step { kind: Some(kind) }
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn f32_tensor(shape: &[i64], values: &[f32]) -> pb::Tensor {
    pb::Tensor {
        dtype: pb::DType::DtypeFloat32 as i32,
        shape: shape.to_vec(),
        float_val: values.to_vec(),
        ..Default::default()
    }
}

/// A float32 tensor as raw little-endian bytes (the fast upload path).
fn f32_raw(shape: &[i64], values: &[f32]) -> pb::Tensor {
    pb::Tensor {
        dtype: pb::DType::DtypeFloat32 as i32,
        shape: shape.to_vec(),
        raw: values.iter().flat_map(|v| v.to_le_bytes()).collect(),
        ..Default::default()
    }
}

fn variable(name: &str, value: pb::Tensor) -> pb::Step {
    step(pb::step::Kind::Variable(pb::VariableStep {
        r#ref: name.into(),
        value: Some(value),
        trainable: None,
    }))
}

fn constant(name: &str, value: pb::Tensor) -> pb::Step {
    step(pb::step::Kind::Constant(pb::ConstantStep {
        r#ref: name.into(),
        value: Some(value),
    }))
}

fn op(name: &str, inputs: &[&str], outputs: &[&str], attrs: &[(&str, pb::attr_value::Value)]) -> pb::Step {
    step(pb::step::Kind::Op(pb::OpStep {
        op: name.into(),
        inputs: strings(inputs),
        attrs: attrs
            .iter()
            .map(|(k, v)| {
                (
                    k.to_string(),
                    pb::AttrValue {
                        value: Some(v.clone()),
                    },
                )
            })
            .collect(),
        outputs: strings(outputs),
        // The load generator never reads op results' shapes (a lean client knows them).
        quiet: true,
    }))
}

/// The tape around `ops`, then the gradient of `loss` w.r.t. `sources`. Rebinding tape `t` each
/// request replaces the previous one, so nothing accumulates in the session.
fn tape_and_gradient(ops: Vec<pb::Step>, sources: &[&str], fetch: bool) -> Vec<pb::Step> {
    let mut steps = vec![step(pb::step::Kind::Tape(pb::TapeStep {
        tape: "t".into(),
        persistent: false,
        watch_accessed_variables: None,
        reenter: false,
    }))];
    steps.extend(ops);
    steps.push(step(pb::step::Kind::Stop(pb::TapeRef { tape: "t".into() })));
    steps.push(step(pb::step::Kind::Gradient(pb::GradientStep {
        tape: "t".into(),
        targets: strings(&["loss"]),
        sources: strings(sources),
        fetch,
        ..Default::default()
    })));
    steps
}

/// The seed cell's variables and constants: w[3,2], b[2], x[1,3] = [1,2,3], two = 2.
pub(super) fn seed_uploads() -> Vec<pb::Step> {
    vec![
        variable(
            "w",
            f32_tensor(&[3, 2], &[-0.374, -0.256, 0.938, 1.392, -1.416, 0.072]),
        ),
        variable("b", f32_tensor(&[2], &[0.0, 0.0])),
        constant("x", f32_tensor(&[1, 3], &[1.0, 2.0, 3.0])),
        constant("two", f32_tensor(&[], &[2.0])),
    ]
}

/// The seed cell's per-iteration steps: loss = mean((x @ w + b)^2), gradients of w and b fetched.
pub(super) fn seed_iteration() -> Vec<pb::Step> {
    let ops = vec![
        op("MatMul", &["x", "w"], &["xw"], &[]),
        op("AddV2", &["xw", "b"], &["y"], &[]),
        op("Pow", &["y", "two"], &["y2"], &[]),
        op("Mean", &["y2"], &["loss"], &[]),
    ];
    tape_and_gradient(ops, &["w", "b"], true)
}

const MLP_BATCH: usize = 32;
const MLP_IN: usize = 784;
const MLP_HIDDEN: usize = 128;
const MLP_CLASSES: usize = 10;

/// Deterministic uniform values in [-scale, scale) (xorshift; the values only need to be finite).
fn uniform(n: usize, seed: u64, scale: f32) -> Vec<f32> {
    let mut s = seed | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            ((s >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0) * scale
        })
        .collect()
}

/// The MLP's variables (raw float32), a batch of inputs and its int64 labels.
pub(super) fn mlp_uploads() -> Vec<pb::Step> {
    let (b, i, h, c) = (MLP_BATCH, MLP_IN, MLP_HIDDEN, MLP_CLASSES);
    let dim = |n: usize| n as i64;
    let labels = pb::Tensor {
        dtype: pb::DType::DtypeInt64 as i32,
        shape: vec![dim(b)],
        int64_val: (0..b).map(|k| (k % c) as i64).collect(),
        ..Default::default()
    };
    vec![
        variable("w1", f32_raw(&[dim(i), dim(h)], &uniform(i * h, 1, 0.05))),
        variable("b1", f32_raw(&[dim(h)], &vec![0.0; h])),
        variable("w2", f32_raw(&[dim(h), dim(c)], &uniform(h * c, 2, 0.1))),
        variable("b2", f32_raw(&[dim(c)], &vec![0.0; c])),
        constant("x", f32_raw(&[dim(b), dim(i)], &uniform(b * i, 3, 1.0))),
        constant("labels", labels),
    ]
}

/// One training step's forward pass and gradient (not fetched, not applied).
pub(super) fn mlp_iteration() -> Vec<pb::Step> {
    use pb::attr_value::Value;
    let axis0 = Value::Ints(pb::IntList { values: vec![0] });
    let ops = vec![
        op("MatMul", &["x", "w1"], &["h1"], &[]),
        op("BiasAdd", &["h1", "b1"], &["h1b"], &[]),
        op("Relu", &["h1b"], &["h"], &[]),
        op("MatMul", &["h", "w2"], &["z"], &[]),
        op("BiasAdd", &["z", "b2"], &["logits"], &[]),
        op(
            "SparseSoftmaxCrossEntropyWithLogits",
            &["logits", "labels"],
            &["xent"],
            &[],
        ),
        op("Mean", &["xent"], &["loss"], &[("axis", axis0)]),
    ];
    tape_and_gradient(ops, &["w1", "b1", "w2", "b2"], false)
}
