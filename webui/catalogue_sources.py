"""What Babel reads to make the catalogues: the files (babel.cfg) and the calls whose first
argument is a message: gettext's, the marker N_ and the domain's refusals (vault.errors), whose
French message is translated at the edge."""

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg

from vault import errors

ROOT = Path(__file__).resolve().parent.parent
REFUSALS = tuple(
    name
    for name, value in vars(errors).items()
    if isinstance(value, type) and issubclass(value, errors.VaultError)
)
KEYWORDS: dict[str, tuple[int, ...] | None] = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "N_": None,
    **dict.fromkeys(REFUSALS, (1,)),
}


def extracted() -> Catalog:
    """Every message of the code and the templates, as a template catalogue."""
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)  # type: ignore[no-untyped-call]
    catalog = Catalog(project="coffre", locale=None)
    for path, line, message, comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        catalog.add(message, None, [(path, line)], auto_comments=comments, context=context)
    return catalog
