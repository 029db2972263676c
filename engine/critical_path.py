"""The promised completion time of a whole case: the longest chain of committed days.

Items in parallel branches run at once, serial items add up (并联 / 串联), so the case's
promise is the heaviest path from the start event to an end event, each human task weighing
its item's committed working days. Loops (a diagram may send work back) are walked once.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal


def promised_days(spec, days_by_task: Mapping[str, Decimal]) -> Decimal:
    """Working days along the heaviest path of `spec`; tasks not in the mapping weigh 0."""
    memo: dict[str, Decimal] = {}
    on_path: set[str] = set()

    def heaviest_from(task_spec) -> Decimal:
        name = task_spec.name
        if name in memo:
            return memo[name]
        if name in on_path:  # a loop back: counted once, on the way in
            return Decimal(0)
        on_path.add(name)
        own = Decimal(days_by_task.get(getattr(task_spec, "bpmn_id", None) or "", 0))
        rest = max((heaviest_from(t) for t in task_spec.outputs), default=Decimal(0))
        on_path.discard(name)
        memo[name] = own + rest
        return memo[name]

    return heaviest_from(spec.start)
