"""Getting charts onto clusters: hot deploy to a dev pod."""
