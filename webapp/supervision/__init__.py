"""效能监督: the supervisors' figures (dashboard), the monthly 进度表, 催办 and the escalation
of red cards. Not the worker's deadline sweep (`deadlines/sweep.py`), which moves the cards
this package reads and calls `escalation.escalate_red` with the tasks that turned red."""
