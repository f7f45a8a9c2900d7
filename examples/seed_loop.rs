//! Runs the seed cell in the engine in a loop (for profilers: perf, callgrind).
#[global_allocator]
static GLOBAL: gradd::kernels::alloc::Allocator = gradd::kernels::alloc::Allocator;

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let mut s = gradd::perf::seed_session();
    let t = std::time::Instant::now();
    for _ in 0..n {
        gradd::perf::run_program(&mut s, gradd::perf::seed_steps());
    }
    println!(
        "{:.2} us per seed cell",
        t.elapsed().as_secs_f64() * 1e6 / n as f64
    );
}
