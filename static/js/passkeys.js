// Passkeys (R-ACC-5). django-otp-webauthn's own scripts run the ceremony and announce a finished registration;
// this goes on to the page the server named (the backup codes issued with a first factor), keeping the page's
// `next`. Without JavaScript there are no passkeys: the authenticator app and backup codes work everywhere.
(function () {
  "use strict";
  document.addEventListener("otp_webauthn.register_complete", function (e) {
    var response = e.detail && e.detail.response;
    var url = response && response.redirect_url;
    if (!url) return;
    var next = document.querySelector("input[name='next']");
    if (next && next.value) url += (url.indexOf("?") < 0 ? "?" : "&") + "next=" + encodeURIComponent(next.value);
    window.location.assign(url);
  });
})();
