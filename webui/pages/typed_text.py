"""What someone typed (a title, a name, an organisation, a recipient) keeps its own direction
wherever a page shows it: a Latin title in an Arabic sentence, or an Arabic name in a French
one, is not reordered with the words around it; its quotes, commas and last digits stay where
they were typed."""

from markupsafe import Markup


def typed(text: str | None) -> Markup:
    """The text, escaped, in a <bdi> (HTML's isolate: its direction comes from its own first
    letter); nothing for no text. Not for a <title> or an attribute, which hold no markup."""
    return Markup("<bdi>{}</bdi>").format(text) if text else Markup()
