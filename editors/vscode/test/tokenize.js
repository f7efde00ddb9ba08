// Tokenise lines of .kpi text with VS Code's own TextMate engine (vscode-textmate on the Oniguruma
// regular expressions VS Code uses), for tests/test_editors.py: the grammar file is the argument,
// the lines come on standard input, and the tokens go out as JSON, [text, scope] per token, with
// white space left out and the pieces of one string (quotes, text, escapes) joined into one token.
const fs = require("fs");
const path = require("path");
const vsctm = require("vscode-textmate");
const oniguruma = require("vscode-oniguruma");

const wasm = fs.readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm")).buffer;
const onigLib = oniguruma.loadWASM(wasm).then(() => ({
  createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
  createOnigString: (text) => new oniguruma.OnigString(text),
}));
const grammarPath = path.resolve(process.argv[2]);
const registry = new vsctm.Registry({
  onigLib,
  loadGrammar: async () => vsctm.parseRawGrammar(fs.readFileSync(grammarPath, "utf8"), grammarPath),
});

registry.loadGrammar("source.kpi").then((grammar) => {
  const found = [];
  let state = vsctm.INITIAL;
  for (const line of fs.readFileSync(0, "utf8").split("\n")) {
    const result = grammar.tokenizeLine(line, state);
    let last = null;
    for (const token of result.tokens) {
      const scope = token.scopes[1]; // the rule under source.kpi (a string, not its escapes)
      if (scope === undefined) {
        last = null; // white space between tokens
        continue;
      }
      const text = line.substring(token.startIndex, token.endIndex);
      if (last !== null && last[1] === scope && scope.startsWith("string.")) {
        last[0] += text;
      } else {
        last = [text, scope];
        found.push(last);
      }
    }
    state = result.ruleStack;
  }
  process.stdout.write(JSON.stringify(found));
});
