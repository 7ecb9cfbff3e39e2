var tgMap = window.tgMap || {};
tgMap.table = function (rows, banner) {
  var d = document.createElement('div'); d.className = 'tg-popup';
  if (banner) { var b = document.createElement('div'); b.className = 'tg-sim-banner';
    b.textContent = banner; d.appendChild(b); }
  var t = document.createElement('table');
  rows.forEach(function (r) {
    if (r[1] === null || r[1] === undefined || r[1] === '') { return; }
    var tr = document.createElement('tr'), th = document.createElement('th'),
        td = document.createElement('td');
    th.textContent = r[0]; td.textContent = String(r[1]);
    tr.appendChild(th); tr.appendChild(td); t.appendChild(tr);
  });
  d.appendChild(t); return d;
};
tgMap.value = function (col, i) {
  if (col.v) { return col.v[i]; }
  var k = col.i[i]; return (k === null || k < 0) ? null : col.u[k];
};
tgMap.points = function (group, data, opts) {
  var renderer = L.canvas({padding: 0.5}), xy = data.xy, s = data.scale, n = xy.length / 2;
  var x = 0, y = 0;
  for (var i = 0; i < n; i++) {
    x += xy[2 * i]; y += xy[2 * i + 1];
    var fill = data.colour ? tgMap.value(data.colour, i) : opts.fill;
    var coarse = data.coarse && data.coarse[i];
    // Villages located only to their county (or city): hollow rings in the layer's colour.
    var mk = L.circleMarker([y / s, x / s], {
      renderer: renderer, radius: coarse ? opts.radius + 1 : opts.radius,
      color: coarse ? fill : opts.stroke, weight: coarse ? 2 : opts.weight,
      opacity: 0.9, fillOpacity: coarse ? 0.15 : opts.fillOpacity, fillColor: fill});
    mk._tgI = i; group.addLayer(mk);
  }
  group.bindPopup(function (layer) {
    var i = layer._tgI;
    return tgMap.table(data.fields.map(function (f, j) {
      return [data.labels[j], tgMap.value(data.cols[f], i)]; }), data.banner);
  }, {maxWidth: 340});
  if (opts.tooltip) {
    group.bindTooltip(function (layer) {
      var el = document.createElement('span');
      el.textContent = tgMap.value(data.cols[opts.tooltip], layer._tgI); return el; });
  }
};
tgMap.featurePopup = function (fields, labels, banner) {
  return function (feature, layer) {
    layer.bindPopup(function () {
      return tgMap.table(fields.map(function (f, j) {
        return [labels[j], feature.properties[f]]; }), banner); }, {maxWidth: 340});
  };
};
