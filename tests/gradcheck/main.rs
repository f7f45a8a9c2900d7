//! The generic gradient checker: for every differentiable op in the registry, gradients computed
//! by the engine (through a real tape and session) match central finite differences in float64
//! (eps 1e-6, atol 1e-5, rtol 1e-3: PyTorch gradcheck's defaults) over random shapes that
//! include broadcast pairs and size-0 / size-1 dims; plus random chains of ops. Every gradient
//! must have its source's shape and dtype.

use gradd::ops::{self, AttrMap};
use gradd::session::{Session, Step};
use gradd::tensor::{DType, Tensor};
use proptest::prelude::*;

mod cases;
mod second;
use cases::{Case, Dom, Rng, broadcast_partner, generate, tensor, values};

/// Uploads `inputs` as constants `x0`, `x1`, ... into `s`; returns their names and the names
/// of those `diff` marks for differentiation.
fn upload(s: &mut Session, inputs: &[Tensor], diff: &[bool]) -> Result<(Vec<String>, Vec<String>), String> {
    let names: Vec<String> = (0..inputs.len()).map(|i| format!("x{i}")).collect();
    for (n, t) in names.iter().zip(inputs) {
        s.run_step(Step::Constant {
            name: n.clone(),
            value: t.clone(),
        })
        .map_err(|e| e.to_string())?;
    }
    let diff = (names.iter().zip(diff))
        .filter(|(_, d)| **d)
        .map(|(n, _)| n.clone())
        .collect();
    Ok((names, diff))
}

/// Runs `op` (with the case's attrs) on the uploaded inputs `names` into `y0`, `y1`, ...;
/// returns the output names.
fn op_step(
    s: &mut Session,
    op: &str,
    c: &Case,
    names: &[String],
    n_out: usize,
) -> Result<Vec<String>, String> {
    let outs: Vec<String> = (0..n_out).map(|i| format!("y{i}")).collect();
    s.run_step(Step::Op {
        op: op.into(),
        inputs: names.to_vec(),
        attrs: c.attrs.clone(),
        outputs: outs.clone(),
    })
    .map_err(|e| format!("op step: {e}"))?;
    Ok(outs)
}

/// loss = sum over weighted outputs of sum(y * w), evaluated with the op's forward only.
fn loss(op: &str, c: &Case, inputs: &[Tensor], weights: &[Vec<f64>]) -> f64 {
    let o = ops::build(op, &c.attrs, inputs.len()).expect("build");
    let refs: Vec<&Tensor> = inputs.iter().collect();
    let outs = o.forward(&refs).expect("forward");
    (outs.iter().zip(&c.outputs).zip(weights))
        .filter(|((_, on), _)| **on)
        .map(|((y, _), w)| y.to_f64_vec().iter().zip(w).map(|(a, b)| a * b).sum::<f64>())
        .sum()
}

