"""The timelapse: ``manage.py timelapse`` and /timelapse.gif|.mp4 draw the seed's map over a range."""

import io

import imageio.v2 as imageio
import pytest
from django.core.management import CommandError, call_command
from django.test import Client, override_settings
from PIL import Image

from events import timelapse

UQAYRIBAT_DAYS = "from=2017-08-31&to=2017-09-03&theatre=syria"


def frame_count(content: bytes) -> int:
    with Image.open(io.BytesIO(content)) as image:
        return image.n_frames


def mp4_frames(path) -> int:
    reader = imageio.get_reader(str(path), format="FFMPEG")
    try:
        return reader.count_frames()
    finally:
        reader.close()


def test_the_gif_has_the_start_then_uqayribats_three_days(seeded):
    response = Client().get(f"/timelapse.gif?{UQAYRIBAT_DAYS}")
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "image/gif"
    assert frame_count(response.content) == 4
    with Image.open(io.BytesIO(response.content)) as image:
        assert image.size[0] == timelapse.DEFAULT_WIDTH


def test_a_day_a_frame(seeded):
    response = Client().get(f"/timelapse.gif?{UQAYRIBAT_DAYS.replace('08-31', '08-25')}&step=days")
    assert response.status_code == 200, response.content[:300]
    assert frame_count(response.content) == 10  # 25 August to 3 September


def test_the_mp4_opens_with_one_frame_a_date(seeded, tmp_path):
    response = Client().get(f"/timelapse.mp4?{UQAYRIBAT_DAYS}")
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "video/mp4"
    path = tmp_path / "t.mp4"
    path.write_bytes(response.content)
    assert mp4_frames(path) == 4


def test_the_command_writes_the_same_frames(seeded, tmp_path):
    out = tmp_path / "uqayribat.gif"
    call_command(
        "timelapse",
        "--theatre",
        "syria",
        "--from",
        "2017-08-31",
        "--to",
        "2017-09-03",
        "--out",
        str(out),
        stderr=io.StringIO(),
    )
    assert frame_count(out.read_bytes()) == 4


def test_the_file_is_kept_per_revision(seeded, django_assert_max_num_queries):
    client = Client()
    first = client.get(f"/timelapse.gif?{UQAYRIBAT_DAYS}")
    again = client.get(f"/timelapse.gif?{UQAYRIBAT_DAYS}", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    with django_assert_max_num_queries(3):  # the revision, the theatre, the dates (cached): no slice
        assert client.get(f"/timelapse.gif?{UQAYRIBAT_DAYS}").content == first.content


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("theatre=syria&from=2017-09-03&to=2017-08-31", "from"),  # an empty range
        ("theatre=syria&from=2017-09-03&to=2017-09-03", "from"),
        ("theatre=syria&from=2017-09-04&to=2017-09-20", "to"),  # no change date in it
        ("theatre=syria&from=2017-08-31&to=2999-01-01", "to"),  # the future
        ("theatre=syria&from=2017-08-31", "to"),
        ("theatre=syria&from=31/08/2017&to=2017-09-03", "from"),
        ("theatre=syria&from=2017-08-31&to=2017-09-03&step=weeks", "step"),
        ("theatre=syria&from=2017-08-31&to=2017-09-03&width=99999", "width"),
        ("theatre=syria&from=2017-08-31&to=2017-09-03&width=wide", "width"),
        ("theatre=syria&from=2017-08-31&to=2017-09-03&width=" + "9" * 5000, "width"),
        ("theatre=syria&from=2017-08-31&to=2017-09-03&width=%C2%B3", "width"),  # a superscript digit
        ("theatre=syria&around=2017-09-02&from=2017-08-31", "around"),
        ("theatre=syria&from=2017-08-31&to=2017-09-03&theatre=", "theatre"),
        ("theatre=atlantis&from=2017-08-31&to=2017-09-03", "theatre"),
        ("theatre=syria&from=2017-01-01&to=2017-09-03&step=days", "frames"),  # past the frame bound
    ],
)
def test_bad_input_is_a_400_naming_it(seeded, query, named):
    response = Client().get(f"/timelapse.gif?{query}")
    assert response.status_code == 400, response.content[:300]
    assert response.content.decode().startswith(f"{named}:")


def test_the_frame_bound_names_its_setting(seeded):
    with override_settings(TIMELAPSE_MAX_FRAMES=3):
        response = Client().get(f"/timelapse.gif?{UQAYRIBAT_DAYS}")
    assert response.status_code == 400
    assert "4 frames" in response.content.decode() and "limit of 3 (TIMELAPSE_MAX_FRAMES)" in response.content.decode()


