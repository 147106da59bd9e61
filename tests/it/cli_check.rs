//! CLI tests of `netpc check` and `netpc explain`: the real binary, with stdout, stderr
//! and the exit status snapshotted together; and hostile inputs that must never crash
//! or hang netpc.

use std::path::Path;
use std::process::{Command, Output};

use insta_cmd::assert_cmd_snapshot;

fn netpc() -> Command {
    Command::new(env!("CARGO_BIN_EXE_netpc"))
}

/// Run netpc in `dir` with relative arguments, so no absolute path reaches the output.
fn run_in(dir: &Path, args: &[&str]) -> Output {
    netpc().current_dir(dir).args(args).output().unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn clean_program_exits_0_silently() {
    assert_cmd_snapshot!(netpc().args(["check", "examples/platform"]));
}

#[test]
fn errors_exit_1_with_summary() {
    assert_cmd_snapshot!(netpc().args([
        "check",
        "--color",
        "never",
        "tests/ui/check/many-independent-errors.netp"
    ]));
}

#[test]
fn warnings_alone_exit_0() {
    assert_cmd_snapshot!(netpc().args([
        "check",
        "--color",
        "never",
        "tests/ui/check/W001-no-dns.netp"
    ]));
}

#[test]
fn json_format_is_one_object_per_diagnostic() {
    let output = netpc()
        .args([
            "check",
            "--message-format",
            "json",
            "tests/ui/check/many-independent-errors.netp",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let text = stderr(&output);
    let objects: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(objects.len(), 3, "{text}");
    let first = &objects[0];
    assert_eq!(first["code"], "E300");
    assert_eq!(first["severity"], "error");
    assert_eq!(first["file"], "tests/ui/check/many-independent-errors.netp");
    assert_eq!(first["start"]["line"], 4);
    assert!(first["help"].is_string());
    assert_eq!(first["labels"][0]["primary"], true);
    insta::assert_snapshot!(text);
}

#[test]
fn color_always_colours_and_never_does_not() {
    let coloured = netpc()
        .args([
            "check",
            "--color",
            "always",
            "tests/ui/check/E202-duplicate-declaration.netp",
        ])
        .output()
        .unwrap();
    assert!(stderr(&coloured).contains("\u{1b}["));
    let plain = netpc()
        .args([
            "check",
            "--color",
            "never",
            "tests/ui/check/E202-duplicate-declaration.netp",
        ])
        .output()
        .unwrap();
    assert!(!stderr(&plain).contains("\u{1b}["));
}

#[test]
fn missing_path_exits_2() {
    assert_cmd_snapshot!(netpc().args(["check", "no/such/dir"]));
}

#[test]
fn folder_without_netp_files_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("empty")).unwrap();
    std::fs::write(dir.path().join("empty/readme.txt"), "not a program").unwrap();
    let output = run_in(dir.path(), &["check", "empty"]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output),
        "error: no `.netp` files found in `empty`\n"
    );
}

#[test]
fn unknown_flag_exits_2() {
    let output = netpc().args(["check", "--frobnicate"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn empty_file_is_a_valid_program() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("empty.netp"), "").unwrap();
    let output = run_in(dir.path(), &["check", "empty.netp"]);
    assert_eq!(
        (output.status.code(), stderr(&output)),
        (Some(0), String::new())
    );
}

fn assert_diagnosed(dir: &Path, file: &str, code: &str) -> String {
    let output = run_in(dir, &["check", "--color", "never", file]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(err.contains(&format!("[{code}")), "expected {code}:\n{err}");
    assert!(!err.contains("internal error"), "{err}");
    err
}

#[test]
fn binary_garbage_is_diagnosed() {
    let dir = tempfile::tempdir().unwrap();
    let garbage: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8 & 0x7f)
        .collect();
    std::fs::write(dir.path().join("garbage.netp"), garbage).unwrap();
    assert_diagnosed(dir.path(), "garbage.netp", "E1");
}

#[test]
fn non_utf8_is_e104_at_the_first_bad_byte() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("latin1.netp"),
        b"namespace caf\xe9 {\n  service api;\n}\n",
    )
    .unwrap();
    let err = assert_diagnosed(dir.path(), "latin1.netp", "E104");
    assert!(err.contains("latin1.netp:1:14"), "{err}");
}

#[test]
fn deep_nesting_is_e103_not_a_stack_overflow() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = "namespace a { ".repeat(5000);
    text.push_str(&"} ".repeat(5000));
    std::fs::write(dir.path().join("deep.netp"), &text).unwrap();
    assert_diagnosed(dir.path(), "deep.netp", "E103");
    let braces = format!("namespace a {{ service s {}", "{ ".repeat(5000));
    std::fs::write(dir.path().join("braces.netp"), braces).unwrap();
    assert_diagnosed(dir.path(), "braces.netp", "E10");
}

#[test]
fn unterminated_block_is_e101() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("open.netp"),
        "namespace grid {\n  service api;\n",
    )
    .unwrap();
    assert_diagnosed(dir.path(), "open.netp", "E101");
}

#[test]
fn a_hundred_thousand_items_check_clean() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("namespace big {\nuse std/dns;\n");
    for i in 0..50_000 {
        text.push_str(&format!("service s{i} {{ port {}; }}\n", 1 + i % 60_000));
    }
    for i in 0..50_000 {
        let j = (i + 1) % 50_000;
        text.push_str(&format!("s{i} needs s{j}:{};\n", 1 + j % 60_000));
    }
    text.push_str("}\n");
    std::fs::write(dir.path().join("big.netp"), text).unwrap();
    let output = run_in(dir.path(), &["check", "big.netp"]);
    assert_eq!(
        (output.status.code(), stderr(&output)),
        (Some(0), String::new())
    );
}

#[test]
fn explain_prints_the_long_text() {
    assert_cmd_snapshot!(netpc().args(["explain", "E204"]));
}

#[test]
fn explain_unknown_code_exits_2() {
    assert_cmd_snapshot!(netpc().args(["explain", "E2O4"]));
}
