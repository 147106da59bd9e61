//! The front end on near-valid programs: a valid program from the differential test's
//! generator (driven by `arbitrary` choices), then a few token-level edits (delete a
//! span, insert a keyword, punctuation, name or number, duplicate a line), so inputs
//! stay close to the grammar and reach resolve, check and lowering far more often than
//! raw bytes do. Checked; when it still checks, compiled and emitted too. Never panics.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use netpc::source::{Origin, Sources};
use netpc_fuzz::generator::{Choices, program};
use netpc_fuzz::{Budget, Counting, MemLoader, bounded};

#[global_allocator]
static ALLOC: Counting = Counting;

/// Generated programs are a few KiB: 1 s and 128 MiB each, whatever the choices.
const BUDGET: Budget = Budget {
    base_ms: 1000,
    per_kib_ms: 50,
    base_mib: 128,
    per_kib_mib: 8,
};

const TOKENS: &[&str] = &[
    "namespace",
    "external",
    "service",
    "group",
    "needs",
    "export",
    "select",
    "use",
    "to",
    "port",
    "except",
    "exempt",
    "guard",
    "labels",
    "identity",
    "selectors",
    "enforcement",
    "ingress",
    "egress",
    "label",
    "off",
    "on",
    "warn",
    "std/dns",
    "\"lib.netp\"",
    "{",
    "}",
    ";",
    ":",
    ",",
    "*",
    "/",
    "=",
    "-",
    "/udp",
    "/sctp",
    "0.0.0.0/0",
    "::/0",
    "10.0.0.0/8",
    "65535",
    "0",
    "70000",
    "a",
    "web",
    "db",
    "kube-system",
    "\n",
    " ",
    "//",
];

#[derive(Arbitrary, Debug)]
enum Edit {
    Delete { at: u16, len: u8 },
    Insert { at: u16, token: u8 },
    DuplicateLine { line: u8 },
}

#[derive(Arbitrary, Debug)]
struct Input {
    choices: Vec<u32>,
    edits: Vec<Edit>,
}

fn boundary(text: &str, at: u16) -> usize {
    let mut at = usize::from(at) % (text.len() + 1);
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn apply(text: &mut String, edit: &Edit) {
    match *edit {
        Edit::Delete { at, len } => {
            let start = boundary(text, at);
            let mut end = (start + usize::from(len) % 16).min(text.len());
            while !text.is_char_boundary(end) {
                end += 1;
            }
            text.replace_range(start..end, "");
        }
        Edit::Insert { at, token } => {
            let at = boundary(text, at);
            text.insert_str(at, TOKENS[usize::from(token) % TOKENS.len()]);
        }
        Edit::DuplicateLine { line } => {
            let lines: Vec<&str> = text.lines().collect();
            if let Some(line) = lines.get(usize::from(line) % lines.len().max(1)) {
                let copy = format!("{line}\n");
                text.push_str(&copy);
            }
        }
    }
}

fuzz_target!(|input: Input| {
    let generated = program(&mut Choices::new(&input.choices));
    let mut text = generated.text;
    for edit in input.edits.iter().take(8) {
        apply(&mut text, edit);
    }
    let mut loader = MemLoader::default();
    if let Some(module) = generated.module {
        loader.files.insert("lib.netp".to_owned(), module);
    }
    bounded(text.len(), BUDGET, || {
        let mut sources = Sources::new();
        let root = sources.add(Origin::File("gen.netp".into()), text.clone());
        let input = netpc::compile::Input {
            sources,
            roots: vec![root],
            diagnostics: netpc::diagnostic::Diagnostics::new(),
            loader: &loader,
        };
        let compiled = netpc::compile(input, netpc::compile::Options::default());
        let _ = netpc::render::human(&compiled.sources, &compiled.diagnostics, false);
        if let Some(plan) = &compiled.plan {
            let _ = netpc::emit::files(plan);
        }
    });
});
