"""A generated chart on disk (or at a git commit), read back as typed data: its Chart.yaml
fields, its environments with their values files and namespaces, and the ChartData emit
wrote. Every command that acts on charts reads them here, each chart once."""
