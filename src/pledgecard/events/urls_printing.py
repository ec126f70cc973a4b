"""Organisers' URLs for attendee printing (included in the `organise` namespace by pledgecard/urls.py)."""

organise_patterns = []
