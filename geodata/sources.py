"""Where the shipped places come from, as the map, the standalone file and every export must credit them."""

# The OCHA COD-AB licence (CC BY 3.0 IGO) asks for this exact credit wherever the boundaries are shown.
OCHA_ATTRIBUTION = "Administrative boundaries: OCHA, Syrian Arab Republic COD-AB (CC BY 3.0 IGO)"
OCHA_LICENCE_URL = "https://creativecommons.org/licenses/by/3.0/igo/"
OCHA_SOURCE_URL = "https://data.humdata.org/dataset/cod-ab-syr"
