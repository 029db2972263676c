"""Where an applicant's e-licences are looked up: the `LicenceSource` seam.

- `LocalWallet` (the default): the licences this platform issued (`wallet`).
- `ProvincialLibrary`: the local wallet and the provincial e-licence library (省电子证照库)
  over HTTP, asked for the holders the account acts for (its own ID number when real-name,
  the companies it represents by USCC). `YJS_LICENCE_SOURCE=http` with
  `YJS_LICENCE_LIBRARY_URL`, `YJS_LICENCE_LIBRARY_TOKEN`, `YJS_LICENCE_LIBRARY_TIMEOUT`.

The library's answer, `GET <url>?holder=<id>&holder=<id>` with `Authorization: Bearer`:
`{"licences": [{"type": "居民身份证", "number": "…", "status": "valid"}, …]}`. A failure —
no answer in time, an error status, a body that is not that — never fails the page: the
holdings say the library is unavailable, and the materials it would have replaced are
asked with `UNAVAILABLE`. The failure is logged with the host and the kind of failure
only: the query carries ID numbers.

`holdings(session, user)` asks the configured source once per request and account.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from typing import Protocol

from flask import current_app, g, has_app_context, has_request_context
from sqlalchemy.orm import Session

from forms import Holdings
from webapp.accounts.models import User
from webapp.licences import wallet
from webapp.parties.models import PartyKind

log = logging.getLogger(__name__)

UNAVAILABLE = "省电子证照库暂不可用，请上传该材料"
SOURCES = ("local", "http")


class LibraryUnavailable(Exception):
    """The provincial library did not give a usable answer (the reason, no personal data)."""


class LicenceSource(Protocol):
    def holdings(self, session: Session, user: User) -> Holdings: ...


class LocalWallet:
    """The licences issued on this platform and still valid."""

    def holdings(self, session: Session, user: User) -> Holdings:
        return Holdings(held=wallet.holdings(session, user))


class ProvincialLibrary:
    def __init__(self, url: str, token: str = "", timeout: float = 5.0):
        self.url, self.token, self.timeout = url, token, timeout

    def holdings(self, session: Session, user: User) -> Holdings:
        local = wallet.holdings(session, user)
        holders = holder_ids(user)
        if not holders:
            return Holdings(held=local)  # nobody the library could know: the wallet only
        try:
            remote = self.fetch(holders)
        except LibraryUnavailable as exc:
            log.warning(
                "provincial e-licence library unavailable (%s): %s",
                urllib.parse.urlsplit(self.url).netloc,
                exc,
            )
            return Holdings(held=local, unavailable=UNAVAILABLE)
        return Holdings(held=local + tuple(r for r in remote if r not in local), complete=True)

    def fetch(self, holders: list[str]) -> tuple[tuple[str, str], ...]:
        """The valid licences the library holds for `holders`: (type, number)."""
        query = urllib.parse.urlencode([("holder", h) for h in holders])
        request = urllib.request.Request(  # noqa: S310 (the URL is the operator's setting)
            f"{self.url}{'&' if '?' in self.url else '?'}{query}",
            headers={"Accept": "application/json"}
            | ({"Authorization": f"Bearer {self.token}"} if self.token else {}),
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                body = response.read(1_000_001)
        except urllib.error.HTTPError as exc:
            raise LibraryUnavailable(f"HTTP {exc.code}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise LibraryUnavailable(type(reason).__name__) from None
        if len(body) > 1_000_000:
            raise LibraryUnavailable("answer too large")
        return _parse(body)


def _parse(body: bytes) -> tuple[tuple[str, str], ...]:
    try:
        data = json.loads(body.decode("utf-8"))
        rows = data["licences"]
        if not isinstance(rows, list):
            raise TypeError
        found = []
        for row in rows:
            kind, number, status = row["type"], row["number"], row.get("status", "valid")
            if not all(isinstance(v, str) for v in (kind, number, status)):
                raise TypeError
            if status == "valid" and kind.strip() and number.strip():
                found.append((kind.strip(), number.strip()))
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError):
        raise LibraryUnavailable("malformed answer") from None
    return tuple(dict.fromkeys(found))


def holder_ids(user: User) -> list[str]:
    """The ID numbers and USCCs of the parties the account acts for (real-name self,
    companies it represents): whom the library is asked about. Never anyone else."""
    ids = []
    for link in user.party_links:
        party = link.party
        if party.kind == PartyKind.COMPANY or link.capacity == "self":
            ids.append(party.number)
    return sorted(set(ids))


def source_from_config(config) -> LicenceSource:
    if config.get("LICENCE_SOURCE", "local") == "http":
        return ProvincialLibrary(
            config["LICENCE_LIBRARY_URL"],
            config.get("LICENCE_LIBRARY_TOKEN", ""),
            float(config.get("LICENCE_LIBRARY_TIMEOUT", 5)),
        )
    return LocalWallet()


def holdings(session: Session, user: User) -> Holdings:
    """The account's holdings from the configured source, asked once per request (a page
    builds its material set more than once); outside a request, each time."""
    if not has_app_context():
        return LocalWallet().holdings(session, user)
    if not has_request_context():
        return source_from_config(current_app.config).holdings(session, user)
    memo = g.setdefault("licence_holdings", {})
    if user.id not in memo:
        memo[user.id] = source_from_config(current_app.config).holdings(session, user)
    return memo[user.id]
