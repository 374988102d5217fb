// Transfer pages: the guidance for the chosen reason, and the batch counter (at most 30 ticked).
// Everything works without it: the guidance for every reason is listed, and the server counts too.
(function () {
  function showGuidance(select) {
    var box = document.getElementById(select.getAttribute("data-guidance"));
    if (!box) return;
    var source = document.querySelector('[data-reason-help="' + select.value + '"]');
    box.textContent = source ? source.textContent : "";
    box.hidden = !source;
  }
  function count(group) {
    var limit = parseInt(group.getAttribute("data-limit"), 10);
    var boxes = group.querySelectorAll("input[type=checkbox]");
    var n = 0;
    boxes.forEach(function (b) { if (b.checked) n += 1; });
    var out = document.getElementById(group.getAttribute("data-counter"));
    if (out) {
      out.textContent = "已选 " + n + " / " + limit + " 人";
      out.classList.toggle("over", n > limit);
    }
    boxes.forEach(function (b) { if (!b.checked) b.disabled = n >= limit; });
  }
  document.addEventListener("change", function (e) {
    if (e.target.matches("select[data-guidance]")) showGuidance(e.target);
    var group = e.target.closest("[data-limit]");
    if (group) count(group);
    if (e.target.matches("input[name=to_org]")) {
      var picked = document.getElementById("picked-name");
      if (picked) picked.textContent = e.target.getAttribute("data-name");
    }
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("select[data-guidance]").forEach(showGuidance);
    document.querySelectorAll("[data-limit]").forEach(count);
    document.querySelectorAll(".guidance-all").forEach(function (d) { d.open = false; });
  });
})();
document.addEventListener("submit", function (e) {
  // <form data-confirm="…"> asks first (static/js/tuanji.js); a submission cancelled there is not marked as sent.
  if (e.defaultPrevented) return;
  // A second click while the page is leaving does nothing (the server refuses a repeated token anyway).
  if (e.target.dataset.sent) { e.preventDefault(); return; }
  e.target.dataset.sent = "1";
});
