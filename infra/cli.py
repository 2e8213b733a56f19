"""``siwei``: run, operate and inspect the system. ``siwei <command> --help`` for each command."""

from __future__ import annotations

from infra.interrupts import note_interrupts

note_interrupts()  # first: before the imports below, which take most of a second

import argparse
import json
import logging
import os
import shutil
import sys
import threading
import time
import urllib.request
from contextlib import suppress
from dataclasses import replace
from typing import TYPE_CHECKING
from uuid import UUID

from api.principals import SPECS, InvalidPrincipal
from api.tokens import UnknownToken
from audit.commands import add_commands as add_audit_commands
from bench.commands import add_commands as add_bench_commands
from infra.arguments import host, port, processes, seconds
from infra.logs import FORMAT, OneLine, one_line
from infra.running import Shutdown, Supervisor, end_with_supervisor, run_part, services_on
from infra.settings import ConfigurationError, Settings

if TYPE_CHECKING:
    from services.bootstrap import Services

READY_WAIT_SECONDS = 120.0  # how long `siwei up` waits for its API to answer ready before it says so
READY_CHECK_SECONDS = 0.2

log = logging.getLogger("siwei")


# -- long-running parts ----------------------------------------------------------------------

def cmd_relay(args: argparse.Namespace, settings: Settings) -> int:
    from infra.embedded import servers
    from infra.relay import run_relays
    from services.common.bodies import Body

    def relay(stop: threading.Event) -> None:
        with servers(settings) as resolved:
            run_relays(resolved, stop, [Body(b) for b in args.body] if args.body else None)

    run_part(relay)
    return 0


def cmd_project(args: argparse.Namespace, settings: Settings) -> int:
    from infra.embedded import servers
    from projections.projector import Projector

    if args.processes > 1:  # as many single ones, sharing the partitions, restarted if one dies
        shutdown = Shutdown()
        with servers(settings) as resolved:
            supervisor = Supervisor(resolved, {f"projector {n}": ["project"] for n in range(1, args.processes + 1)})
            try:
                supervisor.start_all()
                supervisor.watch(shutdown.event)
            finally:
                supervisor.stop()
        return 0

    def project(stop: threading.Event) -> None:
        with servers(settings) as resolved:
            Projector(resolved).run(stop)

    run_part(project)
    return 0


def cmd_react(args: argparse.Namespace, settings: Settings) -> int:
    from infra.embedded import servers
    from infra.reactor import Reactor

    def react(stop: threading.Event) -> None:
        with servers(settings) as resolved, services_on(resolved) as services:
            Reactor(resolved, services).run(stop)

    run_part(react)
    return 0


def cmd_deadlines(args: argparse.Namespace, settings: Settings) -> int:
    from infra.deadlines import watch
    from infra.embedded import servers

    def deadlines(stop: threading.Event) -> None:
        with servers(settings) as resolved, services_on(resolved) as services:
            watch(resolved, services, stop, args.every)

    run_part(deadlines)
    return 0


def cmd_api(args: argparse.Namespace, settings: Settings) -> int:
    from infra import listening
    from infra.embedded import servers

    if args.worker is not None and args.workers != 1:
        print("siwei api: a --worker is one process: it takes no --workers", file=sys.stderr)
        return 2
    with servers(settings) as resolved:
        chosen = args.port  # with workers, checked free first (0: the one the system picked)
        if args.workers > 1:
            try:
                chosen = listening.claimed(args.host, args.port)
            except OSError as error:
                print(f"siwei api: cannot listen on {args.host}:{args.port}: {error.strerror}", file=sys.stderr)
                return 1
        os.environ.update(resolved.child_environment())  # each worker reads its settings from it
        # Each worker counts its requests there; /metrics sums them (api.probes).
        counted = resolved.data_dir / "metrics" / f"api-{chosen}"
        if args.worker is None:
            shutil.rmtree(counted, ignore_errors=True)
        counted.mkdir(parents=True, exist_ok=True)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(counted)
        shares = counted / "connections"  # how many each worker holds (listening.Shares)
        if args.workers == 1:
            try:
                held = listening.Shares(shares, args.worker) if args.worker is not None and shares.exists() else None
            except ValueError as error:
                print(f"siwei api: --worker {args.worker}: {error}", file=sys.stderr)
                return 2
            listening.serve(args.host, args.port, worker=args.worker, shares=held)
            return 0
        listening.share_out(shares, args.workers)
        workers = Supervisor(resolved, {
            f"api worker {n}": ["api", "--host", args.host, "--port", str(chosen), "--worker", str(n)]
            for n in range(1, args.workers + 1)})
        stop = Shutdown().event
        workers.start_all()
        try:
            workers.watch(stop)
        finally:
            workers.stop()
    return 0


