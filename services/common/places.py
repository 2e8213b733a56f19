"""Where in a compound a case is: the building and the common area its free-text location names.

Residents write locations as they speak ("3栋旁垃圾站", "2栋 楼道", "1单元101", "车棚"). The figures
need the same place to read the same: the building (``3栋``, whether written 3栋, 3号楼, 3幢 or
3座), and the area left once building, unit, floor and room numbers and the words that only
point (旁, 边, 门口 …) are taken out. A location naming only a building reads as ``楼栋``, one
naming only a home (unit, floor, room) as ``户内``."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

BUILDING = re.compile(r"(\d+)\s*(?:栋|号楼|幢|座)")
NUMBERED = re.compile(r"\d+\s*(?:单元|层|楼|室|号|户)?|[-－—#]")
POINTING = re.compile(r"^(?:旁边|旁|边|的|前|后面|门口|附近|处)+|(?:旁边|旁|边|的|附近|处)+$")
BUILDING_ITSELF, HOME = "楼栋", "户内"


@dataclass(frozen=True)
class Place:
    building: str  # "3栋", or "" when no building is named
    area: str  # the common area ("垃圾站", "车棚", "楼道"), or 楼栋, or 户内

    @property
    def key(self) -> str:
        """The same place, however it was written: what repeats are matched on."""
        return f"{self.building}|{self.area}"


def place_of(location: str) -> Place:
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", location or "")).lower()
    found = BUILDING.search(text)
    building = f"{int(found.group(1))}栋" if found else ""
    rest = BUILDING.sub("", text)
    rest = POINTING.sub("", NUMBERED.sub("", rest))
    return Place(building=building, area=rest or (BUILDING_ITSELF if building else HOME))
