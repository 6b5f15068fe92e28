"""stevedore: load plugins registered as entry points (stevedore's own example namespace)."""
from stevedore import driver, extension

data = {"a": "A", "b": "B", "long": "word " * 3}
mgr = driver.DriverManager(namespace="stevedore.example.formatter", name="simple",
                           invoke_on_load=True, invoke_args=(20,))
print("".join(mgr.driver.format(data)))
ext = extension.ExtensionManager(namespace="stevedore.example.formatter", invoke_on_load=True,
                                 invoke_args=(20,))
print(sorted(ext.names()))
for name, result in sorted(ext.map(lambda e, d: (e.name, type(e.obj).__name__), data)):
    print(name, result)
