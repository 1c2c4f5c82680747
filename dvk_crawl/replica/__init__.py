"""Offline replicas of the portals: routes and plain serving in :mod:`dvk_crawl.replica.server`,
the fault mode in :mod:`dvk_crawl.replica.faults`; :func:`serve` starts either, per site."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dvk_crawl.replica.faults import FaultServer
from dvk_crawl.replica.server import SITES_DIR, ReplicaServer, available_sites, load_site

__all__ = ["FaultServer", "ReplicaServer", "available_sites", "serve"]


def replica_server(site: str, sites_dir: Path = SITES_DIR) -> ReplicaServer:
    """A site whose routes carry fault options (``fault``, ``body_encoding`` …) is served in fault mode."""
    if any(route.options for route in load_site(site, sites_dir).values()):
        return FaultServer(site, sites_dir=sites_dir)
    return ReplicaServer(site, sites_dir=sites_dir)


@contextmanager
def serve(*sites: str, sites_dir: Path = SITES_DIR) -> Iterator[dict[str, str]]:
    """Serve the named sites (all when none are named); yield ``{site: base_url}``."""
    servers = [replica_server(s, sites_dir).start() for s in sites or available_sites(sites_dir)]
    try:
        yield {s.site: s.base_url for s in servers}
    finally:
        for server in servers:
            server.stop()
