"""Courtside's CDK application: environment config, network and the per-environment stacks."""
