// Progressive enhancement only: the nominate form's first step reloads itself when a choice changes.
(function () {
  "use strict";
  var step = document.getElementById("nominate-step1");
  if (!step) return;
  document.documentElement.classList.add("js");
  step.addEventListener("change", function (event) {
    if (event.target && event.target.tagName === "SELECT") step.submit();
  });
})();
