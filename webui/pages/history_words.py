"""The journal in plain words: one short sentence per line, saying who, what and which
paper (its title: the page is the owner's). The sentences are messages of the catalogues, put
in the request's language before their places ({who}, {paper}...) are filled."""

from markupsafe import Markup, escape

from vault.consent.grants import GrantHolder
from vault.consent.history import HistoryLine
from vault.errors import N_
from webui.i18n import gettext
from webui.pages.typed_text import typed

# {who} is "Claire Martin, CCAS d'Orléans," or "Claire Martin"; {paper} is « title » or
# "un papier": « Claire Martin, CCAS d'Orléans, a ouvert « Carte d'identité » ».
_BY_OTHERS = {
    "documents_listed": N_("{who} a regardé la liste de vos papiers."),
    "document_viewed": N_("{who} a regardé la fiche de {paper}."),
    "document_downloaded": N_("{who} a ouvert {paper}."),
    "document_added": N_("{who} a ajouté {paper}."),
    "document_changed": N_("{who} a modifié {paper}."),
    "document_deleted": N_("{who} a mis {paper} dans la corbeille."),
    "document_reported": N_("{who} a signalé un papier abîmé."),
    "grant_requested": N_("{who} demande à voir vos papiers."),
    "grant_created": N_("{who} a reçu un accès à vos papiers."),
    "account_created_in_person": N_("{who} a créé votre coffre avec vous."),
    "reset_code_issued": N_("{who} vous a donné un code pour changer votre mot de passe."),
    "throttle_cleared": N_("{who} a levé l'attente après des erreurs de mot de passe."),
    "password_changed": N_("{who} a changé votre mot de passe avec vous."),
    "reset_code_used": N_("Le code donné par {who} a servi à changer votre mot de passe."),
    "recovery_code_used": N_(
        "Un code de secours vu par {who} a servi à changer votre mot de passe."
    ),
    "access_refused": N_("{who} a essayé d'ouvrir {paper}, sans en avoir le droit."),
    "reset_refused": N_("{who} a essayé de changer votre mot de passe, sans en avoir le droit."),
    "second_factor_reset": N_("{who} a arrêté votre double vérification."),
    "name_changed": N_("{who} a corrigé votre nom."),
    "reminder_sent": N_("{who} a reçu un rappel : {paper} expire bientôt."),
    "share_created": N_("{who} a envoyé une copie marquée de {paper}."),
    "share_revoked": N_("{who} a arrêté un lien vers la copie de {paper}."),
}
# A line about the vault as a whole rather than one of its papers.
_ABOUT_THE_VAULT = {
    "access_refused": N_("{who} a essayé de voir vos papiers, sans en avoir le droit."),
}
# The same action many times in one day, shown once: {count} is how many.
_REPEATED = {
    "access_refused": N_(
        "{who} a essayé {count} fois d'ouvrir vos papiers, sans en avoir le droit."
    ),
    "reset_refused": N_(
        "{who} a essayé {count} fois de changer votre mot de passe, sans en avoir le droit."
    ),
}
_BY_YOU = {
    "sign_in": N_("Vous avez ouvert votre coffre."),
    "sign_in_failed": N_("Quelqu'un a essayé d'ouvrir votre coffre avec un mauvais mot de passe."),
    "sign_out_everywhere": N_("Vous avez fermé votre coffre partout."),
    "password_changed": N_("Votre mot de passe a changé."),
    "contact_changed": N_("Vous avez changé votre adresse e-mail ou votre téléphone."),
    "name_changed": N_("Vous avez changé votre nom."),
    "recovery_codes_created": N_("Vous avez reçu de nouveaux codes de secours."),
    "recovery_code_used": N_("Vous avez utilisé un code de secours."),
    "recovery_failed": N_("Quelqu'un a essayé un mauvais code de secours."),
    "reset_code_used": N_("Vous avez utilisé le code donné par votre conseiller."),
    "second_factor_enabled": N_("La double vérification est activée."),
    "second_factor_replaced": N_("Vous avez changé d'application pour la double vérification."),
    "second_factor_failed": N_(
        "Quelqu'un a donné votre mot de passe, mais un mauvais code de vérification."
    ),
    "reauthentication_failed": N_(
        "Quelqu'un a écrit un mauvais mot de passe dans votre compte ouvert."
    ),
    "hold_ended": N_("Vous avez ouvert vos papiers fermés avec un code de secours."),
    "grant_created": N_("Vous avez donné un accès à vos papiers."),
    "grant_accepted": N_("Vous avez accepté une demande d'accès."),
    "grant_refused": N_("Vous avez refusé une demande d'accès."),
    "grant_revoked": N_("Vous avez arrêté un accès."),
    "grant_expired": N_("Un accès s'est arrêté tout seul (date de fin ou longue absence)."),
    "grant_holder_closed": N_("Un accès s'est arrêté : le compte de ce professionnel est fermé."),
    "request_holder_closed": N_(
        "Une demande d'accès s'est arrêtée : le compte de ce professionnel est fermé."
    ),
    "holder_renamed": N_(
        "Le nom d'un professionnel qui a accès à vos papiers a été corrigé par son organisation."
    ),
    "holder_joined": N_(
        "Un professionnel qui a accès à vos papiers travaille maintenant aussi pour une autre "
        "organisation."
    ),
    "holder_left": N_(
        "Un professionnel qui a accès à vos papiers ne travaille plus pour une de ses "
        "organisations."
    ),
    "organisation_created": N_("Vous avez créé une organisation."),
    "counsellor_created": N_("Vous avez créé le compte d'un professionnel."),
    "member_added": N_("Vous avez ajouté un professionnel à l'organisation."),
    "member_removed": N_("Vous avez retiré un professionnel de l'organisation."),
    "member_renamed": N_("Vous avez corrigé le nom d'un professionnel."),
    "document_added": N_("Vous avez ajouté {paper}."),
    "document_changed": N_("Vous avez modifié {paper}."),
    "document_deleted": N_("Vous avez mis {paper} dans la corbeille."),
    "document_restored": N_("Vous avez remis {paper} dans vos papiers."),
    "document_erased": N_("Un papier de la corbeille a été effacé pour toujours."),
    "document_reported": N_("Vous avez signalé un papier abîmé."),
    "document_made_private": N_("Vous avez rendu {paper} privé."),
    "document_no_longer_private": N_("Vous avez rendu {paper} visible pour vos accès."),
    "export_made": N_("Vous avez pris tous vos papiers dans un fichier ZIP."),
    "reminder_sent": N_("Nous vous avons rappelé que {paper} expire bientôt."),
    "share_created": N_("Vous avez envoyé une copie marquée de {paper}."),
    "share_revoked": N_("Vous avez arrêté un lien vers la copie de {paper}."),
    # Nobody signed in: the office that received the link, when the link is gone (erased with
    # its paper) and with it whom it was for.
    "share_viewed": N_("Le lien vers la copie de {paper} a été ouvert."),
    "share_opened": N_("La copie envoyée de {paper} a été téléchargée avec le lien."),
    "share_code_failed": N_("Quelqu'un a écrit un mauvais code pour la copie de {paper}."),
}
# Lines about a link, by whoever holds it: {recipient} is whom it was made for (« CAF du Loiret »).
_BY_THE_RECIPIENT = {
    "share_viewed": N_("{recipient} a ouvert le lien vers la copie de {paper}."),
    "share_opened": N_("{recipient} a téléchargé la copie de {paper}."),
}
# Lines about an access, when we know whose it is: {holder} is « Claire Martin, CCAS de Lyon ».
_ABOUT_AN_ACCESS = {
    "grant_created": N_("Vous avez donné un accès à vos papiers. Cet accès est pour {holder}."),
    "grant_accepted": N_("Vous avez accepté la demande de {holder}."),
    "grant_refused": N_("Vous avez refusé la demande de {holder}."),
    "grant_revoked": N_("Vous avez arrêté l'accès de {holder}."),
    "grant_expired": N_(
        "L'accès de {holder} s'est arrêté tout seul (date de fin ou longue absence)."
    ),
    "grant_holder_closed": N_("L'accès de {holder} s'est arrêté : son compte est fermé."),
    "request_holder_closed": N_("La demande de {holder} s'est arrêtée : son compte est fermé."),
    "holder_renamed": N_(
        "Le nom d'un professionnel qui a accès à vos papiers a été corrigé par son organisation. "
        "Son nom est maintenant : {holder}."
    ),
}
# Where the holder of a personal access works now: {name} is « Claire Martin », {organisation}
# the organisation they joined or left.
_ABOUT_A_HOLDERS_WORK = {
    "holder_joined": N_(
        "{name} travaille maintenant aussi pour {organisation}. "
        "Son accès à vos papiers reste : vous pouvez l'arrêter dans « Qui voit mes papiers »."
    ),
    "holder_left": N_(
        "{name} ne travaille plus pour {organisation}. "
        "Son accès à vos papiers reste : vous pouvez l'arrêter dans « Qui voit mes papiers »."
    ),
}
# An organisation admin's trail: {member} is « Claire Martin, CCAS d'Orléans ».
_ABOUT_A_MEMBER = {
    "counsellor_created": N_("Vous avez créé le compte de {member}."),
    "member_added": N_("Vous avez ajouté {member} à l'organisation."),
    "member_removed": N_("Vous avez retiré {member} de l'organisation."),
    "member_renamed": N_("Vous avez corrigé le nom de {member}."),
}


