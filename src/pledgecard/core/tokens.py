"""Unguessable links for people without accounts.

A link's token is HMAC-SHA256(SECRET_KEY, purpose + link id): 256 bits nobody can guess without the server's
secret. The database keeps only the token's SHA-256, so a copy of the database alone opens nothing, yet the
server can write the same link again six months later without having stored it. Revoking a link gives the
row a new link id, which changes the token.
"""

import base64
import hashlib
import hmac

from django.conf import settings


def token_for(purpose: str, link_id) -> str:
    digest = hmac.new(settings.SECRET_KEY.encode(), f"{purpose}:{link_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def looks_like_token(token: str) -> bool:
    return len(token) == 43 and all(c.isalnum() or c in "-_" for c in token)
