//! Runs the MLP-128 training step in the engine in a loop (for profilers).
#[global_allocator]
static GLOBAL: gradd::kernels::alloc::Allocator = gradd::kernels::alloc::Allocator;

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(200);
    let mut s = gradd::perf::mlp_session(128);
    let t = std::time::Instant::now();
    for _ in 0..n {
        gradd::perf::run_program(&mut s, gradd::perf::mlp_steps());
    }
    println!(
        "{:.3} ms per MLP step",
        t.elapsed().as_secs_f64() * 1e3 / n as f64
    );
}
