//! The generic gradient checker: for every differentiable op in the registry, gradients computed
//! by the engine (through a real tape and session) match central finite differences in float64
//! (eps 1e-6, atol 1e-5, rtol 1e-3: PyTorch gradcheck's defaults) over random shapes that
//! include broadcast pairs and size-0 / size-1 dims; plus random chains of ops. Every gradient
//! must have its source's shape and dtype.

use gradd::ops::{self, Attr, AttrMap, Op};
use gradd::session::{Session, Step};
use gradd::tensor::{DType, Tensor};
use proptest::prelude::*;

/// SplitMix64: a tiny deterministic RNG so a failing seed reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
    fn coin(&mut self) -> bool {
        self.next() & 1 == 1
    }
}

/// How to draw input values.
#[derive(Clone, Copy)]
enum Dom {
    Any,
    Positive,
    AwayFromZero,
    NearOne,
    /// Inside (-1, 1), away from its ends: Asin and Acos, and Tan away from its poles.
    Unit,
}

fn values(rng: &mut Rng, n: usize, dom: Dom) -> Vec<f64> {
    (0..n)
        .map(|_| match dom {
            Dom::Any => rng.range(-2.0, 2.0),
            Dom::Positive => rng.range(0.5, 2.0),
            Dom::Unit => rng.range(-0.9, 0.9),
            Dom::AwayFromZero => {
                let v = rng.range(0.2, 2.0);
                if rng.coin() { v } else { -v }
            }
            Dom::NearOne => rng.range(0.5, 1.5) * if rng.coin() { 1.0 } else { -1.0 },
        })
        .collect()
}

fn tensor(rng: &mut Rng, shape: &[usize], dom: Dom) -> Tensor {
    let n = shape.iter().product();
    Tensor::from_f64s(DType::F64, shape, &values(rng, n, dom)).expect("tensor")
}

/// A shape that broadcasts against `s`: some leading dims dropped, some dims set to 1.
fn broadcast_partner(rng: &mut Rng, s: &[usize]) -> Vec<usize> {
    let drop = rng.below(s.len() + 1);
    s[drop..]
        .iter()
        .map(|&d| if rng.below(3) == 0 { 1 } else { d })
        .collect()
}

fn ints(v: &[i64]) -> Attr {
    Attr::Ints(v.to_vec())
}

/// One op application to check: inputs, attrs, which inputs to differentiate, which outputs
/// the loss weights, and the finite-difference step.
struct Case {
    inputs: Vec<Tensor>,
    attrs: AttrMap,
    diff: Vec<bool>,
    outputs: Vec<bool>,
    eps: f64,
    atol: f64,
}

fn case(inputs: Vec<Tensor>, attrs: Vec<(&str, Attr)>) -> Case {
    let n = inputs.len();
    Case {
        inputs,
        attrs: attrs.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
        diff: vec![true; n],
        outputs: vec![true],
        eps: 1e-6,
        atol: 1e-5,
    }
}

fn min_gap(a: &Tensor, b: &Tensor) -> f64 {
    let d = ops::binary::Binary(ops::binary::Kind::Sub)
        .forward(&[a, b])
        .expect("sub")
        .remove(0);
    d.to_f64_vec().iter().fold(f64::INFINITY, |m, v| m.min(v.abs()))
}

