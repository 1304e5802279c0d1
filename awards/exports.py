"""The awards' background exports: every certificate of a round, one PDF page each (``paper.round_certificates``)."""

from django.utils.translation import gettext_lazy as _

from project import exports

from . import paper

CERTIFICATES = "awards.certificates"

exports.register(CERTIFICATES, label=_("Certificates of a round (PDF)"), build=paper.round_certificates, paper=True)
