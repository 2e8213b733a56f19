"""How Siwei's parts write their logs and print what they recorded: one line a record, whatever
text it quotes."""

from __future__ import annotations

import logging
import re

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Line breaks (U+2028 and U+2029 too, which some viewers break lines at), other control
# characters, and lone surrogates (which a terminal's UTF-8 cannot write); a tab is left as it is.
_UNPRINTABLE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def _escaped(found: re.Match) -> str:
    return found.group().encode("unicode_escape").decode("ascii")


def one_line(text: str) -> str:
    """``text`` with its line breaks and control characters escaped (``\\n``, ``\\x1b``)."""
    return _UNPRINTABLE.sub(_escaped, text)


class OneLine(logging.Formatter):
    """A record's message on one line, its line breaks and control characters escaped (``\\n``,
    ``\\x1b``): a client's text quoted in a refusal, or an error's, cannot write a line that
    passes for one of Siwei's own, nor move a terminal's cursor. A traceback still follows on
    lines of its own."""

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 (logging's name)
        record.message = one_line(record.message)
        return super().formatMessage(record)
