from django.urls import path

from . import views

app_name = "families"

urlpatterns = [
    path("me/", views.me, name="me"),
    path("join/", views.join, name="join"),
]
