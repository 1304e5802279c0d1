"""manage.py verify_ledger: recompute every cached balance and leaderboard row from the ledger; non-zero exit on any difference."""

from django.core.management.base import BaseCommand

from activities.services import ledger_differences


class Command(BaseCommand):
    help = "Check every cached points balance and leaderboard row against the append-only ledger."

    def handle(self, *args, **options):
        problems = ledger_differences()
        for problem in problems[:200]:
            self.stderr.write(problem)
        if problems:
            self.stderr.write(self.style.ERROR(f"{len(problems)} differences between the ledger and its caches."))
            raise SystemExit(1)
        self.stdout.write(self.style.SUCCESS("The ledger and every cached balance and leaderboard row agree."))
