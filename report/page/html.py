"""HTML building blocks for the one self-contained page: escaping, tables, figures, atomic writing."""

from __future__ import annotations

import html


class Markup(str):
    """HTML that is already safe; any other text put on the page is escaped."""


def esc(value) -> Markup:
    """Text from data (labels, host names, error messages) made safe for the page."""
    if isinstance(value, Markup):
        return value
    return Markup(html.escape("" if value is None else str(value), quote=True))


def tag(name: str, body="", **attrs) -> Markup:
    """``<name attr="...">body</name>``; attribute values are escaped, ``class_`` means ``class``."""
    text = "".join(
        ' %s="%s"' % (k.rstrip("_").replace("_", "-"), esc(v)) for k, v in attrs.items() if v is not None
    )
    return Markup("<%s%s>%s</%s>" % (name, text, esc(body), name))


def join(parts) -> Markup:
    return Markup("".join(esc(p) for p in parts))


def paragraph(text, class_: str | None = None) -> Markup:
    return tag("p", text, class_=class_)


def table(header: list, rows: list, class_: str | None = None, row_classes: list | None = None) -> Markup:
    """A table; a cell is text (escaped), Markup, or a (content, css class, title) tuple."""
    head = join(tag("th", _breakable(h)) for h in header)
    body = []
    for i, row in enumerate(rows):
        cells = []
        for cell in row:
            if isinstance(cell, tuple):
                content, css, title = (list(cell) + [None, None])[:3]
                cells.append(tag("td", content, class_=css, title=title))
            else:
                cells.append(tag("td", cell))
        css = row_classes[i] if row_classes else None
        body.append(tag("tr", join(cells), class_=css))
    inner = tag("table", join([tag("thead", tag("tr", head)), tag("tbody", join(body))]), class_=class_)
    return tag("div", inner, class_="scroll")


def _breakable(name) -> Markup:
    """A column name that may wrap after its underscores (``predicted_blocked_fraction``), so that a
    table of many such columns fits the window instead of scrolling sideways."""
    if isinstance(name, Markup):
        return name
    return Markup(esc(name).replace("_", "_<wbr>"))


def figure(data_uri: str, alt: str, caption=None) -> Markup:
    """An embedded image (``data:`` URI only: the page must load nothing from elsewhere)."""
    if not data_uri.startswith("data:image/"):
        raise ValueError("figures must be embedded data: URIs")
    img = Markup('<img src="%s" alt="%s">' % (esc(data_uri), esc(alt)))
    return tag("figure", join([img, tag("figcaption", caption) if caption else ""]))


def section(anchor: str, title, body) -> Markup:
    return tag("section", join([tag("h2", title), body]), id=anchor)


STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:1.5em auto;max-width:1320px;
 padding:0 1em;color:#222;line-height:1.4}
h1{font-size:1.6em;margin-bottom:.2em} h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:1.8em}
h3{margin-bottom:.3em} .muted{color:#666;font-size:.9em}
nav{line-height:1.8} nav a{margin-right:1em;display:inline-block;white-space:nowrap}
table{border-collapse:collapse;margin:.6em 0;font-size:.85em} th,td{border:1px solid #ccc;padding:.25em .5em;
 text-align:left;vertical-align:top} th{background:#f3f3f3}
td.num{text-align:right;font-variant-numeric:tabular-nums}
table.compact{font-size:.78em} table.compact td{padding:.15em .4em}
td.best{background:#e2f4e2;font-weight:bold} td.faster{background:#e2f4e2} td.slower{background:#fbe3e3}
td.noisy{font-style:italic;color:#8a5a00} td.missing{color:#999;text-align:center}
tr.differs td{background:#fff6dd}
.scroll{overflow-x:auto;max-width:100%} td{overflow-wrap:anywhere}
.box{border:1px solid #ccc;border-radius:6px;padding:.6em 1em;background:#fafafa}
.warn{border-left:4px solid #e0a800;background:#fff8e1;padding:.4em .8em;margin:.5em 0}
.finding{border-left:4px solid #1f77b4;background:#eef5fb;padding:.4em .8em;margin:.5em 0}
figure{margin:.8em 0;max-width:100%} figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:.85em;color:#555} code{background:#f3f3f3;padding:0 .2em}
""".strip()


def document(title: str, nav: list, body, subtitle=None) -> str:
    """The whole page: inline style, no script, nothing fetched from the network."""
    links = join(tag("a", text, href="#" + anchor) for anchor, text in nav)
    head = Markup(
        '<meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>%s</title><style>%s</style>" % (esc(title), STYLE)
    )
    top = join([tag("h1", title), paragraph(subtitle, "muted") if subtitle else "", tag("nav", links)])
    return '<!DOCTYPE html>\n<html lang="en"><head>%s</head><body>%s%s</body></html>\n' % (head, top, body)
