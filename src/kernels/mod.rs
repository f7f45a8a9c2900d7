//! CPU compute kernels over contiguous slices of `f32`/`f64`: elementwise, reductions, fused
//! nn ops and matmul, dispatched at run time to AVX-512, AVX2+FMA or a scalar fallback.
//!
//! Every public function picks the best ISA once per process (`isa()`), large inputs are
//! split across the rayon pool, and very large outputs are written with non-temporal stores. Each vector path sits beside a plain scalar reference, which
//! is both the fallback on other CPUs and the oracle the tests compare every ISA against.
#![allow(unsafe_code)]

pub mod alloc;
mod elementwise;
mod float;
mod math;
mod matmul;
#[cfg(target_arch = "x86_64")]
mod matmul_x86;
mod nn;
mod ops;
mod reduce;
mod simd;

#[cfg(test)]
mod tests;

use rayon::prelude::*;
use std::sync::OnceLock;

pub use elementwise::{
    Bin, Un, add, add_assign, add_scalar, div, div_scalar, exp, ln_at, log, maximum, maximum_scalar, minimum,
    minimum_scalar, mul, mul_scalar, neg, new_binary, new_binary_scalar, new_relu_grad, new_scalar_binary,
    new_unary, relu, relu_grad, scalar_div, scalar_maximum, scalar_minimum, scalar_sub, sigmoid, sqrt,
    square, sub, sub_scalar, tanh, tf_vector_len,
};
pub use float::Float;
pub use matmul::{matmul, matmul_f32, matmul_f64, matmul_new};
pub use nn::{
    LabelOutOfRange, bias_add, bias_add_relu, log_softmax_rows, softmax_cross_entropy_rows, softmax_rows,
    sparse_softmax_cross_entropy_rows,
};
pub use reduce::{max, min, sum, sum_cols, sum_rows};

/// An instruction set a kernel can run on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Isa {
    /// Plain Rust; the reference implementation and the fallback for other CPUs.
    Scalar,
    /// AVX2 + FMA, 256-bit vectors.
    Avx2,
    /// AVX-512 F + DQ, 512-bit vectors.
    Avx512,
}

impl Isa {
    /// Lists the instruction sets this CPU can run, worst first.
    pub fn available() -> Vec<Isa> {
        let best = simd::detect();
        [Isa::Scalar, Isa::Avx2, Isa::Avx512]
            .into_iter()
            .filter(|&i| i as u8 <= best as u8)
            .collect()
    }
}

/// Makes the calling thread, and every thread it starts from now on (they inherit the control
/// register), flush subnormal floats to zero: results that would be subnormal become 0 (FTZ)
/// and subnormal inputs read as 0 (DAZ), for f32 and f64 alike. TensorFlow runs its CPU
/// kernels this way, so a tensor holding 1e-40 gives TensorFlow's answers (`sqrt` of it is 0,
/// Relu's gradient there is 0) rather than IEEE's. `gradd`'s `main` calls it before any other
/// thread exists. A no-op off x86-64.
pub fn flush_denormals() {
    set_mxcsr(mxcsr() | FTZ_DAZ);
}

/// Runs `f` with IEEE subnormals (FTZ and DAZ off) on the calling thread and restores the
/// thread's mode after it. For work that must see values exactly rather than as the kernels
/// do: parsing `1e-310` from text multiplies by powers of ten, which a flushing thread turns
/// into 0.
pub fn with_ieee_denormals<R>(f: impl FnOnce() -> R) -> R {
    /// Puts the saved mode back when dropped, so a panic in `f` cannot leave it changed.
    struct Restore(u32);
    impl Drop for Restore {
        fn drop(&mut self) {
            set_mxcsr(self.0);
        }
    }
    let saved = Restore(mxcsr());
    set_mxcsr(saved.0 & !FTZ_DAZ);
    f()
}

/// MXCSR bit 15 is flush-to-zero, bit 6 denormals-are-zero.
const FTZ_DAZ: u32 = 0x8040;

/// The thread's SSE control register (0 off x86-64).
fn mxcsr() -> u32 {
    #[allow(unused_mut)]
    let mut csr: u32 = 0;
    #[cfg(target_arch = "x86_64")]
    // SAFETY: stmxcsr stores the 4-byte MXCSR register to the address given, which is a live,
    // aligned u32 on this stack frame; it touches nothing else.
    unsafe {
        std::arch::asm!("stmxcsr [{}]", in(reg) &mut csr, options(nostack, preserves_flags))
    };
    csr
}

/// Loads `csr` into MXCSR (a no-op off x86-64). Callers pass a value read by `mxcsr` with
/// only the FTZ/DAZ bits changed.
fn set_mxcsr(csr: u32) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: ldmxcsr loads MXCSR from a live u32; the value is the current register with only
    // the FTZ and DAZ bits changed (reserved bits untouched), so it cannot fault.
    unsafe {
        std::arch::asm!("ldmxcsr [{}]", in(reg) &csr, options(nostack, preserves_flags))
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = csr;
}

