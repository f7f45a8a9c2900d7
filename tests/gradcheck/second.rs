//! Second derivatives: every differentiable op's gradient, run as recorded ops under an outer
//! tape, against central differences of the first derivatives; and the places where TensorFlow's
//! second derivative is a convention rather than the calculus (Relu's kink, Prod at a zero,
//! LeakyRelu's zeros).

use super::{differentiable_ops, op_step, upload};
use crate::cases::{Case, Dom, Rng, generate, values};
use gradd::ops::{self, AttrMap};
use gradd::session::{Session, Step};
use gradd::tensor::{DType, Tensor};

/// Runs `ops` (name, inputs, output) on `x` under an inner tape nested in an outer one, then
/// returns d(sum l)/dx from the inner tape and d(sum of that)/dx from the outer one, where `l`
/// is the last op's output.
fn first_and_second(x: Tensor, ops: &[(&str, &[&str], &str)]) -> (Vec<f64>, Vec<f64>) {
    let mut s = Session::new();
    let run = |s: &mut Session, st: Step| s.run_step(st).expect("step");
    let tape = |t: &str| Step::Tape {
        tape: t.into(),
        persistent: false,
        watch_accessed_variables: true,
    };
    let op = |name: &str, inputs: &[&str], out: &str| Step::Op {
        op: name.into(),
        inputs: inputs.iter().map(|s| s.to_string()).collect(),
        attrs: AttrMap::new(),
        outputs: vec![out.into()],
    };
    let grad = |t: &str, target: &str, out: Vec<String>| Step::Gradient {
        tape: t.into(),
        targets: vec![target.into()],
        sources: vec!["x".into()],
        output_gradients: vec![],
        unconnected_zero: false,
        outputs: out,
        fetch: true,
    };
    run(
        &mut s,
        Step::Constant {
            name: "x".into(),
            value: x,
        },
    );
    for t in ["outer", "inner"] {
        run(&mut s, tape(t));
        run(
            &mut s,
            Step::Watch {
                tape: t.into(),
                refs: vec!["x".into()],
            },
        );
    }
    for (name, inputs, out) in ops {
        run(&mut s, op(name, inputs, out));
    }
    let last = ops.last().map_or("x", |o| o.2);
    run(&mut s, op("Sum", &[last], "l"));
    run(&mut s, Step::Stop { tape: "inner".into() });
    let first = run(&mut s, grad("inner", "l", vec!["g".into()]));
    let value = |r: gradd::session::StepOutput| r.values[0].tensor.clone().expect("a gradient").to_f64_vec();
    let g = value(first);
    run(&mut s, op("Sum", &["g"], "gs"));
    run(&mut s, Step::Stop { tape: "outer".into() });
    let h = value(run(&mut s, grad("outer", "gs", vec![])));
    (g, h)
}

/// Second derivatives through Relu's fused gradient (ReluGrad): y = relu(x)^2 has
/// d2y/dx2 = 2 where x > 0 and 0 elsewhere (TensorFlow's convention at the kink).
#[test]
fn second_derivative_through_relu() {
    let x = Tensor::from_f64s(DType::F64, &[4], &[-1.5, -0.2, 0.3, 2.0]).expect("x");
    let (g, h) = first_and_second(x, &[("Relu", &["x"], "r"), ("Mul", &["r", "r"], "y")]);
    assert_eq!(g, vec![0.0, 0.0, 0.6, 4.0]);
    assert_eq!(h, vec![0.0, 0.0, 2.0, 2.0]);
}

/// Prod's gradient (two exclusive Cumprods) is itself differentiable: for p = x0 x1 x2, the sum of the
/// gradient is x1 x2 + x0 x2 + x0 x1, whose gradient is (x1 + x2, x0 + x2, x0 + x1).
#[test]
fn second_derivative_through_prod() {
    let x = Tensor::from_f64s(DType::F64, &[3], &[2.0, 3.0, 5.0]).expect("x");
    let (g, h) = first_and_second(x, &[("Prod", &["x"], "p")]);
    assert_eq!(g, vec![15.0, 10.0, 6.0]);
    for (got, want) in h.iter().zip([8.0, 7.0, 5.0]) {
        assert!(
            (got - want).abs() < 1e-12,
            "second derivative {h:?}, want [8, 7, 5]"
        );
    }
}

/// At a zero, Prod's first derivative is the product of the others (no division), and its
/// second derivative is TensorFlow's: the Cumprod gradient divides by x with div_no_nan, so
/// the entry at the zero is 0 (the true value here would be 26), the others are exact.
#[test]
fn derivatives_of_prod_at_a_zero_are_tensorflows() {
    let x = Tensor::from_f64s(DType::F64, &[4], &[2.0, 0.0, 3.0, 4.0]).expect("x");
    let (g, h) = first_and_second(x, &[("Prod", &["x"], "p")]);
    assert_eq!(g, vec![0.0, 24.0, 0.0, 0.0]);
    assert_eq!(h, vec![12.0, 0.0, 8.0, 6.0]);
}

