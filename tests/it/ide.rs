//! The language server's library side (`netpc::ide`) on in-memory programs: names
//! resolve as `resolve` scopes them (a namespace's own name shadows a global one),
//! rename refuses a name that a global one would be shadowed by and never edits the
//! standard library, and hover keeps the last error-free plan while the program has
//! errors.

use netpc::compile::{Input, Options, add_root, compile};
use netpc::diagnostic::Diagnostics;
use netpc::ide::Analysis;
use netpc::source::{FileId, FileKey, LoadFailure, Loader, Origin, Sources};

struct NoFiles;

impl Loader for NoFiles {
    fn locate(&self, _: &FileKey, _: &str) -> Result<FileKey, LoadFailure> {
        Err(LoadFailure::NotFound)
    }
    fn read(&self, _: &FileKey) -> Result<String, LoadFailure> {
        Err(LoadFailure::NotFound)
    }
}

fn analyse(text: &str, previous: Option<Analysis>) -> Analysis {
    let mut sources = Sources::new();
    let mut diagnostics = Diagnostics::new();
    let root = add_root(
        &mut sources,
        Origin::File("main.netp".into()),
        FileKey::new("main.netp"),
        text.as_bytes().to_vec(),
        &mut diagnostics,
    )
    .unwrap();
    let input = Input {
        sources,
        roots: vec![root],
        diagnostics,
        loader: &NoFiles,
    };
    Analysis::new(compile(input, Options::default()), &NoFiles, previous)
}

fn offset(text: &str, needle: &str, nth: usize) -> u32 {
    let mut at = 0;
    for _ in 0..=nth {
        at = text[at..].find(needle).unwrap() + at + 1;
    }
    (at - 1) as u32
}

const PROGRAM: &str = "\
external db = 10.0.0.0/8;
namespace a {
  use std/dns;
  service db { port 5432; }
  service web { port 80; }
  web needs db:5432;
}
namespace b {
  use std/dns;
  service job;
  job needs db:5432;
}
";

#[test]
fn a_namespace_name_shadows_a_global_one() {
    let analysis = analyse(PROGRAM, None);
    let file = FileId(0);
    // In `a`, `db` is the service; in `b`, the external.
    let in_a = analysis
        .definition(file, offset(PROGRAM, "db:", 0))
        .unwrap();
    assert_eq!(in_a.start, offset(PROGRAM, "db {", 0));
    let in_b = analysis
        .definition(file, offset(PROGRAM, "db:", 1))
        .unwrap();
    assert_eq!(in_b.start, offset(PROGRAM, "db =", 0));
    let refs = analysis.references(file, offset(PROGRAM, "db =", 0), false);
    assert_eq!(refs.len(), 1);
    assert_eq!(refs[0].start, offset(PROGRAM, "db:", 1));
}

#[test]
fn rename_refusals() {
    let analysis = analyse(PROGRAM, None);
    let file = FileId(0);
    // The external `db` renamed to `web` would be shadowed by `a/web`.
    let refused = analysis
        .rename(file, offset(PROGRAM, "db =", 0), "web")
        .unwrap_err();
    assert_eq!(
        refused,
        "`web` is already taken by the service `a/web` (main.netp:5)"
    );
    // A service of `b` may take a name `a` has.
    let edits = analysis
        .rename(file, offset(PROGRAM, "job;", 0), "web")
        .unwrap();
    assert_eq!(edits.len(), 2);
    // A service declared by std/dns (`kube-system/kube-dns`) is not renamed.
    let dns = analysis
        .sources
        .iter()
        .find(|(_, f)| matches!(&f.origin, Origin::Std(n) if n == "dns"))
        .map(|(id, f)| (id, f.text.clone()))
        .unwrap();
    let at = offset(&dns.1, "kube-dns {", 0);
    let message = analysis.prepare_rename(dns.0, at).unwrap_err();
    assert!(message.contains("standard library"), "{message}");
}

#[test]
fn hover_keeps_the_last_plan_while_there_are_errors() {
    let good = analyse(PROGRAM, None);
    let hover = good.hover(FileId(0), offset(PROGRAM, "db {", 0)).unwrap();
    assert!(
        hover.markdown.contains("- `a/web` on `5432/TCP`"),
        "{}",
        hover.markdown
    );
    assert!(!hover.markdown.contains("last compilation"));
    let broken_text = PROGRAM.replace("job needs db", "job needs dbx");
    let broken = analyse(&broken_text, Some(good));
    assert!(broken.diagnostics.has_errors());
    let hover = broken
        .hover(FileId(0), offset(&broken_text, "db {", 0))
        .unwrap();
    assert!(
        hover.markdown.contains("- `a/web` on `5432/TCP`"),
        "{}",
        hover.markdown
    );
    assert!(
        hover
            .markdown
            .contains("*From the last compilation without errors.*")
    );
    let needs = broken
        .hover(FileId(0), offset(&broken_text, "needs dbx", 0))
        .unwrap();
    assert!(
        needs.markdown.contains("once the program compiles"),
        "{}",
        needs.markdown
    );
}
