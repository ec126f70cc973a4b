"""Pledgecard's benchmarks: `python -m bench` (or `make bench`). See bench/README.md.

- `web`: postcard submissions per second through gunicorn (as `pledgecard serve` runs it), beside a bare
  Django view on the same server in the same run.
- `worker`: reminders per second from `pledgecard worker --once` into a local SMTP sink, beside raw smtplib
  sending pre-built messages to the same sink in the same run.
"""
