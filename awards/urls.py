"""URLs of award rounds: the public round pages, nominating and voting, and the organizer's desk."""

from django.urls import path

from . import views

app_name = "awards"

urlpatterns = [
    path("rounds/", views.round_list, name="round_list"),
    path("rounds/<int:pk>/", views.round_detail, name="round"),
    path("rounds/<int:pk>/nominations/", views.candidates, name="candidates"),
    path("rounds/<int:pk>/nominate/", views.nominate, name="nominate"),
    path("rounds/<int:pk>/objection/", views.object_to_round, name="object"),
    path("nominations/<int:pk>/", views.nomination_detail, name="nomination"),
    path("nominations/<int:pk>/second/", views.second, name="second"),
    path("nominations/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("nominations/<int:pk>/decline/", views.decline, name="decline"),
    path("nominations/<int:pk>/vote/", views.vote, name="vote"),
    path("nominations/<int:pk>/vote/withdraw/", views.unvote, name="unvote"),
    path("organize/awards/categories/", views.category_list, name="category_list"),
    path("organize/awards/categories/new/", views.category_edit, name="category_new"),
    path("organize/awards/categories/<int:pk>/", views.category_edit, name="category_edit"),
    path("organize/rounds/", views.organize_rounds, name="organize_rounds"),
    path("organize/rounds/new/", views.round_edit, name="round_new"),
    path("organize/rounds/<int:pk>/", views.organize_round, name="organize_round"),
    path("organize/rounds/<int:pk>/edit/", views.round_edit, name="round_edit"),
    path("organize/rounds/<int:pk>/categories/new/", views.entry_edit, name="entry_new"),
    path("organize/rounds/<int:pk>/categories/<int:entry_pk>/", views.entry_edit, name="entry_edit"),
    path("organize/rounds/<int:pk>/nominations/", views.review_list, name="review_list"),
    path("organize/rounds/<int:pk>/categories/<int:entry_pk>/take-forward/", views.take_forward, name="take_forward"),
    path("organize/nominations/<int:pk>/review/", views.review, name="review"),
    path("organize/nominations/<int:pk>/link/", views.link, name="link"),
    path("organize/nominations/<int:pk>/citation/", views.citation_edit, name="citation_edit"),
    path("organize/rounds/<int:pk>/close-voting/", views.close_voting, name="close_voting"),
    path("organize/rounds/<int:pk>/paper/<int:entry_pk>/", views.paper_tally, name="paper_tally"),
    path("organize/rounds/<int:pk>/confirm/", views.confirm, name="confirm"),
    path("organize/objections/<int:pk>/answer/", views.answer, name="answer"),
    path("organize/rounds/<int:pk>/publish/", views.publish, name="publish"),
    path("organize/honours/<int:pk>/withdraw/", views.withdraw_honour, name="withdraw_honour"),
    path("organize/rounds/<int:pk>/results.<str:fmt>", views.export_results, name="export"),
    path("organize/rounds/<int:pk>/notice.pdf", views.notice_pdf, name="notice_pdf"),
]
