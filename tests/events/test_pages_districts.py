"""Towns sit in districts; pages that mean "governorate" read the district's parent."""

import datetime as dt

from events import page_data
from geodata.models import AdminArea, Town


def test_the_town_page_draws_the_governorate_of_its_district(seeded):
    town = Town.objects.select_related("admin_area").get(slug="uqayribat")
    assert town.admin_area.level == AdminArea.Level.DISTRICT
    features = page_data.town_page(town=town)["layers"]["provinces"]["features"]
    assert [f["properties"]["area_id"] for f in features] == [AdminArea.objects.get(code="SY05").pk]


def test_the_governorate_page_lists_the_towns_of_its_districts(seeded):
    hama = AdminArea.objects.get(code="SY05")
    listed = {row["town"].slug for row in page_data.area_page(area=hama, on=dt.date(2017, 9, 3))["towns"]}
    assert listed == set(Town.objects.filter(admin_area__parent=hama).values_list("slug", flat=True))
    assert {"uqayribat", "hama", "salamiyah"} <= listed
