"""The public pages as a new user reads them (issue 20): a town's governorate and district, what an
area's shares are of, marks the shipped fonts draw."""

import re

import pytest

from geodata.models import AdminArea, Town

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_the_town_page_names_its_governorate_and_its_district(client, seeded):
    town = Town.objects.select_related("admin_area__parent").get(slug="uqayribat")
    assert town.admin_area.level == AdminArea.Level.DISTRICT  # the seed files it under As-Salamiyeh
    text = _text(client.get("/towns/uqayribat/"))
    assert "Governorate: Hama" in text
    assert "District: As-Salamiyeh" in text
    assert "Governorate: As-Salamiyeh" not in text


def test_area_shares_say_they_are_of_the_towns_with_a_record_and_count_the_rest(client, seeded):
    hama = AdminArea.objects.get(slug="hama")
    response = client.get(f"/areas/{hama.slug}/?date=2014-01-01")
    text = _text(response)
    assert "Share of towns with a record on 2014-01-01" in text
    assert "1 of 5 towns here has a record on this date; 4 have none" in text
    # The table over time counts the towns with and without a record on each date.
    table = response.content.decode().split('class="data-table shares-table"')[1]
    assert "Towns with a record" in table and "Without" in table
    first_row = re.search(r"<tr><td>2014-01-01</td>(.*?)</tr>", table).group(1)
    cells = re.findall(r'<td class="num">([^<]*)</td>', first_row)
    assert cells[-2:] == ["1", "4"]


@pytest.mark.parametrize("url", ["/factions/", "/areas/hama/"])
def test_the_charts_say_their_rule_in_characters_the_shipped_fonts_draw(client, seeded, url):
    body = client.get(url).content.decode()
    # One column per step, not time to scale: no shortened axis (and no mark for it) any more.
    assert "One column per date, in order and all as wide (not to time scale)" in body
    assert "\u2afd" not in body  # ⫽: a box in Debian's Chromium (no shipped font has it)
