"""manage.py seed_demo: a believable community, idempotent, scalable with --households."""

from django.core.management.base import BaseCommand

from project import registry


class Command(BaseCommand):
    help = "Create demo data: every app's registered part (grids, buildings, households, rounds, activities, …)."

    def add_arguments(self, parser):
        parser.add_argument("--households", type=int, default=300, help="How many households (default 300).")

    def handle(self, *args, households: int, **options):
        if households < 20:
            self.stderr.write("--households must be at least 20 (the demo accounts need them).")
            raise SystemExit(2)
        result = {}
        # Each app seeds its own part (registered in its demo.py), after the apps it builds on.
        for part in registry.demo_parts():
            self.stdout.write(f"Seeding {part.app} …")
            result.update(part.seed(self.stdout, households=households) or {})
        password = result["password"]
        self.stdout.write(self.style.SUCCESS("Demo data is ready. Log in at /accounts/login/ with:"))
        for username, role in result.get("logins", []):  # each app's demo accounts, with what they may do
            self.stdout.write(f"  {username:<22} / {password}   ({role})")
        self.stdout.write(f"  resident1 … resident20 / {password}   (verified residents)")
