"""PyGObject: GLib through GObject introspection (gi.repository, typelibs, libglib by name)."""
import gi

gi.require_version("GLib", "2.0")
from gi.repository import GLib, GObject  # noqa: E402

print(GLib.markup_escape_text("<a & b>"))
print(GLib.compute_checksum_for_string(GLib.ChecksumType.SHA256, "hello", -1))
v = GLib.Variant("a{sv}", {"n": GLib.Variant("i", 42), "s": GLib.Variant("s", "txt")})
print(v.print_(True), v.unpack()["n"])
dt = GLib.DateTime.new_utc(2023, 5, 17, 8, 30, 0)
print(dt.format("%Y-%m-%d %H:%M"), dt.get_day_of_week())
print(GLib.utf8_strreverse("åbc", -1), GLib.base64_encode(b"distill"))
print(GLib.uri_escape_string("a b/ü", None, False))


class Counter(GObject.Object):
    count = GObject.Property(type=int, default=0)


c = Counter()
c.connect("notify::count", lambda obj, spec: print("notify", spec.name, obj.count))
c.count = 3
loop = GLib.MainLoop()
GLib.idle_add(lambda: (print("idle ran"), loop.quit())[1])
loop.run()
