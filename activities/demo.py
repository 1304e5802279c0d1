"""Demo data for this app (filled in as the app's features land)."""


def seed(stdout=None, *, households: int = 300) -> dict:
    return {}
