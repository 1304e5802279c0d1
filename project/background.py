"""Views that take files or start long work: they check only what is cheap, store, enqueue and redirect.

``@starts_background_work`` marks such a view. ``tests/project/test_background_views.py`` walks the URL
map and proves that every marked view parses nothing in the request, and that every view whose form takes
a file is marked or is one of the photo uploads it lists, which stay in the request within the photo
reader's memory bound (project/images.py).
"""

from __future__ import annotations

from collections.abc import Callable


def starts_background_work(view: Callable) -> Callable:
    """Mark ``view`` as one that only stores and enqueues: the work it starts runs in a task."""
    view.starts_background_work = True
    return view
