"""`make loadtest`: 企业开办 journeys over HTTP against `yjs serve` on PostgreSQL (locust)."""
