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

  function background() {
    if (element.dataset.tiles) {
      L.tileLayer(element.dataset.tiles, { maxZoom: 14 }).addTo(map);
      return Promise.resolve();
    }
    return NewsdeskOutlines.load(element.dataset.outlines).then((shapes) => NewsdeskOutlines.draw(map, shapes));
  }

  function ready(which) {
    if (which !== drawn) return;
    element.dataset.ready = String(clusters.getLayers().length);
    performance.mark("explorer-ready");
  }

  // Markers first (the view is fitted to them), then the outlines in that view.
  const outlines = showPoints().then((which) => background().then(() => which));
  outlines.then(ready);

  // New results are on their way: the map stops saying it is ready at once, and a draw
  // still in progress becomes stale. htmx pushes the new address before it settles, so
  // without this the address and the table could be new while the map still said ready.
  document.body.addEventListener("htmx:beforeSwap", (event) => {
    if (event.detail.target && event.detail.target.id === "results") {
      drawn++;
      delete element.dataset.ready;
    }
  });

  // A filter swapped the results: new points, same map (the outlines are drawn already).
  document.body.addEventListener("htmx:afterSettle", (event) => {
    if (event.detail.target && event.detail.target.id === "results") {
      outlines.then(() => showPoints()).then(ready);
    }
  });
})();
