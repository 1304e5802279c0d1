"""Which cached public pages show rounds, nominations and honours (see project.publiccache)."""

from __future__ import annotations

from families.freshness import BUILDINGS
from project.publiccache import HOME, family, watch

from .models import (
    AwardCategory,
    AwardRound,
    CitationRevision,
    Correction,
    Honour,
    Nomination,
    Objection,
    RoundCategory,
)

BOARD = family("board")  # the honour board, its TV mode and feed, certificates and their verification
ROUNDS = family("rounds")  # the rounds and each round's page

watch(AwardCategory, BOARD, ROUNDS, BUILDINGS, HOME)
watch(Honour, BOARD, BUILDINGS, HOME)  # a building's page lists its honours
watch(AwardRound, ROUNDS, BOARD, HOME)
watch(RoundCategory, ROUNDS, HOME)
watch(Nomination, ROUNDS)
watch(CitationRevision, ROUNDS)
watch(Objection, ROUNDS)
watch(Correction, BOARD, ROUNDS)
