"""Each app's thresholds: in its conf.py, set from settings or the environment, checked, and all in the README."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.utils import translation

from awards.forms import CitationForm
from families.services import JoinError, join_household
from project import thresholds
from project.ratelimit import TooManyAttempts
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_every_threshold_is_in_the_readmes_settings_table_and_every_one_there_is_read():
    readme = (Path(django_settings.BASE_DIR) / "README.md").read_text()
    table = readme[readme.index("## Settings") :]
    documented = set(re.findall(r"`((?:FAMILIES|AWARDS|ACTIVITIES)_[A-Z0-9_]+)`", table))
    known = set(thresholds.registered())
    assert known - documented == set(), "add these to the README's settings table"
    assert documented - known == set(), "the README names settings no app reads"
    assert {name.split("_")[0] for name in known} == {"FAMILIES", "AWARDS", "ACTIVITIES"}


def test_a_threshold_set_in_the_environment_reaches_the_app():
    program = (
        "import django; django.setup(); "
        "from awards import conf as a; from activities import conf as b; "
        "print(a.tv_slides(), b.star_thresholds())"
    )
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "project.settings",
        "DJANGO_DEBUG": "1",
        "AWARDS_TV_SLIDES": "7",
        "ACTIVITIES_STAR_THRESHOLDS": "10, 20,30",
    }
    done = subprocess.run(
        [sys.executable, "-c", program],
        cwd=django_settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "7 (10, 20, 30)"


def test_check_refuses_a_value_it_cannot_read_and_warns_of_a_name_no_app_knows(settings):
    settings.AWARDS_TV_SLIDES = "sixty"
    settings.FAMILIES_JOIN_ATTEMPTS = "5"  # misspelt: FAMILIES_JOIN_ATTEMPTS_PER_ACCOUNT
    problems = {(problem.id, problem.msg.split(" ")[0]) for problem in thresholds.check_thresholds()}
    assert problems == {("project.E101", "AWARDS_TV_SLIDES"), ("project.W101", "FAMILIES_JOIN_ATTEMPTS")}


def test_with_the_defaults_check_finds_nothing():
    assert thresholds.check_thresholds() == []


def test_the_join_refusal_says_how_long_the_configured_window_is(household, settings):
    settings.FAMILIES_JOIN_ATTEMPTS_PER_ACCOUNT = 1
    settings.FAMILIES_JOIN_WINDOW_SECONDS = 60
    newcomer = UserFactory()
    with pytest.raises(JoinError):
        join_household(user=newcomer, code="ZZZZZZZZ", full_name="王秀英")
    with pytest.raises(TooManyAttempts) as chinese:
        join_household(user=newcomer, code=household.join_code, full_name="王秀英")
    assert str(chinese.value) == "入户码输错次数过多。请1分钟后再试，或联系网格员帮助。"
    with translation.override("en"), pytest.raises(TooManyAttempts) as english:
        join_household(user=newcomer, code=household.join_code, full_name="王秀英")
    assert str(english.value) == "Too many wrong codes. Please wait 1 minute, or ask your grid worker for help."


def test_the_citation_length_follows_its_settings_when_the_form_is_made(settings):
    settings.AWARDS_CITATION_MIN, settings.AWARDS_CITATION_MAX = 4, 8

    def form(citation: str) -> CitationForm:
        return CitationForm({"citation": citation, "reason": "核实"})

    assert form("热心助人").is_valid() and form("热心助人乐于奉献").is_valid()
    assert not form("热心助").is_valid()
    longer = form("热心助人乐于奉献邻里")
    assert not longer.is_valid()
    assert 'maxlength="8"' in str(longer["citation"]) and 'minlength="4"' in str(longer["citation"])
