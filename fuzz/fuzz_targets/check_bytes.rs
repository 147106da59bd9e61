//! The front end on arbitrary bytes: a root file read as netpc reads one (E104 for
//! bytes that are not UTF-8), parsed, resolved and checked, and the diagnostics
//! rendered. Must never panic; every input is held to the budget below.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netpc::diagnostic::Diagnostics;
use netpc::source::{FileKey, Origin, Sources};
use netpc_fuzz::{Budget, Counting, MemLoader, bounded};

#[global_allocator]
static ALLOC: Counting = Counting;

/// 250 ms and 64 MiB for any input, plus 50 ms and 8 MiB per KiB.
const BUDGET: Budget = Budget {
    base_ms: 250,
    per_kib_ms: 50,
    base_mib: 64,
    per_kib_mib: 8,
};

fuzz_target!(|data: &[u8]| {
    bounded(data.len(), BUDGET, || {
        let mut sources = Sources::new();
        let mut diagnostics = Diagnostics::new();
        let key = FileKey::new("fuzz.netp");
        let origin = Origin::File("fuzz.netp".into());
        let Some(root) =
            netpc::compile::add_root(&mut sources, origin, key, data.to_vec(), &mut diagnostics)
        else {
            return;
        };
        let (_, checked) = netpc::check(&mut sources, &[root], &MemLoader::default());
        diagnostics.extend(checked);
        diagnostics.sort();
        let _ = netpc::render::human(&sources, &diagnostics, false);
    });
});
