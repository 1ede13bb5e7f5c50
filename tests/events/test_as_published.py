"""?as_published=: what a reader saw at a moment, on every layer, export, API list and page.

Uqayribat's seed changes get publication times of their own (the seed is published in one go), and
the log gains what the rule must leave out as known then: a correction published later (it
supersedes the 2 September entry), a late entry (dated 2 September, published on the 5th) and a
retraction. The boundary is tested on the exact publication time.
"""

import csv
import datetime as dt
import io
import json

import pytest
from django.db.models import F
from django.utils import timezone

from events import selectors, services
from events.models import ControlChange, Faction
from geodata.models import Town
from tests.factories import SYSTEM, ControlChangeFactory

pytestmark = pytest.mark.django_db

D = dt.date
Part = ControlChange.DayPart
UTC = dt.UTC


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2017, 9, day, hour, minute, tzinfo=UTC)


def _published(change: ControlChange, moment: dt.datetime, retracted: dt.datetime | None = None) -> ControlChange:
    """Give ``change`` the publication (and retraction) time it would have had in September 2017."""
    # No publication delay: the public saw it at once (public_from, events.delay_models).
    ControlChange.objects.filter(pk=change.pk).update(reviewed_at=moment, public_from=moment, retracted_at=retracted)
    change.refresh_from_db()
    return change


@pytest.fixture
def log(seeded):
    uqayribat, raqqa = Town.objects.get(slug="uqayribat"), Town.objects.get(slug="raqqa")
    gov, is_, sdf = (Faction.objects.get(slug=s) for s in ("pro-government", "islamic-state", "sdf"))
    # Everything else in the seed was known well before September 2017.
    ControlChange.objects.update(reviewed_at=at(1, 0) - dt.timedelta(days=200), public_from=F("reviewed_at"))
    seed = {c.effective_date: c for c in ControlChange.objects.filter(town=uqayribat)}
    night = _published(seed[D(2017, 9, 1)], at(2, 9))  # 1 Sep, night: pro-government
    contested = _published(seed[D(2017, 9, 2)], at(2, 15))  # 2 Sep: IS, contested
    _published(seed[D(2017, 9, 3)], at(3, 10))  # 3 Sep, morning: pro-government
    corrected = _published(
        ControlChangeFactory(town=uqayribat, faction=is_, effective_date=D(2017, 9, 2), supersedes=contested), at(4, 12)
    )
    late = _published(
        ControlChangeFactory(town=uqayribat, faction=gov, effective_date=D(2017, 9, 2), day_part=Part.EVENING), at(5, 8)
    )
    wrong = ControlChangeFactory(town=raqqa, faction=sdf, effective_date=D(2017, 9, 2), day_part=Part.NIGHT)
    services.control_change_retract(change=wrong, by=SYSTEM, reason="misread")
    wrong = _published(wrong, at(2, 10), retracted=at(4, 9))
    return {
        "town": uqayribat,
        "night": night,
        "contested": contested,
        "corrected": corrected,
        "late": late,
        "wrong": wrong,
        "raqqa": raqqa,
    }


def _q(moment: dt.datetime) -> str:
    return moment.isoformat().replace("+", "%2B")


def _layer(client, url: str) -> dict:
    response = client.get(url)
    assert response.status_code == 200, response.content
    return json.loads(b"".join(response.streaming_content) if response.streaming else response.content)


def _town_faction(client, moment: dt.datetime | None, town: str = "Uqayribat", on: str = "2017-09-02") -> str | None:
    query = f"/api/control.geojson?date={on}" + (f"&as_published={_q(moment)}" if moment else "")
    feature = next(f for f in _layer(client, query)["features"] if f["properties"]["name"] == town)
    return feature["properties"]["faction"], feature["properties"]["status"]


