"""Resident-facing register pages: my page and joining a household."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from project.ratelimit import client_ip, is_limited, record_attempt

from .access import verified_membership
from .forms import ConsentForm, JoinForm, ProfileForm
from .models import Profile
from .services import JoinError, join_household, set_public_consent

# Wrong join codes: a few tries per account and per address, then a pause.
JOIN_LIMIT_PER_USER = 5
JOIN_LIMIT_PER_IP = 20
JOIN_WINDOW_SECONDS = 15 * 60


@login_required
def me(request: HttpRequest) -> HttpResponse:
    profile, _created = Profile.objects.get_or_create(user=request.user)
    membership = verified_membership(request.user)
    form = ProfileForm(instance=profile)
    consent_form = None
    if membership is not None:
        consent_form = ConsentForm(
            initial={
                "show_name_publicly": membership.show_name_publicly,
                "household_show_publicly": membership.household.show_publicly,
            }
        )
    if request.method == "POST" and request.POST.get("form") == "consent" and membership is not None:
        consent_form = ConsentForm(request.POST)
        if consent_form.is_valid():
            set_public_consent(
                resident=membership,
                name_public=consent_form.cleaned_data["show_name_publicly"],
                household_public=consent_form.cleaned_data["household_show_publicly"],
                actor=request.user,
            )
            messages.success(request, _("Your choices about what is shown in public were saved."))
            return redirect("families:me")
    elif request.method == "POST":
        form = ProfileForm(request.POST, instance=profile)
        if form.is_valid():
            form.save()
            messages.success(request, _("Your details were saved."))
            return redirect("families:me")
    return render(
        request,
        "families/me.html",
        {"form": form, "consent_form": consent_form, "profile": profile, "membership": membership},
    )


@login_required
def join(request: HttpRequest) -> HttpResponse:
    membership = verified_membership(request.user)
    if membership is not None:
        messages.info(
            request,
            _("You are already a verified member of %(household)s.") % {"household": membership.household.public_name},
        )
        return redirect("families:me")
    user_key, ip_key = str(request.user.pk), client_ip(request)
    initial = {"full_name": getattr(getattr(request.user, "profile", None), "full_name", "")}
    form = JoinForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        if is_limited(
            "join-user", user_key, limit=JOIN_LIMIT_PER_USER, window_seconds=JOIN_WINDOW_SECONDS
        ) or is_limited("join-ip", ip_key, limit=JOIN_LIMIT_PER_IP, window_seconds=JOIN_WINDOW_SECONDS):
            form.add_error(None, _("Too many wrong codes. Please wait 15 minutes, or ask your grid worker for help."))
            return render(request, "families/join.html", {"form": form}, status=429)
        try:
            person = join_household(
                user=request.user, code=form.cleaned_data["code"], full_name=form.cleaned_data["full_name"]
            )
        except JoinError as error:
            record_attempt("join-user", user_key, window_seconds=JOIN_WINDOW_SECONDS)
            record_attempt("join-ip", ip_key, window_seconds=JOIN_WINDOW_SECONDS)
            form.add_error("code", str(error))
        else:
            messages.success(
                request,
                _("Welcome! You are now a verified member of %(household)s.")
                % {"household": person.household.public_name},
            )
            return redirect("families:me")
    return render(request, "families/join.html", {"form": form})
