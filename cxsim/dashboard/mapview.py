"""The map widget: customers' dots on a canvas under an SVG of what rarely changes.

Sent as SVG, the two maps were 75 kB a week (a path command per dot) that the
browser parsed, laid out and rasterised again every week: most of its time per
week in headless Chromium. Here the dots' positions go to the browser once per
market (:func:`~cxsim.dashboard.places.map_layout`) and a week is one character
per dot (:func:`~cxsim.dashboard.places.map_codes`, about 4 kB for 2,000
customers), drawn on a ``<canvas>`` by a few lines of JavaScript. The SVG on top
(frames, stores, legend, the ring round a picked customer) changes only with the
market or a click, and a widget sends only the traits that changed.

The widget also reports where it was clicked (``pick``, in its own pixels).
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
    geometry: function () { this.xy = null; this.sprites = null; this.draw(); }
  },
  mounted: function () { this.draw(); },
  methods: {
    shape: function (ctx, shape, x, y, r) {
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
    },
    rgba: function (hex) {  // "#rrggbb" as one pixel of an ImageData, whatever the byte order
      const px = new Uint8ClampedArray([parseInt(hex.slice(1, 3), 16),
        parseInt(hex.slice(3, 5), 16), parseInt(hex.slice(5, 7), 16), 255]);
      return new Uint32Array(px.buffer)[0];
    },
    // Each code's shape as the pixels it covers (drawn once, without anti-aliasing, as
    // the SVG's dots were): a week then only writes pixels, about 40 times faster than
    // a software canvas filling 4,000 small paths.
    makeSprites: function (L, dpr) {
      const out = [];
      for (let code = 0; 45 > code; code++) {
        const r = code === 0 ? L.grey_r : L.r, half = Math.ceil((1.45 * r + 1) * dpr);
        const c = new OffscreenCanvas(2 * half, 2 * half), ctx = c.getContext("2d");
        ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
        ctx.beginPath();
        this.shape(ctx, code === 0 ? "circle" : L.shapes[Math.floor((code - 1) / 11)],
                   half / dpr, half / dpr, r);
        ctx.fill();
        const a = ctx.getImageData(0, 0, 2 * half, 2 * half).data, dx = [], dy = [];
        for (let y = 0; 2 * half > y; y++) {
          for (let x = 0; 2 * half > x; x++) {
            if (a[4 * (y * 2 * half + x) + 3] >= 128) { dx.push(x - half); dy.push(y - half); }
          }
        }
        out.push({dx: dx, dy: dy,
                  colour: this.rgba(code === 0 ? L.grey : L.colours[(code - 1) % 11])});
      }
      return out;
    },
    draw: function () {
      const L = this.geometry, F = this.frame, c = this.$refs.dots;
      if (!c || !L || !L.xy) { return; }
      const dpr = window.devicePixelRatio || 1, W = Math.round(L.width * dpr);
      const H = Math.round(L.height * dpr);
      if (!this.xy) { this.xy = Int16Array.from(L.xy.split(","), Number); }
      if (!this.sprites || this.dpr !== dpr) {
        this.sprites = this.makeSprites(L, dpr); this.dpr = dpr;
      }
      if (c.width !== W || c.height !== H) {
        c.width = W; c.height = H; c.style.width = L.width + "px"; c.style.height = L.height + "px";
      }
      const ctx = c.getContext("2d"), img = ctx.createImageData(W, H);
      const buf = new Uint32Array(img.data.buffer), bg = this.rgba(L.background);
      for (const b of L.boxes) {
        const x0 = Math.round(b[0] * dpr), y0 = Math.round(b[1] * dpr), s = Math.round(b[2] * dpr);
        for (let y = y0; y0 + s > y; y++) { buf.fill(bg, y * W + x0, y * W + x0 + s); }
      }
      const codes = F.codes || "", xy = this.xy, n = xy.length / 2, nc = this.sprites.length;
      // In order of code: the grey ones below, then by shape and colour, as the SVG was.
      const order = [];
      for (let k = 0; nc > k; k++) { order.push([]); }
      for (let k = 0; codes.length > k * n; k++) {
        for (let i = 0; n > i; i++) {
          const code = codes.charCodeAt(k * n + i) - L.first;
          if (code >= 0 && nc > code) { order[code].push(xy[2 * i] + k * L.dx, xy[2 * i + 1]); }
        }
      }
      for (let code = 0; nc > code; code++) {
        const p = order[code], s = this.sprites[code], m = s.dx.length, colour = s.colour;
        for (let i = 0; p.length > i; i += 2) {
          const x = Math.round(p[i] * dpr), y = Math.round(p[i + 1] * dpr);
          for (let j = 0; m > j; j++) {
            const px = x + s.dx[j], py = y + s.dy[j];
            if (px >= 0 && W > px && py >= 0 && H > py) { buf[py * W + px] = colour; }
          }
        }
      }
      ctx.putImageData(img, 0, 0);
      // No "less than" signs in this script: the template parser would take them for tags.
    }
  }
}
</script>"""


class MapCanvas(v.VuetifyTemplate):
    """The two maps. ``geometry``: once per market; ``frame``: {"week", "codes"} each week;
    ``svg``: what lies on top; ``pick``: the last click."""

    template = traitlets.Unicode(TEMPLATE).tag(sync=True)
    geometry = traitlets.Dict(default_value={}).tag(sync=True)
    frame = traitlets.Dict(default_value={"week": -1, "codes": ""}).tag(sync=True)
    svg = traitlets.Unicode("").tag(sync=True)
    pick = traitlets.Dict(default_value={}).tag(sync=True)
