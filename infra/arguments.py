"""Argument types shared by the command line's subcommands."""

from __future__ import annotations

import argparse
import math


MAX_PROCESSES = 64  # of one kind under one command; more: start more commands, on more machines


def positive(text: str) -> int:
    if not (text.isascii() and text.isdigit() and len(text) <= 9) or int(text) < 1:
        raise argparse.ArgumentTypeError(f"a whole number above 0, not {text[:40]!r}")
    return int(text)


def processes(text: str) -> int:
    if positive(text) > MAX_PROCESSES:
        raise argparse.ArgumentTypeError(f"at most {MAX_PROCESSES} processes, not {text[:40]}")
    return int(text)


def host(text: str) -> str:
    """An address or a host name to listen on: at most 253 characters, none of them a control
    character or a lone surrogate (the resolver would raise on either)."""
    if not 0 < len(text) <= 253 or not text.isprintable() or not text.encode("utf-8", "replace").decode() == text:
        raise argparse.ArgumentTypeError(f"an address or a host name, not {text[:40]!r}")
    return text


def port(text: str) -> int:
    """A TCP port; 0 lets the system pick one."""
    if not (text.isascii() and text.isdigit() and len(text) <= 5) or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"a port from 0 to 65535, not {text[:40]!r}")
    return int(text)


def seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value < math.inf:
        raise argparse.ArgumentTypeError(f"a number of seconds above 0, not {text[:40]!r}")
    return value
