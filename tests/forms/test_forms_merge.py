"""Merging item forms: properties over random catalogs, and the shipped 企业开办 theme."""

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forms import (
    Constraints,
    FieldDef,
    FieldUse,
    ItemRecord,
    MergeConflict,
    MergedForm,
    Option,
    load_catalog,
    load_theme_definition,
    merge_forms,
    split_for_item,
    theme_form,
)

REPO = Path(__file__).resolve().parents[2]
OPTION_VALUES = ("o0", "o1", "o2", "o3", "o4")
ITEM_CODES = ("SAMR-A", "PSB-B", "TAX-C", "HRSS-D", "HF-E")
SETTINGS = settings(max_examples=60, deadline=None)


# ---------- random dictionaries and items ----------


def enum_constraints(values) -> Constraints:
    return Constraints(options=tuple(Option(v, f"选项{v}") for v in values))


@st.composite
def definitions(draw, key: str, kind: str, in_group: bool = False) -> FieldDef:
    label = f"字段{key}"
    if kind == "string":
        return FieldDef(
            key=key,
            label=label,
            type="string",
            constraints=Constraints(max_length=draw(st.integers(10, 100))),
        )
    if kind == "integer":
        return FieldDef(
            key=key, label=label, type="integer", constraints=Constraints(min=0, max=100)
        )
    if kind == "enum":
        return FieldDef(
            key=key, label=label, type="enum", constraints=enum_constraints(OPTION_VALUES)
        )
    subs = tuple(
        draw(definitions(sub, k, True))
        for sub, k in (("s", "string"), ("e", "enum"), ("n", "integer"))
    )
    return FieldDef(
        key=key,
        label=label,
        type="array",
        item_fields=subs,
        constraints=Constraints(min_items=0, max_items=20),
    )


@st.composite
def dictionaries(draw) -> dict[str, FieldDef]:
    kinds = draw(
        st.lists(st.sampled_from(["string", "integer", "enum", "array"]), min_size=2, max_size=6)
    )
    return {f"k{i}.v": draw(definitions(f"k{i}.v", kind)) for i, kind in enumerate(kinds)}


@st.composite
def narrowings(draw, definition: FieldDef) -> Constraints:
    """Narrowings that always leave a common value (o0, 50, length 5) so merges succeed."""
    if definition.type == "string":
        top = definition.constraints.max_length
        return Constraints(max_length=draw(st.none() | st.integers(5, top)))
    if definition.type == "integer":
        return Constraints(
            min=draw(st.none() | st.integers(0, 50)), max=draw(st.none() | st.integers(50, 100))
        )
    if definition.type == "enum":
        if draw(st.booleans()):
            return Constraints()
        others = draw(st.lists(st.sampled_from(OPTION_VALUES[1:]), unique=True))
        return enum_constraints(draw(st.permutations(["o0", *others])))
    return Constraints(
        min_items=draw(st.none() | st.integers(0, 1)),
        max_items=draw(st.none() | st.integers(1, 10)),
    )


@st.composite
def uses(draw, definition: FieldDef) -> FieldUse:
    subs: tuple[FieldUse, ...] = ()
    if definition.type == "array":
        chosen = draw(
            st.lists(st.sampled_from(definition.item_fields), min_size=1, unique_by=lambda d: d.key)
        )
        subs = tuple(draw(uses(sub)) for sub in chosen)
    return FieldUse(definition.key, draw(st.booleans()), None, draw(narrowings(definition)), subs)


@st.composite
def items_over(draw, dictionary, codes=None) -> list[ItemRecord]:
    codes = codes or draw(
        st.lists(st.sampled_from(ITEM_CODES), min_size=1, max_size=4, unique=True)
    )
    items = []
    for code in codes:
        keys = draw(st.lists(st.sampled_from(sorted(dictionary)), min_size=1, unique=True))
        fields = tuple(draw(uses(dictionary[k])) for k in keys)
        items.append(ItemRecord(code=code, name=f"事项{code}", department="X", fields=fields))
    return items


@st.composite
def catalogs(draw):
    dictionary = draw(dictionaries())
    return dictionary, draw(items_over(dictionary))


def declared(item: ItemRecord) -> dict[str, set[str] | None]:
    """key → declared sub-keys (None for plain fields)."""
    return {u.key: ({s.key for s in u.item_fields} if u.item_fields else None) for u in item.fields}


# ---------- properties ----------


