//! matmul vs a naive triple loop, for every combination of transposed operands (strides),
//! empty dimensions, vectors, and sizes past the threading threshold; on x86-64 with AVX2 the
//! large products run on `private-gemm-x86`, so the `gemm` path they take elsewhere is checked
//! through `matmul_gemm`.

use super::super::matmul::matmul_gemm;
use super::super::{matmul_f32, matmul_f64, matmul_new};
use super::*;

/// Stores the `rows x cols` matrix `m` row-major (`t = false`) or column-major (`t = true`)
/// and returns the storage with its (row, col) strides.
fn layout(m: &[f64], rows: usize, cols: usize, t: bool) -> (Vec<f64>, usize, usize) {
    if !t {
        return (m.to_vec(), cols, 1);
    }
    let mut s = vec![0.0; m.len()];
    for i in 0..rows {
        for j in 0..cols {
            s[j * rows + i] = m[i * cols + j];
        }
    }
    (s, 1, rows)
}

fn naive(m: usize, k: usize, n: usize, a: &[f64], b: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; m * n];
    for i in 0..m {
        for j in 0..n {
            out[i * n + j] = (0..k).map(|p| a[i * k + p] * b[p * n + j]).sum();
        }
    }
    out
}

/// From (160, 170, 180) on, past the threading threshold (`PAR_MIN_FLOPS`): for `gemm`, split
/// by columns (n >= m, with a ragged last block) and by rows (m > n); then a depth past
/// `private-gemm-x86`'s 512-deep panels, and a row vector and a column vector as outputs.
const SHAPES: [(usize, usize, usize); 17] = [
    (0, 3, 2),
    (2, 0, 3),
    (3, 2, 0),
    (1, 3, 2),
    (1, 1, 1),
    (1, 64, 1),
    (1, 37, 50),
    (50, 37, 1),
    (3, 1, 4),
    (17, 33, 9),
    (64, 64, 64),
    (160, 170, 180),
    (100, 250, 200),
    (300, 100, 150),
    (40, 1100, 120),
    (1, 2100, 2000),
    (2100, 2000, 1),
];

#[test]
fn matmul_matches_naive_for_all_transposes() {
    let mut rng = Rng::new(41);
    for (m, k, n) in SHAPES {
        let a: Vec<f64> = rng.vec(m * k, -1.0, 1.0);
        let b: Vec<f64> = rng.vec(k * n, -1.0, 1.0);
        let want = naive(m, k, n, &a, &b);
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            let what = format!("{m}x{k} @ {k}x{n} ta={ta} tb={tb}");
            let (sa, ars, acs) = layout(&a, m, k, ta);
            let (sb, brs, bcs) = layout(&b, k, n, tb);
            // NaN-filled outputs: every element must be written, including when k == 0.
            let mut out = vec![f64::NAN; m * n];
            matmul_f64(m, k, n, &sa, ars, acs, &sb, brs, bcs, &mut out);
            assert_close(&out, &want, 1e-13 * (k as f64).max(1.0), 1.0, &what);
            let mut by_gemm = vec![f64::NAN; m * n];
            matmul_gemm((m, k, n), (&sa, ars, acs), (&sb, brs, bcs), &mut by_gemm);
            assert_close(
                &by_gemm,
                &want,
                1e-13 * (k as f64).max(1.0),
                1.0,
                &format!("gemm {what}"),
            );

            let (sa32, sb32): (Vec<f32>, Vec<f32>) = (
                sa.iter().map(|&v| v as f32).collect(),
                sb.iter().map(|&v| v as f32).collect(),
            );
            let mut out32 = vec![f32::NAN; m * n];
            matmul_f32(m, k, n, &sa32, ars, acs, &sb32, brs, bcs, &mut out32);
            // The allocating form writes the same values into its unzeroed buffer.
            let new32 = matmul_new(m, k, n, &sa32, ars, acs, &sb32, brs, bcs);
            assert_eq!(new32, out32, "matmul_new {what}");
            let mut by_gemm32 = vec![f32::NAN; m * n];
            matmul_gemm((m, k, n), (&sa32, ars, acs), (&sb32, brs, bcs), &mut by_gemm32);
            for (got, path) in [(out32, "f32"), (by_gemm32, "gemm f32")] {
                let got: Vec<f64> = got.iter().map(|&v| f64::from(v)).collect();
                let tol = 1e-6 * (k as f64).max(1.0);
                assert_close(&got, &want, tol, 1.0, &format!("{path} {what}"));
            }
        }
    }
}

