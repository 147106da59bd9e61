//! The output folder's layout keeps namespaces apart from netpc's own files: a
//! namespace named `failsafe` gets its policies under `namespaces/failsafe/` and the
//! emergency folder holds only allow-all objects; every reader of a compiled folder
//! (`verify --against`, `diff`, `analyze`) leaves `failsafe/` out.
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const CASE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/output/failsafe-namespace"
);

fn netpc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_netpc"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn build(out: &Path) {
    let program = format!("{CASE}/app.netp");
    let output = netpc(&["build", &program, "-o", out.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
}

fn files_under(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = walkdir::WalkDir::new(dir)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            e.path()
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

#[test]
fn a_namespace_named_failsafe_does_not_share_the_emergency_folder() {
    let temp = tempfile::tempdir().unwrap();
    let out = temp.path().join("out");
    build(&out);
    assert_eq!(
        files_under(&out.join("failsafe")),
        ["failsafe.yaml", "shop.yaml"]
    );
    let policies = files_under(&out.join("namespaces/failsafe"));
    assert!(
        policies.contains(&"ingress/allow-ingress-db.yaml".to_owned()),
        "{policies:?}"
    );
    assert!(
        policies.contains(&"egress/default-deny-egress.yaml".to_owned()),
        "{policies:?}"
    );
    // Deleting the emergency folder's objects after an emergency deletes only allow-all
    // objects: every document under failsafe/ is one.
    for file in files_under(&out.join("failsafe")) {
        let text = std::fs::read_to_string(out.join("failsafe").join(&file)).unwrap();
        for name in text.lines().filter_map(|l| l.trim().strip_prefix("name: ")) {
            assert!(name.starts_with("allow-all-"), "{file}: {name}");
        }
    }
    let kustomization = std::fs::read_to_string(out.join("kustomization.yaml")).unwrap();
    assert!(
        kustomization.contains("- namespaces/failsafe\n"),
        "{kustomization}"
    );
    assert!(!kustomization.contains("- failsafe"), "{kustomization}");
    // verify reads the folder as the program declares it.
    let program = format!("{CASE}/app.netp");
    let verified = netpc(&["verify", &program, "--against", out.to_str().unwrap()]);
    assert_eq!(
        verified.status.code(),
        Some(0),
        "{}",
        text(&verified.stdout)
    );
}

#[test]
fn diff_sees_a_new_need_in_a_namespace_named_failsafe() {
    let temp = tempfile::tempdir().unwrap();
    let out = temp.path().join("out");
    build(&out);
    let changed = temp.path().join("changed.netp");
    let source = std::fs::read_to_string(format!("{CASE}/app.netp")).unwrap();
    std::fs::write(
        &changed,
        source.replace(
            "  api needs db;\n",
            "  api needs db;\n  db needs api:8080;\n",
        ),
    )
    .unwrap();
    let output = netpc(&["diff", out.to_str().unwrap(), changed.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(
        text(&output.stdout).contains("+ failsafe/db -> failsafe/api TCP 8080"),
        "{}",
        text(&output.stdout)
    );
}

/// Readers of a compiled folder open only netpc's files: a team's binary file in the
/// folder (not UTF-8) is neither read nor an error for `verify --against`, `diff` or
/// `graph`.
#[test]
fn readers_of_a_compiled_folder_leave_a_teams_binary_file_unread() {
    let temp = tempfile::tempdir().unwrap();
    let out = temp.path().join("out");
    build(&out);
    std::fs::write(
        out.join("diagram.png"),
        [0x89, b'P', b'N', b'G', 0xff, 0xfe],
    )
    .unwrap();
    std::fs::create_dir_all(out.join("namespaces/docs")).unwrap();
    std::fs::write(out.join("namespaces/docs/notes.bin"), [0xff, 0xfe, 0xfd]).unwrap();
    let dir = out.to_str().unwrap();
    let program = format!("{CASE}/app.netp");
    for args in [
        vec!["verify", &program, "--against", dir],
        vec!["diff", dir, &program],
        vec!["graph", dir],
    ] {
        let output = netpc(&args);
        assert_eq!(output.status.code(), Some(0), "{args:?}: {output:?}");
        assert!(
            !text(&output.stderr).contains("UTF-8"),
            "{args:?}: {output:?}"
        );
    }
}

#[test]
fn analyze_of_a_compiled_folder_leaves_out_the_failsafe_objects() {
    let temp = tempfile::tempdir().unwrap();
    let out = temp.path().join("out");
    build(&out);
    let workloads = PathBuf::from(CASE).join("workloads");
    let output = netpc(&[
        "analyze",
        out.to_str().unwrap(),
        workloads.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let stdout = text(&output.stdout);
    // Exactly the declared connections (DNS is not declared in this program).
    assert_eq!(
        stdout,
        "failsafe/api[Pod] => failsafe/db[Pod] : TCP 5432\nshop/web[Pod] => shop/cache[Pod] : TCP 6379\n"
    );
    let stderr = text(&output.stderr).replace(out.to_str().unwrap(), "OUT");
    assert_eq!(
        stderr,
        "note: `OUT` is a netpc output folder: leaving out its `failsafe/` (2 files: emergency allow-all objects that no kustomization applies)\n"
    );
    // Named explicitly, the emergency folder is read: then everything is allowed.
    let failsafe = out.join("failsafe");
    let output = netpc(&[
        "analyze",
        failsafe.to_str().unwrap(),
        workloads.to_str().unwrap(),
    ]);
    assert!(
        text(&output.stdout).contains("failsafe/db[Pod] => failsafe/api[Pod] : All Connections")
    );
}

#[test]
fn a_folder_in_the_layout_before_namespaces_is_refused_with_a_reason() {
    let temp = tempfile::tempdir().unwrap();
    let out = temp.path().join("out");
    build(&out);
    std::fs::rename(out.join("namespaces/shop"), out.join("shop")).unwrap();
    let program = format!("{CASE}/app.netp");
    let output = netpc(&["verify", &program, "--against", out.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(
        text(&output.stderr).contains(
            "`namespaces/shop/ingress/kustomization.yaml` is missing although `labels.yaml` lists `shop` as managed"
        ),
        "{}",
        text(&output.stderr)
    );
}

/// Issue 11: the namespace-wide policies moved into the direction folders. A folder
/// of the layout before (default denies in `namespaces/<ns>/`, no direction
/// kustomizations) is refused, not read as a namespace without default deny.
#[test]
fn a_folder_in_the_layout_before_direction_folders_is_refused_with_a_reason() {
    let temp = tempfile::tempdir().unwrap();
    let out = temp.path().join("out");
    build(&out);
    let shop = out.join("namespaces/shop");
    for direction in ["ingress", "egress"] {
        let name = format!("default-deny-{direction}.yaml");
        std::fs::rename(shop.join(direction).join(&name), shop.join(&name)).unwrap();
        std::fs::remove_file(shop.join(direction).join("kustomization.yaml")).unwrap();
    }
    let program = format!("{CASE}/app.netp");
    let output = netpc(&["verify", &program, "--against", out.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(
        text(&output.stderr).contains(
            "`namespaces/shop/ingress/kustomization.yaml` is missing although `labels.yaml` lists `shop` as managed: the folder is incomplete, or was written by a netpc before the per-direction layout"
        ),
        "{}",
        text(&output.stderr)
    );
}

/// `kubectl kustomize DIR` (kubectl's kustomize, default load restrictions), or `None`
/// when kubectl is not installed (CI on this project's machines has it).
fn kustomize(dir: &Path) -> Option<Vec<serde_yaml::Value>> {
    let output = Command::new("kubectl")
        .arg("kustomize")
        .arg(dir)
        .output()
        .ok()?;
    assert!(
        output.status.success(),
        "kubectl kustomize {}: {}",
        dir.display(),
        text(&output.stderr)
    );
    Some(
        serde_yaml::Deserializer::from_str(&text(&output.stdout))
            .map(|d| serde::Deserialize::deserialize(d).unwrap())
            .collect(),
    )
}

/// (namespace, name, policy type) of every NetworkPolicy, in order.
fn summary(objects: &[serde_yaml::Value]) -> Vec<String> {
    objects
        .iter()
        .map(|o| {
            let kind = o["kind"].as_str().unwrap();
            let name = o["metadata"]["name"].as_str().unwrap();
            match kind {
                "NetworkPolicy" => format!(
                    "{}/{name} {}",
                    o["metadata"]["namespace"].as_str().unwrap(),
                    o["spec"]["policyTypes"][0].as_str().unwrap()
                ),
                _ => format!("{kind} {name}"),
            }
        })
        .collect()
}

/// Issue 11: each direction folder renders with `kubectl kustomize` (so under its
/// default load restrictor) to exactly that direction's objects, every allow object
/// of a namespace before its default deny, and `out/` to the `--stdout` stream.
#[test]
fn kubectl_kustomize_renders_each_direction_in_the_safe_order() {
    let temp = tempfile::tempdir().unwrap();
    let out = temp.path().join("out");
    let program = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/platform");
    let built = netpc(&[
        "build",
        program,
        "-o",
        out.to_str().unwrap(),
        "--enforcement",
        "egress=off",
    ]);
    assert_eq!(built.status.code(), Some(0), "{built:?}");
    let Some(everything) = kustomize(&out) else {
        eprintln!("SKIPPED: kubectl not installed");
        return;
    };
    let stdout = netpc(&["build", program, "--stdout", "--enforcement", "egress=off"]);
    let streamed: Vec<serde_yaml::Value> =
        serde_yaml::Deserializer::from_str(&text(&stdout.stdout))
            .map(|d| serde::Deserialize::deserialize(d).unwrap())
            .collect();
    assert_eq!(
        summary(&everything),
        summary(&streamed),
        "out/ is the --stdout stream, in order"
    );
    let mut rendered = String::new();
    for (dir, only) in [
        ("ingress", "Ingress"),
        ("egress", "Egress"),
        ("namespaces/grid/ingress", "Ingress"),
        ("namespaces/monitoring/egress", "Egress"),
    ] {
        let objects = summary(&kustomize(&out.join(dir)).unwrap());
        assert!(!objects.is_empty());
        for (i, object) in objects.iter().enumerate() {
            assert!(object.ends_with(only), "{dir}: {object}");
            // Nothing of the same namespace comes after its default deny.
            let (ns, _) = object.split_once('/').unwrap();
            if object.contains("/default-deny-") {
                assert!(
                    objects[i + 1..]
                        .iter()
                        .all(|o| !o.starts_with(&format!("{ns}/"))),
                    "{dir}: {objects:#?}"
                );
            }
        }
        rendered.push_str(&format!(
            "kubectl kustomize out/{dir}\n  {}\n",
            objects.join("\n  ")
        ));
    }
    let admission = summary(&kustomize(&out.join("admission")).unwrap());
    rendered.push_str(&format!(
        "kubectl kustomize out/admission\n  {}\n",
        admission.join("\n  ")
    ));
    insta::assert_snapshot!(rendered);
}
