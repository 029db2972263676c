"""Writing notifications: one outbox row per recipient and channel, in the caller's
transaction (the transaction of the event it reports), each with its own idempotency key.

Public functions (the shared piece every "tell the applicant / the department" reuses):
- `notify_case(session, event, case, **variables)`: tell everyone the case concerns — its
  submitter and the accounts of its parties (as the access policy lets them see it) — on
  the channels each has chosen; a case staff submitted for a party without an account
  (帮办代办) goes by SMS to the mobile the party gave at the window.
- `notify_user(session, event, user, case=None, **variables)`: one account.
- `send_code(session, mobile, code, purpose)`: a one-time code by SMS to a number.
Templates are files per event (notifications/templates.py); SMS texts are masked.
"""

from __future__ import annotations

import uuid

from flask import current_app, has_app_context
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, lazyload

from webapp import access_policy
from webapp.accounts.models import User
from webapp.cases.models import Case
from webapp.clock import now
from webapp.notifications import templates
from webapp.notifications.models import Channel, OutboxMessage, OutboxStatus
from webapp.parties.models import CaseParty, PartyAccount

# Events later issues may add to: each needs a template file of the same name.
EVENTS = (
    "received",
    "confirmation_requested",
    "accepted",
    "correction_requested",
    "refused",
    "item_decided",
    "result_ready",
    "gap_due_soon",
    "verification_code",
    "licence_revoked",
    "task_urged",  # 效能监督: 催办 to the task's department
    "task_red_card",  # 效能监督: a red card (and its escalations) to the head and supervisors
)


def channels_of(user: User) -> list[Channel]:
    """The channels the user chose that can reach them (SMS needs a verified mobile)."""
    chosen = set(user.notify_channels or [])
    result = []
    if Channel.IN_APP in chosen:
        result.append(Channel.IN_APP)
    if Channel.SMS in chosen and user.mobile and user.mobile_verified_at is not None:
        result.append(Channel.SMS)
    return result


def case_recipients(session: Session, case: Case) -> list[User]:
    """The submitter and every account acting for a party of the case that may see it."""
    # One statement for the usual case (the submitter, maybe acting for their company too):
    # the submitter and the accounts linked to the case's parties, roles loaded only if
    # asked; each other account is checked against the access policy.
    linked = (
        select(PartyAccount.user_id)
        .join(CaseParty, CaseParty.party_id == PartyAccount.party_id)
        .where(CaseParty.case_id == case.id)
    )
    stmt = (
        select(User)
        .where(or_(User.id == case.applicant_id, User.id.in_(linked)))
        .options(lazyload(User.role_grants))
    )
    users = sorted(session.scalars(stmt), key=lambda u: (u.id != case.applicant_id, u.id))
    return [
        user
        for user in users
        if user.active and (user.id == case.applicant_id or access_policy.is_case_party(user, case))
    ]


def notify_case(session: Session, event: str, case: Case, **variables) -> list[OutboxMessage]:
    rows = []
    for user in case_recipients(session, case):
        # 帮办代办: the staff member who submitted for the party is not the one to tell.
        if case.assisted_by_id is not None and user.id == case.assisted_by_id:
            continue
        rows += notify_user(session, event, user, case=case, **variables)
    if case.assisted_by_id is not None and case.applicant_id == case.assisted_by_id:
        rows += _notify_party_mobiles(session, event, case, **variables)
    return rows


def _notify_party_mobiles(session: Session, event: str, case: Case, **variables):
    """A case submitted for a party without an account: an SMS to the mobile the party gave
    at the window (once per number)."""
    rows, sent = [], set()
    for row in case.parties:
        if row.role != "applicant" or not row.mobile or row.mobile in sent:
            continue
        sent.add(row.mobile)
        values = {
            "name": templates.mask_name(row.party.name),
            "case_no": case.case_no,
            "theme": case.theme_version.theme.name,
            **variables,
        }
        rendered = templates.render(_templates_dir(), event, values)
        rows.append(
            _write(
                session,
                event,
                Channel.SMS,
                title=rendered.title,
                body=rendered.sms,
                user=None,
                mobile=row.mobile,
                case=case,
            )  # fmt: skip
        )
    return rows


def notify_user(
    session: Session, event: str, user: User, case: Case | None = None, **variables
) -> list[OutboxMessage]:
    values = {"name": templates.mask_name(user.display_name), **variables}
    if case is not None:
        values.setdefault("case_no", case.case_no)
        values.setdefault("theme", case.theme_version.theme.name)
    rendered = templates.render(_templates_dir(), event, values)
    rows = []
    for channel in channels_of(user):
        rows.append(
            _write(
                session,
                event,
                channel,
                title=rendered.title,
                body=rendered.sms if channel == Channel.SMS else rendered.body,
                user=user,
                mobile=user.mobile if channel == Channel.SMS else None,
                case=case,
            )
        )
    return rows


def send_code(session: Session, mobile: str, code: str, purpose: str, minutes: int):
    rendered = templates.render(
        _templates_dir(),
        "verification_code",
        {"code": code, "purpose": purpose, "minutes": str(minutes)},
    )
    return _write(
        session, "verification_code", Channel.SMS, title=rendered.title, body=rendered.sms,
        user=None, mobile=mobile, case=None,
    )  # fmt: skip


def _write(session, event, channel, *, title, body, user, mobile, case) -> OutboxMessage:
    at = now()
    row = OutboxMessage(
        key=uuid.uuid4().hex,
        event=event,
        channel=channel.value,
        user_id=user.id if user is not None else None,
        mobile=mobile,
        case_id=case.id if case is not None else None,
        title=title[:128],
        body=body[:1000],
        created_at=at,
        status=OutboxStatus.PENDING,
        attempts=0,
        next_attempt_at=at,
    )
    # Written with the request's next flush: a message alone needs no round trip of its
    # own (and must not write the case row early, half-way through a step).
    session.add(row)
    return row


def _templates_dir():
    # Services also run outside an app (scripts, benchmarks): the shipped templates then.
    if has_app_context():
        return current_app.config["NOTIFICATION_TEMPLATES_DIR"]
    return templates.DEFAULT_DIR
