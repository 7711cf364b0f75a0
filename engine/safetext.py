"""Text from outside (a case's values, a file name, a command-line argument) made safe to show.

`printable` is the one escaping function every text output and error message uses: a control
character (an ANSI escape such as ESC[2J, a newline, a carriage return, C1 controls) or an
invisible direction mark never reaches a terminal raw; it is shown as `\\x1b`, `\\n`, `\\u202e`.
`markdown_text` also escapes what Markdown would read as markup (a link, an image, raw HTML).
"""
from __future__ import annotations

import re

# The patterns are compiled on first use, by re's own cache (re.sub given the text): every
# command imports this module, and one that prints no text from outside (`recommend --format
# json`) need not compile them at its start.
# C0 and C1 controls, DEL, zero-width and direction marks, line and paragraph separators, BOM
_OTHERS = "\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2028\u2029\u2066-\u2069\ufeff"
_ANY = f"[\x00-\x1f{_OTHERS}]"
_KEEP_LINES = f"[\x00-\x08\x0b-\x1f{_OTHERS}]"  # all but tab (\x09) and newline (\x0a)
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# what CommonMark reads as markup inside a line: links and images ([x](...)), autolinks and
# raw HTML (<...>), code (`), table cells (|) and the escape character itself
_MARKDOWN = r"([\\`\[\]<>|])"


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    return _NAMED.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def printable(text: object, keep_lines: bool = False) -> str:
    """`text` with every control character escaped; `keep_lines` keeps newlines and tabs (for a
    whole message or report whose lines are ours, its values escaped already)."""
    text = str(text)
    return re.sub(_KEEP_LINES if keep_lines else _ANY, _escape, text)


def markdown_text(text: object) -> str:
    """`text` for Markdown: printable, and nothing in it read as a link, an image or HTML."""
    return re.sub(_MARKDOWN, r"\\\1", printable(text))
