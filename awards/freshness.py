"""Which cached public pages show rounds, nominations and honours (see project.publiccache)."""

from __future__ import annotations

from families.freshness import BUILDINGS, MY_HOUSEHOLD, MY_PAGE
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
    Vote,
)

BOARD = family("board")  # the honour board, its TV mode and feed, certificates and their verification
ROUNDS = family("rounds")  # the rounds and each round's page

# "My page" (MY_PAGE, every reader's) lists the reader's nominations and their ballot in rounds still running:
# categories' names, rounds (a published round's votes leave it), the ballot's order and each nomination.
watch(AwardCategory, BOARD, ROUNDS, BUILDINGS, HOME, MY_PAGE)
watch(Honour, BOARD, BUILDINGS, HOME)  # a building's page lists its honours
watch(AwardRound, ROUNDS, BOARD, HOME, MY_PAGE)
watch(RoundCategory, ROUNDS, HOME, MY_PAGE)
watch(Nomination, ROUNDS, MY_PAGE)
# A vote is on the page of its voter and, for a vote cast for the whole household, of every housemate.
watch(Vote, MY_HOUSEHOLD.of("household_id"))
watch(CitationRevision, ROUNDS)
watch(Objection, ROUNDS)
watch(Correction, BOARD, ROUNDS)
