"""The README runs as written: every GraphQL block and every shell command in it, against the
demo, with the token the README says to use, answering as the README says (no errors where it
shows none, the exit status it states). A block says how it is run in the comment before it:

    <!-- test: as <principal> [; $a = <compound name>] -->   a GraphQL block, or a curl ($TOKEN)
    <!-- test: parts -->       each line is a long-running part: it starts and keeps running
    <!-- test: skip, <why> --> not run here, and why

Shell lines run in bash from a folder whose ``.siwei/servers.json`` names the test's servers, with
``siwei`` and ``.venv/bin/siwei`` meaning this checkout's CLI; ``<case id>`` is the demo's back-gate
case and ``<token id>`` the id of the token issued just before."""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from infra.database import ensure_database
from infra.demo import seed
from infra.embedded import RunFile, free_port
from services.common.bodies import Body
from tests.conftest import graphql, wait_until

README = Path(__file__).parent.parent / "README.md"
BLOCK = re.compile(r"(?:<!-- test: (?P<how>.*?) -->\n)?```(?P<language>\w*)\n(?P<body>.*?)```", re.S)
PART_SECONDS = 6.0


@dataclass(frozen=True)
class Block:
    line: int
    language: str
    how: str
    body: str

    @property
    def principal(self) -> str:
        return re.match(r"as ([^;]+)", self.how).group(1).strip()

    @property
    def variables(self) -> dict[str, str]:
        return dict((k.strip().lstrip("$"), v.strip()) for k, v in
                    (part.split("=", 1) for part in self.how.split(";")[1:]))


def blocks() -> list[Block]:
    text = README.read_text()
    return [Block(text.count("\n", 0, m.start()) + 1, m["language"], (m["how"] or "").strip(), m["body"])
            for m in BLOCK.finditer(text) if m["language"] in ("sh", "graphql")]


def test_every_block_says_how_it_is_run():
    unsaid = [f"README.md:{b.line} ({b.language})" for b in blocks()
              if not re.match(r"(as |parts$|skip, )", b.how)]
    assert not unsaid, f"say how these run (<!-- test: … --> before the block): {unsaid}"


@pytest.fixture(scope="module")
def demo(tmp_path_factory, postgres_server):
    """The demo as ``siwei up`` seeds it, with the relay, projector, reactor and API running."""
    from infra.database import drop_database
    from infra.embedded import EmbeddedBroker
    from infra.settings import Settings
    from services.bootstrap import bootstrap
    from tests.conftest import System

    folder = tmp_path_factory.mktemp("readme")
    name = f"siwei_readme_{os.getpid()}"
    url = ensure_database(postgres_server, name)
    broker = EmbeddedBroker(folder)
    broker.start()
    settings = Settings(url, broker.bootstrap, folder, topic_partitions=3, rate_limit=10_000.0)
    system = System(settings, bootstrap(url))
    try:
        system.start_relay()
        system.start_projector()
        system.start("reactor", "react")
        system.start_api()
        seed(system.services)
        yield system
    finally:
        system.stop_all()
        system.services.close()
        broker.stop()
        drop_database(postgres_server, name)


def compound_id(system, name: str) -> str:
    return str(system.query("SELECT compound_id FROM projections.compounds WHERE name = %s", (name,))[0][0])


def settled(system) -> None:
    """Waits until the relay has published all that the stores hold, and the projector has read
    all of it."""
    from infra.topics import high_watermarks, offsets_consumer, partitions_of

    for body in Body:
        wait_until(lambda b=body: system.query(
            f"SELECT coalesce((SELECT position FROM {b.schema}.relay_state), 0)"
            f" >= coalesce((SELECT max(notification_id) FROM {b.schema}.{b.value}_events), 0)")[0][0],
            f"the relay to publish the {body.value} log")
    consumer = offsets_consumer(system.settings.kafka_bootstrap, "siwei-readme-test")
    try:
        partitions = [tp for body in Body for tp in partitions_of(consumer, body.topic)]
        marks = high_watermarks(consumer, partitions)
    finally:
        consumer.close()
    for tp, mark in marks.items():
        deadline = time.monotonic() + 60
        while True:
            read = system.query("SELECT next_offset FROM projections.projector_offsets WHERE topic = %s AND"
                                " partition = %s", (tp.topic, tp.partition))
            if (read[0][0] if read else 0) >= mark:
                break
            assert time.monotonic() < deadline, f"the projector did not reach {tp}"
            time.sleep(0.1)


GRAPHQL = [b for b in blocks() if b.language == "graphql"]
SHELL = [b for b in blocks() if b.language == "sh" and not b.how.startswith("skip, ")]


@pytest.mark.parametrize("block", GRAPHQL, ids=[f"line {b.line}" for b in GRAPHQL])
def test_graphql_block_answers_without_errors(demo, block):
    settled(demo)
    url = f"http://127.0.0.1:{demo.api_port}/graphql"
    variables = {name: compound_id(demo, value) for name, value in block.variables.items()}
    answer = graphql(url, demo.token(block.principal), block.body, variables).json()
    assert "errors" not in answer, answer
    assert answer["data"] and all(value is not None for value in answer["data"].values()), answer