/// First derivatives (one vector per differentiated input) and, when asked, second ones
/// (None where unconnected).
type Grads = (Vec<Vec<f64>>, Vec<Option<Vec<f64>>>);

/// The first derivatives of `loss(op, c, inputs, weights)` w.r.t. the differentiated inputs,
/// through the engine; with `outer`, also the gradient of `sum_i <v_i, dL/dx_i>` w.r.t. the
/// same inputs, taken by an outer tape that recorded the inner gradient's ops.
fn engine_grads(
    op: &str,
    c: &Case,
    inputs: &[Tensor],
    weights: &[(DType, Vec<usize>, Vec<f64>)],
    outer: Option<&[Vec<f64>]>,
) -> Result<Grads, String> {
    let e = |e: gradd::error::Error| e.to_string();
    let mut s = Session::new();
    let (names, diff) = upload(&mut s, inputs, &c.diff)?;
    let tapes: &[&str] = if outer.is_some() {
        &["outer", "inner"]
    } else {
        &["inner"]
    };
    for t in tapes {
        s.run_step(Step::Tape {
            tape: t.to_string(),
            persistent: false,
            watch_accessed_variables: true,
        })
        .map_err(e)?;
        s.run_step(Step::Watch {
            tape: t.to_string(),
            refs: diff.clone(),
        })
        .map_err(e)?;
    }
    let outs = op_step(&mut s, op, c, &names, weights.len())?;
    s.run_step(Step::Stop { tape: "inner".into() }).map_err(e)?;
    let (mut targets, mut ogs) = (vec![], vec![]);
    for ((n, (dtype, shape, w)), on) in outs.iter().zip(weights).zip(&c.outputs) {
        if *on {
            targets.push(n.clone());
            ogs.push(Tensor::from_f64s(*dtype, shape, w).map_err(e)?);
        }
    }
    let gnames: Vec<String> = (0..diff.len()).map(|i| format!("g{i}")).collect();
    let res = s
        .run_step(Step::Gradient {
            tape: "inner".into(),
            targets,
            sources: diff.clone(),
            output_gradients: ogs,
            unconnected_zero: true,
            outputs: gnames.clone(),
            fetch: true,
        })
        .map_err(|err| format!("first gradient: {err}"))?;
    let first: Vec<Vec<f64>> = (res.values.iter())
        .map(|v| v.tensor.as_ref().map(|t| t.to_f64_vec()).unwrap_or_default())
        .collect();
    let Some(vs) = outer else {
        return Ok((first, vec![]));
    };
    // F = sum_i sum(g_i * v_i), recorded by the outer tape.
    let mut total: Option<String> = None;
    let diff_inputs = inputs.iter().zip(&c.diff).filter(|(_, d)| **d).map(|(x, _)| x);
    for (i, ((g, v), x)) in gnames.iter().zip(vs).zip(diff_inputs).enumerate() {
        let shape = x.shape().to_vec();
        let vname = format!("v{i}");
        s.run_step(Step::Constant {
            name: vname.clone(),
            value: Tensor::from_f64s(DType::F64, &shape, v).map_err(e)?,
        })
        .map_err(e)?;
        let step = |op: &str, ins: Vec<String>, out: String| Step::Op {
            op: op.into(),
            inputs: ins,
            attrs: AttrMap::new(),
            outputs: vec![out],
        };
        s.run_step(step("Mul", vec![g.clone(), vname], format!("gv{i}")))
            .map_err(e)?;
        s.run_step(step("Sum", vec![format!("gv{i}")], format!("f{i}")))
            .map_err(e)?;
        total = Some(match total {
            None => format!("f{i}"),
            Some(t) => {
                s.run_step(step("AddV2", vec![t, format!("f{i}")], format!("acc{i}")))
                    .map_err(e)?;
                format!("acc{i}")
            }
        });
    }
    s.run_step(Step::Stop { tape: "outer".into() }).map_err(e)?;
    let res = s
        .run_step(Step::Gradient {
            tape: "outer".into(),
            targets: vec![total.unwrap_or_else(|| "x0".into())],
            sources: diff,
            output_gradients: vec![],
            unconnected_zero: false,
            outputs: vec![],
            fetch: true,
        })
        .map_err(|err| format!("second gradient: {err}"))?;
    let second = (res.values.iter())
        .map(|v| v.tensor.as_ref().map(|t| t.to_f64_vec()))
        .collect();
    Ok((first, second))
}

