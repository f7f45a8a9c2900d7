//! In-process workloads for performance comparison, without gRPC: kernel throughput (matmul on
//! both cores and on one, add vs memcpy, exp, tanh, sum) and whole-engine steps (the seed cell;
//! an MLP 784-512-512-10 training step at batch 128). `gradd perf --json` prints them for
//! `bench/compare.py`, which times the same workloads in numpy, TensorFlow and PyTorch in the
//! same run; the criterion benches use the same step programs.

use crate::kernels;
use crate::ops::{Attr, AttrMap};
use crate::session::{Session, Step};
use crate::tensor::{DType, Tensor};
use serde::Serialize;
use std::hint::black_box;
use std::time::{Duration, Instant};

/// One measured workload.
#[derive(Debug, Serialize)]
pub struct Measurement {
    pub name: String,
    /// Median seconds per iteration.
    pub seconds: f64,
    /// Fastest iteration, in seconds: on a shared machine a neighbour's load only ever adds
    /// time, so this is the steadiest estimate of what the code itself costs.
    pub best_seconds: f64,
    /// Work per iteration: FLOPs for matmul, bytes moved for memory-bound kernels, 0 otherwise.
    pub work: f64,
    pub unit: &'static str,
}

/// Median and fastest per-iteration time of `f`, in seconds, run for about `budget` after a
/// warm-up.
pub fn time_stats(budget: Duration, mut f: impl FnMut()) -> (f64, f64) {
    f();
    let mut samples = Vec::new();
    let start = Instant::now();
    while samples.len() < 5 || (start.elapsed() < budget && samples.len() < 100_000) {
        let t = Instant::now();
        f();
        samples.push(t.elapsed().as_secs_f64());
    }
    samples.sort_by(f64::total_cmp);
    (samples[samples.len() / 2], samples[0])
}

fn data(n: usize, seed: u32) -> Vec<f32> {
    (0..n)
        .map(|i| ((i as u32).wrapping_mul(2_654_435_761).wrapping_add(seed) % 2000) as f32 / 1000.0 - 1.0)
        .collect()
}

fn t32(shape: &[usize], f: impl Fn(usize) -> f64) -> Tensor {
    let n: usize = shape.iter().product();
    let v: Vec<f64> = (0..n).map(f).collect();
    Tensor::from_f64s(DType::F32, shape, &v).unwrap_or_else(|_| Tensor::zeros(DType::F32, shape))
}

fn op(name: &str, inputs: &[&str], out: &[&str], attrs: AttrMap) -> Step {
    let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
    Step::Op {
        op: name.into(),
        inputs: s(inputs),
        attrs,
        outputs: s(out),
    }
}

