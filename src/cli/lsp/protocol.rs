//! Requests answered from the analysis, and the conversion between the library's
//! spans and the protocol's ranges (in the negotiated position encoding). Diagnostics
//! carry what `check --message-format json` prints (`render::json_diagnostic`): the
//! same code, message, span, labels, notes and help, with the JSON object itself as
//! the diagnostic's `data`.

use std::collections::HashMap;

use lsp_server::{ErrorCode, Request, RequestId, Response};
use lsp_types::{
    CompletionItem, CompletionItemKind, CompletionParams, CompletionResponse,
    DiagnosticRelatedInformation, DiagnosticSeverity, DocumentFormattingParams,
    GotoDefinitionParams, Hover, HoverContents, HoverParams, Location, MarkupContent, MarkupKind,
    NumberOrString, Position, Range, ReferenceParams, RenameParams, TextDocumentPositionParams,
    TextEdit, Url, WorkspaceEdit,
};
use serde::de::DeserializeOwned;

use super::workspace::Workspace;
use crate::diagnostic::{Diagnostic, Severity};
use crate::ide::CompletionKind;
use crate::source::{FileId, Span};

/// The answer to one request (an error response for a bad or unknown one).
pub fn answer(workspace: &Workspace, request: Request) -> Response {
    let id = request.id.clone();
    let result = match request.method.as_str() {
        "textDocument/hover" => with(request, |p: HoverParams| {
            hover(workspace, &p.text_document_position_params)
        }),
        "textDocument/definition" => with(request, |p: GotoDefinitionParams| {
            definition(workspace, &p.text_document_position_params)
        }),
        "textDocument/references" => with(request, |p: ReferenceParams| references(workspace, &p)),
        "textDocument/completion" => with(request, |p: CompletionParams| {
            completion(workspace, &p.text_document_position)
        }),
        "textDocument/prepareRename" => with(request, |p: TextDocumentPositionParams| {
            prepare_rename(workspace, &p)
        }),
        "textDocument/rename" => with(request, |p: RenameParams| rename(workspace, &p)),
        "textDocument/formatting" => with(request, |p: DocumentFormattingParams| {
            formatting(workspace, &p.text_document.uri)
        }),
        other => Err((
            ErrorCode::MethodNotFound,
            format!("netpc lsp does not answer `{other}`"),
        )),
    };
    respond(id, result)
}

type Answer = Result<serde_json::Value, (ErrorCode, String)>;

fn with<P: DeserializeOwned>(request: Request, f: impl FnOnce(P) -> Answer) -> Answer {
    let params = serde_json::from_value(request.params)
        .map_err(|e| (ErrorCode::InvalidParams, format!("{}: {e}", request.method)))?;
    f(params)
}

fn respond(id: RequestId, result: Answer) -> Response {
    match result {
        Ok(value) => Response {
            id,
            result: Some(value),
            error: None,
        },
        Err((code, message)) => Response::new_err(id, code as i32, message),
    }
}

fn json(value: impl serde::Serialize) -> Answer {
    serde_json::to_value(value).map_err(|e| (ErrorCode::InternalError, e.to_string()))
}

/// The file and byte offset of a protocol position.
fn locate(workspace: &Workspace, at: &TextDocumentPositionParams) -> Option<(FileId, u32)> {
    let file = workspace.file_of(&at.text_document.uri)?;
    let analysis = workspace.analysis()?;
    let text = &analysis.sources.get(file).text;
    let lines = workspace.line_index(file)?;
    let offset = lines.offset(
        text,
        at.position.line,
        at.position.character,
        workspace.encoding,
    );
    Some((file, u32::try_from(offset).unwrap_or(u32::MAX)))
}

/// The protocol range of a span.
pub fn range(workspace: &Workspace, span: Span) -> Option<Range> {
    let analysis = workspace.analysis()?;
    let text = &analysis.sources.try_get(span.file)?.text;
    let lines = workspace.line_index(span.file)?;
    let position = |offset: u32| {
        let (line, character) = lines.position(text, offset as usize, workspace.encoding);
        Position { line, character }
    };
    Some(Range {
        start: position(span.start),
        end: position(span.end),
    })
}

fn location(workspace: &Workspace, span: Span) -> Option<Location> {
    Some(Location {
        uri: workspace.uri_of(span.file)?,
        range: range(workspace, span)?,
    })
}

fn hover(workspace: &Workspace, at: &TextDocumentPositionParams) -> Answer {
    let found = locate(workspace, at).and_then(|(file, offset)| {
        let hover = workspace.analysis()?.hover(file, offset)?;
        Some(Hover {
            contents: HoverContents::Markup(MarkupContent {
                kind: MarkupKind::Markdown,
                value: hover.markdown,
            }),
            range: range(workspace, hover.span),
        })
    });
    json(found)
}

fn definition(workspace: &Workspace, at: &TextDocumentPositionParams) -> Answer {
    let found = locate(workspace, at).and_then(|(file, offset)| {
        let span = workspace.analysis()?.definition(file, offset)?;
        location(workspace, span)
    });
    json(found)
}

