//! The gradient checker's inputs: a deterministic RNG, value domains that keep each op away
//! from its kinks and poles, and one random case (inputs, attrs, which inputs to differentiate)
//! per op.

use gradd::ops::{self, Attr, AttrMap, Op};
use gradd::tensor::{DType, Tensor};

/// SplitMix64: a tiny deterministic RNG so a failing seed reproduces.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
    pub fn coin(&mut self) -> bool {
        self.next() & 1 == 1
    }
}

/// How to draw input values.
#[derive(Clone, Copy)]
pub enum Dom {
    Any,
    Positive,
    AwayFromZero,
    NearOne,
    /// Inside (-1, 1), away from its ends: Asin and Acos, and Tan away from its poles.
    Unit,
}

pub fn values(rng: &mut Rng, n: usize, dom: Dom) -> Vec<f64> {
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

pub fn tensor(rng: &mut Rng, shape: &[usize], dom: Dom) -> Tensor {
    let n = shape.iter().product();
    Tensor::from_f64s(DType::F64, shape, &values(rng, n, dom)).expect("tensor")
}

/// A shape that broadcasts against `s`: some leading dims dropped, some dims set to 1.
pub fn broadcast_partner(rng: &mut Rng, s: &[usize]) -> Vec<usize> {
    let drop = rng.below(s.len() + 1);
    s[drop..]
        .iter()
        .map(|&d| if rng.below(3) == 0 { 1 } else { d })
        .collect()
}

pub fn ints(v: &[i64]) -> Attr {
    Attr::Ints(v.to_vec())
}

/// One op application to check: inputs, attrs, which inputs to differentiate, which outputs
/// the loss weights, and the finite-difference step.
pub struct Case {
    pub inputs: Vec<Tensor>,
    pub attrs: AttrMap,
    pub diff: Vec<bool>,
    pub outputs: Vec<bool>,
    pub eps: f64,
    pub atol: f64,
}

pub fn case(inputs: Vec<Tensor>, attrs: Vec<(&str, Attr)>) -> Case {
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

pub fn min_gap(a: &Tensor, b: &Tensor) -> f64 {
    let d = ops::binary::Binary(ops::binary::Kind::Sub)
        .forward(&[a, b])
        .expect("sub")
        .remove(0);
    d.to_f64_vec().iter().fold(f64::INFINITY, |m, v| m.min(v.abs()))
}

/// Builds a random valid case for `op` from a base shape `s`; None if the op is unknown here.
pub fn generate(op: &str, rng: &mut Rng, s: &[usize]) -> Option<Case> {
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
