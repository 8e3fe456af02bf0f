// The overview refreshes its table in place (no full reload, no flicker); nothing else runs here.
"use strict";
(function () {
  function refresh(section) {
    if (document.hidden) return;
    fetch(window.location.href, { headers: { "X-Partial": "1" }, credentials: "same-origin" })
      .then(function (response) {
        if (response.status === 401) { window.location.reload(); return null; }
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        if (!html) return;
        var holder = document.createElement("template");
        holder.innerHTML = html.trim();
        var fresh = holder.content.querySelector("#stations");
        var current = document.getElementById("stations");
        if (fresh && current) current.replaceWith(fresh);
      })
      .catch(function () { /* offline for a moment: the next round tries again */ });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var section = document.getElementById("stations");
    if (!section) return;
    var seconds = parseInt(section.getAttribute("data-refresh"), 10) || 60;
    window.setInterval(function () { refresh(section); }, seconds * 1000);
  });
})();
