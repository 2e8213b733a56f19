"""What residents may raise (点单), how soon someone must answer each kind (响应) and how long it may
take (限期办结). Declared once: the residents validate against it, the branch and the property
company count deadlines by it, the figures count responses by it."""

from __future__ import annotations

from datetime import timedelta
from enum import Enum

from services.common.errors import InvalidInput, require_choice


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


class Urgency(str, Enum):
    """How the resident marks a case when raising it (Beijing's 接诉即办 service standard)."""

    ROUTINE = "routine"
    EMERGENCY = "emergency"  # 紧急: a danger now, answered within 2 hours whatever its kind


# How soon a taker must first answer a case (its dispatch, or a taker's acceptance or refusal,
# whichever comes first): Beijing's feedback times, 2 h for emergencies, 24 h for water, power,
# gas, heat and what endangers, 72 h here for what is due in a week (the standard's 7 days would
# equal the deadline itself).
RESPONSE_TIMES: dict[tuple[Category, Urgency], timedelta] = {
    **{(category, Urgency.EMERGENCY): timedelta(hours=2) for category in Category},
    (Category.SAFETY, Urgency.ROUTINE): timedelta(hours=2),
    **{(category, Urgency.ROUTINE): timedelta(hours=24)
       for category in (Category.REPAIRS, Category.ENVIRONMENT, Category.ELDERLY_CARE)},
    **{(category, Urgency.ROUTINE): timedelta(hours=72)
       for category in (Category.PARKING, Category.NEIGHBOUR_DISPUTE, Category.PROPERTY_DISPUTE,
                        Category.ILLEGAL_CONSTRUCTION, Category.OTHER)},
}

DISPUTES = {Category.NEIGHBOUR_DISPUTE, Category.PROPERTY_DISPUTE}


def require_category(value: str) -> Category:
    try:
        return Category(value)
    except ValueError:
        allowed = ", ".join(c.value for c in Category)
        raise InvalidInput(f"category must be one of {allowed}, not {value!r}", field="category") from None


def require_urgency(value: str) -> Urgency:
    return Urgency(require_choice(Urgency, value, "urgency"))
