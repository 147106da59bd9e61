//! `netpc import` (issue 14): manifests to a program, the fidelity proof and its exit
//! status, the output folder's rules, every conformance case of netpol-analyzer (no
//! crash, never broader, the measured exact floor), and netpc's own output of every
//! example round-tripping exactly.

use std::path::{Path, PathBuf};
use std::process::Command;

use insta_cmd::assert_cmd_snapshot;

const HAND: &str = "tests/insight/diff/hand-written";
const PARTIAL: &str = "tests/import/partial";
const CONFORMANCE: &str = "../shared/conformance/netpol-analyzer";

pub(crate) fn netpc() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_netpc"));
    command.env_remove("NETPC_TIMINGS").env("NO_COLOR", "1");
    command
}

/// A fresh output folder at a fixed relative path (so snapshots name it the same on
/// every machine), each in a parent folder of its own: an output's lock is on its parent, and two
/// imports waiting on one lock print `netpc: waiting for another build` into the
/// snapshots of tests that run at the same time.
pub(crate) fn scratch(name: &str) -> PathBuf {
    let path = PathBuf::from("target/it-import").join(name).join("netp");
    let _ = std::fs::remove_dir_all(&path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    path
}

pub(crate) fn import(args: &[&str], out: &Path) -> Command {
    let mut command = netpc();
    command.arg("import").args(args).arg("-o").arg(out);
    command
}

pub(crate) fn files(dir: &Path) -> String {
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    let mut out = String::new();
    for path in names {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        out.push_str(&format!(
            "=== {name}\n{}",
            std::fs::read_to_string(&path).unwrap()
        ));
    }
    out
}

/// The hand-written shop (default deny, DNS, one object per direction and connection)
/// imports exactly: services from `app`, `use std/dns`, externals from the ipBlocks.
#[test]
fn hand_written_shop_is_equivalent() {
    let out = scratch("hand-written");
    let mut command = import(&[HAND], &out);
    assert_cmd_snapshot!(command);
    insta::assert_snapshot!("hand_written_shop_files", files(&out));
    // What the migration changes, in connections: only the exempt fail-safe's pods.
    let diff = netpc().args(["diff", HAND]).arg(&out).output().unwrap();
    let text = String::from_utf8_lossy(&diff.stdout);
    let lines: Vec<&str> = text.lines().take_while(|l| !l.is_empty()).collect();
    assert!(!lines.is_empty());
    assert!(lines.iter().all(|l| l.contains("(exempt)")), "{text}");
}

/// Policies that isolate only some pods (no default deny; one policy isolates
/// `reports` with no rules): `enforcement ingress selected;` and `isolate ingress
/// reports;`, exact, and `netpc diff` finds no change in connectivity.
#[test]
fn partial_isolation_is_selected_enforcement() {
    let out = scratch("selected");
    let mut command = import(
        &[
            "tests/import/selected/policies",
            "--workloads",
            "tests/import/selected/apps",
        ],
        &out,
    );
    assert_cmd_snapshot!(command);
    insta::assert_snapshot!("selected_files", files(&out));
    let diff = netpc()
        .args(["diff", "tests/import/selected/policies"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(diff.status.code(), Some(0));
    let text = String::from_utf8_lossy(&diff.stdout);
    assert!(
        text.starts_with("objects changed without a change in connectivity"),
        "{text}"
    );
}

/// Rules whose other end is open (no default deny; the api's egress and the payments'
/// ingress are locked down, the cache's and statsd's ingress and the worker's egress
/// are not): each connection is written, with `anywhere needs cache:...;` and `worker
/// needs anywhere;` keeping the open ends open, on a named port and UDP too; exact,
/// and `netpc diff` finds no change in connectivity.
#[test]
fn open_ends_are_kept_open() {
    // Its own parent folder: imports into one parent wait for each other's lock, and
    // the waiting line would be in the snapshot.
    let out = PathBuf::from("target/it-import-open-ends/netp");
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    let mut command = import(
        &[
            "tests/import/open-ends/policies",
            "--workloads",
            "tests/import/open-ends/apps",
        ],
        &out,
    );
    assert_cmd_snapshot!(command);
    insta::assert_snapshot!("open_ends_files", files(&out));
    let diff = netpc()
        .args(["diff", "tests/import/open-ends/policies"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(diff.status.code(), Some(0));
    let text = String::from_utf8_lossy(&diff.stdout);
    assert!(
        text.starts_with("objects changed without a change in connectivity"),
        "{text}"
    );
}

/// A namespace without a default deny and a peer that constrains a key twice: exit 1, every
/// difference narrower with the original policy that allows it, and the notes in the
/// report and in the file.
#[test]
fn partial_isolation_is_narrower_and_says_why() {
    let out = scratch("partial");
    let mut command = import(&[PARTIAL], &out);
    assert_cmd_snapshot!(command);
    let shop = std::fs::read_to_string(out.join("shop.netp")).unwrap();
    assert!(
        shop.contains("// import: `shop/db-ingress` the peer selector `app in (api,batch),app notin (api)` constrains a key twice"),
        "{shop}"
    );
    assert!(shop.contains("api needs db:5432;"), "{shop}");
}

#[test]
fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("netp");
    let missing = import(&["no/such/folder"], &out).output().unwrap();
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("does not exist"));
    let no_output = netpc().args(["import", HAND]).output().unwrap();
    assert_eq!(no_output.status.code(), Some(2));
    let empty = dir.path().join("empty.yaml");
    std::fs::write(&empty, "# nothing\n").unwrap();
    let nothing = import(&[empty.to_str().unwrap()], &out).output().unwrap();
    assert_eq!(nothing.status.code(), Some(2));
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "kind: NetworkPolicy\nmetadata: {name: x}\nspec:\n  podSelector: {}\n  ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/33}}]}]\n").unwrap();
    let invalid = import(&[bad.to_str().unwrap()], &out).output().unwrap();
    assert_eq!(invalid.status.code(), Some(2));
    assert!(!out.exists(), "nothing is written on a usage error");
}

/// A file netpc did not generate is never overwritten; files beside the generated ones
/// survive a second import, which replaces only what the first wrote.
#[test]
fn output_folder_keeps_user_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("netp");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("shop.netp"), "// mine\n").unwrap();
    let refused = import(&[HAND], &out).output().unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("did not generate"));
    assert_eq!(
        std::fs::read_to_string(out.join("shop.netp")).unwrap(),
        "// mine\n"
    );
    std::fs::remove_file(out.join("shop.netp")).unwrap();
    std::fs::write(out.join("README.md"), "notes\n").unwrap();
    for _ in 0..2 {
        let run = import(&[HAND], &out).output().unwrap();
        assert_eq!(run.status.code(), Some(0));
    }
    assert_eq!(
        std::fs::read_to_string(out.join("README.md")).unwrap(),
        "notes\n"
    );
    assert!(out.join("shop.netp").is_file());
}

