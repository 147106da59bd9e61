//! `netpc verify`: the proof that compiled manifests allow exactly the connections a
//! program declares. The expected side ([`expected`]) is computed from the IR alone;
//! the actual side evaluates the compiled NetworkPolicy objects with the independent
//! evaluator (`analyze`) on probe pods built from the label contract (`probe`). The
//! comparison ([`compare`]) is per ordered pair of probes and sample addresses, as
//! connection sets over every port of TCP, UDP and SCTP. Pure: the CLI reads folders and
//! prints. It must never compute an expectation from `lower`'s plan or objects; `lower`
//! and `emit` are only used ([`compiled`]) to produce the manifests being verified.
//!
//! # Library API
//!
//! ```text
//! let compiled = netpc::compile(input, options);                    // the program and its plan
//! let plan = compiled.plan.unwrap();
//! let folder = verify::compiled(&plan)?;                             // or output::read(files)?
//! let report = verify::verify(&plan.program, folder, verify::Options::default())?;
//! report.matches();                                               // exit status 0 / 1
//! print!("{}", verify::render(&report, &program, &sources));
//! // the expected side alone, for diff/graph/explain:
//! let model = verify::Expectation::new(&program, None);
//! for src in model.pods() { for dst in model.pods() { model.between(src, dst).declared; } }
//! ```

pub mod compare;
pub mod expected;
pub mod pairs;
pub mod report;
pub mod samples;

pub use compare::{
    ASSUMED_POD_NETWORK, Finding, FindingKind, Involved, Involvement, Options, Report, verify,
    verify_pairs,
};
pub use expected::{Expectation, Expected, PodRole, Point};
pub use pairs::Pairs;
pub use report::{json, render};

use crate::lower::Plan;
use crate::output::Folder;

/// Emit `plan` in memory (as `netpc build` does) and read the result as verify reads
/// an output folder. `Err`: emitting or re-reading failed, a bug in netpc.
pub fn compiled(plan: &Plan) -> Result<Folder, String> {
    let files = crate::emit::files(plan).map_err(|e| e.to_string())?;
    crate::output::read(files.iter().map(|f| (f.path.as_str(), f.text.as_str())))
        .map_err(|e| e.to_string())
}
