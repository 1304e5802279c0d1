"""manage.py send_award_notices: tell verified residents that voting has opened (run from cron)."""

from django.core.management.base import BaseCommand

from awards.models import AwardRound, Phase
from awards.services import send_voting_open_notices


class Command(BaseCommand):
    help = "Send the 'voting is open' notice for rounds whose voting has opened (once per round)."

    def handle(self, *args, **options):
        for round in AwardRound.objects.visible().filter(voting_notice_sent_at__isnull=True):
            if round.phase() == Phase.VOTING:
                sent = send_voting_open_notices(round=round)
                self.stdout.write(f"{round}: {sent} notices")
