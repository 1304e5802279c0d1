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
// After a POST that returns to a card (a vote on a long ballot, an attendance row), the page opens at the card:
// show what happened next to it rather than at the top, out of sight.
document.addEventListener("DOMContentLoaded", function () {
  var messages = document.querySelector("main > .messages");
  var target = window.location.hash && document.getElementById(window.location.hash.slice(1));
  if (messages && target && target.tagName === "LI") target.insertBefore(messages, target.firstChild);
});
