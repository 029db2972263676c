"""The clerks' workbench: inbox, claims and hand-overs, one entry point per task action."""
