"""Template tags every app shares."""

from django import template
from django.utils.html import format_html

from project import chrome, formtokens
from project.phones import for_people

register = template.Library()


@register.simple_tag(takes_context=True)
def form_token(context, form_name: str) -> str:
    """The hidden one-time token of a create form: ``{% form_token "activities.award_points" %}``."""
    request = context["request"]
    return format_html(
        '<input type="hidden" name="{}" value="{}">',
        formtokens.FIELD_NAME,
        formtokens.new_token(request.user, form_name),
    )


@register.filter
def phone(stored: str) -> str:
    """A stored (E.164) number as organizers read it: ``{{ person.phone|phone }}`` shows 13812345678."""
    return for_people(stored)


@register.simple_tag(takes_context=True)
def site_chrome(context, template_name: str) -> str:
    """The header or footer, shared by every reader of a kind, with this reader's parts (``project.chrome``)."""
    return chrome.render(template_name, context)
