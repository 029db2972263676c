"""Which demo login works which shipped theme: `make run` prints them grouped by theme, and
`yjs demo-users --json` lists them for scripts.

A theme needs an applicant, the front desk and an approver of every department its
diagram routes a task to (the latest published version's routing); analysts and admins
work on every theme. A joint application (二手房) also needs each side as a real-name
person of the theme's sample: those applicants are listed under their theme only.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from webapp.accounts.models import Role
from webapp.accounts.users import DEMO_PASSWORD, DEMO_PERSONS, DEMO_USERS
from webapp.themes.lookup import latest_version, list_themes
from webapp.themes.published import published_theme

_EVERY_THEME = (Role.APPLICANT, Role.ANALYST, Role.ADMIN, Role.ASSISTANT)


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: Role
    name: str
    department: str | None  # department code
    themes: tuple[str, ...]  # theme codes this login has work in
    side: str | None = None  # a real-name person's side of a joint application (buyer, seller)

    def to_dict(self) -> dict:
        return {
            "username": self.username,
            "password": DEMO_PASSWORD,
            "role": self.role.value,
            "role_label": self.role.label,
            "name": self.name,
            "department": self.department,
            "themes": list(self.themes),
            "side": self.side,
        }


def theme_departments(session: Session) -> dict[str, tuple[str, set[str]]]:
    """Theme code → (theme name, department codes its latest version routes tasks to)."""
    result = {}
    for theme in list_themes(session):
        version = latest_version(session, theme)
        if version is not None:
            departments = set(published_theme(version).task_departments.values())
            result[theme.code] = (theme.name, departments)
    return result


def demo_logins(session: Session) -> list[DemoLogin]:
    themes = theme_departments(session)
    logins = []
    for username, role, name, department in DEMO_USERS:
        if role in _EVERY_THEME:
            codes = tuple(themes)
        else:
            codes = tuple(code for code, (_, depts) in themes.items() if department in depts)
        logins.append(DemoLogin(username, role, name, department, codes))
    for username, name, _id_number, _mobile, side, theme in DEMO_PERSONS:
        codes = (theme,) if theme in themes else ()
        logins.append(DemoLogin(username, Role.APPLICANT, name, None, codes, side))
    return logins
