"""How similar two names are: a ratio from 0 (nothing alike) to 1 (the same)."""

from __future__ import annotations

from difflib import SequenceMatcher


def similarity(left: str, right: str) -> float:
    """Similarity of two normalised name texts (see ``normalise.name_text``), 0 to 1."""
    if not left or not right:
        return 0.0
    if left == right:
        return 1.0
    return SequenceMatcher(None, left, right, autojunk=False).ratio()


class NameMatcher:
    """Compares one name text with many others (its analysis is built once)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._matcher = SequenceMatcher(None, "", text, autojunk=False)

    def score(self, other: str, threshold: float) -> float | None:
        """The similarity with ``other`` when it reaches ``threshold`` (cheap bounds first)."""
        text = self.text
        if not text or not other:
            return None
        if text == other:
            return 1.0
        # The ratio is at most 2·shorter/(both lengths): no matching needed below that.
        if 2 * min(len(text), len(other)) < threshold * (len(text) + len(other)):
            return None
        matcher = self._matcher
        matcher.set_seq1(other)
        if matcher.quick_ratio() < threshold:
            return None
        score = matcher.ratio()
        return score if score >= threshold else None


def similar(left: str, right: str, threshold: float) -> float | None:
    """The similarity of two texts when it reaches ``threshold``, else None."""
    return NameMatcher(right).score(left, threshold)


__all__ = ["NameMatcher", "similar", "similarity"]
