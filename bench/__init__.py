"""Pledgecard's benchmarks: `python -m bench` (or `make bench`). See bench/README.md.

- `web`: postcard submissions per second through gunicorn (as `pledgecard serve` runs it), beside a bare
  Django view on the same server in the same run.
- `worker`: reminders per second from `pledgecard worker --once` into a local SMTP sink, beside raw smtplib
  sending pre-built messages to the same sink in the same run.
"""

import os

# The bare view (/bench/bare/, the baseline every benchmark measures against) answers only with this on; the
# product's own processes get it through bench.common.product_env, which copies this environment.
os.environ.setdefault("PLEDGECARD_BENCH", "1")
