//! Elementwise kernels on every ISA vs the scalar reference, over all short lengths, odd
//! offsets, special values, and one input long enough to take the threaded path.

use super::super::PAR_MIN_LEN;
use super::super::elementwise::{binary_in_place_with, binary_scalar_with, binary_with, unary_with};
use super::super::ops::*;
use super::*;

type BinaryFn<T> = fn(Isa, &[T], &[T], &mut [T]);
type ScalarFn<T> = fn(Isa, &[T], T, &mut [T]);
type UnaryFn<T> = fn(Isa, &[T], &mut [T]);

fn binaries<T: TestFloat>() -> Vec<(&'static str, BinaryFn<T>)> {
    vec![
        ("add", binary_with::<T, Add>),
        ("sub", binary_with::<T, Sub>),
        ("mul", binary_with::<T, Mul>),
        ("div", binary_with::<T, Div>),
        ("maximum", binary_with::<T, Maximum>),
        ("minimum", binary_with::<T, Minimum>),
        ("relu_grad", binary_with::<T, ReluGrad>),
    ]
}

fn scalars<T: TestFloat>() -> Vec<(&'static str, ScalarFn<T>)> {
    vec![
        ("add_scalar", binary_scalar_with::<T, Add>),
        ("sub_scalar", binary_scalar_with::<T, Sub>),
        ("mul_scalar", binary_scalar_with::<T, Mul>),
        ("div_scalar", binary_scalar_with::<T, Div>),
        ("maximum_scalar", binary_scalar_with::<T, Maximum>),
        ("minimum_scalar", binary_scalar_with::<T, Minimum>),
        ("scalar_sub", binary_scalar_with::<T, Flip<Sub>>),
        ("scalar_div", binary_scalar_with::<T, Flip<Div>>),
        ("scalar_maximum", binary_scalar_with::<T, Flip<Maximum>>),
        ("scalar_minimum", binary_scalar_with::<T, Flip<Minimum>>),
    ]
}

/// Unary ops with the ulps they may differ from the scalar (std) reference: 0 for exact
/// ops; for the transcendentals the vector bound plus the reference's own error.
fn unaries<T: TestFloat>() -> Vec<(&'static str, UnaryFn<T>, f64)> {
    vec![
        ("relu", unary_with::<T, Relu>, 0.0),
        ("neg", unary_with::<T, Neg>, 0.0),
        ("square", unary_with::<T, Square>, 0.0),
        ("sqrt", unary_with::<T, Sqrt>, 0.0),
        ("exp", unary_with::<T, Exp>, 2.5),
        ("log", unary_with::<T, Log>, 2.0),
        ("tanh", unary_with::<T, Tanh>, 4.0),
        ("sigmoid", unary_with::<T, Sigmoid>, 4.0),
    ]
}

/// Random values in [-6, 6] with special values sprinkled in.
fn inputs<T: TestFloat>(rng: &mut Rng, n: usize) -> Vec<T> {
    let specials = [T::NAN, T::INFINITY, T::NEG_INFINITY, T::ZERO, -T::ZERO, T::ONE];
    (0..n)
        .map(|_| match rng.next_u64() % 16 {
            k @ 0..=5 if rng.next_u64().is_multiple_of(2) => specials[k as usize],
            _ => T::from_f64(rng.uniform(-6.0, 6.0)),
        })
        .collect()
}

fn assert_ulps<T: TestFloat>(got: &[T], want: &[T], max_ulps: f64, what: &str) {
    if max_ulps == 0.0 {
        return assert_same(got, want, what);
    }
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        let d = g.ulps_from(w.to_f64());
        assert!(d <= max_ulps, "{what}: [{i}] got {g:?}, want {w:?} ({d} ulps)");
    }
}

