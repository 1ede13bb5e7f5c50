"""The REST API: public published reads, editor-only writes through events.services, JSON errors."""

import datetime as dt
import json

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from rest_framework.test import APIClient

from events.api.tokens import token_issue
from events.models import ControlChange, Faction, Source
from geodata.models import Town

pytestmark = pytest.mark.django_db


def new_change(**overrides) -> dict:
    return {
        "town": "uqayribat", "faction": "sdf", "effective_date": "2017-09-10", "confidence": "claimed",
        "sources": [Source.objects.first().pk], "note": "Entered through the API.", **overrides,
    }


def test_reads_are_public(api, seeded):
    for url, count in [
        ("/api/factions/", 7), ("/api/areas/", 75), ("/api/towns/", 42),
        ("/api/sources/", Source.objects.filter(control_changes__state="published").distinct().count()),
    ]:
        response = api.get(url)
        assert response.status_code == 200, url
        assert response.json()["count"] == count, url
    town = api.get("/api/towns/uqayribat/").json()
    assert (town["longitude"], town["latitude"]) == (37.4628, 35.0422) and town["admin_area"] == "as-salamiyeh"
    assert town["governorate"] == "hama"
    assert api.get("/api/areas/hama/").json()["code"] == "SY05"
    assert api.get("/api/factions/tfsa/").json()["parent"] == "opposition"


def test_control_changes_filters(api, seeded):
    def slugs(query):
        response = api.get(f"/api/control-changes/?{query}")
        assert response.status_code == 200, response.json()
        return [(c["town"], c["effective_date"]) for c in response.json()["results"]]

    assert slugs("town=uqayribat") == [
        ("uqayribat", "2014-01-01"), ("uqayribat", "2017-09-01"), ("uqayribat", "2017-09-02"),
        ("uqayribat", "2017-09-03"),
    ]
    assert slugs("town=uqayribat&from=2017-09-02&to=2017-09-02") == [("uqayribat", "2017-09-02")]
    assert {t for t, _ in slugs("governorate=SY05")} == {"uqayribat", "hama", "salamiyah", "al-lataminah", "kafr-zita"}
    assert slugs("governorate=hama") == slugs("governorate=SY05")
    towns = {t["slug"] for t in api.get("/api/towns/?governorate=hama&limit=1000").json()["results"]}
    assert towns == {t for t, _ in slugs("governorate=SY05")}
    assert slugs("faction=sdf&status=contested") == [("raqqa", "2017-09-01")]
    assert slugs("confidence=claimed") == [("kabajib", "2017-09-03")]
    page = api.get("/api/control-changes/?limit=5&offset=5").json()
    assert page["count"] == ControlChange.objects.filter(state="published").count() and len(page["results"]) == 5
    assert api.get("/api/towns/?limit=5000&offset=0").json()["results"] == api.get("/api/towns/?limit=1000").json()[
        "results"
    ]


def test_a_bad_limit_or_offset_is_named_with_its_value(api, seeded):
    response = api.get("/api/control-changes/?limit=abc")
    assert response.status_code == 400 and response.json() == {"limit": ["'abc' is not a whole number of 1 or more."]}
    response = api.get("/api/control-changes/?offset=-5")
    assert response.status_code == 400 and response.json() == {"offset": ["'-5' is not a whole number of 0 or more."]}


def test_control_changes_faction_filter_reads_names_and_coalitions_as_the_exports_do(api, seeded):
    salamiyah = Town.objects.get(slug="salamiyah")
    militia = ControlChange.objects.create(
        town=salamiyah, faction=Faction.objects.get(slug="ndf"), effective_date=dt.date(2017, 9, 4),
        state="published",
    )

    def listed(faction):
        response = api.get(f"/api/control-changes/?limit=1000&faction={faction}")
        assert response.status_code == 200, response.json()
        return {c["id"] for c in response.json()["results"]}

    islamic_state = listed("islamic-state")
    assert islamic_state and listed("isis") == listed("IS") == listed("Daesh") == islamic_state
    coalition = listed("pro-government")
    assert militia.pk in coalition and listed("ndf") == {militia.pk}
    assert coalition == set(
        ControlChange.objects.filter(state="published", faction__slug__in=["pro-government", "ndf", "russia"])
        .values_list("pk", flat=True)
    )
    # The same towns as the control export's coalition filter on that day.
    in_control = {
        f["properties"]["town_id"]
        for f in api.get("/api/control.geojson?date=2017-09-04&faction=pro-government").json()["features"]
    }
    assert salamiyah.pk in in_control
    assert in_control <= set(ControlChange.objects.filter(pk__in=coalition).values_list("town_id", flat=True))
    response = api.get("/api/control-changes/?faction=Martians")
    assert response.status_code == 400 and response.json() == {"faction": ["No faction is called 'Martians'."]}


