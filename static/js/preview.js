// Live preview for the article editor: progressive enhancement over the "预览" button.
(function () {
  "use strict";
  var form = document.getElementById("article-form");
  var body = document.getElementById("body_md");
  var target = document.getElementById("preview-body");
  if (!form || !body || !target || !window.fetch) { return; }
  var url = body.getAttribute("data-preview-url");
  var token = form.querySelector("input[name=csrf_token]");
  var timer = null;
  function refresh() {
    var data = new FormData();
    data.append("body_md", body.value);
    if (token) { data.append("csrf_token", token.value); }
    fetch(url, { method: "POST", body: data, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) { if (html !== null) { target.innerHTML = html; } });
  }
  body.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(refresh, 600);
  });
}());
