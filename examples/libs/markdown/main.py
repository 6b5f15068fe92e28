"""Python-Markdown: render a document from a file with extensions named by string."""
import os

import markdown

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "doc.md"), encoding="utf-8") as f:
    source = f.read()
md = markdown.Markdown(extensions=["tables", "fenced_code", "toc", "footnotes", "abbr",
                                   "markdown.extensions.sane_lists"])
print(md.convert(source))
print(md.toc)
