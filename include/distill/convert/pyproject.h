/* The requirements a Python project declares outside requirements.txt: pyproject.toml (PEP 621's
 * [project] or Poetry's [tool.poetry]), poetry.lock and uv.lock, each turned into PEP 508 strings
 * that name where they came from. What cannot be expressed as a PEP 508 requirement of a package
 * index (git, path and URL dependencies, optional and development ones) is skipped and said in
 * notes. Errors: the TOML reader's (DISTILL_EUSAGE with file:line:col, DISTILL_EIO), and
 * DISTILL_EUSAGE naming the file and the key when a value has the wrong type. */
#ifndef DISTILL_CONVERT_PYPROJECT_H
#define DISTILL_CONVERT_PYPROJECT_H

#include <stddef.h>

#include "distill/base/error.h"
#include "distill/base/util.h"

struct pyproject_req {
        char *requirement; /* PEP 508 text, e.g. "flask>=2.2", "requests==2.28.1" */
        char *origin;      /* "pyproject.toml: project.dependencies[2]" */
};

struct pyproject_reqs {
        struct pyproject_req *v;
        size_t n;
        char *requires_python; /* PEP 440 specifier, or NULL */
        struct strvec notes;   /* what was skipped and why */
};

/* [project].dependencies and requires-python (PEP 621); without them [tool.poetry.dependencies]:
 * its python key is requires_python, ^ ~ and * constraints become the PEP 440 ranges Poetry's
 * documentation gives ("^1.2" is ">=1.2.0,<2.0.0", "~1.2" is ">=1.2.0,<1.3.0", "1.*" is
 * ">=1.0.0,<2.0.0", "*" is no specifier), tables give extras and markers (python and platform
 * keys become python_version / sys_platform markers), a list of tables gives one requirement
 * each. Optional, dev-group, git, path and URL dependencies are skipped with a note. */
int pyproject_read(const char *path, struct pyproject_reqs *out, struct distill_error *err);
/* The [[package]] entries of the main group, as "name==version" (with "; markers" when the lock
 * records them): `groups` containing "main" (lock-version 2.1), `category = "main"` (1.x); a
 * 2.0 lock records neither, and then the main group is the closure of the pyproject.toml next
 * to the lock over the packages' [package.dependencies] (all packages, with a note, when there
 * is none). */
int poetry_lock_read(const char *path, struct pyproject_reqs *out, struct distill_error *err);
/* What the root project (source editable or virtual ".") needs at run time: the closure of its
 * `dependencies` (with the optional-dependencies of the extras each edge asks for, never
 * dev-dependencies), as "name==version", with "; marker" when every path to a package is
 * conditional (the conditions of a path joined with "and", of several paths with "or"). The
 * project itself is left out; packages not from a registry are noted and left out. */
int uv_lock_read(const char *path, struct pyproject_reqs *out, struct distill_error *err);
void pyproject_reqs_release(struct pyproject_reqs *r);

/* A Poetry version constraint ("^1.2", "~1.2.3", "1.*", ">= 1.2, < 1.5", "1.2.3", "*") as a
 * PEP 440 specifier: 0 and *out (caller frees; "" for no constraint), or -1 with *why set to a
 * static explanation when it has no PEP 440 form ("||", an unparsable version). */
int poetry_constraint_pep440(const char *constraint, char **out, const char **why);

#endif
