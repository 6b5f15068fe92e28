/* The interpreter probe (docs/architecture.md, "Python import closure"): run the image's own
 * interpreter once — through the tree's ld.so when the architecture is the host's, under qemu-user
 * -L otherwise — and ask it what only it knows (builtin and frozen modules, extension suffixes,
 * cache tag, magic number, default sys.path). A per-version table answers when it cannot run. */
#include "distill/python/pyprobe.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "distill/base/arch.h"
#include "distill/base/spawn.h"
#include "distill/core/roottree.h"

#define PYRUN_MAX_STDOUT (256u << 20) /* the probe prints a few KB; the compiler a line per job */
#define PROBE_MAX_ITEMS  100000
#define PROBE_MAX_STRING 4096

/* qemu-ARCH-static on PATH or in /usr/bin; the bare name when absent (pyrun_exec then explains). */
static char *find_qemu(const char *qemu_arch)
{
        char *name = xasprintf("qemu-%s-static", qemu_arch);
        char *found = spawn_find_program(name);
        if (!found)
                return name;
        free(name);
        return found;
}

int pyrun_prepare(const char *tree, const char *interp, const char *ldso, const char *arch,
                  struct pyrun *run, struct distill_error *err)
{
        memset(run, 0, sizeof(*run));
        if (!tree || !interp || interp[0] != '/')
                return distill_error_set(err, DISTILL_EUSAGE,
                                         "interpreter probe: need a tree and an absolute "
                                         "interpreter path (got %s)",
                                         interp ? interp : "(none)");
        const struct arch_info *ai = arch_lookup(arch);
        if (!ai)
                return distill_error_set(err, DISTILL_EUSAGE,
                                         "interpreter probe: unsupported architecture %s",
                                         arch ? arch : "(none)");
        char *real = realpath(tree, NULL);
        if (!real)
                return distill_error_errno(err, DISTILL_EIO, errno, "interpreter tree %s", tree);
        /* "/" as the tree would make every stripped path start with "//" */
        if (strcmp(real, "/") == 0)
                real[0] = '\0';
        run->tree = real;

        char *interp_host = roottree_host_path(run->tree[0] ? run->tree : "/", interp);
        const char *host_arch = arch_host();
        if (host_arch && strcmp(host_arch, ai->deb) == 0) {
                if (ldso && *ldso) {
                        strvec_push_nodup(&run->argv,
                                          roottree_host_path(run->tree[0] ? run->tree : "/", ldso));
                        strvec_push(&run->argv, "--inhibit-cache");
                        strvec_push(&run->argv, "--library-path");
                        strvec_push_nodup(&run->argv,
                                          xasprintf("%s/usr/lib/%s:%s/lib/%s:%s/usr/lib:%s/lib",
                                                    run->tree, ai->triplet, run->tree, ai->triplet,
                                                    run->tree, run->tree));
                }
                /* without a loader the interpreter is static and runs directly */
        } else {
                if (!ai->qemu) {
                        free(interp_host);
                        return distill_error_set(err, DISTILL_EUSAGE,
                                                 "interpreter probe: %s cannot run on this %s "
                                                 "host, and qemu-user has no emulator for it",
                                                 ai->deb, host_arch ? host_arch : "unknown");
                }
                run->is_emulated = true;
                strvec_push_nodup(&run->argv, find_qemu(ai->qemu));
                strvec_push(&run->argv, "-L");
                strvec_push(&run->argv, run->tree[0] ? run->tree : "/");
        }
        strvec_push_nodup(&run->argv, interp_host);
        return 0;
}

void pyrun_release(struct pyrun *run)
{
        if (!run)
                return;
        free(run->tree);
        strvec_clear(&run->argv);
        memset(run, 0, sizeof(*run));
}

/* ---- running ---------------------------------------------------------------------------- */