fn check_all<T: TestFloat>() {
    let mut rng = Rng::new(7);
    for isa in isas() {
        for len in 0..=3 * LANES + 1 {
            for off in OFFSETS {
                let what = |op: &str| format!("{op} {isa:?} len {len} offset {off}");
                let a = Padded::new(&inputs::<T>(&mut rng, len), off);
                let b = Padded::new(&inputs::<T>(&mut rng, len), off + 2);
                let s = inputs::<T>(&mut rng, 1)[0];
                for (name, f) in binaries::<T>() {
                    let mut out = Padded::zeros(len, off);
                    let mut want = vec![T::ZERO; len];
                    f(isa, a.get(), b.get(), out.get_mut());
                    f(Isa::Scalar, a.get(), b.get(), &mut want);
                    out.check_pads(&what(name));
                    assert_same(out.get(), &want, &what(name));
                }
                for (name, f) in scalars::<T>() {
                    let mut out = Padded::zeros(len, off);
                    let mut want = vec![T::ZERO; len];
                    f(isa, a.get(), s, out.get_mut());
                    f(Isa::Scalar, a.get(), s, &mut want);
                    out.check_pads(&what(name));
                    assert_same(out.get(), &want, &what(name));
                }
                for (name, f, tol) in unaries::<T>() {
                    let mut out = Padded::zeros(len, off);
                    let mut want = vec![T::ZERO; len];
                    f(isa, a.get(), out.get_mut());
                    f(Isa::Scalar, a.get(), &mut want);
                    out.check_pads(&what(name));
                    assert_ulps(out.get(), &want, tol, &what(name));
                }
                let mut acc = Padded::new(a.get(), off);
                let mut want = a.get().to_vec();
                binary_in_place_with::<T, Add>(isa, acc.get_mut(), b.get());
                binary_in_place_with::<T, Add>(Isa::Scalar, &mut want, b.get());
                acc.check_pads(&what("add_assign"));
                assert_same(acc.get(), &want, &what("add_assign"));
            }
        }
    }
}

#[test]
fn elementwise_f32_matches_reference_on_every_isa() {
    check_all::<f32>();
}

#[test]
fn elementwise_f64_matches_reference_on_every_isa() {
    check_all::<f64>();
}

/// Inputs past `PAR_MIN_LEN` run in chunks on the rayon pool; the chunk seams must not show.
#[test]
fn threaded_path_matches_reference() {
    let mut rng = Rng::new(11);
    let len = PAR_MIN_LEN + 37;
    let a = rng.vec::<f32>(len, -3.0, 3.0);
    let b = rng.vec::<f32>(len, 0.5, 3.0);
    for isa in isas() {
        let (mut got, mut want) = (vec![0.0; len], vec![0.0; len]);
        binary_with::<f32, Div>(isa, &a, &b, &mut got);
        binary_with::<f32, Div>(Isa::Scalar, &a, &b, &mut want);
        assert_same(&got, &want, "threaded div");
        unary_with::<f32, Tanh>(isa, &a, &mut got);
        unary_with::<f32, Tanh>(Isa::Scalar, &a, &mut want);
        assert_ulps(&got, &want, 4.0, "threaded tanh");
        let mut acc = a.clone();
        binary_in_place_with::<f32, Add>(isa, &mut acc, &b);
        binary_with::<f32, Add>(Isa::Scalar, &a, &b, &mut want);
        assert_same(&acc, &want, "threaded add_assign");
    }
}

#[test]
fn public_functions_use_a_supported_isa() {
    assert!(isas().contains(&super::super::isa()));
    let (a, b) = ([1.0f32, -2.0, 3.0], [0.5f32, 0.5, -1.0]);
    let mut out = [0.0f32; 3];
    super::super::add(&a, &b, &mut out);
    assert_eq!(out, [1.5, -1.5, 2.0]);
    super::super::relu_grad(&[1.0f32, 0.0, -1.0], &[5.0, 6.0, 7.0], &mut out);
    assert_eq!(out, [5.0, 0.0, 0.0], "relu'(0) = 0");
    super::super::scalar_sub(1.0f32, &a, &mut out);
    assert_eq!(out, [0.0, 3.0, -2.0]);
    let mut out64 = [0.0f64; 2];
    super::super::maximum(&[f64::NAN, 1.0], &[0.0, f64::NAN], &mut out64);
    assert!(
        out64.iter().all(|x| x.is_nan()),
        "maximum propagates NaN from either side"
    );
    super::super::relu(&[f64::NAN, -1.0], &mut out64);
    assert!(out64[0].is_nan() && out64[1] == 0.0);
}

#[test]
#[should_panic(expected = "does not match")]
fn length_mismatch_panics() {
    let mut out = [0.0f32; 2];
    super::super::add(&[1.0, 2.0], &[1.0], &mut out);
}

/// Outputs past `STREAM_MIN_BYTES` take the non-temporal store path, with an unaligned
/// head peeled off first. One rayon thread keeps the whole output in one kernel call.
#[test]
fn streamed_outputs_match_reference() {
    use super::super::simd::STREAM_MIN_BYTES;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("pool");
    pool.install(|| {
        let mut rng = Rng::new(12);
        let len = STREAM_MIN_BYTES / 4 + 37;
        let a = Padded::new(&rng.vec::<f32>(len, -3.0, 3.0), 1);
        let b = rng.vec::<f32>(len, -3.0, 3.0);
        for isa in isas() {
            let mut out = Padded::<f32>::zeros(len, 3);
            let mut want = vec![0.0; len];
            binary_with::<f32, Add>(isa, a.get(), &b, out.get_mut());
            binary_with::<f32, Add>(Isa::Scalar, a.get(), &b, &mut want);
            out.check_pads("streamed add");
            assert_same(out.get(), &want, "streamed add");
            unary_with::<f32, Exp>(isa, a.get(), out.get_mut());
            unary_with::<f32, Exp>(Isa::Scalar, a.get(), &mut want);
            out.check_pads("streamed exp");
            assert_ulps(out.get(), &want, 2.5, "streamed exp");
        }
    });
}