def test_the_boundary_is_the_exact_publication_time(log, client):
    published = log["contested"].reviewed_at
    # A microsecond before it was published, the town was still the night's; at that very moment, the new entry.
    assert _town_faction(client, published - dt.timedelta(microseconds=1)) == ("pro-government", "controlled")
    assert _town_faction(client, published) == ("islamic-state", "contested")
    for moment, expected in ((published - dt.timedelta(microseconds=1), log["night"]), (published, log["contested"])):
        with selectors.as_known_at(moment):
            assert selectors.control_as_of(on=D(2017, 9, 2)).changes[log["town"].pk].id == expected.pk
        assert selectors.control_as_of(on=D(2017, 9, 2), known_at=moment).changes[log["town"].pk].id == expected.pk


def test_a_correction_published_later_leaves_the_superseded_change_in_force_then(log, client):
    corrected = log["corrected"].reviewed_at
    assert _town_faction(client, corrected - dt.timedelta(microseconds=1)) == ("islamic-state", "contested")
    assert _town_faction(client, corrected) == ("islamic-state", "controlled")
    # As known now: the late evening entry of 2 September, published on the 5th.
    assert _town_faction(client, None) == ("pro-government", "controlled")


def test_a_late_entry_is_left_out_until_it_is_published(log, client):
    late = log["late"].reviewed_at
    assert _town_faction(client, late - dt.timedelta(seconds=1)) == ("islamic-state", "controlled")
    assert _town_faction(client, late) == ("pro-government", "controlled")
    # The dates the time control steps through are those known then.
    assert _layer(client, f"/api/change-dates.json?as_published={_q(at(1, 0) - dt.timedelta(days=300))}")["dates"] == []
    assert "2017-09-02" in _layer(client, f"/api/change-dates.json?as_published={_q(at(2, 16))}")["dates"]


def test_a_retraction_counts_from_its_moment(log, client):
    wrong = log["wrong"]
    assert _town_faction(client, at(3, 0), town="Raqqa", on="2017-09-03")[0] == "sdf"
    for moment, in_force in ((wrong.retracted_at - dt.timedelta(microseconds=1), True), (wrong.retracted_at, False)):
        with selectors.as_known_at(moment):
            shown = selectors.control_as_of(on=D(2017, 9, 3)).changes[log["raqqa"].pk].id
        assert (shown == wrong.pk) is in_force


def test_every_layer_and_export_reads_the_moment(log, client):
    moment = _q(at(4, 13))  # after the correction, before the late entry
    rows = list(
        csv.DictReader(
            io.StringIO(
                b"".join(
                    client.get(
                        f"/api/changes.csv?from=2017-09-01&to=2017-09-05&as_published={moment}"
                    ).streaming_content
                ).decode()
            )
        )
    )
    ids = {int(r["change_id"]) for r in rows}
    assert log["corrected"].pk in ids and log["late"].pk not in ids and log["contested"].pk not in ids
    now_ids = {
        int(r["change_id"])
        for r in csv.DictReader(
            io.StringIO(
                b"".join(client.get("/api/changes.csv?from=2017-09-01&to=2017-09-05").streaming_content).decode()
            )
        )
    }
    assert log["late"].pk in now_ids
    changes = _layer(client, f"/api/changes.geojson?from=2017-09-01&to=2017-09-05&as_published={moment}")
    assert {f["properties"]["town"] for f in changes["features"]} >= {"Uqayribat"}
    assert len(changes["features"]) == len(rows)
    for layer in ("provinces.geojson", "control-areas.geojson"):
        then = _layer(client, f"/api/{layer}?date=2017-09-02&as_published={_q(at(1, 23))}")
        now = _layer(client, f"/api/{layer}?date=2017-09-02")
        assert then != now, layer
    territory = f"/api/territory-change.json?from=2017-09-01&to=2017-09-02&as_published={moment}"
    assert client.get(territory).status_code == 200


