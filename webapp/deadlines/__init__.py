"""限时办结: time limits, the clock's pauses, yellow/red cards and the worker's deadline sweep."""
