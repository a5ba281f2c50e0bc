//! Peak memory of a run: a counting global allocator (live heap bytes of
//! the whole process, its peak resettable) and the kernel's peak RSS
//! (`VmHWM`, reset through `/proc/self/clear_refs`). A bench that measures
//! memory installs the allocator:
//! `#[global_allocator] static ALLOCATOR: Counting = Counting;`.

use std::{
    alloc::{GlobalAlloc, Layout, System},
    sync::atomic::{AtomicUsize, Ordering},
};

/// The counting allocator.
pub struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize) {
    let now = CURRENT.fetch_add(by, Ordering::Relaxed) + by;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

// SAFETY: every method forwards to `System` unchanged; the counters only
// observe the sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                grew(new_size - layout.size());
            } else {
                CURRENT.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

/// Resets both peaks; returns the live heap now, for [`heap_growth_mib`].
pub fn reset_peaks() -> usize {
    let _ = std::fs::write("/proc/self/clear_refs", "5"); // resets VmHWM
    let start = CURRENT.load(Ordering::Relaxed);
    PEAK.store(start, Ordering::Relaxed);
    start
}

/// The peak live heap since [`reset_peaks`] returned `start`, above it, MiB.
pub fn heap_growth_mib(start: usize) -> f64 {
    (PEAK.load(Ordering::Relaxed) - start) as f64 / 1048576.0
}

/// The process's peak RSS, MiB.
pub fn peak_rss_mib() -> f64 {
    super::proc_kb("/proc/self/status", "VmHWM").map_or(f64::NAN, |kb| kb / 1024.0)
}
