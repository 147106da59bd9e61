//! The writer with texts rendered on demand (`emit::FileSet`): each file's text is
//! rendered once per build when the folder is compared and written, never again for a
//! file the comparison found unchanged, and a text that cannot be rendered fails the
//! build before anything is replaced.

use std::fs;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::tests::{assert_only, read_tree, three_chunks_and_more as many, write};
use crate::emit::{EmitError, File, FileSet};
use crate::output::MANIFEST;

/// Files whose renders are counted, and one of which may fail to render.
struct Counted {
    files: Vec<File>,
    renders: Vec<AtomicUsize>,
    fails: Option<usize>,
}

impl Counted {
    fn new(files: Vec<File>, fails: Option<usize>) -> Counted {
        let renders = files.iter().map(|_| AtomicUsize::new(0)).collect();
        Counted {
            files,
            renders,
            fails,
        }
    }

    /// How often each file was rendered since the last call.
    fn taken(&self) -> Vec<usize> {
        self.renders
            .iter()
            .map(|n| n.swap(0, Ordering::Relaxed))
            .collect()
    }
}

impl FileSet for Counted {
    fn len(&self) -> usize {
        self.files.len()
    }

    fn path(&self, index: usize) -> &str {
        FileSet::path(&self.files, index)
    }

    fn render(&self, index: usize, out: &mut String) -> Result<(), EmitError> {
        self.renders[index].fetch_add(1, Ordering::Relaxed);
        if self.fails == Some(index) {
            return Err(EmitError::Worker);
        }
        self.files.render(index, out)
    }
}

#[test]
fn each_text_is_rendered_once_per_build_and_twice_only_where_it_changed() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let built = Counted::new(many(), None);
    super::write(&out, &built, &[]).unwrap();
    assert!(built.taken().iter().all(|&n| n == 1), "a first write");
    super::write(&out, &built, &[]).unwrap();
    assert!(
        built.taken().iter().all(|&n| n == 1),
        "an identical rebuild"
    );
    for changed in [3, super::tree::WRITE_CHUNK + 1, built.files.len() - 2] {
        let mut edited = built.files.clone();
        edited[changed].text = format!("changed {changed}\n");
        let edited = Counted::new(edited, None);
        super::write(&out, &edited, &[]).unwrap();
        let renders = edited.taken();
        for (index, &n) in renders.iter().enumerate() {
            // Compared and found different, then written; every other file once: in
            // the comparison (and linked) or, after the difference, in the writer.
            let expected = if index == changed { 2 } else { 1 };
            assert_eq!(n, expected, "file {index} after changing {changed}");
        }
        let got = read_tree(&out);
        for file in &edited.files {
            assert_eq!(got[&file.path], file.text, "{}", file.path);
        }
        write(&out, &built.files).unwrap();
    }
}

#[test]
fn a_text_that_cannot_be_rendered_fails_the_build_and_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let built = many();
    let failing = |at: usize| Counted::new(built.clone(), Some(at));
    // A first write leaves no output folder and no staging folder.
    let err = super::write(&out, &failing(700), &[]).unwrap_err();
    assert_eq!(err.what, "cannot produce the text of", "{err}");
    assert_eq!(err.path, std::path::Path::new(&built[700].path));
    assert_only(tmp.path(), &[]);
    // A rebuild over an output leaves it as it was, whichever file fails: an early
    // one, one past the first chunk, the manifest.
    write(&out, &built).unwrap();
    let before = read_tree(&out);
    for at in [0, super::tree::WRITE_CHUNK + 3, built.len() - 1] {
        let err = super::write(&out, &failing(at), &[]).unwrap_err();
        assert_eq!(err.what, "cannot produce the text of", "{err}");
        assert_eq!(err.path, std::path::Path::new(&built[at].path), "{at}");
        assert_eq!(read_tree(&out), before, "{at}");
        assert_only(tmp.path(), &["out"]);
    }
    assert_eq!(built[built.len() - 1].path, MANIFEST);
    // `--check` reports it too, and writes nothing.
    let err = super::check(&out, &failing(5)).unwrap_err();
    assert_eq!(err.what, "cannot produce the text of", "{err}");
    assert_eq!(read_tree(&out), before);
    assert!(fs::symlink_metadata(out.join(MANIFEST)).is_ok());
}