/* "INTERP" or "INTERP (via LOADER)" for messages; fits the caller's buffer. */
static const char *run_name(const struct pyrun *run, char *buf, size_t size)
{
        if (run->argv.n == 0)
                return "(nothing)";
        if (run->argv.n == 1)
                return run->argv.v[0];
        snprintf(buf, size, "%s (via %s)", run->argv.v[run->argv.n - 1], run->argv.v[0]);
        return buf;
}

int pyrun_exec_env(const struct pyrun *run, const char *const *args, char *const *envp,
                   const char *input, size_t input_len, unsigned timeout_s, char **out,
                   size_t *out_len, struct distill_error *err)
{
        struct strvec argv = STRVEC_INIT;
        struct spawn_result res;
        char name[2 * PATH_MAX];
        int ret;

        *out = NULL;
        if (out_len)
                *out_len = 0;
        if (!run || run->argv.n == 0)
                return distill_error_set(err, DISTILL_EINTERNAL, "no interpreter prepared");
        if (!strchr(run->argv.v[0], '/'))
                return distill_error_set(err, DISTILL_EIO,
                                         "cannot run %s: %s not found on PATH or in /usr/bin "
                                         "(install qemu-user-static to run a foreign interpreter)",
                                         run_name(run, name, sizeof(name)), run->argv.v[0]);
        for (size_t i = 0; i < run->argv.n; i++)
                strvec_push(&argv, run->argv.v[i]);
        for (size_t i = 0; args && args[i]; i++)
                strvec_push(&argv, args[i]);

        /* Never the build host's environment: what the image's interpreter imports and
         * prints must not depend on its PYTHON* variables, nor qemu-user's behaviour on its
         * QEMU_* ones. */
        struct spawn_opts opts = {
            .argv = argv.v,
            .envp = envp,
            .name = run_name(run, name, sizeof(name)),
            .input = input,
            .input_len = input_len,
            .timeout_s = timeout_s ? timeout_s : 1,
            .out_cap = PYRUN_MAX_STDOUT,
        };
        ret = spawn_run(&opts, &res, err);
        if (ret == 0)
                ret = spawn_check_exit(&opts, &res, err);
        if (ret < 0) {
                distill_error_prefix(err, "running ");
                goto cleanup;
        }
        if (out_len)
                *out_len = res.out.len;
        *out = strbuf_detach(&res.out); /* NUL-terminated, "" when empty */

cleanup:
        spawn_result_release(&res);
        strvec_clear(&argv);
        return ret;
}

int pyrun_exec_timeout(const struct pyrun *run, const char *const *args, const char *input,
                       size_t input_len, unsigned timeout_s, char **out, size_t *out_len,
                       struct distill_error *err)
{
        return pyrun_exec_env(run, args, NULL, input, input_len, timeout_s, out, out_len, err);
}

int pyrun_exec(const struct pyrun *run, const char *const *args, const char *input,
               size_t input_len, char **out, size_t *out_len, struct distill_error *err)
{
        return pyrun_exec_timeout(run, args, input, input_len, PYRUN_DEFAULT_TIMEOUT, out, out_len,
                                  err);
}

/* ---- the probe ---------------------------------------------------------------------------- */

/* Run with -S so that sys.path holds only what getpath computed, then add every directory site
 * would add if it exists in the image: the tree need not hold the image's dist-packages, and
 * whether a site dir exists in the image depends on which packages are kept. -B keeps the probe
 * from writing __pycache__ into the tree. */
