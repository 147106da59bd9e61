//! What the fuzz targets share: the time and memory budget every input is held to (a
//! hang or a blow-up is a crash, not a slow run), a counting allocator that measures
//! the peak heap of one input, an in-memory loader for `use`, and the random-program
//! generator of the differential test (`tests/it/generator.rs`, included as is), which
//! turns `arbitrary` choices into valid programs.

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use netpc::source::{FileKey, LoadFailure, Loader};

#[path = "../../tests/it/generator.rs"]
#[allow(dead_code, clippy::all)]
pub mod generator;

/// The system allocator, counting the bytes live now and the peak since [`reset_peak`].
pub struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to `System` unchanged; only counters are updated.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
            let live = LIVE.fetch_add(new_size, Ordering::Relaxed) + new_size;
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        new
    }
}

/// The budget of one input of `len` bytes: `base` plus `per_kib` for each KiB, in time
/// (milliseconds of this thread's CPU time) and in peak heap above what was live before (MiB).
#[derive(Clone, Copy, Debug)]
pub struct Budget {
    pub base_ms: u64,
    pub per_kib_ms: u64,
    pub base_mib: usize,
    pub per_kib_mib: usize,
}

impl Budget {
    fn time(self, len: usize) -> Duration {
        Duration::from_millis(self.base_ms + self.per_kib_ms * (len as u64).div_ceil(1024))
    }

    fn memory(self, len: usize) -> usize {
        (self.base_mib + self.per_kib_mib * len.div_ceil(1024)) << 20
    }
}

/// The CPU time this thread has used: the budget is CPU time, not wall time, so a
/// loaded machine (the fuzzer runs at `nice 19` beside builds) cannot make it flake;
/// libFuzzer's `-timeout` (wall time) still catches an input that blocks.
fn thread_cpu_time() -> Duration {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid, writable timespec; the clock id is a constant.
    let status = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    assert_eq!(status, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
    Duration::new(now.tv_sec as u64, now.tv_nsec as u32)
}

/// Run `f` on an input of `len` bytes and panic (a crash, the input saved by
/// libFuzzer) when it took longer or allocated more than `budget` allows. Set
/// `NETPC_FUZZ_REPORT=1` to print each input's time and peak heap (to choose budgets).
pub fn bounded<T>(len: usize, budget: Budget, f: impl FnOnce() -> T) -> T {
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let start = thread_cpu_time();
    let out = f();
    let took = thread_cpu_time().saturating_sub(start);
    let heap = PEAK.load(Ordering::Relaxed).saturating_sub(before);
    if std::env::var_os("NETPC_FUZZ_REPORT").is_some() {
        eprintln!("netpc-fuzz: {len} bytes, {took:?}, peak heap {heap} bytes");
    }
    assert!(
        took <= budget.time(len),
        "an input of {len} bytes took {took:?}, over the budget of {:?}",
        budget.time(len)
    );
    assert!(
        heap <= budget.memory(len),
        "an input of {len} bytes allocated a peak of {heap} bytes, over the budget of {} bytes",
        budget.memory(len)
    );
    out
}

/// `use` inside a fuzzed program: files of an in-memory map, keyed by `/`-separated
/// path relative to the using file's folder (`..` may not leave the root).
#[derive(Debug, Default)]
pub struct MemLoader {
    pub files: BTreeMap<String, String>,
}

impl Loader for MemLoader {
    fn locate(&self, from: &FileKey, path: &str) -> Result<FileKey, LoadFailure> {
        let from = from.path().to_string_lossy().replace('\\', "/");
        netpc::insight::git_objects::locate(&from, path)
            .map(FileKey::new)
            .ok_or(LoadFailure::NotFound)
    }

    fn read(&self, key: &FileKey) -> Result<String, LoadFailure> {
        let key = key.path().to_string_lossy().replace('\\', "/");
        self.files.get(&key).cloned().ok_or(LoadFailure::NotFound)
    }
}
