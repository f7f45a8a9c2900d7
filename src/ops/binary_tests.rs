//! Unit tests of the binary ops: subnormal handling and the Pow fast path.

use crate::ops::{AttrMap, build};
use crate::tensor::{DType, Tensor};

/// With denormals flushed (as the binary runs), a float FloorMod reads a subnormal divisor
/// as zero, as TensorFlow 2.21 does: floormod(2, 1e-310) is NaN (`%` on the bits would
/// give a tiny remainder). A subnormal dividend comes back as it is (floormod(1e-310, 2) is
/// 1e-310 in TF too). On a thread of its own: the flush is per thread.
#[test]
fn floor_mod_reads_a_subnormal_divisor_as_zero_when_flushing() {
    let sub = 1e-310;
    let x = Tensor::from_f64s(DType::F64, &[3], &[2.0, sub, 5.0]).expect("x");
    let y = Tensor::from_f64s(DType::F64, &[3], &[sub, 2.0, -3.0]).expect("y");
    let got = std::thread::spawn(move || {
        crate::kernels::flush_denormals();
        let op = build("FloorMod", &AttrMap::new(), 2).expect("build");
        op.forward(&[&x, &y]).expect("forward").remove(0).to_f64_vec()
    })
    .join()
    .expect("FloorMod thread");
    assert!(got[0].is_nan(), "{got:?}");
    assert_eq!(got[1].to_bits(), sub.to_bits(), "{got:?}");
    assert_eq!(got[2], -1.0);
}

/// Pow with a contiguous base and a one-element exponent takes a one-pass path; every
/// element must be `powf` of its base, bit for bit, as the broadcasting path gives, and
/// the result keeps the base's shape. Exponents of rank above the base's (which raise the
/// result's rank) and subnormal operands go the general way and are checked too.
#[test]
fn pow_by_one_exponent_is_powf_per_element() {
    let base = [
        -2.5,
        -1.0,
        -0.0,
        0.0,
        0.5,
        1.0,
        3.0,
        f64::INFINITY,
        f64::NAN,
        7.25,
    ];
    for (exp, exp_shape) in [
        (2.0, &[][..]),
        (0.5, &[1][..]),
        (-1.5, &[1, 1][..]),
        (3.0, &[1, 1, 1][..]),
        (1.0, &[][..]),
        (1e-310, &[][..]),
    ] {
        let pow = build("Pow", &AttrMap::new(), 2).expect("build");
        let x = Tensor::from_f64s(DType::F64, &[2, 5], &base).expect("x");
        let y = Tensor::from_f64s(DType::F64, exp_shape, &[exp]).expect("y");
        let got = pow.forward(&[&x, &y]).expect("forward").remove(0);
        let want_shape: &[usize] = if exp_shape.len() > 2 { &[1, 2, 5] } else { &[2, 5] };
        assert_eq!(got.shape(), want_shape, "exponent {exp} of shape {exp_shape:?}");
        for (g, b) in got.to_f64_vec().iter().zip(base) {
            // A subnormal exponent goes the general way; not flushing on this thread,
            // that is std's pow as well.
            let w = b.powf(exp);
            assert!(
                g.to_bits() == w.to_bits() || (g.is_nan() && w.is_nan()),
                "{b} ** {exp}: {g} vs {w}"
            );
        }
        // f32 as well: the base's dtype picks the kernel.
        let x = Tensor::from_f64s(DType::F32, &[10], &base).expect("x32");
        let y = Tensor::from_f64s(DType::F32, &[], &[exp]).expect("y32");
        let got = pow.forward(&[&x, &y]).expect("forward f32").remove(0);
        let Tensor::F32(a) = got else { panic!("f32 out") };
        for (g, b) in a.iter().zip(base) {
            let w = (b as f32).powf(exp as f32);
            assert!(
                g.to_bits() == w.to_bits() || (g.is_nan() && w.is_nan()),
                "f32 {b} ** {exp}"
            );
        }
    }
}
