"""The CSV import takes dates as the API does: YYYY-MM-DD only."""

import pytest

from events.imports import changes_import_check

pytestmark = pytest.mark.django_db

HEADER = "town,faction,date,source_title,source_publisher"


@pytest.mark.parametrize("raw", ["20170903", "2017-W35-7", "2017-246", "03/09/2017", "2017-09-31"])
def test_other_date_forms_are_refused(seeded, raw):
    plan = changes_import_check(text=f"{HEADER}\nRaqqa,SDF,{raw},Raqqa taken,Example Wire\n")
    assert [(e.line, e.column, e.reason) for e in plan.errors] == [
        (2, "date", f"'{raw}' is not a date in YYYY-MM-DD form.")]
    assert not plan.rows


def test_the_api_date_form_is_taken(seeded):
    plan = changes_import_check(text=f"{HEADER}\nRaqqa,SDF,2017-10-20,Raqqa taken,Example Wire\n")
    assert not plan.errors and plan.rows[0].new.change.effective_date.isoformat() == "2017-10-20"