def _demo_tokens(settings: Settings, demo: bool) -> dict[str, tuple[str, str]]:
    """Ready-made tokens for the demo's roles (the administrator alone without the demo), issued
    once and kept in the data folder: role -> (principal, token)."""
    from api import tokens
    from api.principals import Principal
    from infra.demo import COMMUNITY, DISTRICT, STREET
    from services.residents.compound import Compound

    beiyuan = Compound.create_id("北苑小区", DISTRICT, STREET, COMMUNITY)
    roles = {"the street office's auditor": f"auditor:street:{STREET}",
             "the street office (its figures and agenda)": f"office:street:{STREET}",
             "北苑小区's party branch": f"body:branch:{beiyuan}",
             "a resident of 北苑小区": f"resident:{beiyuan}:1单元101"} if demo else {}
    roles["the administrator (registers compounds, issues tokens)"] = "admin"
    path = settings.data_dir / "tokens.json"
    kept = json.loads(path.read_text()) if path.exists() else {}
    issued = {}
    for role, spec in roles.items():
        token = kept.get(spec)
        if token is None or not tokens.is_valid(settings.database_url, token):
            token = tokens.issue(settings.database_url, Principal.parse(spec)).secret
        issued[role] = (spec, token)
    path.write_text(json.dumps({spec: token for spec, token in issued.values()}, indent=2))
    path.chmod(0o600)
    return issued


def _within_budget(settings: Settings, workers: int, projectors: int) -> Settings:
    """The settings with a pool at which every part of ``siwei up`` fits the server (infra.budget)."""
    from infra import budget
    from infra.database import connect

    with connect(settings.database_url) as conn:
        limit = int(conn.execute("SHOW max_connections").fetchone()[0])
    pool = budget.fitting_pool(settings.db_pool, workers, limit, projectors)
    if pool is None:
        raise ConfigurationError(
            f"siwei up with {workers} API workers and {projectors} projectors needs up to"
            f" {budget.needed(1, workers, projectors)} PostgreSQL connections even with SIWEI_DB_POOL=1, and the"
            f" server allows {limit} (max_connections), a fifth kept spare: raise max_connections to at least"
            f" {budget.max_connections_for(1, workers, projectors)}, or start fewer workers")
    if pool < settings.db_pool:
        print(f"SIWEI_DB_POOL lowered from {settings.db_pool} to {pool}, so that every part fits the server's"
              f" {limit} connections (see infra/budget.py)", flush=True)
    return replace(settings, db_pool=pool)