static const char probe_script[] =
    "import sys, os, json, site, importlib.util, importlib.machinery\n"
    "import _imp\n"
    "try:\n"
    "    frozen = list(_imp._frozen_module_names())\n"
    "except AttributeError:\n"
    "    frozen = [n for n in sys.modules if _imp.is_frozen(n)]\n"
    "path = [p for p in sys.path if p]\n"
    "for p in site.getsitepackages():\n"
    "    if p not in path:\n"
    "        path.append(p)\n"
    "stdlib = getattr(sys, '_stdlib_dir', None) or os.path.dirname(os.__file__)\n"
    "import encodings.aliases\n"
    "json.dump({'version': '%d.%d' % sys.version_info[:2],\n"
    "           'cache_tag': sys.implementation.cache_tag,\n"
    "           'magic': importlib.util.MAGIC_NUMBER.hex(),\n"
    "           'builtin': sorted(sys.builtin_module_names),\n"
    "           'frozen': frozen,\n"
    "           'ext_suffixes': list(importlib.machinery.EXTENSION_SUFFIXES),\n"
    "           'sys_path': path,\n"
    "           'stdlib_dir': stdlib,\n"
    "           'codec_aliases': encodings.aliases.aliases}, sys.stdout)\n";

static int json_str(json_t *obj, const char *key, const char **out, struct distill_error *err)
{
        json_t *v = json_object_get(obj, key);
        if (!json_is_string(v) || json_string_length(v) == 0 ||
            json_string_length(v) > PROBE_MAX_STRING ||
            strlen(json_string_value(v)) != json_string_length(v))
                return distill_error_set(err, DISTILL_EIO,
                                         "interpreter probe output: \"%s\" is not a string", key);
        *out = json_string_value(v);
        return 0;
}

static int json_strs(json_t *obj, const char *key, struct strvec *out, struct distill_error *err)
{
        json_t *arr = json_object_get(obj, key);
        if (!json_is_array(arr) || json_array_size(arr) > PROBE_MAX_ITEMS)
                return distill_error_set(err, DISTILL_EIO,
                                         "interpreter probe output: \"%s\" is not a list", key);
        size_t i;
        json_t *v;
        json_array_foreach(arr, i, v)
        {
                if (!json_is_string(v) || json_string_length(v) > PROBE_MAX_STRING ||
                    strlen(json_string_value(v)) != json_string_length(v))
                        return distill_error_set(err, DISTILL_EIO,
                                                 "interpreter probe output: %s[%zu] is not a "
                                                 "string",
                                                 key, i);
                strvec_push(out, json_string_value(v));
        }
        return 0;
}

static bool is_magic_hex(const char *s)
{
        if (strlen(s) != 8)
                return false;
        for (const char *p = s; *p; p++)
                if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
                        return false;
        return true;
}

/* Host path reported by the interpreter → image path. Through the tree's loader, everything of
 * the image lives under TREE; under qemu -L the interpreter may also see image paths directly. */
static char *to_image_path(const struct pyrun *run, const char *p)
{
        size_t tl = strlen(run->tree);
        if (p[0] != '/')
                return NULL;
        if (tl == 0)
                return path_normalize(p);
        if (path_has_prefix(p, run->tree))
                return p[tl] ? path_normalize(p + tl) : xstrdup("/");
        return run->is_emulated ? path_normalize(p) : NULL;
}

static int parse_probe(const struct pyrun *run, const char *text, size_t len, struct py_probe *out,
                       struct distill_error *err)
{
        json_error_t jerr;
        json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
        const char *s;
        int ret;
        struct strvec paths = STRVEC_INIT;

