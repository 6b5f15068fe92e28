"""Docutils: reStructuredText from a file to HTML5, LaTeX and a pseudo-XML tree."""
import os

from docutils.core import publish_parts, publish_string

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "doc.rst"), encoding="utf-8") as f:
    source = f.read()
settings = {"embed_stylesheet": False, "stylesheet_path": "", "_disable_config": True,
            "language_code": "de", "report_level": 5, "use_latex_citations": True,
            "legacy_column_widths": False}
parts = publish_parts(source, writer_name="html5", settings_overrides=settings)
print(parts["title"])
print(parts["body"])
latex = publish_string(source, writer_name="latex", settings_overrides=settings).decode()
print([l for l in latex.splitlines() if l.startswith("\\section")])
print(publish_string(source, writer_name="pseudoxml", settings_overrides=settings).decode()[:200])
