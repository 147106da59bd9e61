//! Tidy checks on the source tree (as rust-analyzer's `tidy` test): every module says
//! what it owns in a `//!` paragraph at its top, no file grows past one room (600
//! lines), no stub (`todo!()`, `unimplemented!()`) is left behind, and the trees that
//! check the compiler (`analyze`, `verify`'s expectation, `insight`) do not use it,
//! `lower` does not use `emit`, and no function is longer than 80 lines.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_module_is_documented_small_and_complete() {
    let mut files = Vec::new();
    rust_files(Path::new("src"), &mut files);
    assert!(files.len() > 30);
    let mut problems = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        if !text.lines().take(5).any(|l| l.starts_with("//!")) {
            problems.push(format!("{}: no `//!` paragraph at the top", file.display()));
        }
        let lines = text.lines().count();
        if lines > 600 {
            problems.push(format!(
                "{}: {lines} lines (split it: more than one room)",
                file.display()
            ));
        }
        for stub in ["todo!(", "unimplemented!("] {
            if text.contains(stub) {
                problems.push(format!("{}: contains `{stub})`", file.display()));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Module trees that must not depend on parts of the compiler: the evaluator is the
/// check on the compiler, and the expected side of `verify` and the pure parts of
/// `insight` must not repeat what lowering does. (tree, files exempt, forbidden modules)
const INDEPENDENCE: &[(&str, &[&str], &[&str])] = &[
    (
        "src/analyze",
        &[],
        &["lower", "ir", "emit", "resolve", "syntax", "ast"],
    ),
    ("src/verify", &["mod.rs"], &["lower", "emit"]),
    ("src/insight", &[], &["lower", "emit"]),
    // Lowering decides what is allowed; how it is written (YAML, quoting) is emit's.
    ("src/lower", &[], &["emit"]),
];

#[test]
fn independent_trees_do_not_use_the_compiler() {
    let mut problems = Vec::new();
    for (tree, exempt, forbidden) in INDEPENDENCE {
        let mut files = Vec::new();
        rust_files(Path::new(tree), &mut files);
        assert!(files.len() >= 5, "{tree}: {files:?}");
        for file in files {
            if exempt.iter().any(|e| file.ends_with(e)) {
                continue;
            }
            let text = std::fs::read_to_string(&file).unwrap();
            for stage in *forbidden {
                let forms = [
                    format!("crate::{stage}"),
                    format!("super::{stage}::"),
                    format!("netpc::{stage}"),
                ];
                for form in &forms {
                    if text
                        .lines()
                        .any(|l| !l.trim_start().starts_with("//") && l.contains(form.as_str()))
                    {
                        problems.push(format!("{} uses `{form}`", file.display()));
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The library is pure: only the binary (`src/main.rs` and `src/cli/`) touches the file
/// system, the process environment or the terminal.
#[test]
fn the_library_does_no_io() {
    let mut files = Vec::new();
    rust_files(Path::new("src"), &mut files);
    let mut problems = Vec::new();
    for file in files {
        if file.starts_with("src/cli") || file.ends_with("main.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for form in [
            "std::fs",
            "std::env",
            "std::process",
            "File::open",
            "stdin()",
            "stdout()",
            "stderr()",
        ] {
            if text.contains(form) {
                problems.push(format!("{}: uses `{form}`", file.display()));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let lib = std::fs::read_to_string("src/lib.rs").unwrap();
    assert!(
        !lib.contains("mod cli"),
        "src/lib.rs must not declare the cli"
    );
}

/// Functions allowed over [`MAX_FN_LINES`], each with the reason; the list only
/// shrinks (a listed function that gets short fails the test). (file, function)
const LONG_FUNCTIONS: &[(&str, &str)] = &[
    // One exhaustive `match` over every grammar rule: a table of words, read a row at
    // a time; splitting it would only hide rules from the exhaustiveness check.
    ("src/syntax/rule_words.rs", "rule_words"),
];

/// A function a reader can hold: from its `fn` line to its closing brace.
const MAX_FN_LINES: usize = 80;

/// `text` with comments, string literals and character literals blanked out (each
/// byte replaced by a space, newlines kept), so braces can be counted.
fn code_only(text: &str) -> Vec<u8> {
    let b = text.as_bytes();
    let mut out = b.to_vec();
    let blank = |out: &mut Vec<u8>, from: usize, to: usize| {
        for c in &mut out[from..to] {
            if *c != b'\n' {
                *c = b' ';
            }
        }
    };
    let mut i = 0;
    while i < b.len() {
        let start = i;
        if b[i..].starts_with(b"//") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
            blank(&mut out, start, i);
        } else if b[i..].starts_with(b"/*") {
            let mut depth = 0;
            while i < b.len() {
                if b[i..].starts_with(b"/*") {
                    depth += 1;
                    i += 2;
                } else if b[i..].starts_with(b"*/") {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            blank(&mut out, start, i);
        } else if (b[i] == b'r' || (b[i] == b'b' && b.get(i + 1) == Some(&b'r')))
            && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_'))
            && {
                let j = i + if b[i] == b'b' { 2 } else { 1 };
                let hashes = b[j..].iter().take_while(|c| **c == b'#').count();
                b.get(j + hashes) == Some(&b'"')
            }
        {
            let j = i + if b[i] == b'b' { 2 } else { 1 };
            let hashes = b[j..].iter().take_while(|c| **c == b'#').count();
            let mut end = Vec::from(&b"\""[..]);
            end.extend(std::iter::repeat_n(b'#', hashes));
            i = j + hashes + 1;
            while i < b.len() && !b[i..].starts_with(&end) {
                i += 1;
            }
            i = (i + end.len()).min(b.len());
            blank(&mut out, start, i);
        } else if b[i] == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i = (i + 1).min(b.len());
            blank(&mut out, start, i);
        } else if b[i] == b'\'' {
            // A character literal ('x', '\n', '\u{7f}'), not a lifetime ('a).
            let end = if b.get(i + 1) == Some(&b'\\') {
                b[i + 2..]
                    .iter()
                    .position(|c| *c == b'\'')
                    .map(|p| i + 3 + p)
            } else {
                let len = text[i + 1..].chars().next().map_or(1, char::len_utf8);
                (b.get(i + 1 + len) == Some(&b'\'')).then_some(i + 2 + len)
            };
            i = end.unwrap_or(i + 1);
            blank(&mut out, start, i);
        } else {
            i += 1;
        }
    }
    out
}

/// Every function with a body in `text`: (name, lines from `fn` to its closing brace).
fn function_lengths(text: &str) -> Vec<(String, usize)> {
    let code = code_only(text);
    let is_ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let line_of = |pos: usize| code[..pos].iter().filter(|c| **c == b'\n').count();
    let mut out = Vec::new();
    let mut i = 0;
    while i + 3 < code.len() {
        let keyword = code[i..].starts_with(b"fn ") && (i == 0 || !is_ident(code[i - 1]));
        if !keyword {
            i += 1;
            continue;
        }
        let name_start = i + 3;
        let name_end = name_start
            + code[name_start..]
                .iter()
                .take_while(|c| is_ident(**c))
                .count();
        let name = String::from_utf8_lossy(&code[name_start..name_end]).into_owned();
        // The body opens at the first `{` outside parentheses, brackets and angle
        // brackets of the signature; a `;` first means a declaration without a body.
        let mut j = name_end;
        let mut nesting = 0i32;
        let mut open = None;
        while j < code.len() {
            match code[j] {
                b'(' | b'[' => nesting += 1,
                b')' | b']' => nesting -= 1,
                b'{' if nesting == 0 => {
                    open = Some(j);
                    break;
                }
                b';' if nesting == 0 => break,
                _ => {}
            }
            j += 1;
        }
        let Some(open) = open else {
            i = name_end;
            continue;
        };
        let mut depth = 0;
        let mut close = open;
        for (k, c) in code.iter().enumerate().skip(open) {
            match c {
                b'{' => depth += 1,
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        close = k;
                        break;
                    }
                }
                _ => {}
            }
        }
        out.push((name, line_of(close) - line_of(i) + 1));
        // Continue inside the body: nested functions are measured too.
        i = open + 1;
    }
    out
}

#[test]
fn the_function_scanner_counts_from_fn_to_its_brace() {
    let text = "fn a() {\n    let s = \"}\";\n    let c = '}';\n    // }\n}\n\
                trait T { fn b(&self); }\n\
                fn c<'a>(x: &'a str) -> [u8; 2] where 'a: 'a {\n    /* { */\n    [0; 2]\n}\n\
                fn d() { let r = r#\"}\"#; }\n";
    assert_eq!(
        function_lengths(text),
        [
            ("a".to_owned(), 5),
            ("c".to_owned(), 4),
            ("d".to_owned(), 1)
        ]
    );
}

#[test]
fn no_function_is_longer_than_a_reader_can_hold() {
    let mut files = Vec::new();
    rust_files(Path::new("src"), &mut files);
    let mut problems = Vec::new();
    let mut allowed_seen = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let shown = file.display().to_string().replace('\\', "/");
        for (name, lines) in function_lengths(&text) {
            if lines <= MAX_FN_LINES {
                continue;
            }
            if LONG_FUNCTIONS.contains(&(shown.as_str(), name.as_str())) {
                allowed_seen.push((shown.clone(), name));
                continue;
            }
            problems.push(format!(
                "{shown}: fn {name} is {lines} lines (at most {MAX_FN_LINES}: split it into named steps)"
            ));
        }
    }
    for (file, name) in LONG_FUNCTIONS {
        if !allowed_seen.iter().any(|(f, n)| f == file && n == name) {
            problems.push(format!(
                "{file}: fn {name} is no longer over {MAX_FN_LINES} lines: remove it from LONG_FUNCTIONS"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// No two source files share a name (a `mod.rs` aside): a file's name says its job,
/// so `explain.rs` is the `netpc explain` command and nothing else.
#[test]
fn source_file_names_are_unique() {
    let mut files = Vec::new();
    rust_files(Path::new("src"), &mut files);
    let mut seen: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for file in files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        if name != "mod.rs" {
            seen.entry(name)
                .or_default()
                .push(file.display().to_string());
        }
    }
    let twice: Vec<String> = seen
        .into_iter()
        .filter(|(_, paths)| paths.len() > 1)
        .map(|(name, paths)| format!("{name}: {}", paths.join(", ")))
        .collect();
    assert!(
        twice.is_empty(),
        "file names used twice:\n{}",
        twice.join("\n")
    );
}

/// Every `#[allow(...)]` and `#[expect(...)]` (in `src/` and `tests/`) gives its reason.
#[test]
fn every_lint_exception_says_why() {
    let mut files = Vec::new();
    rust_files(Path::new("src"), &mut files);
    rust_files(Path::new("tests"), &mut files);
    let mut problems = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        // Found in code only (not in strings or comments), read in the text.
        let code = String::from_utf8(code_only(&text)).unwrap();
        for (at, _) in code
            .match_indices("[allow(")
            .chain(code.match_indices("[expect("))
        {
            let attribute = &text[at..];
            let end = attribute.find(")]").unwrap_or(attribute.len());
            if !attribute[..end].contains("reason = \"") {
                let line = text[..at].lines().count();
                problems.push(format!("{}:{line}: no `reason = \"...\"`", file.display()));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
