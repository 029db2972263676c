"""Analysts edit a theme's guidance table (dmn-js posts DMN XML); the draft is checked with
the diagram, and once published new applications are decided by the edited table."""

from __future__ import annotations


def test_an_edited_table_is_checked_published_and_decides_new_cases(login):
    analyst, admin = login("analyst"), login("admin")
    table = analyst.get("/modeler/themes/enterprise-opening/guidance.dmn")
    assert table.status_code == 200
    dmn = table.get_data(as_text=True)
    assert 'id="InputEntry_HousingFund_Yes"' in dmn
    page = analyst.get("/modeler/themes/enterprise-opening/guidance").get_data(as_text=True)
    assert "导办决策表" in page and "dmn-modeler.js" in page

    # A broken cell: kept as an invalid draft naming the cell; publishing it is refused.
    hostile = dmn.replace("<text>True</text>", "<text>__import__('os')</text>", 1)
    saved = analyst.post_xml("/api/themes/enterprise-opening/drafts/guidance", hostile)
    assert saved.status_code == 201
    body = saved.get_json()
    assert body["valid"] is False
    assert "InputEntry_HousingFund_Yes" in [e["element_id"] for e in body["errors"]]
    refused = admin.post_json(f"/api/themes/enterprise-opening/drafts/{body['draft_id']}/publish")
    assert refused.status_code == 422

    # The analyst inverts the rule (公积金 only when NOT asked — a deliberate, visible change).
    inverted = dmn.replace("<text>True</text>", "<text>False</text>", 1)
    saved = analyst.post_xml("/api/themes/enterprise-opening/drafts/guidance", inverted)
    assert saved.get_json()["valid"] is True, saved.get_json()
    published = admin.post_json(
        f"/api/themes/enterprise-opening/drafts/{saved.get_json()['draft_id']}/publish"
    )
    assert published.status_code == 201, published.get_json()

    from .conftest import enterprise_answers

    created = login("zhangsan").post_json(
        "/api/cases/",
        {"theme": "enterprise-opening", "answers": enterprise_answers(housing_fund=False)},
    )
    assert created.status_code == 201, created.get_json()
    steps = [s["name"] for s in created.get_json()["steps"]]
    assert "住房公积金单位缴存登记" in steps


def test_only_analysts_and_admins_edit_tables(login):
    for username in ("zhangsan", "window", "samr"):
        client = login(username)
        assert client.get("/modeler/themes/enterprise-opening/guidance").status_code in (403, 404)
        posted = client.post_xml("/api/themes/enterprise-opening/drafts/guidance", "<x/>")
        assert posted.status_code in (403, 404)


def test_an_empty_or_non_utf8_table_is_refused(login):
    analyst = login("analyst")
    assert (
        analyst.post_xml("/api/themes/enterprise-opening/drafts/guidance", "  ").status_code == 422
    )
    latin = "<dmn>é</dmn>".encode("latin-1")
    assert (
        analyst.post_xml("/api/themes/enterprise-opening/drafts/guidance", latin).status_code == 422
    )
