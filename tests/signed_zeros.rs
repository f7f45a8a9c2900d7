//! TensorFlow 2.21's signed zeros, op by op (the rules were read off TF on this machine; the
//! conformance format compares values, not the sign of a zero, so these are pinned here and, as
//! `1 / x` = +-inf, by programs in `tests/data/tf-pinned.json`).
//!
//! - Maximum / Minimum on a tie of 0.0 and -0.0 return y's zero in the elements TF's vector
//!   code computes (the first n - n % L in row-major order, L = 8 float32 / 4 float64) and x's
//!   in its scalar tail.
//! - Max / Min reductions return the later of tied elements.
//! - Neg(0.0) is -0.0; Abs(-0.0) and Sign(-0.0) are 0.0; Relu(-0.0) is -0.0.

use gradd::ops::{AttrMap, build};
use gradd::tensor::{DType, Tensor};

fn run(op: &str, attrs: AttrMap, inputs: &[&Tensor]) -> Tensor {
    let o = build(op, &attrs, inputs.len()).expect("build");
    o.forward(inputs).expect("forward").remove(0)
}

fn signs(t: &Tensor) -> Vec<bool> {
    t.to_f64_vec().iter().map(|v| v.is_sign_negative()).collect()
}

/// Zeros of random signs (xorshift), as a tensor of `shape`.
fn zeros(dtype: DType, shape: &[usize], seed: &mut u64) -> Tensor {
    let n: usize = shape.iter().product();
    let v: Vec<f64> = (0..n)
        .map(|_| {
            *seed ^= *seed << 13;
            *seed ^= *seed >> 7;
            *seed ^= *seed << 17;
            if seed.is_multiple_of(2) { -0.0 } else { 0.0 }
        })
        .collect();
    Tensor::from_f64s(dtype, shape, &v).expect("zeros")
}

/// The signs of `x` and `y` broadcast to `shape`, in row-major order.
fn broadcast_signs(t: &Tensor, shape: &[usize]) -> Vec<bool> {
    let s = signs(t);
    let ts = t.shape();
    let n: usize = shape.iter().product();
    (0..n)
        .map(|i| {
            // The flat index in `t` of output element i (dims of size 1 repeat).
            let (mut rest, mut at, mut stride) = (i, 0, 1);
            for d in (0..shape.len()).rev() {
                let k = rest % shape[d];
                rest /= shape[d];
                let off = shape.len() - ts.len();
                if d >= off {
                    let td = ts[d - off];
                    at += if td == 1 { 0 } else { k * stride };
                    stride *= td;
                }
            }
            s[at]
        })
        .collect()
}

#[test]
fn maximum_and_minimum_ties_follow_the_vector_lanes_and_the_tail() {
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    for (dtype, lanes) in [(DType::F32, 8), (DType::F64, 4)] {
        let mut shapes: Vec<(Vec<usize>, Vec<usize>)> = Vec::new();
        for n in 1..=40 {
            shapes.push((vec![n], vec![n]));
            shapes.push((vec![], vec![n]));
            shapes.push((vec![n], vec![]));
        }
        for (a, b) in [
            (vec![3, 6], vec![6]),
            (vec![6], vec![3, 6]),
            (vec![5, 7], vec![1, 7]),
            (vec![4, 1], vec![1, 5]),
            (vec![2, 3, 4], vec![3, 1]),
            (vec![9, 9], vec![9, 1]),
        ] {
            shapes.push((a, b));
        }
        for op in ["Maximum", "Minimum"] {
            for (sa, sb) in &shapes {
                let (x, y) = (zeros(dtype, sa, &mut seed), zeros(dtype, sb, &mut seed));
                let got = run(op, AttrMap::new(), &[&x, &y]);
                let shape = got.shape().to_vec();
                let n = got.numel();
                let vector = n - n % lanes;
                let (xs, ys) = (broadcast_signs(&x, &shape), broadcast_signs(&y, &shape));
                let want: Vec<bool> = (0..n).map(|i| if i < vector { ys[i] } else { xs[i] }).collect();
                assert_eq!(signs(&got), want, "{op} {dtype} {sa:?} {sb:?}");
            }
        }
    }
}

#[test]
fn max_and_min_reductions_return_the_later_of_tied_zeros() {
    let axis0: AttrMap = [("axis".to_string(), gradd::ops::Attr::Ints(vec![0]))]
        .into_iter()
        .collect();
    for dtype in [DType::F32, DType::F64] {
        for op in ["Max", "Min"] {
            for v in [
                vec![0.0, -0.0],
                vec![-0.0, 0.0],
                vec![0.0, -0.0, 0.0],
                vec![-0.0, 0.0, 0.0, -0.0],
            ] {
                let x = Tensor::from_f64s(dtype, &[v.len()], &v).expect("x");
                let got = run(op, axis0.clone(), &[&x]);
                let last = v.last().copied().unwrap_or_default();
                assert_eq!(signs(&got), vec![last.is_sign_negative()], "{op} {dtype} {v:?}");
            }
        }
    }
}

#[test]
fn neg_abs_sign_and_relu_at_signed_zeros() {
    for dtype in [DType::F32, DType::F64] {
        let x = Tensor::from_f64s(dtype, &[3], &[0.0, -0.0, -2.0]).expect("x");
        let none = AttrMap::new;
        assert_eq!(signs(&run("Neg", none(), &[&x])), vec![true, false, false]);
        assert_eq!(signs(&run("Abs", none(), &[&x])), vec![false, false, false]);
        assert_eq!(signs(&run("Sign", none(), &[&x])), vec![false, false, true]);
        assert_eq!(signs(&run("Relu", none(), &[&x])), vec![false, true, false]);
        let nan = Tensor::from_f64s(dtype, &[1], &[-f64::NAN]).expect("nan");
        let s = run("Sign", none(), &[&nan]).to_f64_vec();
        assert!(
            s[0].is_nan() && s[0].is_sign_negative(),
            "Sign keeps NaN and its sign: {s:?}"
        );
    }
}
