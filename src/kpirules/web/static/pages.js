// Small behaviours of the pages, kept out of the HTML so that the Content-Security-Policy can
// forbid inline scripts.
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
  // The scoring form's template link follows the chosen catalogue.
  var rules = document.getElementById("rules");
  var template = document.getElementById("template");
  if (rules && template) {
    rules.addEventListener("change", function () {
      template.href = "/catalogues/" + encodeURIComponent(rules.value) + "/template.xlsx";
    });
  }
})();
