"""What a peer's schemathesis run found (issue 19): 500s on typed input, and a schema that did not say
what the server does. Each is held here by name; tests/api/test_schema_fuzz.py looks for more."""

import pytest
import yaml

from events.models import ControlChange


@pytest.mark.parametrize(
    "url, parameter, value",
    [
        ("/api/towns/?governorate=%25", "governorate", "%"),
        ("/api/control-changes/?faction=%25", "faction", "%"),
        ("/api/control-changes/?governorate=100%25", "governorate", "100%"),
        ("/api/control-changes/?from=%25d", "from", "%d"),
        ("/api/control-changes/?to=50%25s", "to", "50%s"),
    ],
)
def test_a_percent_sign_in_a_filter_is_a_400_naming_it(api, seeded, url, parameter, value):
    response = api.get(url)
    assert response.status_code == 400
    [message] = response.json()[parameter]
    assert f"'{value}'" in message


@pytest.mark.parametrize("term", ["³", "٣", "²¹"])
def test_a_digit_int_cannot_read_finds_towns_by_name_instead_of_failing(api, seeded, term):
    # '³'.isdigit() is true, int('³') fails: the search read it as a GeoNames id.
    response = api.get("/api/towns/", {"q": term})
    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_a_geonames_id_still_finds_its_town(api, seeded):
    from geodata.models import Town

    town = Town.objects.exclude(geonames_id=None).first()
    response = api.get("/api/towns/", {"q": str(town.geonames_id)})
    assert [t["slug"] for t in response.json()["results"]][:1] == [town.slug]


def test_a_town_written_as_a_superscript_digit_is_a_400_not_a_500(api, seeded, editor):
    api.force_authenticate(editor)
    response = api.post(
        "/api/control-changes/",
        {
            "town": "³",
            "faction": "sdf",
            "status": "controlled",
            "effective_date": "2017-09-04",
        },
        format="json",
    )
    assert response.status_code == 400
    assert "town" in response.json()
    assert not ControlChange.objects.filter(state="draft").exists()


@pytest.mark.parametrize(
    "url, parameter",
    [
        ("/api/changes.csv?to=", "to"),
        ("/api/changes.geojson?from=", "from"),
        ("/api/control.geojson?date=", "date"),
        ("/api/control-changes/?to=", "to"),
        ("/api/control-changes/?from=&faction=sdf", "from"),
    ],
)
def test_an_empty_date_is_refused_naming_it(client, seeded, url, parameter):
    response = client.get(url)
    assert response.status_code == 400
    assert response.json() == {
        parameter: [f"'{parameter}' is empty; give a date in YYYY-MM-DD form, or leave '{parameter}' out."]
    }


@pytest.mark.parametrize("query, parameter", [("limit=", "limit"), ("offset=", "offset"), ("limit=0", "limit")])
def test_an_empty_or_zero_page_size_is_refused_naming_it(api, seeded, query, parameter):
    response = api.get(f"/api/towns/?{query}")
    assert response.status_code == 400
    assert list(response.json()) == [parameter]


@pytest.mark.parametrize("parameter", ["status", "confidence", "state"])
def test_an_empty_choice_is_refused_naming_it(api, seeded, parameter):
    response = api.get(f"/api/control-changes/?{parameter}=")
    assert response.status_code == 400
    [message] = response.json()[parameter]
    assert message.startswith("Empty; give one of ")


def test_a_search_term_over_the_documented_length_is_refused(api, seeded):
    assert api.get("/api/towns/", {"q": "a" * 200}).status_code == 200
    assert list(api.get("/api/towns/", {"q": "a" * 201}).json()) == ["q"]


@pytest.mark.parametrize("value", ["null", "yes", "TRUE", ""])
def test_download_takes_true_false_1_or_0_only(client, seeded, value):
    response = client.get("/api/changes.csv", {"download": value})
    assert response.status_code == 400
    assert list(response.json()) == ["download"]


@pytest.mark.parametrize("value, attachment", [("true", True), ("1", True), ("false", False), ("0", False)])
def test_download_values_the_schema_names_are_served(client, seeded, value, attachment):
    response = client.get("/api/changes.csv", {"download": value})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment") == attachment


def test_the_future_date_error_names_the_latest_record_not_today(client, seeded):
    """Issue 20.11: it said "the latest day with a record is today (2026-12-05)"."""
    response = client.get("/api/control.geojson?date=2030-01-01")
    assert response.status_code == 400
    assert response.json() == {"date": ["'2030-01-01' is in the future; the latest day with a record is 2017-09-03."]}


def test_the_future_date_error_on_an_empty_log_says_nothing_is_recorded(client, db):
    response = client.get("/api/control.geojson?date=2030-01-01")
    assert response.json() == {"date": ["'2030-01-01' is in the future; nothing is recorded yet."]}


@pytest.fixture
def schema(client, db) -> dict:
    response = client.get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_the_schema_says_parents_and_areas_may_be_null(schema):
    components = schema["components"]["schemas"]
    for name, field in [
        ("Faction", "parent"),
        ("AdminArea", "parent"),
        ("AdminAreaDetail", "parent"),
        ("AdminAreaDetail", "geometry"),
        ("Town", "admin_area"),
    ]:
        assert components[name]["properties"][field].get("nullable") is True, (name, field)


def test_the_schema_documents_each_error_with_the_error_body(schema):
    paths = schema["paths"]
    expected = {
        ("/api/towns/", "get"): {"400", "401"},
        ("/api/towns/{slug}/", "get"): {"400", "401", "404"},
        ("/api/control-changes/", "post"): {"400", "401", "403", "429"},
        ("/api/control-changes/{id}/publish/", "post"): {"400", "401", "403", "404", "429"},
        ("/api/control.geojson", "get"): {"400"},
        ("/api/territory-change.json", "get"): {"400"},
    }
    for (path, method), codes in expected.items():
        responses = paths[path][method]["responses"]
        assert codes <= set(responses), (path, method, set(responses))
        for code in codes:
            assert responses[code]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    # Reads are not throttled, and exports take no credentials: neither is promised.
    assert "429" not in paths["/api/towns/"]["get"]["responses"]
    assert "401" not in paths["/api/control.geojson"]["get"]["responses"]
    error = schema["components"]["schemas"]["Error"]
    assert error["properties"] == {"detail": {"type": "string"}}
    assert error["additionalProperties"] == {"type": "array", "items": {"type": "string"}}


def test_the_schema_states_the_rules_the_server_enforces(schema):
    parameters = {p["name"]: p for p in schema["paths"]["/api/towns/"]["get"]["parameters"]}
    assert parameters["limit"]["schema"]["minimum"] == 1
    assert parameters["offset"]["schema"]["minimum"] == 0
    assert parameters["q"]["schema"]["maxLength"] == 200
    territory = {p["name"]: p for p in schema["paths"]["/api/territory-change.json"]["get"]["parameters"]}
    assert territory["from"]["required"] and territory["to"]["required"]
    dated = {p["name"]: p for p in schema["paths"]["/api/control.geojson"]["get"]["parameters"]}
    assert "not in the future" in dated["date"]["description"]
    assert dated["download"]["schema"]["enum"] == ["0", "1", "false", "true"]


@pytest.mark.django_db
def test_a_blank_control_areas_layer_is_refused_as_the_schema_says(client, seeded):
    # The schema lists the layers (an enum without ""); a blank one was served as "assessed" (schemathesis).
    answer = client.get("/api/control-areas.geojson?layer=")
    assert answer.status_code == 400 and list(answer.json()) == ["layer"]
