//! Whole-engine workloads without gRPC: the seed notebook's first cell and one training step
//! of an MLP 784-512-512-10 (relu, softmax cross-entropy) at batch 128.

use criterion::{Criterion, criterion_group, criterion_main};
use gradd::ops::{Attr, AttrMap};
use gradd::session::{Session, Step};
use gradd::tensor::{DType, Tensor};
use std::hint::black_box;

fn t(shape: &[usize], f: impl Fn(usize) -> f64) -> Tensor {
    let n: usize = shape.iter().product();
    let v: Vec<f64> = (0..n).map(f).collect();
    Tensor::from_f64s(DType::F32, shape, &v).expect("tensor")
}

fn op(name: &str, inputs: &[&str], out: &[&str], attrs: AttrMap) -> Step {
    Step::Op {
        op: name.into(),
        inputs: inputs.iter().map(|s| s.to_string()).collect(),
        attrs,
        outputs: out.iter().map(|s| s.to_string()).collect(),
    }
}

fn grad(targets: &[&str], sources: &[&str]) -> Step {
    Step::Gradient {
        tape: "t".into(),
        targets: targets.iter().map(|s| s.to_string()).collect(),
        sources: sources.iter().map(|s| s.to_string()).collect(),
        output_gradients: vec![],
        unconnected_zero: false,
        outputs: vec![],
        fetch: true,
    }
}

fn tape() -> Step {
    Step::Tape {
        tape: "t".into(),
        persistent: false,
        watch_accessed_variables: true,
    }
}

/// The seed's first cell, per step: tape, forward, gradient (variables already uploaded).
pub fn seed_steps() -> Vec<Step> {
    vec![
        tape(),
        op("MatMul", &["x", "w"], &["xw"], AttrMap::new()),
        op("AddV2", &["xw", "b"], &["y"], AttrMap::new()),
        op("Pow", &["y", "two"], &["y2"], AttrMap::new()),
        op("Mean", &["y2"], &["loss"], AttrMap::new()),
        Step::Stop { tape: "t".into() },
        grad(&["loss"], &["w", "b"]),
    ]
}

fn seed_session() -> Session {
    let mut s = Session::new();
    let var = |n: &str, v| Step::Variable {
        name: n.into(),
        value: v,
        trainable: true,
    };
    s.run_step(var("w", t(&[3, 2], |i| i as f64 * 0.1 - 0.2)))
        .expect("w");
    s.run_step(var("b", t(&[2], |_| 0.0))).expect("b");
    s.run_step(Step::Constant {
        name: "x".into(),
        value: t(&[1, 3], |i| i as f64 + 1.0),
    })
    .expect("x");
    s.run_step(Step::Constant {
        name: "two".into(),
        value: t(&[], |_| 2.0),
    })
    .expect("two");
    s
}

fn mlp_session(batch: usize) -> Session {
    let mut s = Session::new();
    let var = |n: &str, v| Step::Variable {
        name: n.into(),
        value: v,
        trainable: true,
    };
    let init = |fan_in: usize| {
        move |i: usize| {
            ((i * 7919) % 1000) as f64 / 1000.0 / (fan_in as f64).sqrt() - 0.5 / (fan_in as f64).sqrt()
        }
    };
    s.run_step(var("w1", t(&[784, 512], init(784)))).expect("w1");
    s.run_step(var("b1", t(&[512], |_| 0.0))).expect("b1");
    s.run_step(var("w2", t(&[512, 512], init(512)))).expect("w2");
    s.run_step(var("b2", t(&[512], |_| 0.0))).expect("b2");
    s.run_step(var("w3", t(&[512, 10], init(512)))).expect("w3");
    s.run_step(var("b3", t(&[10], |_| 0.0))).expect("b3");
    s.run_step(Step::Constant {
        name: "x".into(),
        value: t(&[batch, 784], |i| (i % 255) as f64 / 255.0),
    })
    .expect("x");
    let labels = Tensor::from_f64s(
        DType::I64,
        &[batch],
        &(0..batch).map(|i| (i % 10) as f64).collect::<Vec<_>>(),
    )
    .expect("labels");
    s.run_step(Step::Constant {
        name: "labels".into(),
        value: labels,
    })
    .expect("labels");
    s
}

/// One MLP training step: forward, loss, gradients of all six variables.
pub fn mlp_steps() -> Vec<Step> {
    let none = AttrMap::new;
    vec![
        tape(),
        op("MatMul", &["x", "w1"], &["h1"], none()),
        op("BiasAdd", &["h1", "b1"], &["z1"], none()),
        op("Relu", &["z1"], &["a1"], none()),
        op("MatMul", &["a1", "w2"], &["h2"], none()),
        op("BiasAdd", &["h2", "b2"], &["z2"], none()),
        op("Relu", &["z2"], &["a2"], none()),
        op("MatMul", &["a2", "w3"], &["h3"], none()),
        op("BiasAdd", &["h3", "b3"], &["logits"], none()),
        op(
            "SparseSoftmaxCrossEntropyWithLogits",
            &["logits", "labels"],
            &["xent"],
            none(),
        ),
        op(
            "Mean",
            &["xent"],
            &["loss"],
            [("axis".to_string(), Attr::Ints(vec![0]))].into_iter().collect(),
        ),
        Step::Stop { tape: "t".into() },
        grad(&["loss"], &["w1", "b1", "w2", "b2", "w3", "b3"]),
    ]
}

fn bench(c: &mut Criterion) {
    let mut s = seed_session();
    c.bench_function("engine/seed_cell", |b| {
        b.iter(|| {
            for st in seed_steps() {
                black_box(s.run_step(st).expect("step"));
            }
        })
    });
    let mut m = mlp_session(128);
    c.bench_function("engine/mlp128_step", |b| {
        b.iter(|| {
            for st in mlp_steps() {
                black_box(m.run_step(st).expect("step"));
            }
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
