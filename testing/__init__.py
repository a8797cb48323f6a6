"""Test support shared by every tier (importable; not tests themselves)."""
