// The netp extension: starts `netpc lsp` (the path is the `netp.server.path`
// setting) and connects it to VS Code through vscode-languageclient.
"use strict";

const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const config = vscode.workspace.getConfiguration("netp");
  const command = config.get("server.path", "netpc");
  const args = ["lsp", ...config.get("server.extraArgs", [])];
  const serverOptions = {
    run: { command, args, transport: TransportKind.stdio },
    debug: { command, args, transport: TransportKind.stdio },
  };
  const clientOptions = {
    documentSelector: [{ scheme: "file", language: "netp" }],
    synchronize: {
      fileEvents: vscode.workspace.createFileSystemWatcher("**/*.netp"),
    },
  };
  client = new LanguageClient("netp", "netpc language server", serverOptions, clientOptions);
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration("netp.server")) {
        vscode.commands.executeCommand("workbench.action.restartExtensionHost");
      }
    })
  );
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
