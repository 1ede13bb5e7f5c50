"""The one write path for towns: town_check writes nothing, town_save and towns_save_many write with history."""

import pytest
from django.contrib.admin.sites import AdminSite
from django.contrib.auth.models import User
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore
from django.core.exceptions import ValidationError
from django.test import RequestFactory

from geodata.admin import TownAdmin
from geodata.models import Town
from geodata.services import RecordsInvalid, town_check, town_save, towns_save_many
from tests.factories import TownFactory


def counts() -> tuple[int, int]:
    return Town.objects.count(), Town.history.count()


def test_town_check_writes_nothing_and_says_where_the_town_falls(squares):
    before = counts()
    town = Town(name="Checked", slug="checked", latitude=35.5, longitude=36.5)
    placement = town_check(town=town)
    assert placement.area_id == squares["XA01"].pk and placement.how == "within"
    assert counts() == before
    assert town.pk is None and town.admin_area_id is None  # nothing set on the town either


def test_town_check_names_the_field_and_writes_nothing(squares):
    TownFactory(name="Taken", slug="taken", latitude=35.5, longitude=36.5)
    before = counts()
    with pytest.raises(ValidationError) as excinfo:
        town_check(town=Town(name="Far", slug="taken", latitude=36.5, longitude=35.5))  # swapped coordinates
    errors = excinfo.value.message_dict
    assert "already exists" in errors["slug"][0]
    assert "outside every loaded boundary" in errors["latitude"][0]
    assert counts() == before


def test_town_check_lets_a_stored_town_keep_its_own_slug(squares):
    town = town_save(town=Town(name="Mine", slug="mine", latitude=35.5, longitude=36.5))
    town.name = "Mine again"
    town_check(town=town)


def test_town_save_writes_one_history_row(squares):
    town = town_save(town=Town(name="Once", slug="once", latitude=35.5, longitude=36.5))
    assert Town.history.filter(id=town.pk).count() == 1


def test_towns_save_many_writes_every_town_with_its_history_in_a_few_queries(squares, django_assert_max_num_queries):
    towns = [Town(name=f"Bulk {n}", slug=f"bulk-{n}", latitude=35.5, longitude=36.1 + n / 100) for n in range(50)]
    before = counts()
    # 2 unique checks, 2 area frames (districts, governorates), the theatre's foreign key, the inserts and
    # their history rows, the theatre's revision and every theatre's.
    with django_assert_max_num_queries(12):
        saved = towns_save_many(towns=towns)
    assert counts() == (before[0] + 50, before[1] + 50)
    assert all(t.pk for t in saved)
    areas = Town.objects.filter(slug__startswith="bulk-").values_list("admin_area", flat=True)
    assert set(areas) == {squares["XA01"].pk}
    assert set(Town.history.filter(slug__startswith="bulk-").values_list("history_type", flat=True)) == {"+"}


def test_towns_save_many_is_all_or_nothing_and_lists_every_bad_town(squares):
    TownFactory(name="Taken", slug="taken", latitude=35.5, longitude=36.5)
    towns = [
        Town(name="Good", slug="good", latitude=35.5, longitude=36.5),
        Town(name="Twin", slug="taken", latitude=35.5, longitude=36.6),
        Town(name="Swapped", slug="swapped", latitude=36.5, longitude=35.5),
        Town(name="Copy", slug="good", latitude=35.5, longitude=36.7),  # the batch's own slugs must differ too
    ]
    before = counts()
    with pytest.raises(RecordsInvalid) as excinfo:
        towns_save_many(towns=towns)
    assert set(excinfo.value.errors) == {1, 2, 3}
    assert "slug" in excinfo.value.errors[1] and "latitude" in excinfo.value.errors[2]
    assert "slug" in excinfo.value.errors[3]
    assert any(m.startswith("town 3 (Swapped), latitude:") for m in excinfo.value.messages)
    assert counts() == before


def test_towns_save_many_marks_towns_outside_when_allowed(squares):
    (far,) = towns_save_many(towns=[Town(name="Far", slug="far", latitude=36.5, longitude=35.5)], allow_outside=True)
    far.refresh_from_db()
    assert far.outside_boundaries and far.admin_area is None


def test_towns_save_many_updates_stored_towns_with_a_history_row(squares):
    town = TownFactory(name="Mover", slug="mover", latitude=35.5, longitude=36.5)
    town.longitude = 37.5
    towns_save_many(towns=[town])
    town.refresh_from_db()
    assert town.admin_area == squares["XA02"]
    assert list(Town.history.filter(id=town.pk).values_list("history_type", flat=True)) == ["~", "+"]


@pytest.fixture
def admin_post(db):
    """Post a town's add form to geodata's own TownAdmin (the events app registers a subclass)."""
    user = User.objects.create_superuser("admin", password="not-used-in-tests")
    model_admin = TownAdmin(Town, AdminSite())

    def post(data: dict):
        request = RequestFactory().post("/admin/geodata/town/add/", data)
        request.user, request.session = user, SessionStore()
        request._messages = FallbackStorage(request)
        request._dont_enforce_csrf_checks = True
        return model_admin.add_view(request)

    return post


def test_one_admin_save_writes_the_town_once_with_one_history_row(squares, admin_post):
    data = {"name": "Newtown", "slug": "newtown", "alt_names": "[]", "latitude": "35.5", "longitude": "36.5",
            "population": "", "geonames_id": "", "external_ids": "{}"}
    response = admin_post(data)
    assert response.status_code == 302
    town = Town.objects.get(slug="newtown")
    assert town.admin_area == squares["XA01"]
    assert Town.history.filter(id=town.pk).count() == 1


def test_the_admin_form_shows_the_check_as_field_errors_and_writes_nothing(squares, admin_post):
    before = counts()
    response = admin_post({"name": "Far", "slug": "far", "alt_names": "[]", "latitude": "36.5", "longitude": "35.5",
                           "population": "", "geonames_id": "", "external_ids": "{}"})
    assert response.status_code == 200
    assert "outside every loaded boundary" in response.context_data["adminform"].form.errors["latitude"][0]
    assert counts() == before
