"""Previewing an item as a participant meets it (Moodle's question preview): its options
shuffled as a draw shuffles them, answered, scored by the grading rules and given its
feedback, with nothing written: no attempt, no exposure, no statistics. A trainer checks a
key or a wording before the item is marked ready, and after a revision."""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime

from lms.quizbank.models import ItemVersion
from lms.quizbank.qtypes import qtype
from lms.quizbank.services.attempts import slot_score


@dataclass
class PreviewSlot:
    """What the question template and the scoring read of an attempt's slot."""

    version: ItemVersion
    option_order: list
    answer: dict | None = None
    slot: int = 1
    max_score: float = 1.0
    flagged: bool = False
    answered_at: datetime | None = None


@dataclass(frozen=True)
class Checked:
    #: None: an essay, graded by hand
    score: float | None
    max: float
    feedback: str | None


def slot_for(version: ItemVersion, seed: int) -> PreviewSlot:
    """The version with its options in the order `seed` gives (the page keeps the seed, so a
    check shows the order the trainer answered in)."""
    order = qtype(version.qtype).shuffle_order(version.data or {}, random.Random(f"preview-{seed}"))
    return PreviewSlot(version, order)


def check(slot: PreviewSlot, answer) -> Checked:
    """Score `answer` (in shown positions, as a page gives it; None: left blank) as a finished
    attempt would. ServiceError for an answer of the wrong shape, as a save refuses it."""
    kind, data = qtype(slot.version.qtype), slot.version.data or {}
    slot.answer = None if answer is None else kind.from_shown(data, slot.option_order, answer)
    feedback = None if kind.manual or slot.answer is None else kind.feedback(data, slot.answer)
    return Checked(slot_score(slot, slot.version, None), slot.max_score, feedback)
