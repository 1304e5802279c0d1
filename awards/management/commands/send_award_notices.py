"""manage.py send_award_notices: send now the "voting is open" notices that are due (the scheduled tick sends them
on its own; this is the same work, by hand)."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from awards.schedule import voting_open


class Command(BaseCommand):
    help = "Send the 'voting is open' notice for rounds whose voting has opened (once per round; the tick does this)."

    def handle(self, *args, **options):
        self.stdout.write(f"{voting_open(timezone.now())} notices")
