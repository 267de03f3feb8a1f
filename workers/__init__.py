"""Canary routing for Camunda 8: the choose-version and verification workers and their tools."""

__version__ = "0.1.0"
