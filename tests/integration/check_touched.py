"""Checks that an image holds every file and directory the app touched when it ran on the build
host, as far as the image is meant to have it.

The app runs on the host under `strace -f -qq -y -e trace=%file -o LOG`. Every successful %file
system call (return value not negative) names a path; relative paths are resolved against the
directory file descriptor strace -y decorates, or the process's working directory (initially CWD,
then whatever chdir() set). Paths under /proc, /sys, /dev, /tmp, /run and the app's own directory
on the host are skipped. A path *counts* when
  (a) it belongs to a package of the build's candidate set (plan.json "packages", whose
      /var/lib/dpkg/info/NAME[:ARCH].list files are read), matched through the usrmerge aliases
      (/lib/x is /usr/lib/x; likewise /bin, /sbin, /lib64, /lib32, /libx32), either as the app
      named it or after os.path.realpath on the host; or
  (b) distill generates it: a .pyc under __pycache__ whose source .py belongs to a candidate
      package, /etc/ld.so.cache, the CA bundle, /etc/passwd, /etc/group, /etc/nsswitch.conf.
/etc/localtime is host configuration (see HOST_CONFIG) and never counts.
Directories count too: the app listed or stat()ed them, so the image must have them.

Every counted path must exist in ROOTFS, looked up the way the kernel would inside the image:
intermediate symlinks followed inside ROOTFS (so /lib/x reaches usr/lib/x through the image's
usrmerge link, and an absolute link target stays inside the image), and the last component
followed too when the call followed it (open, stat, access, execve) but not for lstat/readlink.
A process that executes a program no candidate package ships (a host tool the app runs) is not
followed past that execve: the image has no such program. A symbolic link only stat()ed in a
directory the app listed (glob's is_dir() on each entry) is not counted: the listing asked for
it, nothing reads it.
Missing paths are printed and make the exit status 1; the paths that were touched but do not
count are listed afterwards, for information.

usage: check_touched.py ROOTFS PLAN_JSON STRACE_LOG APP_DIR CWD

The parsing helpers are also imported by scripts/bench."""
import json
import os
import re
import stat
import sys

SKIP_PREFIXES = ("/proc", "/sys", "/dev", "/tmp", "/run")
USRMERGED = {"bin", "sbin", "lib", "lib32", "lib64", "libx32"}
# Host configuration a package's maintainer script makes from the admin's choices: tzdata's postinst
# links /etc/localtime to the zone picked at install time. An image without it runs in UTC, which
# is what an image should do; it is not counted even though its target belongs to tzdata.
HOST_CONFIG = {"/etc/localtime"}
GENERATED = {"/etc/ld.so.cache", "/etc/ssl/certs/ca-certificates.crt", "/etc/passwd",
             "/etc/group", "/etc/nsswitch.conf"}

# Where the path arguments of each %file call are: (index of the directory fd or None, index of
# the path). Calls missing here fall back to their first string argument.
PATH_ARGS = {
    "open": [(None, 0)], "creat": [(None, 0)], "openat": [(0, 1)], "openat2": [(0, 1)],
    "stat": [(None, 0)], "lstat": [(None, 0)], "newfstatat": [(0, 1)], "fstatat64": [(0, 1)],
    "statx": [(0, 1)], "access": [(None, 0)], "faccessat": [(0, 1)], "faccessat2": [(0, 1)],
    "readlink": [(None, 0)], "readlinkat": [(0, 1)], "execve": [(None, 0)],
    "execveat": [(0, 1)], "chdir": [(None, 0)], "statfs": [(None, 0)], "mkdir": [(None, 0)],
    "mkdirat": [(0, 1)], "unlink": [(None, 0)], "unlinkat": [(0, 1)], "rmdir": [(None, 0)],
    "rename": [(None, 0), (None, 1)], "renameat": [(0, 1), (2, 3)],
    "renameat2": [(0, 1), (2, 3)], "link": [(None, 0), (None, 1)], "linkat": [(0, 1), (2, 3)],
    "symlink": [(None, 1)], "symlinkat": [(1, 2)], "chmod": [(None, 0)], "fchmodat": [(0, 1)],
    "chown": [(None, 0)], "lchown": [(None, 0)], "fchownat": [(0, 1)], "utimensat": [(0, 1)],
    "inotify_add_watch": [(None, 1)],
}
# Calls that do not follow a symbolic link in the last component.
NOFOLLOW = {"lstat", "readlink", "readlinkat", "lchown", "lgetxattr", "llistxattr", "unlink",
            "unlinkat", "rmdir", "rename", "renameat", "renameat2", "symlink", "symlinkat",
            "link", "mkdir", "mkdirat"}

