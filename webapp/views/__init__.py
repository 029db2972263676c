"""One blueprint per audience; each handler loads, checks access, then acts."""
