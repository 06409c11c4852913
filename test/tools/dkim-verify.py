#!/usr/bin/env python3
"""Verifies every DKIM-Signature of a message with dkimpy (Debian's python3-dkim), a
verifier we did not write. The message is on stdin; the key records come from a JSON
file {"<selector>._domainkey.<domain>": "v=DKIM1; ..."} named by argv[1], given to dkimpy
as its DNS function. Prints one line per signature: "<index> pass|fail" and exits 0 when
all pass."""
import json
import sys

import dkim

records = json.load(open(sys.argv[1]))


def dnsfunc(name, timeout=5):
    key = name.decode() if isinstance(name, bytes) else name
    value = records.get(key.rstrip("."))
    return value.encode() if value is not None else None


message = sys.stdin.buffer.read()
d = dkim.DKIM(message)
count = sum(1 for line in message.split(b"\r\n\r\n", 1)[0].split(b"\r\n") if line.lower().startswith(b"dkim-signature:"))
ok = True
for i in range(count):
    good = d.verify(idx=i, dnsfunc=dnsfunc)
    print(f"{i} {'pass' if good else 'fail'} {d.signature_fields.get(b'a', b'').decode()}")
    ok = ok and good
sys.exit(0 if ok and count > 0 else 1)
