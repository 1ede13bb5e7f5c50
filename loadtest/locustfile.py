"""Readers on the map and the GeoJSON exports, editors posting draft control changes with API tokens.

Run by ``python -m loadtest`` (``make loadtest``), which passes the plan in LOADTEST_PLAN (a JSON
file: editor accounts, towns, factions, dates) and reads back the ids of every 201 from
LOADTEST_IDS. Each user stops after LOADTEST_MAX_ITERATIONS rounds, so the run is bounded in count
as well as in time and users.
"""

import datetime as dt
import json
import os
import random

from locust import HttpUser, between, events, task
from locust.exception import StopUser

PLAN = json.loads(open(os.environ["LOADTEST_PLAN"]).read())  # noqa: SIM115 - read once at import
MAX_ITERATIONS = int(os.environ.get("LOADTEST_MAX_ITERATIONS", "500"))
# A reader looks at a date for READER_WAIT seconds ("min-max") before moving the time control.
READER_WAIT = [float(s) for s in os.environ.get("READER_WAIT", "1-3").split("-")]
stored_ids: list[int] = []


class Bounded(HttpUser):
    abstract = True

    def on_start(self):
        self.rounds = 0

    def next_round(self):
        self.rounds += 1
        if self.rounds > MAX_ITERATIONS:
            raise StopUser()


class Reader(Bounded):
    """Opens the map on one of the seed's dates, as the page's own requests would."""

    fixed_count = PLAN["readers"]
    wait_time = between(*READER_WAIT)

    @task
    def view_a_date(self):
        self.next_round()
        day = random.choice(PLAN["dates"])
        self.client.get(random.choice(["/", f"/?date={day}"]), name="map page /")
        for layer in ("control", "provinces", "control-areas"):
            self.client.get(f"/api/{layer}.geojson?date={day}", name=f"GeoJSON {layer}")


class Editor(Bounded):
    """Signs in for a token, then enters draft changes; each on a date no other post uses."""

    fixed_count = PLAN["editors"]
    wait_time = between(1, 2)
    _next_index = 0

    def on_start(self):
        super().on_start()
        self.index = Editor._next_index
        Editor._next_index += 1
        account = PLAN["accounts"][self.index]
        response = self.client.post("/api/auth/token/", json=account, name="POST /api/auth/token/")
        if response.status_code != 200:
            raise StopUser()
        self.client.headers["Authorization"] = f"Token {response.json()['token']}"
        self.posts = 0

    @task
    def enter_a_change(self):
        self.next_round()
        slot = self.posts * PLAN["editors"] + self.index
        self.posts += 1
        day = dt.date.fromisoformat(PLAN["first_date"]) + dt.timedelta(days=slot)
        body = {
            "town": PLAN["towns"][slot % len(PLAN["towns"])], "faction": random.choice(PLAN["factions"]),
            "effective_date": day.isoformat(), "confidence": "reported", "note": "Load test draft.",
        }
        with self.client.post("/api/control-changes/", json=body, name="POST /api/control-changes/",
                              catch_response=True) as response:
            if response.status_code == 201:
                stored_ids.append(response.json()["id"])
            else:
                response.failure(f"{response.status_code}: {response.text[:200]}")


@events.quitting.add_listener
def _write_ids(environment, **kwargs):
    with open(os.environ["LOADTEST_IDS"], "w") as out:
        json.dump(stored_ids, out)
