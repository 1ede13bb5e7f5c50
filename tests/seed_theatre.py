"""The seed's theatre (syria) as seeds/theatre.json gives it: what tests expect the shipped map to credit."""

import json
from pathlib import Path

SEED_THEATRE: dict = json.loads((Path(__file__).resolve().parent.parent / "seeds" / "theatre.json").read_text("utf-8"))
# The credit the OCHA licence asks for wherever the shipped boundaries are shown (data, not a code constant).
OCHA_ATTRIBUTION: str = SEED_THEATRE["boundaries_credit"]
OCHA_LICENCE_URL: str = SEED_THEATRE["boundaries_licence_url"]