LINE = re.compile(r"^(\d+)\s+(.*)$")
CALL = re.compile(r"^(\w+)\((.*)\)\s+=\s+(-?\d+|\?)(?:<[^>]*>)?(?:\s.*)?$", re.S)
UNFINISHED = " <unfinished ...>"
RESUMED = re.compile(r"^<\.\.\. (\w+) resumed>(.*)$", re.S)
DIRFD = re.compile(r"^(AT_FDCWD|-?\d+)(?:<(.*)>)?$", re.S)
DECORATED = re.compile(r"^\s*(AT_FDCWD|-?\d+)$")  # strace -y follows these with <path>


def split_args(text):
    """Splits strace's argument text at top-level commas (quotes, brackets, -y decorations)."""
    args, cur, depth, i = [], [], 0, 0
    while i < len(text):
        c = text[i]
        if c == '"':
            j = i + 1
            while j < len(text) and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            cur.append(text[i:j + 1])
            i = j + 1
            continue
        if c == "<" and DECORATED.match("".join(cur)):
            j = text.find(">", i)
            j = len(text) - 1 if j < 0 else j
            cur.append(text[i:j + 1])
            i = j + 1
            continue
        if c in "[{(":
            depth += 1
        elif c in "]})":
            depth -= 1
        elif c == "," and depth == 0:
            args.append("".join(cur).strip())
            cur = []
            i += 1
            continue
        cur.append(c)
        i += 1
    if cur or args:
        args.append("".join(cur).strip())
    return args


def unquote(arg):
    """strace's C-escaped string literal → str (None when arg is not a complete literal)."""
    if len(arg) < 2 or arg[0] != '"' or not arg.endswith('"') or arg.endswith('"...'):
        return None
    body, out, i = arg[1:-1], bytearray(), 0
    simple = {"n": 10, "t": 9, "r": 13, "v": 11, "f": 12, "a": 7, "b": 8, '"': 34, "\\": 92}
    while i < len(body):
        c = body[i]
        if c != "\\":
            out += c.encode()
            i += 1
        elif body[i + 1:i + 2] == "x":
            out.append(int(body[i + 2:i + 4], 16))
            i += 4
        elif body[i + 1:i + 2].isdigit():
            j = i + 1
            while j < len(body) and j < i + 4 and body[j] in "01234567":
                j += 1
            out.append(int(body[i + 1:j], 8))
            i = j
        else:
            out.append(simple.get(body[i + 1], ord(body[i + 1])))
            i += 2
    return os.fsdecode(bytes(out))


def follows(call, args):
    if call in NOFOLLOW:
        return False
    if call in ("newfstatat", "fstatat64", "statx", "faccessat2", "fchownat", "utimensat",
                "execveat") and any("AT_SYMLINK_NOFOLLOW" in a for a in args[2:]):
        return False
    if call in ("open", "openat", "openat2") and any("O_NOFOLLOW" in a for a in args[1:]):
        return False
    return True


