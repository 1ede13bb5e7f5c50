"""Each rule through the admin's forms and actions, as editors and reviewers use them."""

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from events import services
from events.models import ControlChange, Faction, Source
from geodata.models import AdminArea, Town
from tests.events.roles import client_as, user_in
from tests.factories import SourceFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seeded")]  # the editor/reviewer clients act on it

ADD = "/admin/events/controlchange/add/"
LIST = "/admin/events/controlchange/"
TOMORROW = dt.date.today() + dt.timedelta(days=2)


def change_form(**overrides) -> dict:
    data = {
        "town": Town.objects.get(slug="raqqa").pk, "faction": Faction.objects.get(slug="sdf").pk,
        "status": "controlled", "contested_by": "", "effective_date": "2017-10-20", "date_precision": "day",
        "day_part": "0", "confidence": "reported", "note": "", "supersedes": "", "sources": [],
    }
    data.update(overrides)
    return data


def form_errors(response) -> str:
    assert response.status_code == 200, response.status_code
    form = response.context["adminform"].form
    return str(form.errors)


def test_editor_adds_a_draft_through_the_admin(editor_client):
    source = Source.objects.first()
    response = editor_client.post(ADD, change_form(sources=[source.pk], note="Old City taken"))
    assert response.status_code == 302, form_errors(response)
    change = ControlChange.objects.get(note="Old City taken")
    assert (change.state, change.entered_by.username, list(change.sources.all())) == ("draft", "editor-user",
                                                                                      [source])
    record = change.history.order_by("history_id").first()
    assert record.history_user.username == "editor-user"


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"effective_date": TOMORROW.isoformat()}, "effective_date", "in the future"),
    ({"effective_date": "1899-12-31"}, "effective_date", "before 1900"),
    ({"status": "contested"}, "contested_by", "must name the contesting faction"),
    ({"town": "999999"}, "town", "Select a valid choice"),
    ({"faction": "999999"}, "faction", "Select a valid choice"),
    ({"effective_date": "2017-09-02", "town": "uqayribat"}, "__all__", "enter this one as superseding it"),
])
def test_admin_form_enforces_the_rules(editor_client, overrides, field, message):
    if overrides.get("town") == "uqayribat":
        overrides["town"] = Town.objects.get(slug="uqayribat").pk
    before = ControlChange.objects.count()
    response = editor_client.post(ADD, change_form(**overrides))
    errors = response.context["adminform"].form.errors
    assert message in " ".join(errors[field]), errors
    assert ControlChange.objects.count() == before


def test_superseding_change_is_accepted_for_the_same_date(editor_client):
    existing = ControlChange.objects.get(town__slug="uqayribat", effective_date=dt.date(2017, 9, 2))
    response = editor_client.post(ADD, change_form(town=existing.town_id, effective_date="2017-09-02",
                                                   supersedes=existing.pk))
    assert response.status_code == 302, form_errors(response)
    assert ControlChange.objects.filter(supersedes=existing, state="draft").exists()


def test_anonymous_users_cannot_write(seeded):
    before = ControlChange.objects.count()
    response = Client().post(ADD, change_form())
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert ControlChange.objects.count() == before


def test_csrf_is_enforced(seeded):
    client = client_as(user_in("editor"), enforce_csrf_checks=True)
    before = ControlChange.objects.count()
    assert client.post(ADD, change_form()).status_code == 403
    assert ControlChange.objects.count() == before
    page = client.get(ADD)
    token = page.cookies["csrftoken"].value
    assert client.post(ADD, {**change_form(), "csrfmiddlewaretoken": token}).status_code == 302


def _draft(client, **overrides) -> ControlChange:
    response = client.post(ADD, change_form(**overrides))
    assert response.status_code == 302, form_errors(response)
    return ControlChange.objects.latest("id")


def test_editor_cannot_publish(editor_client):
    change = _draft(editor_client, sources=[Source.objects.first().pk])
    page = editor_client.get(LIST)
    assert "publish_selected" not in page.content.decode()
    editor_client.post(LIST, {"action": "publish_selected", "_selected_action": [change.pk]})
    change.refresh_from_db()
    assert change.state == "draft"


