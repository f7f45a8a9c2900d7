//! Large products on x86-64 with AVX2+FMA or AVX-512, through `private-gemm-x86`: the kernel
//! crate behind faer's matmul, by faer's author, called here exactly as faer 0.24 calls it.
//!
//! Why not `gemm` for these: on the 2-core Zen 3 box (AVX2), two threads at 1024 and 2048 ran
//! ~100-110 GFLOP/s with `gemm` 0.19 (our own split or its `Rayon(2)`) against 125-148 with this
//! crate, alternated in one run with PyTorch's 122-132; one thread at 1024, 51-56 against
//! 56-61. `gemm` still runs the small and middle products (no large scratch, no pool) and is
//! the path on CPUs without AVX2+FMA.
//!
//! The crate keeps a thread-local packing buffer sized from the L3 cache (64 MiB of address
//! space on a 32 MiB-L3 box, touched only as far as a product needs). So that only the rayon
//! workers ever own one, never each of tokio's up-to-512 blocking threads, a call made off the
//! pool first moves onto it (`rayon::scope`), which the threaded path did anyway.

use private_gemm_x86::{Accum, DType, DstKind, IType, InstrSet};

use super::Isa;
use super::float::Float;
use super::matmul::{OutPtr, Views};

/// The instruction set to run large products with, or `None` to use `gemm`.
pub(super) fn instr_set() -> Option<InstrSet> {
    match super::isa() {
        Isa::Avx512 => Some(InstrSet::Avx512),
        Isa::Avx2 => Some(InstrSet::Avx256),
        Isa::Scalar => None,
    }
}

/// Writes the whole `m x n` product of `v` to `out` with `threads` threads of the current rayon
/// pool (the pool of the caller's `install`, else the global one).
///
/// # Safety
/// `out` must be valid for writes of `m * n` elements and not accessed by anything else during
/// the call; `m, n, k > 0`; the views must have passed `check_view`; `instr` must be one this
/// CPU runs (from [`instr_set`]).
pub(super) unsafe fn run<T: Float>(v: &Views<'_, T>, out: OutPtr<T>, instr: InstrSet, threads: usize) {
    // `Float` is sealed to f32 and f64, which differ in size.
    let dtype = if size_of::<T>() == 4 {
        DType::F32
    } else {
        DType::F64
    };
    let alpha = T::ONE;
    let call = || {
        // SAFETY: the strides are those `check_view` bounded (so the isize casts cannot wrap)
        // for an m x k lhs, a k x n rhs and the row-major m x n output, which the caller owns
        // exclusively; `dtype` matches `T`; `alpha` is a live `T`; `instr` is supported. With
        // `Accum::Replace` and k > 0 every output element is written without being read (the
        // tests fill outputs with NaN first), so `out` may be uninitialized. No row/column index
        // lists and no diagonal are passed (null), as faer does for a plain product.
        unsafe {
            private_gemm_x86::gemm(
                dtype,
                IType::U64,
                instr,
                v.m,
                v.n,
                v.k,
                // `{ out }` captures the whole `Sync` wrapper, not its raw pointer field.
                { out }.0.cast(),
                v.n as isize,
                1,
                core::ptr::null(),
                core::ptr::null(),
                DstKind::Full,
                Accum::Replace,
                v.a.as_ptr().cast(),
                v.ars as isize,
                v.acs as isize,
                false,
                core::ptr::null(),
                0,
                v.b.as_ptr().cast(),
                v.brs as isize,
                v.bcs as isize,
                false,
                (&raw const alpha).cast(),
                threads,
            );
        }
    };
    if rayon::current_thread_index().is_some() {
        call();
    } else {
        // Off the pool (a tokio blocking thread): run on a pool worker, whose buffer is reused.
        rayon::scope(|_| call());
    }
}
