"""`pledgecard`: every Django management command, plus Pledgecard's own (demo, worker, serve, postcards, ...)."""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pledgecard.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
