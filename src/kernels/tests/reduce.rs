//! Reductions on every ISA vs a Kahan-summed reference (sums) or the scalar path (max/min),
//! with NaN sentinels around the input to catch over-reads.

use super::super::PAR_MIN_LEN;
use super::super::reduce::{extremum_with, sum_cols_with, sum_rows_with, sum_with};
use super::*;

/// Relative tolerance of a sum against the exact one, scaled by `sum |x|` (the condition
/// of the problem): the pairwise bound ~(64 + log2 n) eps with room to spare.
fn sum_tol<T: TestFloat>() -> f64 {
    128.0 * T::EPS
}

fn check_sum<T: TestFloat>(isa: Isa, x: &[T], what: &str) {
    let got = sum_with(isa, x).to_f64();
    let exact = kahan(x.iter().map(|v| v.to_f64()));
    let scale = kahan(x.iter().map(|v| v.to_f64().abs()));
    assert!(
        (got - exact).abs() <= sum_tol::<T>() * scale,
        "{what}: sum {got:e} vs exact {exact:e} (scale {scale:e})"
    );
}

fn check_short<T: TestFloat>() {
    let mut rng = Rng::new(21);
    for isa in isas() {
        for len in 0..=3 * LANES + 1 {
            for off in OFFSETS {
                let what = format!("{isa:?} len {len} offset {off}");
                // The input is surrounded by NaN sentinels: any over-read poisons the result.
                let x = Padded::new(&rng.vec::<T>(len, -1.0, 1.0), off);
                check_sum(isa, x.get(), &what);
                for is_max in [true, false] {
                    let (got, want) = if is_max {
                        (
                            extremum_with::<T, true>(isa, x.get()),
                            extremum_with::<T, true>(Isa::Scalar, x.get()),
                        )
                    } else {
                        (
                            extremum_with::<T, false>(isa, x.get()),
                            extremum_with::<T, false>(Isa::Scalar, x.get()),
                        )
                    };
                    assert!(got == want, "{what} max={is_max}: got {got:?} want {want:?}");
                }
            }
        }
    }
}

#[test]
fn short_reductions_f32() {
    check_short::<f32>();
}

#[test]
fn short_reductions_f64() {
    check_short::<f64>();
}

#[test]
fn long_sums_are_accurate() {
    let mut rng = Rng::new(22);
    for len in [1000, 4096, 3 * 4096 + 5, 100_003, PAR_MIN_LEN + 4099] {
        // A large constant offset makes a running sum lose digits quickly.
        let x32: Vec<f32> = rng.vec::<f32>(len, -1.0, 1.0).iter().map(|v| v + 10.0).collect();
        let x64: Vec<f64> = rng.vec::<f64>(len, -1.0, 1.0).iter().map(|v| v + 10.0).collect();
        for isa in isas() {
            check_sum(isa, &x32, &format!("{isa:?} f32 len {len}"));
            check_sum(isa, &x64, &format!("{isa:?} f64 len {len}"));
        }
    }
}

#[test]
fn max_min_specials() {
    for isa in isas() {
        let empty: [f32; 0] = [];
        assert_eq!(extremum_with::<f32, true>(isa, &empty), f32::NEG_INFINITY);
        assert_eq!(extremum_with::<f32, false>(isa, &empty), f32::INFINITY);
        let mut x = vec![1.0f64; 37];
        x[30] = f64::NAN;
        assert!(
            extremum_with::<f64, true>(isa, &x).is_nan(),
            "{isa:?}: NaN wins max"
        );
        assert!(
            extremum_with::<f64, false>(isa, &x).is_nan(),
            "{isa:?}: NaN wins min"
        );
        let x: Vec<f32> = (0..PAR_MIN_LEN + 3).map(|i| (i % 1013) as f32 - 500.0).collect();
        assert_eq!(extremum_with::<f32, true>(isa, &x), 512.0);
        assert_eq!(extremum_with::<f32, false>(isa, &x), -500.0);
    }
}

/// Shapes for the axis reductions: empty, single row/column, every tail width, tall and wide
/// enough for the threaded paths.
const SHAPES: [(usize, usize); 12] = [
    (0, 5),
    (5, 0),
    (1, 1),
    (1, 37),
    (37, 1),
    (3, 17),
    (9, 33),
    (13, 49),
    (100, 3),
    (256, 100),
    (PAR_MIN_LEN / 3 + 5, 3),
    (300, 1100),
];

fn check_axes<T: TestFloat>() {
    let mut rng = Rng::new(23);
    for (rows, cols) in SHAPES {
        let x = Padded::new(&rng.vec::<T>(rows * cols, -1.0, 1.0), 1);
        let xs = x.get();
        let col = |j: usize| (0..rows).map(move |i| xs[i * cols + j].to_f64());
        let row = |i: usize| (0..cols).map(move |j| xs[i * cols + j].to_f64());
        let tol = sum_tol::<T>();
        for isa in isas() {
            let what = format!("{isa:?} {rows}x{cols}");
            let mut out = Padded::<T>::zeros(cols, 3);
            sum_rows_with(isa, x.get(), rows, cols, out.get_mut());
            out.check_pads(&what);
            for (j, &o) in out.get().iter().enumerate() {
                let (exact, scale) = (kahan(col(j)), kahan(col(j).map(f64::abs)));
                assert!((o.to_f64() - exact).abs() <= tol * scale, "{what} sum_rows[{j}]");
            }
            let mut out = Padded::<T>::zeros(rows, 3);
            sum_cols_with(isa, x.get(), rows, cols, out.get_mut());
            out.check_pads(&what);
            for (i, &o) in out.get().iter().enumerate() {
                let (exact, scale) = (kahan(row(i)), kahan(row(i).map(f64::abs)));
                assert!((o.to_f64() - exact).abs() <= tol * scale, "{what} sum_cols[{i}]");
            }
        }
    }
}

#[test]
fn axis_sums_f32() {
    check_axes::<f32>();
}

#[test]
fn axis_sums_f64() {
    check_axes::<f64>();
}
