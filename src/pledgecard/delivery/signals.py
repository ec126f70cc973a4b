"""What the outbox tells the apps that send through it. It imports none of them: they listen."""

from django.dispatch import Signal

# A message that had been sent has failed for good, on the provider's word (GOV.UK Notify's receipt or poll).
# Sent with `message`. The app it belongs to may send it another way (pledges/fallback.py).
message_failed = Signal()
