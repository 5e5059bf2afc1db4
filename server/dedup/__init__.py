"""Household deduplication: normalise → block → compare → score → decide → cluster.

Public API
----------
``make_record(doc)``                      features of one household document
``MemoryIndex(model).add_doc(doc)`` / ``.match(doc)``   in-memory registry
``store.SqliteIndex(conn).match(doc)``    the same over the server's SQLite
``run_batch(docs)``                       a whole batch: EM, bands, clusters
``review.on_ingest(conn, household_id, doc, now)``      server hook (index + match, one transaction)
``review.matching_after_commit()`` / ``pending_matches`` / ``apply_matches``   a device push: index in
                                          its transaction, match after the commit (``dedup_pending``)
``schema.apply_schema(conn)``             the tables
``api.router``                            the review-queue JSON API
``evalset.generate(n, seed)``             labelled Vietnamese duplicates
"""
from __future__ import annotations

from .decide import AUTO, NEW, REVIEW, Candidate
from .engine import BatchResult, MemoryIndex, run_batch
from .features import Record, make_record
from .model import Model, fit

__all__ = ["AUTO", "NEW", "REVIEW", "Candidate", "BatchResult", "MemoryIndex", "run_batch", "Record",
           "make_record", "Model", "fit"]
