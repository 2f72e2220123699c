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
  const OUTLINE_STYLE = { color: "#888", weight: 1, fillColor: "#eee", fillOpacity: 1, className: "country" };
  let outlines = null; // a promise of the country outlines, fetched and parsed once per page
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

  function loadOutlines(url) {
    if (!outlines) {
      outlines = fetch(url)
        .then((response) => response.json())
        .then((topology) => topojson.feature(topology, topology.objects.countries).features)
        .then((features) => features.filter((f) => f.geometry).map(country));
      outlines.catch(() => (outlines = null)); // the next panel tries again
    }
    return outlines;
  }

  // Projecting all 100,000 points of the 1:50m outlines takes Leaflet 60–250 ms per map,
  // most of it for countries far off screen. So each country comes in two forms: as it is,
  // for the countries in or near the view, and with one point in ten kept, for the rest
  // (seen only when zoomed out; they are swapped for the full form as the view reaches them).
  function country(feature) {
    let south = 90, west = 180, north = -90, east = -180;
    const visit = (c) => {
      if (typeof c[0] !== "number") return c.forEach(visit);
      if (c[0] < west) west = c[0];
      if (c[0] > east) east = c[0];
      if (c[1] < south) south = c[1];
      if (c[1] > north) north = c[1];
    };
    visit(feature.geometry.coordinates);
    const { type, coordinates } = feature.geometry;
    const polygons = type === "Polygon" ? [coordinates] : coordinates;
    const coarse = { type: "MultiPolygon", coordinates: polygons.map((rings) => rings.map(thin)) };
    return { fine: feature, coarse, bounds: L.latLngBounds([south, west], [north, east]) };
  }

  // A ring with one point in ten, closed; small rings as they are.
  function thin(ring) {
    return ring.length < 40 ? ring : ring.filter((_, i) => i % 10 === 0 || i === ring.length - 1);
  }

  function drawOutlines(map, shapes) {
    const group = L.featureGroup().addTo(map);
    const drawn = new Map(); // shape → { layer, fine }
    const update = () => {
      const near = map.getBounds().pad(0.5);
      let changed = false;
      for (const shape of shapes) {
        const fine = near.intersects(shape.bounds);
        const before = drawn.get(shape);
        if (before && (before.fine || !fine)) continue;
        if (before) group.removeLayer(before.layer);
        const layer = L.geoJSON(fine ? shape.fine : shape.coarse, { style: OUTLINE_STYLE, interactive: false });
        group.addLayer(layer);
        drawn.set(shape, { layer, fine });
        changed = true;
      }
      if (changed) group.bringToBack(); // under the article's places, paths too
    };
    update();
    map.on("moveend", update);
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
      const shapes = await loadOutlines(element.dataset.outlines);
      // The panel may have been swapped for another while the outlines loaded.
      if (current && current.map === map) drawOutlines(map, shapes);
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
    later(() => loadOutlines(hint.dataset.outlines));
  }

  // "Link all mentions" sits outside the candidate forms; add it to whichever is sent.
  document.body.addEventListener("htmx:configRequest", (event) => {
    const box = document.getElementById("link-all");
    if (box && box.checked && event.detail.elt.closest(".linking")) event.detail.parameters.all = "1";
  });
})();
