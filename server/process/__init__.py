"""The review process after collection (domain.md §3 steps 3–6): community meeting per
residential group (≥ 50% rule), public posting with complaints and re-checks, the recognition
decision with its four lists, certificates, and the status history other features read.

Public API:

* ``service`` — use cases (candidates, create_meeting, record_votes, create_posting,
  record_complaint, resolve_complaint, recognition_preview, create_decision, certificate...).
* ``status_history`` — ``record``, ``record_many``, ``history``, ``status_changes`` (for
  ``shared.eligibility``), ``status_on``, ``register_before_round``, ``register_sql``.
* ``results`` — ``iter_results`` / ``judge``: where each household stands in a round.
* ``config`` — process settings (posting length [U]...), ``posting_end``, ``vote_stands``.
"""
