"""CDK construct for the Redis-compatible cache."""
