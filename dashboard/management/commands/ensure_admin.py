"""Create the first administrator on the first run, with a random password that
is printed once and stored only as Django's salted hash."""
import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create the account 'admin' with a random password if no superuser exists yet."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")

    def handle(self, username, **options):
        users = get_user_model()
        if users.objects.filter(is_superuser=True).exists():
            self.stdout.write("An administrator exists already; no account created.")
            return
        password = secrets.token_urlsafe(12)
        users.objects.create_superuser(username=username, email="", password=password)
        bar = "=" * 64
        self.stdout.write(f"{bar}\nPodhouse administrator created (shown this once, not stored):\n"
                          f"  user name: {username}\n  password:  {password}\n{bar}")