fn references(workspace: &Workspace, params: &ReferenceParams) -> Answer {
    let at = &params.text_document_position;
    let found: Vec<Location> = locate(workspace, at)
        .and_then(|(file, offset)| {
            let analysis = workspace.analysis()?;
            let spans = analysis.references(file, offset, params.context.include_declaration);
            Some(
                spans
                    .into_iter()
                    .filter_map(|s| location(workspace, s))
                    .collect(),
            )
        })
        .unwrap_or_default();
    json(found)
}

fn completion(workspace: &Workspace, at: &TextDocumentPositionParams) -> Answer {
    let items: Vec<CompletionItem> = locate(workspace, at)
        .and_then(|(file, offset)| Some(workspace.analysis()?.completions(file, offset)))
        .unwrap_or_default()
        .into_iter()
        .map(|c| CompletionItem {
            label: c.label,
            kind: Some(match c.kind {
                CompletionKind::Keyword => CompletionItemKind::KEYWORD,
                CompletionKind::Module => CompletionItemKind::MODULE,
                CompletionKind::Namespace => CompletionItemKind::FOLDER,
                CompletionKind::Service => CompletionItemKind::CLASS,
                CompletionKind::Group => CompletionItemKind::ENUM,
                CompletionKind::External => CompletionItemKind::CONSTANT,
            }),
            detail: Some(c.detail),
            ..CompletionItem::default()
        })
        .collect();
    json(CompletionResponse::Array(items))
}

fn prepare_rename(workspace: &Workspace, at: &TextDocumentPositionParams) -> Answer {
    let (file, offset) = locate(workspace, at).ok_or(no_document())?;
    let analysis = workspace.analysis().ok_or(no_document())?;
    let span = analysis
        .prepare_rename(file, offset)
        .map_err(|m| (ErrorCode::InvalidRequest, m))?;
    json(range(workspace, span))
}

fn no_document() -> (ErrorCode, String) {
    (
        ErrorCode::InvalidParams,
        "this document is not part of the workspace".to_owned(),
    )
}

fn rename(workspace: &Workspace, params: &RenameParams) -> Answer {
    let at = &params.text_document_position;
    let (file, offset) = locate(workspace, at).ok_or(no_document())?;
    let analysis = workspace.analysis().ok_or(no_document())?;
    let spans = analysis
        .rename(file, offset, &params.new_name)
        .map_err(|m| (ErrorCode::InvalidRequest, m))?;
    let mut changes: HashMap<Url, Vec<TextEdit>> = HashMap::new();
    for span in spans {
        if let Some(place) = location(workspace, span) {
            changes.entry(place.uri).or_default().push(TextEdit {
                range: place.range,
                new_text: params.new_name.clone(),
            });
        }
    }
    json(WorkspaceEdit {
        changes: Some(changes),
        ..WorkspaceEdit::default()
    })
}

/// The whole document formatted by `netpc fmt` (`crate::fmt::format`), as one edit;
/// no edit when it is already formatted; an error when it has syntax errors.
fn formatting(workspace: &Workspace, uri: &Url) -> Answer {
    let file = workspace.file_of(uri).ok_or(no_document())?;
    let analysis = workspace.analysis().ok_or(no_document())?;
    let text = &analysis.sources.get(file).text;
    let formatted = crate::fmt::format(file, text).map_err(|diagnostics| {
        let first = diagnostics.iter().next().map_or(String::new(), |d| {
            format!(": {} {}", d.code.as_str(), d.message)
        });
        (
            ErrorCode::RequestFailed,
            format!("netpc fmt cannot format this file{first}"),
        )
    })?;
    if &formatted == text {
        return json(Vec::<TextEdit>::new());
    }
    let whole = Span::new(file, 0, text.len());
    let range = range(workspace, whole).unwrap_or_default();
    json(vec![TextEdit {
        range,
        new_text: formatted,
    }])
}

/// One diagnostic as `check` reports it, for the editor.
pub fn diagnostic(workspace: &Workspace, d: &Diagnostic) -> lsp_types::Diagnostic {
    let zero = Range::default();
    let mut message = d.message.clone();
    if !d.primary.message.is_empty() {
        message.push_str(&format!(": {}", d.primary.message));
    }
    for note in &d.notes {
        message.push_str(&format!("\nnote: {note}"));
    }
    if let Some(help) = &d.help {
        message.push_str(&format!("\nhelp: {help}"));
    }
    let related: Vec<DiagnosticRelatedInformation> = d
        .secondary
        .iter()
        .filter_map(|label| {
            Some(DiagnosticRelatedInformation {
                location: location(workspace, label.span)?,
                message: label.message.clone(),
            })
        })
        .collect();
    let data = workspace
        .analysis()
        .map(|a| serde_json::to_value(crate::render::json_diagnostic(&a.sources, d)).ok())
        .unwrap_or_default();
    lsp_types::Diagnostic {
        range: range(workspace, d.primary.span).unwrap_or(zero),
        severity: Some(match d.severity() {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
        }),
        code: Some(NumberOrString::String(d.code.as_str().to_owned())),
        source: Some("netpc".to_owned()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        data,
        ..lsp_types::Diagnostic::default()
    }
}