@SETTINGS
@given(catalogs(), st.data())
def test_merge_does_not_depend_on_item_order(catalog, data):
    dictionary, items = catalog
    shuffled = data.draw(st.permutations(items))
    assert merge_forms(shuffled, dictionary).to_dict() == merge_forms(items, dictionary).to_dict()
    # With a section order given, only the order of the item sections follows it.
    order = [i.code for i in shuffled]
    ordered = merge_forms(items, dictionary, order=order)
    assert ordered.item_codes == tuple(order)
    assert {f.key: f for f in ordered.fields} == {
        f.key: f for f in merge_forms(items, dictionary).fields
    }


@SETTINGS
@given(catalogs())
def test_merging_an_item_twice_is_merging_it_once(catalog):
    dictionary, items = catalog
    assert merge_forms([*items, items[0]], dictionary) == merge_forms(items, dictionary)


@SETTINGS
@given(catalogs())
def test_every_field_of_every_item_is_asked_exactly_once(catalog):
    dictionary, items = catalog
    form = merge_forms(items, dictionary)
    placed = [key for section in form.sections for key in section.fields]
    assert len(placed) == len(set(placed))
    assert set(placed) == set(form.keys) == {u.key for i in items for u in i.fields}
    for item in items:
        for key, subs in declared(item).items():
            merged = form.field(key)
            assert item.code in merged.asked_by
            if subs is not None:
                asked_subs = {s.key for s in merged.item_fields if item.code in s.asked_by}
                assert asked_subs == subs
    assert form.item_field_total == sum(len(i.fields) for i in items)


@SETTINGS
@given(catalogs())
def test_required_is_the_or_of_the_items_and_the_stricter_constraint_wins(catalog):
    dictionary, items = catalog
    form = merge_forms(items, dictionary)
    for merged in form.fields:
        mine = [u for i in items for u in i.fields if u.key == merged.key]
        assert merged.required == any(u.required for u in mine)
        base = dictionary[merged.key].constraints
        if merged.type == "string":
            assert merged.constraints.max_length == min(
                [base.max_length] + [u.narrowing.max_length for u in mine if u.narrowing.max_length]
            )
        if merged.type == "integer":
            assert merged.constraints.min == max(
                [base.min] + [u.narrowing.min for u in mine if u.narrowing.min is not None]
            )
        if merged.type == "enum":
            allowed = set(OPTION_VALUES)
            for u in mine:
                if u.narrowing.options is not None:
                    allowed &= set(u.narrowing.option_values())
            # the dictionary's order, whatever order the items listed them in
            assert merged.constraints.option_values() == tuple(
                v for v in OPTION_VALUES if v in allowed
            )


@SETTINGS
@given(catalogs())
def test_common_section_holds_the_fields_shared_by_two_or_more_items(catalog):
    dictionary, items = catalog
    form = merge_forms(items, dictionary)
    shared = {f.key for f in form.fields if len(f.asked_by) >= 2}
    common = next((s for s in form.sections if s.key == "common"), None)
    assert set(common.fields if common else ()) == shared
    for section in form.sections:
        if section.item is not None:
            assert all(form.field(k).asked_by == (section.item,) for k in section.fields)


@SETTINGS
@given(catalogs())
def test_split_back_gives_each_item_exactly_its_own_keys(catalog):
    dictionary, items = catalog
    form = merge_forms(items, dictionary)
    answers = {}
    for f in form.fields:
        if f.type == "array":
            answers[f.key] = [
                {s.key: f"{f.key}/{s.key}/{row}" for s in f.item_fields} for row in range(2)
            ]
        else:
            answers[f.key] = f"v:{f.key}"
    for item in items:
        own = split_for_item(form, item.code, answers)
        wanted = declared(item)
        assert set(own) == set(wanted)
        for key, subs in wanted.items():
            if subs is None:
                assert own[key] == answers[key]
            else:
                assert [set(row) for row in own[key]] == [subs, subs]
                assert all(
                    row[s] == answers[key][i][s] for i, row in enumerate(own[key]) for s in subs
                )


@SETTINGS
@given(catalogs())
def test_merged_form_round_trips_through_json(catalog):
    dictionary, items = catalog
    form = merge_forms(items, dictionary)
    assert MergedForm.from_dict(json.loads(json.dumps(form.to_dict()))) == form


