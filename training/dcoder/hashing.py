"""The sha256 of a file, read in 1 MiB chunks (the manifests' `sha256` and `external_sha256`)."""
import hashlib


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
