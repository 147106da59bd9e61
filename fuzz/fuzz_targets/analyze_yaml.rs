//! The manifest loader and evaluator of `netpc analyze` on arbitrary YAML: the bytes
//! (lossily UTF-8, as if `analyze` had read one file) are loaded as manifests, the
//! policies validated, the connectivity list computed and rendered as text and JSON.
//! Never panics. The connectivity list has a line per pair of peers, so its size grows
//! with the square of the workloads in the input: inputs are capped at 16 KiB
//! (`-max_len` in run.sh) and the budget is for that size.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netpc::analyze::{Analysis, Format, ManifestLoader, Options, render};
use netpc_fuzz::{Budget, Counting, bounded};

#[global_allocator]
static ALLOC: Counting = Counting;

/// 1 s and 128 MiB for any input, plus 100 ms and 16 MiB per KiB.
const BUDGET: Budget = Budget {
    base_ms: 1000,
    per_kib_ms: 100,
    base_mib: 128,
    per_kib_mib: 16,
};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    bounded(data.len(), BUDGET, || {
        let mut loader = ManifestLoader::new();
        if loader.add_text("fuzz.yaml", &text).is_err() {
            return;
        }
        let cluster = loader.finish();
        let Ok(analysis) = Analysis::new(&cluster, Options::default()) else {
            return;
        };
        let list = analysis.connlist();
        let _ = render(&list, &cluster, Format::Text);
        let _ = render(&list, &cluster, Format::Json);
    });
});
