"""What the parts log and print of a text from outside: one line, nothing a terminal acts on."""

from __future__ import annotations

from infra.logs import one_line


def test_a_text_is_written_on_one_line_with_what_a_terminal_acts_on_escaped():
    assert one_line("北苑街道\n2026-01-01 ERROR forged\r") == "北苑街道\\n2026-01-01 ERROR forged\\r"
    assert one_line("a\x00b\x1b[2J\x85\u2028\u2029") == "a\\x00b\\x1b[2J\\x85\\u2028\\u2029"
    assert one_line("half \udcff a pair") == "half \\udcff a pair"
    assert one_line("tab\tand 正常文本 stay") == "tab\tand 正常文本 stay"
    assert one_line("x" * 100_000) == "x" * 100_000
