"""URLs of the public honour board, TV mode, feed, certificates and verification."""

from django.urls import path

from . import board

app_name = "board"

urlpatterns = [
    path("honours/", board.honour_list, name="list"),
    path("honours/<int:pk>/", board.honour_detail, name="detail"),
    path("honours/<int:pk>/certificate/", board.certificate, name="certificate"),
    path("honours/<int:pk>/certificate.pdf", board.certificate_pdf, name="certificate_pdf"),
    path("honours/tv/", board.tv, name="tv"),
    path("honours/tv/slides.json", board.tv_slides_json, name="tv_slides"),
    path("honours/feed.json", board.feed, name="feed"),
    path("verify/<str:number>/", board.verify, name="verify"),
    # One community's board, TV (pinned to it) and feed: the same pages and names, with the community's slug.
    path("c/<slug:slug>/honours/", board.honour_list, name="list"),
    path("c/<slug:slug>/honours/tv/", board.tv, name="tv"),
    path("c/<slug:slug>/honours/tv/slides.json", board.tv_slides_json, name="tv_slides"),
    path("c/<slug:slug>/honours/feed.json", board.feed, name="feed"),
]
