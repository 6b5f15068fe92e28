#include "distill/select/unkept.h"

#include <stdlib.h>
#include <string.h>

#include "distill/core/imagens.h"

static struct plan_package *plan_package_named(struct plan *plan, const char *name)
{
        for (size_t i = 0; i < plan->n_packages; i++)
                if (plan->packages[i].name && strcmp(plan->packages[i].name, name) == 0)
                        return &plan->packages[i];
        return NULL;
}

static bool under_dir(const char *path, const char *dir)
{
        size_t n = strlen(dir);
        return strncmp(path, dir, n) == 0 && path[n] == '/';
}

/* One package's files the image lacks; stdlib_seen keeps a path shared by two packages from
 * counting twice towards the standard library. */
static int count_package(struct plan *plan, const struct manifest *m, struct source *src,
                         const struct source_pkg *pkg, struct plan_count *unkept,
                         struct strmap *stdlib_seen, struct distill_error *err)
{
        for (size_t i = 0; i < pkg->files.n; i++) {
                cleanup_free char *canon = usrmerge_canonical(pkg->files.v[i]);
                if (!canon || plan_get(plan, canon) || manifest_excludes(m, canon))
                        continue;
                struct source_stat st = {0};
                int r = source_lstat(src, pkg->files.v[i], &st, err);
                free(st.link_target);
                if (r == -DISTILL_ERESOLVE)
                        continue; /* listed but absent (dpkg path-exclude): nothing to add */
                if (r < 0)
                        return r;
                if (st.type != SOURCE_REG)
                        continue;
                unkept->files++;
                unkept->bytes += st.size;
                if (plan->stdlib_dir && under_dir(canon, plan->stdlib_dir) &&
                    !strmap_has(stdlib_seen, canon)) {
                        strmap_put(stdlib_seen, canon, NULL);
                        plan->stdlib_unkept.files++;
                        plan->stdlib_unkept.bytes += st.size;
                }
        }
        return 0;
}

int unkept_record(struct plan *plan, const struct manifest *m, struct source *src,
                  const struct pkgset *candidates, struct distill_error *err)
{
        struct strmap stdlib_seen = STRMAP_INIT;
        int r = 0;

        plan->stdlib_unkept = (struct plan_count){0, 0};
        for (size_t i = 0; i < candidates->n && r == 0; i++) {
                const struct source_pkg *pkg = candidates->pkgs[i];
                struct plan_package *pp = plan_package_named(plan, pkg->name);
                struct plan_count count = {0, 0};
                r = count_package(plan, m, src, pkg, &count, &stdlib_seen, err);
                if (pp)
                        pp->unkept = count;
        }
        strmap_clear(&stdlib_seen, NULL);
        return r;
}