#[test]
fn matmul_reads_a_strided_sub_view() {
    // The 2x2 top-left block of a 3x4 matrix, times its transpose read from the same slice.
    let x: Vec<f32> = (0..12).map(|v| v as f32).collect();
    let mut out = [0.0f32; 4];
    matmul_f32(2, 2, 2, &x, 4, 1, &x, 1, 4, &mut out);
    // [[0,1],[4,5]] @ [[0,4],[1,5]]
    assert_eq!(out, [1.0, 5.0, 5.0, 41.0]);
}

#[test]
#[should_panic(expected = "exceeds")]
fn matmul_rejects_a_view_past_the_slice() {
    let mut out = [0.0f32; 4];
    matmul_f32(2, 2, 2, &[1.0; 3], 2, 1, &[1.0; 4], 2, 1, &mut out);
}

/// A large product whose operands are sub-blocks of wider matrices (row strides past the
/// column count), from a test thread (off the pool) and inside a one-thread pool (on it, with
/// one thread for the kernel): the same values each way, equal to the naive product.
#[test]
fn large_matmul_reads_padded_views_on_and_off_the_pool() {
    let (m, k, n, pad) = (130, 700, 90, 7);
    let mut rng = Rng::new(43);
    let a: Vec<f64> = rng.vec(m * (k + pad), -1.0, 1.0);
    let b: Vec<f64> = rng.vec(k * (n + pad), -1.0, 1.0);
    let dense = |x: &[f64], rows: usize, cols: usize| -> Vec<f64> {
        (0..rows)
            .flat_map(|i| x[i * (cols + pad)..i * (cols + pad) + cols].to_vec())
            .collect()
    };
    let want = naive(m, k, n, &dense(&a, m, k), &dense(&b, k, n));
    let (a32, b32): (Vec<f32>, Vec<f32>) = (
        a.iter().map(|&v| v as f32).collect(),
        b.iter().map(|&v| v as f32).collect(),
    );
    let product = || {
        let mut out = vec![f32::NAN; m * n];
        matmul_f32(m, k, n, &a32, k + pad, 1, &b32, n + pad, 1, &mut out);
        out
    };
    let off_pool = product();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("a one-thread pool");
    let on_pool = pool.install(product);
    let widened: Vec<f64> = off_pool.iter().map(|&v| f64::from(v)).collect();
    assert_close(&widened, &want, 1e-6 * k as f64, 1.0, "padded views");
    let widened: Vec<f64> = on_pool.iter().map(|&v| f64::from(v)).collect();
    assert_close(
        &widened,
        &want,
        1e-6 * k as f64,
        1.0,
        "padded views, one-thread pool",
    );
}

/// Large products from several threads at once, off the pool (as tokio's blocking threads
/// call) and on it (nested in a parallel loop, so both pool workers run one while asking the
/// pool for help): every result equals the one-thread answer, and none waits forever.
#[test]
fn concurrent_large_matmuls_from_many_threads_agree() {
    let (m, k, n) = (150, 190, 170);
    let mut rng = Rng::new(47);
    let a: Vec<f32> = rng.vec(m * k, -1.0, 1.0);
    let b: Vec<f32> = rng.vec(k * n, -1.0, 1.0);
    let product = || matmul_new(m, k, n, &a, k, 1, &b, n, 1);
    let one_thread = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("a one-thread pool");
    let want: Vec<f64> = one_thread
        .install(product)
        .iter()
        .map(|&v| f64::from(v))
        .collect();
    let check = |got: Vec<f32>, what: &str| {
        let got: Vec<f64> = got.iter().map(|&v| f64::from(v)).collect();
        assert_close(&got, &want, 1e-5, 1.0, what);
    };
    std::thread::scope(|s| {
        for t in 0..4 {
            s.spawn(move || {
                for i in 0..3 {
                    check(product(), &format!("off the pool, thread {t}, call {i}"));
                }
            });
        }
        s.spawn(|| {
            use rayon::prelude::*;
            let got: Vec<Vec<f32>> = (0..6).into_par_iter().map(|_| product()).collect();
            for (i, g) in got.into_iter().enumerate() {
                check(g, &format!("nested in a parallel loop, call {i}"));
            }
        });
    });
}
