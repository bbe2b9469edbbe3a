"""Audit adapters: the court dossier as HTML and PDF."""

from adapters.audit.dossier import render_html, render_pdf

__all__ = ["render_html", "render_pdf"]
