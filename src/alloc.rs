//! The allocator the `amberdb` binary, the corpus runner and the benchmarks use:
//! mimalloc, asked for a plain block whenever a plain block is aligned enough. (The
//! library itself sets no allocator.)
//!
//! The `mimalloc` crate's allocator asks for an aligned block on every allocation.
//! mimalloc answers that quickly only while the size class's page has a free block
//! ready and only for sizes that are powers of two; otherwise (a 24-, 48- or 80-byte
//! value, a row's vector) it allocates `size + align - 1` bytes in a larger class and
//! moves the pointer up. That was a twentieth of the instructions of a lookup through
//! an index and made many blocks a size class larger than asked.

#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

use libmimalloc_sys as mi;

/// The alignment every mimalloc block of at least this many bytes has (its
/// `MI_MAX_ALIGN_SIZE`, the alignment C's `malloc` promises).
const PLAIN_ALIGN: usize = 16;

/// The bytes mimalloc has committed (its estimate of the memory it holds from the
/// system): what `amber_memory()` reports as the allocator's figure.
pub fn committed_bytes() -> u64 {
    let mut figures = [0usize; 8];
    let [a, b, c, d, e, f, g, h] = &mut figures;
    // SAFETY: mi_process_info writes one usize through each pointer, all valid here.
    unsafe { mi::mi_process_info(a, b, c, d, e, f, g, h) };
    figures[5] as u64
}

/// mimalloc as a global allocator: `#[global_allocator] static A: Allocator = Allocator;`
pub struct Allocator;

/// Whether a plain block of `size` bytes is aligned as `layout` asks: as for C's
/// `malloc` (and Rust's own `System`), a block is aligned to the largest power of two
/// up to 16 that its size allows.
#[inline]
fn plain(align: usize, size: usize) -> bool {
    align <= PLAIN_ALIGN && align <= size
}

// SAFETY: every block comes from mimalloc and goes back to it (`mi_free` takes blocks
// from both the plain and the aligned calls); a plain block is only used where its
// alignment is enough (`plain`), and the aligned calls are asked for the layout's
// alignment otherwise.
unsafe impl GlobalAlloc for Allocator {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: mimalloc's allocation calls accept any size; a null return is passed on.
        unsafe {
            if plain(layout.align(), layout.size()) {
                mi::mi_malloc(layout.size()) as *mut u8
            } else {
                mi::mi_malloc_aligned(layout.size(), layout.align()) as *mut u8
            }
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        unsafe {
            if plain(layout.align(), layout.size()) {
                mi::mi_zalloc(layout.size()) as *mut u8
            } else {
                mi::mi_zalloc_aligned(layout.size(), layout.align()) as *mut u8
            }
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        // SAFETY: `ptr` came from this allocator, so from mimalloc.
        unsafe { mi::mi_free(ptr as *mut c_void) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` came from this allocator; the new block keeps the alignment.
        unsafe {
            if plain(layout.align(), new_size) {
                mi::mi_realloc(ptr as *mut c_void, new_size) as *mut u8
            } else {
                mi::mi_realloc_aligned(ptr as *mut c_void, new_size, layout.align()) as *mut u8
            }
        }
    }
}

/// Gives memory that is free back to the operating system now, rather than when the
/// allocator next gets round to it: after opening a database, the buffers recovery read
/// and freed would otherwise stay in the process's resident size while it sits idle.
pub fn collect() {
    // SAFETY: `mi_collect` takes no pointers; it only walks mimalloc's own heaps.
    unsafe { mi::mi_collect(true) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_have_the_alignment_their_layout_asks_for() {
        let a = Allocator;
        for align in [1usize, 2, 4, 8, 16, 32, 64, 4096] {
            for size in [1usize, 3, 8, 15, 16, 24, 40, 48, 80, 100, 1000, 5000, 70_000] {
                let Ok(layout) = Layout::from_size_align(size, align) else { continue };
                // SAFETY: the layout's size is not zero; each block is freed once, by
                // the allocator that made it, with its layout.
                unsafe {
                    let p = a.alloc(layout);
                    assert!(!p.is_null());
                    assert_eq!(p as usize % align, 0, "size {size} align {align}");
                    p.write_bytes(0xAB, size);
                    let z = a.alloc_zeroed(layout);
                    assert_eq!(z as usize % align, 0, "zeroed: size {size} align {align}");
                    assert!(std::slice::from_raw_parts(z, size).iter().all(|&b| b == 0));
                    let grown = a.realloc(p, layout, size * 3);
                    assert_eq!(grown as usize % align, 0, "grown: size {size} align {align}");
                    assert!(std::slice::from_raw_parts(grown, size).iter().all(|&b| b == 0xAB));
                    a.dealloc(grown, Layout::from_size_align(size * 3, align).unwrap());
                    a.dealloc(z, layout);
                }
            }
        }
    }
}
