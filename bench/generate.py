"""``siwei bench generate``: the synthetic city recorded through the real services, with the relay
and the reactor running beside it as they do in ``siwei up``."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tqdm import tqdm

from bench.city import ROUNDS, CompoundPlan, Recorder, plan
from infra.settings import Settings
from services.common.bodies import Body

MANIFEST = "bench-city.json"
REACTION_TIMEOUT = 600.0


class CityExists(RuntimeError):
    """The data folder holds a generated city already; a second would mix with it."""


def manifest_path(settings: Settings) -> Path:
    return settings.data_dir / MANIFEST


def await_reactions(conditions: list[Callable[[], bool]], what: str) -> None:
    deadline = time.monotonic() + REACTION_TIMEOUT
    for condition in conditions:
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError(f"the reactor did not {what} within {REACTION_TIMEOUT:.0f}s")
            time.sleep(0.2)


def generate(settings: Settings, compounds: int, seed: int, workers: int, active_share: float = 1.0) -> dict:
    """Records the city and writes its manifest (ids by street, the seed, the counts)."""
    from infra.running import Supervisor, services_on
    from infra.topics import ensure_topics

    if manifest_path(settings).exists():
        raise CityExists(f"{manifest_path(settings)} exists: this data folder has a city already; "
                         "set SIWEI_DATA_DIR to a fresh folder")
    ensure_topics(settings.kafka_bootstrap, settings.topic_partitions)
    supervisor = Supervisor(settings, {"relay": ["relay"], "reactor": ["react"]})
    plans = [plan(seed, i, active_share) for i in range(compounds)]
    started = time.monotonic()
    try:
        supervisor.start_all()
        with services_on(settings) as services:
            recorder = Recorder(services)
            for number in sorted({p.company for p in plans if p.company is not None}):
                recorder.register_company(number)
            with ThreadPoolExecutor(workers) as pool:
                for name, step in ROUNDS:
                    def run(p: CompoundPlan, name: str = name, step=step) -> None:
                        await_reactions(recorder.awaited(name, p), f"react before {name} in {p.name}")
                        step(recorder, p)

                    with tqdm(total=len(plans), unit="compound", desc=f"city: {name}") as bar:
                        for _ in pool.map(run, plans):
                            bar.update()
            counts = {body.value: services.of(body).recorder.max_notification_id() or 0 for body in Body}
    finally:
        supervisor.stop()
    streets: dict[str, list[str]] = {}
    for p in plans:
        streets.setdefault(p.street, []).append(str(p.compound_id))
    manifest = {"compounds": compounds, "seed": seed, "active": sum(p.active for p in plans), "seconds": round(time.monotonic() - started, 1),
                "events": counts, "streets": streets,
                "shapes": {shape: sum(p.shape == shape for p in plans) for shape in {p.shape for p in plans}},
                "cases": sum(len(p.cases) for p in plans)}
    manifest_path(settings).write_text(json.dumps(manifest, ensure_ascii=False, indent=1))
    return manifest
