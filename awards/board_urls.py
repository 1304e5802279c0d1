"""URLs of the public honour board, TV mode, feed, certificates and verification."""

from django.urls import path  # noqa: F401

app_name = "board"

urlpatterns: list = []
