"""What the fast paths of merging and validation rely on (issue 21): they give what the
plain paths gave, and a changed field dictionary is never served a stale index.
No timings here: `make bench` prints them."""

import datetime as dt
import importlib.util
import json
import random
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric, uscc
from stdnum.util import isdigits

from forms import (
    Condition,
    Constraints,
    FieldDef,
    FieldUse,
    ItemRecord,
    MergeConflict,
    Option,
    merge_forms,
    validate_application,
)
from forms import merge as merge_module
from forms.field_values import parse_value, value_parser
from forms.identifiers import BirthDateInFuture, validate_credit_code, validate_resident_id

from .validation_corpus import GOLDEN, RAW_VALUES, corpus

REPO = Path(__file__).resolve().parents[2]
OPTIONS = (Option("v0", "选项0"), Option("v1", "选项1"), Option("legal_person", "法人"))


def _bench_module():
    # bench/ is run as `python -m bench`, not installed: load it by path, as tests/bench do.
    if "merge_bench" not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            "merge_bench", REPO / "bench" / "merge_bench.py"
        )
        module = importlib.util.module_from_spec(spec)
        sys.modules["merge_bench"] = module  # dataclasses look their module up by name
        spec.loader.exec_module(module)
    return sys.modules["merge_bench"]


@pytest.fixture(scope="module")
def synthetic():
    return _bench_module().synthetic_catalog()


# ---------- validation: the compiled plan says what the plain walk said ----------


def test_every_kind_of_answer_gets_the_problems_it_got_before_the_plan_was_compiled(
    synthetic,
):
    """78 kinds of answer in every field of the four shipped themes and of the bench's
    50-item form, with and without the division table: every error (key, Chinese message,
    code, order) and every normalised value as before (tests/forms/data, made by the
    walk of the form that the compiled plan replaced)."""
    form = merge_forms(synthetic.items, synthetic.dictionary)
    expected = json.loads(GOLDEN.read_text("utf-8"))
    found = corpus(form, synthetic.application)
    assert found == expected
    # Each form's first application is its sample: normalised values pinned too (the
    # restaurant's sample fills only the items its guidance selects, not the whole theme).
    assert sum(summary["valid"] for summary in found.values()) == 8


def test_a_form_validated_again_gives_the_same_problems(synthetic):
    form = merge_forms(synthetic.items, synthetic.dictionary)
    wrong = dict(synthetic.application)
    for key in list(wrong)[::5]:
        wrong[key] = "x" * 600
    first = validate_application(form, wrong)
    assert first and validate_application(form, wrong) == first  # the plan, now cached
    again = merge_forms(synthetic.items, synthetic.dictionary)  # another form object
    assert again is not form and validate_application(again, wrong) == first


@pytest.mark.parametrize(
    "definition",
    [
        FieldDef(key="t", label="名称", type="string", constraints=Constraints(max_length=5)),
        FieldDef(key="t", label="说明", type="text", constraints=Constraints(min_length=2)),
        FieldDef(key="n", label="人数", type="integer", unit="人", constraints=Constraints(max=9)),
        FieldDef(key="m", label="金额", type="money", constraints=Constraints(decimals=2)),
        FieldDef(key="d", label="日期", type="date"),
        FieldDef(key="d", label="时间", type="datetime"),
        FieldDef(key="b", label="是否", type="boolean"),
        FieldDef(key="e", label="选项", type="enum", constraints=Constraints(options=OPTIONS)),
        FieldDef(
            key="e",
            label="多选",
            type="enum",
            multiple=True,
            constraints=Constraints(options=OPTIONS),
        ),
        FieldDef(key="r", label="区划", type="region"),
        FieldDef(key="p", label="手机", type="mobile"),
        FieldDef(key="i", label="身份证号", type="id_number"),
        FieldDef(key="u", label="信用代码", type="uscc"),
        FieldDef(key="a", label="邮箱", type="email"),
    ],
    ids=lambda d: d.type,
)
def test_a_fields_parser_is_parse_value(definition):
    """One parser per field, made once: the same value or the same error as parse_value,
    for every kind of answer (strings as identifiers too, as checked_as asks)."""
    parse = value_parser(definition)
    for raw in RAW_VALUES:
        for as_type in (None, "id_number", "uscc") if definition.type == "string" else (None,):
            assert _outcome(lambda r, a=as_type: parse(r, a, None), raw) == _outcome(
                lambda r, a=as_type: parse_value(definition, r, a), raw
            ), raw


