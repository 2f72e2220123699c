// Country outlines shipped with the app (world-atlas TopoJSON), drawn under a Leaflet map so
// that maps work offline: the linking panel's (linking.js) and the events explorer's
// (explorer.js). Needs Leaflet and topojson-client, loaded before it.
window.NewsdeskOutlines = (function () {
  "use strict";
  const STYLE = { color: "#888", weight: 1, fillColor: "#eee", fillOpacity: 1, className: "country" };
  const loaded = new Map(); // url → a promise of the shapes, fetched and parsed once per page

  function load(url) {
    if (!loaded.has(url)) {
      const shapes = fetch(url)
        .then((response) => response.json())
        .then((topology) => topojson.feature(topology, topology.objects.countries).features)
        .then((features) => features.filter((f) => f.geometry).map(country));
      shapes.catch(() => loaded.delete(url)); // the next map tries again
      loaded.set(url, shapes);
    }
    return loaded.get(url);
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

  // Draws the shapes on the map, under everything else, and keeps the ones near the view in
  // their full form as the view moves.
  function draw(map, shapes) {
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
        const layer = L.geoJSON(fine ? shape.fine : shape.coarse, { style: STYLE, interactive: false });
        group.addLayer(layer);
        drawn.set(shape, { layer, fine });
        changed = true;
      }
      if (changed) group.bringToBack(); // under the map's places, paths too
    };
    update();
    map.on("moveend", update);
  }

  return { load, draw };
})();
