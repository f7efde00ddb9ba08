// The client side of the kpirules language server: start `kpirules lsp` (or the command set in
// `kpirules.server.command`) for .kpi files and let it do the rest.
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const [command, ...args] = vscode.workspace
    .getConfiguration("kpirules")
    .get("server.command", ["kpirules", "lsp"]);
  client = new LanguageClient(
    "kpirules",
    "kpirules",
    { command, args },
    { documentSelector: [{ language: "kpi" }] },
  );
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
