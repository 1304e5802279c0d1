"""One kind of refusal for every app.

A service that refuses a write raises ``ServiceError`` (or its app's subclass:
``JoinError``, ``AwardError``, ...) with the message to show, already in the
reader's language. Nothing is written: the service raises before it writes, or
inside its ``transaction.atomic``, which rolls back.

Views do not catch these one by one: ``project.attempt.Attempt`` turns any of
them into the user's answer in one way (a form error, or a message and a
redirect), and a resent form (``formtokens.AlreadySubmitted``, also a
``ServiceError``) into "already recorded".
"""

from __future__ import annotations


class ServiceError(Exception):
    """A write the rules refuse, with the message to show the person who asked."""

    # The status of the page that shows the form again with the message (429 for a rate limit).
    status = 200
