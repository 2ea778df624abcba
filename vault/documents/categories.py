"""Document categories (API codes) and their French labels, messages of the catalogues: pages
show them in the person's language (the `category` filter of webui/pages/render.py)."""

from enum import StrEnum

from vault.errors import N_


class Category(StrEnum):
    IDENTITY = "identity"
    RESIDENCE = "residence"
    HEALTH = "health"
    HOUSING = "housing"
    INCOME = "income"
    EMPLOYMENT = "employment"
    TAXES = "taxes"
    BANK = "bank"
    FAMILY = "family"
    JUSTICE = "justice"
    EDUCATION = "education"
    OTHER = "other"


CATEGORIES: dict[str, str] = {  # labels, in the order they are offered
    Category.IDENTITY: N_("Identité"),
    Category.RESIDENCE: N_("Titre de séjour"),
    Category.HEALTH: N_("Santé"),
    Category.HOUSING: N_("Logement"),
    Category.INCOME: N_("Revenus et aides"),
    Category.EMPLOYMENT: N_("Travail"),
    Category.TAXES: N_("Impôts"),
    Category.BANK: N_("Banque"),
    Category.FAMILY: N_("Famille"),
    Category.JUSTICE: N_("Justice"),
    Category.EDUCATION: N_("École et formation"),
    Category.OTHER: N_("Autre"),
}
