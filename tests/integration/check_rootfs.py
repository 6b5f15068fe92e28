"""Policy checks on an unpacked rootfs (docs/architecture.md, "Root filesystem policy"), printing one line per
problem and exiting 1 when there is any.

usage: check_rootfs.py ROOTFS USER UID GID [host|archive]
With "archive" (an image built from Debian's archives), /etc/debian_version is base-files' own
(a Debian release number), not necessarily the build host's."""
import os
import stat
import sys

root, user, uid, gid = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
origin = sys.argv[5] if len(sys.argv) > 5 else "host"
home = "/home/" + user
problems = []

FORBIDDEN = {"sh", "bash", "dash", "busybox", "dpkg", "apt"}


def forbidden(name):
    return name in FORBIDDEN or name.startswith("dpkg-") or name.startswith("apt-")


def under(path, top):
    return path == top or path.startswith(top + "/")


for dirpath, dirnames, filenames in os.walk(root):
    for name in dirnames + filenames:
        full = os.path.join(dirpath, name)
        rel = "/" + os.path.relpath(full, root)
        st = os.lstat(full)
        mode = st.st_mode
        if not stat.S_ISDIR(mode) and forbidden(name):
            problems.append("shell or package manager: %s" % rel)
        if mode & (stat.S_ISUID | stat.S_ISGID):
            problems.append("setuid/setgid: %s %o" % (rel, mode))
        if under(rel, home):
            if (st.st_uid, st.st_gid) != (uid, gid):
                problems.append("home entry not owned by the user: %s" % rel)
        elif st.st_uid != 0 or st.st_gid != 0:
            problems.append("not root-owned: %s (%d:%d)" % (rel, st.st_uid, st.st_gid))
        if stat.S_ISLNK(mode) or under(rel, home) or under(rel, "/tmp"):
            continue
        # UID 1000 is neither the owner (root) nor in group 0: only "other" bits apply, and
        # group bits would apply to anyone added to root's group.
        if mode & (stat.S_IWOTH | stat.S_IWGRP):
            problems.append("writable by the app user: %s %o" % (rel, mode))


def expect(path, want):
    full = root + path
    try:
        got = open(full).read()
    except OSError as e:
        problems.append("%s: %s" % (path, e))
        return
    if got != want:
        problems.append("%s differs:\n%s\n--- expected ---\n%s" % (path, got, want))


expect("/etc/passwd",
       "root:x:0:0:root:/root:/sbin/nologin\n"
       "%s:x:%d:%d::/home/%s:/sbin/nologin\n"
       "nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n" % (user, uid, gid, user))
expect("/etc/group", "root:x:0:\n%s:x:%d:\nnogroup:x:65534:\n" % (user, gid))
if os.path.lexists(root + "/sbin/nologin"):
    problems.append("/sbin/nologin exists (it must not: no shell at all)")
osr = {}
try:
    for line in open(root + "/etc/os-release"):
        if "=" in line:
            k, v = line.rstrip("\n").split("=", 1)
            osr[k] = v.strip('"')
except OSError as e:
    problems.append("/etc/os-release: %s" % e)
if osr.get("ID") != "debian" or not osr.get("VERSION_ID"):
    problems.append("/etc/os-release lacks ID=debian or VERSION_ID: %r" % osr)
if origin == "host":
    expect("/etc/debian_version", open("/etc/debian_version").read())
else:
    import re
    try:
        dv = open(root + "/etc/debian_version").read()
    except OSError as e:
        dv = str(e)
    if not re.fullmatch(r"\d+\.\d+\n", dv) or not dv.startswith(osr.get("VERSION_ID", "?") + "."):
        problems.append("/etc/debian_version %r is not a release of Debian %s" % (dv, osr.get("VERSION_ID")))
st = os.lstat(root + "/tmp")
if stat.S_IMODE(st.st_mode) != 0o1777:
    problems.append("/tmp mode %o, want 1777" % stat.S_IMODE(st.st_mode))
st = os.lstat(root + home)
if stat.S_IMODE(st.st_mode) != 0o700 or (st.st_uid, st.st_gid) != (uid, gid):
    problems.append("%s: mode %o owner %d:%d" % (home, stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid))
for top, target in (("/bin", "usr/bin"), ("/sbin", "usr/sbin"), ("/lib", "usr/lib")):
    if not os.path.islink(root + top) or os.readlink(root + top) != target:
        problems.append("%s is not the usrmerge symlink to %s" % (top, target))

for p in problems:
    print(p)
sys.exit(1 if problems else 0)
