"""K-Le-PaaS ChatOps: run your apps on Kubernetes from Slack, in Korean or English, safely."""

__version__ = "0.1.0"
