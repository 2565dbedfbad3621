"""What counts as a credential, in one place: names of env-like entries, and userinfo in URLs.

Their values never reach a diff, a validation message, a log or a status file.
"""

from __future__ import annotations

import re

# A name is a credential's when one of its parts (split at '_', '-', '.' and camelCase) is
# one of these words, or ends with a glued form (HFTOKEN, DBPASSWORD). MAX_TOKENS or
# MONKEY are not credentials.
SECRET_WORDS = frozenset({
    "TOKEN", "SECRET", "SECRETS", "PASSWORD", "PASSWD", "PASS", "PWD", "KEY", "APIKEY",
    "ACCESSKEY", "SECRETKEY", "PRIVATEKEY", "CREDENTIAL", "CREDENTIALS", "CREDS", "AUTH",
    "AUTHORIZATION", "PRIVATE", "SESSION", "COOKIE", "SIGNATURE",
})
GLUED_SUFFIXES = ("TOKEN", "SECRET", "PASSWORD", "PASSWD")
MASK = "***"
_PARTS = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])")
_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)[^/@\s]+@")


def is_secret_name(name: str) -> bool:
    """HF_TOKEN, OPENAI_KEY, DB_PASS, awsSecretAccessKey, X-Api-Key: yes; LOG_LEVEL: no."""
    for part in _PARTS.split(name):
        upper = part.upper()
        if upper in SECRET_WORDS or (len(upper) > 4 and upper.endswith(GLUED_SUFFIXES)):
            return True
    return False


def mask_userinfo(text: str) -> str:
    """s3://user:key@bucket/x -> s3://***@bucket/x (any scheme)."""
    return _USERINFO.sub(rf"\g<scheme>{MASK}@", text)
