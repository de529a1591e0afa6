"""Policy documents: text extraction, normalising and chunking, and the ingest flow.

Pure Python apart from `service.py`, which reaches the database only through
`sheetbrain.store.policies`. Never imports Litestar.
"""