        if (!root || !json_is_object(root)) {
                ret = distill_error_set(err, DISTILL_EIO, "interpreter probe output:%d:%d: %s",
                                        jerr.line, jerr.column,
                                        root ? "not a JSON object" : jerr.text);
                goto cleanup;
        }
        if ((ret = json_str(root, "version", &s, err)) < 0)
                goto cleanup;
        out->version = xstrdup(s);
        if ((ret = json_str(root, "cache_tag", &s, err)) < 0)
                goto cleanup;
        out->cache_tag = xstrdup(s);
        if ((ret = json_str(root, "magic", &s, err)) < 0)
                goto cleanup;
        if (!is_magic_hex(s)) {
                ret = distill_error_set(err, DISTILL_EIO,
                                        "interpreter probe output: magic number \"%s\" is not 4 "
                                        "bytes of hex",
                                        s);
                goto cleanup;
        }
        out->magic_hex = xstrdup(s);
        if ((ret = json_strs(root, "builtin", &out->builtin, err)) < 0 ||
            (ret = json_strs(root, "frozen", &out->frozen, err)) < 0 ||
            (ret = json_strs(root, "ext_suffixes", &out->ext_suffixes, err)) < 0 ||
            (ret = json_strs(root, "sys_path", &paths, err)) < 0)
                goto cleanup;
        for (size_t i = 0; i < paths.n; i++) {
                char *ip = to_image_path(run, paths.v[i]);
                if (!ip) {
                        strvec_push_nodup(&out->notes,
                                          xasprintf("sys.path entry %s is outside the tree %s; "
                                                    "dropped",
                                                    paths.v[i], run->tree));
                        continue;
                }
                if (strvec_contains(&out->sys_path, ip))
                        free(ip);
                else
                        strvec_push_nodup(&out->sys_path, ip);
        }
        json_t *aliases = json_object_get(root, "codec_aliases");
        if (!json_is_object(aliases) || json_object_size(aliases) > PROBE_MAX_ITEMS) {
                ret = distill_error_set(err, DISTILL_EIO,
                                        "interpreter probe output: \"codec_aliases\" is not an "
                                        "object");
                goto cleanup;
        }
        const char *alias;
        json_t *module;
        json_object_foreach(aliases, alias, module)
        {
                if (!json_is_string(module) || strlen(alias) > PROBE_MAX_STRING ||
                    json_string_length(module) > PROBE_MAX_STRING ||
                    strlen(json_string_value(module)) != json_string_length(module)) {
                        ret = distill_error_set(err, DISTILL_EIO,
                                                "interpreter probe output: codec alias %s is "
                                                "not a string",
                                                alias);
                        goto cleanup;
                }
                free(strmap_put(&out->codec_aliases, alias, xstrdup(json_string_value(module))));
        }
        if ((ret = json_str(root, "stdlib_dir", &s, err)) < 0)
                goto cleanup;
        out->stdlib_dir = to_image_path(run, s);
        if (!out->stdlib_dir) {
                ret = distill_error_set(err, DISTILL_EIO,
                                        "interpreter probe: stdlib directory %s is outside the "
                                        "tree %s",
                                        s, run->tree);
                goto cleanup;
        }
        ret = 0;
cleanup:
        json_decref(root);
        strvec_clear(&paths);
        return ret;
}

static int probe_interpreter(const struct pyrun *run, struct py_probe *out,
                             struct distill_error *err)
{
        const char *args[] = {"-I", "-S", "-B", "-c", probe_script, NULL};
        char *text = NULL;
        size_t len = 0;
        int ret = pyrun_exec(run, args, NULL, 0, &text, &len, err);
        if (ret == 0)
                ret = parse_probe(run, text, len, out, err);
        free(text);
        return ret;
}

int pyprobe_run(const struct pyrun *run, const char *version, const char *arch,
                struct py_probe *out, struct distill_error *err)
{
        struct distill_error why = {0};

        memset(out, 0, sizeof(*out));
        if (run && run->argv.n > 0) {
                if (probe_interpreter(run, out, &why) == 0) {
                        if (version && strcmp(version, out->version) != 0)
                                strvec_push_nodup(&out->notes,
                                                  xasprintf("the interpreter is Python %s, not "
                                                            "%s as expected; using its answers",
                                                            out->version, version));
                        return 0;
                }
                py_probe_release(out);
        } else {
                distill_error_set(&why, DISTILL_EIO, "no interpreter to run");
        }
        struct distill_error table_err = {0};
        if (pyprobe_from_table(version, arch, out, &table_err) < 0)
                return distill_error_set(err, DISTILL_EUSAGE,
                                         "%s, and the interpreter could not run: %s", table_err.msg,
                                         why.msg);
        out->fallback_reason = xstrdup(why.msg);
        return 0;
}

