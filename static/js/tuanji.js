// Small behaviours, no build step. Every page works without them.
(function () {
  "use strict";

  // Copy buttons: <button data-copy="element-id" data-done="已复制">.
  document.addEventListener("click", function (e) {
    var btn = e.target.closest("[data-copy]");
    if (!btn) return;
    var source = document.getElementById(btn.getAttribute("data-copy"));
    if (!source || !navigator.clipboard) return;
    navigator.clipboard.writeText(source.textContent.trim()).then(function () {
      btn.textContent = btn.getAttribute("data-done") || "已复制";
    });
  });

  // <select data-autosubmit>: choosing is submitting (the organization switcher, R-ACC-3).
  document.addEventListener("change", function (e) {
    if (e.target.matches("select[data-autosubmit]")) e.target.form.submit();
  });

  // The organization tree: the first click on a toggle loads the children by htmx; later clicks only show
  // or hide them, without asking the server again.
  function childList(toggle) {
    var item = toggle.closest("li");
    return item && item.querySelector(":scope > ul");
  }
  function isToggle(el) {
    return el && el.classList && el.classList.contains("toggle");
  }
  document.addEventListener("htmx:beforeRequest", function (e) {
    var toggle = e.detail.elt;
    if (!isToggle(toggle)) return;
    if (toggle.hasAttribute("data-loaded")) {
      e.preventDefault();
      var open = toggle.getAttribute("aria-expanded") === "true";
      childList(toggle).hidden = open;
      toggle.setAttribute("aria-expanded", String(!open));
    } else {
      toggle.setAttribute("aria-busy", "true");
    }
  });
  document.addEventListener("htmx:afterRequest", function (e) {
    var toggle = e.detail.elt;
    if (!isToggle(toggle)) return;
    toggle.removeAttribute("aria-busy");
    if (e.detail.successful) {
      toggle.setAttribute("data-loaded", "");
      toggle.setAttribute("aria-expanded", "true");
      childList(toggle).hidden = false;
    }
  });

  // <form data-confirm="确定…？">: asks before submitting (no inline onsubmit: the Content-Security-Policy forbids it).
  document.addEventListener("submit", function (e) {
    var msg = e.target.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) e.preventDefault();
  });

  // Forms: the first field with an error takes the focus.
  document.addEventListener("DOMContentLoaded", function () {
    var bad = document.querySelector(".has-error input, .has-error select, .has-error textarea");
    if (bad) bad.focus();
  });
})();

// Navigation menus (<details class="menu">): one open at a time; a click elsewhere or Escape closes them.
document.addEventListener("click", function (e) {
  document.querySelectorAll("details.menu[open]").forEach(function (d) {
    if (!d.contains(e.target)) d.removeAttribute("open");
  });
});
document.addEventListener("keydown", function (e) {
  if (e.key !== "Escape") return;
  document.querySelectorAll("details.menu[open]").forEach(function (d) {
    d.removeAttribute("open");
    d.querySelector("summary").focus();
  });
});
