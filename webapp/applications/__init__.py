"""Applications before they are cases: the applicant's drafts (草稿)."""
