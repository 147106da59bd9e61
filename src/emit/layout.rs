//! The output folder's files with their texts rendered on demand. Every path is known
//! up front (the writer surveys the previous output with them), and each text is
//! written into a caller's buffer when the writer compares or writes that file, so a
//! build of 117,000 files (50,000 services) never holds their 100 MB of text at once.
//! Rendering file `i` gives the same bytes as [`super::files`] holds for it: that
//! function renders a [`Layout`] in full.

use super::label_guard::{self, GuardFile};
use super::{
    EmitError, File, HEADER, MANIFEST_HEADER, PARALLEL_THRESHOLD, PolicyView, kustomization,
    policy_path, yaml,
};
use crate::lower::{Direction, NamespacePlan, Plan};
use crate::output::{self, MANIFEST};

/// A set of output files, each a `/`-separated path relative to the output folder and
/// a text written on request: what the folder writer (`netpc build -o`) reads.
pub trait FileSet: Sync {
    /// How many files.
    fn len(&self) -> usize;

    /// Whether there is no file.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The path of file `index` (empty past the last file).
    fn path(&self, index: usize) -> &str;

    /// Append the text of file `index` to `out` (nothing past the last file).
    fn render(&self, index: usize, out: &mut String) -> Result<(), EmitError>;
}

impl FileSet for [File] {
    fn len(&self) -> usize {
        <[File]>::len(self)
    }

    fn path(&self, index: usize) -> &str {
        self.get(index).map_or("", |f| f.path.as_str())
    }

    fn render(&self, index: usize, out: &mut String) -> Result<(), EmitError> {
        if let Some(file) = self.get(index) {
            out.push_str(&file.text);
        }
        Ok(())
    }
}

impl FileSet for &[File] {
    fn len(&self) -> usize {
        <[File]>::len(self)
    }

    fn path(&self, index: usize) -> &str {
        FileSet::path(*self, index)
    }

    fn render(&self, index: usize, out: &mut String) -> Result<(), EmitError> {
        (*self).render(index, out)
    }
}

impl FileSet for Vec<File> {
    fn len(&self) -> usize {
        self.as_slice().len()
    }

    fn path(&self, index: usize) -> &str {
        FileSet::path(self.as_slice(), index)
    }

    fn render(&self, index: usize, out: &mut String) -> Result<(), EmitError> {
        self.as_slice().render(index, out)
    }
}

/// What a file of the layout holds.
#[derive(Debug)]
enum Part {
    /// A text made with the layout (the namespaces' kustomizations, all alike).
    Text(String),
    /// The root kustomization.
    Root,
    /// The kustomization of one direction of every namespace.
    RootDirection(Direction),
    /// A file of the admission guard.
    Guard(GuardFile),
    /// The label contract.
    Contract,
    /// `.netpc-generated`: every other path of the layout.
    Manifest,
    /// A policy of `plan.namespaces[ns]`.
    Policy {
        ns: usize,
        direction: Direction,
        index: usize,
    },
    /// The kustomization of one direction of a namespace: its policy files.
    Kustomization { ns: usize, direction: Direction },
    /// The failsafe file of a namespace.
    Failsafe { ns: usize },
}

/// Every output file of a plan, sorted by path, the manifest last (as
/// [`super::files`] lists them), with the policies' texts rendered on demand.
#[derive(Debug)]
pub struct Layout<'p> {
    plan: &'p Plan,
    files: Vec<(String, Part)>,
}

impl<'p> Layout<'p> {
    /// The layout of `plan`: every path, and no text but the one every namespace's
    /// kustomization has.
    pub fn new(plan: &'p Plan) -> Result<Self, EmitError> {
        let mut files: Vec<(String, Part)> =
            Vec::with_capacity(plan.applied_count() + 4 * plan.namespaces.len() + 8);
        files.push((output::KUSTOMIZATION.to_owned(), Part::Root));
        for direction in Direction::BOTH {
            files.push((
                output::root_direction_kustomization(direction),
                Part::RootDirection(direction),
            ));
        }
        for (path, file) in label_guard::files(plan) {
            files.push((path, Part::Guard(file)));
        }
        files.push((output::CONTRACT.to_owned(), Part::Contract));
        let namespace_kustomization =
            kustomization(Direction::BOTH.iter().map(|d| d.as_lower()).collect())?;
        for (at, ns) in plan.namespaces.iter().enumerate() {
            for direction in Direction::BOTH {
                for (index, policy) in ns.direction(direction).iter().enumerate() {
                    files.push((
                        policy_path(ns, policy),
                        Part::Policy {
                            ns: at,
                            direction,
                            index,
                        },
                    ));
                }
                files.push((
                    output::direction_kustomization(&ns.name, direction),
                    Part::Kustomization { ns: at, direction },
                ));
            }
            files.push((
                output::namespace_kustomization(&ns.name),
                Part::Text(namespace_kustomization.clone()),
            ));
            files.push((output::failsafe(&ns.name), Part::Failsafe { ns: at }));
        }
        files.sort_by(|a, b| a.0.cmp(&b.0));
        files.push((MANIFEST.to_owned(), Part::Manifest));
        Ok(Layout { plan, files })
    }

