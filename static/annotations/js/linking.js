// The place-linking panel: a Leaflet map of the candidates (numbered) and of the places
// already linked in the article, over country outlines shipped with the app, so it works
// offline; map tiles only when the deployment sets a tile URL.
(function () {
  "use strict";
  let outlines = null; // GeoJSON of country outlines, fetched once per page

  async function countryOutlines(url) {
    if (!outlines) {
      const topology = await (await fetch(url)).json();
      outlines = topojson.feature(topology, topology.objects.countries);
    }
    return outlines;
  }

  async function drawMap(element) {
    if (element.dataset.ready || typeof L === "undefined") return;
    element.dataset.ready = "1";
    const data = JSON.parse(document.getElementById("map-data").textContent);
    const map = L.map(element, { attributionControl: false, zoomSnap: 0.5 });
    if (element.dataset.tiles) L.tileLayer(element.dataset.tiles, { maxZoom: 14 }).addTo(map);
    else {
      const shapes = await countryOutlines(element.dataset.outlines);
      L.geoJSON(shapes, { style: { color: "#888", weight: 1, fillColor: "#eee", fillOpacity: 1 } }).addTo(map);
    }
    const points = [];
    for (const place of data.linked) {
      L.circleMarker([place.lat, place.lon], { radius: 4, color: "#666" }).bindTooltip(place.name).addTo(map);
      points.push([place.lat, place.lon]);
    }
    for (const c of data.candidates) {
      const icon = L.divIcon({ className: "candidate-pin", html: String(c.n), iconSize: [20, 20] });
      L.marker([c.lat, c.lon], { icon }).bindTooltip(c.name).addTo(map);
      points.push([c.lat, c.lon]);
    }
    if (points.length) map.fitBounds(points, { padding: [20, 20], maxZoom: 9 });
    else map.setView([30, 35], 4);
    // A click fills the custom place form's coordinates.
    map.on("click", (event) => {
      document.getElementById("custom-lat").value = event.latlng.lat.toFixed(5);
      document.getElementById("custom-lon").value = event.latlng.lng.toFixed(5);
    });
  }

  document.body.addEventListener("htmx:afterSettle", () => {
    const element = document.getElementById("place-map");
    if (element) drawMap(element);
  });

  // "Link all mentions" sits outside the candidate forms; add it to whichever is sent.
  document.body.addEventListener("htmx:configRequest", (event) => {
    const box = document.getElementById("link-all");
    if (box && box.checked && event.detail.elt.closest(".linking")) event.detail.parameters.all = "1";
  });
})();