/// `new_with` hands every element to the writer exactly once, at its own offset, for lengths
/// around the block size and the threading threshold, and the result equals the kernel's
/// output into a zeroed buffer.
#[test]
fn new_with_covers_every_element_once() {
    for n in [0, 1, 63, 8191, 8192, 8193, 40_000, (1 << 18) + 77, (1 << 21) + 5] {
        let v: Vec<f64> = crate::kernels::new_with(n, |off, o: &mut [f64]| {
            for (i, x) in o.iter_mut().enumerate() {
                assert_eq!(
                    *x,
                    0.0,
                    "n {n}: element {} handed over twice or not zeroed",
                    off + i
                );
                *x = (off + i) as f64;
            }
        });
        assert_eq!(v.len(), n);
        assert!(v.iter().enumerate().all(|(i, &x)| x == i as f64), "n {n}");
        let x: Vec<f32> = (0..n).map(|i| (i % 97) as f32 * 0.05 - 2.0).collect();
        let got: Vec<f32> = crate::kernels::new_with(n, |off, o: &mut [f32]| {
            crate::kernels::exp(&x[off..off + o.len()], o)
        });
        let mut want = vec![0f32; n];
        crate::kernels::exp(&x, &mut want);
        assert!(
            got.iter().zip(&want).all(|(a, b)| a.to_bits() == b.to_bits()),
            "n {n}"
        );
    }
}

/// With denormals-are-zero on (as the binary runs), `log` gives TensorFlow's float32 answers
/// for subnormal inputs: -inf in TensorFlow's vector lanes (the first `n - n % 8` elements),
/// ln(2^-150) or NaN in its scalar tail; the vector kernel's ln elsewhere. `ln_at`, the strided
/// fallback, follows the same rule. On a thread of its own: the flush is per thread, and these
/// lengths stay on it.
#[test]
fn log_of_subnormals_follows_tensorflows_lanes_under_denormals_are_zero() {
    std::thread::spawn(|| {
        crate::kernels::flush_denormals();
        let ln_tiny = (-150.0 * std::f64::consts::LN_2) as f32;
        for n in [1usize, 7, 8, 15, 16, 17, 100, 4099] {
            let x: Vec<f32> = (0..n)
                .map(|i| match i % 4 {
                    0 => f32::from_bits(1 + i as u32),
                    1 => -f32::from_bits(5),
                    2 => 0.5 + i as f32,
                    _ => 0.0,
                })
                .collect();
            let mut out = vec![0f32; n];
            crate::kernels::log(&x, &mut out);
            let lanes = n - n % 8;
            assert_eq!(crate::kernels::tf_vector_len::<f32>(n), lanes);
            for (i, (&v, &got)) in x.iter().zip(&out).enumerate() {
                let want = match i % 4 {
                    2 => (0.5 + i as f32).ln(),
                    3 => f32::NEG_INFINITY,
                    _ if i < lanes => f32::NEG_INFINITY,
                    0 => ln_tiny,
                    _ => f32::NAN,
                };
                for (path, got) in [("log", got), ("ln_at", crate::kernels::ln_at(v, i, n))] {
                    if i % 4 == 2 {
                        assert!((got - want).abs() <= 1e-6 * want.abs(), "{path} n {n} i {i}");
                    } else {
                        assert!(
                            got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()),
                            "{path} n {n} i {i}: ln({v:e}) gave {got}, want {want}"
                        );
                    }
                }
            }
        }
    })
    .join()
    .expect("log test thread");
}

/// `with_ieee_denormals` turns the flush off for its closure only, and puts it back even when
/// the closure panics. Observed through arithmetic: MIN_POSITIVE / 4 is subnormal, so a
/// flushing thread gives 0.
#[test]
fn with_ieee_denormals_restores_the_flush_mode() {
    std::thread::spawn(|| {
        let quarter = || (std::hint::black_box(f64::MIN_POSITIVE) / std::hint::black_box(4.0)).to_bits();
        let exact = (f64::MIN_POSITIVE / 4.0).to_bits();
        crate::kernels::flush_denormals();
        assert_eq!(quarter(), 0);
        assert_eq!(crate::kernels::with_ieee_denormals(quarter), exact);
        assert_eq!(quarter(), 0);
        let caught = std::panic::catch_unwind(|| crate::kernels::with_ieee_denormals(|| panic!("inside")));
        assert!(caught.is_err());
        assert_eq!(quarter(), 0, "the flush is back after a panic");
    })
    .join()
    .expect("denormal mode thread");
}

