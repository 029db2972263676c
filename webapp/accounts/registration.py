"""Applicants' own accounts: real-name self-registration (name, 居民身份证号, a mobile
proven by a one-time code), password reset by the same channel, their notification
channels, and what their profile fills into forms.

The account is the person (当事人) of that ID number (parties/): cases that name the person
— now or later — appear in the account, as the access policy allows.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session
from stdnum import exceptions as stdnum_errors

from forms.identifiers import validate_resident_id
from webapp.accounts import one_time_codes, sessions
from webapp.accounts.models import Role, RoleGrant, User
from webapp.audit import trail
from webapp.clock import now
from webapp.domain_errors import Conflict, Invalid
from webapp.notifications.models import Channel
from webapp.parties import case_parties
from webapp.parties.models import Capacity, PartyAccount

MOBILE_PATTERN = r"^1[3-9]\d{9}$"


def normalise_id_number(value: str) -> str:
    try:
        return validate_resident_id(value.strip().upper())
    except stdnum_errors.ValidationError:
        raise Invalid(
            "身份证号码有误", details=[{"field": "id_number", "message": "请核对身份证号码"}]
        ) from None


def check_free(session: Session, mobile: str, id_number: str) -> None:
    """Refuse a mobile or an ID number that already has an account (before sending a code)."""
    errors = []
    if session.scalars(select(User.id).where(User.mobile == mobile)).first() is not None:
        errors.append({"field": "mobile", "message": "该手机号已注册，可直接登录或找回密码"})
    party = case_parties.find_person(session, id_number)
    if (
        party is not None
        and session.scalars(
            select(PartyAccount.id).where(
                PartyAccount.party_id == party.id, PartyAccount.capacity == Capacity.SELF
            )
        ).first()
    ):
        errors.append({"field": "id_number", "message": "该身份证号已实名注册"})
    if errors:
        raise Conflict(errors[0]["message"], details=errors)


def register_applicant(
    session: Session, *, name: str, id_number: str, mobile: str, code: str, password: str
) -> User | str:
    """The new applicant account, or what to tell the person about the code (the caller
    commits either way, so a wrong code counts)."""
    id_number = normalise_id_number(id_number)
    check_free(session, mobile, id_number)
    sessions.check_new_password(password)
    problem = one_time_codes.check_code(session, mobile, "register", code)
    if problem:
        return problem
    return create_real_name_applicant(
        session, username=mobile, name=name, id_number=id_number, mobile=mobile, password=password
    )


def create_real_name_applicant(
    session: Session,
    *,
    username: str,
    name: str,
    id_number: str,
    mobile: str,
    password: str,
) -> User:
    """The applicant account of a real-name person, as self-registration stores it once the
    mobile is proven: the verified mobile, and the account linked as itself to the person
    of that (normalised, free) ID number. Audited as the person's own registration; the
    real-name demo accounts (accounts/users.py) are made by the same function."""
    user = User(
        username=username,
        display_name=name.strip(),
        mobile=mobile,
        mobile_verified_at=now(),
        notify_channels=[Channel.IN_APP.value, Channel.SMS.value],
    )
    user.set_password(password)
    user.role_grants.append(RoleGrant(role=Role.APPLICANT.value))
    session.add(user)
    session.flush()
    trail.record(
        session,
        user,
        "user.registered",
        after={"user": user.id, "role": Role.APPLICANT.value, "mobile_verified": True},
    )
    party = case_parties.person(session, id_number, name)
    case_parties.link_account(session, user, party, user, Capacity.SELF)
    return user


def reset_password(session: Session, mobile: str, code: str, password: str) -> User | str:
    """找回密码: the code sent to the account's verified mobile sets a new password; every
    session of the account ends. Returns the user, or what to tell the person."""
    sessions.check_new_password(password)
    problem = one_time_codes.check_code(session, mobile, "reset", code)
    if problem:
        return problem
    user = session.scalars(
        select(User).where(User.mobile == mobile, User.mobile_verified_at.is_not(None))
    ).first()
    if user is None or not user.active:
        return "验证码错误"
    user.set_password(password)
    sessions.end_other_sessions(session, user, None, "reset")
    trail.record(session, user, "user.password_reset_by_code", after={"user": user.username})
    return user


def account_with_mobile(session: Session, mobile: str) -> User | None:
    return session.scalars(
        select(User).where(User.mobile == mobile, User.mobile_verified_at.is_not(None))
    ).first()


def set_channels(session: Session, user: User, channels: list[str]) -> None:
    chosen = [c.value for c in Channel if c.value in channels]
    if not chosen:
        raise Invalid(
            "请至少选择一种通知方式", details=[{"field": "channels", "message": "至少选择一种"}]
        )
    before = list(user.notify_channels or [])
    user.notify_channels = chosen
    session.flush()
    trail.record(
        session, user, "user.channels_changed", before={"channels": before},
        after={"channels": chosen},
    )  # fmt: skip


def profile_answers(user: User) -> dict[str, str]:
    """What the profile fills into a form's identity fields (the applicant may change them)."""
    me = case_parties.own_person(user)
    values: dict[str, str] = {}
    if me is not None:
        values.update(
            {
                "applicant.name": me.name,
                "applicant.id_type": "resident_id",
                "applicant.id_number": me.number,
            }
        )
    if user.mobile and user.mobile_verified_at is not None:
        values["applicant.mobile"] = user.mobile
    return values
