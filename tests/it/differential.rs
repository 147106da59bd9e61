//! Issue 5, item 2: property-based differential testing. Random valid programs
//! (`verify/gen.rs`) are compiled in memory as `netpc build` does, and `verify` must
//! find no mismatch: the independent evaluator on probe pods agrees with the program's
//! expected connectivity. 2,000 cases in the normal run; 100,000 in an ignored test
//! (`cargo test --release --test it differential -- --ignored`, result in docs/verify.md). Shrunk
//! failures are kept as fixtures in tests/verify/differential/*.netp and checked here.
use crate::common;

use crate::generator;

use std::path::{Path, PathBuf};

use netpc::source::{FileKey, LoadFailure, Loader, Origin, Sources};
use netpc::verify;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

/// Serves the generated module as `lib.netp`, next to `gen.netp`.
struct ModuleLoader(Option<String>);

impl Loader for ModuleLoader {
    fn locate(&self, from: &FileKey, path: &str) -> Result<FileKey, LoadFailure> {
        match &self.0 {
            Some(_) if path == "lib.netp" => Ok(FileKey::new("lib.netp")),
            _ => common::DiskLoader.locate(from, path),
        }
    }

    fn read(&self, key: &FileKey) -> Result<String, LoadFailure> {
        match &self.0 {
            Some(text) if key.path() == Path::new("lib.netp") => Ok(text.clone()),
            _ => common::DiskLoader.read(key),
        }
    }
}

/// Check, compile and verify one program; `Err` describes the failure.
fn verify_text(
    text: &str,
    module: Option<&str>,
    enforcement: netpc::ir::EnforcementOverride,
) -> Result<verify::Report, String> {
    let mut sources = Sources::new();
    let root = sources.add(Origin::File(PathBuf::from("gen.netp")), text.to_owned());
    let loader = ModuleLoader(module.map(str::to_owned));
    let (program, diagnostics) = netpc::check(&mut sources, &[root], &loader);
    let text = match module {
        Some(module) => format!("{text}\n// lib.netp:\n{module}"),
        None => text.to_owned(),
    };
    let text = text.as_str();
    let rendered = String::from_utf8(netpc::render::human(&sources, &diagnostics, false)).unwrap();
    let Some(program) = program else {
        return Err(format!(
            "the generated program does not check:\n{text}\n{rendered}"
        ));
    };
    let manifests = match verify::compiled(&netpc::lower::plan(
        program.clone(),
        netpc::lower::Options { enforcement },
        &mut netpc::diagnostic::Diagnostics::new(),
    )) {
        Ok(manifests) => manifests,
        Err(err) => return Err(format!("lowering failed: {err:?}\n{text}")),
    };
    let report = verify::verify(
        &program,
        manifests,
        verify::Options {
            enforcement,
            ..Default::default()
        },
    )
    .map_err(|e| format!("invalid policies: {e:?}\n{text}"))?;
    if !report.matches() {
        return Err(format!(
            "verify found a mismatch (enforcement {enforcement:?}):\n{text}\n{}",
            verify::render(&report, &program, &sources)
        ));
    }
    Ok(report)
}

fn run(cases: u32) {
    let config = Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 20_000,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let result = runner.run(
        &proptest::collection::vec(any::<u32>(), 0..160),
        |choices| {
            let generated = generator::program(&mut generator::Choices::new(&choices));
            verify_text(
                &generated.text,
                generated.module.as_deref(),
                generated.enforcement,
            )
            .map(|_| ())
            .map_err(TestCaseError::fail)
        },
    );
    if let Err(err) = result {
        panic!("{err}");
    }
}

#[test]
fn two_thousand_random_programs_verify() {
    run(2_000);
}

#[test]
#[ignore = "100,000 cases take minutes; run before a release, record in docs/verify.md"]
fn a_hundred_thousand_random_programs_verify() {
    run(100_000);
}

/// Shrunk failures of earlier runs: each must now verify. A first line
/// `// enforcement: off` (or `on`) gives the `--enforcement` override.
#[test]
fn kept_failures_verify() {
    let dir = PathBuf::from("tests/verify/differential");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|x| x != "netp") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let enforcement = match text.lines().next() {
            Some("// enforcement: off") => netpc::ir::EnforcementOverride::both(false),
            Some("// enforcement: on") => netpc::ir::EnforcementOverride::both(true),
            _ => netpc::ir::EnforcementOverride::default(),
        };
        if let Err(err) = verify_text(&text, None, enforcement) {
            panic!("{}: {err}", path.display());
        }
        count += 1;
    }
    assert!(count > 0);
}

/// The generator's floor: the empty choice sequence (where shrinking ends) is the
/// simplest program.
#[test]
fn the_simplest_program() {
    let generated = generator::program(&mut generator::Choices::new(&[]));
    insta::assert_snapshot!(generated.text);
}
