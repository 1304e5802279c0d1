"""manage.py start_tick: start the scheduled tick unless one is already waiting (run before the worker starts)."""

from django.core.management.base import BaseCommand

from project.schedule import ensure_tick


class Command(BaseCommand):
    help = "Start the periodic tick that runs scheduled work, unless a tick is already waiting. Safe to run twice."

    def handle(self, *args, **options):
        started = ensure_tick()
        self.stdout.write("tick started" if started else "a tick is already waiting")
