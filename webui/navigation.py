"""Where a page may send the browser next: only to one of our own pages."""

from urllib.parse import urlsplit

# Pages that make no sense to come back to after signing in.
_NOT_AFTER_SIGN_IN = ("/connexion", "/quitter", "/au-revoir", "/inactivite.css")


def own_page(url: str) -> str | None:
    """`url` when it is a path on this site (never another host, nor `//host`, nor `/\\host`
    which some browsers read as a host), else None."""
    if len(url) > 500 or not url.startswith("/") or url.startswith(("//", "/\\")):
        return None
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or "\\" in url or any(ord(c) < 32 for c in url):
        return None
    return url


def local_path(url: str) -> str | None:
    """`url` when it is a page of ours worth coming back to after signing in, else None."""
    path = own_page(url)
    if path is None:
        return None
    page = urlsplit(path).path
    if page == "/" or page.startswith(_NOT_AFTER_SIGN_IN):
        return None
    return path
