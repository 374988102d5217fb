// <dialog data-modal> (the development-number prompt, R-ENT-5): opened modal, so focus stays inside it and Esc closes
// it; closing it, by Esc or the button, tells the server (data-dismiss) so it is not shown again this session.
// Without this script the dialog is shown open in the page and its button posts the same form.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var dialog = document.querySelector("dialog[data-modal]");
    if (!dialog || typeof dialog.showModal !== "function") return;
    dialog.close();
    dialog.showModal();
    dialog.addEventListener("close", function () {
      var body = new FormData();
      body.append("csrfmiddlewaretoken", dialog.getAttribute("data-csrf"));
      fetch(dialog.getAttribute("data-dismiss"), {
        method: "POST", body: body, credentials: "same-origin", headers: {"X-Requested-With": "fetch"}
      });
    });
    // Tab and Shift+Tab go round the dialog's own controls (a modal dialog would let them reach the browser's bar).
    dialog.addEventListener("keydown", function (e) {
      if (e.key !== "Tab") return;
      var items = dialog.querySelectorAll("a[href], button, input:not([type=hidden]), select, textarea");
      if (!items.length) return;
      var first = items[0], last = items[items.length - 1];
      if (e.shiftKey && document.activeElement === first) { e.preventDefault(); last.focus(); }
      else if (!e.shiftKey && document.activeElement === last) { e.preventDefault(); first.focus(); }
    });
    // The close button closes here; the buttons that lead to the fix post the form (closed too, on the server).
    dialog.querySelector("form").addEventListener("submit", function (e) {
      if (!e.submitter || !e.submitter.hasAttribute("data-close")) return;
      e.preventDefault();
      dialog.close();
    });
  });
})();
