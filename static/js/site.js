// Progressive enhancement only: every action works without this file.
// A submit button is disabled after the first click so a double tap sends one
// request (the server refuses duplicates anyway).
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (form.hasAttribute("data-allow-resubmit")) return;
  window.setTimeout(function () {
    form.querySelectorAll("button[type=submit]").forEach(function (button) {
      button.setAttribute("aria-disabled", "true");
      button.disabled = true;
    });
  }, 0);
});
// Coming back with the browser's back button shows the page from memory: re-enable its buttons.
window.addEventListener("pageshow", function () {
  document.querySelectorAll("button[aria-disabled=true]").forEach(function (button) {
    button.disabled = false;
    button.removeAttribute("aria-disabled");
  });
});
