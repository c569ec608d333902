# The Phonevoice seed's Python verify function, verbatim; the lines after it feed it a captured delivery.
import hmac, hashlib
def verify(raw_body: bytes, header: str, secret: str) -> bool:
    parts = dict(p.split("=") for p in header.split(","))
    expected = hmac.new(secret.encode(),
        f"{parts['t']}.{raw_body.decode()}".encode(),
        hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])

import sys
with open(sys.argv[1], "rb") as f:
    print("valid" if verify(f.read(), sys.argv[2], sys.argv[3]) else "invalid", end="")
