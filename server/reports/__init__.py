"""Reports of the ward (domain.md §5) with layouts as data (``layouts/*.json``), builders that
aggregate narrow per-household facts, and streamed XLSX / CSV exports."""
