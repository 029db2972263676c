"""The four reference themes as shipped: each loads, compiles, decides, validates and runs.

For every theme the catalog and theme.yaml load, the BPMN compiles with the lane names of
departments.yaml, each item's task sits in its department's lane, the guidance table
compiles, and the sample application (which selects every conditional item) passes the
merged form. Then a few facts a reviewer of the themes would check by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from lxml import etree

from engine.cases import complete_task, open_tasks, start_case
from engine.guidance import Guidance, compile_guidance
from engine.theme_spec import CompiledTheme, compile_theme
from forms import (
    Catalog,
    Holdings,
    MergedForm,
    ThemeDefinition,
    load_catalog,
    load_theme_definition,
    merge_materials,
    normalise_answers,
    theme_form,
    theme_materials,
    validate_application,
)

REPO = Path(__file__).resolve().parents[2]
CATALOG = REPO / "processes" / "catalog"
THEMES = REPO / "processes" / "themes"
REFERENCE_THEMES = ("enterprise-opening", "second-hand-housing", "restaurant-opening", "newborn")
FRONT_DESK = "FRONT_DESK"
BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DMNDI = "https://www.omg.org/spec/DMN/20191111/DMNDI/"


@dataclass
class Run:
    done: list[str]  # BPMN ids in the order they were completed
    ready: list[set[str]]  # before each completion: every task ready at that moment


@dataclass(frozen=True)
class Reference:
    """One shipped theme, loaded the way publishing loads it."""

    definition: ThemeDefinition
    compiled: CompiledTheme
    guidance: Guidance
    form: MergedForm  # the whole theme's merged form
    sample: dict
    directory: Path

    def decide(self, answers: dict) -> tuple[str, ...]:
        """Conditional items for raw answers: questions typed by the form, then the table."""
        typed = normalise_answers(self.form.for_items(()), answers)  # the questions only
        return self.guidance.decide(
            {variable: typed.get(key) for variable, key in self.definition.questions.items()}
        )

    def case_form(self, answers: dict) -> MergedForm:
        """The form of a case: the fields of the items its guidance answers select."""
        return self.form.for_items(self.definition.selected_items(self.decide(answers)))

    def run(self, selected) -> Run:
        """Work a case with the variables of `selected` to the end, first ready task first."""
        variables = self.definition.process_variables(selected)
        workflow = start_case(self.compiled.spec, self.compiled.subprocess_specs, variables)
        run = Run([], [])
        while not workflow.completed:
            ready = open_tasks(workflow)
            assert ready, f"case stuck after {run.done}"
            run.ready.append({t.bpmn_id for t in ready})
            run.done.append(ready[0].bpmn_id)
            complete_task(workflow, ready[0].task_id)
        return run


def lane_departments(catalog: Catalog) -> dict[str, str]:
    # As webapp/services/themes.py builds it from the departments table: name and lane names.
    mapping = {}
    for department in catalog.departments.values():
        for lane in (department.name, *department.lane_names):
            mapping[lane] = department.code
    return mapping


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(CATALOG)


@pytest.fixture(scope="module")
def references(catalog) -> dict[str, Reference]:
    loaded = {}
    for name in REFERENCE_THEMES:
        directory = THEMES / name
        definition = load_theme_definition(directory, catalog)
        compiled = compile_theme(
            (directory / "process.bpmn").read_bytes(), lane_departments(catalog)
        )
        guidance = compile_guidance(
            (directory / definition.guidance_file).read_bytes(),
            variables=definition.questions,
            item_codes=definition.conditional_items,
            settings={setting.name: setting.value for setting in definition.settings},
        )
        sample = yaml.safe_load((directory / "sample-application.yaml").read_text("utf-8"))
        form = theme_form(definition, catalog)
        loaded[name] = Reference(definition, compiled, guidance, form, sample, directory)
    return loaded


@pytest.fixture(params=REFERENCE_THEMES)
def reference(request, references) -> Reference:
    return references[request.param]


# ---------- every theme ----------


def test_shipped_themes_are_exactly_the_reference_themes():
    shipped = sorted(p.parent.name for p in THEMES.glob("*/theme.yaml"))
    assert shipped == sorted(REFERENCE_THEMES)


def test_theme_is_led_by_a_department_of_its_own_items(reference, catalog):
    departments = {catalog.item(code).department for code in reference.definition.item_codes}
    assert reference.definition.lead_department in departments
    assert reference.definition.name.endswith("一件事")


def test_each_item_task_is_in_its_departments_lane(reference, catalog):
    definition, human = reference.definition, reference.compiled.human_tasks
    for task in (definition.acceptance_task, definition.delivery_task):
        assert human[task].department == FRONT_DESK, task
    for entry in definition.items:
        assert entry.task in human, f"{entry.item}: task {entry.task} missing from the BPMN"
        assert human[entry.task].department == catalog.item(entry.item).department, entry.item


def test_every_human_task_does_exactly_one_item_or_accepts_or_delivers(reference):
    definition = reference.definition
    expected = {definition.acceptance_task, definition.delivery_task}
    expected |= {entry.task for entry in definition.items}
    assert set(reference.compiled.human_tasks) == expected


def test_gateway_variables_are_the_conditional_items(reference):
    # Every item the guidance may leave out needs a gateway variable to skip its task.
    definition = reference.definition
    assert set(definition.variables.values()) == set(definition.conditional_items)


def test_diagram_has_layout_for_every_element(reference):
    root = etree.parse(reference.directory / "process.bpmn").getroot()
    process = root.find(f"{{{BPMN}}}process")
    drawn = {
        shape.get("bpmnElement")
        for shape in root.iter(f"{{{BPMNDI}}}BPMNShape", f"{{{BPMNDI}}}BPMNEdge")
    }
    elements = {el.get("id") for el in process.iterdescendants() if el.get("id")}
    elements -= {ls.get("id") for ls in process.iter(f"{{{BPMN}}}laneSet")}
    assert elements - drawn == set(), "elements bpmn-js could not draw"
    assert root.find(f"{{{BPMN}}}collaboration/{{{BPMN}}}participant").get("id") in drawn


def test_guidance_table_has_a_diagram_for_the_dmn_editor(reference):
    root = etree.parse(reference.directory / reference.definition.guidance_file).getroot()
    shapes = list(root.iter(f"{{{DMNDI}}}DMNShape"))
    assert [s.get("dmnElementRef") for s in shapes] == ["Decision_Guidance"]


# Items that exclude each other (one business licence or the other): a sample can select
# only one of them; the others are tested with their own answers.
ALTERNATIVES = {"restaurant-opening": {"SAMR-GTGSHDJ"}}


def test_sample_application_selects_every_conditional_item(reference):
    decided = reference.decide(reference.sample)
    other = ALTERNATIVES.get(reference.definition.code, set())
    assert set(decided) == set(reference.definition.conditional_items) - other
    expected = tuple(c for c in reference.definition.item_codes if c not in other)
    assert reference.definition.selected_items(decided) == expected


def test_sample_application_is_valid_for_all_its_items(reference):
    form = reference.case_form(reference.sample)
    other = ALTERNATIVES.get(reference.definition.code, set())
    assert form.item_codes == tuple(c for c in reference.definition.item_codes if c not in other)
    assert validate_application(form, reference.sample) == []
    # `materials.on_paper` is the applicant's declaration of the materials they bring on
    # paper (webapp/materials/hand_in.py), not a field of the form.
    fields = set(reference.sample) - {"materials.on_paper"}
    assert fields <= set(form.keys), "sample answers keys the form does not ask"


def test_a_case_selecting_everything_runs_every_task(reference):
    definition = reference.definition
    other = ALTERNATIVES.get(definition.code, set())
    done = reference.run(tuple(c for c in definition.item_codes if c not in other)).done
    assert done[0] == definition.acceptance_task and done[-1] == definition.delivery_task
    alternative_tasks = {definition.task_of(c) for c in other}
    assert sorted(done) == sorted(set(reference.compiled.human_tasks) - alternative_tasks)


def test_an_individual_business_restaurant_runs_its_own_registration(references):
    restaurant = references["restaurant-opening"]
    answers = restaurant_answers(references, **{"operator.form": "individual"})
    decided = restaurant.decide(answers)
    done = restaurant.run(restaurant.definition.selected_items(decided)).done
    assert "Task_IndividualRegistration" in done and "Task_Registration" not in done


def test_a_case_selecting_nothing_optional_skips_those_tasks(reference):
    definition = reference.definition
    done = reference.run(definition.selected_items(())).done
    skipped = {definition.task_of(code) for code in definition.conditional_items}
    assert skipped and not skipped & set(done)
    assert done[-1] == definition.delivery_task


def test_ids_and_phones_are_sensitive_in_every_merged_form(reference):
    def identifiers(fields):
        for f in fields:
            yield from identifiers(f.item_fields)
            checked_as_id = f.checked_as and "id_number" in dict(f.checked_as.cases).values()
            if f.type in ("id_number", "mobile") or checked_as_id:
                yield f

    found = list(identifiers(reference.form.fields))
    assert found
    assert [f.key for f in found if f.privacy != "sensitive"] == []


def test_item_records_cite_laws_and_keep_promises_within_legal_limits(reference, catalog):
    for code in reference.definition.item_codes:
        item = catalog.item(code)
        assert item.legal_basis and all(b.startswith("《") for b in item.legal_basis), code
        assert item.conditions and item.result and item.delivery, code
        assert item.place and item.phone and item.complaint_phone, code
        assert item.promised_days <= item.legal_days, code
        if item.kind == "即办件":
            assert item.promised_days == 0, code


# ---------- 企业开办 ----------


def test_enterprise_housing_fund_follows_the_applicant_choice(references):
    enterprise = references["enterprise-opening"]
    answers = dict(enterprise.sample)
    assert enterprise.decide(answers) == ("HF-DWJCDJ",)
    answers["housing_fund.needed"] = False
    assert enterprise.decide(answers) == ()


# ---------- 开办餐饮店 ----------


def restaurant_answers(references, **changes) -> dict:
    answers = dict(references["restaurant-opening"].sample)
    answers.update(changes)
    return answers


@pytest.mark.parametrize(
    ("changes", "item", "selected"),
    [
        ({"enterprise.registered": False}, "SAMR-QYSLDJ", True),
        ({"enterprise.registered": True}, "SAMR-QYSLDJ", False),
        ({"enterprise.registered": False}, "SAMR-GTGSHDJ", False),
        ({"operator.form": "individual"}, "SAMR-GTGSHDJ", True),
        ({"operator.form": "individual"}, "SAMR-QYSLDJ", False),
        ({"enterprise.registered": True, "operator.form": "individual"}, "SAMR-GTGSHDJ", False),
        ({"restaurant.floor_area": "300"}, "FIRE-GZJHCS", False),
        ({"restaurant.floor_area": "300.01"}, "FIRE-GZJHCS", True),
        ({"restaurant.outdoor_sign": False}, "URBAN-HWZPSZ", False),
        ({"restaurant.seats": 75}, "WATER-PSXK", False),
        ({"restaurant.seats": 76}, "WATER-PSXK", True),
    ],
)
def test_restaurant_guidance_thresholds(references, changes, item, selected):
    decided = references["restaurant-opening"].decide(restaurant_answers(references, **changes))
    assert (item in decided) is selected


def test_a_small_registered_restaurant_needs_only_the_food_licence(references):
    restaurant = references["restaurant-opening"]
    answers = restaurant_answers(
        references,
        **{
            "enterprise.registered": True,
            "restaurant.floor_area": "80",
            "restaurant.outdoor_sign": False,
            "restaurant.seats": 24,
        },
    )
    assert restaurant.decide(answers) == ()
    assert restaurant.definition.selected_items(()) == ("SAMR-SPJYXK",)


def test_a_registered_restaurant_must_give_its_credit_code(references):
    restaurant = references["restaurant-opening"]
    answers = restaurant_answers(references, **{"enterprise.registered": True})
    form = restaurant.case_form(answers)
    errors = {e.key: e.message for e in validate_application(form, answers)}
    assert errors == {"enterprise.uscc": "统一社会信用代码为必填项"}
    answers["enterprise.uscc"] = "91441322MA4W3Q5K1J"
    assert validate_application(form, answers) == []


@pytest.mark.parametrize("registered", [False, True])
def test_restaurant_never_asks_the_applicant_for_a_business_licence(
    references, catalog, registered
):
    restaurant = references["restaurant-opening"]
    decided = restaurant.decide(
        restaurant_answers(references, **{"enterprise.registered": registered})
    )
    selected = restaurant.definition.selected_items(decided)
    materials = theme_materials(restaurant.definition, catalog, selected)
    licence = next(m for m in materials.materials if m.code == "CL-YYZZ")
    assert licence.exempt
    if registered:  # an existing business: its e-licence is looked up
        assert licence.exempt_reason == "可调用电子证照“营业执照”，无需提交"
    else:  # registered within this theme first
        assert "企业设立登记" in licence.exempt_reason
        assert selected.index("SAMR-QYSLDJ") < selected.index("SAMR-SPJYXK")


def test_restaurant_food_licence_has_its_legal_time_limit(catalog):
    food = catalog.item("SAMR-SPJYXK")
    assert food.legal_days == 10 and food.result.name == "食品经营许可证"
    assert any("现场核查" in basis for basis in food.legal_basis)


def test_restaurant_registration_comes_before_all_licences(references):
    restaurant = references["restaurant-opening"]
    run = restaurant.run(restaurant.definition.item_codes)
    assert run.done[:2] == ["Task_Accept", "Task_Registration"]
    # No licence is a prerequisite of another: all four are worked in parallel.
    assert run.ready[2] == {"Task_FoodLicence", "Task_Fire", "Task_Sign", "Task_Sewage"}


# ---------- 二手房转移登记及水电气网联动过户 ----------


def test_housing_contract_and_tax_receipt_are_produced_inside_the_theme(references, catalog):
    housing = references["second-hand-housing"]
    materials = {m.code: m for m in theme_materials(housing.definition, catalog).materials}
    contract, receipt = materials["CL-CLFMMHT"], materials["CL-WSZM"]
    assert contract.exempt_reason == "由本主题“存量房买卖合同网签备案”办理后生成，无需提交"
    assert receipt.exempt_reason == "由本主题“存量房交易税费申报缴纳”办理后生成，无需提交"
    assert "REALTY-ZYDJ" in contract.asked_by and "REALTY-ZYDJ" in receipt.asked_by
    # Identity, title and marriage come from e-licences and data sharing, not from paper.
    for code in ("CL-ZRFSFZM", "CL-SRFSFZM", "CL-BDCQZS", "CL-HYZKZM"):
        assert materials[code].exempt, code


def test_housing_transfer_registration_is_the_legal_one(catalog):
    transfer = catalog.item("REALTY-ZYDJ")
    assert transfer.department == "REALTY"
    assert transfer.legal_days == 30
    assert (transfer.result.name, transfer.result.e_licence) == ("不动产权证书", True)
    housing_fee = transfer.fees[0]
    assert housing_fee.amount == Decimal(80)
    assert "发改价格规〔2016〕2559号" in housing_fee.basis


def test_housing_taxes_are_paid_before_the_transfer_and_utilities_after(references):
    housing = references["second-hand-housing"]
    run = housing.run(housing.definition.item_codes)
    done = run.done
    assert run.ready[1] == {"Task_Contract", "Task_TaxAssess"}  # in parallel
    assert done.index("Task_TaxPay") < done.index("Task_Transfer")
    utilities = ("Task_Water", "Task_Power", "Task_Gas", "Task_Broadband")
    assert all(done.index("Task_Transfer") < done.index(t) for t in utilities)


def test_housing_buyer_picks_the_utilities_to_transfer(references):
    housing = references["second-hand-housing"]
    answers = dict(housing.sample)
    answers.update(
        {
            "utility.water_transfer": False,
            "utility.gas_transfer": False,
            "property.mortgage_status": "none",
        }
    )
    decided = housing.decide(answers)
    assert decided == ("POWER-YDGH", "TELECOM-KDGH")
    form = housing.form.for_items(housing.definition.selected_items(decided))
    assert "utility.power_account" in form and "utility.water_account" not in form
    done = housing.run(housing.definition.selected_items(decided)).done
    assert "Task_Power" in done and "Task_Water" not in done


def test_housing_repeating_groups_check_each_persons_id(references):
    housing = references["second-hand-housing"]
    answers = dict(housing.sample)
    answers["buyers"] = [dict(answers["buyers"][0]), dict(answers["buyers"][1])]
    answers["buyers"][1]["id_number"] = "441322199509260825"  # wrong check digit
    form = housing.form.for_items(housing.definition.item_codes)
    errors = {e.key for e in validate_application(form, answers)}
    assert errors == {"buyers[1].id_number"}


# ---------- 新生儿出生 ----------


def test_newborn_birth_certificate_is_never_asked_of_the_parents(references, catalog):
    newborn = references["newborn"]
    materials = {m.code: m for m in theme_materials(newborn.definition, catalog).materials}
    certificate = materials["CL-CSYXZM"]
    assert certificate.exempt_reason == "由本主题“出生医学证明首次签发”办理后生成，无需提交"
    assert {"PSB-CSDJ", "HEALTH-YFJZZ", "HSA-CXJMCB"} <= set(certificate.asked_by)


def test_newborn_items_run_in_parallel_after_the_birth_certificate(references):
    newborn = references["newborn"]
    run = newborn.run(newborn.definition.item_codes)
    assert run.done[:2] == ["Task_Accept", "Task_BirthCertificate"]
    assert run.ready[2] == {"Task_Hukou", "Task_Vaccination", "Task_MedicalInsurance"}
    # The card number is the citizen ID number (社会保险法第五十八条): after 户口登记.
    assert run.done.index("Task_Hukou") < run.done.index("Task_SocialSecurityCard")


def test_newborn_optional_items_follow_the_parents_choice(references):
    newborn = references["newborn"]
    answers = dict(newborn.sample)
    answers["newborn.social_security_card"] = False
    assert newborn.decide(answers) == ("HSA-CXJMCB",)
    form = newborn.form.for_items(newborn.definition.selected_items(("HSA-CXJMCB",)))
    assert "social_security_card.bank" not in form


def test_local_thresholds_are_theme_settings_said_to_be_local(references):
    restaurant = references["restaurant-opening"]
    settings = {s.name: s for s in restaurant.definition.settings}
    assert settings["fire_check_min_area"].value == 300
    assert settings["sewage_min_seats"].value == 75
    for setting in settings.values():
        assert "本县设定，不是法律规定" in setting.description
    # The decision table reads the setting by name: another county's figure moves the line.
    elsewhere = compile_guidance(
        (restaurant.directory / "guidance.dmn").read_bytes(),
        variables=restaurant.definition.questions,
        item_codes=restaurant.definition.conditional_items,
        settings={"fire_check_min_area": 500, "sewage_min_seats": 150},
    )
    answers = {
        "registered": True,
        "operator_form": "individual",
        "floor_area": 360,
        "outdoor_sign": False,
        "seats": 120,
    }
    assert set(restaurant.guidance.decide(answers)) == {"FIRE-GZJHCS", "WATER-PSXK"}
    assert elsewhere.decide(answers) == ()


@pytest.mark.parametrize(
    ("status", "selected"), [("none", False), ("repaid", False), ("with_mortgage", True)]
)
def test_housing_asks_about_the_mortgage_and_registers_it_with_the_transfer(
    references, status, selected
):
    housing = references["second-hand-housing"]
    answers = {**housing.sample, "property.mortgage_status": status}
    decided = housing.decide(answers)
    assert ("REALTY-DYDJ" in decided) is selected
    form = housing.form.for_items(housing.definition.selected_items(decided))
    assert ("mortgage.lender" in form) is selected
    done = housing.run(housing.definition.selected_items(decided)).done
    assert ("Task_Mortgage" in done) is selected
    if selected:  # 带押过户: the mortgage is registered together with the transfer
        assert done.index("Task_Transfer") < done.index("Task_Mortgage") < done.index("Task_Water")


@pytest.mark.parametrize(
    ("operator_form", "held", "reason"),
    [
        # A registered company holding its 营业执照: called up by name and number.
        ("enterprise", (("营业执照", "91441322MA4X0001X8"),),
         "已调用电子证照《营业执照》（证号 91441322MA4X0001X8）"),
        # Holding none: the platform would have issued it, so it is asked.
        ("enterprise", (), None),
        # 个体工商户设立登记 issues a 营业执照 in this very case.
        ("individual", (), "由本主题“个体工商户设立登记”办理后生成，无需提交"),
    ],
)  # fmt: skip
def test_a_business_licence_is_exempt_by_what_the_applicant_holds(
    references, catalog, operator_form, held, reason
):
    restaurant = references["restaurant-opening"]
    answers = restaurant_answers(
        references, **{"enterprise.registered": operator_form == "enterprise",
                       "operator.form": operator_form}
    )  # fmt: skip
    selected = restaurant.definition.selected_items(restaurant.decide(answers))
    materials = merge_materials(
        [catalog.item(c) for c in selected], holdings=Holdings(held=held)
    ).materials
    licence = next(m for m in materials if m.code == "CL-YYZZ")
    assert licence.exempt_reason == reason
    # A 居民身份证 comes from the national library: exempt by the catalog's flag still.
    (identity,) = [m for m in materials if m.code == "CL-FDDBRSFZM"] or [None]
    assert identity is None or identity.exempt


def _restaurant_materials(references, catalog, holdings):
    restaurant = references["restaurant-opening"]
    answers = restaurant_answers(references, **{"enterprise.registered": True})
    selected = restaurant.definition.selected_items(restaurant.decide(answers))
    materials = merge_materials([catalog.item(c) for c in selected], holdings=holdings).materials
    return {m.code: m for m in materials}


def test_the_provincial_library_s_answer_rules_over_the_catalog_flag(references, catalog):
    # The library answered and holds no 居民身份证 of the legal representative: asked.
    answered = _restaurant_materials(references, catalog, Holdings(held=(), complete=True))
    identity = answered["CL-FDDBRSFZM"]
    assert not identity.exempt and identity.licence_notice is None
    # It holds one: called up by its number (masked: a card's number is the ID number).
    held = Holdings(held=(("居民身份证", "441302199203050028"),), complete=True)
    assert _restaurant_materials(references, catalog, held)["CL-FDDBRSFZM"].exempt_reason == (
        "已调用电子证照《居民身份证》（证号 441302********0028）"  # an ID number: masked
    )
    # It did not answer: asked, and the applicant is told why.
    down = Holdings(held=(), unavailable="省电子证照库暂不可用，请上传该材料")
    for code in ("CL-FDDBRSFZM", "CL-YYZZ"):
        material = _restaurant_materials(references, catalog, down)[code]
        assert not material.exempt
        assert material.licence_notice == "省电子证照库暂不可用，请上传该材料"
    # What the local wallet holds still exempts while the library is down.
    local = Holdings(held=(("营业执照", "91441322MA4X0001X8"),), unavailable="x")
    licence = _restaurant_materials(references, catalog, local)["CL-YYZZ"]
    assert licence.exempt and licence.licence_notice is None
