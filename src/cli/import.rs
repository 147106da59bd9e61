//! `netpc import MANIFESTS... -o DIR [--workloads SRC]`: reads NetworkPolicy manifests
//! (files, folders, `-`) through the bounded reader, writes the imported `.netp`
//! program into DIR with the same writer as `build -o` (atomic, never touching files
//! netpc did not generate), then proves it: exit 0 and "equivalent" when the compiled
//! program allows the same connections as the original on the probe pods, 1 with the
//! differences otherwise, 2 on usage errors and unreadable or invalid input.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::ValueEnum;

use super::EXIT_INPUT;
use crate::analyze::{Analysis, Cluster, Options, load_texts};
use crate::import::{self, Imported, fidelity::Fidelity};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum ImportFormat {
    /// what was written, the notes, and the proof
    #[default]
    Text,
    /// one JSON object: files, notes, probes, equivalent, broader, narrower
    Json,
}

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  netpc import k8s/policies -o netp                       a folder of manifests to a program
  netpc import k8s/policies -o netp --workloads k8s/apps  services named after the workloads
  kubectl get netpol -A -o yaml | netpc import - -o netp  what the cluster runs now
  netpc diff k8s/policies netp                            what the migration changes (nothing, when equivalent)")]
pub struct ImportArgs {
    /// NetworkPolicy manifests: files, folders (searched for .yaml, .yml, .json) or `-`
    #[arg(required = true, value_name = "MANIFESTS")]
    pub manifests: Vec<PathBuf>,
    /// The folder to write the program into (files netpc did not generate are never touched)
    #[arg(short = 'o', long = "output", value_name = "DIR", required = true)]
    pub output: PathBuf,
    /// The real workloads (Deployments, Pods, ...): services are named after them and
    /// they are probed too: a file, a folder or `-` (repeatable)
    #[arg(long = "workloads", value_name = "SRC")]
    pub workloads: Vec<PathBuf>,
    /// Output format of the report
    #[arg(long, value_enum, default_value_t = ImportFormat::Text)]
    pub format: ImportFormat,
    #[command(flatten)]
    pub style: super::style::StyleArgs,
}

fn load(paths: &[PathBuf], what: &str) -> Result<Cluster, String> {
    let texts = super::manifest_files::read_all(paths)?;
    load_texts(texts.iter().map(|(p, t)| (p.as_str(), t.as_str())))
        .map_err(|e| format!("cannot read the {what}: {e}"))
}

pub fn run(args: &ImportArgs) -> ExitCode {
    if args
        .manifests
        .iter()
        .chain(&args.workloads)
        .filter(|p| p.as_os_str() == "-")
        .count()
        > 1
    {
        return super::fatal("standard input (`-`) can be read only once");
    }
    let original = match load(&args.manifests, "manifests") {
        Ok(cluster) => cluster,
        Err(message) => return super::fatal(message),
    };
    if original.policies().is_empty()
        && original.namespaces().is_empty()
        && original.workloads().is_empty()
    {
        return super::fatal(
            "the manifests hold no NetworkPolicy, Namespace or workload: nothing to import",
        );
    }
    if let Err(errors) = Analysis::new(&original, Options::default()) {
        for error in &errors {
            eprintln!("error: {error}");
        }
        return super::fatal("the original policies are not valid: nothing was written");
    }
    let mut workloads = match load(&args.workloads, "workloads") {
        Ok(cluster) => cluster,
        Err(message) => return super::fatal(message),
    };
    if let Err(message) = add_contracts(&args.manifests, &mut workloads) {
        return super::fatal(message);
    }
    let imported = import::import(&original, &workloads);
    let compiled = match import::fidelity::compile(&imported.files) {
        Ok(policies) => policies,
        Err(rendered) => {
            eprint!("{rendered}");
            return super::fatal(
                "the imported program does not compile (a bug in netpc import); nothing was written",
            );
        }
    };
    let fidelity = match import::fidelity::check(&original, &workloads, &compiled) {
        Ok(fidelity) => fidelity,
        Err(message) => return super::fatal(message),
    };
    if let Err(err) = write(args, &imported) {
        return super::fatal(err);
    }
    let text = match args.format {
        ImportFormat::Text => report(args, &imported, &fidelity),
        ImportFormat::Json => json(&imported, &fidelity),
    };
    let mut stdout = std::io::stdout().lock();
    if let Err(err) = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        && err.kind() != std::io::ErrorKind::BrokenPipe
    {
        return super::fatal(format!("cannot write the report: {err}"));
    }
    if fidelity.equivalent() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_INPUT)
    }
}