def test_an_ambiguous_faction_name_is_refused_by_the_filter_and_the_exports_alike(api, seeded):
    Faction.objects.filter(slug="sdf").update(aliases=["QSD", "rebels"])  # also an alias of the opposition
    expected = {"faction": ["'rebels' names several factions (opposition, sdf); use the slug or id."]}
    for url in ["/api/control-changes/", "/api/control.geojson", "/api/changes.geojson", "/api/changes.csv"]:
        response = api.get(f"{url}?faction=rebels")
        assert response.status_code == 400, url
        assert response.json() == expected, url
    assert api.get("/api/control-changes/?faction=opposition").status_code == 200  # a slug stays exact


def test_anonymous_users_never_see_hidden_changes(api, hidden_changes):
    listed = api.get("/api/control-changes/?town=uqayribat").json()["results"]
    assert {c["state"] for c in listed} == {"published"} and len(listed) == 4
    for change in hidden_changes:
        assert api.get(f"/api/control-changes/{change.pk}/").status_code == 404


def test_sources_cited_only_by_unpublished_changes_are_not_public(api, hidden_changes, editor):
    quiet = Source.objects.create(publisher="Tip", title="Unconfirmed rumour")
    hidden_changes[0].sources.add(quiet)
    assert quiet.pk not in [s["id"] for s in api.get("/api/sources/?limit=1000").json()["results"]]
    assert api.get(f"/api/sources/{quiet.pk}/").status_code == 404
    api.force_login(editor)  # a session, as from the admin
    assert api.get(f"/api/sources/{quiet.pk}/").status_code == 200


def test_editors_see_drafts_and_can_filter_by_state(api, hidden_changes, editor):
    api.force_authenticate(editor)
    listed = api.get("/api/control-changes/?town=uqayribat&state=draft").json()["results"]
    assert [c["id"] for c in listed] == [hidden_changes[0].pk]


@pytest.mark.parametrize("who", ["anonymous", "plain user"])
def test_writes_are_refused_to_non_editors(api, seeded, who):
    if who == "plain user":
        api.force_authenticate(User.objects.create_user("reader"))
    response = api.post("/api/control-changes/", new_change(), format="json")
    assert response.status_code in (401, 403) and "detail" in response.json()
    assert not ControlChange.objects.filter(effective_date=dt.date(2017, 9, 10)).exists()


def test_an_editor_with_a_token_adds_a_draft_through_the_service(api, seeded, editor):
    _, token = token_issue(user=editor)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = api.post("/api/control-changes/", new_change(), format="json")
    assert response.status_code == 201, response.json()
    change = ControlChange.objects.get(pk=response.json()["id"])
    assert change.state == "draft" and change.entered_by == editor and change.sources.count() == 1
    assert response.json()["town_name"] == "Uqayribat"
    api.credentials()
    assert api.get(f"/api/control-changes/{change.pk}/").status_code == 404  # drafts are not public


@pytest.mark.parametrize(("town", "faction", "contested_by"), [
    ("uqayribat", "islamic-state", "pro-government"),  # slugs, as before
    ("Uqayribat", "Daesh", "Syrian government"),  # a name and an alias, as the CSV import reads them
    ("عقيربات", "isis", "pro-government"),  # an alternate name in Arabic, an alias in another case
    ("by id", "by id", "by id"),
])
def test_a_town_and_faction_are_read_by_name_alias_slug_or_id_as_the_import_reads_them(
        api, seeded, editor, town, faction, contested_by):
    uqayribat = Town.objects.get(slug="uqayribat")
    islamic_state, government = Faction.objects.get(slug="islamic-state"), Faction.objects.get(slug="pro-government")
    if town == "by id":
        town, faction, contested_by = uqayribat.pk, islamic_state.pk, str(government.pk)
    api.force_authenticate(editor)
    response = api.post("/api/control-changes/", new_change(
        town=town, faction=faction, status="contested", contested_by=contested_by), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["town"], body["faction"], body["contested_by"]) == ("uqayribat", "islamic-state", "pro-government")
    change = ControlChange.objects.get(pk=body["id"])
    assert (change.town, change.faction, change.contested_by) == (uqayribat, islamic_state, government)


def test_a_name_several_factions_share_is_refused_with_the_imports_message(api, seeded, editor):
    Faction.objects.filter(slug="sdf").update(aliases=["QSD", "rebels"])  # also an alias of the opposition
    api.force_authenticate(editor)
    response = api.post("/api/control-changes/", new_change(faction="rebels"), format="json")
    assert response.status_code == 400
    assert response.json() == {"faction": ["'rebels' names several factions (opposition, sdf); use the slug or id."]}
    response = api.post("/api/control-changes/", new_change(town="Atlantis", faction=True), format="json")
    assert response.status_code == 400 and response.json()["town"] == ["No town is called 'Atlantis'."]
    assert "faction" in response.json()
    assert not ControlChange.objects.filter(note="Entered through the API.").exists()


