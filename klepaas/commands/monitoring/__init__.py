"""Asking about metrics: the Prometheus HTTP API client, charts, and what the answers say."""
