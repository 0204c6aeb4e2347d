"""Ingest: raw plans (txt/docx/html/pdf) and the manifest -> documents, sections, items, sentences."""
