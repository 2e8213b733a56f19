"""The four bodies that govern a compound together (四位一体)."""

from __future__ import annotations

from enum import Enum


class Body(str, Enum):
    BRANCH = "branch"  # 小区党支部
    RESIDENTS = "residents"  # 居民小组 / 居民议事会
    OWNERS_COMMITTEE = "owners_committee"  # 业主委员会 / 业主大会
    PROPERTY = "property"  # 物业服务企业

    @property
    def topic(self) -> str:
        """The Kafka topic this body publishes its events to."""
        return f"siwei.{self.value}.events"

    @property
    def schema(self) -> str:
        """The PostgreSQL schema that holds this body's event store and relay position."""
        return self.value
