// Progressive enhancement for the register import: while a task checks or imports an upload,
// follow its progress (the status is read from the database, so any app server answers) and
// load the page again when the stage changes. Without this file the page's "Refresh" link does it.
(function () {
  var box = document.getElementById("import-progress");
  if (!box || !window.fetch) return;
  var bar = box.querySelector("progress");
  var label = box.querySelector(".import-progress-label");
  var text = box.querySelector(".import-progress-text");
  function poll() {
    fetch(box.dataset.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        if (data.status !== box.dataset.status) {
          window.location.reload();
          return;
        }
        label.textContent = data.label;
        if (data.total) {
          bar.max = data.total;
          bar.value = data.done;
          text.textContent = data.done + " / " + data.total;
        } else if (data.done) {
          text.textContent = String(data.done);
        }
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 500);
})();