fn gradient(targets: &[&str], sources: &[&str]) -> Step {
    let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
    Step::Gradient {
        tape: "t".into(),
        targets: s(targets),
        sources: s(sources),
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

fn var(name: &str, value: Tensor) -> Step {
    Step::Variable {
        name: name.into(),
        value,
        trainable: true,
    }
}

/// A session holding the seed cell's variables and constants.
pub fn seed_session() -> Session {
    let mut s = Session::new();
    let setup = [
        var("w", t32(&[3, 2], |i| i as f64 * 0.1 - 0.2)),
        var("b", t32(&[2], |_| 0.0)),
        Step::Constant {
            name: "x".into(),
            value: t32(&[1, 3], |i| i as f64 + 1.0),
        },
        Step::Constant {
            name: "two".into(),
            value: t32(&[], |_| 2.0),
        },
    ];
    for st in setup {
        let _ = s.run_step(st);
    }
    s
}

/// The seed cell per iteration: tape, y = x @ w + b, loss = mean(y^2), gradient of w and b.
pub fn seed_steps() -> Vec<Step> {
    vec![
        tape(),
        op("MatMul", &["x", "w"], &["xw"], AttrMap::new()),
        op("AddV2", &["xw", "b"], &["y"], AttrMap::new()),
        op("Pow", &["y", "two"], &["y2"], AttrMap::new()),
        op("Mean", &["y2"], &["loss"], AttrMap::new()),
        Step::Stop { tape: "t".into() },
        gradient(&["loss"], &["w", "b"]),
    ]
}

/// A session holding an MLP 784-512-512-10 and a batch of inputs and int64 labels.
pub fn mlp_session(batch: usize) -> Session {
    let mut s = Session::new();
    let init = |fan_in: usize| {
        let a = 1.0 / (fan_in as f64).sqrt();
        move |i: usize| ((i * 7919) % 1000) as f64 / 1000.0 * 2.0 * a - a
    };
    let labels = (0..batch).map(|i| (i % 10) as f64).collect::<Vec<_>>();
    let setup = [
        var("w1", t32(&[784, 512], init(784))),
        var("b1", t32(&[512], |_| 0.0)),
        var("w2", t32(&[512, 512], init(512))),
        var("b2", t32(&[512], |_| 0.0)),
        var("w3", t32(&[512, 10], init(512))),
        var("b3", t32(&[10], |_| 0.0)),
        Step::Constant {
            name: "x".into(),
            value: t32(&[batch, 784], |i| (i % 255) as f64 / 255.0),
        },
        Step::Constant {
            name: "labels".into(),
            value: Tensor::from_f64s(DType::I64, &[batch], &labels)
                .unwrap_or_else(|_| Tensor::zeros(DType::I64, &[batch])),
        },
    ];
    for st in setup {
        let _ = s.run_step(st);
    }
    s
}

/// One MLP training step: forward, mean sparse softmax cross-entropy, gradients of all weights.
pub fn mlp_steps() -> Vec<Step> {
    let none = AttrMap::new;
    let axis0: AttrMap = [("axis".to_string(), Attr::Ints(vec![0]))].into_iter().collect();
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
        op("Mean", &["xent"], &["loss"], axis0),
        Step::Stop { tape: "t".into() },
        gradient(&["loss"], &["w1", "b1", "w2", "b2", "w3", "b3"]),
    ]
}

/// Runs a step program once; panics are not expected (the programs are fixed and valid).
pub fn run_program(s: &mut Session, steps: Vec<Step>) {
    for st in steps {
        black_box(s.run_step(st).ok());
    }
}

/// All workloads whose name contains one of `only`'s comma-separated parts (all of them when
/// `only` is empty); `budget` is the time spent per workload.
pub fn run_all(budget: Duration, only: &str) -> Vec<Measurement> {
    let want = |name: &str| only.is_empty() || only.split(',').any(|p| name.contains(p.trim()));
    let mut out = Vec::new();
    let mut push = |name: String, (seconds, best_seconds): (f64, f64), work: f64, unit| {
        out.push(Measurement {
            name,
            seconds,
            best_seconds,
            work,
            unit,
        })
    };
    // `matmul_*` runs on the global pool (both cores); `matmul1t_*` runs the same products in a
    // one-thread pool, so `kernels::matmul` makes one gemm call: the kernel against PyTorch's on
    // one thread, without the two-core split (left out if the pool cannot be built).
    let one_thread = rayon::ThreadPoolBuilder::new().num_threads(1).build().ok();
    let mut matmul_runs = vec![("matmul", None)];
    matmul_runs.extend(one_thread.as_ref().map(|p| ("matmul1t", Some(p))));
    for (prefix, pool) in matmul_runs {
        for n in [256usize, 1024, 2048] {
            let name = format!("{prefix}_f32_{n}");
            if !want(&name) {
                continue;
            }
            let (a, b) = (data(n * n, 1), data(n * n, 2));
            let mut c = vec![0f32; n * n];
            let mut time = || {
                time_stats(budget, || {
                    kernels::matmul_f32(n, n, n, &a, n, 1, &b, n, 1, &mut c)
                })
            };
            let t = match pool {
                Some(p) => p.install(time),
                None => time(),
            };
            push(name, t, 2.0 * (n as f64).powi(3), "GFLOP/s");
        }
    }
    let n = 16 << 20;
    if want("add_f32_16M") || want("memcpy_f32_16M") {
        let (a, b) = (data(n, 1), data(n, 2));
        let mut c = vec![0f32; n];
        let t = time_stats(budget, || kernels::add(&a, &b, &mut c));
        push("add_f32_16M".into(), t, 12.0 * n as f64, "GB/s");
        let t = time_stats(budget, || c.copy_from_slice(black_box(&a)));
        push("memcpy_f32_16M".into(), t, 8.0 * n as f64, "GB/s");
    }
    for (label, n) in [("1M", 1usize << 20), ("16M", 16 << 20)] {
        if !["exp", "tanh", "sum"]
            .iter()
            .any(|k| want(&format!("{k}_f32_{label}")))
        {
            continue;
        }
        let a = data(n, 3);
        let mut c = vec![0f32; n];
        let name = format!("exp_f32_{label}");
        if want(&name) {
            let t = time_stats(budget, || kernels::exp(&a, &mut c));
            push(name, t, 8.0 * n as f64, "GB/s");
        }
        let name = format!("tanh_f32_{label}");
        if want(&name) {
            let t = time_stats(budget, || kernels::tanh(&a, &mut c));
            push(name, t, 8.0 * n as f64, "GB/s");
        }
        let name = format!("sum_f32_{label}");
        if want(&name) {
            let t = time_stats(budget, || {
                black_box(kernels::sum(&a));
            });
            push(name, t, 4.0 * n as f64, "GB/s");
        }
    }
    if want("engine_seed_cell") {
        let mut s = seed_session();
        let t = time_stats(budget, || run_program(&mut s, seed_steps()));
        push("engine_seed_cell".into(), t, 0.0, "us");
    }
    if want("engine_mlp128_step") {
        let mut s = mlp_session(128);
        let t = time_stats(budget, || run_program(&mut s, mlp_steps()));
        push("engine_mlp128_step".into(), t, 0.0, "ms");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_selects_workloads_and_best_never_exceeds_median() {
        let ms = run_all(Duration::from_millis(1), "matmul1t_f32_256,engine_seed_cell");
        let names: Vec<&str> = ms.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["matmul1t_f32_256", "engine_seed_cell"]);
        for m in &ms {
            assert!(m.best_seconds > 0.0, "{}: {}", m.name, m.best_seconds);
            assert!(
                m.best_seconds <= m.seconds,
                "{}: best {} > median {}",
                m.name,
                m.best_seconds,
                m.seconds
            );
        }
        assert_eq!(ms[0].work, 2.0 * 256f64.powi(3));
    }
}
