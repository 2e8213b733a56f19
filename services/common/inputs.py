"""The rules every text given to Siwei must meet, wherever it enters (a GraphQL argument, a
command's field, a command line): what no view, topic or log can safely hold is refused before
any event exists, never stored and never silently changed.

- no NUL nor any other C0 or C1 control character: PostgreSQL's text cannot hold NUL, and the
  others hide in logs and exports; tab and line breaks only in texts of several lines;
- no lone surrogate (half of a UTF-16 pair): it cannot be encoded as UTF-8 at all;
- no bidirectional override or isolate (U+202A–U+202E, U+2066–U+2069), which make a name read
  differently from what it holds;
- Unicode NFC, so that one name is one string (a composed and a decomposed 张 compare equal);
- a length, counted after normalising.
"""

from __future__ import annotations

import re
import unicodedata

MAX_TEXT = 8000  # the longest any text field keeps (a meeting's minutes, a plan's content)

_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LINE_BREAK = re.compile("[\t\n\r\u2028\u2029]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_BIDI_OVERRIDE = re.compile("[\u202a-\u202e\u2066-\u2069]")


class BadText(ValueError):
    """A text that breaks one of the rules above; the message says which, never echoing it."""


def clean_text(value: str, *, multiline: bool = True, max_length: int = MAX_TEXT) -> str:
    """``value`` in NFC, if it keeps the rules; else ``BadText``."""
    if not isinstance(value, str):
        raise BadText("must be a text")
    if _SURROGATE.search(value):
        raise BadText("must not hold a lone surrogate (it is not valid Unicode)")
    found = _CONTROL.search(value)
    if found:
        raise BadText(f"must not hold the control character U+{ord(found.group()):04X}")
    if not multiline and _LINE_BREAK.search(value):
        raise BadText("must be one line (no tab or line break)")
    if _BIDI_OVERRIDE.search(value):
        raise BadText("must not hold a bidirectional override or isolate character")
    text = unicodedata.normalize("NFC", value)
    if len(text) > max_length:
        raise BadText(f"must be at most {max_length} characters")
    return text