def parse_strace(log, cwd):
    """Yields (pid, call, absolute normalised path, followed) for every successful %file call."""
    cwds, pending = {}, {}
    with open(log, errors="surrogateescape") as f:
        for raw in f:
            m = LINE.match(raw.rstrip("\n"))
            if not m:
                continue
            pid, rest = int(m.group(1)), m.group(2)
            if rest.startswith("+++") or rest.startswith("---"):
                continue
            if rest.endswith(UNFINISHED):
                pending[pid] = rest[:-len(UNFINISHED)]
                continue
            r = RESUMED.match(rest)
            if r:
                if pid not in pending:
                    continue
                rest = pending.pop(pid) + r.group(2)
            c = CALL.match(rest)
            if not c or c.group(3) == "?" or int(c.group(3)) < 0:
                continue
            call, args = c.group(1), split_args(c.group(2))
            positions = PATH_ARGS.get(call)
            if positions is None:
                positions = [(None, i) for i, a in enumerate(args) if a.startswith('"')][:1]
            here = cwds.get(pid, cwd)
            for fd_i, path_i in positions:
                if path_i >= len(args):
                    continue
                path = unquote(args[path_i])
                if not path:
                    continue  # fd-relative call with an empty path (AT_EMPTY_PATH), or NULL
                base = here
                if fd_i is not None and fd_i < len(args):
                    d = DIRFD.match(args[fd_i])
                    if d and d.group(2) is not None:
                        base = d.group(2)  # the directory (or cwd) strace -y names
                    elif d and d.group(1) != "AT_FDCWD":
                        continue  # a directory fd strace could not name
                full = os.path.normpath(os.path.join(base, path))
                if full.startswith("//"):
                    full = full[1:]
                if call == "chdir":
                    cwds[pid] = full
                yield pid, call, full, follows(call, args)


def app_calls(log, cwd, pkg_paths):
    """parse_strace's records, without those of a process after it executed a program no
    candidate package ships (platform.architecture() runs the host's `file`): in the image that
    program does not exist, so nothing it would open is needed there."""
    foreign = set()
    for pid, call, path, follow in parse_strace(log, cwd):
        if pid in foreign:
            continue
        if call in ("execve", "execveat") and why_counted(path, pkg_paths) is None:
            foreign.add(pid)
            continue
        yield pid, call, path, follow


OPENS = {"open", "openat", "openat2", "creat", "execve", "execveat"}


def listing_probe(path, opened, listed):
    """A symbolic link the app only stat()ed, in a directory it listed: os.scandir's is_dir()
    follows links to tell directories from files (glob does that for every entry). Only the
    listing asked for it; an image without the link lists one entry fewer and nothing reads
    it."""
    return (os.path.islink(path) and os.path.dirname(path) in listed and path not in opened
            and os.path.realpath(path) not in opened)


def under(path, top):
    return path == top or path.startswith(top.rstrip("/") + "/")


def skipped(path, app_dirs):
    return any(under(path, p) for p in SKIP_PREFIXES + tuple(app_dirs))


def canon(path):
    """The /usr form of a usrmerge alias: /lib/x → /usr/lib/x."""
    parts = path.split("/", 2)
    if len(parts) > 1 and parts[1] in USRMERGED:
        return "/usr" + path
    return path


def dpkg_list(name, arch):
    for cand in ("%s:%s" % (name, arch), name):
        p = "/var/lib/dpkg/info/%s.list" % cand
        if os.path.exists(p):
            return p
    return None


def package_paths(plan):
    """Canonical paths of every file and directory of the candidate packages, and the lists read."""
    paths, missing_lists = set(), []
    for pkg in plan["packages"]:
        lst = dpkg_list(pkg["name"], pkg.get("arch") or plan.get("arch", "amd64"))
        if lst is None:
            missing_lists.append(pkg["name"])
            continue
        with open(lst, errors="surrogateescape") as f:
            for line in f:
                p = line.rstrip("\n")
                if p in ("/.", ""):
                    p = "/"
                paths.add(canon(p))
    return paths, missing_lists


def pyc_source(path):
    """/a/__pycache__/m.cpython-311.opt-1.pyc → /a/m.py (None for anything else)."""
    d, base = os.path.split(path)
    if os.path.basename(d) != "__pycache__" or not base.endswith(".pyc"):
        return None
    return os.path.join(os.path.dirname(d), base.split(".", 1)[0] + ".py")