fn conformance_dirs() -> Vec<String> {
    let index = std::fs::read_to_string(Path::new(CONFORMANCE).join("CASES.tsv")).unwrap();
    let mut dirs: Vec<String> = index
        .lines()
        .skip(1)
        .filter_map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            matches!(cols.get(1), Some(&"connlist" | &"exposure")).then(|| cols[2].to_owned())
        })
        .collect();
    dirs.sort();
    dirs.dedup();
    dirs
}

fn texts(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.unwrap();
        let is_manifest = entry
            .path()
            .extension()
            .is_some_and(|e| e == "yaml" || e == "yml" || e == "json");
        if entry.file_type().is_file() && is_manifest {
            let text = std::fs::read_to_string(entry.path()).unwrap();
            out.push((entry.path().display().to_string(), text));
        }
    }
    out
}

/// The measured floor of exact imports of the conformance cases (105 input folders of
/// connlist and exposure cases): docs/import.md has the figures and the reasons.
const EXACT_FLOOR: usize = 101;

/// The reason a note gives, in the words of docs/import.md's table.
fn reason(note: &str) -> &'static str {
    if note.contains("selects every pod") {
        "unnamed isolation"
    } else if note.contains("namespace selector") {
        "namespace labels"
    } else if note.contains("one `select`") {
        "set-based selector"
    } else if note.contains("policy selects may") {
        "one end open"
    } else if note.contains("named port") {
        "named port"
    } else {
        "other"
    }
}

