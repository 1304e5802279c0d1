"""The benchmarks' settings: the production settings, plus the bare view every figure is divided by.

``bench/run.py`` serves the site with ``DJANGO_SETTINGS_MODULE=bench.settings``; the
site itself never has the baseline URL.
"""

from project.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
