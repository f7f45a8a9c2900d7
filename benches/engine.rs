//! Whole-engine workloads without gRPC (the programs live in `gradd::perf`): the seed
//! notebook's first cell and one MLP 784-512-512-10 training step at batch 128.

#[global_allocator]
static GLOBAL: gradd::kernels::alloc::Allocator = gradd::kernels::alloc::Allocator;

use criterion::{Criterion, criterion_group, criterion_main};
use gradd::perf::{mlp_session, mlp_steps, run_program, seed_session, seed_steps};

fn bench(c: &mut Criterion) {
    let mut s = seed_session();
    c.bench_function("engine/seed_cell", |b| {
        b.iter(|| run_program(&mut s, seed_steps()))
    });
    let mut m = mlp_session(128);
    c.bench_function("engine/mlp128_step", |b| {
        b.iter(|| run_program(&mut m, mlp_steps()))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
