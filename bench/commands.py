"""``siwei bench generate`` and ``siwei bench run``."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from infra.arguments import positive, seconds
from infra.settings import ConfigurationError, Settings


def share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"a share above 0 and at most 1, not {text!r}")
    return value


def cmd_generate(args: argparse.Namespace, settings: Settings) -> int:
    from bench.generate import generate
    from infra.embedded import servers

    with servers(settings) as resolved:
        manifest = generate(resolved, args.compounds, args.seed, args.workers, args.active)
    events = sum(manifest["events"].values())
    print(f"{args.compounds} compounds (seed {args.seed}, {manifest['active']} active): {manifest['shapes']}, "
          f"{manifest['cases']} cases, "
          f"{events} events in {manifest['seconds']:.0f} s ({events / manifest['seconds']:.0f} events/s).")
    return 0


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    from bench.generate import manifest_path
    from bench.run import run
    from infra.embedded import servers

    if not manifest_path(settings).exists():
        raise ConfigurationError(f"no city in {settings.data_dir}: run `siwei bench generate` first "
                                 "with the same SIWEI_DATA_DIR")
    manifest = json.loads(manifest_path(settings).read_text())
    with servers(settings) as resolved, measured(resolved, own_broker=settings.kafka_bootstrap is not None) as city:
        report = run(city, manifest, repeats=args.repeats, seconds=args.seconds, only=args.only)
    print(report.table())
    if args.out:
        with open(args.out, "w") as out:
            json.dump(report.as_json(), out, ensure_ascii=False, indent=1)
    return 0


@contextmanager
def measured(settings: Settings, *, own_broker: bool) -> Iterator[Settings]:
    """The settings of the city to measure: a copy of its database, dropped after the run, so that
    every run measures the city as generated. The commands measured add events (about 15,000 a run
    at 929 compounds), and a city measured again and again is no longer the one generated: after a
    day of runs, six times its events, and every figure slower. On a broker of one's own
    (SIWEI_KAFKA_BOOTSTRAP) the copy would publish onto the city's topics: measured in place."""
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import conninfo_to_dict

    from infra.database import connect, drop_database, with_database

    if own_broker:
        print("measuring the city in place (its topics are on your broker): the commands measured add to it")
        yield settings
        return
    city = conninfo_to_dict(settings.database_url)["dbname"]
    copy, server = f"{city}_measured", with_database(settings.database_url, "postgres")
    drop_database(server, copy)  # left by a run that was killed
    with connect(server, autocommit=True) as conn:
        try:
            conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {} STRATEGY FILE_COPY").format(
                sql.Identifier(copy), sql.Identifier(city)))
        except psycopg.errors.ObjectInUse:
            raise ConfigurationError(f"the city's database {city} is in use (a running siwei?): stop what "
                                     "uses it, since `bench run` measures a copy of it") from None
    try:
        yield replace(settings, database_url=with_database(settings.database_url, copy))
    finally:
        drop_database(server, copy)


def add_commands(commands: Any) -> None:
    from bench.run import FIGURES

    bench = commands.add_parser("bench", help="generate a synthetic city and measure the system on it",
                                description="The city-scale benchmark; BENCHMARKS.md has the figures.")
    sub = bench.add_subparsers(dest="action", required=True, metavar="ACTION")
    generate = sub.add_parser(
        "generate", help="record a deterministic synthetic city through the real services",
        description="Records N compounds of every shape (four in one, 双无, partial) and a year of their "
        "governance through the services, with the relay and reactor running. The same seed gives "
        "the same city. Needs a data folder (SIWEI_DATA_DIR) with no city yet.")
    generate.add_argument("--compounds", type=positive, required=True, help="how many compounds (929: "
                          "Luohu; 20000: Chengdu)")
    generate.add_argument("--seed", type=int, default=1, help="the city's seed (default 1)")
    generate.add_argument("--active", type=share, default=1.0,
                          help="share of compounds with a year of activity; the rest have only their "
                          "bodies (default 1)")
    generate.add_argument("--workers", type=positive, default=8, help="concurrent recorders (default 8)")
    generate.set_defaults(run=cmd_generate)

    run = sub.add_parser(
        "run", help="measure the figures on the generated city",
        description="Measures each figure --repeats times beside its raw baseline and prints min / median "
        "/ max and the ratio to the baseline, on a copy of the city's database dropped after the run (the "
        "commands it measures add events), so that every run measures the city as generated. On a broker "
        "of your own (SIWEI_KAFKA_BOOTSTRAP), on the city itself.")
    run.add_argument("--repeats", type=positive, default=3, help="repeats of each figure (default 3)")
    run.add_argument("--seconds", type=seconds, default=10.0, help="length of each timed load (default 10)")
    run.add_argument("--only", action="append", choices=FIGURES, help="only this figure (repeatable)")
    run.add_argument("--out", help="also write the figures as JSON to this file")
    run.set_defaults(run=cmd_run)
