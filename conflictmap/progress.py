"""A progress bar for long commands: tqdm on a terminal, nothing when the output is piped.

Services report progress through a callback ``progress(stage, done, total)`` and never print;
a command passes ``ProgressBar(unit=...).update`` and closes the bar when done.
"""

from tqdm import tqdm


class ProgressBar:
    """One tqdm bar, its stage as the description; shown on a terminal only (``disable=None``)."""

    def __init__(self, unit: str = "row"):
        self.unit = unit
        self.bar: tqdm | None = None
        self.stage: str | None = None

    def update(self, stage: str, done: int, total: int) -> None:
        if self.bar is None:
            self.bar = tqdm(total=total, disable=None, unit=self.unit, leave=False)
        if stage != self.stage:
            self.stage = stage
            self.bar.reset(total=total)
            self.bar.set_description(stage)
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