def cmd_up(args: argparse.Namespace, settings: Settings) -> int:
    from infra import budget
    from infra.demo import seed
    from infra.embedded import MAX_CONNECTIONS, EmbeddedBroker, servers
    from infra.topics import ensure_topics

    shutdown, embedded = Shutdown(), []
    limit = max(MAX_CONNECTIONS, budget.max_connections_for(1, args.workers, args.projectors))
    with servers(settings, limit, embedded) as resolved:
        if shutdown.event.is_set():  # signalled while the servers started
            return 0
        resolved = _within_budget(resolved, args.workers, args.projectors)
        ensure_topics(resolved.kafka_bootstrap, resolved.topic_partitions)

        def restarted(server) -> None:  # an empty broker: the topics first, then the relay republishes
            if isinstance(server, EmbeddedBroker):
                ensure_topics(resolved.kafka_bootstrap, resolved.topic_partitions)

        supervisor = Supervisor(resolved, {
            "relay": ["relay"],
            **{f"projector {n}" if args.projectors > 1 else "projector": ["project"]
               for n in range(1, args.projectors + 1)},
            "reactor": ["react"],
            "witness": ["witness", "--every", str(args.witness_every)],
            "api": ["api", "--host", args.host, "--port", str(args.port), "--workers", str(args.workers)],
        }, on_restart=restarted)
        try:
            supervisor.start_all()
            if not args.no_demo:
                print("Seeding the demo compounds…", flush=True)
                with services_on(resolved) as services, shutdown.interruptible():
                    seed(services)  # its cross-body steps wait on the reactor started above
            # After the seed, so that it escalates only what the seed left overdue.
            supervisor.add("deadlines", ["deadlines"])
            issued = _demo_tokens(resolved, demo=not args.no_demo)
            # Said once a first query can be answered: on a data folder seeded before, the seed
            # takes a second, and the API was still starting when this was said.
            if not _until_ready(args.host, args.port, shutdown.event):
                if shutdown.event.is_set():
                    return 0
                print(f"The API did not answer ready within {READY_WAIT_SECONDS:.0f} s: `siwei status` and the lines"
                      " above say what it waits for.", flush=True)
            url = f"http://{args.host}:{args.port}/graphql"
            print(f"Siwei is up.\n  GraphQL and GraphiQL: {url}\n"
                  f"  Tokens (kept in {resolved.data_dir / 'tokens.json'}); in GraphiQL's Headers tab put\n"
                  '  {"Authorization": "Bearer <token>"} with the token of the role you play:', flush=True)
            for role, (spec, token) in issued.items():
                print(f"    {role}, {spec}:\n      {token}", flush=True)
            print("  Ctrl-C stops everything.", flush=True)
            supervisor.watch(shutdown.event, embedded)
        finally:
            print("Stopping…", flush=True)
            supervisor.stop()
    return 0


def _until_ready(host: str, port: int, stop: threading.Event) -> bool:
    """Whether the API answered ``/readyz`` with 200 (it listens, and the read models are within
    ``SIWEI_READY_LAG`` events of the bodies' logs) before ``READY_WAIT_SECONDS``, or a stop."""
    local = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    url = f"http://{f'[{local}]' if ':' in local else local}:{port}/readyz"
    deadline = time.monotonic() + READY_WAIT_SECONDS
    while time.monotonic() < deadline and not stop.is_set():
        with suppress(OSError):  # refused while it starts; 503 (HTTPError) while not ready
            with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310 (our own URL)
                return answer.status == 200
        stop.wait(READY_CHECK_SECONDS)
    return False


# -- operations --------------------------------------------------------------------------------

def cmd_projections_rebuild(args: argparse.Namespace, settings: Settings) -> int:
    from infra.embedded import servers
    from projections.projector import rebuild_live

    from infra.relay import topics_current

    with servers(settings) as resolved:
        topics_current(resolved)
        schema = rebuild_live(resolved, progress=True)
    print(f"Read models rebuilt from the bodies' logs beside the serving ones; they now serve from {schema}.")
    return 0


def cmd_projections_verify(args: argparse.Namespace, settings: Settings) -> int:
    from infra.embedded import servers
    from projections.projector import LIVE_SCHEMA, Projector, differences

    from infra.relay import topics_current

    with servers(settings) as resolved:
        topics_current(resolved)
        shadow = Projector(resolved, schema="projections_verify")
        shadow.rebuild(progress=True)
        found = differences(resolved, LIVE_SCHEMA, shadow.schema)
        shadow.drop_tables()
    if not found:
        print("The live read models equal a rebuild from the bodies' logs.")
        return 0
    for table, (live_only, rebuilt_only) in found.items():
        print(f"{table}: {live_only} rows only in the live tables, {rebuilt_only} only in the rebuild")
    return 1


