"""Static files as they are served: named by their content's hash, with gzip and brotli copies beside them."""

import os
from pathlib import Path

from whitenoise.storage import CompressedManifestStaticFilesStorage


def _without_source_maps(patterns):
    return tuple(
        (extension, tuple(p for p in rules if "sourceMappingURL" not in (p[0] if isinstance(p, tuple) else p)))
        for extension, rules in patterns
    )


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    """whitenoise's storage, leaving `sourceMappingURL` comments as they are.

    The NHS.UK frontend's compiled CSS and JavaScript name source maps that its package does not ship; Django's
    storage would stop collectstatic on each one. Browsers ask for a map only while their developer tools are
    open, so a missing one costs nobody anything.
    """

    patterns = _without_source_maps(CompressedManifestStaticFilesStorage.patterns)


def collect_if_stale() -> bool:
    """Run collectstatic unless STATIC_ROOT's manifest is newer than every file it is made from.

    For the tests' setup, where a full run (hashing and compressing some 160 files) would add seconds to every
    session; `pledgecard serve` always runs it whole.
    """
    from django.conf import settings
    from django.contrib.staticfiles.finders import get_finders
    from django.core.management import call_command

    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    if manifest.exists():
        sources = (storage.path(path) for finder in get_finders() for path, storage in finder.list([]))
        newest = max((os.stat(source).st_mtime for source in sources), default=0.0)
        if newest < manifest.stat().st_mtime:
            return False
    call_command("collectstatic", interactive=False, verbosity=0)
    return True
