// The place-linking panel: a Leaflet map of the candidates (numbered) and of the places
// already linked in the article, over country outlines shipped with the app, so it works
// offline; map tiles only when the deployment sets a tile URL.
(function () {
  "use strict";
  let outlines = null; // GeoJSON of country outlines, fetched once per page

  // Leaflet puts a string into the page as HTML; place names are typed by users, so they
  // go in as text. (A custom place may be called <img src=x onerror=…>.)
  function text(value) {
    const element = document.createElement("span");
    element.textContent = String(value);
    return element;
  }

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
    // The view before any layer: Leaflet cannot draw paths on a map without one.
    const points = [...data.linked, ...data.candidates].map((p) => [p.lat, p.lon]);
    if (points.length) map.fitBounds(points, { padding: [20, 20], maxZoom: 9 });
    else map.setView([30, 35], 4);
    for (const place of data.linked) {
      L.circleMarker([place.lat, place.lon], { radius: 4, color: "#666" }).bindTooltip(text(place.name)).addTo(map);
    }
    for (const c of data.candidates) {
      const icon = L.divIcon({ className: "candidate-pin", html: text(c.n), iconSize: [20, 20] });
      L.marker([c.lat, c.lon], { icon }).bindTooltip(text(c.name)).addTo(map);
    }
    // A click fills the custom place form's coordinates.
    map.on("click", (event) => {
      document.getElementById("custom-lat").value = event.latlng.lat.toFixed(5);
      document.getElementById("custom-lon").value = event.latlng.lng.toFixed(5);
    });
    if (element.dataset.tiles) L.tileLayer(element.dataset.tiles, { maxZoom: 14 }).addTo(map);
    else {
      const shapes = await countryOutlines(element.dataset.outlines);
      const style = { color: "#888", weight: 1, fillColor: "#eee", fillOpacity: 1 };
      L.geoJSON(shapes, { style, interactive: false }).addTo(map).bringToBack();
    }
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
