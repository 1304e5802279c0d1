"""Every threshold of the award rounds and the honour board, read from ``django.conf.settings`` with defaults.

Read at call time (not import time), so tests and deployments can override any
of them with ``settings.AWARDS_...`` or the environment variable of the same
name (``project.thresholds``; the README's settings table lists them).
"""

from __future__ import annotations

from django.conf import settings

from project import thresholds

DEFAULTS = {
    # Nominations (and seconds by nominating) and objections per account per hour: generous for people, a wall
    # for scripts.
    "AWARDS_NOMINATIONS_PER_HOUR": 20,
    "AWARDS_OBJECTIONS_PER_HOUR": 5,
    # The length of a citation (事迹), in characters; the database holds at most 1500.
    "AWARDS_CITATION_MIN": 20,
    "AWARDS_CITATION_MAX": 1500,
    # Nominations per page of an organizer's review list.
    "AWARDS_REVIEW_PAGE_SIZE": 50,
    # Honours per page of the web board and of the JSON feed, and how long browsers and proxies keep a feed page.
    "AWARDS_BOARD_PAGE_SIZE": 12,
    "AWARDS_FEED_PAGE_SIZE": 50,
    "AWARDS_FEED_MAX_AGE_SECONDS": 300,
    # TV mode: the newest honours shown (an hour of slides, small enough for a TV's memory), mottos and star
    # volunteers, a citation's length (readable from five metres), and the default seconds per slide and between
    # checks for newly published honours (a TV's address can ask for others).
    "AWARDS_TV_SLIDES": 60,
    "AWARDS_TV_MOTTOS": 12,
    "AWARDS_TV_STARS": 5,
    "AWARDS_TV_CITATION_CHARS": 180,
    "AWARDS_TV_INTERVAL_SECONDS": 12,
    "AWARDS_TV_REFRESH_SECONDS": 60,
    # Who issues the 公示 notice and the certificates (printed on them); empty means "<COMMUNITY_NAME>居民委员会".
    "AWARDS_ISSUER": "",
    # Where and when residents may object in person, printed on the 公示 notice (posted paper is Chinese); empty
    # means the issuing committee's office in office hours.
    "AWARDS_OBJECTION_IN_PERSON": "",
}
thresholds.register(DEFAULTS)


def get(name: str):
    return thresholds.value(name)


def nominations_per_hour() -> int:
    return get("AWARDS_NOMINATIONS_PER_HOUR")


def objections_per_hour() -> int:
    return get("AWARDS_OBJECTIONS_PER_HOUR")


def citation_min() -> int:
    return get("AWARDS_CITATION_MIN")


def citation_max() -> int:
    return get("AWARDS_CITATION_MAX")


def review_page_size() -> int:
    return get("AWARDS_REVIEW_PAGE_SIZE")


def board_page_size() -> int:
    return get("AWARDS_BOARD_PAGE_SIZE")


def feed_page_size() -> int:
    return get("AWARDS_FEED_PAGE_SIZE")


def feed_max_age_seconds() -> int:
    return get("AWARDS_FEED_MAX_AGE_SECONDS")


def tv_slides() -> int:
    return get("AWARDS_TV_SLIDES")


def tv_mottos() -> int:
    return get("AWARDS_TV_MOTTOS")


def tv_stars() -> int:
    return get("AWARDS_TV_STARS")


def tv_citation_chars() -> int:
    return get("AWARDS_TV_CITATION_CHARS")


def tv_interval_seconds() -> int:
    return get("AWARDS_TV_INTERVAL_SECONDS")


def tv_refresh_seconds() -> int:
    return get("AWARDS_TV_REFRESH_SECONDS")


def configured_issuer() -> str:
    """``AWARDS_ISSUER``: one issuing body for every round's paper, overriding the community's or street's."""
    return get("AWARDS_ISSUER")


def issuer() -> str:
    """The body that issues a community round's paper: ``AWARDS_ISSUER``, else the community's committee."""
    configured = configured_issuer()
    if configured:
        return configured
    community = getattr(settings, "COMMUNITY_NAME", "") or ""
    return f"{community}居民委员会" if community else "社区居民委员会"


def objection_in_person(issuing_body: str) -> str:
    """Where residents may object in person, as printed on the 公示 notice."""
    return get("AWARDS_OBJECTION_IN_PERSON") or f"{issuing_body}办公室（工作日办公时间内）"
