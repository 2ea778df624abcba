"""Who may see whose papers: grants, organisations and their history."""
