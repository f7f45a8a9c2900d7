//! The process allocator: mimalloc, entered by its plain `mi_malloc` for every request whose
//! alignment `malloc` already guarantees.
//!
//! `mimalloc::MiMalloc` sends every Rust allocation to `mi_malloc_aligned`, whose fast path
//! only serves a block that happens to sit at the wanted alignment on a page with a free list
//! ready; otherwise it takes the generic aligned path, which may over-allocate instead of
//! collecting the page's freed blocks. The engine's small tensors make it allocation-bound, and
//! on the seed cell that path ran ~19 times per cell at ~150 instructions each.
//!
//! `mi_malloc`'s size classes are whole 8-byte words, and every class above 64 bytes is a
//! multiple of 16, so its blocks are always 8-aligned and 16-aligned when the size is a
//! multiple of 16. Those two cases (every Rust type's layout with alignment <= 16) take the
//! plain entry points; anything else keeps the aligned ones.

use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

/// A `GlobalAlloc` over mimalloc; binaries declare it with `#[global_allocator]`.
pub struct Allocator;

/// Whether a plain `mi_malloc` block of this size is sure to have this alignment.
fn plain(layout: &Layout) -> bool {
    layout.align() <= 8 || (layout.align() == 16 && layout.size().is_multiple_of(16))
}

// SAFETY: every method forwards to mimalloc, which returns null on failure and otherwise a
// block of at least `layout.size()` bytes at `layout.align()` (checked by `plain` for the
// unaligned entry points); `mi_free` accepts blocks from all of them.
unsafe impl GlobalAlloc for Allocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if plain(&layout) {
            // SAFETY: plain malloc; the alignment is within what it guarantees (see `plain`).
            unsafe { libmimalloc_sys::mi_malloc(layout.size()) as *mut u8 }
        } else {
            // SAFETY: the aligned entry point takes any power-of-two alignment.
            unsafe { libmimalloc_sys::mi_malloc_aligned(layout.size(), layout.align()) as *mut u8 }
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if plain(&layout) {
            // SAFETY: as in `alloc`, zeroed.
            unsafe { libmimalloc_sys::mi_zalloc(layout.size()) as *mut u8 }
        } else {
            // SAFETY: as in `alloc`, zeroed.
            unsafe { libmimalloc_sys::mi_zalloc_aligned(layout.size(), layout.align()) as *mut u8 }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        // SAFETY: `ptr` came from one of this allocator's methods (GlobalAlloc's contract).
        unsafe { libmimalloc_sys::mi_free(ptr as *mut c_void) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new = Layout::from_size_align(new_size, layout.align());
        if new.is_ok_and(|l| plain(&l)) {
            // SAFETY: `ptr` is live and ours; the new size keeps the alignment plain.
            unsafe { libmimalloc_sys::mi_realloc(ptr as *mut c_void, new_size) as *mut u8 }
        } else {
            // SAFETY: `ptr` is live and ours; mimalloc keeps the alignment across the move.
            unsafe {
                libmimalloc_sys::mi_realloc_aligned(ptr as *mut c_void, new_size, layout.align()) as *mut u8
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every size and alignment the engine asks for comes back aligned, writable and
    /// reallocated with its contents.
    #[test]
    fn alignment_and_contents_hold_across_sizes() {
        let a = Allocator;
        for align in [1usize, 2, 4, 8, 16, 32, 64, 4096] {
            for size in [1usize, 3, 4, 8, 15, 16, 17, 24, 100, 1024, 1025, 70_000] {
                let Ok(l) = Layout::from_size_align(size.max(align), align) else {
                    continue;
                };
                // SAFETY: a non-zero layout; the block is written within its size and freed once.
                unsafe {
                    for zeroed in [false, true] {
                        let p = if zeroed { a.alloc_zeroed(l) } else { a.alloc(l) };
                        assert!(!p.is_null());
                        assert_eq!(p as usize % align, 0, "size {} align {align}", l.size());
                        if zeroed {
                            assert!((0..l.size()).all(|i| *p.add(i) == 0));
                        }
                        for i in 0..l.size() {
                            *p.add(i) = (i % 251) as u8;
                        }
                        let q = a.realloc(p, l, l.size() * 3);
                        assert!(!q.is_null());
                        assert_eq!(q as usize % align, 0);
                        assert!((0..l.size()).all(|i| *q.add(i) == (i % 251) as u8));
                        a.dealloc(q, Layout::from_size_align_unchecked(l.size() * 3, align));
                    }
                }
            }
        }
    }
}
