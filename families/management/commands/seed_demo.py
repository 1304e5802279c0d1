"""manage.py seed_demo: a believable community, idempotent, scalable with --households."""

from importlib import import_module

from django.core.management.base import BaseCommand

# Each app seeds its own part, in dependency order.
DEMO_MODULES = ("families.demo", "awards.demo", "activities.demo")


class Command(BaseCommand):
    help = "Create demo data: grids, buildings, households, residents, rounds, activities and points."

    def add_arguments(self, parser):
        parser.add_argument("--households", type=int, default=300, help="How many households (default 300).")

    def handle(self, *args, households: int, **options):
        if households < 20:
            self.stderr.write("--households must be at least 20 (the demo accounts need them).")
            raise SystemExit(2)
        result = {}
        for name in DEMO_MODULES:
            self.stdout.write(f"Seeding {name.split('.')[0]} …")
            module = import_module(name)
            result.update(module.seed(self.stdout, households=households) or {})
        password = result["password"]
        self.stdout.write(self.style.SUCCESS("Demo data is ready. Log in at /accounts/login/ with:"))
        self.stdout.write(f"  organizer              / {password}   (organizer area: /organize/)")
        self.stdout.write(f"  gridworker             / {password}   (an organizer scoped to 第一网格)")
        self.stdout.write(f"  resident1 … resident20 / {password}   (verified residents)")