/* ---- the per-version table ----------------------------------------------------------------- */

/* Debian 12's python3.11 (3.11.2), as it reports itself. */
static const char *const py311_builtin[] = {
    "_abc",         "_ast",      "_bisect",   "_blake2",          "_codecs",
    "_collections", "_csv",      "_datetime", "_elementtree",     "_functools",
    "_heapq",       "_imp",      "_io",       "_locale",          "_md5",
    "_opcode",      "_operator", "_pickle",   "_posixsubprocess", "_random",
    "_sha1",        "_sha256",   "_sha3",     "_sha512",          "_signal",
    "_socket",      "_sre",      "_stat",     "_statistics",      "_string",
    "_struct",      "_symtable", "_thread",   "_tokenize",        "_tracemalloc",
    "_warnings",    "_weakref",  "array",     "atexit",           "binascii",
    "builtins",     "cmath",     "errno",     "faulthandler",     "fcntl",
    "gc",           "grp",       "itertools", "marshal",          "math",
    "posix",        "pwd",       "pyexpat",   "select",           "spwd",
    "sys",          "syslog",    "time",      "unicodedata",      "xxsubtype",
    "zlib",         NULL,
};

static const char *const py311_frozen[] = {
    "_frozen_importlib",
    "_frozen_importlib_external",
    "zipimport",
    "abc",
    "codecs",
    "io",
    "_collections_abc",
    "_sitebuiltins",
    "genericpath",
    "ntpath",
    "posixpath",
    "os.path",
    "os",
    "site",
    "stat",
    "importlib.util",
    "importlib.machinery",
    "runpy",
    "__hello__",
    "__hello_alias__",
    "__phello_alias__",
    "__phello_alias__.spam",
    "__phello__",
    "__phello__.__init__",
    "__phello__.ham",
    "__phello__.ham.__init__",
    "__phello__.ham.eggs",
    "__phello__.spam",
    "__hello_only__",
    NULL,
};

/* sys.modules after a plain start under LANG=C.UTF-8, aliases left out */
static const char *const py311_startup[] = {
    "_abc",
    "_codecs",
    "_collections_abc",
    "_frozen_importlib",
    "_frozen_importlib_external",
    "_imp",
    "_io",
    "_signal",
    "_sitebuiltins",
    "_stat",
    "_thread",
    "_warnings",
    "_weakref",
    "abc",
    "builtins",
    "codecs",
    "encodings",
    "encodings.aliases",
    "encodings.utf_8",
    "genericpath",
    "io",
    "marshal",
    "os",
    "posix",
    "posixpath",
    "site",
    "stat",
    "sys",
    "time",
    "zipimport",
    NULL,
};

struct py_table {
        const char *version;
        const char *cache_tag;
        const char *magic_hex;
        const char *const *builtin;
        const char *const *frozen;
        const char *const *startup;
};

static const struct py_table py_tables[] = {
    {"3.11", "cpython-311", "a70d0d0a", py311_builtin, py311_frozen, py311_startup},
};

static const struct py_table *find_table(const char *version)
{
        for (size_t i = 0; i < sizeof(py_tables) / sizeof(py_tables[0]); i++)
                if (version && strcmp(py_tables[i].version, version) == 0)
                        return &py_tables[i];
        return NULL;
}

static void push_all(struct strvec *sv, const char *const *names)
{
        for (size_t i = 0; names[i]; i++)
                strvec_push(sv, names[i]);
}

