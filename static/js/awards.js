// Progressive enhancement only: a live character count under the citation (事迹) box.
(function () {
  "use strict";
  var box = document.querySelector("textarea[data-count]");
  if (!box) return;
  var max = parseInt(box.getAttribute("maxlength"), 10) || 0;
  var out = document.createElement("span");
  out.className = "helptext char-count";
  out.setAttribute("aria-live", "polite");
  box.insertAdjacentElement("afterend", out);
  var template = box.getAttribute("data-count");
  function update() {
    out.textContent = template.replace("%(n)s", box.value.length).replace("%(max)s", max);
  }
  box.addEventListener("input", update);
  update();
})();
