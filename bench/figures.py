"""Figures: repeated samples of a measure and of its raw baseline, summarised as min / median /
max and the ratio of the medians; peak memory of each process."""

from __future__ import annotations

import os
import statistics
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Figure:
    name: str
    unit: str
    baseline: str  # what the baseline is
    samples: list[float] = field(default_factory=list)
    baseline_samples: list[float] = field(default_factory=list)
    target: str = ""

    def add(self, sample: float, baseline: float) -> None:
        self.samples.append(sample)
        self.baseline_samples.append(baseline)

    @property
    def ratio(self) -> float | None:
        if not self.samples or not self.baseline_samples or not statistics.median(self.baseline_samples):
            return None
        return statistics.median(self.samples) / statistics.median(self.baseline_samples)

    def row(self) -> str:
        def spread(values: list[float]) -> str:
            if not values:
                return "–"
            return " / ".join(_number(v) for v in (min(values), statistics.median(values), max(values)))

        ratio = f"{self.ratio:.2f}" if self.ratio is not None else "–"
        return (f"| {self.name} | {self.unit} | {spread(self.samples)} | {self.baseline}: "
                f"{spread(self.baseline_samples)} | {ratio} | {self.target or '–'} |")

    def as_json(self) -> dict:
        return {"name": self.name, "unit": self.unit, "samples": self.samples, "baseline": self.baseline,
                "baseline_samples": self.baseline_samples, "ratio": self.ratio, "target": self.target}


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.1f}" if abs(value) >= 10 else f"{value:.2f}"


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (``share`` in 0..1) of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


@dataclass
class Report:
    figures: dict[str, Figure] = field(default_factory=dict)
    memory: dict[str, float] = field(default_factory=dict)  # process -> peak MiB
    facts: dict[str, object] = field(default_factory=dict)

    def figure(self, name: str, unit: str, baseline: str, target: str = "") -> Figure:
        return self.figures.setdefault(name, Figure(name, unit, baseline, target=target))

    def note_memory(self, process: str, mib: float) -> None:
        self.memory[process] = max(self.memory.get(process, 0.0), mib)

    def table(self) -> str:
        lines = [", ".join(f"{k}: {v}" for k, v in self.facts.items()), "",
                 "| figure | unit | min / median / max | baseline min / median / max | ratio | target |",
                 "|---|---|---|---|---|---|"]
        lines += [f.row() for f in self.figures.values()]
        lines += ["", "| process | peak memory (MiB) |", "|---|---|"]
        lines += [f"| {name} | {mib:,.0f} |" for name, mib in self.memory.items()]
        return "\n".join(lines)

    def as_json(self) -> dict:
        return {"facts": self.facts, "figures": [f.as_json() for f in self.figures.values()],
                "memory_mib": self.memory}


def peak_mib(pid: int | None = None) -> float:
    """A process's peak resident memory (VmHWM), in MiB; 0 if it is gone."""
    try:
        status = Path(f"/proc/{pid or os.getpid()}/status").read_text()
    except OSError:
        return 0.0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def processes_named(prefix: str) -> list[int]:
    """Pids of processes whose command name starts with ``prefix`` (the embedded servers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().startswith(prefix):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def children_of(pid: int) -> list[int]:
    """Pids of a process's children."""
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []
