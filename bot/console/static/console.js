// Follows a running run: the server sends the redrawn timeline as server-sent events.
// Without JavaScript the run page still reads; reload it to see progress.
(function () {
  var section = document.getElementById("timeline");
  if (!section || !section.dataset.events || !window.EventSource) return;
  var source = new EventSource(section.dataset.events);
  source.addEventListener("progress", function (event) {
    section.innerHTML = JSON.parse(event.data).html;
  });
  source.addEventListener("finished", function () { source.close(); });
})();