def sentence(
    line: HistoryLine, titles: dict[str, str], recipients: dict[str, str] | None = None
) -> Markup:
    """`titles` of the owner's papers and `recipients` of their links, by id."""
    title = titles.get(line.document_id or "")
    # A paper deleted since, or closed by a hold, has no title to show.
    paper = _said(N_("« {title} »"), title=typed(title)) if title else _said(N_("un papier"))
    recipient = (recipients or {}).get(line.share_id or "")
    if recipient and line.action in _BY_THE_RECIPIENT:
        return _said(_BY_THE_RECIPIENT[line.action], recipient=typed(recipient), paper=paper)
    if line.by_someone_else:
        who = typed(line.actor_name) if line.actor_name else _said(N_("Quelqu'un"))
        if line.organisation_name:
            who = _said(
                N_("{name}, {organisation},"),
                name=who,
                organisation=typed(line.organisation_name),
            )
        template = _BY_OTHERS.get(line.action, N_("{who} : {action}."))
        if line.document_id is None:
            template = _ABOUT_THE_VAULT.get(line.action, template)
        if line.count > 1:
            template = _REPEATED.get(line.action, template)
        return _said(
            template, who=who, paper=paper, count=line.count, action=line.action.replace("_", " ")
        )
    if line.member_name and line.action in _ABOUT_A_MEMBER:
        member = typed(line.member_name)
        if line.organisation_name:
            member = Markup(", ").join((member, typed(line.organisation_name)))
        return _said(_ABOUT_A_MEMBER[line.action], member=member)
    if line.grant_holder and line.organisation_name and line.action in _ABOUT_A_HOLDERS_WORK:
        return _said(
            _ABOUT_A_HOLDERS_WORK[line.action],
            name=typed(line.grant_holder.name),
            organisation=typed(line.organisation_name),
        )
    holder = _holder_words(line.grant_holder)
    if holder and line.action in _ABOUT_AN_ACCESS:
        return _said(_ABOUT_AN_ACCESS[line.action], holder=holder)
    if line.action not in _BY_YOU:
        return escape(line.action.replace("_", " ").capitalize() + ".")
    return _said(_BY_YOU[line.action], paper=paper)


def plain_sentence(line: HistoryLine, titles: dict[str, str]) -> str:
    """The same sentence as text, for the journal of « take everything » (a CSV file)."""
    return sentence(line, titles).striptags()


def _said(template: str, **parts: object) -> Markup:
    """The sentence in the page's language, its parts put in as text (escaped)."""
    return escape(gettext(template)).format(**parts)


def _holder_words(holder: GrantHolder | None) -> Markup:
    if holder is None:
        return Markup()
    return Markup(", ").join(typed(part) for part in (holder.name, holder.organisation) if part)
