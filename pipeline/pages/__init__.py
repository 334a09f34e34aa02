"""The HTML pages of a release, rendered by one Jinja2 environment from the templates in templates/:

  base.html              the layout every page extends: the document (lang="da"), the shared report/assets (report.css,
                         report.js), header with the report's navigation, main landmark, footer, the page's data
  macros.html            parts several pages use (a chart with its table and CSV button, the filters)
  national.html          report/index.html                  (pipeline.report)
  methods.html           report/metode.html                 (pipeline.report)
  municipality.html      kommuner/<kode>/rapport.html       (pipeline.report)
  feedback.html          kommuner/<kode>/tilbagemelding_<aar>.html          (pipeline.feedback)
  feedback_failed.html   the same page when the feedback could not be written (pipeline.feedback)

What protects the pages against hostile text from submissions (names, values, messages) is the environment:
autoescaping escapes every value a template prints, and every printed text first goes through clean_text
(control characters HTML cannot show become U+FFFD). Nothing with data in it is marked safe; the data for
report.js goes into a <script type="application/json"> through `tojson`, whose dumps (script_json) escapes
what could end the script element or break UTF-8."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from pipeline.text import (
    CONTROL_CHARACTERS,
    FORMULA_START,
    PLAIN_NUMBER,
    clean_text,
    da_number,
    da_number_short,
)


def _js_regex(pattern: re.Pattern) -> str:
    """A Python regex as JavaScript source (used with the `u` flag): Python's `\\d` on text is any Unicode
    decimal digit (category Nd), JavaScript's only 0-9."""
    return pattern.pattern if pattern.flags & re.ASCII else pattern.pattern.replace(r"\d", r"\p{Nd}")


# pipeline.text.safe_cell's rule, handed to report.js (on every page) for its CSV downloads: one definition
CELL_RULE = {
    "formel_start": list(FORMULA_START),
    "tal": _js_regex(PLAIN_NUMBER),
    "kontrol": _js_regex(CONTROL_CHARACTERS),
}
# Plotly's geo charts fetch a world base map from a CDN unless one is given: an empty one, no network
EMPTY_TOPOJSON = {
    "type": "Topology",
    "objects": {
        name: {"type": "GeometryCollection", "geometries": []}
        for name in ("coastlines", "land", "ocean", "lakes", "rivers", "countries", "subunits")
    },
    "arcs": [],
}

# In a <script> element the HTML parser acts on `</script` and `<!--`; U+2028/2029 end a line in older
# JavaScript; a lone surrogate cannot be written as UTF-8. JSON has these only inside strings, where \uXXXX
# means the same character.
_SCRIPT_UNSAFE = re.compile("[<>&\u2028\u2029\ud800-\udfff]")


def script_json(data) -> str:
    """JSON that can stand inside a <script> element (the templates' `tojson`, and report/data/nationalt.js)."""
    text = json.dumps(data, ensure_ascii=False, default=str, separators=(",", ":"))
    return _SCRIPT_UNSAFE.sub(lambda m: f"\\u{ord(m[0]):04x}", text)


def _finalize(value):
    """Every value a template prints, before autoescaping: None as an empty cell, text made safe to write
    (clean_text). Markup (a macro's output, `tojson`) is already escaped and stays as it is."""
    if value is None:
        return ""
    if isinstance(value, str) and not isinstance(value, Markup):
        return clean_text(value)
    return value


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("pipeline.pages", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    # pipeline.text's Danish number formats (1.234,5), the one formatter of the project
    env.filters["da_number"] = da_number
    env.filters["da_number_short"] = da_number_short
    env.policies["json.dumps_function"] = script_json
    env.policies["json.dumps_kwargs"] = {}
    env.globals.update(cell_rule=CELL_RULE, empty_topojson=EMPTY_TOPOJSON, charts=False, scripts=())
    return env


def render(template: str, **context) -> str:
    return environment().get_template(template).render(**context)


def write_page(path: Path, template: str, **context) -> Path:
    path.write_text(render(template, **context), encoding="utf-8")
    return path