def test_the_api_list_reads_the_moment_for_editors_too(log, client, editor_client):
    moment = _q(at(4, 13))
    for reader in (client, editor_client):
        listed = {c["id"] for c in _layer(reader, f"/api/control-changes/?limit=1000&as_published={moment}")["results"]}
        assert log["corrected"].pk in listed
        assert not listed & {log["late"].pk, log["contested"].pk, log["wrong"].pk}
    assert log["late"].pk in {c["id"] for c in _layer(client, "/api/control-changes/?limit=1000")["results"]}


def test_keys_and_etags_name_the_moment(log, client):
    now = client.get("/api/control.geojson?date=2017-09-02")
    then = client.get(f"/api/control.geojson?date=2017-09-02&as_published={_q(at(2, 16))}")
    assert now["ETag"] != then["ETag"] and now.content != then.content
    # The layer kept for one moment is not served for another, nor for "now".
    assert client.get("/api/control.geojson?date=2017-09-02", HTTP_IF_NONE_MATCH=then["ETag"]).status_code == 200
    again = client.get(
        f"/api/control.geojson?date=2017-09-02&as_published={_q(at(2, 16))}", HTTP_IF_NONE_MATCH=then["ETag"]
    )
    assert again.status_code == 304
    # A day means its end in the site's time zone: the same moment as that timestamp, the same layer.
    end_of_day = timezone.make_aware(dt.datetime(2017, 9, 2, 23, 59, 59, 999999))
    by_day = client.get("/api/control.geojson?date=2017-09-02&as_published=2017-09-02")
    by_moment = client.get(f"/api/control.geojson?date=2017-09-02&as_published={_q(end_of_day)}")
    assert by_day["ETag"] == by_moment["ETag"]


@pytest.mark.parametrize(
    "value",
    [
        "junk",
        "",
        "2017-13-01",
        "0001-01-01T00:00:00%2B01:00",
        "1899-12-31",
        "2999-01-01",
        "2999-01-01T00:00:00%2B00:00",
    ],
)
def test_bad_moments_are_refused_naming_the_parameter(log, client, value):
    for url in (f"/api/control.geojson?as_published={value}", f"/api/control-changes/?as_published={value}"):
        response = client.get(url)
        assert response.status_code == 400
        assert "as_published" in response.json()
    page = client.get(f"/?as_published={value}")
    assert page.status_code == 400 and "as_published" in page.content.decode()


def test_a_moment_just_past_is_accepted_and_today_is_what_is_published_so_far(log, client):
    assert client.get(f"/api/control.geojson?as_published={timezone.localdate()}").status_code == 200
    recent = timezone.now() - dt.timedelta(seconds=5)
    assert client.get(f"/api/control.geojson?as_published={_q(recent)}").status_code == 200


def test_the_map_says_so_and_links_the_current_view(log, client):
    html = client.get("/?date=2017-09-02&as_published=2017-09-02").content.decode()
    assert "As published on" in html and "later corrections excluded" in html
    assert 'href="/?date=2017-09-02">See it as known now' in html
    assert 'name="as_published" value="2017-09-02"' in html  # the date form keeps the moment
    assert "as_published=2017-09-02T" in html  # the layers, dates and panel are asked for as published
    assert "As published on" not in client.get("/?date=2017-09-02").content.decode()


def test_what_changed_compares_what_we_said_then_with_what_we_say_now(log, client):
    html = client.get(f"/changes/?date=2017-09-02&as_published={_q(at(2, 20))}").content.decode()
    assert "As published on" in html
    section = _section(html)
    assert "Uqayribat" in section
    # Then: the contested entry; now: the evening entry published on the 5th (after the correction).
    assert "contested by" in section and "entered later, published on 5 September 2017" in section
    corrected_view = client.get(f"/changes/?date=2017-09-02&as_published={_q(at(4, 13))}").content.decode()
    assert "entered later" in corrected_view
    # On 3 September, Uqayribat's record is the same then and now; Raqqa's retracted entry stood then.
    same = _section(client.get(f"/changes/?date=2017-09-03&as_published={_q(at(3, 11))}").content.decode())
    assert "Uqayribat" not in same and "Raqqa" in same and "retracted on 4 September 2017" in same
    assert "No difference" in _section(client.get("/changes/?date=2017-08-01&as_published=2017-09-03").content.decode())