/// Checks an op's gradient is itself differentiable and right: the outer tape's gradient of
/// `sum_i <v_i, dL/dx_i>` against central differences of the engine's first derivatives.
fn check_second(op: &str, c: &Case, rng: &mut Rng) -> Result<(), String> {
    // Integer and boolean inputs (indices, labels, conditions) are never differentiated.
    let c = &Case {
        inputs: c.inputs.clone(),
        attrs: c.attrs.clone(),
        diff: (c.inputs.iter().zip(&c.diff))
            .map(|(x, d)| *d && x.dtype() == DType::F64)
            .collect(),
        outputs: c.outputs.clone(),
        eps: c.eps,
        atol: c.atol,
    };
    let o = ops::build(op, &c.attrs, c.inputs.len()).map_err(|e| format!("build: {e}"))?;
    let refs: Vec<&Tensor> = c.inputs.iter().collect();
    let outs = o.forward(&refs).map_err(|e| format!("forward: {e}"))?;
    let weights: Vec<(DType, Vec<usize>, Vec<f64>)> = (outs.iter())
        .map(|y| (y.dtype(), y.shape().to_vec(), values(rng, y.numel(), Dom::Any)))
        .collect();
    let vs: Vec<Vec<f64>> = (c.inputs.iter().zip(&c.diff))
        .filter(|(_, d)| **d)
        .map(|(x, _)| values(rng, x.numel(), Dom::Any))
        .collect();
    let (_, second) = engine_grads(op, c, &c.inputs, &weights, Some(&vs))?;
    let f = |ins: &[Tensor]| -> Result<f64, String> {
        let (first, _) = engine_grads(op, c, ins, &weights, None)?;
        Ok(first
            .iter()
            .zip(&vs)
            .map(|(g, v)| g.iter().zip(v).map(|(a, b)| a * b).sum::<f64>())
            .sum())
    };
    let eps = 1e-5;
    let mut k = 0;
    for (i, x) in c.inputs.iter().enumerate() {
        if !c.diff[i] {
            continue;
        }
        let got = second[k].clone();
        k += 1;
        // TensorFlow's gradient of SoftmaxCrossEntropyWithLogits returns the labels' gradient
        // from the loss alone and ignores the backprop output's (`grad_grad`), so the mixed
        // second derivative through the labels is 0 there, and here, by design.
        if op == "SoftmaxCrossEntropyWithLogits" && i == 1 {
            if got.as_ref().is_some_and(|g| g.iter().any(|v| *v != 0.0)) {
                return Err(format!("labels: {got:?}, TensorFlow gives zeros"));
            }
            continue;
        }
        let base = x.to_f64_vec();
        for j in 0..base.len() {
            let at = |delta: f64| {
                let mut v = base.clone();
                v[j] += delta;
                let mut ins = c.inputs.clone();
                ins[i] = Tensor::from_f64s(x.dtype(), x.shape(), &v).expect("perturbed");
                f(&ins)
            };
            let fd = (at(eps)? - at(-eps)?) / (2.0 * eps);
            let g = got.as_ref().map_or(0.0, |g| g[j]);
            if (g - fd).abs() > 1e-4 + 1e-3 * fd.abs() {
                return Err(format!(
                    "input {i} element {j}: engine {g}, finite differences {fd}"
                ));
            }
        }
    }
    Ok(())
}

/// Every differentiable op's gradient is differentiable (gradients run as recorded ops), and
/// its second derivative matches finite differences of the first: what nested tapes, Hessians
/// and gradient penalties rely on.
#[test]
fn second_derivatives_match_finite_differences() {
    let mut failures = vec![];
    for op in differentiable_ops() {
        for seed in 0..12u64 {
            let mut rng = Rng(seed * 7919 + 17);
            let shape = [[2usize, 3].as_slice(), &[3], &[2, 2, 2], &[1, 3]][seed as usize % 4];
            let Some(c) = generate(op, &mut rng, shape) else {
                continue;
            };
            if let Err(e) = check_second(op, &c, &mut rng) {
                failures.push(format!("{op} on {shape:?} (seed {seed}): {e}"));
                break;
            }
        }
    }
    assert!(
        failures.is_empty(),
        "second derivatives wrong:\n{}",
        failures.join("\n")
    );
}

/// LeakyRelu's second derivative w.r.t. its input is a zero tensor, not None, as in
/// TensorFlow (whose LeakyReluGrad gradient returns zeros_like(x)); its first derivative uses
/// the f32 `alpha` (default 0.2).
#[test]
fn second_derivative_of_leaky_relu_is_zeros() {
    let x = Tensor::from_f64s(DType::F64, &[2], &[-1.5, 0.5]).expect("x");
    let (g, h) = first_and_second(x, &[("LeakyRelu", &["x"], "y")]);
    assert_eq!(g, vec![f64::from(0.2f32), 1.0]);
    assert_eq!(h, vec![0.0, 0.0]);
}
