//! The language server's view of the disk and the editor: the workspace folder, its
//! `.netp` files (found once, again when files are saved, created or deleted), the
//! open documents (overlays, edited in memory) and the texts read from disk (read once
//! per file until it changes). Compiles them all as one program through
//! [`crate::compile`], with a loader that serves `use`d files from the overlays first,
//! and publishes the diagnostics of every file, clearing files that have none left.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use lsp_server::{Connection, Message, Notification};
use lsp_types::notification::{Notification as _, PublishDiagnostics};
use lsp_types::{
    DidChangeTextDocumentParams, DidCloseTextDocumentParams, DidOpenTextDocumentParams,
    InitializeParams, PublishDiagnosticsParams, Url,
};

use super::protocol;
use crate::cli::FsLoader;
use crate::cli::read::{NETP_LIMIT, read_bounded};
use crate::compile::{Input, Options, add_root, compile};
use crate::diagnostic::Diagnostics;
use crate::ide::Analysis;
use crate::ide::lines::{Encoding, LineIndex};
use crate::source::{FileId, FileKey, LoadFailure, Loader, Origin, Sources};

/// At most this many `.netp` files of the workspace folder are compiled
/// (docs/limits.md); open documents always are.
pub const MAX_FILES: usize = 10_000;

/// An open document: its text as the editor has it.
pub struct Document {
    pub uri: Url,
    pub text: String,
}

pub struct Workspace {
    root: Option<PathBuf>,
    pub encoding: Encoding,
    /// Open documents by path (canonical when the file exists).
    documents: BTreeMap<PathBuf, Document>,
    /// The workspace folder's `.netp` files, canonical, sorted.
    files: Vec<PathBuf>,
    /// Texts read from disk, by canonical path.
    disk: BTreeMap<PathBuf, String>,
    analysis: Option<Analysis>,
    stale: bool,
    /// Files whose diagnostics were last published non-empty.
    published: BTreeSet<Url>,
}

