"""Transfers (R-TR): built by the transfer workflow issue."""