def _readers(settings: Settings, services: Services) -> list:
    """Every reader of the topics, each with the events it set aside."""
    from audit.witness import HeadReader
    from infra.reactor import Reactor
    from projections.projector import Projector, ensure_served

    return [Projector(settings, schema=ensure_served(settings).schema), Reactor(settings, services),
            HeadReader(settings)]


def cmd_projections_dead_letters(args: argparse.Namespace, settings: Settings) -> int:
    from infra.embedded import servers

    with servers(settings) as resolved, services_on(resolved) as services:
        found = 0
        for reader in _readers(resolved, services):
            reader.create_tables()
            with reader.connect() as conn:
                rows = conn.execute(
                    'SELECT id, set_aside_at, topic, partition, "offset", event_type, event_id, view, handler,'
                    " reason FROM dead_letters ORDER BY id").fetchall()
            for id_, at, topic, partition, offset, event_type, event_id, view, handler, reason in rows:
                what = f"{event_type} {event_id}" if event_id else "a message"
                where = f"{view} ({handler})" if view else "every view"
                print(f"{reader.role} #{id_}  {at:%Y-%m-%d %H:%M:%S}  {topic}/{partition}@{offset}  {what}"
                      f"  for {where}: {one_line(reason)}")  # a reason may quote what a message held
            found += len(rows)
    print(f"{found} set aside." if found else "Nothing is set aside.")
    return 1 if found else 0


def cmd_projections_retry(args: argparse.Namespace, settings: Settings) -> int:
    from infra.embedded import servers

    left = 0
    with servers(settings) as resolved, services_on(resolved) as services:
        for reader in _readers(resolved, services):
            reader.create_tables()
            with reader.connect() as conn:
                applied, still = reader.retry(conn)
            print(f"{reader.role}: {applied} applied, {still} still set aside")
            left += still
    return 1 if left else 0


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    from infra.embedded import servers
    from infra.status import report, status

    with servers(settings) as resolved:
        print(report(status(resolved.database_url)))
    return 0


def cmd_schemas_check(args: argparse.Namespace, settings: Settings) -> int:
    from infra import schemas

    found = schemas.problems()
    for problem in found:
        print(problem)
    if not found:
        print(f"{len(schemas.catalogue())} event types; every schema is current, published and "
              "compatible with all earlier versions.")
    return 1 if found else 0


def cmd_schemas_publish(args: argparse.Namespace, settings: Settings) -> int:
    from infra import schemas

    written = schemas.publish()
    print("\n".join(f"wrote schemas/{w}" for w in written) or "Nothing to publish.")
    return 0


def cmd_tokens_issue(args: argparse.Namespace, settings: Settings) -> int:
    from datetime import timedelta

    from api import tokens
    from api.principals import Principal
    from infra.embedded import servers

    principal = Principal.parse(args.principal)
    if args.days < 1:
        print("siwei: --days must be 1 or more", file=sys.stderr)
        return 2
    with servers(settings) as resolved:
        issued = tokens.issue(resolved.database_url, principal, timedelta(days=args.days))
    print(issued.secret)
    print(f"(token {issued.token_id} for {principal.spec}, valid until "
          f"{issued.expires_at:%Y-%m-%d %H:%M} UTC; the secret is shown only this once)", file=sys.stderr)
    return 0


def cmd_tokens_revoke(args: argparse.Namespace, settings: Settings) -> int:
    from api import tokens
    from infra.embedded import servers

    with servers(settings) as resolved:
        tokens.revoke(resolved.database_url, args.token_id)
    print(f"Token {args.token_id} is revoked.")
    return 0


