// The rule editor: a transparent textarea over a highlighted copy of its text. The server
// highlights (the project's Pygments lexer, POST /api/highlight) and checks (POST /api/check);
// this script only sends the text and shows the answers. Nothing typed is ever lost: a save that
// fails leaves the text in the editor.
(function () {
  "use strict";
  var strings = JSON.parse(document.getElementById("strings").textContent);
  var lang = document.documentElement.lang === "en" ? "en" : "th";
  var source = document.getElementById("source");
  var shown = document.getElementById("highlight");
  var gutter = document.getElementById("gutter");
  var list = document.getElementById("problems");
  var status = document.getElementById("status");
  var checking = document.getElementById("checking");
  var nameField = document.getElementById("name");
  var hash = source.dataset.hash || null;
  var savedText = source.value;
  var timer = null;
  var latest = 0;

  function say(text, kind) {
    status.textContent = text;
    status.className = kind || "";
  }

  function fill(template, fields) {
    return template.replace(/\{(\w+)\}/g, function (_, key) { return String(fields[key]); });
  }

  function plain(text) {
    // The text as it is, at once, so the highlighted layer never lags behind the caret.
    shown.textContent = text + "\n";
    var lines = text.split("\n").length;
    var numbers = [];
    for (var i = 1; i <= lines; i++) numbers.push(i);
    gutter.textContent = numbers.join("\n") + "\n";
  }

  function sync() {
    shown.scrollTop = source.scrollTop;
    shown.scrollLeft = source.scrollLeft;
    gutter.scrollTop = source.scrollTop;
  }

  function post(url, body, type) {
    return fetch(url, {
      method: "POST",
      headers: {"Content-Type": type || "application/json"},
      body: body,
      credentials: "same-origin"
    }).then(function (response) {
      return response.json().then(function (data) { return {status: response.status, data: data}; });
    });
  }

  function jump(line, column) {
    var lines = source.value.split("\n");
    var offset = 0;
    for (var i = 0; i < line - 1 && i < lines.length; i++) offset += lines[i].length + 1;
    offset += Math.max(column - 1, 0);
    source.focus();
    source.setSelectionRange(offset, offset);
  }

  function showProblems(found) {
    list.textContent = "";
    if (!found.length) {
      var ok = document.createElement("li");
      ok.className = "ok";
      ok.textContent = strings.no_problems;
      list.appendChild(ok);
      return;
    }
    found.forEach(function (d) {
      var item = document.createElement("li");
      item.className = "diagnostic " + d.severity;
      item.dataset.line = d.line;
      item.dataset.column = d.column;
      item.dataset.code = d.code;
      var where = document.createElement("a");
      where.href = "#";
      where.className = "where";
      where.textContent = fill(strings.line_col, d);
      where.addEventListener("click", function (event) { event.preventDefault(); jump(d.line, d.column); });
      var kind = document.createElement("span");
      kind.className = "severity";
      kind.textContent = (strings[d.severity] || d.severity) + " [" + d.code + "]";
      var message = document.createElement("span");
      message.className = "message";
      message.textContent = d.message;
      item.appendChild(where);
      item.appendChild(kind);
      item.appendChild(message);
      list.appendChild(item);
    });
  }

  function check() {
    var text = source.value;
    var ticket = ++latest;
    // The check has its own line: it must never wipe what a save or a format said.
    checking.textContent = strings.checking;
    return post("/api/check?lang=" + lang, text, "text/plain; charset=utf-8").then(function (answer) {
      if (ticket !== latest) return null;
      if (!Array.isArray(answer.data)) {
        // The server refused the text (too large, not UTF-8): say so; never "no problems".
        checking.textContent = answer.data.error || strings.save_failed;
        list.textContent = "";
        return null;
      }
      var found = answer.data;
      showProblems(found);
      checking.textContent = "";
      var marks = found.map(function (d) { return [d.line, d.column, d.severity]; });
      return post("/api/highlight", JSON.stringify({text: text, marks: marks})).then(function (lit) {
        if (ticket === latest && source.value === text && lit.data.html !== undefined) {
          shown.innerHTML = lit.data.html + "\n";
          sync();
        }
        return found;
      });
    }).catch(function () { checking.textContent = ""; return null; });
  }

  function changed() {
    plain(source.value);
    sync();
    clearTimeout(timer);
    timer = setTimeout(check, 300);
  }

  function reformat(keywords) {
    post("/api/format", JSON.stringify({text: source.value, keywords: keywords})).then(function (answer) {
      if (answer.data.text !== undefined) {
        source.value = answer.data.text;
        changed();
      } else {
        say(answer.data.error, "problem-text");
        if (answer.data.line) jump(answer.data.line, answer.data.column);
      }
    });
  }

  function save() {
    var name = nameField.value.trim();
    if (!name) { nameField.focus(); say(strings.bad_name, "problem-text"); return; }
    var text = source.value;
    post("/api/save?lang=" + lang, JSON.stringify({name: name, text: text, hash: hash})).then(function (answer) {
      if (answer.status === 200) {
        hash = answer.data.hash;
        savedText = text;
        say(strings.saved + ": " + answer.data.name + ".kpi", "ok");
        if (location.pathname !== "/edit/" + encodeURIComponent(answer.data.name)) {
          history.replaceState(null, "", "/edit/" + encodeURIComponent(answer.data.name));
        }
      } else {
        // The text stays in the editor whatever went wrong.
        say(strings.save_failed + ": " + answer.data.error, "problem-text");
      }
    }).catch(function () { say(strings.save_failed, "problem-text"); });
  }

  source.addEventListener("input", changed);
  source.addEventListener("scroll", sync);
  source.addEventListener("keydown", function (event) {
    if (event.key === "Tab" && !event.shiftKey && !event.ctrlKey && !event.altKey) {
      event.preventDefault();
      document.execCommand("insertText", false, "  ");
    }
    if ((event.ctrlKey || event.metaKey) && event.key === "s") {
      event.preventDefault();
      save();
    }
  });
  document.getElementById("save").addEventListener("click", save);
  document.getElementById("format").addEventListener("click", function () { reformat(null); });
  document.getElementById("to-th").addEventListener("click", function () { reformat("th"); });
  document.getElementById("to-en").addEventListener("click", function () { reformat("en"); });
  document.getElementById("examples").addEventListener("click", function () {
    check().then(function (found) {
      if (!found) return;
      var failed = found.filter(function (d) { return d.code === "example-fails"; });
      showProblems(failed);
      say(failed.length ? fill(strings.examples_failed, {count: failed.length}) : strings.examples_passed,
          failed.length ? "problem-text" : "ok");
    });
  });
  window.addEventListener("beforeunload", function (event) {
    if (source.value !== savedText) { event.preventDefault(); event.returnValue = strings.unsaved; }
  });
  plain(source.value);
  check();
})();
