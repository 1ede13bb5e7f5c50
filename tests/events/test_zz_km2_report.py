import datetime as dt
from events import territory

def test_report(seeded):
    frame = territory.control_areas_as_of(on=dt.date(2017, 9, 3))
    print()
    for r in frame.itertuples():
        print(f"KM2 {r.faction:20s} {r.area_km2:12,.0f} towns={r.towns}")
    print(f"KM2 unknown {territory.unknown_km2(on=dt.date(2017, 9, 3)):,.0f}")
