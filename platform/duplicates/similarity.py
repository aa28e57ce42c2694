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


def similar(left: str, right: str, threshold: float) -> float | None:
    """The similarity when it reaches ``threshold`` (cheap bounds checked first), else None."""
    if not left or not right:
        return None
    # The ratio is at most 2·shorter/(both lengths): skip building a matcher that cannot pass.
    if 2 * min(len(left), len(right)) < threshold * (len(left) + len(right)):
        return None
    matcher = SequenceMatcher(None, left, right, autojunk=False)
    if matcher.real_quick_ratio() < threshold or matcher.quick_ratio() < threshold:
        return None
    score = 1.0 if left == right else matcher.ratio()
    return score if score >= threshold else None


__all__ = ["similar", "similarity"]
