//! The output-folder reader on arbitrary folders: the input is a folder packed as
//! `PATH NUL TEXT NUL PATH NUL TEXT ...` (lossily UTF-8; the seeds are the compiled
//! examples). Every path is classified by the layout; the files the layout says a
//! reader needs (what `cli::folder::read` hands over after walking the disk) go to
//! `netpc::output::read`, and a folder that reads is turned into the side `diff` and
//! `graph` evaluate, and evaluated. Never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netpc::output::{classify, read};
use netpc_fuzz::{Budget, Counting, bounded};

#[global_allocator]
static ALLOC: Counting = Counting;

/// 500 ms and 64 MiB for any input, plus 50 ms and 16 MiB per KiB.
const BUDGET: Budget = Budget {
    base_ms: 500,
    per_kib_ms: 50,
    base_mib: 64,
    per_kib_mib: 16,
};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    bounded(data.len(), BUDGET, || {
        let parts: Vec<&str> = text.split('\0').collect();
        let files: Vec<(&str, &str)> = parts
            .chunks(2)
            .map(|pair| (pair[0], pair.get(1).copied().unwrap_or("")))
            .filter(|(path, _)| classify(path).is_listed())
            .collect();
        if let Ok(folder) = read(files) {
            let side = netpc::insight::side::from_folder(folder);
            if let Ok(connections) = netpc::insight::conns::connections(&side) {
                let _ = connections.lines();
            }
        }
    });
});
