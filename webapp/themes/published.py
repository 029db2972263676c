"""A published theme version, typed: its definition document read once into frozen objects.

`ThemeVersion.definition` is the document `themes/shipped.py` writes (routing, items with
their departments and terms, the merged form, the material set, the notice facts). This
module is the only reader of that document: services, views and templates get a
`PublishedTheme`, cached per version (versions are immutable).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from forms import MaterialSet, MergedForm, ThemeDefinition, ThemeItem
from forms.item_types import DecisionWords, decision_words
from forms.items import ONE_LEVEL, ApprovalLevel, PromiseTerms
from forms.notice import NoticeSource
from forms.themes import (
    DEFAULT_DESK_DAYS,
    DEFAULT_YELLOW_CARD_AT,
    SELECTED_BY_GUIDANCE,
    LocalSetting,
)
from webapp.cases.models import TaskKind
from webapp.process_cache import ProcessCache, version_key
from webapp.themes.models import ThemeVersion

ON_DENIAL_LABELS = {
    "terminate": "任一事项未获准予（不予许可、不予登记或不予办理）时办件终止",
    "continue": "其他事项继续办理",
}


@dataclass(frozen=True)
class ItemResultTerms:
    """What granting the item produces (营业执照, 不动产权证书 …)."""

    name: str
    type: str | None
    e_licence: bool


@dataclass(frozen=True)
class PublishedItem:
    code: str
    name: str
    task: str  # the BPMN task that does the item
    department: str | None  # department code
    department_name: str
    promised_days: Decimal | None  # 承诺时限, working days (calendar days if calendar_days)
    legal_days: Decimal | None  # 法定时限
    result: ItemResultTerms | None
    selected_by: str | None = None  # "guidance": only when the decision table selects it
    condition: str | None = None  # versions before guidance tables: a yes/no answer key
    # 事项类型 (the 6+1); versions published before it was kept say nothing, and get the
    # public-service words rather than a licence's (forms/item_types.py).
    type: str = ""
    calendar_days: bool = False  # its limits count 自然日
    # Steps inside the department, the last one decides (one level unless the catalog says).
    levels: tuple[ApprovalLevel, ...] = ONE_LEVEL
    promise: PromiseTerms | None = None  # 告知承诺制

    @property
    def words(self) -> DecisionWords:
        return decision_words(self.type)

    @property
    def guided(self) -> bool:
        return self.selected_by == SELECTED_BY_GUIDANCE

    @property
    def conditional(self) -> bool:
        return self.guided or bool(self.condition)


@dataclass(frozen=True)
class PublishedTheme:
    code: str
    name: str
    acceptance_task: str
    delivery_task: str
    on_denial: str  # "terminate" | "continue"
    yellow_card_at: Decimal
    items: tuple[PublishedItem, ...]
    variables: Mapping[str, str]  # BPMN variable → item code (legacy: → answer key)
    questions: tuple[str, ...]  # guidance question field keys, in asking order
    # Guidance variable → field key; None for versions published before guidance tables.
    question_variables: Mapping[str, str] | None
    form: MergedForm  # the whole-theme merged form
    materials: MaterialSet  # the whole-theme material set
    notice: NoticeSource | None  # None for versions published before notices were kept
    # BPMN user task → the department code of its lane (the version's compiled routing).
    task_departments: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    acceptance_days: Decimal = DEFAULT_DESK_DAYS  # 受理, working days
    delivery_days: Decimal = DEFAULT_DESK_DAYS  # 出件, working days
    settings: tuple[LocalSetting, ...] = ()  # local thresholds the guidance table reads
    # 共同申请 (不动产登记暂行条例 §14): repeating group key → party role (seller, buyer);
    # empty when one applicant alone may apply.
    joint_application: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def guided(self) -> bool:
        return self.question_variables is not None

    @property
    def on_denial_label(self) -> str:
        return ON_DENIAL_LABELS[self.on_denial]

    def task_kind(self, bpmn_id: str | None) -> TaskKind:
        if bpmn_id == self.acceptance_task:
            return TaskKind.ACCEPTANCE
        if bpmn_id == self.delivery_task:
            return TaskKind.DELIVERY
        return TaskKind.ITEM

    def item(self, code: str | None) -> PublishedItem | None:
        return next((i for i in self.items if i.code == code), None)

    def item_of_task(self, bpmn_id: str | None) -> PublishedItem | None:
        return next((i for i in self.items if i.task == bpmn_id), None)

    def words(self, item_code: str | None) -> DecisionWords:
        """The decision words of an item of this theme (by its type; 办结 if unknown)."""
        item = self.item(item_code)
        return item.words if item is not None else decision_words("")

    @property
    def conditional_items(self) -> tuple[str, ...]:
        """Items only the guidance (or, in old versions, an answer) selects, in theme order."""
        return tuple(i.code for i in self.items if i.conditional)

    @property
    def guided_items(self) -> tuple[str, ...]:
        return tuple(i.code for i in self.items if i.guided)

    def field_label(self, key: str) -> str:
        return self.form.field(key).label if key in self.form else key


def load_published_theme(
    definition: Mapping[str, Any], human_tasks: Mapping[str, Mapping[str, Any]] | None = None
) -> PublishedTheme:
    """Read a definition document (as stored on a theme or a version) into a PublishedTheme;
    `human_tasks` is a version's routing of its user tasks (none for an unpublished theme)."""
    question_variables = definition.get("question_variables")
    return PublishedTheme(
        code=definition["code"],
        name=definition["name"],
        acceptance_task=definition["acceptance_task"],
        delivery_task=definition["delivery_task"],
        on_denial=definition.get("on_denial", "terminate"),
        yellow_card_at=Decimal(str(definition.get("yellow_card_at", DEFAULT_YELLOW_CARD_AT))),
        items=tuple(_item(i) for i in definition.get("items", [])),
        variables=MappingProxyType(dict(definition.get("variables", {}))),
        questions=tuple(definition.get("questions", [])),
        question_variables=(
            MappingProxyType(dict(question_variables)) if question_variables is not None else None
        ),
        form=MergedForm.from_dict(definition["form"]),
        materials=MaterialSet.from_dict(definition["materials"]),
        notice=NoticeSource.from_dict(definition["notice"]) if "notice" in definition else None,
        task_departments=MappingProxyType(
            {bpmn_id: task["department"] for bpmn_id, task in (human_tasks or {}).items()}
        ),
        acceptance_days=Decimal(str(definition.get("acceptance_days", DEFAULT_DESK_DAYS))),
        delivery_days=Decimal(str(definition.get("delivery_days", DEFAULT_DESK_DAYS))),
        settings=_settings(definition),
        joint_application=MappingProxyType(dict(definition.get("joint_application") or {})),
    )