/// Every netpol-analyzer case imports without a crash, compiles, and is never broader
/// than the original; at least [`EXACT_FLOOR`] are exact; every approximate one has a
/// note saying why.
#[test]
fn conformance_cases_import_never_broader() {
    let dirs = conformance_dirs();
    assert_eq!(dirs.len(), 105);
    let mut exact = 0;
    for dir in &dirs {
        let texts = texts(&Path::new(CONFORMANCE).join(dir));
        let cluster =
            netpc::analyze::load_texts(texts.iter().map(|(p, t)| (p.as_str(), t.as_str())))
                .unwrap();
        let workloads = cluster.clone();
        let imported = netpc::import::import(&cluster, &workloads);
        // Written in `netpc fmt`'s layout: formatting it changes nothing.
        for file in &imported.files {
            let formatted = netpc::fmt::format(netpc::source::FileId(0), &file.text).ok();
            assert_eq!(formatted.as_ref(), Some(&file.text), "{dir}: {}", file.path);
        }
        let compiled = netpc::import::fidelity::compile(&imported.files)
            .unwrap_or_else(|e| panic!("{dir}: the import does not compile:\n{e}"));
        let fidelity = netpc::import::fidelity::check(&cluster, &workloads, &compiled).unwrap();
        assert!(
            fidelity.broader.is_empty(),
            "{dir}: broader: {:?}",
            fidelity.broader
        );
        let notes: std::collections::BTreeSet<&str> =
            imported.notes.iter().map(|n| reason(&n.text)).collect();
        // `cargo test --test it conformance_cases -- --nocapture` prints the table
        // docs/import.md summarises.
        eprintln!(
            "{dir}\t{}\t{}",
            if fidelity.equivalent() {
                "exact"
            } else {
                "narrower"
            },
            notes.into_iter().collect::<Vec<_>>().join(", ")
        );
        if fidelity.equivalent() {
            exact += 1;
        } else {
            assert!(!imported.notes.is_empty(), "{dir}: narrower without a note");
        }
    }
    assert!(
        exact >= EXACT_FLOOR,
        "{exact} exact imports, below the floor {EXACT_FLOOR}"
    );
}

/// netpc's own output (every example, built to a folder) imports exactly, and the
/// imported program of quickstart reads as a person would write it.
#[test]
fn examples_round_trip_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let mut examples: Vec<PathBuf> = std::fs::read_dir("examples")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    examples.sort();
    assert!(examples.len() >= 6);
    for example in &examples {
        let name = example.file_name().unwrap().to_string_lossy().into_owned();
        let built = dir.path().join(&name).join("out");
        let mut build = netpc();
        build.arg("build").arg(example).arg("-o").arg(&built);
        assert!(build.output().unwrap().status.success(), "{name} builds");
        let netp = dir.path().join(&name).join("netp");
        let run = import(&[built.to_str().unwrap()], &netp).output().unwrap();
        let report = String::from_utf8_lossy(&run.stdout);
        assert_eq!(run.status.code(), Some(0), "{name}: {report}");
        assert!(report.contains("\nequivalent:"), "{name}: {report}");
        if name == "quickstart" {
            insta::assert_snapshot!("quickstart_round_trip", files(&netp));
        }
    }
}