/// Builds a random valid case for `op` from a base shape `s`; None if the op is unknown here.
fn generate(op: &str, rng: &mut Rng, s: &[usize]) -> Option<Case> {
    let r = s.len();
    let unary = |rng: &mut Rng, dom| case(vec![tensor(rng, s, dom)], vec![]);
    Some(match op {
        "AddV2" | "Sub" | "Mul" | "SquaredDifference" | "RealDiv" | "DivNoNan" | "Pow" | "Maximum"
        | "Minimum" => {
            let p = broadcast_partner(rng, s);
            let (sa, sb) = if rng.coin() {
                (s.to_vec(), p)
            } else {
                (p, s.to_vec())
            };
            let (da, db) = match op {
                "RealDiv" | "DivNoNan" => (Dom::Any, Dom::AwayFromZero),
                "Pow" => (Dom::Positive, Dom::Any),
                _ => (Dom::Any, Dom::Any),
            };
            loop {
                let (a, b) = (tensor(rng, &sa, da), tensor(rng, &sb, db));
                if !matches!(op, "Maximum" | "Minimum") || min_gap(&a, &b) > 1e-2 {
                    break case(vec![a, b], vec![]);
                }
            }
        }
        "Identity" | "Neg" | "Square" | "Exp" | "Sin" | "Cos" | "Tanh" | "Sigmoid" | "Softplus" | "Atan"
        | "Sinh" | "Cosh" | "Expm1" | "Erf" | "Erfc" => unary(rng, Dom::Any),
        "Tan" | "Asin" | "Acos" => unary(rng, Dom::Unit),
        "Sqrt" | "Rsqrt" | "Reciprocal" | "Log" | "Log1p" => unary(rng, Dom::Positive),
        "Abs" | "Relu" | "Elu" | "Sign" => unary(rng, Dom::AwayFromZero),
        // Away from FloorMod's jumps (x/y near an integer), where it is x - q*y for a fixed q.
        "FloorMod" => loop {
            let (a, b) = (tensor(rng, s, Dom::Any), tensor(rng, s, Dom::AwayFromZero));
            let smooth = a.to_f64_vec().iter().zip(b.to_f64_vec()).all(|(x, y)| {
                let f = (x / y).fract().abs();
                (0.1..0.9).contains(&f)
            });
            if smooth {
                break case(vec![a, b], vec![]);
            }
        },
        "LeakyRelu" => {
            let mut c = unary(rng, Dom::AwayFromZero);
            c.attrs.insert("alpha".into(), Attr::Float(rng.range(0.0, 0.5)));
            c
        }
        "MatMul" => {
            let (m, k, n) = (rng.below(4), rng.below(4), rng.below(4));
            let (ta, tb) = (rng.coin(), rng.coin());
            let a = if ta { [k, m] } else { [m, k] };
            let b = if tb { [n, k] } else { [k, n] };
            case(
                vec![tensor(rng, &a, Dom::Any), tensor(rng, &b, Dom::Any)],
                vec![("transpose_a", Attr::Bool(ta)), ("transpose_b", Attr::Bool(tb))],
            )
        }
        "BatchMatMulV2" => {
            let batch: Vec<usize> = s.iter().take(2).copied().collect();
            let pb = broadcast_partner(rng, &batch);
            let (m, k, n) = (1 + rng.below(3), rng.below(3), 1 + rng.below(3));
            let (ta, tb) = (rng.coin(), rng.coin());
            let mut a = batch.clone();
            a.extend(if ta { [k, m] } else { [m, k] });
            let mut b = pb;
            b.extend(if tb { [n, k] } else { [k, n] });
            case(
                vec![tensor(rng, &a, Dom::Any), tensor(rng, &b, Dom::Any)],
                vec![("adj_x", Attr::Bool(ta)), ("adj_y", Attr::Bool(tb))],
            )
        }
        "Cumsum" | "Cumprod" => {
            // Cumprod's gradient divides by x (div_no_nan), so its inputs stay near one.
            let dom = if op == "Cumprod" { Dom::NearOne } else { Dom::Any };
            let shape = if r == 0 { vec![3] } else { s.to_vec() };
            let rank = shape.len();
            let axis = rng.below(rank) as i64 - if rng.coin() { rank as i64 } else { 0 };
            case(
                vec![tensor(rng, &shape, dom)],
                vec![
                    ("axis", Attr::Int(axis)),
                    ("exclusive", Attr::Bool(rng.coin())),
                    ("reverse", Attr::Bool(rng.coin())),
                ],
            )
        }
        "Sum" | "Mean" | "Max" | "Min" | "Prod" => {
            let dom = if op == "Prod" { Dom::NearOne } else { Dom::Any };
            let mut attrs = vec![("keep_dims", Attr::Bool(rng.coin()))];
            match rng.below(3) {
                0 => {}
                1 if r > 0 => attrs.push((
                    "axis",
                    Attr::Int(rng.below(r) as i64 - if rng.coin() { r as i64 } else { 0 }),
                )),
                _ => {
                    let axes: Vec<i64> = (0..r as i64).filter(|_| rng.coin()).collect();
                    attrs.push(("axis", ints(&axes)));
                }
            }
            let mut c = case(vec![tensor(rng, s, dom)], attrs);
            if matches!(op, "Max" | "Min") {
                // Ties make Max/Min non-differentiable: keep elements well apart.
                let n = s.iter().product::<usize>();
                let mut v: Vec<f64> = (0..n).map(|i| i as f64 * 0.1 - 1.0).collect();
                for i in (1..n).rev() {
                    v.swap(i, rng.below(i + 1));
                }
                c.inputs[0] = Tensor::from_f64s(DType::F64, s, &v).expect("t");
            }
            c
        }
        "Reshape" => {
            let n: usize = s.iter().product();
            let target: Vec<i64> = if n > 0 && rng.coin() {
                vec![-1]
            } else {
                vec![n as i64, 1]
            };
            case(vec![tensor(rng, s, Dom::Any)], vec![("shape", ints(&target))])
        }
        "Transpose" => {
            let mut perm: Vec<i64> = (0..r as i64).collect();
            for i in (1..r).rev() {
                perm.swap(i, rng.below(i + 1));
            }
            case(vec![tensor(rng, s, Dom::Any)], vec![("perm", ints(&perm))])
        }
        "ExpandDims" => {
            let axis = rng.below(r + 2) as i64 - if rng.coin() { r as i64 + 1 } else { 0 };
            let axis = axis.clamp(-(r as i64) - 1, r as i64);
            case(vec![tensor(rng, s, Dom::Any)], vec![("axis", Attr::Int(axis))])
        }
        "Squeeze" => {
            let mut shape = s.to_vec();
            let at = rng.below(r + 1);
            shape.insert(at, 1);
            case(
                vec![tensor(rng, &shape, Dom::Any)],
                vec![("axis", ints(&[at as i64]))],
            )
        }
        "ConcatV2" | "Pack" => {
            let k = 1 + rng.below(3);
            let ax = if op == "Pack" {
                rng.below(r + 1)
            } else {
                rng.below(r.max(1))
            };
            let base = if r == 0 && op == "ConcatV2" {
                vec![2]
            } else {
                s.to_vec()
            };
            let ins = (0..k)
                .map(|_| {
                    let mut sh = base.clone();
                    if op == "ConcatV2" {
                        sh[ax] = rng.below(3);
                    }
                    tensor(rng, &sh, Dom::Any)
                })
                .collect();
            case(ins, vec![("axis", Attr::Int(ax as i64))])
        }
        "Slice" => {
            let (mut begin, mut size) = (vec![], vec![]);
            for &d in s {
                let b = rng.below(d + 1);
                begin.push(b as i64);
                size.push(if rng.coin() {
                    -1
                } else {
                    rng.below(d - b + 1) as i64
                });
            }
            case(
                vec![tensor(rng, s, Dom::Any)],
                vec![("begin", ints(&begin)), ("size", ints(&size))],
            )
        }
        "Pad" => {
            let p: Vec<i64> = (0..2 * r).map(|_| rng.below(3) as i64).collect();
            case(vec![tensor(rng, s, Dom::Any)], vec![("paddings", ints(&p))])
        }
        "GatherV2" => {
            let shape = if r == 0 {
                vec![3]
            } else {
                s.iter().map(|&d| d.max(1)).collect()
            };
            let ax = rng.below(shape.len());
            let nidx = rng.below(5);
            let idx: Vec<f64> = (0..nidx).map(|_| rng.below(shape[ax]) as f64).collect();
            let ishape = if rng.coin() { vec![nidx] } else { vec![1, nidx] };
            let idx = Tensor::from_f64s(if rng.coin() { DType::I32 } else { DType::I64 }, &ishape, &idx)
                .expect("idx");
            let mut c = case(
                vec![tensor(rng, &shape, Dom::Any), idx],
                vec![("axis", Attr::Int(ax as i64))],
            );
            c.diff = vec![true, false];
            c
        }
        "Tile" => {
            let m: Vec<i64> = (0..r)
                .map(|_| rng.below(3) as i64 + if rng.coin() { 0 } else { 1 })
                .collect();
            case(vec![tensor(rng, s, Dom::Any)], vec![("multiples", ints(&m))])
        }
        "BroadcastTo" => {
            let p = broadcast_partner(rng, s);
            case(
                vec![tensor(rng, &p, Dom::Any)],
                vec![("shape", ints(&s.iter().map(|&d| d as i64).collect::<Vec<_>>()))],
            )
        }
        "BiasAdd" => {
            let mut shape = s.to_vec();
            while shape.len() < 2 {
                shape.insert(0, 2);
            }
            let c = *shape.last().unwrap_or(&1);
            case(
                vec![tensor(rng, &shape, Dom::Any), tensor(rng, &[c], Dom::Any)],
                vec![],
            )
        }
        "Softmax" | "LogSoftmax" => {
            let shape = if r == 0 { vec![3] } else { s.to_vec() };
            case(vec![tensor(rng, &shape, Dom::Any)], vec![])
        }
        "SoftmaxCrossEntropyWithLogits" | "SparseSoftmaxCrossEntropyWithLogits" => {
            let (b, c) = (rng.below(4), 1 + rng.below(4));
            let logits = tensor(rng, &[b, c], Dom::Any);
            let mut cs = if op.starts_with("Sparse") {
                let lab: Vec<f64> = (0..b).map(|_| rng.below(c) as f64).collect();
                let mut cs = case(
                    vec![logits, Tensor::from_f64s(DType::I64, &[b], &lab).expect("l")],
                    vec![],
                );
                cs.diff = vec![true, false];
                cs
            } else {
                let raw = tensor(rng, &[b, c], Dom::Positive).to_f64_vec();
                let mut lab = raw.clone();
                for row in 0..b {
                    let s: f64 = raw[row * c..(row + 1) * c].iter().sum();
                    for j in 0..c {
                        lab[row * c + j] = raw[row * c + j] / s;
                    }
                }
                case(
                    vec![logits, Tensor::from_f64s(DType::F64, &[b, c], &lab).expect("l")],
                    vec![],
                )
            };
            // Weight the loss output, and for the logits also the backprop output (TensorFlow's
            // second-order term); TF ignores the backprop output's gradient for the labels.
            if rng.coin() {
                cs.outputs = vec![true, true];
                cs.diff[1] = false;
            } else {
                cs.outputs = vec![true, false];
            }
            cs
        }
        "Cast" => {
            // float64 -> float32 -> gradient cast back; the f32 rounding needs a larger step.
            let mut c = case(
                vec![tensor(rng, s, Dom::Any)],
                vec![("dtype", Attr::Str("float32".into()))],
            );
            c.eps = 1e-2;
            c.atol = 1e-4;
            c
        }
        "SelectV2" => {
            let p = broadcast_partner(rng, s);
            let n: usize = p.iter().product();
            let cond: Vec<f64> = (0..n).map(|_| if rng.coin() { 1.0 } else { 0.0 }).collect();
            let cond = Tensor::from_f64s(DType::Bool, &p, &cond).expect("cond");
            let e = broadcast_partner(rng, s);
            let mut c = case(
                vec![cond, tensor(rng, s, Dom::Any), tensor(rng, &e, Dom::Any)],
                vec![],
            );
            c.diff = vec![false, true, true];
            c
        }
        _ => return None,
    })
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
    let names: Vec<String> = (0..c.inputs.len()).map(|i| format!("x{i}")).collect();
    for (n, t) in names.iter().zip(&c.inputs) {
        s.run_step(Step::Constant {
            name: n.clone(),
            value: t.clone(),
        })
        .map_err(|e| e.to_string())?;
    }
    let tape = |t: &str| Step::Tape {
        tape: t.into(),
        persistent: true,
        watch_accessed_variables: true,
    };
    s.run_step(tape("t")).map_err(|e| e.to_string())?;
    let diff: Vec<String> = names
        .iter()
        .zip(&c.diff)
        .filter(|(_, d)| **d)
        .map(|(n, _)| n.clone())
        .collect();
    s.run_step(Step::Watch {
        tape: "t".into(),
        refs: diff.clone(),
    })
    .map_err(|e| e.to_string())?;
    let outs_names: Vec<String> = (0..outs.len()).map(|i| format!("y{i}")).collect();
    s.run_step(Step::Op {
        op: op.into(),
        inputs: names.clone(),
        attrs: c.attrs.clone(),
        outputs: outs_names.clone(),
    })
    .map_err(|e| format!("op step: {e}"))?;
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
    let names: Vec<String> = (0..inputs.len()).map(|i| format!("x{i}")).collect();
    for (n, t) in names.iter().zip(inputs) {
        s.run_step(Step::Constant {
            name: n.clone(),
            value: t.clone(),
        })
        .map_err(e)?;
    }
    let diff: Vec<String> = (names.iter().zip(&c.diff))
        .filter(|(_, d)| **d)
        .map(|(n, _)| n.clone())
        .collect();
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
    let outs: Vec<String> = (0..weights.len()).map(|i| format!("y{i}")).collect();
    s.run_step(Step::Op {
        op: op.into(),
        inputs: names.clone(),
        attrs: c.attrs.clone(),
        outputs: outs.clone(),
    })
    .map_err(e)?;
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