def _outcome(parse, raw):
    try:
        return ("value", parse(raw))
    except Exception as exc:  # noqa: BLE001 - the kind and the words are what is compared
        return ("error", type(exc).__name__, getattr(exc, "code", None), str(exc))


# ---------- 身份证号, 统一社会信用代码: stdnum's verdict, with or without its clean-up ----------


def _resident_id_by_stdnum(value: str) -> str:
    """validate_resident_id as it was: stdnum's compact, check digit and birth date."""
    number = ric.compact(value)
    if len(number) != 18:
        raise stdnum_errors.InvalidLength()
    if not isdigits(number[:-1]):
        raise stdnum_errors.InvalidFormat()
    if number[-1] != ric.calc_check_digit(number):
        raise stdnum_errors.InvalidChecksum()
    if ric.get_birth_date(number) > dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1):
        raise BirthDateInFuture()
    return number


def _spellings(valid: list[str], alphabet: str) -> list[str]:
    """Valid numbers, and each with one character changed, dropped, doubled, separated,
    lower-cased, or written in look-alike (full-width, dash-like) characters."""
    rng = random.Random(21)
    odd = alphabet + "xyzIOSVZ -—–\u3000０１Ｘ"
    values = []
    for number in valid:
        values += [number, number.lower(), f" {number} ", number[:6] + "-" + number[6:]]
        values += [number[:-1], number + "0", number[:9] + number[8:]]
        for _ in range(20):
            at = rng.randrange(len(number))
            values.append(number[:at] + rng.choice(odd) + number[at + 1 :])
    return values


def test_resident_ids_get_stdnums_verdict():
    valid = [b + ric.calc_check_digit(b + "0") for b in ("11010519491231002", "44132219890612003")]
    invalid_dates = ("11010519490231002", "11010520130229001", "11010520991231002")
    valid += [b + ric.calc_check_digit(b + "0") for b in invalid_dates]  # 2 月 31 日 …, 2099
    for value in _spellings(valid, "0123456789X"):
        assert _outcome(validate_resident_id, value) == _outcome(_resident_id_by_stdnum, value)


def test_a_birth_date_after_tomorrow_is_refused_whatever_the_spelling():
    future = "11010520991231002"
    number = future + ric.calc_check_digit(future + "0")
    for value in (number, f" {number.lower()} "):
        with pytest.raises(stdnum_errors.InvalidComponent):
            validate_resident_id(value.strip())


def test_credit_codes_get_stdnums_verdict():
    bases = ("91350100M000100Y4", "91441322MA4W3Q5K1", "12100000400000716")
    valid = [b + uscc.calc_check_digit(b) for b in bases]
    for value in _spellings(valid, uscc._alphabet):
        assert _outcome(validate_credit_code, value) == _outcome(uscc.validate, value)


# ---------- merging: the dictionary index and the per-item uses ----------


def _without_fast_path(monkeypatch):
    """Every key merged the general way (tighten, widenings, contradiction per use)."""
    original = merge_module._DictionaryIndex.__init__

    def no_templates(self, dictionary):
        original(self, dictionary)
        self.templates = {}

    monkeypatch.setattr(merge_module._DictionaryIndex, "__init__", no_templates)
    merge_module._INDEXES.clear()


def test_keys_no_item_narrows_merge_as_the_general_path_merges_them(synthetic, monkeypatch):
    order = [item.code for item in synthetic.items]
    fast = merge_forms(synthetic.items, synthetic.dictionary, order=order)
    _without_fast_path(monkeypatch)
    general = merge_forms(synthetic.items, synthetic.dictionary, order=order)
    assert fast == general
    assert fast.to_dict() == general.to_dict()
    assert fast.to_json_schema() == general.to_json_schema()
    monkeypatch.undo()
    merge_module._INDEXES.clear()


