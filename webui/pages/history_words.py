"""The journal in plain French: one short sentence per line, saying who, what and which
paper (its title: the page is the owner's)."""

from vault.grants import GrantHolder
from vault.history import HistoryLine

# {who} is "Claire Martin, CCAS d'Orléans," or "Claire Martin"; {paper} is « title » or
# "un papier": « Claire Martin, CCAS d'Orléans, a ouvert « Carte d'identité » ».
_BY_OTHERS = {
    "documents_listed": "{who} a regardé la liste de vos papiers.",
    "document_viewed": "{who} a regardé la fiche de {paper}.",
    "document_downloaded": "{who} a ouvert {paper}.",
    "document_added": "{who} a ajouté {paper}.",
    "document_changed": "{who} a modifié {paper}.",
    "document_deleted": "{who} a supprimé {paper}.",
    "grant_requested": "{who} demande à voir vos papiers.",
    "grant_created": "{who} a reçu un accès à vos papiers.",
    "account_created_in_person": "{who} a créé votre coffre avec vous.",
    "reset_code_issued": "{who} vous a donné un code pour changer votre mot de passe.",
    "throttle_cleared": "{who} a levé l'attente après des erreurs de mot de passe.",
    "password_changed": "{who} a changé votre mot de passe avec vous.",
    "reset_code_used": "Le code donné par {who} a servi à changer votre mot de passe.",
    "access_refused": "{who} a essayé d'ouvrir {paper}, sans en avoir le droit.",
    "second_factor_reset": "{who} a arrêté votre double vérification.",
}
# The same action many times in one day, shown once: {count} is how many.
_REPEATED = {
    "access_refused": "{who} a essayé {count} fois d'ouvrir vos papiers, sans en avoir le droit.",
}
_BY_YOU = {
    "sign_in": "Vous avez ouvert votre coffre.",
    "sign_in_failed": "Quelqu'un a essayé d'ouvrir votre coffre avec un mauvais mot de passe.",
    "sign_out_everywhere": "Vous avez fermé votre coffre partout.",
    "password_changed": "Votre mot de passe a changé.",
    "recovery_codes_created": "Vous avez reçu de nouveaux codes de secours.",
    "recovery_code_used": "Vous avez utilisé un code de secours.",
    "recovery_failed": "Quelqu'un a essayé un mauvais code de secours.",
    "reset_code_used": "Vous avez utilisé le code donné par votre conseiller.",
    "second_factor_enabled": "La double vérification est activée.",
    "second_factor_failed": (
        "Quelqu'un a donné votre mot de passe, mais un mauvais code de vérification."
    ),
    "reauthentication_failed": (
        "Quelqu'un a écrit un mauvais mot de passe dans votre compte ouvert."
    ),
    "hold_ended": "Vous avez ouvert vos papiers fermés avec un code de secours.",
    "grant_created": "Vous avez donné un accès à vos papiers.",
    "grant_accepted": "Vous avez accepté une demande d'accès.",
    "grant_refused": "Vous avez refusé une demande d'accès.",
    "grant_revoked": "Vous avez arrêté un accès.",
    "grant_expired": "Un accès s'est arrêté tout seul (date de fin ou longue absence).",
    "document_added": "Vous avez ajouté {paper}.",
    "document_changed": "Vous avez modifié {paper}.",
    "document_deleted": "Vous avez supprimé {paper}.",
    "document_made_private": "Vous avez rendu {paper} privé.",
    "document_no_longer_private": "Vous avez rendu {paper} visible pour vos accès.",
}
# Lines about an access, when we know whose it is: {holder} is « Claire Martin, CCAS de Lyon ».
_ABOUT_AN_ACCESS = {
    "grant_created": "Vous avez donné un accès à vos papiers. Cet accès est pour {holder}.",
    "grant_accepted": "Vous avez accepté la demande de {holder}.",
    "grant_refused": "Vous avez refusé la demande de {holder}.",
    "grant_revoked": "Vous avez arrêté l'accès de {holder}.",
    "grant_expired": (
        "L'accès de {holder} s'est arrêté tout seul (date de fin ou longue absence)."
    ),
}


def sentence(line: HistoryLine, titles: dict[str, str]) -> str:
    title = titles.get(line.document_id or "")
    # A paper deleted since, or closed by a hold, has no title to show.
    paper = f"« {title} »" if title else "un papier"
    if line.by_someone_else:
        who = line.actor_name or "Quelqu'un"
        if line.organisation_name:
            who = f"{who}, {line.organisation_name},"
        template = _BY_OTHERS.get(line.action, "{who} : " + line.action.replace("_", " ") + ".")
        if line.count > 1:
            template = _REPEATED.get(line.action, template)
        return template.format(who=who, paper=paper, count=line.count)
    holder = _holder_words(line.grant_holder)
    if holder and line.action in _ABOUT_AN_ACCESS:
        return _ABOUT_AN_ACCESS[line.action].format(holder=holder)
    template = _BY_YOU.get(line.action, line.action.replace("_", " ").capitalize() + ".")
    return template.format(paper=paper)


def _holder_words(holder: GrantHolder | None) -> str:
    if holder is None:
        return ""
    return ", ".join(part for part in (holder.name, holder.organisation) if part)
