"""Hostile command-line values: every one a clear usage error (exit 2) that echoes at most a short
prefix of what was given, never a traceback nor a run with an absurd value."""

from __future__ import annotations

import pytest

from infra.cli import main

LONG = "9" * 100_000


@pytest.mark.parametrize("argv", [
    ["witness", "--every", "nan"], ["witness", "--every", "inf"], ["witness", "--every", "-1"],
    ["witness", "--every", LONG], ["deadlines", "--every", "0"], ["up", "--witness-every", "x\udc80"],
    ["project", "--processes", "0"], ["project", "--processes", "65"], ["project", "--processes", LONG],
    ["up", "--projectors", "３"], ["up", "--workers", "1.5"], ["api", "--workers", "\x00"],
    ["bench", "generate", "--compounds", LONG], ["api", "--port", "70000"], ["api", "--port", "-1"],
    ["up", "--port", LONG], ["api", "--port", "８０"], ["api", "--host", "a\x00b"], ["up", "--host", "a\udc80"],
    ["api", "--host", LONG], ["api", "--host", ""],
])
def test_a_hostile_value_is_a_usage_error_that_quotes_a_short_prefix(argv, capsys):
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    said = capsys.readouterr().err
    assert "Traceback" not in said and len(said) < 2_000, said[:300]
    assert "error: argument" in said
