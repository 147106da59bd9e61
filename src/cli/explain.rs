//! `netpc explain CODE`: the long description of a diagnostic code, with an example.
//! `netpc explain SRC DST[:PORT[/PROTO]] [PATH...] [--format text|json]`: whether a connection is allowed by
//! the program's compiled policies, the policy objects that decide it at each end, and
//! the `.netp` lines responsible (built by `crate::insight::connection`). Exit 0 (with
//! `--exit-code`: 1 when a connection is denied), 1 when the program has errors, 2 on
//! usage errors.

mod json;

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use super::program::compiled;
use super::{DiagnosticArgs, EXIT_INPUT, EXIT_USAGE, MessageFormat, fatal};
use crate::analyze::{Analysis, Options};
use crate::diagnostic::Code;
use crate::insight::connection::{self as explain_connection, End};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ExplainFormat {
    /// the verdict, each end's policies and the `.netp` lines, rustc style
    #[default]
    Text,
    /// one JSON object (docs/schemas/explain-connection.schema.json)
    Json,
}

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  netpc explain E204                         what a diagnostic code means
  netpc explain grid/plotter grid/api:443 netp
  netpc explain grid/plotter grid/api netp --format json --exit-code")]
pub struct ExplainArgs {
    /// A diagnostic code such as `E204` or `W001`; or a connection: `SRC DST[:PORT[/PROTO]]`
    /// then the program's `.netp` files or folders (default `.`). SRC and DST are
    /// `ns/service`, `service` (when one namespace has it), `ns/*` or an IP address
    #[arg(
        required = true,
        value_name = "CODE | SRC DST[:PORT[/PROTO]] [PATH...]"
    )]
    pub args: Vec<String>,
    /// For a connection: exit 1 when it is denied
    #[arg(long)]
    pub exit_code: bool,
    /// For a connection: how to print the explanation
    #[arg(long, value_enum, default_value_t = ExplainFormat::Text)]
    pub format: ExplainFormat,
    #[command(flatten)]
    pub program: super::ProgramArgs,
    #[command(flatten)]
    pub diagnostics: DiagnosticArgs,
}

pub fn run(args: &ExplainArgs) -> ExitCode {
    match args.args.as_slice() {
        [code] => explain_code(code),
        [_, _, ..] if args.diagnostics.message_format == MessageFormat::Sarif => fatal(
            "`--message-format sarif` is for `check`, `build` and `verify`; `explain` prints diagnostics as human, json or github",
        ),
        [src, dst, paths @ ..] => {
            let paths: Vec<PathBuf> = paths.iter().map(PathBuf::from).collect();
            explain_connection_cmd(args, src, dst, &paths)
        }
        [] => fatal("give a diagnostic code, or a source and a destination"),
    }
}

fn explain_code(text: &str) -> ExitCode {
    match Code::parse(text) {
        Some(code) => {
            print!("{}", code.explanation());
            ExitCode::SUCCESS
        }
        None if text.contains('/') || text.parse::<std::net::IpAddr>().is_ok() => fatal(format!(
            "`{text}` is one end of a connection: give a source and a destination, `netpc explain SRC DST[:PORT[/PROTO]] [PATH...]`"
        )),
        None => {
            let known: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
            eprintln!("error: `{text}` is not a netpc diagnostic code");
            match crate::diagnostic::did_you_mean(&text.to_ascii_uppercase(), known.iter().copied())
            {
                Some(near) => eprintln!("help: did you mean `{near}`?"),
                None => eprintln!(
                    "help: codes look like E100, E204 or W001; run `netpc check` to see them"
                ),
            }
            ExitCode::from(EXIT_USAGE)
        }
    }
}

