"""Command line: one module per command, each calling one library function."""
