"""Text from outside that is kept as it came (a device's label, a username in the audit
log): what no database can store is taken out, so that storing it can never fail."""

from __future__ import annotations

import re
from typing import Any

# Control characters (NUL among them: PostgreSQL refuses it in text) and unpaired
# surrogates (not encodable as UTF-8).
UNSTORABLE = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")


def storable(value: Any, max_length: int) -> str:
    """``value`` as text a database stores as it is: unstorable characters become U+FFFD,
    runs of white space one space, at most ``max_length`` characters."""
    text = UNSTORABLE.sub("\ufffd", " ".join(str(value).split()))
    return text[:max_length]


def is_storable(text: str) -> bool:
    return UNSTORABLE.search(text) is None
