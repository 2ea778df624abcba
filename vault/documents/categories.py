"""Document categories (API codes) and their French labels."""

from enum import StrEnum


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
    Category.IDENTITY: "Identité",
    Category.RESIDENCE: "Titre de séjour",
    Category.HEALTH: "Santé",
    Category.HOUSING: "Logement",
    Category.INCOME: "Revenus et aides",
    Category.EMPLOYMENT: "Travail",
    Category.TAXES: "Impôts",
    Category.BANK: "Banque",
    Category.FAMILY: "Famille",
    Category.JUSTICE: "Justice",
    Category.EDUCATION: "École et formation",
    Category.OTHER: "Autre",
}
