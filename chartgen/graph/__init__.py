"""State graphs of workflows: built from a flow, merged base/head, rendered as Mermaid, DOT, JSON."""
