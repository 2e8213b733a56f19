"""What holds for every view."""

from infra import schemas
from projections.catalogue import all_views


def test_every_handled_event_type_exists():
    known = set(schemas.catalogue())
    for view in all_views():
        unknown = set(view.handlers()) - known
        assert not unknown, f"{view.name} handles event types that do not exist: {unknown}"
