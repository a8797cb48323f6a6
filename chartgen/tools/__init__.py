"""The one place that runs external programs: argv lists, timeouts, captured output."""