def test_reviewer_publishes_from_the_review_queue_and_a_source_is_required(editor_client, reviewer_client):
    sourced = _draft(editor_client, sources=[Source.objects.first().pk])
    unsourced = _draft(editor_client, effective_date="2017-10-21")
    queue = reviewer_client.get("/admin/events/controlchangeforreview/")
    assert queue.status_code == 200 and queue.context["cl"].result_count == 2
    response = reviewer_client.post("/admin/events/controlchangeforreview/",
                                    {"action": "publish_selected", "_selected_action": [sourced.pk, unsourced.pk],
                                     "apply": "1"},  # past the warning: the seed's sources predate the draft
                                    follow=True)
    texts = [str(m) for m in get_messages(response.wsgi_request)] + [
        str(m) for m in response.context["messages"]]
    assert any("at least one source" in t for t in texts), texts
    sourced.refresh_from_db()
    unsourced.refresh_from_db()
    assert (sourced.state, unsourced.state) == ("published", "draft")


def test_reviewer_rejects_with_a_reason(editor_client, reviewer_client):
    change = _draft(editor_client)
    ask = reviewer_client.post(LIST, {"action": "reject_selected", "_selected_action": [change.pk]})
    assert ask.status_code == 200 and "Reason" in ask.content.decode()
    reviewer_client.post(LIST, {"action": "reject_selected", "_selected_action": [change.pk], "apply": "1",
                                "reason": "Single unverified claim."})
    change.refresh_from_db()
    assert (change.state, change.review_reason) == ("rejected", "Single unverified claim.")


def test_a_reason_holding_a_nul_is_refused_in_words(editor_client, reviewer_client):
    """A NUL in the reason was a 500 on PostgreSQL (the reason was saved unchecked)."""
    change = _draft(editor_client)
    response = reviewer_client.post(LIST, {"action": "reject_selected", "_selected_action": [change.pk], "apply": "1",
                                           "reason": "Single\x00 unverified claim."}, follow=True)
    assert response.status_code == 200
    texts = [str(m) for m in response.context["messages"]]
    assert any("Null characters are not allowed" in t for t in texts), texts
    change.refresh_from_db()
    assert change.state == "draft"


def test_published_change_cannot_be_edited_or_deleted_only_retracted(reviewer_client):
    admin_client = client_as(user_in("admin", "boss"))
    change = ControlChange.objects.get(town__slug="uqayribat", effective_date=dt.date(2017, 9, 3))
    url = f"/admin/events/controlchange/{change.pk}/"
    assert admin_client.get(url + "delete/").status_code == 403
    assert admin_client.post(url + "delete/", {"post": "yes"}).status_code == 403
    view = admin_client.get(url + "change/").content.decode()
    assert f"supersedes={change.pk}" in view  # the way to correct it
    admin_client.post(url + "change/", change_form(town=change.town_id, note="rewritten"))
    change.refresh_from_db()
    assert change.note != "rewritten"
    reviewer_client.post(LIST, {"action": "retract_selected", "_selected_action": [change.pk], "apply": "1",
                                "reason": "Misdated."})
    change.refresh_from_db()
    assert (change.state, change.retraction_reason) == ("retracted", "Misdated.")
    history = admin_client.get(url + "history/")
    assert history.status_code == 200 and "retracted" in history.content.decode()


def test_history_cannot_be_reverted_through_the_admin(reviewer_client):
    admin_client = client_as(user_in("admin", "boss"))
    change = ControlChange.objects.first()
    record = change.history.first()
    url = f"/admin/events/controlchange/{change.pk}/history/{record.history_id}/"
    assert admin_client.get(url).status_code == 200
    assert admin_client.post(url, change_form()).status_code == 403


def test_search_finds_aliases_and_filters_work(editor_client):
    page = editor_client.get(LIST, {"q": "Daesh"})
    towns = {c.town.slug for c in page.context["cl"].result_list}
    assert "uqayribat" in towns and "raqqa" in towns
    page = editor_client.get(LIST, {"q": "Oqeirbat"})
    assert {c.town.slug for c in page.context["cl"].result_list} == {"uqayribat"}
    page = editor_client.get("/admin/geodata/town/", {"q": "عقيربات"})
    assert [t.slug for t in page.context["cl"].result_list] == ["uqayribat"]
    page = editor_client.get(LIST, {"q": "Daesh", "effective_date__year": "2014"})
    assert {c.effective_date.year for c in page.context["cl"].result_list} == {2014}
    governorate = AdminArea.objects.get(code="SY05")
    page = editor_client.get(LIST, {"governorate": governorate.pk, "state__exact": "published"})
    assert page.status_code == 200 and page.context["cl"].result_count > 0
    assert all(c.town.admin_area.parent_id == governorate.pk for c in page.context["cl"].result_list)
    assert editor_client.get(LIST, {"governorate": "x"}).context["cl"].result_count == 0
    body = page.content.decode()
    assert "view on the map at" in body and "town=uqayribat" in body and 'class="swatch"' in body