def _section(html: str) -> str:
    section = html[html.index('id="then-and-now"') :]
    return section[: section.index("</section>")]


def test_what_changed_names_a_correction(seeded, client):
    town, is_ = Town.objects.get(slug="uqayribat"), Faction.objects.get(slug="islamic-state")
    ControlChange.objects.update(reviewed_at=at(1, 0), public_from=at(1, 0))
    contested = ControlChange.objects.get(town=town, effective_date=D(2017, 9, 2))
    _published(
        ControlChangeFactory(town=town, faction=is_, effective_date=D(2017, 9, 2), supersedes=contested), at(4, 12)
    )
    html = client.get(f"/changes/?date=2017-09-02&as_published={_q(at(2, 20))}").content.decode()
    assert "corrected on 4 September 2017" in html


def test_a_worker_keeps_the_slices_of_a_few_moments_only(log):
    from events.selectors import nearby

    selectors.control_as_of(on=D(2017, 9, 2))
    for hour in range(10):
        with selectors.as_known_at(at(2, hour)):
            selectors.control_as_of(on=D(2017, 9, 2))
    kept = [k[2].known_at for k in nearby._kept if k[2].known_at is not None]
    assert kept == [at(2, 8), at(2, 9)][-nearby.KEEP_MOMENTS :]
    assert any(k[2].known_at is None for k in nearby._kept)  # "now" is never pushed out by them


def test_the_seed_shows_what_the_map_said_on_the_evening_of_2_september(seeded, client):
    # seeds/changes.csv records when each change was published: the only source on Uqayribat is the
    # report of Sunday 3 September, so on the evening of the 2nd the map had no record of the town yet
    # (nor of the SDF's taking Raqqa's Old City on the 1st: IS held Raqqa, as published at the start of 2017).
    evening = "2017-09-02T20:00:00%2B03:00"
    assert _town_faction(client, None) == ("islamic-state", "contested")
    assert _town_faction(client, None, town="Raqqa") == ("sdf", "contested")
    query = f"/api/control.geojson?date=2017-09-02&as_published={evening}"
    then = {f["properties"]["name"]: f["properties"] for f in _layer(client, query)["features"]}
    assert then["Uqayribat"]["faction"] is None
    assert (then["Raqqa"]["faction"], then["Raqqa"]["status"]) == ("islamic-state", "controlled")
    page = client.get(f"/?date=2017-09-02&as_published={evening}").content.decode()
    assert "As published on" in page and ">2 September 2017, 17:00 (UTC)</time>" in page
    section = _section(client.get(f"/changes/?date=2017-09-02&as_published={evening}").content.decode())
    assert "Uqayribat" in section and "entered later, published on 3 September 2017" in section


def test_town_and_area_pages_say_so_and_show_the_history_known_then(log, client):
    moment = _q(at(2, 20))
    html = client.get(f"/towns/uqayribat/?as_published={moment}").content.decode()
    assert "As published on" in html and 'href="/towns/uqayribat/">See it as known now' in html
    panel = json.loads(client.get(f"/towns/{log['town'].pk}/panel.json?as_published={moment}").content)
    # Known then: the night's and the contested entries of 2 September, not the evening one published on the 5th.
    assert [(c["date"], c["status"]) for c in panel["history"] if c["date"] >= "2017-09-01"] == [
        ("2017-09-01", "controlled"),
        ("2017-09-02", "contested"),
    ]
    assert "As published on" in client.get(f"/areas/hama/?as_published={moment}").content.decode()
    assert "As published on" not in client.get("/towns/uqayribat/").content.decode()
