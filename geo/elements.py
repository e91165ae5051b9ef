"""Map elements folium lacks: a fixed template file each, data only as variables, rendered once.

Why this module exists: branca renders a MacroElement's macros and then wraps the *output* in a new
`Element(text)`, which compiles that text as a Jinja template and renders it a second time. Any
data inside the output (a place name `{{ cycler.__init__... }}`, an unbalanced `{%`) would then run as
template code on the server or break every page. Our elements therefore:

- load their template from a file under `geo/templates/` (never built from strings at run time),
  in an environment with autoescape on;
- receive data only as template variables, reaching JavaScript through the `tojs` filter (JSON
  that cannot close a `<script>` nor contain `{{`, `{%` or `{#`);
- hand their rendered output to the page as `Verbatim` text, which is never compiled again.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace

from branca.element import Element, Figure, MacroElement
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

TEMPLATES = Path(__file__).resolve().parent / "templates"
_TEMPLATE_OPEN = re.compile(r"\{(?=[{%#])")


def js_json(value) -> str:
    """JSON safe inside a <script> element and inert as template text.

    `<`, `>`, `&`, U+2028/U+2029 and the `{` of `{{`, `{%`, `{#` are written as \\u escapes, which
    JSON and JavaScript read back as the same characters."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    text = (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))
    return _TEMPLATE_OPEN.sub(r"\\u007b", text)


ENV = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined,
                  keep_trailing_newline=True)
ENV.filters["tojs"] = lambda value: Markup(js_json(value))


class PlainTemplate:
    """A template whose macros and `render` return plain `str`.

    With autoescape on, Jinja returns `Markup`; streamlit-folium adds each element's script to the
    page's script so far (`text + markup`), and Markup's `+` would HTML-escape all the text before it
    (`L.map(&#34;map_div&#34;…)`): the map would not draw. The data is already JSON, so plain str is safe."""

    def __init__(self, template):
        self._template = template
        self.module = SimpleNamespace(**{name: self._plain(macro) for name, macro in vars(template.module).items()
                                         if callable(macro)})

    @staticmethod
    def _plain(macro):
        return lambda *args, **kwargs: str(macro(*args, **kwargs))

    def render(self, *args, **kwargs) -> str:
        return str(self._template.render(*args, **kwargs))


class Verbatim(Element):
    """Already-rendered text placed on the page as it is (branca's Element would compile it)."""

    def __init__(self, text: str):
        super().__init__()
        self._name = "Verbatim"
        self.text = str(text)

    def render(self, **kwargs) -> str:
        return self.text


class AtlasElement(MacroElement):
    """A map element drawn by `template_file` (macros `header`, `html`, `script`), data as JSON.

    Subclasses set `template_file`; `data` and keyword `options` are available to the template as
    `this.data` and `this.options` (use `|tojs`)."""

    template_file = ""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.template_file:
            cls._template = PlainTemplate(ENV.get_template(cls.template_file))

    def __init__(self, data=None, **options):
        super().__init__()
        self._name = type(self).__name__
        self.data = data
        self.options = options

    def render(self, **kwargs) -> None:
        """As MacroElement.render, but the output is added as Verbatim text, never re-compiled."""
        figure = self.get_root()
        if not isinstance(figure, Figure):
            raise TypeError(f"{self._name} must be added to a map before it is rendered")
        macros = vars(self._template.module)
        for part in ("header", "html", "script"):
            if part in macros:
                getattr(figure, part).add_child(Verbatim(macros[part](self, kwargs)), name=self.get_name())
        for element in self._children.values():
            element.render(**kwargs)
