//! The whole build on valid programs: an input that is a program that checks (the seeds
//! are the examples and the standard library) is built as it is; any other input is
//! decoded as choices of the differential test's generator, which makes a valid
//! program. Each is compiled and emitted twice (the same files, byte for byte: the
//! build is deterministic), every emitted YAML file must parse back, and the output
//! folder reader must read the emitted files into as many policies as were planned.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netpc::compile::{Input, Options};
use netpc::diagnostic::Diagnostics;
use netpc::emit::File;
use netpc::source::{Origin, Sources};
use netpc_fuzz::generator::{Choices, program};
use netpc_fuzz::{Budget, Counting, MemLoader, bounded};

#[global_allocator]
static ALLOC: Counting = Counting;

/// 2 s and 256 MiB for any program, plus 100 ms and 16 MiB per KiB of it.
const BUDGET: Budget = Budget {
    base_ms: 2000,
    per_kib_ms: 100,
    base_mib: 256,
    per_kib_mib: 16,
};

/// The emitted files and the number of policies planned (in kustomizations, not
/// failsafe), or `None` when the program does not check.
fn build(text: &str, loader: &MemLoader, options: Options) -> Option<(Vec<File>, usize)> {
    let mut sources = Sources::new();
    let root = sources.add(Origin::File("gen.netp".into()), text.to_owned());
    let input = Input {
        sources,
        roots: vec![root],
        diagnostics: Diagnostics::new(),
        loader,
    };
    let compiled = netpc::compile(input, options);
    let plan = compiled.plan?;
    let files = netpc::emit::files(&plan).expect("a checked program always emits");
    let planned = plan
        .namespaces
        .iter()
        .map(|ns| ns.ingress.len() + ns.egress.len())
        .sum();
    Some((files, planned))
}

fn check_files(text: &str, files: &[File], planned: usize) {
    for file in files {
        if file.path.ends_with(".yaml") {
            for document in serde_yaml::Deserializer::from_str(&file.text) {
                let parsed = <serde_yaml::Value as serde::Deserialize>::deserialize(document);
                assert!(
                    parsed.is_ok(),
                    "{} does not parse back: {parsed:?}\n{text}",
                    file.path
                );
            }
        }
    }
    let folder = netpc::output::read(files.iter().map(|f| (f.path.as_str(), f.text.as_str())))
        .unwrap_or_else(|e| panic!("the emitted folder does not read back: {e}\n{text}"));
    assert_eq!(folder.policies.len(), planned, "{text}");
}

fuzz_target!(|data: &[u8]| {
    let mut loader = MemLoader::default();
    let mut options = Options::default();
    let direct = std::str::from_utf8(data)
        .ok()
        .filter(|text| build(text, &loader, options).is_some());
    let text = match direct {
        Some(text) => text.to_owned(),
        None => {
            let choices: Vec<u32> = data
                .chunks(4)
                .map(|c| c.iter().fold(0u32, |n, &b| n << 8 | u32::from(b)))
                .collect();
            let generated = program(&mut Choices::new(&choices));
            if let Some(module) = generated.module {
                loader.files.insert("lib.netp".to_owned(), module);
            }
            options.lower.enforcement = generated.enforcement;
            generated.text
        }
    };
    bounded(text.len(), BUDGET, || {
        let first = build(&text, &loader, options);
        let second = build(&text, &loader, options);
        let Some((first, planned)) = first else {
            assert!(
                direct.is_none(),
                "a program that checked once does not check again"
            );
            panic!("a generated program does not build:\n{text}");
        };
        let (second, _) = second.expect("the second build of the same program failed");
        assert!(
            first
                .iter()
                .map(|f| (&f.path, &f.text))
                .eq(second.iter().map(|f| (&f.path, &f.text))),
            "two builds of the same program differ:\n{text}"
        );
        check_files(&text, &first, planned);
    });
});