fn check(op: &str, c: &Case, rng: &mut Rng) -> Result<(), String> {
    let o = ops::build(op, &c.attrs, c.inputs.len()).map_err(|e| format!("build: {e}"))?;
    let refs: Vec<&Tensor> = c.inputs.iter().collect();
    let outs = o.forward(&refs).map_err(|e| format!("forward: {e}"))?;
    let weights: Vec<Vec<f64>> = outs.iter().map(|y| values(rng, y.numel(), Dom::Any)).collect();

    // Analytic: through a session, a persistent tape and a gradient step.
    let mut s = Session::new();
    let (names, diff) = upload(&mut s, &c.inputs, &c.diff)?;
    s.run_step(Step::Tape {
        tape: "t".into(),
        persistent: true,
        watch_accessed_variables: true,
    })
    .map_err(|e| e.to_string())?;
    s.run_step(Step::Watch {
        tape: "t".into(),
        refs: diff.clone(),
    })
    .map_err(|e| e.to_string())?;
    let outs_names = op_step(&mut s, op, c, &names, outs.len())?;
    s.run_step(Step::Stop { tape: "t".into() })
        .map_err(|e| e.to_string())?;
    let (mut targets, mut ogs) = (vec![], vec![]);
    for ((n, y), (w, on)) in outs_names.iter().zip(&outs).zip(weights.iter().zip(&c.outputs)) {
        if *on {
            targets.push(n.clone());
            ogs.push(Tensor::from_f64s(y.dtype(), y.shape(), w).map_err(|e| e.to_string())?);
        }
    }
    let res = s
        .run_step(Step::Gradient {
            tape: "t".into(),
            targets,
            sources: diff.clone(),
            output_gradients: ogs,
            unconnected_zero: false,
            outputs: vec![],
            fetch: true,
        })
        .map_err(|e| format!("gradient step: {e}"))?;

    let mut k = 0;
    for (i, x) in c.inputs.iter().enumerate() {
        if !c.diff[i] {
            continue;
        }
        let got = res.values[k].tensor.clone();
        k += 1;
        // Central differences, one element at a time.
        let base = x.to_f64_vec();
        let mut fd = vec![0.0; base.len()];
        for j in 0..base.len() {
            let at = |delta: f64| {
                let mut v = base.clone();
                v[j] += delta;
                let mut ins = c.inputs.clone();
                ins[i] = Tensor::from_f64s(x.dtype(), x.shape(), &v).expect("perturbed");
                loss(op, c, &ins, &weights)
            };
            fd[j] = (at(c.eps) - at(-c.eps)) / (2.0 * c.eps);
        }
        let got = match got {
            Some(g) => g,
            None if fd.iter().all(|v| *v == 0.0)
                && (x.numel() == 0 || outs.iter().all(|y| y.numel() == 0)) =>
            {
                continue;
            }
            None => return Err(format!("input {i}: no gradient, finite differences {fd:?}")),
        };
        if got.shape() != x.shape() || got.dtype() != x.dtype() {
            return Err(format!(
                "input {i}: gradient is {} {:?}, source is {} {:?}",
                got.dtype(),
                got.shape(),
                x.dtype(),
                x.shape()
            ));
        }
        for (j, (g, f)) in got.to_f64_vec().iter().zip(&fd).enumerate() {
            if (g - f).abs() > c.atol + 1e-3 * f.abs() {
                return Err(format!(
                    "input {i} element {j}: engine {g}, finite differences {f}"
                ));
            }
        }
    }
    Ok(())
}

fn differentiable_ops() -> Vec<&'static str> {
    ops::specs()
        .iter()
        .filter(|s| s.differentiable)
        .map(|s| s.name)
        .collect()
}

#[test]
fn every_differentiable_op_has_a_generator() {
    let mut rng = Rng(1);
    let missing: Vec<_> = differentiable_ops()
        .into_iter()
        .filter(|op| generate(op, &mut rng, &[2, 3]).is_none())
        .collect();
    assert!(
        missing.is_empty(),
        "the gradient checker does not cover {missing:?}"
    );
    assert!(differentiable_ops().len() >= 45);
}

fn shape_strategy() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(prop_oneof![Just(0usize), Just(1), 2usize..4], 0..4)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1500))]

    #[test]
    fn gradients_match_finite_differences(op_index in 0usize..64, seed in any::<u64>(), shape in shape_strategy()) {
        let ops = differentiable_ops();
        let op = ops[op_index % ops.len()];
        let mut rng = Rng(seed);
        let c = generate(op, &mut rng, &shape).expect("generator");
        if let Err(e) = check(op, &c, &mut rng) {
            prop_assert!(false, "{op} on shape {shape:?} (seed {seed}): {e}");
        }
    }

    #[test]
    fn random_chains_match_finite_differences(seed in any::<u64>(), shape in shape_strategy(), len in 1usize..6) {
        let mut rng = Rng(seed);
        check_chain(&mut rng, &shape, len).map_err(|e| TestCaseError::fail(format!("seed {seed}: {e}")))?;
    }
}

