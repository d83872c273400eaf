// Suggestions under the search box while someone types: regions and titles from
// /search/suggest, offered through a <datalist>. Without JavaScript the form works as it is.
(function () {
  "use strict";
  var input = document.querySelector("input[data-suggest]");
  if (!input || !window.fetch || !document.createElement("datalist").options) { return; }
  var list = document.createElement("datalist");
  list.id = input.id + "-suggestions";
  input.parentNode.appendChild(list);
  input.setAttribute("list", list.id);
  var url = input.getAttribute("data-suggest");
  var timer = null;
  var asked = "";
  function show(answer) {
    list.textContent = "";
    answer.regions.concat(answer.titles).forEach(function (item) {
      var option = document.createElement("option");
      option.value = item.name || item.title;
      list.appendChild(option);
    });
  }
  function ask() {
    var q = input.value.trim();
    if (q === asked) { return; }
    asked = q;
    if (q.length < 1) { list.textContent = ""; return; }
    fetch(url + "?q=" + encodeURIComponent(q), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (answer) { if (answer && q === asked) { show(answer); } })
      .catch(function () { /* no suggestions: the form still works */ });
  }
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(ask, 250);
  });
}());
