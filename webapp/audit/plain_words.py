"""The applicant's timeline in plain words: what happened to their application, said to them.

Staff read the audit labels (`trail.EVENT_LABELS`); an applicant reads a sentence about
their own case — which material, what date, why — without the workbench's vocabulary.
What an applicant may see at all is the access policy's answer (`can_see_event`).
"""

from __future__ import annotations

from webapp.audit.models import AuditEvent
from webapp.audit.trail import EVENT_LABELS

# {material}, {promised_date}, {reason}, {title}: taken from the event's after/before document.
PLAIN_WORDS = {
    "case.submitted": "您提交了申请",
    "case.parties_recorded": "登记了申请中的当事人",
    "case.party_confirmed": "{name} 用本人账号确认了共同申请",
    "case.confirmations_reset": "申请已补正修改，另一方须重新确认共同申请",
    "case.accepted": "综合窗口已受理您的申请，各部门开始办理",
    "case.accepted_with_gap": "综合窗口已容缺受理您的申请，请按承诺补齐材料",
    "case.refused": "综合窗口不予受理：{reason}",
    "case.correction_requested": "综合窗口请您补正（一次性告知），补正期间不计办理时限",
    "case.resubmitted": "您提交了补正，申请回到综合窗口",
    "case.withdrawn": "您撤回了申请",
    "case.terminated": "办件终止：{reason}",
    "case.completed": "统一出件，办件办结",
    "case.moved": "办件转入更新后的办理流程继续办理，已办理的部分不受影响",
    "material.uploaded": "上传了材料：{material}",
    "material.removed": "删除了一个材料文件",
    "material.paper_declared": "声明到窗口提交纸质件：{material}",
    "material.paper_withdrawn": "取消了纸质件声明：{material}",
    "material.paper_received": "综合窗口已核收纸质材料：{material}",
    "gap.recorded": "容缺材料：{material}，请在 {promised_date} 前补齐",
    "gap.received": "容缺材料已确认补齐：{material}",
    "gap.overdue": "容缺材料已逾期未补：{material}",
    "task.opened": "事项开始办理",
    "task.granted": "事项已{words}",
    "task.denied": "事项{words}：{reason}",
    "task.delivered": "结果已出件",
    "licence.issued": "电子证照已发放到您的证照夹",
    "rating.given": "您评价了“{target}”：{level}",
    "rating.rectified": "牵头部门已就您对“{target}”的评价整改并答复",
    "instrument.issued": "出具文书：{title}",
    "clock.paused": "计时暂停（不计入办理时限）",
    "clock.resumed": "计时恢复",
    "special.started": "事项进入特别程序：{kind}（所需时间不计入办理时限）",
    "special.ended": "特别程序（{kind}）已结束，继续办理",
    "extension.approved": "经本机关负责人批准，办理期限延长 {days} 个工作日",
    "supplement.requested": "审批部门请您补交材料：{materials}（补正期间不计入办理时限）",
    "supplement.received": "补正材料已收到，继续办理",
    "promise.signed": "您签署了告知承诺书",
    "post_check.refuted": "事后核查发现承诺内容与实际不符",
    "decision.revoked": "决定已撤销：{reason}",
    "credit.recorded": "虚假承诺已记入信用记录",
}
# Tasks outside BPMN open with their own sentence (not "事项开始办理").
TASK_OPENED_BY_KIND = {
    "rectification": "您的评价已转{department}整改，整改后将答复您",
    # The supervisor's message stays internal; the applicant learns that someone pushes.
    "urge_reply": "效能监督已督促承办部门加快办理",
    "special": "特别程序开始",
    "extension": "延期申请已报本机关负责人审批",
    "post_check": "告知承诺事项进入事后核查",
}


def plain_words(event: AuditEvent) -> str:
    """One sentence for the applicant; the staff label when there is no sentence for it."""
    template = PLAIN_WORDS.get(event.action)
    if event.action == "task.opened":
        template = TASK_OPENED_BY_KIND.get((event.after or {}).get("kind"), template)
    if template is None:
        return EVENT_LABELS.get(event.action, event.action)
    facts = {**(event.before or {}), **(event.after or {})}
    outcome = facts.get("outcome") if isinstance(facts.get("outcome"), dict) else {}
    values = {
        "material": facts.get("material") or facts.get("material_code") or "",
        "promised_date": facts.get("promised_date") or "",
        "name": facts.get("name") or "当事人",
        "reason": facts.get("reason") or outcome.get("reason") or "见办件详情",
        "title": facts.get("title") or "",
        "target": facts.get("target") or "",
        "level": facts.get("level_label") or "",
        "department": "牵头部门",
        "kind": facts.get("kind") or "",
        "days": facts.get("days") or "",
        "materials": "、".join(facts.get("materials") or []),
        # The item's own decision words (予以登记, 办结 …); events before they were kept
        # said 准予 / 不予许可.
        "words": facts.get("words") or ("不予许可" if event.action == "task.denied" else "准予"),
    }
    return template.format(**values)
