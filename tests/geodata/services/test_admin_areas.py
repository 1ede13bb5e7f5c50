"""The one write path for admin areas: admin_area_check writes nothing, the saves write with history."""

import pytest
from django.core.exceptions import ValidationError

from geodata.models import AdminArea
from geodata.services import RecordsInvalid, admin_area_check, admin_area_save, admin_areas_save_many, geometry_json
from tests.geodata.conftest import ALPHA, BETA


def counts() -> tuple[int, int]:
    return AdminArea.objects.count(), AdminArea.history.count()


def area(code: str, name: str, geom=ALPHA, level: int = 1, **kwargs) -> AdminArea:
    return AdminArea(code=code, name=name, slug=name.lower().replace(" ", "-"), level=level, country_code="XA",
                     geometry=geometry_json(geom), **kwargs)


def test_admin_area_check_names_the_field_and_writes_nothing(squares):
    before = counts()
    with pytest.raises(ValidationError) as excinfo:
        admin_area_check(area=area("XA01", "Delta"))  # Alpha's code
    assert "code" in excinfo.value.message_dict
    with pytest.raises(ValidationError) as excinfo:
        admin_area_check(area=area("XA09", "Delta", level=2))  # a district needs its governorate
    assert "parent" in excinfo.value.message_dict
    admin_area_check(area=area("XA09", "Delta"))
    assert counts() == before


def test_admin_area_save_writes_one_history_row(db):
    saved = admin_area_save(area=area("XA01", "Alpha"))
    assert AdminArea.history.filter(id=saved.pk).count() == 1


def test_admin_areas_save_many_creates_and_updates_with_history_in_a_few_queries(
    squares, django_assert_max_num_queries
):
    alpha = squares["XA01"]
    alpha.geometry = geometry_json(BETA)
    districts = [area(f"XA01{n:02}", f"District {n}", level=2, parent=alpha) for n in range(20)]
    before = counts()
    # The theatre's foreign key is checked once per batch (new, stored): 2 of them. The revisions: the
    # stored areas' theatres read before the write (one may move), then the theatre's and every theatre's.
    with django_assert_max_num_queries(17):
        admin_areas_save_many(areas=[alpha, *districts])
    assert counts() == (before[0] + 20, before[1] + 21)
    alpha.refresh_from_db()
    assert alpha.geometry == geometry_json(BETA)
    assert AdminArea.objects.filter(parent=alpha).count() == 20
    assert list(AdminArea.history.filter(id=alpha.pk).values_list("history_type", flat=True)) == ["~", "+"]


def test_admin_areas_save_many_is_all_or_nothing_and_lists_every_bad_area(squares):
    before = counts()
    with pytest.raises(RecordsInvalid) as excinfo:
        admin_areas_save_many(areas=[area("XA08", "Good"), area("XA02", "Taken code"), area("XA09", "Good")])
    assert set(excinfo.value.errors) == {1, 2}
    assert "code" in excinfo.value.errors[1] and "slug" in excinfo.value.errors[2]
    assert any(m.startswith("Taken code (XA02), code:") for m in excinfo.value.messages)
    assert counts() == before
