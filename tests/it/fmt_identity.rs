//! Issue 16: `netpc fmt` keeps meaning and is a fixed point. For every example, every
//! standard-library module, every UI fixture that parses, and random programs from
//! `generator` with comments and blank lines injected at random places: the formatted
//! text formats to itself, keeps every comment in order, and compiles to the
//! byte-identical `build --stdout` stream (or, for a fixture with errors, the same
//! diagnostics, codes and messages).

use std::path::{Path, PathBuf};

use netpc::source::{FileId, FileKey, LoadFailure, Loader, Origin, Sources};
use netpc::syntax::trivia;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use crate::common::{self, DiskLoader};
use crate::generator;

/// `format`, checked to be idempotent and to keep every comment.
fn format_checked(text: &str, what: &str) -> Result<String, String> {
    let formatted = netpc::fmt::format(FileId(0), text).map_err(|e| format!("{e:?}"))?;
    let again = netpc::fmt::format(FileId(0), &formatted).unwrap();
    assert_eq!(again, formatted, "{what}: not a fixed point\n{text}");
    assert_eq!(
        trivia::comments(&formatted),
        trivia::comments(text),
        "{what}: comments changed"
    );
    Ok(formatted)
}

/// What `build --stdout` prints for a program, or its diagnostics without positions.
fn build(sources: Sources, roots: Vec<FileId>, loader: &dyn Loader) -> String {
    let input = netpc::compile::Input {
        sources,
        roots,
        diagnostics: netpc::diagnostic::Diagnostics::new(),
        loader,
    };
    let compiled = netpc::compile(input, netpc::compile::Options::default());
    let mut lines: Vec<String> = compiled
        .diagnostics
        .iter()
        .map(|d| format!("{} {}", d.code.as_str(), d.message))
        .collect();
    lines.sort();
    let mut out = lines.join("\n").into_bytes();
    if let Some(plan) = &compiled.plan {
        netpc::emit::stream(plan, &mut out).unwrap();
    }
    String::from_utf8(out).unwrap()
}

/// Reads files from disk and formats them (as if `netpc fmt` had run on them).
struct FormattingLoader;

impl Loader for FormattingLoader {
    fn locate(&self, from: &FileKey, path: &str) -> Result<FileKey, LoadFailure> {
        DiskLoader.locate(from, path)
    }
    fn read(&self, key: &FileKey) -> Result<String, LoadFailure> {
        let text = DiskLoader.read(key)?;
        Ok(netpc::fmt::format(FileId(0), &text).unwrap_or(text))
    }
}

/// Build the program in `paths` as it is and formatted; panics if the outputs differ.
/// Returns how many of its root files were formatted (the others have syntax errors).
fn same_build(paths: &[PathBuf]) -> usize {
    let (sources, roots, _) = common::load_program(paths);
    let mut formatted_sources = Sources::new();
    let mut formatted_roots = Vec::new();
    let mut formatted = 0;
    for &root in &roots {
        let file = sources.get(root);
        let what = file.name.clone();
        let text = match format_checked(&file.text, &what) {
            Ok(text) => {
                formatted += 1;
                text
            }
            Err(_) => file.text.clone(),
        };
        let key = file.key.clone().unwrap();
        formatted_roots.push(formatted_sources.add_keyed(file.origin.clone(), text, key));
    }
    if formatted == 0 {
        return 0;
    }
    let before = build(sources, roots, &DiskLoader);
    let after = build(formatted_sources, formatted_roots, &FormattingLoader);
    assert_eq!(before, after, "{paths:?}: formatting changed the build");
    formatted
}

fn netp_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.path().extension().is_some_and(|x| x == "netp"))
        .map(|e| e.into_path())
        .collect();
    files.sort();
    files
}

#[test]
fn every_example_builds_identically_after_formatting() {
    let mut formatted = 0;
    for entry in std::fs::read_dir("examples").unwrap() {
        let dir = entry.unwrap().path();
        if dir.is_dir() {
            formatted += same_build(&[dir]);
        }
    }
    assert_eq!(formatted, netp_files(Path::new("examples")).len());
}

#[test]
fn every_stdlib_module_builds_identically_after_formatting() {
    let modules = netp_files(Path::new("stdlib"));
    assert!(modules.len() >= 5);
    for module in modules {
        let text = std::fs::read_to_string(&module).unwrap();
        let formatted = format_checked(&text, &module.display().to_string()).unwrap();
        // `std/kube-apiserver` needs the address of the API server from the program.
        let program = "external kube-apiserver = 10.0.0.1/32;\nnamespace app {\n  use \"m.netp\";\n  service s { port 80; }\n}\n";
        let builds: Vec<String> = [text, formatted]
            .into_iter()
            .map(|module_text| {
                let mut sources = Sources::new();
                let root = sources.add(Origin::File("app.netp".into()), program.to_owned());
                build(sources, vec![root], &OneModule(module_text))
            })
            .collect();
        assert!(
            !builds[0].contains("E2"),
            "{}: {}",
            module.display(),
            builds[0]
        );
        assert_eq!(builds[0], builds[1], "{}", module.display());
    }
}

