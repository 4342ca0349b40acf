"""The map widget: customers' dots on a canvas under an SVG of what rarely changes.

Sent as SVG, the two maps were 75 kB a week (a path command per dot) that the
browser parsed, laid out and rasterised again every week: most of its time per
week in headless Chromium. Here the dots' positions go to the browser once per
market (:func:`~cxsim.dashboard.places.map_layout`) and a week is one character
per dot (:func:`~cxsim.dashboard.places.map_codes`, about 4 kB for 2,000
customers), drawn on a ``<canvas>`` by a few lines of JavaScript. The SVG on top
(frames, stores, legend, the ring round a picked customer) changes only with the
market or a click, and a widget sends only the traits that changed.

The widget also reports where it was clicked (``pick``, in its own pixels) and
which week the browser has painted (``seen``): the play loop sends a week only
once the last one is on screen, so every week is drawn.
"""

from __future__ import annotations

import ipyvuetify as v
import traitlets

TEMPLATE = """
<template>
  <div class="cx-map-click" style="position:relative;cursor:crosshair;line-height:0"
       @click="pick = {x: $event.clientX - $event.currentTarget.getBoundingClientRect().left,
                       y: $event.clientY - $event.currentTarget.getBoundingClientRect().top,
                       t: Date.now()}">
    <canvas ref="dots" class="cx-map-dots" :data-week="frame.week"
            style="position:absolute;left:0;top:0;pointer-events:none"></canvas>
    <div style="position:relative" v-html="svg"></div>
  </div>
</template>
<script>
module.exports = {
  watch: {
    frame: function () { this.draw(); },
    geometry: function () { this.xy = null; this.draw(); }
  },
  mounted: function () { this.draw(); },
  methods: {
    draw: function () {
      const L = this.geometry, F = this.frame, c = this.$refs.dots;
      if (!c || !L || !L.xy) { return; }
      if (!this.xy) { this.xy = Int16Array.from(L.xy.split(","), Number); }
      const dpr = window.devicePixelRatio || 1;
      if (c.width !== Math.round(L.width * dpr) || c.height !== Math.round(L.height * dpr)) {
        c.width = Math.round(L.width * dpr); c.height = Math.round(L.height * dpr);
        c.style.width = L.width + "px"; c.style.height = L.height + "px";
      }
      const ctx = c.getContext("2d");
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.clearRect(0, 0, L.width, L.height);
      ctx.fillStyle = L.background;
      for (const b of L.boxes) { ctx.fillRect(b[0], b[1], b[2], b[2]); }
      const codes = F.codes || "", xy = this.xy, n = xy.length / 2, nc = 1 + 4 * 11;
      const buckets = [];
      for (let k = 0; nc > k; k++) { buckets.push([]); }
      for (let k = 0; codes.length > k * n; k++) {
        for (let i = 0; n > i; i++) {
          const code = codes.charCodeAt(k * n + i) - L.first;
          if (code >= 0 && nc > code) { buckets[code].push(xy[2 * i] + k * L.dx, xy[2 * i + 1]); }
        }
      }
      for (let code = 0; nc > code; code++) {
        const p = buckets[code];
        if (!p.length) { continue; }
        const shape = code === 0 ? "circle" : L.shapes[Math.floor((code - 1) / 11)];
        const r = code === 0 ? L.grey_r : L.r;
        ctx.beginPath();
        for (let i = 0; p.length > i; i += 2) {
          const x = p[i], y = p[i + 1];
          if (shape === "circle") { ctx.moveTo(x + r, y); ctx.arc(x, y, r, 0, 2 * Math.PI); }
          else if (shape === "square") { ctx.rect(x - r, y - r, 2 * r, 2 * r); }
          else if (shape === "triangle") {
            const h = 1.15 * r, w = 0.87 * h;
            ctx.moveTo(x, y - h); ctx.lineTo(x + w, y + 0.5 * h); ctx.lineTo(x - w, y + 0.5 * h);
            ctx.closePath();
          } else {
            const q = 1.2 * r;
            ctx.moveTo(x, y - q); ctx.lineTo(x + q, y); ctx.lineTo(x, y + q); ctx.lineTo(x - q, y);
            ctx.closePath();
          }
        }
        ctx.fillStyle = code === 0 ? L.grey : L.colours[(code - 1) % 11];
        ctx.fill();
      }
      // No "less than" signs in this script: the template parser would take them for tags.
      const week = F.week;
      // Reported from the next animation frame: what is on the page then is what gets painted.
      window.requestAnimationFrame(() => { this.seen = week; });
    }
  }
}
</script>"""


class MapCanvas(v.VuetifyTemplate):
    """The two maps. ``geometry``: once per market; ``frame``: {"week", "codes"} each week;
    ``svg``: what lies on top; ``pick``: the last click; ``seen``: the week painted."""

    template = traitlets.Unicode(TEMPLATE).tag(sync=True)
    geometry = traitlets.Dict(default_value={}).tag(sync=True)
    frame = traitlets.Dict(default_value={"week": -1, "codes": ""}).tag(sync=True)
    svg = traitlets.Unicode("").tag(sync=True)
    pick = traitlets.Dict(default_value={}).tag(sync=True)
    seen = traitlets.Int(-1).tag(sync=True)
