//! `netpc analyze`: read folders/files of Kubernetes manifests, evaluate their
//! NetworkPolicies with the independent evaluator (`crate::analyze`) and print who can
//! reach whom. Owns the file walking, reading and printing for this command; all
//! semantics live in `crate::analyze`.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::ValueEnum;

use crate::analyze::{Analysis, Format, IpBlockPods, ManifestLoader, Options, write};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// `src => dst : conn` lines (netpol-analyzer connlist)
    #[default]
    Txt,
    /// a JSON array of {src, dst, conn}
    Json,
    /// a Markdown table
    Md,
    /// a Graphviz graph, grouped by namespace
    Dot,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum IpBlockPodsArg {
    /// an ipBlock never matches a pod (netpol-analyzer, Cilium)
    #[default]
    Ignore,
    /// an ipBlock matches pods whose `status.podIP` lies in it (e2e, Calico, cyclonus)
    Match,
}

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  netpc analyze cluster-dump/                  who can reach whom, one line per connection
  netpc analyze out/ --format json -o conns.json
  netpc analyze cluster-dump/ --cni calico@3.29   ipBlocks match pod IPs, as on Calico")]
pub struct AnalyzeArgs {
    /// Folders (read recursively: *.yaml, *.yml, *.json) or files of Kubernetes manifests
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value_t = OutputFormat::Txt)]
    pub format: OutputFormat,
    /// Write the output to FILE instead of stdout
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Whether an ipBlock peer matches pod IPs
    #[arg(long, value_enum, default_value_t = IpBlockPodsArg::Ignore)]
    pub ipblock_pods: IpBlockPodsArg,
    /// Evaluate as this network plugin does: its ipBlock rule (Calico, kube-router,
    /// k3s, kindnet match pod IPs; `netpc cni list`), instead of `--ipblock-pods`
    #[arg(long, value_name = "NAME@VERSION", value_parser = super::parse_cni, conflicts_with = "ipblock_pods")]
    pub cni: Option<crate::cni::Profile>,
    #[command(flatten)]
    pub style: super::style::StyleArgs,
}

/// `-o` was the format before it meant the output file, as everywhere else: a bare
/// format name is refused rather than written to a file of that name.
fn check_output(output: Option<&Path>) -> Result<(), String> {
    let Some(name) = output.and_then(Path::to_str) else {
        return Ok(());
    };
    match OutputFormat::from_str(name, true) {
        Ok(_) => Err(format!(
            "`-o {name}`: `-o` names the output file; for the format write `--format {name}` (or `-o ./{name}` for a file named `{name}`)"
        )),
        Err(_) => Ok(()),
    }
}

pub fn run(args: &AnalyzeArgs) -> ExitCode {
    if let Err(message) = check_output(args.output.as_deref()) {
        return super::fatal(message);
    }
    let files = match manifest_files(&args.paths, args.style.quiet) {
        Ok(files) => files,
        Err(message) => return super::fatal(message),
    };
    let mut loader = ManifestLoader::new();
    for file in &files {
        let shown = file.display().to_string();
        let text = match super::read::read_text(file, super::read::MANIFEST_LIMIT) {
            Ok(text) => text,
            Err(super::read::ReadError::NotUtf8) => {
                eprintln!("error: {shown}: not a UTF-8 text file");
                return ExitCode::from(super::EXIT_INPUT);
            }
            Err(err) => return super::fatal(format!("cannot read {shown}: {err}")),
        };
        if let Err(err) = loader.add_text(&shown, &text) {
            eprintln!("error: {err}");
            return ExitCode::from(super::EXIT_INPUT);
        }
    }
    let cluster = loader.finish();
    let options = Options {
        ipblock_pods: match (args.cni.map(|p| p.ipblock()), args.ipblock_pods) {
            (Some(crate::cni::IpBlockRule::MatchesPods), _) => IpBlockPods::Match,
            (Some(_), _) | (None, IpBlockPodsArg::Ignore) => IpBlockPods::Ignore,
            (None, IpBlockPodsArg::Match) => IpBlockPods::Match,
        },
        ..Options::default()
    };
    let analysis = match Analysis::new(&cluster, options) {
        Ok(analysis) => analysis,
        Err(errors) => {
            for err in &errors {
                eprintln!("error: {err}");
            }
            return ExitCode::from(super::EXIT_INPUT);
        }
    };
    if !args.style.quiet {
        for warning in analysis.warnings() {
            eprintln!("warning: {warning}");
        }
    }
    let format = match args.format {
        OutputFormat::Txt => Format::Text,
        OutputFormat::Json => Format::Json,
        OutputFormat::Md => Format::Md,
        OutputFormat::Dot => Format::Dot,
    };
    let list = analysis.connlist();
    let written = match &args.output {
        Some(path) => {
            let mut text = Vec::new();
            write(&list, &cluster, format, &mut text)
                .and_then(|()| std::fs::write(path, &text))
                .map_err(|err| format!("cannot write `{}`: {err}", path.display()))
        }
        None => {
            let mut stdout = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
            match write(&list, &cluster, format, &mut stdout).and_then(|()| stdout.flush()) {
                Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => {
                    Err(format!("cannot write the output: {err}"))
                }
                _ => Ok(()),
            }
        }
    };
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => super::fatal(message),
    }
}

/// The manifest files under `paths`: a file as given, a folder's `*.yaml`, `*.yml`
/// and `*.json` recursively, in a stable order. `quiet` leaves out the note on a
/// compiled folder's failsafe objects.
fn manifest_files(paths: &[PathBuf], quiet: bool) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    for path in paths {
        if !path.exists() {
            return Err(format!("{}: no such file or folder", path.display()));
        }
        if path.is_file() {
            files.push(path.clone());
            continue;
        }
        // A netpc output folder: its `failsafe/` objects are applied by no
        // kustomization, so they are not part of what the cluster runs.
        let compiled = super::folder::is_compiled(path);
        let mut skipped = 0;
        let mut found = Vec::new();
        for entry in walkdir::WalkDir::new(path).follow_links(true) {
            let entry = entry.map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            if !entry.file_type().is_file() || !is_manifest(entry.path()) {
                continue;
            }
            if compiled && is_failsafe(path, entry.path()) {
                skipped += 1;
                continue;
            }
            found.push(entry.into_path());
        }
        if skipped > 0 && !quiet {
            eprintln!(
                "note: `{}` is a netpc output folder: leaving out its `{}/` ({skipped} file{}: emergency allow-all objects that no kustomization applies)",
                path.display(),
                crate::output::FAILSAFE,
                if skipped == 1 { "" } else { "s" }
            );
        }
        found.sort();
        files.extend(found);
    }
    Ok(files)
}

/// Whether `file` is in the failsafe folder of the compiled folder `root`.
fn is_failsafe(root: &Path, file: &Path) -> bool {
    super::folder::relative(root, file).is_some_and(|relative| {
        matches!(
            crate::output::classify(&relative),
            crate::output::Kind::Failsafe(_)
        )
    })
}

fn is_manifest(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml" | "json")
    )
}
