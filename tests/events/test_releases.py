"""Citable releases: ``manage.py release``, the admin's button, /releases/ and ?release=N on the layers.

A release is the record as published at its moment: its files, the layers served ?release=N, and the
files made again later for the same moment are the same bytes, whatever is written after it.
"""

import datetime as dt
import gzip
import hashlib
import json

import pytest
import yaml
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from events import services
from events.job_models import Job
from events.models import ControlChange, Faction
from events.release_models import Release
from events.services.releases import FILES, release_create, release_path
from geodata.models import Theatre, Town
from tests.factories import SYSTEM, ControlChangeFactory
from tests.theatres.test_theatres import files  # noqa: F401  (Zenda's files, a fixture)

pytestmark = pytest.mark.django_db

ON = "2017-09-03"
LAYER_URLS = {  # a release's file → the API layer that serves the same bytes ?release=N
    "control.geojson": f"/api/control.geojson?theatre=syria&date={ON}",
    "provinces.geojson": f"/api/provinces.geojson?theatre=syria&date={ON}",
    "control-areas.geojson": f"/api/control-areas.geojson?theatre=syria&date={ON}",
    "changes.csv.gz": f"/api/changes.csv?theatre=syria&from=1900-01-01&to={ON}",
}


@pytest.fixture(autouse=True)
def releases_dir(settings, tmp_path):
    settings.RELEASES_DIR = tmp_path / "releases"
    return settings.RELEASES_DIR


def _body(response) -> bytes:
    assert response.status_code == 200, response.content
    return b"".join(response.streaming_content) if response.streaming else response.content


def _stored(release: Release, name: str) -> bytes:
    data = (release_path(release) / name).read_bytes()
    return gzip.decompress(data) if name.endswith(".gz") else data


def _later_writes() -> None:
    """What a release must not see: a change published after it, and a retraction of one it holds."""
    uqayribat = Town.objects.get(slug="uqayribat")
    ControlChangeFactory(
        town=uqayribat,
        faction=Faction.objects.get(slug="sdf"),
        effective_date=dt.date(2017, 9, 2),
        day_part=ControlChange.DayPart.EVENING,
    )
    held = ControlChange.objects.filter(town__slug="raqqa", state=ControlChange.State.PUBLISHED).latest(
        "effective_date"
    )
    services.control_change_retract(change=held, by=SYSTEM, reason="misread")


def test_release_command_writes_its_files_with_checksums_and_citation(seeded, progress_bars):
    call_command("release", theatre="syria", date=ON)
    release = Release.objects.get(theatre__slug="syria")
    assert (release.number, release.date) == (1, dt.date(2017, 9, 3))
    folder = release_path(release)
    assert sorted(p.name for p in folder.iterdir()) == sorted(FILES)
    for name in FILES:
        data = (folder / name).read_bytes()
        assert release.checksums[name] == hashlib.sha256(data).hexdigest()
        assert release.sizes[name] == len(data)
    metadata = json.loads((folder / "metadata.json").read_bytes())
    assert metadata["release"] == 1 and metadata["date"] == ON
    assert {name: f["sha256"] for name, f in metadata["files"].items()} == {
        name: release.checksums[name] for name in FILES if name != "metadata.json"
    }
    csv_text = _stored(release, "changes.csv.gz").decode()
    assert metadata["counts"]["changes"] == len(csv_text.splitlines()) - 1 > 0
    assert metadata["counts"]["control"] == Town.objects.filter(theatre__slug="syria").count()
    assert hashlib.sha256(csv_text.encode()).hexdigest() == metadata["changes_csv_sha256"]
    assert "release 1 (2017-09-03)" in metadata["citation"]
    cff = yaml.safe_load((folder / "CITATION.cff").read_text())
    assert cff["cff-version"] == "1.2.0"
    assert {"message", "title", "authors", "version", "date-released"} <= set(cff)
    assert cff["version"] == "1" and cff["date-released"] == ON and cff["authors"][0]["name"]
    assert progress_bars and progress_bars[0].closed and "changes" in progress_bars[0].stages
    call_command("release", theatre="syria", date=ON)  # the next one is number 2; the first is untouched
    assert list(Release.objects.values_list("number", flat=True).order_by("number")) == [1, 2]
    assert hashlib.sha256((folder / "control.geojson").read_bytes()).hexdigest() == release.checksums["control.geojson"]


