"""Private screens: the marker on the screen itself (templates and gettext text), not in handlers."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import templates
from bot.screens import PrivateText, is_private, private, private_reason


def test_private_is_a_str_that_stays_private_through_plus() -> None:
    text = private("<b>张三</b>", "names")
    assert isinstance(text, str) and is_private(text) and text == "<b>张三</b>"
    assert is_private(text + "\n李四") and is_private("名单：" + text)
    assert (text + "x").reason == "names"
    assert not is_private("<b>张三</b>")
    assert private(text) is text


@pytest.mark.parametrize(
    ("source", "why"),
    [
        ("{# private: names of members #}\n<b>x</b>", "names of members"),
        ("{#- private:reasons -#}\nx", "reasons"),
        ("  {# private: phones #}", "phones"),
        ("<b>x</b>\n{# private: too late #}", None),
        ("{# a comment #}\nx", None),
    ],
)
def test_marker_is_read_from_the_first_line(source: str, why: str | None) -> None:
    assert private_reason(source) == why


def test_a_template_marked_private_renders_as_private_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "secret.html.j2").write_text("{# private: a list of names #}\n<b>{{ who }}</b>\n")
    (tmp_path / "t" / "public.html.j2").write_text("<b>{{ who }}</b>\n")
    monkeypatch.setattr(templates, "TEMPLATES_DIR", tmp_path)
    templates.environment.cache_clear()
    templates.template_privacy.cache_clear()
    try:
        secret = templates.render("t/secret.html.j2", "zh_CN", who="<张三>")
        public = templates.render("t/public.html.j2", "zh_CN", who="x")
    finally:
        templates.environment.cache_clear()
        templates.template_privacy.cache_clear()
    assert isinstance(secret, PrivateText) and secret.reason == "a list of names"
    assert secret == "<b>&lt;张三&gt;</b>"
    assert not is_private(public)
