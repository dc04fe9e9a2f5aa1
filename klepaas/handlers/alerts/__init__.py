"""Alerts into Slack: Alertmanager webhooks and the cluster watcher's problems, routed to a
channel, one message per group edited as it changes, and kept quiet when nothing changed."""
