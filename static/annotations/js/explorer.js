// The events explorer's map: one marker per place with its number of events, clustered
// (Leaflet.markercluster, a cluster shows the events under it), over the country outlines
// shipped with the app, so it works offline; tiles only when the deployment sets a tile URL.
//
// The points come as JSON in #event-points, inside the region the filters swap; the map
// itself stays, and its markers are rebuilt from the new points after each swap. When the
// markers and the outlines are drawn the map says so (data-ready, and a performance mark
// "explorer-ready" that bench/explorer.py reads).
(function () {
  "use strict";
  const element = document.getElementById("event-map");
  if (!element || typeof L === "undefined" || !L.markerClusterGroup) return;
  const OUTLINE_STYLE = { color: "#888", weight: 1, fillColor: "#eee", fillOpacity: 1, className: "country" };
  // Clustering needs a highest zoom; without tiles the map has none of its own.
  const map = L.map(element, { attributionControl: false, zoomSnap: 0.5, minZoom: 2, maxZoom: 12 }).setView([30, 35], 4);
  let clusters = null;
  let drawn = 0; // which drawing is current: a later one makes an earlier one's end moot

  // Place names are typed by users: they go into the map as text, never as HTML.
  function text(value) {
    const span = document.createElement("span");
    span.textContent = String(value);
    return span;
  }

  function label(name, n) {
    return element.dataset.eventsLabel.replace("{n}", n) + " · " + name;
  }

  // Leaflet puts an icon's html string into the page: only numbers go in that way.
  function pin(n) {
    const size = n < 10 ? "small" : n < 100 ? "medium" : "large";
    return L.divIcon({ html: `<div><span>${Number(n)}</span></div>`, className: `marker-cluster marker-cluster-${size} event-pin`, iconSize: L.point(32, 32) });
  }

  // A cluster counts the events of its places, not its places.
  function clusterIcon(cluster) {
    const n = cluster.getAllChildMarkers().reduce((sum, marker) => sum + marker.options.events, 0);
    const size = n < 10 ? "small" : n < 100 ? "medium" : "large";
    return L.divIcon({ html: `<div><span>${n}</span></div>`, className: `marker-cluster marker-cluster-${size}`, iconSize: L.point(40, 40) });
  }

  // The popup's link shows only that place's events: the current filters, plus the place.
  function popup(name, n, place) {
    const box = document.createElement("div");
    box.append(text(label(name, n)), document.createElement("br"));
    const link = document.createElement("a");
    const url = new URL(window.location.href);
    url.searchParams.set("place", place);
    url.searchParams.delete("page");
    link.href = url.toString();
    link.textContent = element.dataset.onlyLabel;
    box.append(link);
    return box;
  }

  function marker([lat, lon, n, name, place]) {
    return L.marker([lat, lon], { icon: pin(n), events: n, keyboard: false })
      .bindTooltip(text(label(name, n)))
      .bindPopup(() => popup(name, n, place));
  }

  function showPoints() {
    const source = document.getElementById("event-points");
    const points = source ? JSON.parse(source.textContent) : [];
    const mine = ++drawn;
    delete element.dataset.ready;
    if (clusters) map.removeLayer(clusters);
    return new Promise((resolve) => {
      // chunkedLoading adds the markers a slice at a time between frames, so the page
      // stays responsive with thousands of places; chunkProgress says when all are in.
      clusters = L.markerClusterGroup({
        chunkedLoading: true,
        showCoverageOnHover: false,
        maxClusterRadius: 50,
        iconCreateFunction: clusterIcon,
        chunkProgress: (done, total) => done === total && resolve(mine),
      });
      map.addLayer(clusters);
      if (points.length) {
        // No animation: the markers are clustered for the final zoom at once, not twice. At
        // most zoom 6: closer, the country outlines (the only background) leave the map bare.
        map.fitBounds(points.map((p) => [p[0], p[1]]), { padding: [20, 20], maxZoom: 6, animate: false });
        clusters.addLayers(points.map(marker));
      } else resolve(mine);
    });
  }

  // As on the linking map: each country twice, as it is for those in or near the view,
  // with one point in ten for the rest (projecting all 100,000 points costs 60–250 ms).
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

  function thin(ring) {
    return ring.length < 40 ? ring : ring.filter((_, i) => i % 10 === 0 || i === ring.length - 1);
  }

  function drawOutlines(shapes) {
    const group = L.featureGroup().addTo(map);
    const shown = new Map(); // shape → { layer, fine }
    const update = () => {
      const near = map.getBounds().pad(0.5);
      for (const shape of shapes) {
        const fine = near.intersects(shape.bounds);
        const before = shown.get(shape);
        if (before && (before.fine || !fine)) continue;
        if (before) group.removeLayer(before.layer);
        const layer = L.geoJSON(fine ? shape.fine : shape.coarse, { style: OUTLINE_STYLE, interactive: false });
        group.addLayer(layer);
        shown.set(shape, { layer, fine });
      }
      group.bringToBack();
    };
    update();
    map.on("moveend", update);
  }

  function background() {
    if (element.dataset.tiles) {
      L.tileLayer(element.dataset.tiles, { maxZoom: 14 }).addTo(map);
      return Promise.resolve();
    }
    return fetch(element.dataset.outlines)
      .then((response) => response.json())
      .then((topology) => topojson.feature(topology, topology.objects.countries).features)
      .then((features) => drawOutlines(features.filter((f) => f.geometry).map(country)));
  }

  function ready(which) {
    if (which !== drawn) return;
    element.dataset.ready = String(clusters.getLayers().length);
    performance.mark("explorer-ready");
  }

  // Markers first (the view is fitted to them), then the outlines in that view.
  const outlines = showPoints().then((which) => background().then(() => which));
  outlines.then(ready);

  // A filter swapped the results: new points, same map (the outlines are drawn already).
  document.body.addEventListener("htmx:afterSettle", (event) => {
    if (event.detail.target && event.detail.target.id === "results") {
      outlines.then(() => showPoints()).then(ready);
    }
  });
})();
