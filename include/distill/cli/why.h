/* `distill why` and `distill resolve`: explain the plan that was built (OUT/plan.json) or that a
 * manifest resolves to, never re-resolving against a host that may have changed. */
#ifndef DISTILL_WHY_H
#define DISTILL_WHY_H

#include <stdbool.h>
#include <stdio.h>
#include "distill/core/plan.h"

/* Print the chain from a seed to `path`, one line per link, e.g.
 *   /usr/lib/x86_64-linux-gnu/libssl.so.3
 *     ← NEEDED libssl.so.3 by /usr/lib/python3.11/lib-dynload/_ssl.cpython-311-x86_64-linux-gnu.so
 *     ← import _ssl in /usr/lib/python3.11/ssl.py:99
 *     ← import ssl in /app/main.py:3
 *     ← seed (python.app /app)
 * or a plain statement that PATH is not in the image (returns 1 then, 0 when found). `path` is
 * normalised and resolved through the plan's symlinks when it is not an entry itself. */
int why_explain(struct plan *plan, const char *path, bool json, FILE *out,
                struct distill_error *err);

/* `distill resolve`: packages (candidate/kept), file count and bytes per package, warnings
 * (unresolved guarded imports, …), as text or JSON. */
int resolve_report(struct plan *plan, bool json, FILE *out, struct distill_error *err);

#endif
