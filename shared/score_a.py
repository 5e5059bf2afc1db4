"""Deprecated module name: the "score A" of earlier versions is the B1 score of Phiếu B (``shared.b1``)."""
from .b1 import B1Table, B1TableError, ScoreATable, ScoreATableError, load_table, table_from_dict

__all__ = ["B1Table", "B1TableError", "ScoreATable", "ScoreATableError", "load_table", "table_from_dict"]
