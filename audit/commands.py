"""``siwei witness`` and ``siwei audit …``: the auditor's commands."""

from __future__ import annotations

import threading

import argparse
import csv
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import IO, Any
from uuid import UUID
from zoneinfo import ZoneInfo

from psycopg import sql
from tqdm import tqdm

from infra.arguments import seconds
from infra.settings import ConfigurationError, Settings
from services.common.bodies import Body

CHINA = ZoneInfo("Asia/Shanghai")
COLUMNS = ("occurred_at", "body", "position", "sequence", "type", "event_id", "aggregate_id", "version",
           "compound_id", "actor", "correlation_id", "causation_id", "data")


def moment(text: str) -> datetime:
    """An ISO 8601 time; without a zone it is China time."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a time: write e.g. 2026-10-22 or "
                                         "2026-10-22T18:00:00+08:00") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=CHINA)


@contextmanager
def _ledger(settings: Settings) -> Iterator[tuple[Settings, Any, Any]]:
    from infra.database import connect
    from infra.embedded import servers
    from services.bootstrap import bootstrap

    with servers(settings) as resolved:
        services = bootstrap(resolved.database_url, pool=resolved.db_pool)
        try:
            with connect(resolved.database_url) as conn:
                yield resolved, conn, services
        finally:
            services.close()


@contextmanager
def _output(path: str | None) -> Iterator[IO[str]]:
    if path is None:
        yield sys.stdout
        return
    with open(path, "w", encoding="utf-8", newline="") as out:
        yield out


def _rows(entries: Any, services: Any) -> Iterator[dict[str, Any]]:
    """Ledger entries as flat rows, personal data opened (``[erased]`` where erased)."""
    from audit.ledger import jsonable

    keys = services.owners_committee.personal_keys
    for entry in entries:
        e = entry.event
        data = keys.shown(jsonable(e.data))
        yield {"occurred_at": e.occurred_at.isoformat(), "body": e.body.value, "position": entry.position,
               "sequence": entry.sequence, "type": e.type, "event_id": str(e.event_id),
               "aggregate_id": str(e.aggregate_id), "version": e.aggregate_version,
               "compound_id": str(e.compound_id) if e.compound_id else None, "actor": keys.shown(e.actor),
               "correlation_id": str(e.correlation_id), "causation_id": str(e.causation_id), "data": data}


def _count(conn: Any, subject: UUID, compound: UUID | None, until: datetime | None) -> int:
    from audit.ledger import SUBJECT, ledger, subject_params

    return conn.execute(sql.SQL("SELECT count(*) FROM ({}) l").format(ledger(SUBJECT)),
                        subject_params(subject, compound, until)).fetchone()[0]


def cmd_history(args: argparse.Namespace, settings: Settings) -> int:
    from audit.ledger import history

    with _ledger(settings) as (_, conn, services), _output(args.out) as out:
        total = _count(conn, args.subject, args.compound, args.until)
        entries = tqdm(history(conn, args.subject, compound=args.compound, until=args.until),
                       total=total, unit="event", desc="exporting", disable=args.out is None or total < 1000)
        if args.format == "csv":
            writer = csv.DictWriter(out, fieldnames=COLUMNS)
            writer.writeheader()
            for row in _rows(entries, services):
                writer.writerow({**row, "data": json.dumps(row["data"], ensure_ascii=False)})
        else:
            for row in _rows(entries, services):
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
    if args.out:
        print(f"{total} events written to {args.out}", file=sys.stderr)
    return 0


def cmd_replay(args: argparse.Namespace, settings: Settings) -> int:
    from audit.ledger import history

    with _ledger(settings) as (_, conn, services), _output(args.out) as out:
        total = _count(conn, args.compound, args.compound, args.until)
        if total == 0:
            print(f"siwei: the ledger holds no events of compound {args.compound}"
                  + (f" up to {args.until:%Y-%m-%d %H:%M %z}" if args.until else ""), file=sys.stderr)
            return 1
        entries = history(conn, args.compound, compound=args.compound, until=args.until)
        # The bar goes to the terminal (stderr) while the history goes to stdout or the file.
        for row in tqdm(_rows(entries, services), total=total, unit="event", desc="replaying",
                        disable=total < 1000 and args.out is None):
            data = json.dumps(row["data"], ensure_ascii=False)
            out.write(f"{row['occurred_at']}  {row['body']}#{row['position']}  {row['type']}"
                      f"  v{row['version']}  by {row['actor']}  {data}\n")
    return 0


def cmd_verify(args: argparse.Namespace, settings: Settings) -> int:
    from audit import access_log
    from audit.verify import verify

    bodies = [Body(b) for b in args.body] if args.body else list(Body)
    with _ledger(settings) as (resolved, conn, _services):
        reports = verify(resolved.database_url, bodies, progress=True)
        conn.execute(access_log.DDL)
        conn.commit()
        showings = access_log.verify(conn) if not args.body else None
    for report in reports:
        print(report)
    if showings is not None:
        print(showings)
    broken = [r for r in reports if r.broken is not None]
    if broken or (showings is not None and showings.broken_at is not None):
        print(f"The ledger does not verify: {len(broken)} of {len(reports)} logs are broken"
              + (", and the access log" if showings is not None and showings.broken_at is not None else "") + ".")
        return 1
    print(f"The ledger verifies: {sum(r.events for r in reports)} events in {len(reports)} logs"
          + (f", {showings.rows} showings in the access log." if showings is not None else "."))
    return 0


def cmd_purge_access_log(args: argparse.Namespace, settings: Settings) -> int:
    from audit import access_log

    days = args.days if args.days is not None else settings.access_log_days
    if days < 1:
        raise ConfigurationError("--days must be a positive whole number")
    with _ledger(settings) as (_, conn, _services):
        conn.execute(access_log.DDL)
        conn.commit()
        deleted, through = access_log.purge(conn, days)
    if deleted:
        print(f"Purged {deleted} showings older than {days} days from the access log (through row {through}); "
              "the chain verifies from there.")
    else:
        print(f"Nothing to purge: no showing in the access log is older than {days} days.")
    return 0


def cmd_erase(args: argparse.Namespace, settings: Settings) -> int:
    from services.common.context import acting
    from services.common.errors import DomainError

    if (args.person is None) == (args.owner is None) or (args.owner is not None and args.compound is None):
        raise ConfigurationError("name the person: --person ID, or --compound ID --owner NAME")
    with _ledger(settings) as (_, _conn, services), acting("admin"):
        try:
            person = args.person or services.owners_committee.owner_person(args.compound, args.owner)
            receipt = services.erase_person(person, args.reason)
        except DomainError as error:
            print(f"siwei: {error}", file=sys.stderr)
            return 1
    print(f"Erased person {person}: their key is deleted, every value sealed with it reads [erased]; "
          f"the {receipt.body.value} recorded it (version {receipt.version} of its erasures).")
    return 0


def cmd_witness(args: argparse.Namespace, settings: Settings) -> int:
    from audit.witness import watch
    from infra.running import run_part, services_on
    from infra.embedded import servers

    def witness(stop: threading.Event) -> None:
        with servers(settings) as resolved, services_on(resolved) as services:
            watch(resolved, services, stop, args.every)

    run_part(witness)
    return 0


def add_commands(commands: Any) -> None:
    witness = commands.add_parser(
        "witness", help="have each body witness the others' hash chains",
        description="Reads every body's topic for the chain link published with each event, and every "
        "so often records in each body's own log the latest heads of the others' chains.")
    witness.add_argument("--every", type=seconds, default=60.0, help="seconds between rounds (default 60)")
    witness.set_defaults(run=cmd_witness)

    audit = commands.add_parser("audit", help="history, replay, verification and erasure for auditors",
                                description="What an auditor asks of the ledger.")
    sub = audit.add_subparsers(dest="action", required=True, metavar="ACTION")

    history = sub.add_parser(
        "history", help="export a subject's history across the bodies",
        description="Every event naming the subject (a compound, case, project, vote, contract, body…), "
        "from every body's log, in the order it occurred, with actor, times, correlation and causation.")
    history.add_argument("subject", type=UUID, help="the id of the subject")
    history.add_argument("--compound", type=UUID, help="only events of this compound (and of none)")
    history.add_argument("--until", type=moment, help="only events up to this time (ISO 8601; China time "
                         "if no zone is given)")
    history.add_argument("--format", choices=("jsonl", "csv"), default="jsonl", help="default jsonl")
    history.add_argument("--out", help="write to this file instead of the terminal")
    history.set_defaults(run=cmd_history)

    replay = sub.add_parser("replay", help="replay a compound's history in order",
                            description="Prints the compound's events in the order they occurred, one "
                            "line each, up to --until; a progress bar on long runs.")
    replay.add_argument("--compound", type=UUID, required=True, help="the compound's id")
    replay.add_argument("--until", type=moment, help="up to this time (ISO 8601; China time if no zone)")
    replay.add_argument("--out", help="write to this file instead of the terminal")
    replay.set_defaults(run=cmd_replay)

    verify = sub.add_parser(
        "verify", help="verify every body's hash chain and what the others witnessed of it",
        description="Walks each body's log against its hash chain and the other bodies' witness records; "
        "reports the first broken link of each (body, position, link, event id, what differs). Exits 1 "
        "if any log is broken.")
    verify.add_argument("--body", action="append", choices=[b.value for b in Body],
                        help="only this body's log (repeatable)")
    verify.set_defaults(run=cmd_verify)

    erase = sub.add_parser(
        "erase", help="erase a person's personal data (PIPL)",
        description="Deletes the key that seals the person's data (their name, or a resident's unit and "
        "what they wrote): it reads [erased] everywhere the ledger holds it, counts and figures stay, every "
        "hash still verifies, and the body holding the data records the erasure (PersonalDataErased) with "
        "who erased and why. A person's id is what the history and the access log show.")
    erase.add_argument("--person", type=UUID, help="the person's pseudonymous id")
    erase.add_argument("--compound", type=UUID, help="with --owner: the owner's compound")
    erase.add_argument("--owner", help="an owner's name as registered (instead of --person)")
    erase.add_argument("--reason", required=True, help="why (the request, its date)")
    erase.set_defaults(run=cmd_erase)

    purge = sub.add_parser(
        "purge-access-log", help="delete showings of personal data older than the retention",
        description="Deletes the access log's rows older than SIWEI_ACCESS_LOG_DAYS (default 180) or --days, "
        "and records in the log's head the row and link it purged through, so that the chain still "
        "verifies. Prints what it deleted.")
    purge.add_argument("--days", type=int, help="keep this many days instead of SIWEI_ACCESS_LOG_DAYS")
    purge.set_defaults(run=cmd_purge_access_log)
