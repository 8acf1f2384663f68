"""Feeds in motion: publishing (`publisher`, `keys`), landing (`ingest`), and reading back
(`dlq`: dead letters and receipts). `simulate` generates the member countries' feed files.

Topic names live in `topics`; user-facing errors in `errors`. See docs/publishing.md.
"""
