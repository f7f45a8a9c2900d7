//! Fused nn kernels on every ISA vs an independent f64 reference written out here.

use super::super::PAR_MIN_LEN;
use super::super::nn::{LabelOutOfRange, bias_add_with, softmax_with, sparse_xent_with, xent_with};
use super::*;

const SHAPES: [(usize, usize); 9] = [
    (0, 4),
    (3, 0),
    (1, 1),
    (1, 5),
    (4, 17),
    (7, 33),
    (5, 49),
    (2, 1000),
    (PAR_MIN_LEN / 40 + 3, 40),
];

/// Softmax / log-softmax of one row in f64 (shifted by the max first: with logits near 300,
/// `x - lse` alone would lose more digits than the kernel under test).
fn softmax_ref(x: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let m = x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let sum: f64 = x.iter().map(|v| (v - m).exp()).sum();
    let sm = x.iter().map(|v| (v - m).exp() / sum).collect();
    (sm, x.iter().map(|v| (v - m) - sum.ln()).collect())
}

fn tol<T: TestFloat>() -> f64 {
    64.0 * T::EPS
}

fn to64<T: Float>(x: &[T]) -> Vec<f64> {
    x.iter().map(|v| v.to_f64()).collect()
}

fn check_softmax<T: TestFloat>() {
    let mut rng = Rng::new(31);
    for (rows, cols) in SHAPES {
        // Logits far from 0 make the max subtraction matter: exp(300) overflows f32.
        let x: Vec<T> = rng.vec(rows * cols, 290.0, 310.0);
        let x = Padded::new(&x, 1);
        let mut sm = Vec::new();
        let mut lsm = Vec::new();
        for r in to64(x.get()).chunks(cols.max(1)) {
            let (a, b) = softmax_ref(r);
            sm.extend(a);
            lsm.extend(b);
        }
        let (sm, lsm): (Vec<T>, Vec<T>) = (
            sm.into_iter().map(T::from_f64).collect(),
            lsm.into_iter().map(T::from_f64).collect(),
        );
        for isa in isas() {
            let what = format!("{isa:?} {rows}x{cols}");
            let mut out = Padded::<T>::zeros(rows * cols, 3);
            softmax_with::<T, false>(isa, x.get(), rows, cols, out.get_mut());
            out.check_pads(&what);
            assert_close(out.get(), &sm, tol::<T>(), 0.0, &format!("softmax {what}"));
            softmax_with::<T, true>(isa, x.get(), rows, cols, out.get_mut());
            out.check_pads(&what);
            assert_close(out.get(), &lsm, tol::<T>(), 1.0, &format!("log_softmax {what}"));
        }
    }
}

#[test]
fn softmax_f32() {
    check_softmax::<f32>();
}

#[test]
fn softmax_f64() {
    check_softmax::<f64>();
}

