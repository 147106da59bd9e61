//! `netpc lsp`: a language server over stdio, with the `lsp-server` crate that
//! rust-analyzer uses (synchronous, no async runtime: the server does one thing at a
//! time and each answer is a few milliseconds of work, so threads and futures would
//! only add weight). Owns the protocol loop and JSON-RPC; what the answers say comes
//! from the library's `ide::Analysis` over one compilation of the workspace
//! (`workspace`). Keystrokes are coalesced: changes only mark the analysis stale, and
//! it is recomputed when no message is waiting or a request needs it.

mod protocol;
mod workspace;

use std::process::ExitCode;

use lsp_server::{Connection, Message};
use lsp_types::{
    CompletionOptions, HoverProviderCapability, InitializeParams, OneOf, PositionEncodingKind,
    RenameOptions, SaveOptions, ServerCapabilities, TextDocumentSyncCapability,
    TextDocumentSyncKind, TextDocumentSyncOptions, TextDocumentSyncSaveOptions,
    WorkDoneProgressOptions,
};

use crate::ide::lines::Encoding;
use workspace::Workspace;

#[derive(clap::Args, Debug)]
pub struct LspArgs {
    /// Accepted for editors that pass it; the server always speaks over stdio
    #[arg(long)]
    stdio: bool,
}

/// Run the server until the client says `exit`.
pub fn run(_args: &LspArgs) -> ExitCode {
    let (connection, io_threads) = Connection::stdio();
    let status = match serve(&connection) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("netpc lsp: {message}");
            ExitCode::from(super::EXIT_USAGE)
        }
    };
    drop(connection);
    let _ = io_threads.join();
    status
}

fn serve(connection: &Connection) -> Result<(), String> {
    let (id, params) = connection
        .initialize_start()
        .map_err(|e| format!("initialize: {e}"))?;
    let params: InitializeParams =
        serde_json::from_value(params).map_err(|e| format!("initialize: {e}"))?;
    let encoding = negotiate(&params);
    let capabilities = capabilities(encoding);
    let result = serde_json::json!({
        "capabilities": capabilities,
        "serverInfo": { "name": "netpc", "version": env!("CARGO_PKG_VERSION") },
    });
    connection
        .initialize_finish(id, result)
        .map_err(|e| format!("initialize: {e}"))?;
    let mut workspace = Workspace::new(workspace::root_of(&params), encoding);
    main_loop(connection, &mut workspace)
}

/// UTF-8 columns when the client offers them, else UTF-16 (the protocol's default).
fn negotiate(params: &InitializeParams) -> Encoding {
    let offered = params
        .capabilities
        .general
        .as_ref()
        .and_then(|g| g.position_encodings.as_ref());
    if offered.is_some_and(|list| list.contains(&PositionEncodingKind::UTF8)) {
        Encoding::Utf8
    } else {
        Encoding::Utf16
    }
}

fn capabilities(encoding: Encoding) -> ServerCapabilities {
    ServerCapabilities {
        position_encoding: Some(match encoding {
            Encoding::Utf8 => PositionEncodingKind::UTF8,
            Encoding::Utf16 => PositionEncodingKind::UTF16,
        }),
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::INCREMENTAL),
                save: Some(TextDocumentSyncSaveOptions::SaveOptions(SaveOptions {
                    include_text: Some(false),
                })),
                ..TextDocumentSyncOptions::default()
            },
        )),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec!["/".to_owned()]),
            ..CompletionOptions::default()
        }),
        rename_provider: Some(OneOf::Right(RenameOptions {
            prepare_provider: Some(true),
            work_done_progress_options: WorkDoneProgressOptions::default(),
        })),
        document_formatting_provider: Some(OneOf::Left(true)),
        ..ServerCapabilities::default()
    }
}

fn main_loop(connection: &Connection, workspace: &mut Workspace) -> Result<(), String> {
    loop {
        // While the analysis is stale, take what is already waiting before
        // recomputing, so a burst of keystrokes costs one compilation.
        let message = if workspace.is_stale() {
            match connection.receiver.try_recv() {
                Ok(message) => message,
                Err(crossbeam_channel::TryRecvError::Empty) => {
                    workspace.refresh(connection);
                    continue;
                }
                Err(crossbeam_channel::TryRecvError::Disconnected) => return Ok(()),
            }
        } else {
            match connection.receiver.recv() {
                Ok(message) => message,
                Err(_) => return Ok(()),
            }
        };
        match message {
            Message::Request(request) => {
                if connection
                    .handle_shutdown(&request)
                    .map_err(|e| format!("shutdown: {e}"))?
                {
                    return Ok(());
                }
                if workspace.is_stale() {
                    workspace.refresh(connection);
                }
                let response = protocol::answer(workspace, request);
                connection
                    .sender
                    .send(Message::Response(response))
                    .map_err(|e| format!("cannot answer: {e}"))?;
            }
            Message::Notification(notification) => workspace.notify(notification),
            Message::Response(_) => {}
        }
    }
}
