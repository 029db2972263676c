"""Themes (一件事): drafts, publishing, the typed published theme, its form and notice."""
