"""Runs a command on the build host as the image would see Python: every directory of the host
interpreter's sys.path shows only what the build's candidate packages put there.

An app run on the host is the oracle the image is compared with (its output, and the files it
touched under strace). The host has more packages than any one image: an optional import that
succeeds there (docutils tries PIL, bs4 tries lxml and html5lib) loads code and libraries that
the image can never hold, which the image's run then cannot match, and a .pth file no package
owns (a sandbox's, an administrator's) runs at every start on the host and never in an image.
So, in a private mount namespace, each sys.path directory holding anything no candidate package
ships is replaced by a tmpfs holding only the entries a candidate package ships (bind-mounted
from the original, so every path stays what it is on the host), plus the `__pycache__`
directories Debian's byte-compilation made. Nothing changes outside that namespace.

usage: unshare -m --propagation private python3.11 host_view.py PLAN_JSON -- CMD...
  (as root; CMD is exec'ed in the namespace)

The candidate packages are plan.json's "packages", read through their dpkg file lists
(check_touched.package_paths)."""
import ctypes
import json
import os
import stat
import subprocess
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_touched  # noqa: E402


def host_sys_path():
    """The host interpreter's sys.path directories, as it starts without the script's own."""
    out = subprocess.run(["/usr/bin/python3.11", "-c", "import sys; print('\\n'.join(sys.path))"],
                         check=True, stdout=subprocess.PIPE, text=True, cwd="/",
                         env={"PATH": "/usr/bin:/bin"}).stdout
    dirs = []
    for d in out.splitlines():
        d = os.path.realpath(d) if d else ""
        if d and d != "/" and os.path.isdir(d) and d not in dirs:
            dirs.append(d)
    return sorted(dirs, key=len)  # parents before the directories inside them


def kept_entries(directory, pkg_paths):
    """The entries of directory a candidate package ships (and __pycache__), and whether any
    other entry exists."""
    keep, hide = [], False
    for name in sorted(os.listdir(directory)):
        path = os.path.join(directory, name)
        if name == "__pycache__" or check_touched.canon(path) in pkg_paths:
            keep.append(name)
        else:
            hide = True
    return keep, hide


LIBC = ctypes.CDLL(None, use_errno=True)
MS_BIND = 4096


def mount(source, target, fstype, flags, data):
    """mount(2) itself: mount(8) would canonicalise a /proc/self/fd source into the path that
    the tmpfs now hides."""
    if LIBC.mount(source.encode(), target.encode(), fstype.encode() if fstype else None, flags,
                  data.encode() if data else None) != 0:
        e = ctypes.get_errno()
        raise OSError(e, "mount %s on %s: %s" % (source, target, os.strerror(e)))


def filter_directory(directory, keep):
    """Replaces directory with a tmpfs holding only the entries in keep, each bind-mounted from
    the original (reached through a descriptor opened before the tmpfs hides it)."""
    dirfd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    st = os.fstat(dirfd)
    mount("tmpfs", directory, "tmpfs", 0,
          "mode=%o,uid=%d,gid=%d" % (stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid))
    for name in keep:
        dst = os.path.join(directory, name)
        st = os.lstat(name, dir_fd=dirfd)
        if stat.S_ISLNK(st.st_mode):
            os.symlink(os.readlink(name, dir_fd=dirfd), dst)
            continue
        if stat.S_ISDIR(st.st_mode):
            os.mkdir(dst)
        else:
            open(dst, "w").close()
        mount("/proc/self/fd/%d/%s" % (dirfd, name), dst, None, MS_BIND, None)
    os.close(dirfd)


def main():
    if len(sys.argv) < 4 or sys.argv[2] != "--":
        sys.exit("usage: host_view.py PLAN_JSON -- CMD...")
    if os.getuid() != 0:
        sys.exit("host_view.py: needs root (it mounts in a private namespace)")
    plan = json.load(open(sys.argv[1]))
    pkg_paths, missing = check_touched.package_paths(plan)
    if missing:
        sys.exit("host_view.py: no dpkg file list for candidate packages: " + " ".join(missing))
    for d in host_sys_path():
        if not os.path.isdir(d):
            continue  # hidden with a filtered parent
        keep, hide = kept_entries(d, pkg_paths)
        if hide:
            filter_directory(d, keep)
    os.execvp(sys.argv[3], sys.argv[3:])


if __name__ == "__main__":
    main()
