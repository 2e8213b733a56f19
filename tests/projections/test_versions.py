"""Versioned read models: a projector whose views changed builds its version beside the one serving,
which keeps answering; the API then answers from the new one, switched in one transaction, with no
failed request in between; meanwhile the views it did not change are kept current. A projector of the replaced version does not build it back; ``siwei
projections rebuild`` does, and works the same way beside the running projector, which follows."""

from __future__ import annotations

import threading
import time

import psycopg
from psycopg import sql

from projections.catalogue import all_views
from projections.compounds.view import CompoundsView
from infra.embedded import EmbeddedBroker
from infra.relay import run_relays
from projections.projector import CATCH_UP_PAUSE_SECONDS, SWITCH_LAG, Projector
from projections.serving import schema_of
from services.common.context import acting
from tests.conftest import graphql, wait_until
from tests.projections.test_projector import register_compound, register_units

PAGE = "{ compounds(first: 50) { totalCount edges { node { name households } } } }"
ASKING_PAUSE = 0.07  # within a token's rate (SIWEI_RATE_LIMIT, 20 a second)


class CompoundsWithNotes(CompoundsView):
    """The compounds view of a later version: a column more."""

    def ddl(self) -> str:
        return CompoundsView().ddl() + "\nALTER TABLE compounds ADD COLUMN IF NOT EXISTS note text;\n"


def serving(system) -> tuple[str, str]:
    return system.query("SELECT schema, version FROM projections.serving")[0]


def schema_exists(system, schema: str) -> bool:
    return system.query("SELECT to_regnamespace(%s) IS NOT NULL", (schema,))[0][0]


class Asking:
    """A partner asking the API again and again, each answer kept with when it came."""

    def __init__(self, url: str, token: str) -> None:
        self.answers: list[tuple[float, int, dict]] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._ask, args=(url, token))
        self.thread.start()

    def _ask(self, url: str, token: str) -> None:
        while not self.stop.wait(ASKING_PAUSE):
            answer = graphql(url, token, PAGE)
            self.answers.append((time.monotonic(), answer.status_code, answer.json()))

    def end(self) -> list[tuple[float, int, dict]]:
        self.stop.set()
        self.thread.join()
        return self.answers


def test_a_changed_view_is_built_beside_the_serving_one_and_a_rebuild_too_with_no_failed_request(system):
    compounds = [register_compound(system, name=f"晋阳小区{n}") for n in range(30)]
    receipts = register_units(system, compounds[0], 0, 400)  # a build that takes a while
    system.start_relay()
    system.start_projector()
    url = system.start_api()
    system.wait_projected(*compounds, *receipts)
    token = system.token("integration:street:晋阳街道:city-dashboard")
    first_schema, first_version = serving(system)

    # An upgrade: the projector of the new code builds its version while the old one answers.
    system.processes.pop("projector").terminate()
    views = [CompoundsWithNotes() if isinstance(view, CompoundsView) else view for view in all_views()]
    upgraded = Projector(system.settings, views=views)
    assert upgraded.version != first_version
    asking = Asking(url, token)
    wait_until(lambda: len(asking.answers) > 3, "the API to answer")
    stop = threading.Event()
    projector = threading.Thread(target=upgraded.run, args=(stop,))
    # The build held up at its start (its offsets locked): meanwhile the views the upgrade did not
    # change are kept current in the schema serving.
    Projector(system.settings, schema=upgraded.schema, views=views).create_tables()
    held = psycopg.connect(system.settings.database_url)
    held.execute(sql.SQL("LOCK TABLE {}").format(sql.Identifier(upgraded.schema, "projector_offsets")))
    building = time.monotonic()
    projector.start()
    try:
        with acting("admin"):
            system.services.property.register_company(name="晋阳物业", credit_code="91510107MA6CY8QK2D")
        wait_until(lambda: system.count("projections.property_companies") == 1,
                   "an unchanged view of the old version to follow the topics")
        assert serving(system) == (first_schema, first_version)
        held.close()
        wait_until(lambda: serving(system) == (upgraded.schema, upgraded.version), "the switch", timeout=120)
        switched = time.monotonic()
        wait_until(lambda: len([a for a in asking.answers if a[0] > switched]) > 3, "answers after the switch")
        answers = asking.end()
        assert system.query("SELECT count(*) FROM projections.compounds WHERE note IS NULL") == [(30,)]
        assert system.count("projections.property_companies") == 1
        wait_until(lambda: not schema_exists(system, first_schema), "the old version's schema to be dropped")
    finally:
        held.close()
        asking.end()
        stop.set()
        projector.join(60)
    assert [a for a in answers if a[1] != 200 or "errors" in a[2]] == []
    assert {a[2]["data"]["compounds"]["totalCount"] for a in answers} == {30}
    assert any(building < a[0] < switched for a in answers), "no answer while the new version was built"

    # This code's projector, left running, does not build its version back over the newer one: a
    # rollback is the operator's `siwei projections rebuild`, beside it; then another rebuild, which
    # the running projector follows.
    system.start_projector()
    wait_until(lambda: "which replaced this code's" in (system.settings.data_dir / "projector.log").read_text(),
               "the projector to say it waits")
    assert serving(system) == (upgraded.schema, upgraded.version)
    for rebuild in range(2):
        replaced = serving(system)[0]
        asking = Asking(url, token)
        rebuilt = system.siwei("projections", "rebuild")
        answers = asking.end()
        assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
        assert serving(system)[0] != replaced and serving(system)[1] == first_version
        assert not schema_exists(system, replaced)  # dropped once no projector read it
        assert [a for a in answers if a[1] != 200 or "errors" in a[2]] == []
        assert {a[2]["data"]["compounds"]["totalCount"] for a in answers} == {30 + rebuild}
        later = register_compound(system, name=f"重建后小区{rebuild}")
        system.wait_projected(later)  # the running projector follows the schema serving
    assert graphql(url, token, PAGE).json()["data"]["compounds"]["totalCount"] == 32


