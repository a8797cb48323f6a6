"""Workflow projects: discovery, typed model, validation and names."""
