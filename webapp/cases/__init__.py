"""Cases (办件): submission, the engine state, tasks, locking, progress and notes."""