def why_counted(path, pkg_paths):
    """'package', 'package (realpath)', 'generated' or None."""
    real = os.path.realpath(path)
    if path in HOST_CONFIG:
        return None
    if canon(path) in pkg_paths:
        return "package"
    if canon(real) in pkg_paths:
        return "package (realpath %s)" % real
    for p in (path, real):
        if p in GENERATED:
            return "generated"
        src = pyc_source(p)
        if src and canon(src) in pkg_paths:
            return "generated .pyc"
    return None


def exists_in_root(root, path, follow, hops=40):
    """Looks path up inside root as the kernel would after chroot(root)."""
    parts = [p for p in path.split("/") if p]
    cur = ""
    while parts:
        name = parts.pop(0)
        if name == ".":
            continue
        if name == "..":
            cur = os.path.dirname(cur) if cur else ""
            continue
        nxt = cur + "/" + name
        try:
            st = os.lstat(root + nxt)
        except OSError:
            return False
        if stat.S_ISLNK(st.st_mode) and (parts or follow):
            hops -= 1
            if hops < 0:
                return False
            target = os.readlink(root + nxt)
            base = "" if target.startswith("/") else cur
            parts = [p for p in (base + "/" + target).split("/") if p] + parts
            cur = ""
            continue
        if parts and not stat.S_ISDIR(st.st_mode):
            return False
        cur = nxt
    return True


def link_to_host_config(root, path, pkg_paths):
    """A link a package ships, present in the image, whose target is host configuration no
    package ships (tzdata's zoneinfo/localtime → /etc/localtime): the image has what the
    package has, and the host's answer came from the host's own file."""
    if not exists_in_root(root, path, False) or not os.path.islink(path):
        return False
    target = os.readlink(path)
    if not target.startswith("/"):
        target = os.path.normpath(os.path.join(os.path.dirname(path), target))
    return why_counted(target, pkg_paths) is None


def main():
    if len(sys.argv) != 6:
        sys.exit("usage: check_touched.py ROOTFS PLAN_JSON STRACE_LOG APP_DIR CWD")
    root, plan_path, log, app_dir, cwd = sys.argv[1:]
    plan = json.load(open(plan_path))
    pkg_paths, missing_lists = package_paths(plan)
    app_dirs = {os.path.abspath(app_dir), os.path.realpath(app_dir)}

    followed = {}  # path → whether any successful call followed its last component
    opened, listed = set(), set()
    for _, call, path, follow in app_calls(log, cwd, pkg_paths):
        if call in OPENS:
            opened.add(path)
            if os.path.isdir(path):
                listed.add(path)
        if skipped(path, app_dirs) or skipped(os.path.realpath(path), app_dirs):
            continue
        followed[path] = followed.get(path, False) or follow
    for path in [p for p in followed if listing_probe(p, opened, listed)]:
        del followed[path]
    if not followed:
        sys.exit("no successful %file calls in " + log + ": was the app traced?")

    counted, others = {}, []
    for path in sorted(followed):
        why = why_counted(path, pkg_paths)
        if why:
            counted[path] = why
        else:
            others.append(path)
    missing = [p for p in sorted(counted)
               if not exists_in_root(root, p, followed[p]) and not link_to_host_config(root, p, pkg_paths)]

    print("touched %d paths outside /proc /sys /dev /tmp /run and the app; %d counted "
          "(%d from candidate packages, %d generated by distill), %d not counted"
          % (len(followed), len(counted),
             sum(1 for w in counted.values() if w.startswith("package")),
             sum(1 for w in counted.values() if w.startswith("generated")), len(others)))
    if missing_lists:
        print("no dpkg file list for candidate packages: " + " ".join(missing_lists))
    for p in missing:
        print("MISSING in the image: %s (%s%s)" % (p, counted[p], "" if followed[p] else ", lstat"))
    if others:
        print("touched but not counted (no candidate package ships them, distill does not "
              "generate them):")
        for p in others:
            print("  " + p + ("  (host configuration)" if p in HOST_CONFIG else ""))
    print("%d of %d counted paths missing from the image" % (len(missing), len(counted)))
    sys.exit(1 if missing else 0)


if __name__ == "__main__":
    main()
