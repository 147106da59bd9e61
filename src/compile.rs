//! The one compile entry: source texts in, the checked program, its lowered plan and
//! every diagnostic out. Every command that needs a program (`check`, `build`,
//! `verify`, connection `explain`, `diff`, `graph`) goes through [`compile`], so the
//! sequence parse → resolve and check → plan → errors is written once. Pure: the
//! caller reads the root files into [`Sources`] and passes a [`Loader`] for `use`.

use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::ir::Program;
use crate::lower::{self, Plan};
use crate::source::{FileId, FileKey, Loader, Origin, Sources, Span};

/// What to compile: the root files (already in `sources`), what reading them found
/// (E104 for a file that is not UTF-8), and how to read the files `use` names.
pub struct Input<'l> {
    pub sources: Sources,
    pub roots: Vec<FileId>,
    pub diagnostics: Diagnostics,
    pub loader: &'l dyn Loader,
}

/// Add a root file read as `bytes` to `sources`, under the key its loader knows it by.
/// A file that is not UTF-8 is added lossily and reported as E104 at its first bad
/// byte, so the other files are still checked. `None`: a file with this key is already
/// there (named twice), and nothing is added.
pub fn add_root(
    sources: &mut Sources,
    origin: Origin,
    key: FileKey,
    bytes: Vec<u8>,
    diagnostics: &mut Diagnostics,
) -> Option<FileId> {
    if sources.find_key(&key).is_some() {
        return None;
    }
    let (text, bad_byte) = match String::from_utf8(bytes) {
        Ok(text) => (text, None),
        Err(err) => {
            let valid_up_to = err.utf8_error().valid_up_to();
            (
                String::from_utf8_lossy(err.as_bytes()).into_owned(),
                Some(valid_up_to),
            )
        }
    };
    let id = sources.add_keyed(origin, text, key);
    if let Some(start) = bad_byte {
        let end = (start + 1).min(sources.get(id).text.len());
        diagnostics.push(
            Diagnostic::new(
                Code::InvalidEncoding,
                "file is not valid UTF-8",
                Span::new(id, start, end),
                "invalid byte here",
            )
            .with_help(
                "netp files are UTF-8 text; is this a binary file, or saved in another encoding?",
            ),
        );
    }
    Some(id)
}

/// Choices that change the output (`--enforcement`, `--cni`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    pub lower: lower::Options,
    /// `--cni NAME@VERSION`: the network plugin, over the program's `cni` setting.
    pub cni: Option<crate::cni::Profile>,
}

/// Which network plugin the program was checked against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CniChoice {
    /// This profile (from `--cni` or the program's `cni`).
    Profile(crate::cni::Profile),
    /// Neither `--cni` nor `cni` names one: checked against the NetworkPolicy API only.
    Unnamed,
    /// The program had errors before the plugin could be checked.
    NotChecked,
}

/// The phases [`compile_observed`] reports as it finishes them (for `NETPC_TIMINGS`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    ParseAndCheck,
    Plan,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::ParseAndCheck => "parse and check",
            Phase::Plan => "plan",
        }
    }
}

/// The result of a compilation. `plan` is present exactly when no stage reported an
/// error; `diagnostics` holds every diagnostic of every stage (warnings included).
#[derive(Debug)]
pub struct Compilation {
    pub sources: Sources,
    pub diagnostics: Diagnostics,
    pub plan: Option<Plan>,
    /// The network plugin the program was checked and lowered for.
    pub cni: CniChoice,
}

impl Compilation {
    /// The checked program, when the compilation succeeded.
    pub fn program(&self) -> Option<&Program> {
        self.plan.as_ref().map(|plan| &plan.program)
    }
}

/// Compile a program: parse, resolve, check and plan.
pub fn compile(input: Input<'_>, options: Options) -> Compilation {
    compile_observed(input, options, &mut |_| {})
}

/// [`compile`], calling `observe` as each phase ends.
pub fn compile_observed(
    input: Input<'_>,
    options: Options,
    observe: &mut dyn FnMut(Phase),
) -> Compilation {
    let Input {
        mut sources,
        roots,
        mut diagnostics,
        loader,
    } = input;
    let (program, checked) = crate::check(&mut sources, &roots, loader);
    diagnostics.extend(checked);
    observe(Phase::ParseAndCheck);
    let Some(mut program) = program.filter(|_| !diagnostics.has_errors()) else {
        return Compilation {
            sources,
            diagnostics,
            plan: None,
            cni: CniChoice::NotChecked,
        };
    };
    let cni = match crate::cni::apply(&mut program, options.cni, &mut diagnostics) {
        Some(profile) => CniChoice::Profile(profile),
        None if program.cni.is_some() => CniChoice::NotChecked,
        None => CniChoice::Unnamed,
    };
    if diagnostics.has_errors() {
        return Compilation {
            sources,
            diagnostics,
            plan: None,
            cni,
        };
    }
    let plan = lower::plan(program, options.lower, &mut diagnostics);
    observe(Phase::Plan);
    let plan = (!diagnostics.has_errors()).then_some(plan);
    Compilation {
        sources,
        diagnostics,
        plan,
        cni,
    }
}
