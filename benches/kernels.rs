//! Kernel benchmarks: matmul (FLOP/s) and the bandwidth-bound elementwise ops and
//! reductions (bytes moved per second), with a plain memcpy as the bandwidth yardstick.
//!
//! Throughput conventions: matmul counts 2*m*n*k FLOP as "elements"; the others count the
//! bytes their slices hold (inputs + output), so `add` moves 12 bytes per f32 and memcpy 8.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use gradd::kernels;

const M1: usize = 1 << 20;
const M16: usize = 1 << 24;

fn data(n: usize) -> Vec<f32> {
    (0..n).map(|i| ((i * 7919) % 1000) as f32 / 250.0 - 2.0).collect()
}

fn matmul(c: &mut Criterion) {
    let mut g = c.benchmark_group("matmul_f32");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    // A tiny product must not pay for a thread hand-off.
    let (a, b) = (data(3), data(6));
    let mut out = vec![0.0f32; 2];
    g.throughput(Throughput::Elements(2 * 3 * 2));
    g.bench_function("1x3x2", |bch| {
        bch.iter(|| kernels::matmul_f32(1, 3, 2, &a, 3, 1, &b, 2, 1, black_box(&mut out)))
    });
    for n in [64, 128, 256, 1024, 2048] {
        let (a, b) = (data(n * n), data(n * n));
        let mut out = vec![0.0f32; n * n];
        g.throughput(Throughput::Elements(2 * (n as u64).pow(3)));
        g.bench_function(BenchmarkId::from_parameter(n), |bch| {
            bch.iter(|| kernels::matmul_f32(n, n, n, &a, n, 1, &b, n, 1, black_box(&mut out)))
        });
    }
}

fn bandwidth(c: &mut Criterion) {
    let mut g = c.benchmark_group("bandwidth_f32");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    let (a, b) = (data(M16), data(M16));
    let mut out = vec![0.0f32; M16];
    g.throughput(Throughput::Bytes(8 * M16 as u64));
    g.bench_function("memcpy/16M", |bch| {
        bch.iter(|| black_box(&mut out[..]).copy_from_slice(&a))
    });
    // The kernels split big inputs over both cores, so compare with a copy that does too.
    g.bench_function("memcpy_2threads/16M", |bch| {
        bch.iter(|| {
            let (lo, hi) = black_box(&mut out[..]).split_at_mut(M16 / 2);
            let (a_lo, a_hi) = a.split_at(M16 / 2);
            rayon::join(|| lo.copy_from_slice(a_lo), || hi.copy_from_slice(a_hi));
        })
    });
    g.throughput(Throughput::Bytes(12 * M16 as u64));
    g.bench_function("add/16M", |bch| {
        bch.iter(|| kernels::add(&a, &b, black_box(&mut out)))
    });
    g.throughput(Throughput::Bytes(12 * M16 as u64));
    g.bench_function("add_assign/16M", |bch| {
        bch.iter(|| kernels::add_assign(black_box(&mut out), &a))
    });
}

fn unary_and_sum(c: &mut Criterion) {
    let mut g = c.benchmark_group("unary_f32");
    g.sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    for (label, n) in [("1M", M1), ("16M", M16)] {
        let x = data(n);
        let mut out = vec![0.0f32; n];
        g.throughput(Throughput::Bytes(8 * n as u64));
        g.bench_function(format!("exp/{label}"), |bch| {
            bch.iter(|| kernels::exp(&x, black_box(&mut out)))
        });
        g.bench_function(format!("tanh/{label}"), |bch| {
            bch.iter(|| kernels::tanh(&x, black_box(&mut out)))
        });
        g.throughput(Throughput::Bytes(4 * n as u64));
        g.bench_function(format!("sum/{label}"), |bch| {
            bch.iter(|| kernels::sum(black_box(&x)))
        });
    }
}

criterion_group!(benches, matmul, bandwidth, unary_and_sum);
criterion_main!(benches);
