"""manage.py verify_ledger: recompute every cached balance and leaderboard row from the ledger, and every activity's
kept sign-up counts from its sign-ups; non-zero exit on any difference."""

from django.core.management.base import BaseCommand

from activities.services import ledger_differences, signup_count_differences


class Command(BaseCommand):
    help = (
        "Check every cached points balance and leaderboard row against the append-only ledger, "
        "and every activity's sign-up counts against its sign-ups."
    )

    def handle(self, *args, **options):
        problems = ledger_differences() + signup_count_differences()
        for problem in problems[:200]:
            self.stderr.write(problem)
        if problems:
            self.stderr.write(
                self.style.ERROR(f"{len(problems)} differences between the ledger, the sign-ups and their caches.")
            )
            raise SystemExit(1)
        self.stdout.write(
            self.style.SUCCESS(
                "The ledger, the sign-ups and every cached balance, leaderboard row and sign-up count agree."
            )
        )
