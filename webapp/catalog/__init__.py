"""The item catalog edited in the browser: drafts of item records, published into themes."""
