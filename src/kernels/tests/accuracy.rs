//! Measures the error of the vector exp/log/tanh/sigmoid against libm over the whole input
//! range (a stride through every bit pattern: both signs, subnormals, huge values, ±inf,
//! NaN) and asserts the bounds documented in `math.rs`.

use super::super::elementwise::unary_with;
use super::super::ops::{Exp, Log, Sigmoid, Tanh, UnaryOp};
use super::*;

/// Max error allowed, in ulps of the exact result: (f32, f64). f32 is measured against
/// results computed in f64 (as good as exact); f64 against libm, whose own error (< 1 ulp)
/// is included in the figure.
const BOUNDS: [(&str, f64, f64); 4] = [
    ("exp", 1.5, 1.0),
    ("log", 1.0, 1.0),
    ("tanh", 3.0, 3.0),
    ("sigmoid", 3.0, 3.0),
];

fn sigmoid_f64(x: f64) -> f64 {
    let e = (-x.abs()).exp();
    if x >= 0.0 { 1.0 / (1.0 + e) } else { e / (1.0 + e) }
}

/// Error of `got` against an exact value, in ulps; 0 when `exact` rounds to `got` (this
/// covers overflow to inf, underflow to 0 and NaN).
fn error<T: TestFloat>(got: T, exact: f64) -> f64 {
    let rounded = T::from_f64(exact);
    if rounded == got || (rounded.is_nan() && got.is_nan()) {
        0.0
    } else {
        got.ulps_from(exact)
    }
}

/// Runs `Op` on `isa` over `xs` and returns the worst error and where it occurs.
fn worst<T: TestFloat, Op: UnaryOp<T>>(isa: Isa, xs: &[T], exact: fn(f64) -> f64) -> (f64, T) {
    let mut out = vec![T::ZERO; xs.len()];
    unary_with::<T, Op>(isa, xs, &mut out);
    xs.iter()
        .zip(&out)
        .map(|(&x, &y)| (error(y, exact(x.to_f64())), x))
        .fold((0.0, T::ZERO), |a, b| if b.0 > a.0 { b } else { a })
}

/// Named special inputs every function must get exactly right (or within the bound).
fn specials<T: TestFloat>() -> Vec<T> {
    [
        0.0, -0.0, 1.0, -1.0, 0.5, 2.0, 1e-30, -1e-30, 88.0, 89.0, -103.0, -104.0, 709.0, 710.0,
    ]
    .into_iter()
    .chain([-745.0, -746.0, 1e300, -1e300, 20.0, -20.0, 9.0, -9.0, 0.625, 1e-8])
    .chain([
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
        f64::MIN_POSITIVE,
        5e-324,
    ])
    .map(T::from_f64)
    .chain([T::MIN_POSITIVE, T::from_f64(0.5).sqrt()])
    .collect()
}

/// Runs one function on one ISA and returns `(worst error, input where it occurs)`.
type Measure<T> = fn(Isa, &[T]) -> (f64, T);

fn check<T: TestFloat>(xs: &[T], bound_of: impl Fn(&str) -> f64) {
    let fns: [(&str, Measure<T>); 4] = [
        ("exp", |i, x| worst::<T, Exp>(i, x, f64::exp)),
        ("log", |i, x| worst::<T, Log>(i, x, f64::ln)),
        ("tanh", |i, x| worst::<T, Tanh>(i, x, f64::tanh)),
        ("sigmoid", |i, x| worst::<T, Sigmoid>(i, x, sigmoid_f64)),
    ];
    let mut failures = Vec::new();
    for isa in isas().into_iter().filter(|&i| i != Isa::Scalar) {
        for (name, f) in fns {
            let (err, at) = f(isa, xs);
            let bound = bound_of(name);
            let line = format!(
                "{name} {} {isa:?}: max {err:.3} ulp at {at:?}",
                std::any::type_name::<T>()
            );
            eprintln!("{line}");
            if err > bound {
                failures.push(format!("{line} exceeds {bound}"));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

fn bound(name: &str, f64_bound: bool) -> f64 {
    let (_, b32, b64) = BOUNDS
        .iter()
        .find(|b| b.0 == name)
        .copied()
        .expect("known function");
    if f64_bound { b64 } else { b32 }
}

#[test]
fn f32_transcendentals_within_bounds() {
    // Every 4099th bit pattern: ~1M inputs, all exponents, both signs, NaNs and infs.
    let mut xs: Vec<f32> = (0..=u32::MAX).step_by(4099).map(f32::from_bits).collect();
    xs.extend(specials::<f32>());
    // Dense near the interesting region of every function.
    let mut rng = Rng::new(3);
    xs.extend(rng.vec::<f32>(1 << 18, -12.0, 12.0));
    check(&xs, |n| bound(n, false));
}

#[test]
fn f64_transcendentals_within_bounds() {
    let mut rng = Rng::new(5);
    let mut xs: Vec<f64> = (0..1 << 19).map(|_| f64::from_bits(rng.next_u64())).collect();
    xs.extend(specials::<f64>());
    xs.extend(rng.vec::<f64>(1 << 18, -25.0, 25.0));
    // Subnormals and the log argument range around 1.
    xs.extend((0..4096).map(|_| f64::from_bits(rng.next_u64() >> 12)));
    xs.extend(rng.vec::<f64>(1 << 14, 0.5, 2.0));
    check(&xs, |n| bound(n, true));
}

#[test]
fn special_values_are_exact() {
    for isa in isas() {
        let x = [0.0f32, -0.0, f32::INFINITY, f32::NEG_INFINITY, 1.0, -1.0];
        let mut out = [0.0f32; 6];
        unary_with::<f32, Exp>(isa, &x, &mut out);
        assert_eq!(out, [1.0, 1.0, f32::INFINITY, 0.0, 1.0f32.exp(), (-1.0f32).exp()]);
        unary_with::<f32, Log>(isa, &x, &mut out);
        assert_eq!(out[..3], [f32::NEG_INFINITY, f32::NEG_INFINITY, f32::INFINITY]);
        assert!(
            out[3].is_nan() && out[4] == 0.0 && out[5].is_nan(),
            "{isa:?} log: {out:?}"
        );
        unary_with::<f32, Tanh>(isa, &x, &mut out);
        assert_eq!(out[..4], [0.0, -0.0, 1.0, -1.0]);
        assert!(out[1].is_sign_negative(), "tanh(-0) = -0");
        unary_with::<f32, Sigmoid>(isa, &x, &mut out);
        assert_eq!(out[..4], [0.5, 0.5, 1.0, 0.0]);
        let nan = [f64::NAN; 3];
        let mut o = [0.0f64; 3];
        for f in [
            unary_with::<f64, Exp>,
            unary_with::<f64, Log>,
            unary_with::<f64, Tanh>,
        ] {
            f(isa, &nan, &mut o);
            assert!(o.iter().all(|v| v.is_nan()), "{isa:?}: NaN in, NaN out");
        }
    }
}
