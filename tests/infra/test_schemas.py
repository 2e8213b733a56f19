"""The Avro contract: current, published, and only ever changed compatibly."""

import copy
import json
import shutil

import pytest

from infra import schemas

COMPOUND = "residents.CompoundRegistered"


def with_field(schema: dict, field: dict) -> dict:
    changed = copy.deepcopy(schema)
    changed["fields"].append(field)
    return changed


def test_the_repository_contract_is_sound():
    assert schemas.problems() == []


def test_every_event_type_has_a_schema_matching_its_class():
    for event_type in schemas.catalogue().values():
        assert schemas.current(event_type.qualified_name) == schemas.generate(event_type)


@pytest.fixture
def current():
    return schemas.generate(schemas.catalogue()[COMPOUND])


def test_a_new_field_with_a_default_can_read_old_data(current):
    newer = with_field(current, {"name": "photo", "type": ["null", "string"], "default": None})
    assert schemas.can_read(newer, current) is None


def test_a_new_field_without_a_default_cannot_read_old_data(current):
    newer = with_field(current, {"name": "area_code", "type": "string"})
    assert "area_code" in schemas.can_read(newer, current)


def test_a_changed_field_type_cannot_read_old_data(current):
    newer = copy.deepcopy(current)
    households = next(f for f in newer["fields"] if f["name"] == "households")
    households["type"] = "string"
    assert schemas.can_read(newer, current) is not None


def test_a_renamed_record_cannot_read_old_data(current):
    newer = dict(current, name="CompoundEnrolled")
    assert schemas.can_read(newer, current) is not None


@pytest.fixture
def scratch_contract(tmp_path, monkeypatch):
    """A copy of schemas/ to change, with the module pointed at it."""
    copy_dir = tmp_path / "schemas"
    shutil.copytree(schemas.SCHEMA_DIR, copy_dir)
    monkeypatch.setattr(schemas, "SCHEMA_DIR", copy_dir)
    monkeypatch.setattr(schemas, "PUBLISHED_DIR", copy_dir / "published")
    for cached in (schemas.current, schemas.published):
        cached.cache_clear()
    yield copy_dir
    for cached in (schemas.current, schemas.published):
        cached.cache_clear()


def test_publishing_an_incompatible_change_is_refused(scratch_contract, monkeypatch):
    generate = schemas.generate

    def breaking(event_type):
        schema = generate(event_type)
        if event_type.qualified_name == COMPOUND:
            schema = with_field(schema, {"name": "area_code", "type": "string"})
        return schema

    monkeypatch.setattr(schemas, "generate", breaking)
    with pytest.raises(schemas.SchemaError, match="cannot read data written"):
        schemas.publish()
    assert any("does not match the event class" in p for p in schemas.problems())


def test_publishing_a_compatible_change_keeps_the_old_version(scratch_contract, monkeypatch):
    generate = schemas.generate

    def growing(event_type):
        schema = generate(event_type)
        if event_type.qualified_name == COMPOUND:
            schema = with_field(schema, {"name": "photo", "type": ["null", "string"], "default": None})
        return schema

    monkeypatch.setattr(schemas, "generate", growing)
    written = schemas.publish()
    assert "residents/CompoundRegistered.avsc" in written
    versions = list((scratch_contract / "published").glob(f"{COMPOUND}.*.avsc"))
    assert len(versions) == 2
    assert schemas.problems() == []


def test_an_unpublished_change_is_reported(scratch_contract):
    path = scratch_contract / "residents" / "CompoundRegistered.avsc"
    schema = json.loads(path.read_text())
    schema["fields"].append({"name": "photo", "type": ["null", "string"], "default": None})
    path.write_text(json.dumps(schema))
    assert any("CompoundRegistered.avsc does not match" in p for p in schemas.problems())


def test_a_published_schema_edited_in_place_is_reported(scratch_contract):
    (published,) = (scratch_contract / "published").glob(f"{COMPOUND}.*.avsc")
    schema = json.loads(published.read_text())
    schema["fields"][1]["name"] = "title"
    published.write_text(json.dumps(schema))
    assert any("was edited after it was published" in p for p in schemas.problems())


def test_removing_a_published_event_type_is_reported(scratch_contract):
    (published,) = (scratch_contract / "published").glob(f"{COMPOUND}.*.avsc")
    shutil.copy(published, published.with_name(published.name.replace("CompoundRegistered", "CompoundMerged")))
    assert any("residents.CompoundMerged was published but no event class" in p
               for p in schemas.problems())
