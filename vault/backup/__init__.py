"""`coffre backup` and `coffre restore`: a folder that holds the database as a logical export,
the blob store's objects with their checksums and the keyring sealed under a passphrase."""
