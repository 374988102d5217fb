// Small behaviours, no build step: copy buttons and focusing the first error.
document.addEventListener("click", function (e) {
  var btn = e.target.closest("[data-copy]");
  if (!btn) return;
  var text = document.getElementById(btn.getAttribute("data-copy")).textContent.trim();
  if (navigator.clipboard) {
    navigator.clipboard.writeText(text).then(function () { btn.textContent = btn.getAttribute("data-done") || "已复制"; });
  }
});
document.addEventListener("DOMContentLoaded", function () {
  var bad = document.querySelector(".has-error input, .has-error select, .has-error textarea");
  if (bad) bad.focus();
});
