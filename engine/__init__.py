"""The BPMN side of YJS: theme specs, safe expressions, running cases on SpiffWorkflow.

Imports neither Flask nor SQLAlchemy; the web app passes in whatever it needs.
"""
