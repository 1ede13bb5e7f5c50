"""Map code written as it is: branca must never read a layer's data as a Jinja template.

branca's ``MacroElement.render`` (0.8.2) puts the output of each element's header, html and script
macros into a new ``branca.element.Element``, whose constructor compiles its text as a Jinja
template. That output holds the map's data: GeoJSON with town, faction and source names as editors
typed them. A town called ``{{ 7*7 }}`` was drawn as "49", one with ``{#`` lost the rest of the layer
and one with an unbalanced ``{%`` made the page a 500; with Jinja's globals, an expression in a name
could reach Python itself. Compiling it was also the slowest step of a standalone map (0.75 s of
lexing 11 MB at 10,000 towns).

So every MacroElement adds its rendered parts as ``Verbatim`` elements: the same text, written out
as is. The rendering is otherwise branca's own, line for line (tested against a name full of Jinja).
"""

from branca.element import Element, Figure, MacroElement


class Verbatim(Element):
    """An element whose text is written as it is, never compiled as a template."""

    def __init__(self, text: str):
        super().__init__()
        self.text = text

    def render(self, **kwargs) -> str:
        return self.text


def _render_parts_verbatim(self: MacroElement, **kwargs) -> None:
    """branca's MacroElement.render, with each macro's output added verbatim."""
    figure = self.get_root()
    assert isinstance(figure, Figure), "You cannot render this Element if it is not in a Figure."
    macros = self._template.module.__dict__
    for part, target in (("header", figure.header), ("html", figure.html), ("script", figure.script)):
        macro = macros.get(part)
        if macro is not None:
            target.add_child(Verbatim(macro(self, kwargs)), name=self.get_name())
    for element in self._children.values():
        element.render(**kwargs)


MacroElement.render = _render_parts_verbatim  # type: ignore[method-assign]