int pyprobe_from_table(const char *version, const char *arch, struct py_probe *out,
                       struct distill_error *err)
{
        const struct py_table *t = find_table(version);
        memset(out, 0, sizeof(*out));
        if (!t)
                return distill_error_set(err, DISTILL_EUSAGE, "no probe table for Python %s",
                                         version ? version : "(unknown)");
        const struct arch_info *ai = arch_lookup(arch);
        if (!ai)
                return distill_error_set(err, DISTILL_EUSAGE, "no probe table for architecture %s",
                                         arch ? arch : "(unknown)");
        const char *v = t->version;
        char nodot[16];
        size_t j = 0;
        for (const char *p = v; *p && j + 1 < sizeof(nodot); p++)
                if (*p != '.')
                        nodot[j++] = *p;
        nodot[j] = '\0';

        out->version = xstrdup(v);
        out->cache_tag = xstrdup(t->cache_tag);
        out->magic_hex = xstrdup(t->magic_hex);
        push_all(&out->builtin, t->builtin);
        push_all(&out->frozen, t->frozen);
        strvec_push_nodup(&out->ext_suffixes, xasprintf(".cpython-%s-%s.so", nodot, ai->triplet));
        strvec_push(&out->ext_suffixes, ".abi3.so");
        strvec_push(&out->ext_suffixes, ".so");
        /* getpath's entries, then every directory Debian's site.getsitepackages() names */
        strvec_push_nodup(&out->sys_path, xasprintf("/usr/lib/python%s.zip", nodot));
        strvec_push_nodup(&out->sys_path, xasprintf("/usr/lib/python%s", v));
        strvec_push_nodup(&out->sys_path, xasprintf("/usr/lib/python%s/lib-dynload", v));
        strvec_push_nodup(&out->sys_path, xasprintf("/usr/local/lib/python%s/dist-packages", v));
        strvec_push(&out->sys_path, "/usr/lib/python3/dist-packages");
        strvec_push_nodup(&out->sys_path, xasprintf("/usr/lib/python%s/dist-packages", v));
        out->stdlib_dir = xasprintf("/usr/lib/python%s", v);
        out->from_table = true;
        return 0;
}

/* ---- what a plain start imports ------------------------------------------------------------ */

/* sys.modules as the program's first line finds it: what the interpreter imported on its own
 * (site, its codecs, Debian's sitecustomize), whatever release it is — built in, frozen, or
 * from the standard library's directory. What a .pth file of a site directory imports is not
 * the interpreter's: the image's own .pth files are read as the image has them
 * (pymodules_add_pth_files), a sysroot's others are no part of it. Aliases (os.path is
 * posixpath: its spec names another module) and __main__ are not modules to find. */
static const char startup_script[] =
    "import sys\n"
    "def interpreters(n, m):\n"
    "    spec = getattr(m, '__spec__', None)\n"
    "    if spec is None:\n"
    "        return n in sys.builtin_module_names\n"
    "    origin = spec.origin or ''\n"
    "    return spec.name == n and (origin in ('built-in', 'frozen') or\n"
    "                               origin.startswith(stdlib + '/'))\n"
    "import os\n"
    "stdlib = getattr(sys, '_stdlib_dir', None) or os.path.dirname(os.__file__)\n"
    "names = [n for n, m in list(sys.modules.items()) if interpreters(n, m)]\n"
    "import _imp, json\n"
    "json.dump({'startup': sorted(names),\n"
    "           'frozen': sorted(n for n in names if _imp.is_frozen(n))}, sys.stdout)\n";

/* Variables of the image's env the start-up probe does not get: they name paths of the image
 * that would be read on the build host (PYTHONPATH, the user's home, the locale directory),
 * or make the run something else than a start (PYTHONINSPECT reads stdin as a REPL). */
static bool startup_env_dropped(const char *entry)
{
        static const char *const names[] = {
            "PATH",
            "HOME",
            "LOCPATH",
            "GCONV_PATH",
            "PYTHONHOME",
            "PYTHONPATH",
            "PYTHONSTARTUP",
            "PYTHONUSERBASE",
            "PYTHONEXECUTABLE",
            "PYTHONPLATLIBDIR",
            "PYTHONPYCACHEPREFIX",
            "PYTHONINSPECT",
        };
        const char *eq = strchr(entry, '=');
        size_t n = eq ? (size_t)(eq - entry) : strlen(entry);
        if (strncmp(entry, "LD_", 3) == 0)
                return true;
        for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
                if (strlen(names[i]) == n && strncmp(entry, names[i], n) == 0)
                        return true;
        return !eq;
}

