"""`web.html_escape.escape_text` is `str(markupsafe.escape(value))` for every kind of value
the string-built pages escape: plain and special text, each special character alone and
mixed, `Markup`, numbers, None, an object with `__html__`, a `str` subclass."""

from __future__ import annotations

import itertools

from markupsafe import Markup, escape

from courtside.web.html_escape import escape_text


class _Html:
    def __html__(self) -> str:
        return "<b>kept</b>"


class _Text(str):
    pass


def test_escape_text_is_escape() -> None:
    pieces = ["", "a", "12.5%", "BOS", "Celtics", "+110", "é", "&", "<", ">", '"', "'", "&amp;"]
    values: list[object] = ["".join(pair) for pair in itertools.product(pieces, repeat=2)]
    values += [Markup("<i>x</i>"), Markup("a&b"), 0, -110, 3.5, None, True, _Html()]
    values += [_Text("<x>"), _Text("plain")]
    for value in values:
        got = escape_text(value)
        assert got == str(escape(value)), value
        assert type(got) is str, value
