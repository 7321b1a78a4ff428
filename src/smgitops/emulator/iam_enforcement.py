"""IAM enforcement switch: moto checks request signatures and IAM policies when it is on.

moto enforces IAM once more requests were served than `settings.INITIAL_NO_AUTH_ACTION_COUNT`;
0 means always. Requests must then be signed with an access key of a user in the emulated
IAM; `ensure_admin` creates one with full access so a test can set things up before it
switches to least-privilege credentials of its own.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from moto import settings as moto_settings
from moto.core.authorization import ActionAuthenticatorMixin

ADMIN_USER = "smgitops-emulator-admin"
_ADMIN_POLICY = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
)


@dataclass(frozen=True)
class Credentials:
    access_key_id: str
    secret_access_key: str


def set_enforcement(enabled: bool) -> None:
    """Turn moto's IAM checks on or off for every later request."""
    moto_settings.INITIAL_NO_AUTH_ACTION_COUNT = 0 if enabled else float("inf")
    ActionAuthenticatorMixin.request_count = 0


def ensure_admin(account_id: str) -> Credentials:
    """Credentials of an emulated IAM user allowed everything (created once per reset)."""
    from moto.iam.models import iam_backends

    backend = iam_backends[account_id]["aws"]
    if ADMIN_USER not in backend.users:
        backend.create_user(region_name="us-east-1", user_name=ADMIN_USER)
        backend.put_user_policy(ADMIN_USER, "admin", _ADMIN_POLICY)
        backend.create_access_key(ADMIN_USER)
    key = backend.users[ADMIN_USER].access_keys[0]  # the one key made with the user
    return Credentials(key.access_key_id, key.secret_access_key)
