"""Domain services: take a session and the acting user, flush, never commit."""