/// The fresh-output entry points (`new_binary` and friends, which write uninitialized memory)
/// give bit for bit what the same kernels write into a buffer, at lengths on the scalar,
/// vector, threaded and streamed paths (the streamed one on a one-thread pool, where the
/// whole output is one kernel call past `STREAM_MIN_BYTES`), with special and subnormal
/// values among the inputs, also with denormals flushed.
#[test]
fn fresh_outputs_match_buffered_kernels() {
    use super::super::simd::STREAM_MIN_BYTES;
    use crate::kernels::{self as k, Bin, Un};
    fn same(got: &[f32], want: &[f32], what: &str) {
        assert_eq!(got.len(), want.len(), "{what}");
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            assert_eq!(g.to_bits(), w.to_bits(), "{what}: element {i}: {g} vs {w}");
        }
    }
    fn check(n: usize) {
        let mut rng = Rng::new(n as u64 + 5);
        let mut a: Vec<f32> = inputs(&mut rng, n);
        let b: Vec<f32> = inputs(&mut rng, n);
        // Subnormals here and there, and last (inside TensorFlow's scalar tail for log).
        for (i, v) in a
            .iter_mut()
            .enumerate()
            .filter(|(i, _)| i % 13 == 5 || i + 1 == n)
        {
            *v = f32::from_bits(1 + i as u32);
        }
        let s = 0.75f32;
        let mut want = vec![0f32; n];
        type Buffered = fn(&[f32], &[f32], &mut [f32]);
        type BufferedScalar = fn(&[f32], f32, &mut [f32]);
        type ScalarFirst = fn(f32, &[f32], &mut [f32]);
        let bins: [(Bin, Buffered, BufferedScalar, ScalarFirst); 6] = [
            (Bin::Add, k::add, k::add_scalar, |s, a, o| k::add_scalar(a, s, o)),
            (Bin::Sub, k::sub, k::sub_scalar, |s, a, o| k::scalar_sub(s, a, o)),
            (Bin::Mul, k::mul, k::mul_scalar, |s, a, o| k::mul_scalar(a, s, o)),
            (Bin::Div, k::div, k::div_scalar, |s, a, o| k::scalar_div(s, a, o)),
            (Bin::Max, k::maximum, k::maximum_scalar, |s, a, o| {
                k::scalar_maximum(s, a, o)
            }),
            (Bin::Min, k::minimum, k::minimum_scalar, |s, a, o| {
                k::scalar_minimum(s, a, o)
            }),
        ];
        for (op, f, fs, sf) in bins {
            f(&a, &b, &mut want);
            same(&k::new_binary(op, &a, &b), &want, &format!("{op:?} n {n}"));
            fs(&a, s, &mut want);
            same(
                &k::new_binary_scalar(op, &a, s),
                &want,
                &format!("{op:?} scalar n {n}"),
            );
            sf(s, &a, &mut want);
            same(
                &k::new_scalar_binary(op, s, &a),
                &want,
                &format!("{op:?} scalar first n {n}"),
            );
        }
        k::relu_grad(&a, &b, &mut want);
        same(&k::new_relu_grad(&a, &b), &want, &format!("relu_grad n {n}"));
        type BufferedUnary = fn(&[f32], &mut [f32]);
        let uns: [(Un, BufferedUnary); 8] = [
            (Un::Exp, k::exp),
            (Un::Log, k::log),
            (Un::Tanh, k::tanh),
            (Un::Sigmoid, k::sigmoid),
            (Un::Relu, k::relu),
            (Un::Neg, k::neg),
            (Un::Square, k::square),
            (Un::Sqrt, k::sqrt),
        ];
        for (op, f) in uns {
            f(&a, &mut want);
            same(&k::new_unary(op, &a), &want, &format!("{op:?} n {n}"));
        }
    }
    for n in [0, 1, 7, 8, 9, 17, 100, 4099, PAR_MIN_LEN + 37] {
        check(n);
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("pool");
    pool.install(|| check(STREAM_MIN_BYTES / 4 + 37));
    // As the binary runs (denormals flushed), where log's tail rule changes results.
    std::thread::spawn(|| {
        crate::kernels::flush_denormals();
        for n in [9, 17, 4099] {
            check(n);
        }
    })
    .join()
    .expect("the flushed-denormals checks passed");
}
