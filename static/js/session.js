// R-ACC-5: the end of a session, announced before it comes, on pages with a form to submit, so that nothing
// typed is lost. The server ends a session after 30 minutes without a request or 12 hours after sign-in
// (config/sessions.py); this script only warns (templates/partials/session_notice.html holds the words) and, on
// "继续", renews the session through the keep-alive URL with fetch: no reload, the form stays as it is.
// After the end, the person signs in again in another tab; back on this one, the page's forms get the new
// CSRF token and can be submitted. Pages work without this script.
(function () {
  "use strict";
  var box = document.getElementById("session-notice");
  if (!box || !window.fetch || !document.querySelector('main form[method="post" i]')) return;

  var SHARED = "tuanji.session.idleEnd";  // the tabs of one browser share the latest idle end they know of
  var GRACE = 5000;                        // ask the server only once its end has surely passed
  var url = box.getAttribute("data-keepalive");
  var warnBefore = Number(box.getAttribute("data-warn-before")) * 1000;
  var idleEnd = 0, absoluteEnd = 0, state = "", busy = false;

  function readShared() {
    try { return Number(window.localStorage.getItem(SHARED)) || 0; } catch (e) { return 0; }
  }
  function share(end) {
    try { if (end > readShared()) window.localStorage.setItem(SHARED, String(end)); } catch (e) { /* private mode */ }
  }
  function setEnds(idleLeft, absoluteLeft) {
    var now = Date.now();
    idleEnd = now + idleLeft * 1000;
    absoluteEnd = now + absoluteLeft * 1000;
    share(idleEnd);
  }
  function setToken(token) {
    if (!token) return;
    box.setAttribute("data-csrf", token);
    document.querySelectorAll('input[name="csrfmiddlewaretoken"]').forEach(function (input) { input.value = token; });
    document.body.setAttribute("hx-headers", JSON.stringify({"X-CSRFToken": token}));
  }
  function show(next) {
    if (state === next) return;
    state = next;
    box.hidden = !next;
    box.classList.toggle("ended", next === "ended");
    box.querySelectorAll("[data-when]").forEach(function (el) {
      el.hidden = el.getAttribute("data-when").split(" ").indexOf(next) < 0;
    });
  }

  // GET asks without renewing; POST is the person's "继续".
  function call(method) {
    if (busy) return;
    busy = true;
    var headers = {"Accept": "application/json"};
    if (method === "POST") headers["X-CSRFToken"] = box.getAttribute("data-csrf");
    fetch(url, {method: method, headers: headers, credentials: "same-origin", redirect: "manual", cache: "no-store"})
      .then(function (response) {
        if (response.status === 401) return {signed_in: false};
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      })
      .then(function (data) {
        if (!data.signed_in) { show("ended"); return; }
        setEnds(data.idle_left, data.absolute_left);
        setToken(data.csrf);
        show("");
      })
      .catch(function () { if (method === "POST") show("failed"); })  // a failed GET is asked again on a later tick
      .then(function () { busy = false; });
  }

  function tick() {
    if (busy || state === "ended" || state === "failed") return;
    var now = Date.now();
    var idle = Math.max(idleEnd, readShared());  // another tab may have been active since this page loaded
    var end = Math.min(idle, absoluteEnd);
    if (now >= end + GRACE) { call("GET"); return; }
    if (now >= end - warnBefore) show(absoluteEnd <= idle ? "absolute" : "idle");
    else show("");
  }

  setEnds(Number(box.getAttribute("data-idle-left")), Number(box.getAttribute("data-absolute-left")));
  box.addEventListener("click", function (e) {
    if (e.target.closest("[data-session-continue]")) call("POST");
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState !== "visible") return;
    if (state === "ended") call("GET");  // signed in again in another tab? Then this page can submit again.
    else tick();
  });
  window.setInterval(tick, 5000);
})();
