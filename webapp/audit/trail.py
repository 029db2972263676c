"""Writing the audit trail. Every state change in a service calls `record` once; each
event is linked into its hash chain in the same transaction (audit/chain.py)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp import access_policy
from webapp.accounts.models import User
from webapp.audit import chain
from webapp.audit.models import AuditEvent
from webapp.cases.models import Case, CaseTask
from webapp.clock import now
from webapp.themes.models import Theme

# What each event is called in timelines (the workbench's buttons have their own verbs).
EVENT_LABELS = {
    "case.submitted": "提交申请",
    "case.submission_token": "登记提交凭据（防止重复提交）",
    "case.accepted": "综合受理",
    "task.granted": "准予",
    "case.completed": "统一出件，办结",
    "case.accepted_with_gap": "容缺受理",
    "case.refused": "不予受理",
    "case.correction_requested": "一次性告知补正",
    "case.resubmitted": "申请人补正后重新提交",
    "case.terminated": "办件终止",
    "case.withdrawn": "申请人撤回",
    "task.delivered": "出件",
    "case.card_yellow": "办件黄牌预警",
    "case.card_red": "办件红牌（超期）",
    "case.card_none": "办件预警解除",
    "task.opened": "任务到达",
    "task.cancelled": "任务取消",
    "task.claimed": "认领任务",
    "task.unclaimed": "取消认领",
    "task.assigned": "转交任务",
    "task.denied": "不予",
    "task.card_yellow": "黄牌预警",
    "task.card_red": "红牌（超期）",
    "task.card_none": "预警解除",
    "task.legal_overdue": "超过法定时限",
    "calendar.imported": "录入节假日安排",
    "gap.recorded": "登记容缺材料",
    "gap.received": "容缺材料已补齐",
    "gap.overdue": "容缺材料逾期未补",
    "clock.paused": "计时暂停",
    "clock.resumed": "计时恢复",
    "timer.fired": "定时事件触发",
    "timer.failed": "定时事件出错",
    "licence.issued": "电子证照入库",
    "licence.revoked": "撤销电子证照",
    "rating.given": "申请人评价",
    "rating.rectified": "差评整改答复",
    "instrument.issued": "出具文书",
    "comment.added": "添加备注",
    "material.uploaded": "上传材料",
    "material.removed": "删除材料",
    "material.paper_declared": "声明窗口提交纸质件",
    "material.paper_withdrawn": "撤销纸质件声明",
    "material.paper_received": "窗口核收纸质材料",
    "draft.material_uploaded": "草稿上传材料",
    "draft.material_removed": "草稿删除材料",
    "draft.saved": "保存申请草稿",
    "theme.draft_saved": "保存草稿",
    "draft.submitted": "申请草稿已提交为办件",
    "theme.published": "发布新版本",
    "theme.loaded": "载入主题",
    "case.moved": "迁移到主题新版本",
    "catalog.item_draft_saved": "保存事项草稿",
    "catalog.item_draft_discarded": "放弃事项草稿",
    "catalog.item_published": "发布事项",
    "user.created": "创建账号",
    "user.role_granted": "授予角色",
    "user.password_changed": "修改密码",
    "user.password_reset": "管理员重置密码",
    "user.registered": "申请人实名注册",
    "user.password_reset_by_code": "短信验证码重设密码",
    "user.channels_changed": "修改通知方式",
    "party.account_linked": "账号关联当事人",
    "case.parties_recorded": "登记当事人",
    "case.party_confirmed": "当事人确认共同申请",
    "case.confirmations_reset": "申请已修改，共同申请须重新确认",
}


def record(
    session: Session,
    actor: User | None,
    action: str,
    *,
    case: Case | None = None,
    task: CaseTask | None = None,
    theme: Theme | None = None,
    before: dict | None = None,
    after: dict | None = None,
    detail: str | None = None,
) -> AuditEvent:
    event = AuditEvent(
        at=now(),  # set here, not by the database: the hash covers it
        actor_id=actor.id if actor else None,
        action=action,
        case_id=case.id if case else None,
        task_id=task.id if task else None,
        theme_id=theme.id if theme else None,
        before=before,
        after=after,
        detail=detail,
    )
    chain.link(session, event)
    return event


def case_timeline(session: Session, case: Case, viewer: User) -> list[AuditEvent]:
    """The case's events that `viewer` may see, oldest first."""
    stmt = select(AuditEvent).where(AuditEvent.case_id == case.id).order_by(AuditEvent.id)
    return [e for e in session.scalars(stmt) if access_policy.can_see_event(viewer, e.action)]
