"""Offline replicas of the portals: see :mod:`dvk_crawl.replica.server`."""

from dvk_crawl.replica.server import ReplicaServer, available_sites, serve

__all__ = ["ReplicaServer", "available_sites", "serve"]