def test_an_unknown_format_is_a_400(seeded):
    response = Client().get(f"/timelapse.webm?{UQAYRIBAT_DAYS}")
    assert response.status_code == 400
    assert "'webm' is not a timelapse format" in response.content.decode()


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["--from", "2017-08-31", "--to", "2017-09-03", "--out", "x.webm"], "--out"),
        (["--from", "2017-09-04", "--to", "2017-09-20", "--out", "x.gif"], "--to"),
        (["--from", "2017-01-01", "--to", "2017-09-03", "--step", "days", "--out", "x.gif"], "--from/--to"),
    ],
)
def test_the_command_refuses_bad_input(seeded, tmp_path, argv, named):
    argv = [a if not a.startswith("x.") else str(tmp_path / a) for a in argv]
    with pytest.raises(CommandError, match=f"^{named}: "):
        call_command("timelapse", *argv, stderr=io.StringIO())
    assert not list(tmp_path.iterdir())  # no empty file left


def test_around_a_date_is_the_change_dates_either_side(seeded):
    response = Client().get("/timelapse.gif?theatre=syria&around=2017-09-02")
    assert response.status_code == 200, response.content[:300]
    assert frame_count(response.content) >= 3


def test_the_map_menu_offers_a_timelapse_of_the_theatre_shown(seeded):
    from geodata.models import Theatre

    page = Client().get("/?date=2017-09-02").content.decode()
    assert 'href="/timelapse.gif?around=2017-09-02&amp;download=1" download' in page  # one theatre: named by none
    Theatre.objects.create(slug="zenda", name="Ruritania")
    # With several theatres, / is the default theatre's map (the oldest: Syria) and animates it; a theatre's
    # map has its own.
    assert "/timelapse.gif?theatre=syria&amp;around=2017-09-02" in Client().get("/?date=2017-09-02").content.decode()
    assert "/timelapse.gif?theatre=zenda&amp;around=" in Client().get("/?theatre=zenda").content.decode()
    # Left out with several theatres, the URL's timelapse is the default theatre's (as /); the command asks which.
    response = Client().get("/timelapse.gif?from=2017-08-31&to=2017-09-03")
    assert response.status_code == 200 and frame_count(response.content) == 4
    with pytest.raises(CommandError, match="^--theatre: "):
        call_command("timelapse", "--from", "2017-08-31", "--to", "2017-09-03", "--out", "/tmp/x.gif",
                     stderr=io.StringIO())
    # Nothing but a theatre: its latest change dates.
    assert frame_count(Client().get("/timelapse.gif?theatre=syria").content) >= 3


def test_an_empty_installation_has_no_timelapse_to_draw(db):
    response = Client().get("/timelapse.gif?from=2017-08-31&to=2017-09-03")
    assert response.status_code == 400
    assert response.content.decode().startswith("to: No change of control is recorded in ")


def test_each_frame_colours_uqayribat_as_held_that_day(seeded):
    """Taken, contested, taken again: the town's dot is its holder's colour, ringed in the contesting side's
    colour while contested, as on the live map."""
    from events.models import Faction
    from geodata.models import Town

    p = timelapse.TimelapseParameters.parse({"theatre": "syria", "from": "2017-08-31", "to": "2017-09-03"}, fmt="gif")
    dates = timelapse.frame_dates(p)
    canvas = timelapse.timelapse_canvas(p)
    town = Town.objects.get(slug="uqayribat")
    column, row = canvas.pixel_at(town.longitude, town.latitude)
    centres, around = [], []
    for on in dates:
        data = timelapse.frame_data(on=on, theatre=p.theatre)
        pixels = canvas.draw(data)
        centres.append(hex_colour(pixels[row, column]))
        around.append({hex_colour(pixels[row, column + dx]) for dx in range(2, 7)})
        assert data.heading.endswith(f"{on.day} {on:%B} {on.year}")
    islamic_state, government = (
        Faction.objects.get(slug=s).colour.lower() for s in ("islamic-state", "pro-government")
    )
    assert centres == [islamic_state, government, islamic_state, government]
    assert government in around[2] and government not in around[0]  # the ring of the contest on 2 September
    legend = [e.name for e in timelapse.frame_data(on=dates[2], theatre=p.theatre).legend]
    assert legend[-2:] == [timelapse.CONTESTED_AREA, timelapse.CONTESTED_TOWN]


def hex_colour(pixel) -> str:
    return "#{:02x}{:02x}{:02x}".format(*pixel)
