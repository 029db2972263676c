"""Written instruments (文书): numbered, immutable once issued, HTML + A4 PDF + QR, audited."""