static void startup_env(const struct strvec *env, struct strvec *out)
{
        for (size_t i = 0; env && i < env->n; i++)
                if (!startup_env_dropped(env->v[i]))
                        strvec_push(out, env->v[i]);
        strvec_push(out, "PATH=/usr/bin:/bin");
        strvec_push(out, "HOME=/nonexistent");
}

static int parse_startup(const char *text, size_t len, struct py_probe *p,
                         struct distill_error *err)
{
        json_error_t jerr;
        json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
        struct strvec startup = STRVEC_INIT, frozen = STRVEC_INIT;
        int ret;

        if (!root || !json_is_object(root)) {
                ret = distill_error_set(err, DISTILL_EIO,
                                        "interpreter start-up probe output:%d:%d: %s", jerr.line,
                                        jerr.column, root ? "not a JSON object" : jerr.text);
                goto cleanup;
        }
        if ((ret = json_strs(root, "startup", &startup, err)) < 0 ||
            (ret = json_strs(root, "frozen", &frozen, err)) < 0)
                goto cleanup;
        for (size_t i = 0; i < startup.n; i++)
                if (!strvec_contains(&p->startup, startup.v[i]))
                        strvec_push(&p->startup, startup.v[i]);
        for (size_t i = 0; i < frozen.n; i++)
                if (!strvec_contains(&p->frozen, frozen.v[i]))
                        strvec_push(&p->frozen, frozen.v[i]);
cleanup:
        json_decref(root);
        strvec_clear(&startup);
        strvec_clear(&frozen);
        return ret;
}

int pyprobe_startup(const struct pyrun *run, const struct strvec *env, struct py_probe *p,
                    struct distill_error *err)
{
        if (p->from_table) {
                const struct py_table *t = find_table(p->version);
                for (size_t i = 0; t && t->startup[i]; i++)
                        if (!strvec_contains(&p->startup, t->startup[i]))
                                strvec_push(&p->startup, t->startup[i]);
                return 0;
        }
        /* no -I (it ignores the env) nor -S (site is the point); -B writes nothing */
        const char *args[] = {"-B", "-c", startup_script, NULL};
        struct strvec envp = STRVEC_INIT;
        char *text = NULL;
        size_t len = 0;

        startup_env(env, &envp);
        int ret =
            pyrun_exec_env(run, args, envp.v, NULL, 0, PYRUN_DEFAULT_TIMEOUT, &text, &len, err);
        if (ret == 0)
                ret = parse_startup(text, len, p, err);
        else
                distill_error_prefix(err, "interpreter start-up probe: ");
        free(text);
        strvec_clear(&envp);
        return ret;
}

bool py_probe_is_builtin(const struct py_probe *p, const char *module)
{
        return p && module && strvec_contains(&p->builtin, module);
}

bool py_probe_is_frozen(const struct py_probe *p, const char *module)
{
        return p && module && strvec_contains(&p->frozen, module);
}

void py_probe_release(struct py_probe *p)
{
        if (!p)
                return;
        free(p->version);
        free(p->cache_tag);
        free(p->magic_hex);
        strvec_clear(&p->builtin);
        strvec_clear(&p->frozen);
        strvec_clear(&p->startup);
        strvec_clear(&p->ext_suffixes);
        strvec_clear(&p->sys_path);
        free(p->stdlib_dir);
        strmap_clear(&p->codec_aliases, free);
        free(p->fallback_reason);
        strvec_clear(&p->notes);
        memset(p, 0, sizeof(*p));
}