def test_town_page_shows_history_audit_and_map(editor_client):
    town = Town.objects.get(slug="uqayribat")
    page = editor_client.get(f"/admin/geodata/town/{town.pk}/change/")
    body = page.content.decode()
    assert page.status_code == 200
    body = body.lower()
    assert "control history" in body and "2017-09-02" in body
    assert "audit trail of its control changes" in body
    assert "vendor/leaflet/leaflet.js" in body and 'id="town-map"' in body and "unpkg" not in body


def test_town_audit_trail_lists_who_did_what_and_escapes_the_reason(editor_client):
    town = Town.objects.get(slug="uqayribat")
    draft = services.control_change_create(town=town, faction=Faction.objects.get(slug="sdf"),
                                           effective_date=dt.date(2017, 9, 30), entered_by=user_in("editor", "e2"))
    services.control_change_reject(change=draft, by=user_in("reviewer", "r2"), reason="<b>no source</b>")
    body = editor_client.get(f"/admin/geodata/town/{town.pk}/change/").content.decode()
    table = body[body.index('<table class="audit-table">'):]
    table = table[:table.index("</table>")]
    assert "<th>who</th>" in table and "r2" in table and "e2" in table and f"#{draft.pk} SDF 2017-09-30" in table
    assert "rejected: &lt;b&gt;no source&lt;/b&gt;" in table and "<b>no source" not in table


def _town_form(**overrides):
    data = {"name": "Newtown", "slug": "newtown", "alt_names": "[]", "latitude": "35.0", "longitude": "37.0",
            "population": "", "geonames_id": "", "external_ids": "{}",
            "control_changes-TOTAL_FORMS": "0", "control_changes-INITIAL_FORMS": "0"}
    data.update(overrides)
    return data


def test_town_outside_the_loaded_boundaries_needs_the_flag(editor_client):
    AdminArea.objects.filter(code="SY05").update(geometry={
        "type": "Polygon", "coordinates": [[[36, 34], [39, 34], [39, 36], [36, 36], [36, 34]]]})
    far = _town_form(latitude="10.0", longitude="10.0")
    response = editor_client.post("/admin/geodata/town/add/", far)
    assert response.status_code == 200 and not Town.objects.filter(slug="newtown").exists()
    assert response.context["adminform"].form.errors
    response = editor_client.post("/admin/geodata/town/add/", {**far, "outside_boundaries": "on"})
    assert response.status_code == 302
    inside = editor_client.post("/admin/geodata/town/add/", _town_form(slug="inside", name="Inside"))
    assert inside.status_code == 302
    assert Town.objects.get(slug="inside").admin_area.parent.code == "SY05"


def test_town_coordinates_must_be_valid(editor_client):
    response = editor_client.post("/admin/geodata/town/add/", _town_form(latitude="95"))
    assert "latitude" in response.context["adminform"].form.errors


def test_close_faction_colours_warn_but_save(reviewer_client):
    response = reviewer_client.post("/admin/events/faction/add/", {
        "name": "Almost IS", "short_name": "AIS", "slug": "ais", "aliases": "[]", "colour": "#282828",
        "parent": "", "description": ""}, follow=True)
    assert Faction.objects.filter(slug="ais").exists()
    warnings = [str(m) for m in response.context["messages"] if m.level_tag == "warning"]
    assert any("hard to tell from IS" in w for w in warnings), warnings


def test_admin_csv_import_preview_then_confirm(editor_client):
    text = ("town,faction,date,source_title,source_publisher\n"
            "Raqqa,SDF,2017-10-20,Raqqa taken,Example Wire\n")
    before = ControlChange.objects.count()
    preview = editor_client.post("/admin/events/controlchange/import/",
                                 {"file": SimpleUploadedFile("c.csv", text.encode())}, follow=True)
    body = preview.content.decode()
    assert preview.status_code == 200 and "Raqqa from 2017-10-20" in body
    assert ControlChange.objects.count() == before
    token = preview.context["token"]
    done = editor_client.post("/admin/events/controlchange/import/", {"token": token})
    assert done.status_code == 302
    assert ControlChange.objects.count() == before + 1
    assert editor_client.post("/admin/events/controlchange/import/", {"token": token}).status_code == 302
    assert ControlChange.objects.count() == before + 1  # a token is used once