def test_a_release_is_reproduced_byte_for_byte_after_later_writes(seeded, client):
    release = release_create(theatre=Theatre.objects.get(slug="syria"), on=dt.date(2017, 9, 3))
    before = {name: _body(client.get(f"{url}&release=1")) for name, url in LAYER_URLS.items()}
    assert before == {name: _stored(release, name) for name in LAYER_URLS}
    assert before == {name: _body(client.get(f"{url}&release=1")) for name, url in LAYER_URLS.items()}
    now_before = _body(client.get(LAYER_URLS["control.geojson"]))
    _later_writes()
    assert _body(client.get(LAYER_URLS["control.geojson"])) != now_before  # the writes show as known now
    after = {name: _body(client.get(f"{url}&release=1")) for name, url in LAYER_URLS.items()}
    assert after == before
    # Made again later for the same moment: the very same data files (the gzip included).
    again = release_create(theatre=release.theatre, on=release.date, moment=release.moment)
    for name in ("changes.csv.gz", "control.geojson", "provinces.geojson", "control-areas.geojson"):
        assert again.checksums[name] == release.checksums[name], name


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("theatre=syria&release=7", "syria has no release 7"),
        ("theatre=syria&release=99999999999999999999999", "syria has no release 99999999999999999999999"),
        ("release=1", "needs 'theatre'"),
        ("theatre=syria&release=abc", "'abc' is not a release number"),
        ("theatre=syria&release=0", "'0' is not a release number"),
        ("theatre=syria&release=1&as_published=2017-09-03", "not both"),
        ("theatre=nowhere&release=1", "nowhere"),
    ],
)
def test_a_bad_release_is_refused_naming_it(seeded, client, query, words):
    release_create(theatre=Theatre.objects.get(slug="syria"), on=dt.date(2017, 9, 3))
    response = client.get(f"/api/control.geojson?{query}")
    assert response.status_code == 400
    assert words in response.json()["release" if "nowhere" not in query else next(iter(response.json()))][0]
    page = client.get(f"/?{query}")
    assert page.status_code == 400 and words.replace("'", "&#x27;") in page.content.decode()


def test_the_command_refuses_an_unknown_theatre_and_a_future_date(seeded):
    with pytest.raises(CommandError, match="nowhere"):
        call_command("release", theatre="nowhere")
    with pytest.raises(CommandError, match="future|after"):
        call_command("release", theatre="syria", date="2999-01-01")
    with pytest.raises(CommandError, match="--date"):
        call_command("release", theatre="syria", date="3 Sept")
    assert not Release.objects.exists()


def test_releases_page_lists_the_files_escaped_and_serves_them_checked(seeded, client):
    theatre = Theatre.objects.get(slug="syria")
    theatre.name = "Syria <script>alert(1)</script>"
    theatre.save()
    release = release_create(theatre=theatre, on=dt.date(2017, 9, 3))
    page = client.get("/releases/")
    text = page.content.decode()
    assert page.status_code == 200 and "<script>alert(1)" not in text and "&lt;script&gt;" in text
    for name in FILES:
        assert f'href="/releases/syria/1/{name}"' in text
    assert client.get("/releases/?theatre=syria&page=zzz").status_code == 200
    assert client.get("/releases/?theatre=nowhere").status_code == 404
    assert client.get("/releases/syria/1/").status_code == 200

    served = client.get("/releases/syria/1/control.geojson")
    assert _body(served) == _stored(release, "control.geojson")
    assert served["ETag"] == f'"{release.checksums["control.geojson"]}"'
    assert "immutable" in served["Cache-Control"]
    assert client.get("/releases/syria/1/control.geojson", HTTP_IF_NONE_MATCH=served["ETag"]).status_code == 304
    assert client.get("/releases/syria/1/passwd").status_code == 404
    assert client.get("/releases/syria/9/control.geojson").status_code == 404
    assert client.get("/releases/nowhere/1/control.geojson").status_code == 404

    damaged = release_path(release) / "control.geojson"
    damaged.chmod(0o644)
    damaged.write_bytes(damaged.read_bytes().replace(b"Uqayribat", b"Uqayribaz"))
    refused = client.get("/releases/syria/1/control.geojson")
    assert refused.status_code == 503 and b"checksum" in refused.content