def cmd_tokens_list(args: argparse.Namespace, settings: Settings) -> int:
    from api import tokens
    from infra.embedded import servers

    with servers(settings) as resolved:
        rows = tokens.listing(resolved.database_url)
    for token_id, principal, issued_at, expires_at, revoked_at in rows:
        state = f"revoked {revoked_at:%Y-%m-%d}" if revoked_at else f"expires {expires_at:%Y-%m-%d}"
        print(f"{token_id}  {issued_at:%Y-%m-%d}  {state:<18}  {principal}")
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="siwei",
        description="Siwei (四位一体): the coordination ledger of a compound's four governing bodies. "
        "Uses SIWEI_DATABASE_URL and SIWEI_KAFKA_BOOTSTRAP when set; otherwise embedded servers "
        "in SIWEI_DATA_DIR (default ./.siwei).",
    )
    root.add_argument("-v", "--verbose", action="store_true", help="log more")
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")

    up = commands.add_parser("up", help="start everything and seed the demo compounds",
                             description="Starts the servers (embedded where not configured), the "
                             "relay, the projector, the reactor, the witness and the GraphQL API; seeds "
                             "the demo unless --no-demo.")
    up.add_argument("--no-demo", action="store_true", help="do not seed the demo compounds")
    up.add_argument("--host", type=host, default="127.0.0.1", help="API address (default 127.0.0.1)")
    up.add_argument("--port", type=port, default=8000, help="API port (default 8000)")
    up.add_argument("--workers", type=processes, default=1, help="API processes (default 1)")
    up.add_argument("--projectors", type=processes, default=1,
                    help="projector processes, sharing the partitions (default 1)")
    up.add_argument("--witness-every", type=seconds, default=60.0, metavar="SECONDS",
                    help="seconds between the witness's rounds (default 60)")
    up.set_defaults(run=cmd_up)

    relay = commands.add_parser("relay", help="publish the bodies' event stores to Kafka",
                                description="Publishes each body's notification log to its topic.")
    relay.add_argument("--body", action="append", choices=["branch", "residents", "owners_committee",
                                                          "property"], help="only this body (repeatable)")
    relay.set_defaults(run=cmd_relay)

    project = commands.add_parser("project", help="project the topics into the read models",
                                  description="Consumes all topics into the read models. Any number of "
                                  "projector processes, on one machine or several, share the partitions "
                                  "by leases in PostgreSQL; one that dies loses its leases within seconds.")
    project.add_argument("--processes", type=processes, default=1,
                         help="projector processes to start, sharing the partitions (default 1)")
    project.set_defaults(run=cmd_project)

    react = commands.add_parser("react", help="run each body's policies on the others' events",
                                description="Runs the bodies' policies (e.g. a case dispatched to "
                                "the property company becomes its work order).")
    react.set_defaults(run=cmd_react)

    deadlines = commands.add_parser("deadlines", help="escalate cases past their deadline",
                                    description="Every so often, escalates each case open past its "
                                    "deadline one tier (compound → community → street), once per tier.")
    deadlines.add_argument("--every", type=seconds, default=60.0, help="seconds between rounds (default 60)")
    deadlines.set_defaults(run=cmd_deadlines)

    api = commands.add_parser("api", help="serve GraphQL", description="Serves GraphQL at /graphql.")
    api.add_argument("--host", type=host, default="127.0.0.1", help="address (default 127.0.0.1)")
    api.add_argument("--port", type=port, default=8000, help="port (default 8000)")
    api.add_argument("--workers", type=processes, default=1,
                     help="processes serving requests (default 1); each limits a token's rate on its own")
    api.add_argument("--worker", type=processes, metavar="N",
                     help="the Nth of the workers `--workers` starts: listens beside the others on the port"
                     " (SO_REUSEPORT), shares the connections out with them, keeps the metrics they counted, ends"
                     " with the siwei api that started it")
    api.set_defaults(run=cmd_api)

    commands.add_parser(
        "status", help="how far each part is: positions, lag, processes, last errors",
        description="Each relay's position and lag; the read models serving and any being built; each reader's "
        "lag per partition, its processes with the partitions they hold and their last error, and what it set aside. "
        "Read from PostgreSQL alone.").set_defaults(run=cmd_status)

    projections = commands.add_parser("projections", help="rebuild or verify the read models",
                                      description="Rebuild or verify the read models.")
    sub = projections.add_subparsers(dest="action", required=True, metavar="ACTION")
    sub.add_parser("rebuild", help="build the read models again beside the serving ones, then switch",
                   description="Builds the read models again from the bodies' logs (from the stores as "
                   "far as the relays published them, then from the topics) beside the serving ones, "
                   "which keep answering; then switches to them, and running projectors follow."
                   ).set_defaults(run=cmd_projections_rebuild)
    sub.add_parser("dead-letters", help="list the events set aside by the projector, reactor and witness",
                   description="Lists what each reader set aside (a message it could not read, or an "
                   "event one of its handlers could not apply), with the reason; exits 1 if any."
                   ).set_defaults(run=cmd_projections_dead_letters)
    sub.add_parser("retry", help="apply again what was set aside, in order",
                   description="Applies again, in order, each event set aside, for the handler that "
                   "failed; what now applies leaves the list. A running reader is skipped: it does "
                   "the same each time it starts. Exits 1 if anything is still set aside."
                   ).set_defaults(run=cmd_projections_retry)
    sub.add_parser("verify", help="check the live read models equal a rebuild",
                   description="Rebuilds into a scratch schema and compares it with the live "
                   "read models; exits 1 if they differ.").set_defaults(run=cmd_projections_verify)

    schema_cmd = commands.add_parser("schemas", help="check or publish the Avro schemas",
                                     description="The Avro contract of the event types.")
    sub = schema_cmd.add_subparsers(dest="action", required=True, metavar="ACTION")
    sub.add_parser("check", help="check every schema is current, published and compatible",
                   description="Exits 1 and lists the problems if any.").set_defaults(run=cmd_schemas_check)
    sub.add_parser("publish", help="write the schemas of new or changed event types",
                   description="Writes schemas/<body>/<Event>.avsc and archives new versions; "
                   "refuses an incompatible change.").set_defaults(run=cmd_schemas_publish)

    add_audit_commands(commands)
    add_bench_commands(commands)

    token_cmd = commands.add_parser("tokens", help="issue, list and revoke bearer tokens",
                                    description="Bearer tokens for the API.")
    sub = token_cmd.add_subparsers(dest="action", required=True, metavar="ACTION")
    issue = sub.add_parser("issue", help="issue a token for a principal and print it once",
                           description="Issues a token; only its hash is stored.")
    issue.add_argument("--principal", required=True, help=SPECS)
    issue.add_argument("--days", type=int, default=90, help="how long it is valid (default 90)")
    issue.set_defaults(run=cmd_tokens_issue)
    revoke = sub.add_parser("revoke", help="revoke a token by its id", description="Revokes a token.")
    revoke.add_argument("token_id", type=UUID, help="the id printed when it was issued")
    revoke.set_defaults(run=cmd_tokens_revoke)
    sub.add_parser("list", help="list tokens (ids, principals, validity; never secrets)",
                   description="Lists tokens.").set_defaults(run=cmd_tokens_list)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    end_with_supervisor()
    written = logging.StreamHandler()
    written.setFormatter(OneLine(FORMAT))
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, handlers=[written])
    # The client logs each failed connection while a broker is away; the parts say it once.
    logging.getLogger("kafka").setLevel(logging.CRITICAL if not args.verbose else logging.WARNING)
    # Each part's connections are named in pg_stat_activity ("siwei relay", "siwei api"…).
    os.environ.setdefault("PGAPPNAME", "siwei " + args.run.__name__.removeprefix("cmd_").replace("_", " "))
    try:
        settings = Settings.from_env()
        return args.run(args, settings)
    except (ConfigurationError, InvalidPrincipal, UnknownToken) as error:
        print(f"siwei: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the reader went away (`siwei audit history … | head`)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception as error:  # the last line of defence: a readable message, not a traceback
        if args.verbose:
            raise
        print(f"siwei: {type(error).__name__}: {error}\n(run with -v for details)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
