"""Typed models declared once (dataclasses + rules): loading with located problems, JSON Schemas."""
