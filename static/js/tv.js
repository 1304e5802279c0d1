// TV mode of the honour board: shows one slide at a time and checks now and then
// for newly published honours. Built to run for days on a TV browser:
// - exactly one rotation timer and one refresh timer exist at any moment;
// - slide elements are reused when the slides change (new ones are created only
//   when there are more slides than before, extra ones are removed);
// - nothing is kept but the current slides, so memory does not grow;
// - the page reloads itself every few hours, but only right after the server answered.
// Without this file the page still shows every honour, one screen each.
(function () {
  "use strict";

  var root = document.getElementById("tv");
  if (!root || !window.fetch) return;
  document.documentElement.classList.add("tv-js");

  var container = root.querySelector(".slides");
  var position = root.querySelector(".tv-position");
  var url = root.getAttribute("data-slides-url");
  var version = root.getAttribute("data-version");
  var interval = Math.max(2, parseInt(root.getAttribute("data-interval"), 10) || 12) * 1000;
  var refresh = Math.max(2, parseInt(root.getAttribute("data-refresh"), 10) || 60) * 1000;
  var reloadAfter = Date.now() + 6 * 60 * 60 * 1000;
  var nodes = Array.prototype.slice.call(container.querySelectorAll(".slide"));
  var ids = [];
  var current = 0;
  var rotateTimer = null;
  var refreshTimer = null;

  function child(node, tag, className) {
    var element = node.querySelector("." + className);
    if (!element) {
      element = document.createElement(tag);
      element.className = className;
    }
    return element;
  }

  function makeSlide() {
    var section = document.createElement("section");
    section.className = "slide";
    section.setAttribute("aria-roledescription", nodes[0] ? nodes[0].getAttribute("aria-roledescription") || "" : "");
    var photo = document.createElement("div");
    photo.className = "slide-photo";
    var text = document.createElement("div");
    text.className = "slide-text";
    text.appendChild(child(section, "p", "slide-category"));
    text.appendChild(child(section, "h2", "slide-name"));
    text.appendChild(child(section, "p", "slide-round"));
    text.appendChild(child(section, "p", "slide-citation"));
    section.appendChild(photo);
    section.appendChild(text);
    return section;
  }

  function fill(node, slide) {
    ["slide-empty", "slide-honour", "slide-motto", "slide-stars"].forEach(function (name) {
      node.classList.remove(name);
    });
    node.classList.add("slide-" + (slide.kind || "honour"));
    var photo = node.querySelector(".slide-photo");
    if (!photo) {
      photo = document.createElement("div");
      photo.className = "slide-photo";
      node.insertBefore(photo, node.firstChild);
    }
    var img = photo.querySelector("img");
    if (slide.photo) {
      if (!img) {
        photo.textContent = "";
        img = document.createElement("img");
        img.alt = "";
        photo.appendChild(img);
      }
      if (img.getAttribute("src") !== slide.photo) img.setAttribute("src", slide.photo);
    } else {
      var emblem = photo.querySelector(".slide-emblem");
      if (!emblem) {
        photo.textContent = "";
        emblem = document.createElement("span");
        emblem.className = "slide-emblem";
        emblem.setAttribute("aria-hidden", "true");
        photo.appendChild(emblem);
      }
      emblem.textContent = slide.kind === "motto" ? "家" : "★";
    }
    var text = node.querySelector(".slide-text");
    ["slide-category", "slide-name", "slide-round", "slide-citation"].forEach(function (className, i) {
      var tag = className === "slide-name" ? "h2" : "p";
      var element = child(text, tag, className);
      if (!element.parentNode) text.appendChild(element);
      var value = [slide.category, slide.name, slide.subtitle, slide.citation][i];
      if (element.textContent !== value) element.textContent = value;
    });
    node.setAttribute("data-honour", String(slide.id));
  }

  function show(index) {
    if (!nodes.length) return;
    current = ((index % nodes.length) + nodes.length) % nodes.length;
    for (var i = 0; i < nodes.length; i++) {
      nodes[i].classList.toggle("is-current", i === current);
    }
    if (position) position.textContent = nodes.length > 1 ? current + 1 + " / " + nodes.length : "";
  }

  function scheduleRotation() {
    window.clearTimeout(rotateTimer);
    rotateTimer = window.setTimeout(function () {
      show(current + 1);
      scheduleRotation();
    }, interval);
  }

  function render(slides) {
    if (!slides.length) return; // keep the "nothing yet" slide the server rendered
    var firstNew = -1;
    var oldIds = ids;
    ids = slides.map(function (slide) {
      return String(slide.id);
    });
    slides.forEach(function (slide, i) {
      if (!nodes[i]) {
        nodes[i] = makeSlide();
        container.appendChild(nodes[i]);
      }
      fill(nodes[i], slide);
      if (firstNew < 0 && oldIds.length && oldIds.indexOf(String(slide.id)) < 0) firstNew = i;
    });
    while (nodes.length > slides.length) {
      container.removeChild(nodes.pop());
    }
    // A newly published honour is shown at once; otherwise carry on where we were.
    show(firstNew >= 0 ? firstNew : Math.min(current, nodes.length - 1));
    scheduleRotation();
  }

  function scheduleRefresh() {
    window.clearTimeout(refreshTimer);
    refreshTimer = window.setTimeout(check, refresh);
  }

  function check() {
    fetch(url, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (data) {
        if (Date.now() > reloadAfter) {
          window.location.reload(); // a fresh page now and then, only when the server answers
          return;
        }
        if (data.version !== version) {
          version = data.version;
          render(data.slides || []);
        }
      })
      .catch(function () {
        // The network or server is down: keep showing what we have and try again later.
      })
      .then(scheduleRefresh);
  }

  document.addEventListener("keydown", function (event) {
    if (event.key === "ArrowRight" || event.key === "ArrowLeft") {
      show(current + (event.key === "ArrowRight" ? 1 : -1));
      scheduleRotation();
    }
  });

  ids = nodes.map(function (node) {
    return node.getAttribute("data-honour") || "";
  });
  show(0);
  if (nodes.length > 1) scheduleRotation();
  scheduleRefresh();
})();
