"""A Content-Security-Policy for every built page: defence in depth behind the sanitiser.

The policy is a ``<meta http-equiv>`` element, so it travels with the page to any web server and
to ``file://``. Scripts run only from the site's own files (``'self'``, which Chromium also
matches for pages opened from the file system) and the theme's own inline scripts, allowed one by
one by their SHA-256 hash. Inline event handlers (``onclick=``), ``javascript:`` URLs and inline
scripts a page's content might carry do not run, and nothing is loaded from another origin.

Only scripts of the page *template* are hashed: the page's content (where term text ends up) is
left out before hashing, so a script that slipped into it would still be refused. Styles may be
inline (the theme and the tables extension write ``style=`` attributes); images may be ``data:``
URLs (the theme's icons).
"""

from __future__ import annotations

import base64
import hashlib
import re

_SCRIPT = re.compile(r"<script\b(?P<attrs>[^>]*)>(?P<body>.*?)</script>", re.S | re.I)
_TYPE = re.compile(r"""\btype\s*=\s*["']?([^"'\s>]+)""", re.I)
_SRC = re.compile(r"\bsrc\s*=", re.I)
_EXECUTABLE = {"", "text/javascript", "application/javascript", "module"}
_HEAD = re.compile(r"<head[^>]*>(\s*<meta charset=[^>]*>)?", re.I)

DIRECTIVES = (
    ("default-src", "'self'"),
    ("script-src", "'self'"),
    ("style-src", "'self' 'unsafe-inline'"),
    ("img-src", "'self' data:"),
    ("font-src", "'self' data:"),
    ("connect-src", "'self'"),
    ("frame-src", "'self'"),
    ("worker-src", "'self'"),
    ("object-src", "'none'"),
    ("base-uri", "'none'"),
    ("form-action", "'none'"),
)


def inline_script_hashes(html: str) -> list[str]:
    """CSP source expressions (``'sha256-...'``) for every inline script that a browser would run."""
    hashes: list[str] = []
    for match in _SCRIPT.finditer(html):
        attrs = match.group("attrs")
        kind = _TYPE.search(attrs)
        if _SRC.search(attrs) or (kind and kind.group(1).lower() not in _EXECUTABLE):
            continue
        digest = hashlib.sha256(match.group("body").encode("utf-8")).digest()
        source = f"'sha256-{base64.b64encode(digest).decode('ascii')}'"
        if source not in hashes:
            hashes.append(source)
    return hashes


def policy(hashes: list[str]) -> str:
    parts = []
    for name, value in DIRECTIVES:
        if name == "script-src" and hashes:
            value = " ".join([value, *hashes])
        parts.append(f"{name} {value}")
    return "; ".join(parts)


def content_security_policy(page_html: str, content_html: str) -> str:
    """``page_html`` with a CSP ``<meta>`` at the top of its head.

    ``content_html`` is the page's content as inserted into the template; its scripts (there
    should be none) are not allowed by hash.
    """
    template = page_html.replace(content_html, "", 1) if content_html else page_html
    meta = f'<meta http-equiv="Content-Security-Policy" content="{policy(inline_script_hashes(template))}">'
    match = _HEAD.search(page_html)
    if match is None:
        return page_html
    return page_html[: match.end()] + "\n    " + meta + page_html[match.end() :]
