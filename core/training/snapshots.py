"""The weights of a run's epochs, kept for the epoch scrubber within a memory cap.

Every epoch of a small network fits easily (LeNet-5: 0.7 MB an epoch), but a reference
VGG-16 takes 0.5 GB an epoch: kept without a limit, a long run would fill the memory. Past
the cap, epochs are thinned evenly (the first and the newest stay), so the scrubber still
spans the run; an epoch larger than the cap by itself is not kept at all.
"""

from __future__ import annotations

import numpy as np

#: The most memory the kept epochs may take.
MAX_KEPT_BYTES = 1 << 30


class EpochWeights:
    """Epoch number → a copy of that epoch's weights, at most ``budget`` bytes in all."""

    def __init__(self, budget: int | None = None):
        self.budget = int(MAX_KEPT_BYTES if budget is None else budget)
        self._weights: dict[int, list[np.ndarray]] = {}
        self._sizes: dict[int, int] = {}
        self.dropped = 0  # epochs let go to stay within the budget
        self.too_large = False  # one epoch alone is over the budget

    def add(self, epoch: int, weights) -> None:
        """Keeps a copy of ``weights`` as epoch ``epoch``'s, thinning older ones if need be."""
        copies = [np.array(w) for w in weights]
        size = sum(w.nbytes for w in copies)
        if size > self.budget:
            self.too_large = True
            self.dropped += 1
            return
        self._weights[epoch], self._sizes[epoch] = copies, size
        while self.nbytes > self.budget and len(self._weights) > 1:
            self._drop_one()

    def _drop_one(self) -> None:
        kept = sorted(self._weights)
        if len(kept) <= 2:
            victim = kept[0]  # only the newest fits
        else:  # the one whose going leaves the smallest gap: what stays is evenly spread
            victim = min(range(1, len(kept) - 1), key=lambda i: (kept[i + 1] - kept[i - 1], i))
            victim = kept[victim]
        del self._weights[victim], self._sizes[victim]
        self.dropped += 1

    @property
    def nbytes(self) -> int:
        return sum(self._sizes.values())

    def epochs(self) -> list[int]:
        return sorted(self._weights)

    def get(self, epoch: int):
        return self._weights.get(epoch)

    def note(self) -> str:
        """What is kept, when it is not every epoch (empty otherwise)."""
        from core.models.summary import format_bytes

        cap = format_bytes(self.budget)
        if self.too_large and not self._weights:
            return f"one epoch's weights are over the {cap} kept for the scrubber: none kept"
        if self.dropped:
            return f"{self.dropped} epoch(s) let go to stay within {cap}; the kept ones span the run"
        return ""