def test_the_admin_button_makes_a_release_as_a_job(seeded):
    admin = get_user_model().objects.create_superuser("boss", "boss@example.org", "pw-not-secret-1")
    client = Client()
    client.force_login(admin)
    listing = client.get(reverse("admin:events_release_changelist"))
    assert listing.status_code == 200 and reverse("admin:events_release_make").encode() in listing.content
    refused = client.post(reverse("admin:events_release_make"), {"theatre": "syria", "date": "2999-01-01"})
    assert refused.status_code == 400 and not Job.objects.exists()
    response = client.post(reverse("admin:events_release_make"), {"theatre": "syria", "date": ON})
    job = Job.objects.get(kind="release")
    assert response.status_code == 302 and response["Location"].endswith(f"/jobs/{job.pk}/")
    assert job.state == Job.State.DONE, job.message  # JOBS_SYNC: run inside the request
    assert Release.objects.get().date == dt.date(2017, 9, 3)
    done = client.get(response["Location"])
    assert done.status_code == 200 and b"/releases/syria/1/" in done.content


def test_the_button_is_for_those_who_may_make_releases(seeded, editor_client):
    assert editor_client.post(reverse("admin:events_release_make"), {"theatre": "syria"}).status_code in (302, 403)
    assert not Job.objects.filter(kind="release").exists()


def test_the_changes_are_written_a_batch_at_a_time(seeded, monkeypatch):
    from events import export_rows

    monkeypatch.setattr(export_rows, "EXPORT_BATCH_ROWS", 7)
    seen: list[tuple[str, int, int]] = []
    release = release_create(
        theatre=Theatre.objects.get(slug="syria"),
        on=dt.date(2017, 9, 3),
        progress=lambda stage, done, total: seen.append((stage, done, total)),
    )
    counted = [done for stage, done, _ in seen if stage == "changes"]
    assert len(counted) > 3 and counted == sorted(counted) and counted[-1] == release.counts["changes"]
    assert {total for stage, _, total in seen if stage == "changes"} == {release.counts["changes"]}


def test_a_number_taken_meanwhile_is_refused_and_leaves_no_files(seeded, monkeypatch, releases_dir):
    from events.services import releases

    theatre = Theatre.objects.get(slug="syria")
    release_create(theatre=theatre, on=dt.date(2017, 9, 3))
    monkeypatch.setattr(releases, "release_next_number", lambda *, theatre: 1)  # as if another took it meanwhile
    (releases_dir / "syria" / "1").rename(releases_dir / "syria" / "kept")  # so the row, not the folder, refuses
    with pytest.raises(releases.ReleaseError, match="made meanwhile"):
        release_create(theatre=theatre, on=dt.date(2017, 9, 3))
    assert sorted(p.name for p in (releases_dir / "syria").iterdir()) == ["kept"]
    assert Release.objects.count() == 1


def test_the_map_read_as_of_a_release_says_so_and_keeps_its_moment(seeded, client):
    release = release_create(theatre=Theatre.objects.get(slug="syria"), on=dt.date(2017, 9, 3))
    page = client.get(f"/?theatre=syria&date={ON}&release=1")
    text = page.content.decode()
    assert page.status_code == 200 and 'id="as-published"' in text
    assert f'name="as_published" value="{release.moment.isoformat()}"' in text


def test_drawn_areas_published_or_retracted_later_leave_a_release_as_it_was(db, files, tmp_path):  # noqa: F811
    """A drawing published after release 1 is not in it; one retracted after release 2 is still in it."""
    from events.drawn_models import DrawnArea
    from events.services.drawn_areas import drawn_area_retract
    from tests.factories import FactionFactory
    from tests.theatres.test_drawn_areas import BY, DRAWN1, SOURCE, deepstate, import_daily
    from tests.theatres.test_theatres import build_zenda

    FactionFactory(slug="islamic-state", name="Islamic State", short_name="IS", aliases=["Daesh"], colour="#222222")
    zenda = build_zenda(files)
    daily = tmp_path / "daily"
    daily.mkdir()
    deepstate(daily / "deepstatemap_data_20210501.geojson", DRAWN1)
    url = "/api/control-areas.geojson?theatre=zenda&date=2021-05-09"
    first = release_create(theatre=zenda, on=dt.date(2021, 5, 9))  # the town rule alone
    import_daily(daily, *SOURCE, "--commit", "--publish")
    second = release_create(theatre=zenda, on=dt.date(2021, 5, 9))  # with the drawing
    for area in DrawnArea.objects.all():
        drawn_area_retract(area=area, by=BY, reason="wrong faction")
    client = Client()
    assert _body(client.get(f"{url}&release=1")) == _stored(first, "control-areas.geojson")
    assert _body(client.get(f"{url}&release=2")) == _stored(second, "control-areas.geojson")
    assert _stored(first, "control-areas.geojson") != _stored(second, "control-areas.geojson")
