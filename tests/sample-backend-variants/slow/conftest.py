import os

# Unit tests talk to a local audit stub; the deployed release waits on the real, slow one.
os.environ.setdefault("AUDIT_LATENCY_MS", "0")