/// A random chain of smooth unary and binary ops on one watched input, reduced by Sum.
fn check_chain(rng: &mut Rng, shape: &[usize], len: usize) -> Result<(), String> {
    const UNARY: &[&str] = &[
        "Tanh", "Sigmoid", "Sin", "Cos", "Square", "Softplus", "Neg", "Identity",
    ];
    const BINARY: &[&str] = &["AddV2", "Sub", "Mul"];
    let x = tensor(rng, shape, Dom::Any);
    let mut plan: Vec<(&str, Option<Tensor>)> = Vec::new();
    for _ in 0..len {
        if rng.coin() {
            plan.push((UNARY[rng.below(UNARY.len())], None));
        } else {
            let partner = broadcast_partner(rng, shape);
            let other = tensor(rng, &partner, Dom::Any);
            plan.push((BINARY[rng.below(BINARY.len())], Some(other)));
        }
    }
    let eval = |x: &Tensor| -> f64 {
        let mut cur = x.clone();
        for (op, other) in &plan {
            let o = ops::build(op, &AttrMap::new(), if other.is_some() { 2 } else { 1 }).expect("op");
            cur = match other {
                Some(t) => o.forward(&[&cur, t]),
                None => o.forward(&[&cur]),
            }
            .expect("forward")
            .remove(0);
        }
        cur.to_f64_vec().iter().sum()
    };
    let mut s = Session::new();
    let run = |s: &mut Session, st: Step| s.run_step(st).map_err(|e| e.to_string());
    run(
        &mut s,
        Step::Constant {
            name: "x".into(),
            value: x.clone(),
        },
    )?;
    run(
        &mut s,
        Step::Tape {
            tape: "t".into(),
            persistent: false,
            watch_accessed_variables: true,
        },
    )?;
    run(
        &mut s,
        Step::Watch {
            tape: "t".into(),
            refs: vec!["x".into()],
        },
    )?;
    let mut cur = "x".to_string();
    for (i, (op, other)) in plan.iter().enumerate() {
        let out = format!("h{i}");
        let mut inputs = vec![cur.clone()];
        if let Some(t) = other {
            run(
                &mut s,
                Step::Constant {
                    name: format!("c{i}"),
                    value: t.clone(),
                },
            )?;
            inputs.push(format!("c{i}"));
        }
        run(
            &mut s,
            Step::Op {
                op: op.to_string(),
                inputs,
                attrs: AttrMap::new(),
                outputs: vec![out.clone()],
            },
        )?;
        cur = out;
    }
    run(
        &mut s,
        Step::Op {
            op: "Sum".into(),
            inputs: vec![cur],
            attrs: AttrMap::new(),
            outputs: vec!["l".into()],
        },
    )?;
    let res = run(
        &mut s,
        Step::Gradient {
            tape: "t".into(),
            targets: vec!["l".into()],
            sources: vec!["x".into()],
            output_gradients: vec![],
            unconnected_zero: true,
            outputs: vec![],
            fetch: true,
        },
    )?;
    let got = res.values[0].tensor.clone().ok_or("no gradient")?;
    if got.shape() != x.shape() {
        return Err(format!(
            "gradient shape {:?} for source {:?}",
            got.shape(),
            x.shape()
        ));
    }
    let base = x.to_f64_vec();
    for (j, g) in got.to_f64_vec().iter().enumerate() {
        let at = |d: f64| {
            let mut v = base.clone();
            v[j] += d;
            eval(&Tensor::from_f64s(DType::F64, shape, &v).expect("t"))
        };
        let f = (at(1e-6) - at(-1e-6)) / 2e-6;
        if (g - f).abs() > 1e-5 + 1e-3 * f.abs() {
            return Err(format!(
                "chain {:?}: element {j}: engine {g}, finite differences {f}",
                plan.iter().map(|p| p.0).collect::<Vec<_>>()
            ));
        }
    }
    Ok(())
}