/// The services of a compiled folder's label contract (`labels.yaml`), as pods: netpc's
/// own output names its services there.
fn add_contracts(paths: &[PathBuf], workloads: &mut Cluster) -> Result<(), String> {
    for dir in paths.iter().filter(|p| super::folder::is_compiled(p)) {
        let path = dir.join(crate::output::CONTRACT);
        let text = super::read::read_text(&path, super::read::MANIFEST_LIMIT)
            .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
        let contract = crate::probe::parse_contract(&text)
            .map_err(|e| format!("`{}`: {e}", path.display()))?;
        for pod in crate::probe::build(&contract, []).cluster.workloads() {
            if pod.name.starts_with("netpc-probe") {
                continue;
            }
            let mut pod = pod.clone();
            pod.labels.remove(crate::probe::PROBE_LABEL);
            workloads.add_workload(pod);
        }
    }
    Ok(())
}

fn write(args: &ImportArgs, imported: &Imported) -> Result<(), super::write::WriteError> {
    let mut files: Vec<crate::emit::File> = imported
        .files
        .iter()
        .map(|f| crate::emit::File {
            path: f.path.clone(),
            text: f.text.clone(),
        })
        .collect();
    let mut manifest = String::from(
        "# Files generated by netpc import in this folder; netpc removes and replaces only these.\n",
    );
    for file in &files {
        manifest.push_str(&file.path);
        manifest.push('\n');
    }
    files.push(crate::emit::File {
        path: crate::output::MANIFEST.to_owned(),
        text: manifest,
    });
    let inputs: Vec<PathBuf> = args
        .manifests
        .iter()
        .chain(&args.workloads)
        .filter(|p| p.as_os_str() != "-")
        .cloned()
        .collect();
    super::write::write(&args.output, &files, &inputs)
}

fn report(args: &ImportArgs, imported: &Imported, fidelity: &Fidelity) -> String {
    let mut out = String::new();
    if args.style.quiet {
        differences(&mut out, fidelity);
        return out;
    }
    let _ = writeln!(
        out,
        "wrote {} files to {}",
        imported.files.len(),
        args.output.display()
    );
    if !imported.notes.is_empty() {
        let _ = writeln!(
            out,
            "\nnot expressed exactly (the program allows less; also in the files as `// import:`):"
        );
        for note in &imported.notes {
            let _ = writeln!(out, "  {}: {}", note.policy, note.text);
        }
    }
    let cut = if fidelity.cut {
        " (cut at the limit)"
    } else {
        ""
    };
    if fidelity.equivalent() {
        let _ = writeln!(
            out,
            "\nequivalent: the program allows exactly the connections of the original policies on {} probe pods{cut}",
            fidelity.probes
        );
        return out;
    }
    let _ = writeln!(
        out,
        "\nnot equivalent on {} probe pods{cut}: {} connection sets narrower, {} broader",
        fidelity.probes,
        fidelity.narrower.len(),
        fidelity.broader.len()
    );
    differences(&mut out, fidelity);
    out
}

/// One line per differing connection set, with its cause.
fn differences(out: &mut String, fidelity: &Fidelity) {
    let open = "open in the original: no policy isolates these ends";
    let unselected = "no original policy selects either end";
    for (what, list, none) in [
        ("broader ", &fidelity.broader, unselected),
        ("narrower", &fidelity.narrower, open),
    ] {
        for d in list.iter() {
            let cause = if d.cause.is_empty() {
                none.to_owned()
            } else {
                format!("original policy {}", d.cause.join(", "))
            };
            let _ = writeln!(out, "  {what} {} -> {} {}  ({cause})", d.src, d.dst, d.conn);
        }
    }
}

fn json(imported: &Imported, fidelity: &Fidelity) -> String {
    let files: Vec<&str> = imported.files.iter().map(|f| f.path.as_str()).collect();
    let value = serde_json::json!({
        "files": files,
        "notes": imported.notes,
        "probes": fidelity.probes,
        "cut": fidelity.cut,
        "equivalent": fidelity.equivalent(),
        "broader": fidelity.broader,
        "narrower": fidelity.narrower,
    });
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    text
}
