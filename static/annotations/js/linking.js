// The place-linking panel: a Leaflet map of the candidates (numbered) and of the places
// already linked in the article, over country outlines shipped with the app, so it works
// offline; map tiles only when the deployment sets a tile URL.
//
// htmx swaps the span panel, and with it #place-map, for every span opened. One map lives
// at a time: it is removed with the element it was drawn in (a map left behind keeps its
// listeners and layers), and the next is drawn once the new panel has settled (before
// that, htmx has lent the new element the old one's classes). On /spans/<id>/ the map is
// in the page itself.
(function () {
  "use strict";
  let current = null; // the panel's map: { element, map, observer }

  // Until a swap settles, htmx lends each new element the class and style attributes of
  // the old one of the same id. This app has no style attributes (the Content-Security-
  // Policy refuses them) but those scripts set, as Leaflet does on the map's element, and
  // htmx copying one is refused with a console error; so the style attribute stays put.
  htmx.config.attributesToSettle = htmx.config.attributesToSettle.filter((name) => name !== "style");

  // Leaflet puts a string into the page as HTML; place names are typed by users, so they
  // go in as text. (A custom place may be called <img src=x onerror=…>.)
  function text(value) {
    const element = document.createElement("span");
    element.textContent = String(value);
    return element;
  }

  function fit(map, points) {
    // Clear of the zoom buttons in the top left corner, where they would hide a pin.
    if (points.length) map.fitBounds(points, { paddingTopLeft: [50, 20], paddingBottomRight: [20, 20], maxZoom: 9 });
    else map.setView([30, 35], 4);
  }

  function hasSize(element) {
    return element.clientWidth > 0 && element.clientHeight > 0;
  }

  async function drawMap(element) {
    const data = JSON.parse(document.getElementById("map-data").textContent);
    const map = L.map(element, { attributionControl: false, zoomSnap: 0.5 });
    // The view before any layer: a path added to a map with none is drawn before its
    // renderer has bounds ("Cannot read properties of undefined (reading 'min')").
    const points = [...data.linked, ...data.candidates].map((p) => [p.lat, p.lon]);
    fit(map, points);
    // A map fitted at no size is zoomed all the way in; fit it again once it has one.
    let fitted = hasSize(element);
    const observer = new ResizeObserver(() => {
      map.invalidateSize();
      if (!fitted && hasSize(element)) {
        fitted = true;
        fit(map, points);
      }
    });
    observer.observe(element);
    current = { element, map, observer };
    for (const place of data.linked) {
      L.circleMarker([place.lat, place.lon], { radius: 4, color: "#666" }).bindTooltip(text(place.name)).addTo(map);
    }
    for (const c of data.candidates) {
      const icon = L.divIcon({ className: "candidate-pin", html: text(c.n), iconSize: [20, 20] });
      L.marker([c.lat, c.lon], { icon }).bindTooltip(text(c.name)).addTo(map);
    }
    // A click fills the custom place form's coordinates (a read-only panel has none).
    map.on("click", (event) => {
      const lat = document.getElementById("custom-lat");
      const lon = document.getElementById("custom-lon");
      if (!lat || !lon) return;
      lat.value = event.latlng.lat.toFixed(5);
      lon.value = event.latlng.lng.toFixed(5);
    });
    if (element.dataset.tiles) L.tileLayer(element.dataset.tiles, { maxZoom: 14 }).addTo(map);
    else {
      const shapes = await NewsdeskOutlines.load(element.dataset.outlines);
      // The panel may have been swapped for another while the outlines loaded.
      if (current && current.map === map) NewsdeskOutlines.draw(map, shapes);
    }
  }

  function removeMap() {
    if (!current) return;
    current.observer.disconnect();
    current.map.remove();
    current = null;
  }

  function showMap() {
    const element = document.getElementById("place-map");
    if (current && current.element === element) return; // drawn; another region settled
    removeMap();
    if (element && typeof L !== "undefined") drawMap(element);
  }

  // htmx cleans up every element it removes; the map goes with its own.
  document.body.addEventListener("htmx:beforeCleanupElement", (event) => {
    if (current && event.target === current.element) removeMap();
  });
  document.body.addEventListener("htmx:afterSettle", showMap);
  showMap(); // a page that has the panel in it from the start

  // The outlines of the first panel's map load while the reader reads, when the page
  // says where they are.
  const hint = document.querySelector("[data-outlines]");
  if (hint && !hint.dataset.tiles && typeof topojson !== "undefined") {
    const later = window.requestIdleCallback || ((f) => setTimeout(f, 200));
    later(() => NewsdeskOutlines.load(hint.dataset.outlines));
  }

  // "Link all mentions" sits outside the candidate forms; add it to whichever is sent.
  document.body.addEventListener("htmx:configRequest", (event) => {
    const box = document.getElementById("link-all");
    if (box && box.checked && event.detail.elt.closest(".linking")) event.detail.parameters.all = "1";
  });
})();
