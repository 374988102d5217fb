"""Reads about people. The contract's names (CONTRACT.md "members") are imported from here."""
from .people import branch_of

__all__ = ["branch_of"]