/// The workspace folder: the first workspace folder, else the root URI.
pub fn root_of(params: &InitializeParams) -> Option<PathBuf> {
    let folder = params
        .workspace_folders
        .as_ref()
        .and_then(|folders| folders.first())
        .map(|f| f.uri.clone());
    #[allow(deprecated, reason = "older clients send only rootUri")]
    let uri = folder.or_else(|| params.root_uri.clone())?;
    let path = uri.to_file_path().ok()?;
    std::fs::canonicalize(&path).ok().filter(|p| p.is_dir())
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

impl Workspace {
    pub fn new(root: Option<PathBuf>, encoding: Encoding) -> Workspace {
        let mut workspace = Workspace {
            root,
            encoding,
            documents: BTreeMap::new(),
            files: Vec::new(),
            disk: BTreeMap::new(),
            analysis: None,
            stale: true,
            published: BTreeSet::new(),
        };
        workspace.scan();
        workspace
    }

    fn scan(&mut self) {
        self.files = match &self.root {
            Some(root) => crate::cli::load::find_files(std::slice::from_ref(root))
                .unwrap_or_default()
                .iter()
                .map(|p| canonical(p))
                .take(MAX_FILES)
                .collect(),
            None => Vec::new(),
        };
        self.disk.clear();
    }

    pub fn is_stale(&self) -> bool {
        self.stale
    }

    pub fn analysis(&self) -> Option<&Analysis> {
        self.analysis.as_ref()
    }

    /// The file of the analysis that the document `uri` is.
    pub fn file_of(&self, uri: &Url) -> Option<FileId> {
        let path = canonical(&uri.to_file_path().ok()?);
        self.analysis
            .as_ref()?
            .sources
            .find_key(&FileKey::new(path))
    }

    /// Where file `id` of the analysis is, for the editor (`None`: a standard-library
    /// module, which has no file).
    pub fn uri_of(&self, id: FileId) -> Option<Url> {
        let file = self.analysis.as_ref()?.sources.try_get(id)?;
        Url::from_file_path(file.key.as_ref()?.path()).ok()
    }

    pub fn line_index(&self, id: FileId) -> Option<LineIndex> {
        let file = self.analysis.as_ref()?.sources.try_get(id)?;
        Some(LineIndex::from_starts(file.line_starts()))
    }

    /// Act on a notification: documents opened, changed, saved or closed, files
    /// created or deleted.
    pub fn notify(&mut self, notification: Notification) {
        match notification.method.as_str() {
            "textDocument/didOpen" => {
                if let Ok(p) =
                    serde_json::from_value::<DidOpenTextDocumentParams>(notification.params)
                {
                    self.open(p.text_document.uri, p.text_document.text);
                }
            }
            "textDocument/didChange" => {
                if let Ok(p) =
                    serde_json::from_value::<DidChangeTextDocumentParams>(notification.params)
                {
                    self.change(&p);
                }
            }
            "textDocument/didClose" => {
                if let Ok(p) =
                    serde_json::from_value::<DidCloseTextDocumentParams>(notification.params)
                {
                    if let Ok(path) = p.text_document.uri.to_file_path() {
                        self.documents.remove(&canonical(&path));
                    }
                    self.stale = true;
                }
            }
            "textDocument/didSave" | "workspace/didChangeWatchedFiles" => {
                self.scan();
                self.stale = true;
            }
            _ => {}
        }
    }

    fn open(&mut self, uri: Url, text: String) {
        let Ok(path) = uri.to_file_path() else {
            return;
        };
        self.documents
            .insert(canonical(&path), Document { uri, text });
        self.stale = true;
    }

    fn change(&mut self, params: &DidChangeTextDocumentParams) {
        let Ok(path) = params.text_document.uri.to_file_path() else {
            return;
        };
        let encoding = self.encoding;
        let Some(document) = self.documents.get_mut(&canonical(&path)) else {
            return;
        };
        for change in &params.content_changes {
            match change.range {
                None => document.text.clone_from(&change.text),
                Some(range) => {
                    let lines = LineIndex::new(&document.text);
                    let at = |p: lsp_types::Position| {
                        lines.offset(&document.text, p.line, p.character, encoding)
                    };
                    let (start, end) = (at(range.start), at(range.end));
                    let end = end.max(start);
                    document.text.replace_range(start..end, &change.text);
                }
            }
        }
        self.stale = true;
    }

    /// The text of a root file: the open document's, else the disk's (read once).
    fn text(&mut self, path: &Path) -> Option<Vec<u8>> {
        if let Some(document) = self.documents.get(path) {
            return Some(document.text.clone().into_bytes());
        }
        if let Some(text) = self.disk.get(path) {
            return Some(text.clone().into_bytes());
        }
        let bytes = read_bounded(path, NETP_LIMIT).ok()?;
        if let Ok(text) = String::from_utf8(bytes.clone()) {
            self.disk.insert(path.to_path_buf(), text);
        }
        Some(bytes)
    }

    /// Compile the workspace again and publish what changed in its diagnostics.
    pub fn refresh(&mut self, connection: &Connection) {
        self.stale = false;
        let mut paths = self.files.clone();
        paths.extend(self.documents.keys().cloned());
        paths.sort();
        paths.dedup();
        let mut sources = Sources::new();
        let mut roots = Vec::new();
        let mut diagnostics = Diagnostics::new();
        for path in paths {
            let Some(bytes) = self.text(&path) else {
                continue;
            };
            let shown = match &self.root {
                Some(root) => path.strip_prefix(root).unwrap_or(&path).to_path_buf(),
                None => path.clone(),
            };
            let key = FileKey::new(path.clone());
            roots.extend(add_root(
                &mut sources,
                Origin::File(shown),
                key,
                bytes,
                &mut diagnostics,
            ));
        }
        let fs = FsLoader::for_program(&sources, &roots, &[]).unwrap_or_default();
        let loader = Overlays {
            fs,
            documents: &self.documents,
        };
        let input = Input {
            sources,
            roots,
            diagnostics,
            loader: &loader,
        };
        let compilation = compile(input, Options::default());
        self.analysis = Some(Analysis::new(compilation, &loader, self.analysis.take()));
        self.publish(connection);
    }

    fn publish(&mut self, connection: &Connection) {
        let Some(analysis) = &self.analysis else {
            return;
        };
        let mut by_file: BTreeMap<Url, Vec<lsp_types::Diagnostic>> = BTreeMap::new();
        for uri in self.documents.values().map(|d| d.uri.clone()) {
            by_file.entry(uri).or_default();
        }
        for uri in &self.published {
            by_file.entry(uri.clone()).or_default();
        }
        let (shown, _) = crate::render::shown(&analysis.diagnostics);
        for diagnostic in shown {
            let Some(uri) = self.uri_of(diagnostic.primary.span.file) else {
                continue;
            };
            let converted = protocol::diagnostic(self, diagnostic);
            by_file.entry(uri).or_default().push(converted);
        }
        self.published.clear();
        for (uri, diagnostics) in by_file {
            if !diagnostics.is_empty() {
                self.published.insert(uri.clone());
            }
            let params = PublishDiagnosticsParams {
                uri,
                diagnostics,
                version: None,
            };
            let notification = Notification::new(PublishDiagnostics::METHOD.to_owned(), params);
            let _ = connection.sender.send(Message::Notification(notification));
        }
    }
}

/// The loader of `use "file"`: open documents first, then the disk.
struct Overlays<'d> {
    fs: FsLoader,
    documents: &'d BTreeMap<PathBuf, Document>,
}

impl Loader for Overlays<'_> {
    fn locate(&self, from: &FileKey, path: &str) -> Result<FileKey, LoadFailure> {
        self.fs.locate(from, path)
    }

    fn read(&self, key: &FileKey) -> Result<String, LoadFailure> {
        match self.documents.get(key.path()) {
            Some(document) => Ok(document.text.clone()),
            None => self.fs.read(key),
        }
    }
}
