"""Organisers' URLs for attendee imports (included in the `organise` namespace by pledgecard/urls.py)."""

organise_patterns = []
