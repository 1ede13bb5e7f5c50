"""``python -m bench --theatres 2``: a second theatre on a copy of the country, and theatre 1's figures held to
the one-theatre database's (bench/second_theatre.py, bench/theatre_routes.py)."""

import datetime as dt
import re
from pathlib import Path

import pytest
import shapely

from bench import floors, second_theatre, theatre_routes
from bench.figures import bench_release
from bench.route_figures import SPECS, Params, RouteFigure
from bench.routes import reader_routes
from events import selectors
from events.models import ControlChange, Faction
from geodata.models import AdminArea, Theatre, Town
from tests.bench_process import run_bench

ROOT = Path(__file__).resolve().parent.parent
ON = dt.date(2021, 6, 1)

pytestmark = pytest.mark.xdist_group("bench")


def test_a_figure_has_moved_only_beyond_both_the_ratio_and_the_difference():
    assert not theatre_routes.moved(0.002, 0.004)  # twice a 2 ms route: jitter, under 20 ms
    assert not theatre_routes.moved(5.0, 5.5)  # half a second on a 5 s export: 1.1x
    assert theatre_routes.moved(0.100, 0.130)  # 1.3x and 30 ms
    assert not theatre_routes.moved(0.100, 0.124)
    assert theatre_routes.moved(0.100, None) and theatre_routes.moved(None, 0.1)  # a failed route has moved


def test_the_comparison_fails_a_moved_route_and_takes_the_better_of_two_runs(capsys):
    one = [RouteFigure(key="home", url="/", cold=0.10, warm=0.05), RouteFigure(key="api:x", url="/x", cold=1.0)]
    again = [RouteFigure(key="home", url="/", cold=0.30, warm=0.05), RouteFigure(key="api:x", url="/x", cold=1.0)]
    two = [RouteFigure(key="home", url="/", cold=0.40, warm=0.05), RouteFigure(key="api:x", url="/x", cold=1.1)]
    best = theatre_routes.best_of(again, one)
    assert best[0].cold == pytest.approx(0.10)
    assert best[1].warm is None  # missing in both runs: not timed, so it fails
    met, total = theatre_routes.print_comparison(best, theatre_routes.best_of(two, two), slug="syria")
    lines = capsys.readouterr().out.splitlines()
    assert (met, total) == (0, 2)
    assert re.search(r"^home .*4\.00 .*NO \(moved: cold\)", lines[1]), lines[1]
    assert re.search(r"^api:x .*1\.10 .*NO \(moved: warm\)", lines[2]), lines[2]


@pytest.fixture
def ruritania(seeded):
    return second_theatre.second_theatre_build(towns=20, changes=200)


def test_the_second_theatre_has_two_levels_of_areas_far_from_the_first_a_shared_and_a_new_faction(seeded, ruritania):
    syria = Theatre.objects.get(slug="syria")
    before = (AdminArea.objects.filter(theatre=syria).count(), Town.objects.filter(theatre=syria).count())
    theatre = Theatre.objects.get(slug=second_theatre.SLUG)
    areas = AdminArea.objects.filter(theatre=theatre)
    assert sorted(set(areas.values_list("level", flat=True))) == [1, 2]
    assert areas.filter(level=2, parent__theatre=theatre).count() == areas.filter(level=2).count() == 8
    outline = shapely.union_all([shapely.geometry.shape(a.geometry) for a in areas.filter(level=1)])
    syria_outline = shapely.union_all(
        [shapely.geometry.shape(a.geometry) for a in AdminArea.objects.filter(theatre=syria, level=1)]
    )
    assert outline.distance(syria_outline) > 20  # degrees: another part of the world
    towns = Town.objects.filter(theatre=theatre)
    assert towns.count() == 20 and not towns.filter(admin_area__isnull=True).exists()
    assert not towns.exclude(admin_area__theatre=theatre).exists()
    changes = ControlChange.objects.filter(town__theatre=theatre)
    assert changes.count() == 200
    assert set(changes.values_list("faction__slug", flat=True)) == {"islamic-state", "ruritania-front"}
    assert Faction.objects.filter(slug="islamic-state").count() == 1  # the same row as Syria's
    assert (AdminArea.objects.filter(theatre=syria).count(), Town.objects.filter(theatre=syria).count()) == before


def test_floors_scoped_to_a_theatre_read_its_rows_as_the_project_does(seeded, ruritania):
    theatre = Theatre.objects.get(slug=second_theatre.SLUG)
    project = selectors.control_as_of(on=ON, theatre=theatre)
    with floors.theatre_scope(theatre.pk):
        rows = floors.time_slice(ON, floors.fastest_variant())
        changes = floors.changes_between(dt.date(2011, 1, 1), ON)
        areas = floors.api_page("area")
    assert [r[0] for r in rows] == [t.id for t in project.towns]
    assert {r[9] for r in rows if r[9]} == {c.id for c in project.changes.values()}
    assert {r[6] for r in changes} <= {t.id for t in project.towns}
    assert len(areas) == 12  # four governorates, eight districts
    assert len(floors.time_slice(ON, floors.fastest_variant())) == Town.objects.count()  # outside: every theatre


def test_routes_asked_for_a_theatre_name_it_and_use_its_objects(seeded, ruritania, tmp_path, settings):
    theatre = Theatre.objects.get(slug=second_theatre.SLUG)
    settings.RELEASES_DIR = tmp_path / "releases"
    bench_release(ON, theatre)  # as bench.theatre_routes makes one: the release routes serve it
    params = Params.pick(ON, theatre)
    assert params.release is not None and params.release.theatre == theatre
    assert params.town.theatre == theatre and params.area.theatre == theatre
    assert params.draft.town.theatre == theatre and params.change.town.theatre == theatre
    for key in (r.key for r in reader_routes()):
        assert params.url(SPECS[key]).endswith(f"theatre={second_theatre.SLUG}"), key
    assert params.url(SPECS["api:theatre-detail"]).startswith(f"/api/theatres/{second_theatre.SLUG}/")


def test_a_quick_two_theatre_run_prints_both_tables_and_counts_their_verdicts(tmp_path):
    done = run_bench("--quick", "--cache-dir", str(tmp_path), "--only", "time_slice", "--theatres", "2", "--explain",
                     timeout=1200)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    out = done.stdout.splitlines()
    keys = [r.key for r in reader_routes()]
    first = out.index(next(line for line in out if line.startswith("route (?theatre=syria)")))
    for key, line in zip(keys, out[first + 1 : first + 1 + len(keys)], strict=True):
        assert re.match(rf"{re.escape(key)}\s.*<= 1\.25x or \+20 ms\s+(yes|NO)", line), line
    second = [line for line in out if re.search(r"[?&]theatre=ruritania[;)]", line)]
    assert len(second) == len(keys)
    # The slice asked for a theatre starts from the theatre's towns, by index, on both theatres.
    plans = "\n".join(out[out.index(next(line for line in out if line.startswith("-- the slice asked for"))) :])
    assert plans.count("SEARCH t USING INDEX town_theatre_name_idx (theatre_id=?)") == 2, plans
    met, total = map(int, re.fullmatch(r"targets met: (\d+)/(\d+)", out[-1]).groups())
    assert total == 1 + 2 * len(keys)  # the time slice, theatre 1's routes, theatre 2's routes
    assert met == sum(bool(re.search(r"\syes(\s|$)", line)) for line in out)
