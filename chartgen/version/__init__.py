"""Versions of charts: what git knows about earlier ones."""