fn explain_connection_cmd(args: &ExplainArgs, src: &str, dst: &str, paths: &[PathBuf]) -> ExitCode {
    let src_end = match explain_connection::parse_end(src) {
        Ok(end) => end,
        Err(message) => return fatal(message),
    };
    let (dst_end, port) = match explain_connection::parse_destination(dst) {
        Ok(parsed) => parsed,
        Err(message) => return fatal(message),
    };
    let compiled = match compiled(
        paths,
        &args.program,
        crate::compile::Options::default(),
        args.diagnostics,
    ) {
        Ok(compiled) => compiled,
        Err(status) => return status,
    };
    let (sources, Some(plan)) = (&compiled.sources, &compiled.plan) else {
        return ExitCode::from(EXIT_INPUT);
    };
    let program = &plan.program;
    let (src_end, dst_end) = match (
        explain_connection::resolve_bare(program, src_end),
        explain_connection::resolve_bare(program, dst_end),
    ) {
        (Ok(s), Ok(d)) => (s, d),
        (Err(message), _) | (_, Err(message)) => return fatal(message),
    };
    if matches!((&src_end, &dst_end), (End::Ip(_), End::Ip(_))) {
        return fatal("one end must be a pod: `ns/service` or `ns/*`");
    }
    let ports = match explain_connection::ports(program, &dst_end, port.as_ref()) {
        Ok(ports) => ports,
        Err(message) => return fatal(message),
    };
    let side = match crate::verify::compiled(plan) {
        Ok(folder) => crate::insight::side::from_folder(folder),
        Err(message) => return fatal(message),
    };
    let analysis = match Analysis::new(&side.probes.cluster, Options::default()) {
        Ok(analysis) => analysis,
        Err(errors) => {
            for error in errors {
                eprintln!("error: {error}");
            }
            return ExitCode::from(EXIT_INPUT);
        }
    };
    let ids = match (
        explain_connection::endpoint(&side.probes, &src_end),
        explain_connection::endpoint(&side.probes, &dst_end),
    ) {
        (Ok(s), Ok(d)) => (s, d),
        (Err(message), _) | (_, Err(message)) => return fatal(message),
    };
    let query = Query {
        texts: (src, dst),
        ends: (&src_end, &dst_end),
        ids,
    };
    explain_ports(args, sources, program, &analysis, &query, ports)
}

/// One connection being explained: the ends as written, parsed, and as probe pods.
struct Query<'q> {
    texts: (&'q str, &'q str),
    ends: (&'q End, &'q End),
    ids: (crate::analyze::Endpoint, crate::analyze::Endpoint),
}

/// The verdict for every port asked about, printed as text or JSON.
fn explain_ports(
    args: &ExplainArgs,
    sources: &crate::source::Sources,
    program: &crate::ir::Program,
    analysis: &Analysis<'_>,
    query: &Query<'_>,
    ports: Vec<(crate::analyze::Protocol, u16)>,
) -> ExitCode {
    let color = args.diagnostics.color.enabled();
    let (mut denied, mut text, mut explained) = (false, Vec::new(), Vec::new());
    for (protocol, number) in ports {
        let verdict = explain_connection::verdict(
            sources,
            program,
            analysis,
            (query.ends.0, query.ids.0),
            (query.ends.1, query.ids.1),
            protocol,
            number,
        );
        denied |= !verdict.allowed;
        match args.format {
            ExplainFormat::Json => explained.push(json::port(
                sources,
                analysis,
                query.ids,
                (protocol, number),
                &verdict,
            )),
            ExplainFormat::Text => push_text(&mut text, sources, &verdict, color),
        }
    }
    let out = match args.format {
        ExplainFormat::Json => {
            json::connection(query.texts.0, query.texts.1, explained).into_bytes()
        }
        ExplainFormat::Text => text,
    };
    finish(&out, args.exit_code && denied)
}

/// Writes the explanation; exit 1 when `fail` (a denied connection under `--exit-code`).
fn finish(out: &[u8], fail: bool) -> ExitCode {
    let mut stdout = std::io::stdout().lock();
    if let Err(err) = stdout.write_all(out).and_then(|()| stdout.flush())
        && err.kind() != std::io::ErrorKind::BrokenPipe
    {
        return fatal(format!("cannot write the output: {err}"));
    }
    if fail {
        ExitCode::from(EXIT_INPUT)
    } else {
        ExitCode::SUCCESS
    }
}

/// Appends one port's verdict and its `.netp` lines, a blank line between blocks.
fn push_text(
    out: &mut Vec<u8>,
    sources: &crate::source::Sources,
    verdict: &explain_connection::Verdict,
    color: bool,
) {
    if !out.is_empty() && !out.ends_with(b"\n\n") {
        out.push(b'\n');
    }
    out.extend_from_slice(verdict.text.as_bytes());
    for snippet in &verdict.snippets {
        if !out.ends_with(b"\n\n") {
            out.push(b'\n');
        }
        out.extend_from_slice(&crate::render::note(
            sources,
            &snippet.message,
            &snippet.labels,
            &snippet.notes,
            color,
        ));
    }
}
