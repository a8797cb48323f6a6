"""The library entry points behind the commands: each runs the stages of one job in order."""