/// Returns the instruction set the public functions use, detected on first call.
pub fn isa() -> Isa {
    static ISA: OnceLock<Isa> = OnceLock::new();
    *ISA.get_or_init(simd::detect)
}

/// Inputs below this many elements stay on the calling thread: under ~256K elements the
/// work (~50 µs) is too short to pay for waking another thread.
const PAR_MIN_LEN: usize = 1 << 18;

/// Chunks per pool thread. More than one lets a thread that has its core take over the
/// chunks of one that a neighbour's process has descheduled (the dev box is shared: with one
/// chunk per thread a call waited out the other thread's whole time slice), and the small
/// chunks also shorten the tail a late-waking pool thread leaves: at 1M f32, 16 per thread
/// (32K-element chunks) measured exp 190-235 us and tanh 210-285 us against 208-239 and
/// 277-353 with 4 per thread, interleaved on the dev box.
const CHUNKS_PER_THREAD: usize = 16;
/// Chunks per pool thread from [`LARGE_LEN`] elements: few enough that each chunk of a large
/// output is past `simd::STREAM_MIN_BYTES` and streams (16 per thread took add of 16M f32 from
/// ~6 to ~9 ms by turning the streaming off).
const CHUNKS_PER_THREAD_LARGE: usize = 4;
/// Inputs from this many elements (32 MiB of f32) count as large for chunking.
const LARGE_LEN: usize = 1 << 23;

/// Chunks are at least this many elements (~10 µs of the cheapest op), so splitting a
/// just-threaded input stays cheap next to its work.
const PAR_MIN_CHUNK: usize = 1 << 15;

/// Elements [`new_with`] zeroes and hands out at a time: 32 KiB of f32, so a block is still in
/// the first-level cache when the kernel overwrites it.
const FRESH_BLOCK: usize = 1 << 13;

/// A new vector of `n` elements written by `f(offset, block)` block by block. Each block is
/// zeroed just before `f` gets it (so `f` only ever sees initialized memory), and large
/// outputs are split across the rayon pool like the kernels split their work. Compared with
/// `vec![0; n]` and one kernel call, the zeroing runs in parallel and in cache instead of as a
/// separate single-threaded pass over memory: exp of 1M f32 into a fresh output took 2.4x the
/// kernel's own time that way. `f` must be a kernel that writes every element of its block.
pub fn new_with<T: Float>(n: usize, f: impl Fn(usize, &mut [T]) + Sync) -> Vec<T> {
    let mut v: Vec<T> = Vec::with_capacity(n);
    let spare = &mut v.spare_capacity_mut()[..n];
    let fill = |offset: usize, chunk: &mut [std::mem::MaybeUninit<T>]| {
        for (i, block) in chunk.chunks_mut(FRESH_BLOCK).enumerate() {
            block.fill(std::mem::MaybeUninit::new(T::ZERO));
            // SAFETY: every element of `block` was initialized by the fill just above, and
            // `MaybeUninit<T>` has the layout of `T`, so this is a valid `&mut [T]` over it.
            let block = unsafe { &mut *(block as *mut [std::mem::MaybeUninit<T>] as *mut [T]) };
            f(offset + i * FRESH_BLOCK, block);
        }
    };
    match par_chunk_len(n).map(|c| c.next_multiple_of(FRESH_BLOCK)) {
        None => fill(0, spare),
        Some(c) => spare
            .par_chunks_mut(c)
            .enumerate()
            .for_each(|(i, chunk)| fill(i * c, chunk)),
    }
    // SAFETY: the chunks (and their blocks) cover the first `n` elements of the spare
    // capacity, and each was initialized before `f` ran on it.
    unsafe { v.set_len(n) };
    v
}

/// Returns the chunk length to split `len` elements across the rayon pool, or `None` when
/// the input is too small (or there is one thread). Chunks are multiples of 64 elements so
/// each starts on its own cache lines when the slice is aligned.
fn par_chunk_len(len: usize) -> Option<usize> {
    // The length first: asking rayon for its thread count costs ~50 instructions, which tiny
    // tensors (most of a small graph's ops) would pay on every call.
    if len < PAR_MIN_LEN {
        return None;
    }
    let threads = rayon::current_num_threads();
    if threads < 2 {
        return None;
    }
    let per_thread = if len >= LARGE_LEN {
        CHUNKS_PER_THREAD_LARGE
    } else {
        CHUNKS_PER_THREAD
    };
    let chunk = len.div_ceil(threads * per_thread).max(PAR_MIN_CHUNK);
    Some(chunk.next_multiple_of(64))
}
