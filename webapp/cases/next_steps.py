"""What the applicant should do next, for every state of a case: the one place for that text.

The "我的办件" list and the case page both show it next to the status label
(`CaseStatus.label`), so no state leaves the applicant without a word.
"""

from __future__ import annotations

from webapp.cases.models import Case, CaseStatus

NEXT_STEPS: dict[CaseStatus, str] = {
    CaseStatus.SUBMITTED: "等待综合窗口受理；选择窗口提交纸质件的材料，请带原件到综合窗口",
    CaseStatus.CORRECTION: "请按一次性告知补正的内容修改申请、补交材料后重新提交",
    CaseStatus.REFUSED: "不予受理，理由见办件详情；如有异议可申请行政复议或提起行政诉讼",
    CaseStatus.IN_PROGRESS: "各部门正在审批，无需操作；办结后统一出件",
    CaseStatus.TERMINATED: "办件已终止，原因见办件详情；如有异议可申请行政复议或提起行政诉讼",
    CaseStatus.WITHDRAWN: "您已撤回申请；如需办理，请重新申请",
    CaseStatus.COMPLETED: "已办结出件；电子证照可在办件详情中查看",
}
GAP_STEP = "请在承诺日期前上传容缺材料（或送到综合窗口）：{materials}"


def next_step(case: Case) -> str:
    """The next step for the case's applicant, in plain words."""
    status = CaseStatus(case.status)
    open_gaps = [g.material_name for g in case.gaps if g.received_at is None]
    if status == CaseStatus.IN_PROGRESS and open_gaps:
        return GAP_STEP.format(materials="、".join(open_gaps))
    return NEXT_STEPS[status]