/// Serves `text` as `m.netp`.
struct OneModule(String);

impl Loader for OneModule {
    fn locate(&self, _: &FileKey, path: &str) -> Result<FileKey, LoadFailure> {
        Ok(FileKey::new(path))
    }
    fn read(&self, _: &FileKey) -> Result<String, LoadFailure> {
        Ok(self.0.clone())
    }
}

/// Every UI fixture that parses (the syntax fixtures do not, on purpose) formats to a
/// fixed point and gives the same diagnostics or build afterwards.
#[test]
fn every_ui_fixture_that_parses_keeps_its_meaning() {
    let files = netp_files(Path::new("tests/ui"));
    let mut formatted = 0;
    for file in &files {
        formatted += same_build(std::slice::from_ref(file));
    }
    let syntax = netp_files(Path::new("tests/ui/syntax")).len();
    assert!(
        formatted >= files.len() - syntax - 2,
        "{formatted} of {}",
        files.len()
    );
}

/// Insert comments and blank lines at random places where trivia may go: at the end
/// of a line, on a line of its own, after a comma or an opening brace.
fn inject(text: &str, choices: &[u32]) -> String {
    let mut out = String::new();
    let mut choice = choices.iter().cycle();
    let mut n = 0;
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let spot = c == '\n' || (i > 0 && matches!(chars[i - 1], ',' | '{') && c == ' ');
        let pick = if spot {
            choice.next().copied().unwrap_or(0) % 8
        } else {
            7
        };
        n += 1;
        match pick {
            0 if c == '\n' => out.push_str(&format!(" // end {n}\n")),
            1 => out.push_str(&format!("\n# own line {n}\n")),
            2 if c == '\n' => out.push_str("\n\n\n"),
            3 => out.push_str(&format!(" // after {n}\n")),
            _ => {}
        }
        if !(pick == 2 && c == '\n') {
            out.push(c);
        }
    }
    out
}

fn random_program(generated: &generator::Generated, choices: &[u32]) -> Result<(), String> {
    let text = inject(&generated.text, choices);
    let module = generated
        .module
        .as_ref()
        .map(|m| inject(m, &choices[choices.len() / 2..]));
    let formatted = format_checked(&text, "random program")?;
    let formatted_module = match &module {
        Some(m) => Some(format_checked(m, "random module")?),
        None => None,
    };
    let build_of = |root: &str, module: Option<&String>| {
        let mut sources = Sources::new();
        let id = sources.add(Origin::File("gen.netp".into()), root.to_owned());
        build(
            sources,
            vec![id],
            &OneModule(module.cloned().unwrap_or_default()),
        )
    };
    let before = build_of(&generated.text, generated.module.as_ref());
    let commented = build_of(&text, module.as_ref());
    let after = build_of(&formatted, formatted_module.as_ref());
    if before != commented || before != after || before.starts_with('E') {
        return Err(format!(
            "build changed:\n{text}\n----- formatted\n{formatted}"
        ));
    }
    Ok(())
}

#[test]
fn random_programs_with_comments_build_identically_after_formatting() {
    let config = Config {
        cases: 300,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let result = runner.run(
        &(
            proptest::collection::vec(any::<u32>(), 0..160),
            proptest::collection::vec(any::<u32>(), 1..64),
        ),
        |(choices, comments)| {
            let generated = generator::program(&mut generator::Choices::new(&choices));
            random_program(&generated, &comments).map_err(TestCaseError::fail)
        },
    );
    if let Err(err) = result {
        panic!("{err}");
    }
}

/// The injection really puts comments and blank lines in each kind of place.
#[test]
fn injection_reaches_every_kind_of_place() {
    let text = "service s { port 80, 443; }\na needs s:80;\nb needs s:443;\n";
    let injected = inject(text, &[3, 3, 0, 1, 2]);
    assert_eq!(
        injected,
        "service s { // after 12\n port 80, // after 21\n 443; } // end 28\n\na needs s:80;\n# own line 42\n\nb needs s:443;\n\n\n",
    );
    assert!(netpc::fmt::format(FileId(0), &injected).is_ok());
}
