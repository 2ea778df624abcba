"""Document categories (API codes) and their French labels."""

CATEGORIES: dict[str, str] = {
    "identity": "Identité",
    "residence": "Titre de séjour",
    "health": "Santé",
    "housing": "Logement",
    "income": "Revenus et aides",
    "employment": "Travail",
    "taxes": "Impôts",
    "bank": "Banque",
    "family": "Famille",
    "justice": "Justice",
    "education": "École et formation",
    "other": "Autre",
}
