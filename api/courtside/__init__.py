"""Courtside: NBA data API and simulated-betting web app."""