def theme_choices(
    definition: Mapping[str, Any], *, lead_department: str, summary: str
) -> ThemeDefinition:
    """The theme's own choices (items and their tasks, questions, variables) read back from
    a stored definition, to rebuild the document with another catalog (an edited item)."""
    return ThemeDefinition(
        code=definition["code"],
        name=definition["name"],
        lead_department=lead_department,
        summary=summary,
        acceptance_task=definition["acceptance_task"],
        delivery_task=definition["delivery_task"],
        items=tuple(
            ThemeItem(i["code"], i["task"], i.get("selected_by")) for i in definition["items"]
        ),
        questions=dict(definition.get("question_variables") or {}),
        guidance_file=definition.get("guidance"),
        variables=dict(definition.get("variables", {})),
        on_denial=definition.get("on_denial", "terminate"),
        yellow_card_at=Decimal(str(definition.get("yellow_card_at", DEFAULT_YELLOW_CARD_AT))),
        acceptance_days=Decimal(str(definition.get("acceptance_days", DEFAULT_DESK_DAYS))),
        delivery_days=Decimal(str(definition.get("delivery_days", DEFAULT_DESK_DAYS))),
        settings=_settings(definition),
        joint_application=dict(definition.get("joint_application") or {}),
        wish=(definition.get("portal") or {}).get("wish", ""),
        audience=(definition.get("portal") or {}).get("audience", ""),
        event=(definition.get("portal") or {}).get("event", ""),
    )


def _settings(definition: Mapping[str, Any]) -> tuple[LocalSetting, ...]:
    return tuple(
        LocalSetting(s["name"], s["label"], Decimal(s["value"]), s["unit"], s["description"])
        for s in definition.get("settings", [])
    )


def item_codes(definition: Mapping[str, Any]) -> tuple[str, ...]:
    """The codes of a stored definition's items, in theme order."""
    return tuple(i["code"] for i in definition.get("items", []))


def _item(data: Mapping[str, Any]) -> PublishedItem:
    result = data.get("result")
    return PublishedItem(
        code=data["code"],
        name=data["name"],
        task=data["task"],
        department=data.get("department"),
        department_name=data.get("department_name", ""),
        promised_days=_days(data.get("promised_days")),
        legal_days=_days(data.get("legal_days")),
        result=(
            ItemResultTerms(
                result.get("name", ""), result.get("type"), bool(result.get("e_licence"))
            )
            if result
            else None
        ),
        selected_by=data.get("selected_by"),
        condition=data.get("condition"),
        type=data.get("type", ""),
        calendar_days=data.get("days_unit") == "自然日",
        levels=tuple(ApprovalLevel(lv["name"], lv["role"]) for lv in data["approval_levels"])
        if data.get("approval_levels")
        else ONE_LEVEL,
        promise=PromiseTerms(data["promise"]["text"], int(data["promise"]["check_days"]))
        if data.get("promise")
        else None,
    )


def form_document(definition: Mapping[str, Any]) -> dict[str, Any]:
    """The form and material set a version also keeps on their own (`ThemeVersion.form`)."""
    return {"form": definition["form"], "materials": definition["materials"]}


def _days(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


_PUBLISHED: ProcessCache[PublishedTheme] = ProcessCache("published themes")


def published_theme(version: ThemeVersion) -> PublishedTheme:
    """The version's typed theme, read once per process."""
    return _PUBLISHED.get(
        version_key(version),
        lambda: load_published_theme(version.definition, version.human_tasks),
    )