fn check_xent<T: TestFloat>() {
    let mut rng = Rng::new(32);
    for (rows, cols) in SHAPES {
        let logits: Vec<T> = rng.vec(rows * cols, -20.0, 20.0);
        // Probability labels: each row sums to 1.
        let mut labels: Vec<f64> = rng.vec(rows * cols, 0.0, 1.0);
        for r in labels.chunks_mut(cols.max(1)) {
            let s: f64 = r.iter().sum();
            r.iter_mut().for_each(|v| *v /= s);
        }
        let labels: Vec<T> = labels.into_iter().map(T::from_f64).collect();
        let idx: Vec<i64> = (0..rows)
            .map(|_| (rng.next_u64() % cols.max(1) as u64) as i64)
            .collect();

        let (mut loss, mut bp, mut sloss, mut sbp) = (vec![], vec![], vec![], vec![]);
        let (x64, y64) = (to64(&logits), to64(&labels));
        for i in 0..rows {
            let (x, y) = (&x64[i * cols..(i + 1) * cols], &y64[i * cols..(i + 1) * cols]);
            let (sm, lsm) = softmax_ref(x);
            loss.push(-y.iter().zip(&lsm).map(|(a, b)| a * b).sum::<f64>());
            bp.extend(sm.iter().zip(y).map(|(s, y)| s - y));
            if cols > 0 {
                let k = idx[i] as usize;
                sloss.push(-lsm[k]);
                sbp.extend(
                    sm.iter()
                        .enumerate()
                        .map(|(j, s)| if j == k { s - 1.0 } else { *s }),
                );
            }
        }
        let cast = |v: Vec<f64>| v.into_iter().map(T::from_f64).collect::<Vec<T>>();
        let (loss, bp, sloss, sbp) = (cast(loss), cast(bp), cast(sloss), cast(sbp));
        for isa in isas() {
            let what = format!("{isa:?} {rows}x{cols}");
            let mut l = Padded::<T>::zeros(rows, 1);
            let mut b = Padded::<T>::zeros(rows * cols, 3);
            xent_with(isa, &logits, &labels, rows, cols, l.get_mut(), b.get_mut());
            l.check_pads(&what);
            b.check_pads(&what);
            assert_close(l.get(), &loss, tol::<T>(), 1.0, &format!("xent loss {what}"));
            assert_close(b.get(), &bp, tol::<T>(), 1.0, &format!("xent backprop {what}"));
            if cols == 0 {
                continue;
            }
            let r = sparse_xent_with(isa, &logits, &idx, rows, cols, l.get_mut(), b.get_mut());
            assert_eq!(r, Ok(()));
            l.check_pads(&what);
            b.check_pads(&what);
            assert_close(l.get(), &sloss, tol::<T>(), 1.0, &format!("sparse loss {what}"));
            assert_close(b.get(), &sbp, tol::<T>(), 1.0, &format!("sparse backprop {what}"));
        }
    }
}

#[test]
fn cross_entropy_f32() {
    check_xent::<f32>();
}

#[test]
fn cross_entropy_f64() {
    check_xent::<f64>();
}

#[test]
fn sparse_labels_out_of_range_are_rejected() {
    let logits = [0.0f32; 6];
    let (mut loss, mut bp) = ([7.0f32; 2], [7.0f32; 6]);
    for bad in [-1i64, 3] {
        let r = sparse_xent_with(isa_best(), &logits, &[0, bad], 2, 3, &mut loss, &mut bp);
        assert_eq!(
            r,
            Err(LabelOutOfRange {
                row: 1,
                label: bad,
                cols: 3
            })
        );
        assert_eq!(loss, [7.0; 2], "nothing written on error");
    }
}

fn isa_best() -> Isa {
    *isas().last().expect("scalar is always available")
}

#[test]
fn bias_add_relu_matches_reference() {
    let mut rng = Rng::new(33);
    for (rows, cols) in SHAPES {
        let x = Padded::new(&rng.vec::<f32>(rows * cols, -2.0, 2.0), 1);
        let bias: Vec<f32> = rng.vec(cols, -1.0, 1.0);
        let want: Vec<f32> = x
            .get()
            .iter()
            .enumerate()
            .map(|(i, v)| (v + bias[i % cols]).max(0.0))
            .collect();
        for isa in isas() {
            let what = format!("bias_add_relu {isa:?} {rows}x{cols}");
            let mut out = Padded::<f32>::zeros(rows * cols, 3);
            bias_add_with::<f32, true>(isa, x.get(), &bias, rows, cols, out.get_mut());
            out.check_pads(&what);
            assert_same(out.get(), &want, &what);
            bias_add_with::<f32, false>(isa, x.get(), &bias, rows, cols, out.get_mut());
            let plain: Vec<f32> = x
                .get()
                .iter()
                .enumerate()
                .map(|(i, v)| v + bias[i % cols])
                .collect();
            assert_same(out.get(), &plain, &what);
        }
    }
}
