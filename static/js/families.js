// Progressive enhancement for the register import: while the import request runs,
// show how far it has got. Without this file the form posts normally and the page
// loads when the import is done.
(function () {
  var form = document.getElementById("import-confirm");
  if (!form || !window.fetch) return;
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var box = form.querySelector(".import-progress");
    var bar = form.querySelector("progress");
    var text = form.querySelector(".import-progress-text");
    box.hidden = false;
    var finished = false;
    function poll() {
      if (finished) return;
      fetch(form.dataset.statusUrl, { credentials: "same-origin" })
        .then(function (response) { return response.json(); })
        .then(function (data) {
          if (data.total) {
            var percent = Math.floor((data.done * 100) / data.total);
            bar.value = percent;
            bar.textContent = percent + "%";
            text.textContent = percent + "% (" + data.done + " / " + data.total + ")";
          }
          if (!finished) window.setTimeout(poll, 700);
        })
        .catch(function () { if (!finished) window.setTimeout(poll, 1500); });
    }
    window.setTimeout(poll, 300);
    fetch(form.action || window.location.href, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      redirect: "follow",
    })
      .then(function (response) {
        finished = true;
        window.location.href = response.url || window.location.href;
      })
      .catch(function () {
        finished = true;
        form.submit();
      });
  });
})();
