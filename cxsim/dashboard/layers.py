"""A chart as two layers: what changes with the data, over what does not.

The charts are drawn as one SVG each (:mod:`cxsim.dashboard.views`); their lines,
areas and this week's figures sit in ``<g class="cx-data">`` groups
(:func:`cxsim.dashboard.svg.data`). :func:`split` lifts those groups into a
second SVG laid over the first. A week then replaces only that layer: its
frame, grid, tick labels, titles and legend change only when an axis does, so
the page does not send them again and the browser does not parse, lay out and
shape their text again.
"""

from __future__ import annotations

import re

import ipyvuetify as v
import traitlets

_DATA = re.compile(r'<g class="cx-data">(.*?)</g>', re.S)
_HEAD = re.compile(r"<svg[^>]*>")
_WEEK = re.compile(r' data-week="[^"]*"')
_SIZE = re.compile(r' viewBox="[^"]*" width="[^"]*" height="[^"]*"')


def split(doc: str) -> tuple[str, str]:
    """(base, data): ``doc`` without its data groups, and them alone in an SVG of the
    same size (with the week, which the base no longer carries).

    >>> split('<svg class="c" viewBox="0 0 9 9" width="9" height="9" data-week="3">'
    ...       '<rect/><g class="cx-data"><path d="M0 0"/></g></svg>')[1]
    '<svg xmlns="http://www.w3.org/2000/svg" class="cx-data-layer" viewBox="0 0 9 9" \
width="9" height="9" data-week="3" style="display:block"><path d="M0 0"/></svg>'
    """
    head = _HEAD.match(doc)
    if head is None:
        return doc, ""
    week = _WEEK.search(head.group(0))
    size = _SIZE.search(head.group(0))
    data = "".join(_DATA.findall(doc))
    base = _WEEK.sub("", head.group(0), count=1) + _DATA.sub("", doc[head.end():])
    layer = (f'<svg xmlns="http://www.w3.org/2000/svg" class="cx-data-layer"'
             f'{size.group(0) if size else ""}{week.group(0) if week else ""} '
             f'style="display:block">{data}</svg>')
    return base, layer


class LayeredSvg(v.VuetifyTemplate):
    """``base`` with ``layer`` (the data) laid over it (each replaced only when it changes)."""

    template = traitlets.Unicode("""
<template>
  <div :class="box" style="position:relative;line-height:0">
    <div v-html="base"></div>
    <div v-html="layer" style="position:absolute;left:0;top:0;pointer-events:none"></div>
  </div>
</template>""").tag(sync=True)
    base = traitlets.Unicode("").tag(sync=True)
    layer = traitlets.Unicode("").tag(sync=True)  # "data" is taken by Vue
    box = traitlets.Unicode("").tag(sync=True)  # CSS class of the whole