def test_the_api_stores_a_month_as_its_first_day_and_answers_with_its_label(api, seeded, editor):
    api.force_authenticate(editor)
    response = api.post("/api/control-changes/", new_change(effective_date="2017-08-20", date_precision="month"),
                        format="json")
    assert response.status_code == 201, response.json()
    assert (response.json()["effective_date"], response.json()["date_label"]) == ("2017-08-01", "August 2017")
    response = api.post("/api/control-changes/", new_change(
        effective_date="2017-07-20", date_precision="approximate", day_part=1), format="json")
    assert response.status_code == 400 and "part of day needs an exact day" in response.json()["day_part"][0]


def test_an_editor_session_needs_the_csrf_token(seeded, editor):
    api = APIClient(enforce_csrf_checks=True)
    api.force_login(editor)
    assert api.post("/api/control-changes/", new_change(), format="json").status_code == 403


def test_service_validation_errors_name_the_field(api, seeded, editor):
    api.force_authenticate(editor)
    future = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    response = api.post("/api/control-changes/", new_change(effective_date=future), format="json")
    assert response.status_code == 400 and "effective_date" in response.json()
    response = api.post("/api/control-changes/", new_change(status="contested"), format="json")
    assert response.status_code == 400 and "contested_by" in response.json()
    response = api.post("/api/control-changes/", new_change(effective_date="2017-09-03", day_part=1), format="json")
    # The same town, day and part of day as a seed change: the model's constraint, under DRF's own key.
    assert response.status_code == 400 and response.json() == {
        "non_field_errors": [
            "This town already has a change on this date and part of day; enter this one as superseding it."
        ]
    }
    response = api.post("/api/control-changes/", new_change(faction="martians"), format="json")
    assert response.status_code == 400 and "faction" in response.json()
    assert not ControlChange.objects.filter(note="Entered through the API.").exists()


