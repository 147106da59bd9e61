//! `netpc probe run [PATH...]`: write the kit, then drive the cluster with `kubectl`
//! (`--kubectl PATH`, else `$KUBECTL`, else `kubectl` on the PATH): apply the setup
//! (namespaces, policies, servers), wait for the servers, let the network plugin settle,
//! apply the client Jobs, wait for them, collect their logs, report, and delete the kit's
//! namespaces unless `--keep`. One progress line per step on stderr; the report on
//! stdout. Exit as `probe report` (0, 1), or 2 when `kubectl` fails before any result.

use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};
use std::time::Duration;

use super::kit::{ReportFormat, ShapeArgs, compile_kit, describe, report, save};
use super::{DiagnosticArgs, EXIT_USAGE, ProgramArgs};
use crate::kit::{CLIENTS, Kit, SETUP};

#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// `.netp` files, or folders searched recursively for them (default `.`)
    pub paths: Vec<PathBuf>,
    /// Write the kit here (default: a temporary folder, removed afterwards)
    #[arg(short = 'o', long = "output", value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// The kubectl to run (default: $KUBECTL, else `kubectl`)
    #[arg(long, value_name = "PATH")]
    pub kubectl: Option<PathBuf>,
    /// Keep the kit's namespaces after the run
    #[arg(long)]
    pub keep: bool,
    /// Seconds to wait for the servers, and again for the client Jobs
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    pub timeout: u64,
    /// Seconds to wait between the servers being ready and the clients starting, for
    /// the network plugin to program the policies
    #[arg(long, value_name = "SECONDS", default_value_t = 5)]
    pub settle: u64,
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
    #[command(flatten)]
    pub shape: ShapeArgs,
    #[command(flatten)]
    pub program: ProgramArgs,
    #[command(flatten)]
    pub diagnostics: DiagnosticArgs,
}

struct Kubectl {
    program: PathBuf,
}

impl Kubectl {
    fn new(flag: Option<&PathBuf>) -> Kubectl {
        let program = flag
            .cloned()
            .or_else(|| {
                std::env::var_os("KUBECTL")
                    .filter(|v| !v.is_empty())
                    .map(PathBuf::from)
            })
            .unwrap_or_else(|| PathBuf::from("kubectl"));
        Kubectl { program }
    }

    /// Run kubectl; its stdout, or what went wrong.
    fn run(&self, args: &[String]) -> Result<String, String> {
        let output = Command::new(&self.program)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run `{}`: {e}", self.program.display()))?;
        if output.status.success() {
            Ok(String::from_utf8_lossy(&output.stdout).into_owned())
        } else {
            Err(format!(
                "`kubectl {}` failed ({}): {}",
                args.join(" "),
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            ))
        }
    }
}

fn step(number: usize, text: &str) {
    eprintln!("probe run: [{number}/7] {text}");
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| (*s).to_owned()).collect()
}

pub fn run(args: &RunArgs) -> ExitCode {
    let (compilation, kit) =
        match compile_kit(&args.paths, &args.program, args.diagnostics, &args.shape) {
            Ok(found) => found,
            Err(status) => return status,
        };
    let temporary = match &args.output {
        Some(_) => None,
        None => match tempfile::Builder::new()
            .prefix("netpc-probe-kit.")
            .tempdir()
        {
            Ok(dir) => Some(dir),
            Err(err) => return super::fatal(format!("cannot create a temporary folder: {err}")),
        },
    };
    let dir = match (&args.output, &temporary) {
        (Some(dir), _) => dir.clone(),
        (None, Some(temp)) => temp.path().join("kit"),
        (None, None) => return ExitCode::from(EXIT_USAGE),
    };
    if let Err(status) = save(&kit, &dir, &args.paths) {
        return status;
    }
    step(1, &describe(&kit, &dir));
    let kubectl = Kubectl::new(args.kubectl.as_ref());
    let results = drive(&kubectl, &kit, &dir, args);
    if args.keep {
        step(
            7,
            &format!("kept the namespaces {}", kit.namespaces.join(", ")),
        );
    } else {
        step(
            7,
            &format!("deleting the namespaces {}", kit.namespaces.join(", ")),
        );
        let mut delete = strings(&["delete", "namespace", "--ignore-not-found", "--wait=false"]);
        delete.extend(kit.namespaces.iter().cloned());
        if let Err(err) = kubectl.run(&delete) {
            eprintln!("probe run: {err}");
        }
    }
    match results {
        Ok(text) => report(&compilation, &kit, &text, args.format),
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

/// Steps 2 to 6: the concatenated logs of the client Jobs.
fn drive(
    kubectl: &Kubectl,
    kit: &Kit,
    dir: &std::path::Path,
    args: &RunArgs,
) -> Result<String, String> {
    let timeout = format!("--timeout={}s", args.timeout);
    let folder = |part: &str| dir.join(part).display().to_string();
    step(2, "applying the namespaces, policies and servers");
    kubectl.run(&["apply".to_owned(), "-k".to_owned(), folder(SETUP)])?;
    step(3, "waiting for the servers to be ready");
    kubectl.run(&strings(&[
        "wait",
        "--for=condition=Ready",
        "pod",
        "--selector=netpc.io/kit=server",
        "--all-namespaces",
        &timeout,
    ]))?;
    step(
        4,
        &format!(
            "waiting {} s for the policies to settle, then starting the clients",
            args.settle
        ),
    );
    std::thread::sleep(Duration::from_secs(args.settle));
    kubectl.run(&["apply".to_owned(), "-k".to_owned(), folder(CLIENTS)])?;
    step(5, &format!("waiting for {} client Jobs", kit.jobs.len()));
    if let Err(err) = kubectl.run(&strings(&[
        "wait",
        "--for=condition=complete",
        "job",
        "--selector=netpc.io/kit=client",
        "--all-namespaces",
        &timeout,
    ])) {
        // Collect what there is: the report names every probe without a result.
        eprintln!("probe run: {err}");
    }
    step(6, "collecting the client Jobs' logs");
    let mut text = String::new();
    for (namespace, name) in &kit.jobs {
        match kubectl.run(&strings(&[
            "logs",
            "--namespace",
            namespace,
            &format!("job/{name}"),
        ])) {
            Ok(logs) => text.push_str(&logs),
            Err(err) => eprintln!("probe run: {err}"),
        }
    }
    Ok(text)
}
