"""The instruments a case's acts issue, each with the facts it must say (DOMAIN.md §9).

One function per act, called by the service that performs it, in its transaction. The
facts are read from the case now and frozen into the instrument: the theme, the catalog
or the case changing later does not change what was handed over.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from forms.item_types import decision_words
from webapp.accounts.models import User
from webapp.cases.case_forms import materials_to_hand_in
from webapp.cases.models import Case, CaseTask
from webapp.front_desk.models import MaterialGap
from webapp.materials import hand_in
from webapp.materials.files import files_of
from webapp.themes.published import published_theme

from .issuing import issue
from .models import Instrument

# 行政许可法 §32: what the window decides on an application, and on what ground.
ACCEPTANCE_BASIS = "《中华人民共和国行政许可法》第三十二条"
ONLINE_RECEIPT = "一件事集成服务平台（网上申请，系统自动接收）"
CORRECTION_HOW = (
    "请登录一件事集成服务平台，在本办件页面点击“补正”，按本告知书修改申请表、上传材料后"
    "重新提交；需要提交纸质件的，请携带原件到综合受理窗口。补正期间不计入办理时限。"
)
GAP_CONSEQUENCE = (
    "申请人承诺在上述日期前补齐材料。材料补齐前，审批可以继续进行，但办理结果暂缓出件；"
    "逾期未补齐的，将记录逾期并通知申请人，办理结果继续暂缓出件，直至补齐。"
)


def _items(case: Case) -> list[dict]:
    theme = published_theme(case.theme_version)
    selected = set(case.selected_items)
    return [
        {
            "code": i.code,
            "name": i.name,
            "department": i.department_name,
            "promised": _promised(i.promised_days),
        }
        for i in theme.items
        if not selected or i.code in selected
    ]


def _promised(days) -> str:
    if days is None:
        return "按法定时限"
    return "即办" if days == 0 else f"{days.normalize():f} 个工作日"


def _notice_item(case: Case, item_code: str | None):
    notice = published_theme(case.theme_version).notice
    if notice is None or item_code is None:
        return None
    return next((i for i in notice.items if i.code == item_code), None)


def issue_receipt(
    session: Session,
    applicant: User,
    case: Case,
    *,
    applicant_name: str | None = None,
    received_by: str | None = None,
) -> Instrument:
    """收件凭证 (seed 002, attachment 2): what was received, when, by whom, the query code.
    帮办代办 names the party as the applicant and the point and staff member who received."""
    files = files_of(session, case)
    paper = hand_in.paper_of(session, case)
    received = []
    for m in materials_to_hand_in(case).values():
        count = sum(1 for f in files if f.material_code == m.code)
        on_paper = m.code in paper and paper[m.code].declared_at is not None
        if count:
            form = f"电子件 {count} 个文件"
        elif on_paper:
            form = "纸质件（申请人声明到窗口提交，待核收）"
        else:
            continue
        received.append(
            {"name": m.name, "original_or_copy": m.original_or_copy, "copies": m.copies,
             "form": form}
        )  # fmt: skip
    facts = {
        "submitted_at": case.submitted_at.isoformat(),
        "applicant": applicant_name or applicant.display_name,
        "received_by": received_by or ONLINE_RECEIPT,
        "items": _items(case),
        "materials": received,
        "query_code": case.query_code,
    }
    return issue(session, applicant, case, "receipt", facts)


def issue_acceptance(
    session: Session, actor: User, case: Case, gaps: list[MaterialGap]
) -> list[Instrument]:
    """受理通知书, and with 容缺 the 容缺受理告知承诺书."""
    contacts = []
    for item in _items(case):
        facts = _notice_item(case, item["code"])
        if facts is not None and facts.phone:
            contacts.append({"department": item["department"], "phone": facts.phone})
    issued = [
        issue(
            session,
            actor,
            case,
            "acceptance",
            {
                "submitted_at": case.submitted_at.isoformat(),
                "accepted_at": case.accepted_at.isoformat(),
                "items": _items(case),
                "promised_at": case.promised_at.isoformat() if case.promised_at else None,
                "contacts": contacts,
                "basis": ACCEPTANCE_BASIS,
                "clerk": actor.display_name,
                "with_gap": bool(gaps),
            },
        )
    ]
    if gaps:
        facts = {
            "accepted_at": case.accepted_at.isoformat(),
            "gaps": [
                {"material": g.material_name, "promised_date": g.promised_date.isoformat()}
                for g in gaps
            ],
            "consequence": GAP_CONSEQUENCE,
        }
        issued.append(issue(session, actor, case, "gap_promise", facts))
    return issued


def issue_refusal(session: Session, actor: User, case: Case, reason: str) -> Instrument:
    """不予受理决定书: reason, legal basis, 复议/诉讼 rights (in the template)."""
    facts = {
        "refused_at": case.completed_at.isoformat(),
        "reason": reason,
        "basis": ACCEPTANCE_BASIS,
    }
    return issue(session, actor, case, "refusal", facts)


def issue_correction(session: Session, actor: User, case: Case) -> Instrument:
    """一次性补正告知书: every field and material to fix, at once; where and how."""
    correction = case.correction or {}
    facts = {
        "requested_at": correction.get("requested_at"),
        "fields": [f["label"] for f in correction.get("fields", [])],
        "materials": [m["name"] for m in correction.get("materials", [])],
        "note": correction.get("note") or "",
        "how": CORRECTION_HOW,
        "basis": ACCEPTANCE_BASIS,
    }
    return issue(session, actor, case, "correction", facts)


def issue_decision(session: Session, actor: User, case: Case, task: CaseTask) -> Instrument:
    """准予/不予 决定书 of one item, titled by its item type; 不予 with reason, basis, rights."""
    outcome = task.outcome or {}
    notice_item = _notice_item(case, task.item_code)
    words = decision_words(notice_item.type if notice_item else "")
    granted = outcome.get("decision") == "granted"
    facts = {
        "item": task.name,
        "department": task.department.name,
        "decided_at": task.completed_at.isoformat(),
        "decision": words.grant if granted else words.deny,
        "opinion": outcome.get("opinion") or "",
        "reason": outcome.get("reason") or "",
        "result_name": outcome.get("result_name") or "",
        "result_no": outcome.get("result_no") or "",
        "basis": list(notice_item.legal_basis) if notice_item else [],
    }
    return issue(
        session,
        actor,
        case,
        "grant" if granted else "denial",
        facts,
        title=words.grant_title if granted else words.deny_title,
        office=task.department.name,
    )


def issue_delivery(session: Session, actor: User, case: Case, outcome: dict) -> Instrument:
    """出件通知书: what was delivered, how, the tracking number."""
    facts = {
        "delivered_at": (case.delivery or {}).get("delivered_at"),
        "method": outcome["method_label"],
        "tracking_no": outcome.get("tracking_no") or "",
        "note": outcome.get("note") or "",
        "results": [
            {
                "task": r["task"],
                "department": r["department"],
                "decision": "不予" if r["decision"] == "denied" else "准予",
                "result_name": r["result_name"],
                "result_no": r["result_no"],
                "e_licence": r["e_licence"],
            }
            for r in outcome.get("results", [])
        ],
        "clerk": actor.display_name,
    }
    return issue(session, actor, case, "delivery", facts)
