"""Take everything: every paper of a vault, its manifest and its journal, as one ZIP streamed
as it is made."""
