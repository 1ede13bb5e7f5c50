"""The sources each change cites, as the control layer and the changes exports list them."""

import datetime as dt

import pytest

from events import export_rows
from tests.factories import ControlChangeFactory, SourceFactory

pytestmark = pytest.mark.django_db


def test_sources_come_oldest_report_first_undated_last_and_by_change(db):
    late, early, undated, other = (SourceFactory(published=d) for d in (
        dt.date(2017, 9, 3), dt.date(2017, 9, 1), None, dt.date(2017, 9, 2)))
    cited = ControlChangeFactory(sources=[undated, late, early])
    elsewhere = ControlChangeFactory(sources=[other])
    draft = ControlChangeFactory(state="draft")  # cites nothing
    sources = export_rows.sources_by_change(change_ids=[elsewhere.pk, cited.pk, draft.pk])
    assert list(sources) == [elsewhere.pk, cited.pk, draft.pk]  # the order asked for
    assert [s["title"] for s in sources[cited.pk]] == [early.title, late.title, undated.title]
    assert sources[cited.pk][0] == {"title": early.title, "url": early.url, "publisher": early.publisher,
                                    "date": dt.date(2017, 9, 1)}
    assert [s["title"] for s in sources[elsewhere.pk]] == [other.title] and sources[draft.pk] == []


def test_sources_of_more_changes_than_one_query_binds(db, monkeypatch):
    monkeypatch.setattr(export_rows, "ID_BATCH_MAX", 3)  # batches of two ids
    changes = [ControlChangeFactory() for _ in range(5)]
    sources = export_rows.sources_by_change(change_ids=[c.pk for c in changes])
    assert [len(sources[c.pk]) for c in changes] == [1] * 5
    assert sources[changes[0].pk][0]["title"] == changes[0].sources.get().title