/// The seed's `needs-db` labels become `identity labels;`: the target is named `db`
/// (the label's T) and the subject is the workload that carries the label; without
/// workloads, a `db-client` service selecting the label. Both exact.
#[test]
fn seed_client_labels_become_identity_labels() {
    let out = scratch("seed-workloads");
    let run = import(
        &[
            "tests/import/seed/policies.yaml",
            "--workloads",
            "tests/import/seed/workloads.yaml",
        ],
        &out,
    )
    .output()
    .unwrap();
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stdout)
    );
    insta::assert_snapshot!("seed_with_workloads", files(&out));
    let bare = scratch("seed");
    let run = import(&["tests/import/seed/policies.yaml"], &bare)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(0));
    let shop = std::fs::read_to_string(bare.join("shop.netp")).unwrap();
    assert!(
        shop.contains("service db-client { select needs-db = true; }"),
        "{shop}"
    );
    assert!(shop.contains("db-client needs db:5432;"), "{shop}");
}

/// With the workloads, services take the Deployment's name (a ReplicaSet's pods are
/// `<deployment>-<pod-template-hash>-<id>`) and declare the ports the pods name
/// (`port grpc 7000;`), while the needs keep the numbers the rules say.
#[test]
fn workloads_name_services_and_their_ports() {
    let case = format!("{CONFORMANCE}/tests/onlineboutique");
    let out = scratch("onlineboutique");
    let run = import(&[&case, "--workloads", &case], &out)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&run.stdout);
    assert_eq!(run.status.code(), Some(0), "{report}");
    let text = std::fs::read_to_string(out.join("default.netp")).unwrap();
    for line in [
        "service adservice;",
        "service currencyservice { port grpc 7000; }",
        "currencyservice:7000,",
    ] {
        assert!(text.contains(line), "no `{line}` in\n{text}");
    }
    assert!(!text.contains("77d5cd745d"), "{text}");
    assert!(report.contains("equivalent"), "{report}");
}

/// Serves no file: generated programs that `use "lib.netp"` are left out.
struct NoFiles;

impl netpc::source::Loader for NoFiles {
    fn locate(
        &self,
        _from: &netpc::source::FileKey,
        _path: &str,
    ) -> Result<netpc::source::FileKey, netpc::source::LoadFailure> {
        Err(netpc::source::LoadFailure::NotFound)
    }

    fn read(&self, _key: &netpc::source::FileKey) -> Result<String, netpc::source::LoadFailure> {
        Err(netpc::source::LoadFailure::NotFound)
    }
}

/// netpc's output of random programs (the differential test's generator, held-out
/// style: modules left out) imports back exactly, every one (the compiled folder's
/// label contract gives the workloads, as `netpc import out/` reads it), those whose
/// services select by set-based terms (`in`, `notin`, `k`, `!k`) too.
#[test]
fn generated_programs_round_trip_exactly() {
    let mut seed: u32 = 0x5eed;
    let mut checked = 0;
    let mut with_terms = 0;
    let mut inexact = Vec::new();
    for _ in 0..400 {
        let choices: Vec<u32> = (0..160)
            .map(|_| {
                seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                seed >> 8
            })
            .collect();
        let generated = crate::generator::program(&mut crate::generator::Choices::new(&choices));
        if generated.module.is_some() || generated.text.contains("use \"") {
            continue;
        }
        let mut sources = netpc::source::Sources::new();
        let root = sources.add(
            netpc::source::Origin::File(PathBuf::from("gen.netp")),
            generated.text.clone(),
        );
        let input = netpc::compile::Input {
            sources,
            roots: vec![root],
            diagnostics: netpc::diagnostic::Diagnostics::new(),
            loader: &NoFiles,
        };
        let options = netpc::compile::Options {
            lower: netpc::lower::Options {
                enforcement: generated.enforcement,
            },
            cni: None,
        };
        let Some(plan) = netpc::compile(input, options).plan else {
            continue;
        };
        let set_based = plan
            .program
            .services
            .iter()
            .any(|s| !s.requirements.is_empty());
        let folder = netpc::verify::compiled(&plan).unwrap();
        let mut cluster = netpc::analyze::Cluster::new();
        for (policy, _) in &folder.policies {
            cluster.add_policy(policy.clone(), None);
        }
        let mut workloads = netpc::analyze::Cluster::new();
        for pod in netpc::probe::build(&folder.contract, [])
            .cluster
            .workloads()
        {
            if !pod.name.starts_with("netpc-probe") {
                workloads.add_workload(pod.clone());
            }
        }
        let imported = netpc::import::import(&cluster, &workloads);
        let compiled = netpc::import::fidelity::compile(&imported.files)
            .unwrap_or_else(|e| panic!("does not compile:\n{e}\nfrom:\n{}", generated.text));
        let fidelity = netpc::import::fidelity::check(&cluster, &workloads, &compiled).unwrap();
        assert!(
            fidelity.broader.is_empty(),
            "broader: {:?}\n{}",
            fidelity.broader,
            generated.text
        );
        with_terms += usize::from(set_based);
        if !fidelity.equivalent() {
            inexact.push((generated.text.clone(), imported.notes.clone()));
        }
        checked += 1;
    }
    eprintln!("{checked} programs round-tripped, {with_terms} with set-based terms");
    assert!(checked >= 300, "only {checked} programs compiled");
    assert!(
        with_terms >= 20,
        "only {with_terms} programs with set-based terms"
    );
    assert!(
        inexact.is_empty(),
        "{} of {checked} inexact, first:\n{:#?}",
        inexact.len(),
        inexact.first()
    );
}

