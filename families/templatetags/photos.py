"""``{% photo name alt %}``: a stored photo as a responsive <img> with srcset."""

from django import template
from django.utils.html import format_html

from project.images import photo_sources

register = template.Library()


@register.simple_tag
def photo(name: str, alt: str = "", sizes: str = "(min-width: 760px) 50vw, 100vw", css_class: str = ""):
    if not name:
        return ""
    sources = photo_sources(name)
    srcset = ", ".join(f"{url} {width}w" for url, width in sources if width)
    return format_html(
        '<img src="{}" srcset="{}" sizes="{}" alt="{}" class="{}" loading="lazy" decoding="async">',
        sources[1][0] if len(sources) > 2 else sources[-1][0],
        srcset,
        sizes,
        alt,
        css_class,
    )
