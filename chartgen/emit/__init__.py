"""emit: ChartPlans -> chart folders on disk, atomically."""