/// A workload found both in the manifests and in `--workloads` is one workload: the
/// service it alone matches takes its name (`api-server`, not the `app` label's
/// `api`), as when it is given once.
#[test]
fn a_workload_given_twice_is_one() {
    let deployment = "apiVersion: apps/v1
kind: Deployment
metadata: {name: api-server, namespace: shop}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec: {containers: [{name: c, image: x}]}
";
    let policy = "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api, namespace: shop}
spec:
  podSelector: {matchLabels: {app: api}}
  policyTypes: [Ingress]
  ingress: [{from: [{podSelector: {matchLabels: {app: web}}}], ports: [{port: 8080}]}]
";
    let load = |texts: &[(&str, &str)]| netpc::analyze::load_texts(texts.iter().copied()).unwrap();
    let original = load(&[("policy.yaml", policy), ("deployment.yaml", deployment)]);
    let workloads = load(&[("deployment.yaml", deployment)]);
    let once = netpc::import::import(&load(&[("policy.yaml", policy)]), &workloads);
    let twice = netpc::import::import(&original, &workloads);
    let text = |imported: &netpc::import::Imported| {
        imported
            .files
            .iter()
            .map(|f| format!("{}:\n{}", f.path, f.text))
            .collect::<String>()
    };
    assert!(
        text(&once).contains("service api-server"),
        "{}",
        text(&once)
    );
    assert_eq!(text(&twice), text(&once));
}

/// A Namespace object of the manifests with no policy and no workload is still
/// imported, as an external namespace (a selector's peer may stand for it).
#[test]
fn a_namespace_with_nothing_in_it_is_still_known() {
    let policy = "apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api, namespace: shop}
spec:
  podSelector: {matchLabels: {app: api}}
  policyTypes: [Ingress]
  ingress: [{from: [{namespaceSelector: {matchLabels: {team: obs}}}], ports: [{port: 9100}]}]
";
    let namespace = "apiVersion: v1
kind: Namespace
metadata: {name: monitoring, labels: {team: obs}}
";
    let texts = [("policy.yaml", policy), ("namespace.yaml", namespace)];
    let cluster = netpc::analyze::load_texts(texts.iter().copied()).unwrap();
    let imported = netpc::import::import(&cluster, &cluster.clone());
    let all: String = imported.files.iter().map(|f| f.text.clone()).collect();
    assert!(all.contains("external namespace monitoring {}"), "{all}");
}
