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
    dialog.querySelector("form").addEventListener("submit", function (e) {
      e.preventDefault();
      dialog.close();
    });
  });
})();