@pytest.mark.parametrize(
    "url, parameter",
    [
        ("/api/control.geojson?date=2017-02-30", "date"),
        ("/api/control.geojson?date=yesterday", "date"),
        ("/api/control.geojson?date=20170903", "date"),
        ("/api/control.geojson?date=2017-9-3", "date"),
        ("/api/control-changes/?from=03/09/2017", "from"),
        ("/api/control.geojson?faction=martians", "faction"),
        ("/api/changes.geojson?from=2017-09-03&to=2017-09-01", "from"),
        ("/api/changes.geojson?to=3.9.2017", "to"),
        ("/api/changes.csv?from=2017-9-1x", "from"),
        ("/api/changes.csv?faction=martians", "faction"),
        ("/api/control-changes/?from=2017-09-03&to=2017-09-01", "from"),
        ("/api/control-changes/?to=never", "to"),
        ("/api/control-changes/?faction=martians", "faction"),
        ("/api/control-changes/?town=atlantis", "town"),
        ("/api/control-changes/?governorate=SY99", "governorate"),
        ("/api/control-changes/?status=won", "status"),
        ("/api/control-changes/?confidence=sure", "confidence"),
        ("/api/towns/?governorate=narnia", "governorate"),
        ("/api/control-changes/?limit=abc", "limit"),
        ("/api/control-changes/?offset=-5", "offset"),
        ("/api/towns/?limit=0", "limit"),
        ("/api/sources/?limit=1.5", "limit"),
        ("/api/factions/?offset=ten", "offset"),
    ],
)
def test_bad_parameters_answer_400_naming_the_parameter(api, seeded, url, parameter):
    # A GIS client asks for GeoJSON; its error still comes as JSON.
    response = api.get(url, HTTP_ACCEPT="application/geo+json" if ".geojson" in url else "application/json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert list(response.json()) == [parameter]


def test_unknown_api_paths_answer_404_json(seeded):
    api = APIClient(enforce_csrf_checks=True)
    for url in ["/api/nothing", "/api/towns/atlantis/", "/api/control.shp", "/api/factions/x/y/z"]:
        response = api.get(url)
        assert response.status_code == 404, url
        assert response["Content-Type"] == "application/json" and "detail" in response.json()
    response = api.post("/api/nothing", {"a": 1})  # not the HTML CSRF page
    assert response.status_code == 404 and response["Content-Type"] == "application/json"


def test_errors_never_show_a_traceback(seeded, settings, monkeypatch):
    settings.DEBUG = True

    def broken(**kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr("events.exports.geojson.control_feature_collection", broken)
    api = APIClient(raise_request_exception=False)
    response = api.get("/api/control.geojson")
    assert response.status_code == 500 and response["Content-Type"] == "application/json"
    assert b"Traceback" not in response.content and b"on fire" not in response.content


def test_openapi_schema_generates_without_warnings(seeded, tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
    schema = (tmp_path / "schema.yml").read_text()
    for path in ["/api/control.geojson", "/api/changes.csv", "/api/control-changes/", "/api/towns/{slug}/"]:
        assert f"  {path}:" in schema


def test_docs_are_served_without_a_cdn(api, seeded):
    for url in ["/api/docs/", "/api/redoc/"]:
        page = api.get(url).content.decode()
        assert "https://" not in page and "http://" not in page, url
    # Swagger UI from the sidecar's static files; Redoc's bundle the sidecar's, served patched by this app.
    assert "/static/drf_spectacular_sidecar/" in api.get("/api/docs/").content.decode()
    assert '<script src="/api/redoc/redoc.standalone.js">' in api.get("/api/redoc/").content.decode()
    assert api.get("/api/schema/").status_code == 200


def test_redoc_may_load_images_and_fonts_from_this_host_only(api, seeded):
    # Redoc's bundle shows a logo from its maker's CDN; the page's policy keeps the browser from fetching it
    # (tests/web/test_redoc_browser.py watches the requests a real browser makes).
    page = api.get("/api/redoc/").content.decode()
    assert """content="img-src 'self' data:; font-src 'self' data:; connect-src 'self'\"""" in page


def test_an_editor_cannot_publish_but_a_reviewer_can(api, seeded, editor, reviewer):
    api.force_authenticate(editor)
    assert api.post("/api/control-changes/", new_change(state="published"), format="json").status_code == 403
    draft_id = api.post("/api/control-changes/", new_change(), format="json").json()["id"]
    assert api.post(f"/api/control-changes/{draft_id}/publish/").status_code == 403
    api.force_authenticate(reviewer)
    response = api.post(f"/api/control-changes/{draft_id}/publish/")
    assert response.status_code == 200
    answer = response.json()
    assert {key: answer[key] for key in ("id", "state")} == {"id": draft_id, "state": "published"}
    # new_change() cites the seed's report, dated before the change: published, with the warning said
    assert [warning for warning in answer["warnings"] if "before" in warning]
    api.force_authenticate(None)
    assert api.get(f"/api/control-changes/{draft_id}/").json()["state"] == "published"
    features = api.get("/api/control.geojson?date=2017-09-10").json()["features"]
    assert next(f for f in features if f["properties"]["name"] == "Uqayribat")["properties"]["faction"] == "sdf"


def test_a_reviewer_retracts_with_a_reason_and_the_change_leaves_the_exports(api, seeded, reviewer):
    api.force_authenticate(reviewer)
    change = ControlChange.objects.get(town__slug="uqayribat", effective_date=dt.date(2017, 9, 3))
    response = api.post(f"/api/control-changes/{change.pk}/retract/", {"reason": ""}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["reason"]
    response = api.post(f"/api/control-changes/{change.pk}/retract/", {"reason": "Misdated."}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "retracted"
    api.force_authenticate(None)
    assert api.get(f"/api/control-changes/{change.pk}/").status_code == 404
    features = api.get("/api/control.geojson?date=2017-09-03").json()["features"]
    assert next(f for f in features if f["properties"]["name"] == "Uqayribat")["properties"]["since"] == "2017-09-02"
    changes = json.loads(api.get("/api/changes.geojson?from=2017-09-03").getvalue())["features"]  # streamed
    dates = [f["properties"]["date"] for f in changes]
    assert dates == ["2017-09-03"]  # Kabajib's; Uqayribat's is gone


def test_editors_edit_and_delete_their_drafts_but_not_published_changes(api, seeded, editor, reviewer):
    api.force_authenticate(editor)
    draft_id = api.post("/api/control-changes/", new_change(), format="json").json()["id"]
    response = api.patch(f"/api/control-changes/{draft_id}/", {"confidence": "reported"}, format="json")
    assert response.status_code == 200 and response.json()["confidence"] == "reported"
    assert api.patch(f"/api/control-changes/{draft_id}/", {"state": "published"}, format="json").status_code == 400
    published = ControlChange.objects.filter(state="published").first()
    response = api.patch(f"/api/control-changes/{published.pk}/", {"note": "x"}, format="json")
    assert response.status_code == 400 and "Only drafts can be edited" in str(response.json())
    api.force_authenticate(reviewer)
    rejected = api.post(f"/api/control-changes/{draft_id}/reject/", {"reason": "No source says so."}, format="json")
    assert rejected.json()["state"] == "rejected"
    api.force_authenticate(editor)
    second = api.post("/api/control-changes/", new_change(effective_date="2017-09-11"), format="json").json()["id"]
    assert api.delete(f"/api/control-changes/{second}/").status_code == 204
    assert not ControlChange.objects.filter(pk=second).exists()
