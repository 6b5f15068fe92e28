"""pkg_resources: version parsing, requirements, installed distributions and entry points."""
import pkg_resources

print(pkg_resources.parse_version("1.10.0") > pkg_resources.parse_version("1.9"))
req = pkg_resources.Requirement.parse("Markdown>=3.0,<4")
dist = pkg_resources.get_distribution("Markdown")
print(dist.project_name, dist in req)
eps = sorted(pkg_resources.iter_entry_points("markdown.extensions"), key=lambda e: e.name)
print([e.name for e in eps][:6])
tables = next(e for e in eps if e.name == "tables").load()
print(tables.__module__, tables.__name__)
print(pkg_resources.resource_exists("markdown", "extensions/toc.py"))