@SETTINGS
@given(st.data())
def test_disjoint_enum_narrowings_always_raise_naming_both_items(data):
    dictionary = data.draw(dictionaries())
    dictionary["e.kind"] = FieldDef(
        key="e.kind", label="种类", type="enum", constraints=enum_constraints(OPTION_VALUES)
    )
    values = data.draw(st.permutations(OPTION_VALUES))
    cut = data.draw(st.integers(1, len(values) - 1))
    left, right = values[:cut], values[cut:]
    left = data.draw(st.lists(st.sampled_from(left), min_size=1, unique=True))
    right = data.draw(st.lists(st.sampled_from(right), min_size=1, unique=True))
    codes = data.draw(st.lists(st.sampled_from(ITEM_CODES), min_size=2, max_size=4, unique=True))
    others = {k: v for k, v in dictionary.items() if k != "e.kind"}
    items = data.draw(items_over(others, codes))
    a, b = items[0], items[1]
    items[0] = ItemRecord(
        code=a.code,
        name=a.name,
        department="X",
        fields=(*a.fields, FieldUse("e.kind", True, None, enum_constraints(left))),
    )
    items[1] = ItemRecord(
        code=b.code,
        name=b.name,
        department="X",
        fields=(FieldUse("e.kind", False, None, enum_constraints(right)), *b.fields),
    )
    for attempt in (items, data.draw(st.permutations(items))):
        with pytest.raises(MergeConflict) as caught:
            merge_forms(attempt, dictionary)
        (conflict,) = caught.value.conflicts
        assert conflict.key == "e.kind"
        assert conflict.item_codes == tuple(sorted((a.code, b.code)))
        for part in (a.name, b.name, a.code, b.code, "e.kind", "种类", "可选值没有交集"):
            assert part in conflict.message


# ---------- the shipped theme ----------


@pytest.fixture(scope="module")
def enterprise():
    catalog = load_catalog(REPO / "processes/catalog")
    theme = load_theme_definition(REPO / "processes/themes/enterprise-opening", catalog)
    return catalog, theme, theme_form(theme, catalog)


def test_enterprise_form_sections(enterprise):
    _, _, form = enterprise
    titles = [s.title for s in form.sections]
    assert titles == [
        "办理选项",
        "基本信息",
        "企业设立登记",
        "公章刻制备案",
        "涉税事项办理及首次申领发票",
        "单位参保登记",
        "住房公积金单位缴存登记",
    ]
    common = form.sections[1].fields
    assert common[:4] == (
        "applicant.name",
        "applicant.id_type",
        "applicant.id_number",
        "applicant.mobile",
    )
    assert {"enterprise.name", "legal_rep.id_number", "delivery.method"} <= set(common)
    assert form.sections[3].fields == ("seal.kinds", "seal.maker")
    assert "shareholders" in form.sections[2].fields
    assert form.field("housing_fund.needed").question


def test_enterprise_form_applies_the_merge_rules(enterprise):
    _, theme, form = enterprise
    # asked by all five items, once
    assert form.field("enterprise.name").asked_by == tuple(sorted(theme.item_codes))
    # the stricter constraint wins: 企业设立登记 limits the name to 50 characters
    assert form.field("enterprise.name").constraints.max_length == 50
    # narrowest enum: a seal cannot be delivered electronically, so the bundle cannot either
    assert form.field("delivery.method").constraints.option_values() == ("window", "post")
    # required if any item requires it: only the housing fund item requires the bank
    assert form.field("bank.name").required_by == ("HF-DWJCDJ",)
    assert form.field("bank.name").required


def test_a_case_without_the_housing_fund_item(enterprise):
    _, theme, form = enterprise
    case_form = form.for_items(theme.selected_items(()))
    assert "HF-DWJCDJ" not in case_form.item_codes
    assert "housing_fund.rate" not in case_form
    assert "housing_fund.needed" in case_form  # the question stays
    assert case_form.field("bank.name").required is False
    assert all(s.item != "HF-DWJCDJ" for s in case_form.sections)
    assert case_form.item_field_total == form.item_field_total - len(
        [f for f in form.fields if "HF-DWJCDJ" in f.asked_by]
    )


def test_the_questions_alone_come_before_item_selection(enterprise):
    # A case first answers the theme's questions, which decide the items it needs.
    _, _, form = enterprise
    questions = form.for_items(())
    assert questions.keys == ("housing_fund.needed",)
    assert questions.field("housing_fund.needed").required


def test_enterprise_form_round_trips_through_json(enterprise):
    _, _, form = enterprise
    stored = json.dumps(form.to_dict(), ensure_ascii=False)
    assert MergedForm.from_dict(json.loads(stored)) == form
    with pytest.raises(ValueError, match="格式版本"):
        MergedForm.from_dict({**form.to_dict(), "format": 99})
