//! Times an op's fresh output against the same kernel into a preallocated buffer: exp and add
//! of 1M and 16M f32, three ways each: the kernel into a buffer, `kernels::new_with` (each
//! block zeroed before the kernel writes it), and the kernels' `new_*` entry points (no
//! zeroing). Medians of 5 rounds, averaged. `cargo run --release --example fresh_outputs`
#[global_allocator]
static GLOBAL: gradd::kernels::alloc::Allocator = gradd::kernels::alloc::Allocator;
use gradd::kernels as k;
use std::time::Instant;
fn main() {
    for n in [1usize << 20, 16 << 20] {
        let a: Vec<f32> = (0..n).map(|i| (i % 2000) as f32 / 1000.0 - 1.0).collect();
        let b: Vec<f32> = (0..n).map(|i| (i % 1999) as f32 / 1000.0 - 1.0).collect();
        let mut c = vec![0f32; n];
        let iters = if n > 1 << 20 { 20 } else { 200 };
        let mut r = [[0f64; 3]; 2];
        for _ in 0..5 {
            let t = |f: &mut dyn FnMut()| {
                let mut v = vec![];
                for _ in 0..iters {
                    let t0 = Instant::now();
                    f();
                    v.push(t0.elapsed().as_secs_f64());
                }
                v.sort_by(f64::total_cmp);
                v[v.len() / 2]
            };
            let e = [
                t(&mut || k::exp(&a, &mut c)),
                t(&mut || {
                    std::hint::black_box(k::new_with(n, |off, o: &mut [f32]| {
                        k::exp(&a[off..off + o.len()], o)
                    }));
                }),
                t(&mut || {
                    std::hint::black_box(k::new_unary(k::Un::Exp, &a));
                }),
            ];
            let ad = [
                t(&mut || k::add(&a, &b, &mut c)),
                t(&mut || {
                    std::hint::black_box(k::new_with(n, |off, o: &mut [f32]| {
                        k::add(&a[off..off + o.len()], &b[off..off + o.len()], o)
                    }));
                }),
                t(&mut || {
                    std::hint::black_box(k::new_binary(k::Bin::Add, &a, &b));
                }),
            ];
            for j in 0..3 {
                r[0][j] += e[j] / 5.0;
                r[1][j] += ad[j] / 5.0;
            }
        }
        println!(
            "n={n}: exp buffer {:.0} us, zeroed blocks {:.0} us, fresh {:.0} us | add buffer {:.0}, zeroed blocks {:.0}, fresh {:.0} us",
            r[0][0] * 1e6,
            r[0][1] * 1e6,
            r[0][2] * 1e6,
            r[1][0] * 1e6,
            r[1][1] * 1e6,
            r[1][2] * 1e6
        );
    }
}
