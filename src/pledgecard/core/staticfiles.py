"""Static files as they are served: named by their content's hash, with gzip and brotli copies beside them."""

import logging
import os
from pathlib import Path

from django.core.signals import setting_changed
from django.dispatch import receiver
from whitenoise.storage import CompressedManifestStaticFilesStorage

logger = logging.getLogger(__name__)


def _without_source_maps(patterns):
    def names_a_map(rule):
        return "sourceMappingURL" in (rule[0] if isinstance(rule, tuple) else rule)

    return tuple((extension, tuple(r for r in rules if not names_a_map(r))) for extension, rules in patterns)


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    """whitenoise's storage, leaving `sourceMappingURL` comments as they are.

    The NHS.UK frontend's compiled CSS and JavaScript name source maps that its package does not ship;
    Django's storage would stop collectstatic on each one. Browsers ask for a map only while their developer
    tools are open, so a missing one costs nobody anything.
    """

    patterns = _without_source_maps(CompressedManifestStaticFilesStorage.patterns)


def static_url(path: str) -> str:
    """The address of a static file: its hashed name, or, before collectstatic has run, its own name.

    A page must not fail because a process was started without collectstatic (a benchmark in one process, a
    shell): the file is then named as it is, and a warning says what to run.
    """
    from django.contrib.staticfiles.storage import staticfiles_storage

    if (found := _hashed.get(path)) is not None:
        return found
    try:
        # The manifest's answer is fixed until collectstatic runs again, and asking it costs about as much as
        # a bare view: every page names three or four files.
        found = _hashed[path] = staticfiles_storage.url(path)
        return found
    except ValueError:
        if path not in _unhashed:
            _unhashed.add(path)
            logger.warning("%s is not in the static files manifest: run `pledgecard collectstatic`", path)
        from django.conf import settings

        return settings.STATIC_URL + path


_unhashed: set[str] = set()
_hashed: dict[str, str] = {}


@receiver(setting_changed)
def _forget_hashed_names(*, setting, **kwargs):
    if setting in {"STORAGES", "STATIC_URL", "STATIC_ROOT"}:
        _hashed.clear()


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
    _hashed.clear()
    return True