def test_a_copied_field_is_a_field_like_any_other(synthetic):
    form = merge_forms(synthetic.items, synthetic.dictionary)
    copied = form.field("item00.flag")  # a yes/no no item narrows: copied from the index
    rebuilt = replace(copied)
    assert rebuilt == copied and hash(rebuilt) == hash(copied)
    assert rebuilt.to_dict() == copied.to_dict()
    with pytest.raises(AttributeError):
        copied.label = "改"  # still frozen


def _dictionary():
    return {
        "a.name": FieldDef(
            key="a.name", label="名称", type="string", constraints=Constraints(max_length=50)
        ),
        "a.flag": FieldDef(key="a.flag", label="是否", type="boolean"),
        "a.note": FieldDef(key="a.note", label="备注", type="text"),
    }


ITEMS = [
    ItemRecord(
        code="X-1",
        name="事项一",
        department="X",
        fields=(
            FieldUse("a.name", required=True),
            FieldUse("a.flag", required=True),
            FieldUse("a.note", when=Condition("a.flag", True)),
        ),
    ),
    ItemRecord(code="X-2", name="事项二", department="X", fields=(FieldUse("a.name"),)),
]


def test_a_dictionary_edited_in_place_is_indexed_again():
    dictionary = _dictionary()
    before = merge_forms(ITEMS, dictionary)
    assert before.field("a.name").label == "名称"

    dictionary["a.name"] = replace(
        dictionary["a.name"], label="企业名称", constraints=Constraints(max_length=10)
    )
    after = merge_forms(ITEMS, dictionary)
    assert after.field("a.name").label == "企业名称"
    assert after.field("a.name").constraints.max_length == 10
    errors = validate_application(after, {"a.name": "名" * 11, "a.flag": False})
    assert [e.message for e in errors] == ["企业名称不能超过10个字符"]

    dictionary["a.extra"] = FieldDef(key="a.extra", label="新增", type="string")
    extra = ItemRecord(code="X-3", name="事项三", department="X", fields=(FieldUse("a.extra"),))
    assert "a.extra" in merge_forms([*ITEMS, extra], dictionary)

    del dictionary["a.note"]
    with pytest.raises(MergeConflict, match="a.note 不在字段字典中"):
        merge_forms(ITEMS, dictionary)

    dictionary.clear()
    dictionary.update(_dictionary())  # the same keys and definitions again: same form
    assert merge_forms(ITEMS, dictionary) == before


def test_two_dictionaries_with_one_key_each_their_own_definition():
    first, second = _dictionary(), _dictionary()
    second["a.name"] = replace(second["a.name"], label="姓名")
    assert merge_forms(ITEMS, first).field("a.name").label == "名称"
    assert merge_forms(ITEMS, second).field("a.name").label == "姓名"
    assert merge_forms(ITEMS, first).field("a.name").label == "名称"


def test_only_a_handful_of_dictionaries_are_kept():
    for _ in range(3 * merge_module._INDEXES_KEPT):
        merge_forms(ITEMS, _dictionary())
    assert len(merge_module._INDEXES) <= merge_module._INDEXES_KEPT


def test_items_remember_their_uses_without_changing_what_they_are():
    item = ITEMS[0]
    fresh = ItemRecord(**{name: getattr(item, name) for name in item.__dataclass_fields__})
    merge_forms([item], _dictionary())
    assert "_merge_uses" in item.__dict__
    assert item == fresh and hash(item) == hash(fresh)
    narrowed = replace(item, fields=(FieldUse("a.name", narrowing=Constraints(max_length=5)),))
    form = merge_forms([narrowed], _dictionary())  # a new record: its own uses
    assert form.field("a.name").constraints.max_length == 5


def test_every_item_that_widens_a_key_is_named_even_when_items_agree():
    wide = Constraints(max_length=80)  # the dictionary allows 50
    items = [
        ItemRecord(
            code=f"W-{n}",
            name=f"放宽{n}",
            department="X",
            fields=(FieldUse("a.name", narrowing=wide),),
        )
        for n in (1, 2)
    ]
    with pytest.raises(MergeConflict) as raised:
        merge_forms(items, _dictionary())
    assert [c.item_codes for c in raised.value.conflicts] == [("W-1",), ("W-2",)]
