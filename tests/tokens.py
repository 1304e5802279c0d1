"""One-time form tokens in tests: what a browser sends back when it submits a create form.

Two ways to get one, as a test needs:

- ``token(user, "activities.sign_up")``: a fresh token made for ``user``, to
  merge into the POST data (``{**data, **token(user, name)}``);
- ``page_forms(response)``: the forms a rendered page holds, with their hidden
  fields, so a test can send back exactly the token the page gave.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

from project import formtokens

FIELD = formtokens.FIELD_NAME


def token(user, form_name: str) -> dict[str, str]:
    """The hidden field of a create form rendered for ``user``."""
    return {FIELD: formtokens.new_token(user, form_name)}


@dataclass
class PageForm:
    action: str
    method: str
    hidden: dict[str, str] = field(default_factory=dict)

    @property
    def token(self) -> str | None:
        return self.hidden.get(FIELD)


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms: list[PageForm] = []
        self._open: PageForm | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._open = PageForm(action=attrs.get("action") or "", method=(attrs.get("method") or "get").lower())
            self.forms.append(self._open)
        elif tag == "input" and self._open is not None and attrs.get("type") == "hidden" and attrs.get("name"):
            self._open.hidden[attrs["name"]] = attrs.get("value") or ""

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        if tag == "form":
            self._open = None


def page_forms(response) -> list[PageForm]:
    """The forms of a rendered page, in order."""
    parser = _FormParser()
    parser.feed(response.content.decode())
    return parser.forms


def page_token(response, action: str = "", form: str | None = None) -> str:
    """The token of the POST form that sends to ``action`` ("" = the page itself), optionally the one whose
    hidden ``form`` field (the switch of pages with several forms) is ``form``. Fails if there is none."""
    path = response.request["PATH_INFO"]
    found = [
        f
        for f in page_forms(response)
        if f.method == "post"
        and f.token
        and (f.action or path) == (action or path)
        and (form is None or f.hidden.get("form") == form)
    ]
    assert found, f"no form with a one-time token posts to {action or path} on {path}"
    return found[0].token