def shell_lines(body: str) -> list[str]:
    """The commands of a block: continuation lines joined, quoted multi-line strings kept."""
    lines, current = [], ""
    for line in body.splitlines():
        current = f"{current}\n{line}" if current else line
        try:
            shlex.split(current, comments=True)
        except ValueError:  # an open quote: the command goes on
            continue
        if current.rstrip().endswith("\\"):
            continue
        if current.strip():
            lines.append(current)
        current = ""
    return lines


@pytest.mark.parametrize("block", SHELL, ids=[f"line {b.line}" for b in SHELL])
def test_shell_block_runs_as_written(demo, block, tmp_path, postgres_server):
    settled(demo)
    RunFile(tmp_path / ".siwei" / "servers.json").write(demo.settings)  # as if this process had started them
    bin_ = tmp_path / ".venv" / "bin"
    bin_.mkdir(parents=True)
    for name, target in (("siwei", f'exec "{sys.executable}" -m infra.cli "$@"'),
                         ("python", f'exec "{sys.executable}" "$@"')):
        (bin_ / name).write_text(f"#!/bin/sh\n{target}\n")
        (bin_ / name).chmod(0o755)
    settings = demo.settings
    if block.how == "parts":  # beside the demo's own parts, on a database of their own
        settings = replace(settings, database_url=ensure_database(postgres_server, f"siwei_parts_{os.getpid()}"))
    environment = {**os.environ, **settings.child_environment(), "PATH": f"{bin_}:{os.environ['PATH']}",
                   "PYTHONPATH": str(README.parent), "SIWEI_DATA_DIR": str(tmp_path / ".siwei")}
    if block.how.startswith("as "):
        environment["TOKEN"] = demo.token(block.principal)
    case = str(demo.query("SELECT case_id FROM projections.cases ORDER BY raised_at LIMIT 1")[0][0])
    commands = [command.replace("127.0.0.1:8000", f"127.0.0.1:{demo.api_port}")
                .replace("--port 8000", f"--port {free_port()}").replace("<case id>", case)
                for command in shell_lines(block.body)]
    if block.how == "parts":  # all started together; each must still run a moment later, and stop cleanly
        # Each part's log in a file: a pipe nobody reads until the end would stop a part that
        # says more than the pipe holds (the projector reading the demo's topics as foreign).
        logs = {command: tmp_path / f"part{n}.log" for n, command in enumerate(commands)}
        parts = {command: subprocess.Popen(["bash", "-c", command], cwd=tmp_path, env=environment,
                                           stdout=subprocess.DEVNULL, stderr=logs[command].open("w"),
                                           start_new_session=True) for command in commands}
        time.sleep(PART_SECONDS)
        exited = {c: logs[c].read_text() for c, p in parts.items() if p.poll() is not None}
        for part in parts.values():
            if part.poll() is None:
                os.killpg(part.pid, signal.SIGTERM)
        stopped = {c: p.wait(30) for c, p in parts.items()}
        assert not exited, exited
        # A part still importing when SIGTERM came ends by it (it had started nothing yet).
        assert set(stopped.values()) <= {0, -signal.SIGTERM}, stopped
        return
    token_id = ""
    for command in commands:
        command = command.replace("<token id>", token_id)
        expected = int(re.search(r"# exit status (\d+)", command)[1]) if "# exit status" in command else 0
        ran = subprocess.run(["bash", "-c", command], cwd=tmp_path, env=environment, capture_output=True,
                             text=True, timeout=300)
        assert ran.returncode == expected, f"{command!r}: {ran.returncode}\n{ran.stdout}\n{ran.stderr}"
        if "curl" in command:
            assert '"errors"' not in ran.stdout and '"data"' in ran.stdout, ran.stdout
        found = re.search(r"\(token ([0-9a-f-]{36}) ", ran.stderr)
        token_id = found[1] if found else token_id


def test_the_auditors_walkthrough_says_what_the_demo_shows(demo):
    """The claims the walkthrough makes in prose, beside its blocks."""
    settled(demo)
    url = f"http://127.0.0.1:{demo.api_port}/graphql"
    beiyuan = compound_id(demo, "北苑小区")
    auditor = demo.token("auditor:street:晋阳街道")
    compound = """query($a: UUID!, $t: DateTime) { compound(id: $a, asOf: $t) {
        bodies { branch ownersCommittee propertyCompany } units { totalCount } } }"""
    figures = "query($a: UUID!, $t: DateTime) { caseFigures(compoundId: $a, asOf: $t) { raised } }"

    def asked(query: str, at: str | None) -> dict:
        answer = graphql(url, auditor, query, {"a": beiyuan, "t": at}).json()
        assert "errors" not in answer, answer
        return answer["data"]

    then, now = (asked(compound, at)["compound"] for at in ("2026-11-01T00:00:00+08:00", None))
    assert then["bodies"] == {"branch": True, "ownersCommittee": False, "propertyCompany": False}
    assert then["units"]["totalCount"] == 8
    assert now["bodies"] == {"branch": True, "ownersCommittee": True, "propertyCompany": True}
    assert [asked(figures, at)["caseFigures"]["raised"] for at in ("2026-11-01T00:00:00+08:00", None)] == [0, 8]
