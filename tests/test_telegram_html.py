"""The Telegram HTML validator, the safe version and the splitter of the send boundary."""

from __future__ import annotations

import pytest

from bot.telegram_html import plain_length, problems, safe_text, split_html


@pytest.mark.parametrize(
    "text",
    [
        "plain",
        "<b>bold</b> <i>it</i> <u>u</u> <s>s</s> <strong>x</strong> <em>x</em> <ins>x</ins> <del>x</del>",
        '<a href="https://t.me/x?start=a&amp;b">link</a>',
        '<span class="tg-spoiler">x</span> <tg-spoiler>x</tg-spoiler>',
        '<pre><code class="language-python">x &lt; 1</code></pre>',
        "<blockquote expandable>quote</blockquote>",
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>',
        "&lt;&gt;&amp;&quot; &#20013; &#x4e2d; 5 > 3",
        "<b>粗<i>斜</i></b>",
    ],
)
def test_valid_telegram_html(text: str) -> None:
    assert problems(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "<script>x</script>",
        "a < b",
        "AT&T",
        "&nbsp;",
        "<b>open",
        "close</b>",
        "<b><i>crossed</b></i>",
        "<br/>",
        "<p>x</p>",
        '<a href="x"><a href="y">x</a></a>',
        "<a>no href</a>",
        '<span class="red">x</span>',
        "<code><b>x</b></code>",
        "<b onclick=x>x</b>",
        "",
        "<b> </b>",
        "nul\x00",
    ],
)
def test_invalid_telegram_html(text: str) -> None:
    assert problems(text)
    assert problems(safe_text(text)) == []


def test_safe_text_keeps_the_words() -> None:
    assert safe_text("<b>张三</b> <script>x</script> AT&T") == "张三 x AT&amp;T"


def test_length_counts_parsed_utf16() -> None:
    assert plain_length("<b>a&lt;</b>😀") == 4  # a, <, and the emoji's two UTF-16 units


def test_split_at_lines_never_inside_a_tag() -> None:
    line = "<b>第一行</b>" + "长" * 30 + "\n"
    text = "<i>" + line * 200 + "</i>"
    pieces = split_html(text, 100)
    assert len(pieces) > 1
    for piece in pieces:
        assert problems(piece, limit=100) == [], piece
        assert piece.startswith("<i>") and piece.endswith("</i>")
    joined = "".join(p.removeprefix("<i>").removesuffix("</i>") for p in pieces)
    assert joined.replace("\n", "") == (line * 200).replace("\n", "")


def test_split_a_line_longer_than_the_limit() -> None:
    pieces = split_html("<b>" + "字" * 250 + "</b>", 100)
    assert [plain_length(p) for p in pieces] == [100, 100, 50]
    assert all(problems(p) == [] for p in pieces)
