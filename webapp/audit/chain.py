"""The hash chain that makes the audit trail tamper-evident.

Each event's hash covers its whole content, its chain and position, and the previous
event's hash in the same chain; the chain's head row holds the last position and hash. So:
- an UPDATE of any recorded field changes that event's hash → the event is named;
- a DELETE in the middle breaks the next event's link (and the positions) → named;
- a DELETE of the last events leaves the head pointing past the end → the chain is named.
On PostgreSQL a trigger also refuses UPDATE and DELETE on `audit_events` outright (see
migration 0008); the chain is what still catches a superuser or a restored, edited dump.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from types import SimpleNamespace

from sqlalchemy import bindparam, select, update
from sqlalchemy import event as sa_event
from sqlalchemy import insert as sa_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from webapp.audit.models import AuditChainHead, AuditEvent
from webapp.db import conflict_insert

GENESIS = "0" * 64


def case_chain(case_id: int) -> str:
    return f"case:{case_id}"


def chain_of(event: AuditEvent) -> str:
    if event.case_id is not None:
        return case_chain(event.case_id)
    if event.actor_id is not None:
        return f"user:{event.actor_id}"
    return "system"


def event_hash(event: AuditEvent) -> str:
    content = [
        event.chain,
        event.chain_seq,
        event.at.isoformat(),
        event.actor_id,
        event.action,
        event.case_id,
        event.task_id,
        event.theme_id,
        event.before,
        event.after,
        event.detail,
        event.prev_hash,
    ]
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# What this session's transaction has linked and not yet written, kept in `session.info`:
# - the heads it locked, by chain: a request recording five events of one case locks and
#   reads the head once, and the head row is written once, as the transaction commits;
# - the events themselves, held out of the session until it commits (one INSERT for all
#   of them) or until a query asks about audit events (`_release_for_query`), so the
#   request's intermediate flushes do not write them one flush at a time.
# A savepoint keeps a copy of both as they were when it began; rolled back, they go back
# to that copy (its events are gone and a head it locked is released). All is forgotten
# when the outermost transaction ends, however it ends.
_HEADS = "audit_chain_heads_locked"
_PENDING = "audit_events_pending"
_AT_SAVEPOINT = "audit_chain_at_savepoint"


@dataclass
class _Head:
    row: AuditChainHead  # locked; written from the fields below as the transaction commits
    seq: int
    hash: str
    last_event: AuditEvent | None = None


def link(session: Session, event: AuditEvent) -> None:
    """Give a new event its chain position and hashes; it is written with the transaction.

    The head row is locked for the rest of the transaction (FOR UPDATE on PostgreSQL; on
    SQLite the database's single writer does it), so two writers of one chain line up.
    """
    event.chain = chain_of(event)
    head = session.info.get(_HEADS, {}).get(event.chain)
    if head is None:
        row = _locked_head(session, event.chain)
        # Asked for after the lock: making a new head commits a savepoint, which writes
        # and forgets the heads the session held until then.
        head = _Head(row, row.seq, row.hash)
        session.info.setdefault(_HEADS, {})[event.chain] = head
    event.chain_seq = head.seq + 1
    event.prev_hash = head.hash
    event.hash = event_hash(event)
    session.info.setdefault(_PENDING, []).append(event)
    head.seq, head.hash, head.last_event = event.chain_seq, event.hash, event


def start_chain(session: Session, chain: str) -> None:
    """A chain no one else can know yet (a case made in this transaction): its head needs
    no lock and no look-up, and is inserted once, as the transaction commits."""
    head = _Head(AuditChainHead(chain=chain, seq=0, hash=GENESIS, event_id=0), 0, GENESIS)
    session.info.setdefault(_HEADS, {})[chain] = head


def _release(session: Session) -> None:
    """Hand the held events to the session: the next flush inserts them, in order."""
    pending = session.info.pop(_PENDING, None)
    if pending:
        session.add_all(pending)


@sa_event.listens_for(Session, "do_orm_execute")
def _release_for_query(state) -> None:
    # A query about audit events (a timeline, a check for an earlier submission) sees this
    # transaction's own events, as it would if they had been flushed one by one.
    if state.is_select and any(m.class_ in (AuditEvent, AuditChainHead) for m in state.all_mappers):
        _release(state.session)


@sa_event.listens_for(Session, "before_commit")
def _write_heads(session: Session) -> None:
    """The held events go in with the commit's flush, and each locked head row moves to
    its chain's last event (after the events: the head points at it, a many-to-one). A new
    chain's head is added here, with its events."""
    _release(session)
    for head in session.info.get(_HEADS, {}).values():
        if head.last_event is not None:
            head.row.seq, head.row.hash = head.seq, head.hash
            head.row.last_event = head.last_event
            if head.row not in session:
                session.add(head.row)


@sa_event.listens_for(Session, "after_transaction_create")
def _remember_heads(session: Session, transaction) -> None:
    if transaction.nested:
        saved = session.info.setdefault(_AT_SAVEPOINT, {})
        saved[transaction] = (
            {
                chain: (h.row, h.seq, h.hash, h.last_event)
                for chain, h in session.info.get(_HEADS, {}).items()
            },
            list(session.info.get(_PENDING, ())),
        )


@sa_event.listens_for(Session, "after_transaction_end")
def _forget_at_the_end(session: Session, transaction) -> None:
    # A savepoint's copy is read after it ends (the rollback event comes after its end):
    # the copies go with the outermost transaction, as does everything else (a session
    # closed without commit or rollback must not carry its events into the next one).
    if transaction.parent is None:
        for key in (_AT_SAVEPOINT, _PENDING, _HEADS):
            session.info.pop(key, None)


@sa_event.listens_for(Session, "after_soft_rollback")
def _heads_after_rollback(session: Session, previous) -> None:
    saved = session.info.get(_AT_SAVEPOINT, {}).pop(previous, None) if previous.nested else None
    if saved is None:
        _forget_heads(session)
        session.info.pop(_PENDING, None)
        return
    heads, pending = saved
    session.info[_HEADS] = {chain: _Head(*values) for chain, values in heads.items()}
    session.info[_PENDING] = pending


def append_many(session: Session, events: list[dict]) -> int:
    """Append many system events (dicts of AuditEvent's columns, without the chain fields)
    in a few statements: heads made and locked in two, the events inserted in one, the
    heads moved in one more. The same chains, positions and hashes as `link` one by one;
    for the worker's bulk moves, in a transaction that has linked nothing through `link`."""
    if not events:
        return 0
    heads_table, events_table = AuditChainHead.__table__, AuditEvent.__table__
    for event in events:
        event["chain"] = chain_of(SimpleNamespace(**event))
    chains = sorted({e["chain"] for e in events})
    if chains & session.info.get(_HEADS, {}).keys():
        raise RuntimeError("append_many after link in one transaction: heads would diverge")
    heads: dict[str, list] = {}
    for start in range(0, len(chains), 1000):
        part = chains[start : start + 1000]
        session.execute(
            conflict_insert(session, heads_table).on_conflict_do_nothing(index_elements=["chain"]),
            [{"chain": c, "seq": 0, "hash": GENESIS, "event_id": 0} for c in part],
        )
        stmt = (
            select(heads_table.c.chain, heads_table.c.seq, heads_table.c.hash)
            .where(heads_table.c.chain.in_(part))
            .order_by(heads_table.c.chain)  # one order for every locker: no deadlock
            .with_for_update()
        )
        heads.update({c: [seq, h] for c, seq, h in session.execute(stmt)})
    for event in events:
        head = heads[event["chain"]]
        event["chain_seq"], event["prev_hash"] = head[0] + 1, head[1]
        event["hash"] = event_hash(SimpleNamespace(**event))
        head[0], head[1] = event["chain_seq"], event["hash"]
    ids = session.scalars(
        sa_insert(events_table).returning(events_table.c.id, sort_by_parameter_order=True),
        events,
    ).all()
    last = {e["chain"]: (e, event_id) for e, event_id in zip(events, ids, strict=True)}
    session.execute(
        update(heads_table).where(heads_table.c.chain == bindparam("b_chain")),
        [
            {"b_chain": c, "seq": e["chain_seq"], "hash": e["hash"], "event_id": event_id}
            for c, (e, event_id) in last.items()
        ],
    )
    return len(events)


def _locked_head(session: Session, chain: str) -> AuditChainHead:
    head = session.get(AuditChainHead, chain, with_for_update=True)
    if head is None:
        head = AuditChainHead(chain=chain, seq=0, hash=GENESIS, event_id=0)
        try:
            with session.begin_nested():
                session.add(head)
        except IntegrityError:
            # Another transaction started this chain at the same moment: use its head.
            head = session.get(AuditChainHead, chain, with_for_update=True)
    return head


@sa_event.listens_for(Session, "after_commit")
def _forget_heads(session: Session, *_args) -> None:
    session.info.pop(_HEADS, None)


@dataclass(frozen=True)
class Break:
    """The first place where the trail is not what was written."""

    chain: str
    event_id: int | None
    message: str


@dataclass(frozen=True)
class Verification:
    events: int
    chains: int
    first_break: Break | None

    @property
    def intact(self) -> bool:
        return self.first_break is None


def verify(session: Session) -> Verification:
    """Recompute every chain from its start; the first broken event (or chain) is named."""
    _write_heads(session)  # this transaction's own events, if any, count as written
    stmt = select(AuditChainHead).execution_options(populate_existing=True)
    heads = {h.chain: h for h in session.scalars(stmt)}
    with closing(_chains(session)) as chains:
        return _verify(chains, heads)


def _verify(chains, heads) -> Verification:
    events = 0
    seen: set[str] = set()
    for chain, rows in chains:
        seen.add(chain)
        expected_prev, expected_seq, last = GENESIS, 1, None
        for event in rows:
            events += 1
            if event.chain_seq != expected_seq or event.prev_hash != expected_prev:
                return Verification(
                    events, len(seen), Break(chain, event.id, "前一条事件缺失或被改动（链接断开）")
                )
            if event_hash(event) != event.hash or chain_of(event) != chain:
                return Verification(events, len(seen), Break(chain, event.id, "事件内容被改动"))
            expected_prev, expected_seq, last = event.hash, expected_seq + 1, event
        head = heads.get(chain)
        if head is None or last is None or (head.seq, head.hash) != (last.chain_seq, last.hash):
            message = "链尾事件缺失（最后的事件被删除）或链头被改动"
            return Verification(events, len(seen), Break(chain, None, message))
    missing = sorted(set(heads) - seen)
    if missing:
        return Verification(events, len(seen), Break(missing[0], None, "整条链的事件均已缺失"))
    return Verification(events, len(seen), None)


def _chains(session: Session) -> Iterator[tuple[str, list[AuditEvent]]]:
    stmt = (
        select(AuditEvent)
        .order_by(AuditEvent.chain, AuditEvent.chain_seq)
        # What the database holds now, not what this session loaded earlier.
        .execution_options(yield_per=1000, populate_existing=True)
    )
    result = session.scalars(stmt)
    try:
        current, rows = None, []
        for event in result:
            if event.chain != current:
                if current is not None:
                    yield current, rows
                current, rows = event.chain, []
            rows.append(event)
        if current is not None:
            yield current, rows
    finally:
        result.close()  # a server-side cursor on PostgreSQL: close it when stopping early
