"""PyYAML (Debian's python3-yaml) with the libyaml C loader and dumper."""
import yaml

DOC = """\
image: localhost/pyyaml:latest
layers:
  - name: runtime
    files: 412
  - name: app
    files: 1
labels: {team: distill, "quoted key": yes}
ratio: 0.25
"""

data = yaml.load(DOC, Loader=yaml.CLoader)
print("with libyaml:", yaml.__with_libyaml__)
print("loaded:", repr(data))
print("dumped:")
print(yaml.dump(data, Dumper=yaml.CDumper, sort_keys=True, default_flow_style=False), end="")
