"""The one material set: each material once, government-held ones exempt with a reason."""

import json
from pathlib import Path

import pytest

from forms import (
    ItemRecord,
    Material,
    MaterialSet,
    load_catalog,
    load_theme_definition,
    merge_figures,
    merge_materials,
    theme_form,
    theme_materials,
)

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def enterprise():
    catalog = load_catalog(REPO / "processes/catalog")
    theme = load_theme_definition(REPO / "processes/themes/enterprise-opening", catalog)
    return catalog, theme


def by_code(materials: MaterialSet):
    return {m.code: m for m in materials.materials}


def test_business_licence_is_exempt_because_registration_produces_it(enterprise):
    catalog, theme = enterprise
    materials = theme_materials(theme, catalog)
    licence = by_code(materials)["CL-YYZZ"]
    assert licence.exempt
    assert licence.exempt_reason == "由本主题“企业设立登记”办理后生成，无需提交"
    assert licence.asked_by == ("HF-DWJCDJ", "HRSS-DWCBDJ", "PSB-GZKZBA", "TAX-SSSXBL")
    assert "CL-YYZZ" not in {m.code for m in materials.to_submit}


def test_e_licences_replace_identity_documents(enterprise):
    catalog, theme = enterprise
    identity = by_code(theme_materials(theme, catalog))["CL-FDDBRSFZM"]
    assert identity.exempt_reason == "可调用电子证照“居民身份证”，无需提交"
    assert len(identity.asked_by) == 5  # asked by every item, listed once


def test_without_the_registration_item_the_licence_comes_from_the_e_licence(enterprise):
    # An existing company applying for a seal alone: nothing in the theme produces the
    # licence, but it can be called as an e-licence.
    catalog, _ = enterprise
    licence = by_code(merge_materials([catalog.item("PSB-GZKZBA")]))["CL-YYZZ"]
    assert licence.exempt_reason == "可调用电子证照“营业执照”，无需提交"


def test_applicant_materials_are_asked_with_tolerance_kept(enterprise):
    catalog, theme = enterprise
    materials = theme_materials(theme, catalog)
    asked = {m.code: m for m in materials.to_submit}
    assert set(asked) == {
        "CL-GSZC",
        "CL-ZSSYZM",
        "CL-GDZTZGZM",
        "CL-FDDBRRZWJ",
        "CL-SQWTS",
        "CL-CBZGHMC",
    }
    assert asked["CL-CBZGHMC"].tolerance is True
    assert asked["CL-GSZC"].tolerance is False
    assert asked["CL-ZSSYZM"].e_licence_type == "不动产权证书"  # hint for the notice
    # listed in the theme's item order: the registration's own materials first
    assert [m.code for m in materials.materials][:2] == ["CL-GSZC", "CL-FDDBRSFZM"]


def test_figures_of_the_enterprise_theme(enterprise):
    catalog, theme = enterprise
    form = theme_form(theme, catalog)
    items = [catalog.item(c) for c in theme.item_codes]
    figures = merge_figures(form, theme_materials(theme, catalog))
    assert figures.materials_total == sum(len(i.materials) for i in items) == 22
    assert figures.materials_asked == 6
    assert figures.fields_total == sum(len(i.fields) for i in items)
    # every key once; the theme's own question is not an item field
    assert figures.fields_asked == len({u.key for i in items for u in i.fields})
    assert figures.fields_asked < figures.fields_total
    assert figures.material_reduction == pytest.approx(1 - 6 / 22)


def test_a_material_is_exempt_only_when_every_item_asking_it_can_do_without():
    shared = Material(
        code="CL-HYZM", name="婚姻状况证明", source="shared", shared_from="民政局婚姻登记信息"
    )
    handed_in = Material(
        code="CL-HYZM",
        name="婚姻状况证明",
        source="applicant",
        original_or_copy="复印件",
        copies=2,
        tolerance=True,
    )
    a = ItemRecord(code="REALTY-A", name="不动产转移登记", department="REALTY", materials=(shared,))
    b = ItemRecord(code="TAX-B", name="税费计核", department="TAX", materials=(handed_in,))
    alone = merge_materials([a]).materials[0]
    assert alone.exempt_reason == "通过部门间数据共享获取（民政局婚姻登记信息），无需提交"
    (merged,) = merge_materials([b, a]).materials
    assert not merged.exempt
    assert (merged.copies, merged.original_or_copy, merged.tolerance) == (2, "原件和复印件", False)
    assert merge_materials([a, b]) == merge_materials([b, a])


def test_material_set_round_trips_through_json(enterprise):
    catalog, theme = enterprise
    materials = theme_materials(theme, catalog)
    assert MaterialSet.from_dict(json.loads(json.dumps(materials.to_dict()))) == materials
