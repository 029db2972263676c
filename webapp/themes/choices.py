"""The values YJS understands in a diagram, offered as choices in the modeler.

The properties panel and the inline lint (webapp/assets/modeler/) read this: the theme's
items (which task does which, in which department), the departments with the lane names
that route to them, and the guidance variables a condition may test.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.accounts.models import Department
from webapp.themes.models import Theme
from webapp.themes.published import load_published_theme
from webapp.themes.publishing import FRONT_DESK


def modeler_choices(session: Session, theme: Theme) -> dict:
    typed = load_published_theme(theme.definition)
    departments = [
        {
            "code": d.code,
            "name": d.name,
            "lanes": list(dict.fromkeys([d.name, *(d.lane_names or [])])),
        }
        for d in session.scalars(select(Department).order_by(Department.id))
    ]
    return {
        "items": [
            {
                "code": i.code,
                "name": i.name,
                "task": i.task,
                "department": i.department,
                "department_name": i.department_name,
            }
            for i in typed.items
        ],
        "departments": departments,
        "variables": list(typed.variables),
        "front_desk": FRONT_DESK,
    }
