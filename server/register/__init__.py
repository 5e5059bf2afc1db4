"""Importing the ward's existing register (last year's lists, XLSX or CSV)."""
