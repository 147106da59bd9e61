//! netpc in CI, with the real binary: `--message-format github` (workflow
//! commands) and `sarif` (validated against the official SARIF 2.1.0 schema shipped in
//! tests/schemas/), every JSON output validated against its schema in docs/schemas/,
//! `-q/--quiet`, `analyze -o FILE`, completions, man pages, `--version`, and the help of
//! every subcommand (snapshotted, ending with examples).

use std::path::Path;
use std::process::{Command, Output};

use insta_cmd::assert_cmd_snapshot;
use serde_json::Value;

const ERRORS: &str = "tests/ui/check/many-independent-errors.netp";
const WARNING: &str = "tests/ui/check/W001-no-dns.netp";
const SUBCOMMANDS: &[&str] = &[
    "check",
    "build",
    "explain",
    "analyze",
    "verify",
    "diff",
    "graph",
    "cni",
    "import",
    "completions",
    "man",
];

fn netpc() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_netpc"));
    command.env_remove("NETPC_TIMINGS").env("NO_COLOR", "1");
    command
}

fn run(args: &[&str]) -> Output {
    netpc().args(args).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

fn json_file(path: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Every error of `instance` against the schema in `path`, as text.
fn schema_errors(path: &str, instance: &Value) -> Vec<String> {
    let validator = jsonschema::validator_for(&json_file(path)).unwrap();
    validator
        .iter_errors(instance)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

fn assert_valid(path: &str, instance: &Value) {
    let errors = schema_errors(path, instance);
    assert!(
        errors.is_empty(),
        "{path}:\n{}\n{instance:#}",
        errors.join("\n")
    );
}

// --- github --------------------------------------------------------------------------

#[test]
fn github_format_is_one_workflow_command_per_diagnostic() {
    assert_cmd_snapshot!(netpc().args(["check", "--message-format", "github", ERRORS]));
}

#[test]
fn github_format_says_warning_for_warnings_and_exits_0() {
    let output = run(&["check", "--message-format", "github", WARNING]);
    assert_eq!(output.status.code(), Some(0));
    let stderr = text(&output.stderr);
    assert!(
        stderr.starts_with(
            "::warning file=tests/ui/check/W001-no-dns.netp,line=1,col=11,endLine=1,endColumn=15,title=W001::"
        ),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

// --- sarif ---------------------------------------------------------------------------

fn sarif(args: &[&str]) -> (Output, Value) {
    let output = run(args);
    let log: Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", text(&output.stdout)));
    assert_valid("tests/schemas/sarif-schema-2.1.0.json", &log);
    (output, log)
}

#[test]
fn sarif_log_of_errors_is_valid_and_has_rules_results_and_regions() {
    let (output, log) = sarif(&["check", "--message-format", "sarif", ERRORS]);
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stderr.is_empty(), "{}", text(&output.stderr));
    assert_eq!(log["version"], "2.1.0");
    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["E203", "E205", "E300"]);
    let e300 = &rules[2];
    let page = std::fs::read_to_string("docs/codes/E300.md").unwrap();
    let heading = page.lines().next().unwrap();
    assert_eq!(heading, "# E300: port number out of range");
    assert_eq!(e300["shortDescription"]["text"], "port number out of range");
    let first = page.split("\n\n").nth(1).unwrap().replace('\n', " ");
    assert_eq!(e300["fullDescription"]["text"], first.as_str());
    assert_eq!(e300["help"]["markdown"], page.as_str());
    assert!(
        e300["helpUri"]
            .as_str()
            .unwrap()
            .ends_with("/blob/main/docs/codes/E300.md")
    );
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    let first = &results[0];
    assert_eq!(first["ruleId"], "E300");
    assert_eq!(first["ruleIndex"], 2);
    assert_eq!(first["level"], "error");
    let location = &first["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], ERRORS);
    assert_eq!(location["artifactLocation"]["uriBaseId"], "%SRCROOT%");
    assert_eq!(location["region"]["startLine"], 4);
    assert_eq!(location["region"]["startColumn"], 22);
    // E205 points at the service declaration as a related location.
    let related = &results[2]["relatedLocations"][0];
    assert_eq!(related["message"]["text"], "service declared here");
    assert_eq!(related["physicalLocation"]["region"]["startLine"], 3);
}

#[test]
fn sarif_log_is_written_without_results_for_a_clean_program() {
    let (output, log) = sarif(&["check", "--message-format", "sarif", "examples/platform"]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(log["runs"][0]["results"], serde_json::json!([]));
    let (output, log) = sarif(&["build", "--message-format", "sarif", WARNING, "--check"]);
    // `--check` against a missing `out/` fails, but the log is whole.
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(log["runs"][0]["results"][0]["level"], "warning");
}

#[test]
fn verify_with_sarif_keeps_stdout_for_the_log_and_reports_on_stderr() {
    let (output, log) = sarif(&["verify", "--message-format", "sarif", "examples/platform"]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(log["runs"][0]["results"], serde_json::json!([]));
    assert!(text(&output.stderr).starts_with("verify: "), "{output:?}");
}

#[test]
fn sarif_refuses_to_share_stdout() {
    let output = run(&["build", "--stdout", "--message-format", "sarif", WARNING]);
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    let output = run(&[
        "explain",
        "--message-format",
        "sarif",
        "grid/plotter",
        "grid/api",
        "examples/platform",
    ]);
    assert_eq!(output.status.code(), Some(2));
}

// --- quiet ---------------------------------------------------------------------------

#[test]
fn quiet_prints_errors_only() {
    let output = run(&["check", "-q", WARNING]);
    assert_eq!(output.status.code(), Some(0));
    assert!(output.stderr.is_empty(), "{}", text(&output.stderr));
    let loud = text(&run(&["check", ERRORS]).stderr);
    let quiet = text(&run(&["check", "--quiet", ERRORS]).stderr);
    assert!(loud.ends_with("3 errors\n"), "{loud}");
    assert_eq!(quiet, loud.trim_end_matches("3 errors\n"));
    let json = text(&run(&["check", "-q", "--message-format", "json", WARNING]).stderr);
    assert_eq!(json, "");
}

#[test]
fn every_command_takes_color_and_quiet() {
    for sub in SUBCOMMANDS {
        let help = text(&run(&[sub, "--help"]).stdout);
        assert!(help.contains("--color <COLOR>"), "{sub}: {help}");
        assert!(help.contains("-q, --quiet"), "{sub}: {help}");
    }
}

// --- JSON schemas of every JSON output -------------------------------------------------

#[test]
fn every_schema_in_docs_is_a_valid_schema() {
    let mut count = 0;
    for entry in std::fs::read_dir("docs/schemas").unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let schema = json_file(path.to_str().unwrap());
            jsonschema::meta::validate(&schema)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            count += 1;
        }
    }
    assert!(count >= 5, "{count}");
}

#[test]
fn diagnostics_json_lines_follow_their_schema() {
    for file in [ERRORS, WARNING, "tests/ui/check/E205-undeclared-port.netp"] {
        let output = run(&["check", "--message-format", "json", file]);
        let stderr = text(&output.stderr);
        assert!(!stderr.is_empty());
        for line in stderr.lines() {
            let value: Value = serde_json::from_str(line).unwrap();
            assert_valid("docs/schemas/diagnostic.schema.json", &value);
        }
    }
}

#[test]
fn verify_json_follows_its_schema_matching_or_not() {
    let dir = "tests/verify/cli";
    for args in [
        &["app.netp", "--format", "json"][..],
        &["app.netp", "--against", "edited", "--format", "json"],
        &["overgrant.netp", "--format", "json"],
    ] {
        let output = netpc()
            .current_dir(dir)
            .arg("verify")
            .args(args)
            .output()
            .unwrap();
        let value: Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_valid("docs/schemas/verify.schema.json", &value);
    }
}

#[test]
fn import_json_follows_its_schema() {
    let dir = tempfile::tempdir().unwrap();
    for input in ["tests/insight/diff/hand-written", "tests/import/partial"] {
        let out = dir.path().join(input.replace('/', "-"));
        let output = netpc()
            .args(["import", input, "--format", "json", "-o"])
            .arg(&out)
            .output()
            .unwrap();
        let value: Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_valid("docs/schemas/import.schema.json", &value);
    }
}

#[test]
fn diff_json_follows_its_schema() {
    let output = run(&[
        "diff",
        "--format",
        "json",
        "tests/insight/diff/old",
        "tests/insight/diff/new",
    ]);
    let value: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(!value["objects"].as_array().unwrap().is_empty());
    assert_valid("docs/schemas/diff.schema.json", &value);
}

#[test]
fn analyze_json_follows_its_schema_on_stdout_and_in_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("conns.json");
    let output = run(&[
        "analyze",
        "tests/analyze/cli/shop",
        "--format",
        "json",
        "-o",
        file.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(output.stdout.is_empty());
    let written: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let output = run(&["analyze", "tests/analyze/cli/shop", "--format", "json"]);
    let printed: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(written, printed);
    assert!(!printed.as_array().unwrap().is_empty());
    assert_valid("docs/schemas/analyze.schema.json", &printed);
}

#[test]
fn analyze_o_with_a_format_name_is_refused_with_the_new_spelling() {
    let output = run(&["analyze", "tests/analyze/cli/shop", "-o", "json"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(!Path::new("json").exists());
    assert!(text(&output.stderr).contains("--format json"));
}

#[test]
fn explain_connection_json_follows_its_schema() {
    for (src, dst) in [
        ("grid/plotter", "grid/api:443"),
        ("grid/plotter", "grid/btrdb"),
        ("monitoring/prometheus", "grid/api"),
    ] {
        let output = run(&["explain", src, dst, "examples/platform", "--format", "json"]);
        assert_eq!(output.status.code(), Some(0), "{output:?}");
        let value: Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(value["src"], src);
        assert_valid("docs/schemas/explain-connection.schema.json", &value);
    }
    let output = run(&[
        "explain",
        "grid/plotter",
        "grid/api:443",
        "examples/platform",
        "--format",
        "json",
    ]);
    let value: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(value["allowed"], true);
    assert_eq!(value["ports"][0]["port"], 443);
    assert_eq!(value["ports"][0]["lines"][0]["labels"][0]["primary"], true);
}

// --- completions, man, version, help ---------------------------------------------------

#[test]
fn bash_completions_parse_and_name_every_subcommand() {
    let output = run(&["completions", "bash"]);
    assert_eq!(output.status.code(), Some(0));
    let script = text(&output.stdout);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("netpc.bash");
    std::fs::write(&file, &script).unwrap();
    let check = Command::new("bash").arg("-n").arg(&file).output().unwrap();
    assert!(check.status.success(), "{}", text(&check.stderr));
    for sub in SUBCOMMANDS {
        assert!(script.contains(&format!("netpc__subcmd__{sub}")), "{sub}");
    }
    for shell in ["zsh", "fish", "powershell", "elvish"] {
        let output = run(&["completions", shell]);
        assert_eq!(output.status.code(), Some(0), "{shell}");
        assert!(text(&output.stdout).contains("verify"), "{shell}");
    }
}

#[test]
fn man_prints_one_page_or_writes_one_per_subcommand() {
    let page = text(&run(&["man"]).stdout);
    assert!(page.contains(".TH netpc 1"), "{page}");
    let dir = tempfile::tempdir().unwrap();
    let output = run(&["man", "-o", dir.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    for sub in SUBCOMMANDS {
        let page = std::fs::read_to_string(dir.path().join(format!("netpc-{sub}.1"))).unwrap();
        assert!(page.contains(&format!(".TH netpc-{sub} 1")), "{sub}");
    }
    assert!(dir.path().join("netpc.1").is_file());
}

#[test]
fn version_names_the_commit_and_the_kubernetes_api() {
    let version = text(&run(&["--version"]).stdout);
    let package = env!("CARGO_PKG_VERSION");
    assert!(
        version.starts_with(&format!("netpc {package} (")),
        "{version}"
    );
    assert!(version.ends_with("Kubernetes API 1.37)\n"), "{version}");
    let head = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .output();
    if let Ok(head) = head
        && head.status.success()
    {
        let commit = text(&head.stdout).trim().to_owned();
        assert!(
            version.contains(&format!("(commit {commit}, ")),
            "{version}"
        );
    }
}

#[test]
fn every_subcommand_help_ends_with_examples() {
    for sub in SUBCOMMANDS {
        let output = run(&[sub, "--help"]);
        let help = text(&output.stdout);
        let examples = help
            .rsplit_once("\nExamples:\n")
            .map(|(_, e)| e)
            .unwrap_or("");
        let lines: Vec<&str> = examples
            .lines()
            .filter(|l| l.starts_with("  netpc "))
            .collect();
        assert!((2..=3).contains(&lines.len()), "{sub}: {help}");
        let name = format!("help_{sub}");
        insta::assert_snapshot!(name, help);
    }
}

#[test]
fn the_schemas_reject_what_they_do_not_describe() {
    // Not vacuous: a wrong version, a result without a message, an unknown field.
    let (_, mut log) = sarif(&["check", "--message-format", "sarif", ERRORS]);
    log["runs"][0]["results"][0]
        .as_object_mut()
        .unwrap()
        .remove("message");
    assert!(!schema_errors("tests/schemas/sarif-schema-2.1.0.json", &log).is_empty());
    log["version"] = "2.0.0".into();
    assert!(!schema_errors("tests/schemas/sarif-schema-2.1.0.json", &log).is_empty());
    let line = text(&run(&["check", "--message-format", "json", WARNING]).stderr);
    let mut diagnostic: Value = serde_json::from_str(line.lines().next().unwrap()).unwrap();
    diagnostic["extra"] = true.into();
    assert!(!schema_errors("docs/schemas/diagnostic.schema.json", &diagnostic).is_empty());
    diagnostic.as_object_mut().unwrap().remove("extra");
    diagnostic["severity"] = "fatal".into();
    assert!(!schema_errors("docs/schemas/diagnostic.schema.json", &diagnostic).is_empty());
}
