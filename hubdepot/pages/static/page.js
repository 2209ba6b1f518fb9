// Optional: copy buttons and clickable line numbers. Everything reads without it.
(function () {
  "use strict";
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    if (!field) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      var done = function () { button.textContent = "Copied!"; setTimeout(function () { button.textContent = "Copy"; }, 1500); };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(done, function () { field.select(); });
      } else {
        field.select();
        try { if (document.execCommand("copy")) done(); } catch (e) { /* selected: the user can copy */ }
      }
    });
  });
  document.querySelectorAll("pre.code").forEach(function (pre) {
    pre.addEventListener("click", function (event) {
      var line = event.target.closest("pre.code > span[id]");
      if (!line || event.offsetX > 64 || event.target !== line) return;
      history.replaceState(null, "", "#" + line.id);
      line.scrollIntoView({block: "nearest"});
      document.querySelectorAll("pre.code > span.selected").forEach(function (s) { s.classList.remove("selected"); });
      line.classList.add("selected");
    });
  });
})();