def test_admin_csv_import_reports_bad_rows_and_writes_nothing(editor_client):
    text = ("town,faction,date,status\n"
            "Atlantis,SDF,2017-10-20,controlled\n"
            f"Raqqa,SDF,{TOMORROW.isoformat()},controlled\n"
            "Raqqa,SDF,2017-10-21,contested\n")
    before = ControlChange.objects.count()
    response = editor_client.post("/admin/events/controlchange/import/",
                                  {"file": SimpleUploadedFile("c.csv", text.encode())}, follow=True)
    errors = [(line, column) for line, column, _ in response.context["report"]["errors"]]
    assert errors == [(2, "town"), (3, "date"), (4, "contested_by")]
    assert "token" not in response.context and ControlChange.objects.count() == before


def test_editor_cannot_import_as_published(editor_client):
    text = "town,faction,date,source_title,source_publisher\nRaqqa,SDF,2017-10-20,T,P\n"
    response = editor_client.post("/admin/events/controlchange/import/",
                                  {"file": SimpleUploadedFile("c.csv", text.encode()), "publish": "on"})
    assert response.status_code == 403


def test_names_are_escaped_in_the_admin(editor_client):
    SourceFactory()
    town = Town.objects.get(slug="raqqa")
    Town.objects.filter(pk=town.pk).update(name="<script>alert(1)</script>")
    body = editor_client.get(LIST).content.decode()
    assert "<script>alert(1)</script>" not in body and "&lt;script&gt;" in body


def test_every_admin_page_renders_for_the_admin_group(seeded):
    client = client_as(user_in("admin", "boss"))
    change = ControlChange.objects.first()
    pages = ["/admin/", LIST, ADD, f"{LIST}{change.pk}/change/", f"{LIST}{change.pk}/history/",
             "/admin/events/controlchangeforreview/", "/admin/events/faction/", "/admin/events/faction/add/",
             "/admin/events/source/", "/admin/events/source/add/", "/admin/geodata/town/",
             "/admin/geodata/town/add/", "/admin/geodata/adminarea/", "/admin/events/controlchange/import/",
             f"{LIST}?effective_date__year=2017&effective_date__month=9"]
    for url in pages:
        assert client.get(url).status_code == 200, url


def test_drafts_never_reach_the_public_map(editor_client):
    _draft(editor_client, town=Town.objects.get(slug="palmyra").pk, effective_date="2017-09-03",
           note="draft only")
    # The map page draws its towns from the control GeoJSON and its side panel from panel.json.
    public = Client()
    features = public.get("/api/control.geojson?date=2017-09-03").json()["features"]
    palmyra = next(f["properties"] for f in features if f["properties"]["name"] == "Palmyra")
    assert palmyra["faction"] == "pro-government"
    town = Town.objects.get(slug="palmyra")
    panel = public.get(f"/towns/{town.pk}/panel.json").json()
    assert all(h["note"] != "draft only" for h in panel["history"])
    assert "draft only" not in public.get("/towns/palmyra/").content.decode()


def test_editing_a_draft_in_the_admin_keeps_the_previous_values(editor_client):
    change = _draft(editor_client, note="first version")
    is_ = Faction.objects.get(slug="islamic-state")
    response = editor_client.post(f"{LIST}{change.pk}/change/",
                                  change_form(faction=is_.pk, note="second version"))
    assert response.status_code == 302, form_errors(response)
    records = list(change.history.order_by("history_id"))
    assert (records[0].faction.slug, records[0].note) == ("sdf", "first version")
    assert (records[-1].faction.slug, records[-1].note, records[-1].history_user.username) == (
        "islamic-state", "second version", "editor-user")
    history_page = editor_client.get(f"{LIST}{change.pk}/history/").content.decode()
    assert "first version" in history_page and "second version" in history_page


def test_editor_cannot_manage_factions(editor_client):
    assert editor_client.get("/admin/events/faction/add/").status_code == 403
