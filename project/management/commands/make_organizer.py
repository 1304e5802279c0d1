"""manage.py make_organizer USERNAME: give an existing account the organizer role."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from project.access import make_organizer


class Command(BaseCommand):
    help = "Give an existing account the organizer role."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username: str, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No account named {username!r}.")
        make_organizer(user=user)
        self.stdout.write(self.style.SUCCESS(f"{username} is now an organizer."))
