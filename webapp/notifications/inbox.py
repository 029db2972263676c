"""The in-app 消息 of an account: list, unread count, read marks."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from webapp.accounts.models import User
from webapp.clock import now
from webapp.domain_errors import NotFound
from webapp.notifications.models import Message

PAGE = 100


def messages_of(session: Session, user: User, limit: int = PAGE) -> list[Message]:
    stmt = (
        select(Message).where(Message.user_id == user.id).order_by(Message.id.desc()).limit(limit)
    )
    return list(session.scalars(stmt))


def unread_count(session: Session, user: User) -> int:
    stmt = select(func.count(Message.id)).where(
        Message.user_id == user.id, Message.read_at.is_(None)
    )
    return session.scalar(stmt) or 0


def mark_read(session: Session, user: User, message_id: int) -> Message:
    message = session.get(Message, message_id)
    if message is None or message.user_id != user.id:
        raise NotFound("消息不存在")
    if message.read_at is None:
        message.read_at = now()
        session.flush()
    return message


def mark_all_read(session: Session, user: User) -> None:
    session.execute(
        update(Message)
        .where(Message.user_id == user.id, Message.read_at.is_(None))
        .values(read_at=now())
    )
