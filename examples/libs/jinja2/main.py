"""Jinja2: templates loaded from files with FileSystemLoader, an extension named by string."""
import os

from jinja2 import Environment, FileSystemLoader, select_autoescape

here = os.path.dirname(os.path.abspath(__file__))
env = Environment(
    loader=FileSystemLoader(os.path.join(here, "templates")),
    autoescape=select_autoescape(["html"]),
    extensions=["jinja2.ext.loopcontrols", "jinja2.ext.do"],
)
template = env.get_template("page.html")
print(template.render(title="Fruit <list>", items=["apple", "banana", "cherry", "durian"]))
print(env.from_string("{{ n | filesizeformat }} / {{ words | wordcount }}").render(
    n=123456789, words="one two three"))
