"""Which regions exist, as botocore's endpoint data lists them.

moto builds its per-region backends from the same data, so a region not
listed here is one moto cannot serve (it raises KeyError): world checking
refuses such a region, and the front door refuses a request signed for one.
Nothing here imports moto.
"""

from __future__ import annotations

from functools import cache

import botocore.session


@cache
def service_regions(service: str) -> frozenset[str]:
    """Every region of every partition that offers the service."""
    session = botocore.session.get_session()
    return frozenset(
        region
        for partition in session.get_available_partitions()
        for region in session.get_available_regions(service, partition)
    )


def is_known(region: str, service: str | None = None) -> bool:
    # Global services (IAM) list no regions; any region Lambda has will do.
    regions = service_regions(service) if service else frozenset()
    return region in (regions or service_regions("lambda"))
