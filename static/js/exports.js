// Progressive enhancement for the exports page: while an export is written, follow its progress
// (read from the database, so any app server answers) and load the page again when one changes stage.
// Without this file the page's "Refresh" link does it.
(function () {
  var list = document.getElementById("export-list");
  if (!list || !list.hasAttribute("data-working") || !window.fetch) return;
  function poll() {
    fetch(list.dataset.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        var changed = false;
        data.jobs.forEach(function (job) {
          var item = list.querySelector('[data-job="' + job.id + '"]');
          if (!item) return;
          if (item.dataset.status !== job.status) { changed = true; return; }
          var bar = item.querySelector("progress");
          var text = item.querySelector(".export-progress-text");
          if (bar && job.total) { bar.max = job.total; bar.value = job.done; }
          if (text && job.done) { text.textContent = job.done + (job.total ? " / " + job.total : ""); }
        });
        if (changed) { window.location.reload(); return; }
        window.setTimeout(poll, 1500);
      })
      .catch(function () { window.setTimeout(poll, 4000); });
  }
  window.setTimeout(poll, 800);
})();
