"""What residents may raise (点单), and how long each kind may take (限期办结). Declared once:
the residents validate against it, the branch and the property company count deadlines by it."""

from __future__ import annotations

from datetime import timedelta
from enum import Enum

from services.common.errors import InvalidInput


class Category(str, Enum):
    REPAIRS = "repairs"  # 维修
    ENVIRONMENT = "environment_and_sanitation"  # 环境卫生
    PARKING = "parking_and_charging"  # 停车充电
    SAFETY = "safety"  # 安全隐患
    NEIGHBOUR_DISPUTE = "neighbour_dispute"  # 邻里纠纷
    PROPERTY_DISPUTE = "property_dispute"  # 物业纠纷
    ILLEGAL_CONSTRUCTION = "illegal_construction"  # 违章搭建
    ELDERLY_CARE = "elderly_and_care_services"  # 养老照护
    OTHER = "other"


DEADLINES: dict[Category, timedelta] = {
    Category.SAFETY: timedelta(hours=24),  # urgent
    Category.REPAIRS: timedelta(hours=72),
    Category.ENVIRONMENT: timedelta(hours=72),
    Category.ELDERLY_CARE: timedelta(hours=72),
    Category.PARKING: timedelta(days=7),
    Category.NEIGHBOUR_DISPUTE: timedelta(days=7),
    Category.PROPERTY_DISPUTE: timedelta(days=7),
    Category.ILLEGAL_CONSTRUCTION: timedelta(days=7),
    Category.OTHER: timedelta(days=7),
}

DISPUTES = {Category.NEIGHBOUR_DISPUTE, Category.PROPERTY_DISPUTE}


def require_category(value: str) -> Category:
    try:
        return Category(value)
    except ValueError:
        allowed = ", ".join(c.value for c in Category)
        raise InvalidInput(f"category must be one of {allowed}, not {value!r}", field="category") from None