def test_a_version_is_not_switched_in_before_a_broker_that_came_back_empty_holds_the_logs_again(
        system, broker, tmp_path):
    compound = register_compound(system)
    register_units(system, compound, 0, 50)
    run_relays(system.settings, threading.Event(), until_caught_up=True)
    Projector(system.settings).run(threading.Event(), until_caught_up=True)
    first = serving(system)
    assert system.count("projections.exclusive_units") == 50

    broker.stop()
    reborn = EmbeddedBroker(tmp_path / "reborn", port=broker.port)
    reborn.start()
    views = [CompoundsWithNotes() if isinstance(view, CompoundsView) else view for view in all_views()]
    upgraded = Projector(system.settings, views=views)
    stop = threading.Event()
    projector = threading.Thread(target=upgraded.run, args=(stop,))
    projector.start()
    try:
        # The new version has read all the empty topics hold: it waits for the relay, the old serves.
        wait_until(lambda: system.query("SELECT to_regclass(%s) IS NOT NULL", (f"{upgraded.schema}.projector_offsets",))
                   [0][0], "the new version's schema")
        time.sleep(3 * CATCH_UP_PAUSE_SECONDS)
        assert serving(system) == first and system.count("projections.exclusive_units") == 50
        system.start_relay()
        wait_until(lambda: serving(system)[1] == upgraded.version, "the switch once the relay republished")
        assert system.count("projections.exclusive_units") >= 50 - SWITCH_LAG
        wait_until(lambda: system.count("projections.exclusive_units") == 50, "the rest to be read")
    finally:
        stop.set()
        projector.join(60)
        system.stop_all()
        reborn.stop()


def test_what_a_rebuild_that_stopped_left_is_shown_then_dropped(system):
    register_compound(system, name="北苑小区")
    run_relays(system.settings, threading.Event(), until_caught_up=True)
    live = Projector(system.settings)
    live.run(threading.Event(), until_caught_up=True)
    # Rebuilds killed partway: one begun ten minutes ago, no process of it seen since; one begun just now.
    begun = time.time_ns() // 1000
    stopped, starting = (f"{schema_of(live.version)}_{at}" for at in (begun - 600_000_000, begun))
    for schema in (stopped, starting):
        Projector(system.settings, schema=schema).run(threading.Event(), until_caught_up=True)
        system.query(sql.SQL("UPDATE {} SET seen_until = now() - interval '10 minutes'").format(
            sql.Identifier(schema, "readers")).as_string())

    shown = system.siwei("status")
    assert f"building {stopped}: 1 of 1 (100%); no process at work on it: left by a rebuild that stopped" \
        in shown.stdout, shown.stdout

    rebuilt = system.siwei("projections", "rebuild")
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    assert not schema_exists(system, stopped)
    assert schema_exists(system, starting)  # begun less than five minutes ago: it may be starting still
    assert f"dropped {stopped}, left unfinished by a rebuild that stopped" in rebuilt.stderr
