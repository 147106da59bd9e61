//! Times the parser alone over every `.netp` file under a folder (release builds
//! only mean anything): `cargo bench --bench parse -- DIR`.
//! Prints files, items, diagnostics and the time spent in `syntax::parse`.

use std::time::{Duration, Instant};

use netpc::diagnostic::Diagnostics;
use netpc::source::FileId;

fn main() {
    let mut files = 0;
    let mut items = 0;
    let mut bytes = 0;
    let mut diagnostics = Diagnostics::new();
    let mut spent = Duration::ZERO;
    for dir in std::env::args().skip(1) {
        for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
            let Ok(entry) = entry else { continue };
            if entry.path().extension().is_none_or(|x| x != "netp") {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(entry.path()) else {
                continue;
            };
            let start = Instant::now();
            let file = netpc::syntax::parse(FileId(files), &text, &mut diagnostics);
            spent += start.elapsed();
            files += 1;
            items += file.items.len();
            bytes += text.len();
        }
    }
    println!(
        "{files} files, {bytes} bytes, {items} top-level items, {} diagnostics, parse {:.1} ms",
        diagnostics.len(),
        spent.as_secs_f64() * 1000.0
    );
}
