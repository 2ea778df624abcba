"""The life of the keys: status, rotations, integrity checks."""
