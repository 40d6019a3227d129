"""CDK constructs for the PostgreSQL database and its deploy-time migrations."""