    /// Every file with its text, rendered on up to four threads (each a contiguous
    /// run of the files); the same as rendering them one by one.
    pub fn into_files(self) -> Result<Vec<File>, EmitError> {
        let threads = std::thread::available_parallelism()
            .map_or(1, usize::from)
            .min(4);
        if threads < 2 || self.files.len() < PARALLEL_THRESHOLD {
            return self.render_run(0, self.files.len());
        }
        let run = self.files.len().div_ceil(threads);
        let parts: Vec<Result<Vec<File>, EmitError>> = std::thread::scope(|scope| {
            let layout = &self;
            let workers: Vec<_> = (0..threads)
                .map(|t| {
                    let start = (t * run).min(layout.files.len());
                    let end = (start + run).min(layout.files.len());
                    scope.spawn(move || layout.render_run(start, end))
                })
                .collect();
            workers
                .into_iter()
                .map(|w| w.join().unwrap_or(Err(EmitError::Worker)))
                .collect()
        });
        let mut files = Vec::with_capacity(self.files.len());
        for part in parts {
            files.extend(part?);
        }
        Ok(files)
    }

    /// The files `start..end` with their texts, each at its exact size: rendered into
    /// one reused buffer and copied out (a file's own string grown from the header
    /// would hold up to twice the room it needs).
    fn render_run(&self, start: usize, end: usize) -> Result<Vec<File>, EmitError> {
        let mut scratch = String::with_capacity(4096);
        let mut files = Vec::with_capacity(end.saturating_sub(start));
        for index in start..end {
            scratch.clear();
            self.render(index, &mut scratch)?;
            files.push(File {
                path: FileSet::path(self, index).to_owned(),
                text: scratch.as_str().to_owned(),
            });
        }
        Ok(files)
    }

    fn namespace(&self, ns: usize) -> Option<&'p NamespacePlan> {
        self.plan.namespaces.get(ns)
    }
}

impl FileSet for Layout<'_> {
    fn len(&self) -> usize {
        self.files.len()
    }

    fn path(&self, index: usize) -> &str {
        self.files.get(index).map_or("", |(path, _)| path.as_str())
    }

    fn render(&self, index: usize, out: &mut String) -> Result<(), EmitError> {
        let Some((_, part)) = self.files.get(index) else {
            return Ok(());
        };
        match *part {
            Part::Text(ref text) => out.push_str(text),
            Part::Root => out.push_str(&super::root_kustomization(self.plan)?),
            Part::RootDirection(direction) => {
                out.push_str(&super::root_direction_kustomization(self.plan, direction)?);
            }
            Part::Guard(file) => label_guard::render(self.plan, file, out)?,
            Part::Contract => super::contract(self.plan, out)?,
            Part::Manifest => {
                out.push_str(MANIFEST_HEADER);
                for (path, _) in self.files.iter().take(self.files.len().saturating_sub(1)) {
                    out.push_str(path);
                    out.push('\n');
                }
            }
            Part::Policy {
                ns,
                direction,
                index,
            } => {
                let Some(ns) = self.namespace(ns) else {
                    return Ok(());
                };
                if let Some(policy) = ns.direction(direction).get(index) {
                    out.push_str(HEADER);
                    yaml::write(&PolicyView::new(self.plan, ns, policy), out)?;
                }
            }
            Part::Kustomization { ns, direction } => {
                let Some(ns) = self.namespace(ns) else {
                    return Ok(());
                };
                let prefix_len = output::direction_dir(&ns.name, direction).len() + 1;
                let paths: Vec<String> = ns
                    .direction(direction)
                    .iter()
                    .map(|policy| policy_path(ns, policy))
                    .collect();
                let relative: Vec<&str> = paths
                    .iter()
                    .map(|p| p.get(prefix_len..).unwrap_or(p))
                    .collect();
                out.push_str(&kustomization(relative)?);
            }
            Part::Failsafe { ns } => {
                let Some(ns) = self.namespace(ns) else {
                    return Ok(());
                };
                failsafe(self.plan, ns, out)?;
            }
        }
        Ok(())
    }
}

/// The emergency off switch of a namespace: its allow-all policies in one file.
fn failsafe(plan: &Plan, ns: &NamespacePlan, out: &mut String) -> Result<(), EmitError> {
    out.push_str(HEADER);
    out.push_str(&format!(
        "# Emergency off switch for namespace {0}: `kubectl apply -f` this file to allow all traffic, `kubectl delete -f` it to restore the policies.\n",
        ns.name
    ));
    for (i, policy) in ns.failsafe.iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        yaml::write(&PolicyView::new(plan, ns, policy), out)?;
    }
    Ok(())
}
