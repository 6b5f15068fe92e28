#include "distill/core/planstats.h"

#include <stdlib.h>
#include <string.h>

#include "distill/base/util.h"

/* A table being filled: rows plus name → 1-based row index. */
struct tally {
        struct planstats_table t;
        size_t cap;
        struct strmap index;
};

static struct planstats_row *tally_row(struct tally *ty, const char *name)
{
        size_t k = (uintptr_t)strmap_get(&ty->index, name);
        if (k)
                return &ty->t.rows[k - 1];
        if (ty->t.n == ty->cap) {
                ty->cap = ty->cap ? ty->cap * 2 : 16;
                ty->t.rows = xrealloc(ty->t.rows, ty->cap * sizeof(*ty->t.rows));
        }
        struct planstats_row *row = &ty->t.rows[ty->t.n++];
        *row = (struct planstats_row){.name = xstrdup(name)};
        strmap_put(&ty->index, name, (void *)(uintptr_t)ty->t.n);
        return row;
}

static void tally_add(struct tally *ty, const char *name, uint64_t bytes)
{
        struct planstats_row *row = tally_row(ty, name);
        row->files++;
        row->bytes += bytes;
}

static int cmp_row_name(const void *a, const void *b)
{
        const struct planstats_row *x = a, *y = b;
        return strcmp(x->name, y->name);
}

/* The table, sorted by name when asked; the index goes. */
static struct planstats_table tally_finish(struct tally *ty, bool sort)
{
        strmap_clear(&ty->index, NULL);
        if (sort && ty->t.n > 1)
                qsort(ty->t.rows, ty->t.n, sizeof(*ty->t.rows), cmp_row_name);
        return ty->t;
}

/* The directory holding path, cut to at most `depth` components ("/" for a file at the top). */
static char *dir_at_depth(const char *path, int depth)
{
        const char *end = strrchr(path, '/');
        const char *p = path;
        for (int d = 0; d < depth; d++) {
                const char *next = strchr(p + 1, '/');
                if (!next || next > end)
                        break;
                p = next;
        }
        if (p > end)
                p = end;
        return p == path ? xstrdup("/") : xstrndup(path, (size_t)(p - path));
}

static int cmp_largest(const void *a, const void *b)
{
        const struct plan_entry *x = *(const struct plan_entry *const *)a;
        const struct plan_entry *y = *(const struct plan_entry *const *)b;
        if (x->size != y->size)
                return x->size > y->size ? -1 : 1;
        return strcmp(x->path, y->path);
}

static void count_types(const struct plan_entry *e, struct planstats *s)
{
        s->entries++;
        switch (e->type) {
        case PLAN_FILE:
                s->total.files++;
                s->total.bytes += e->size;
                break;
        case PLAN_DIR:
                s->directories++;
                break;
        case PLAN_SYMLINK:
                s->symlinks++;
                break;
        case PLAN_HARDLINK:
                s->hardlinks++;
                break;
        }
}

static const char *owner_row(const struct plan_entry *e)
{
        if (e->pkg)
                return e->pkg;
        return plan_reason_group(e->reason) == PLAN_G_GENERATED ? PLANSTATS_GENERATED
                                                                : PLANSTATS_APP;
}

/* Candidates first, so that a candidate with no file in the image still has its row. */
static void seed_packages(struct plan *plan, struct tally *pk, struct planstats *s)
{
        for (size_t i = 0; i < plan->n_packages; i++) {
                const struct plan_package *p = &plan->packages[i];
                if (!p->name)
                        continue;
                struct planstats_row *row = tally_row(pk, p->name);
                if (!row->pkg) {
                        row->pkg = p;
                        s->packages_unkept.files += p->unkept.files;
                        s->packages_unkept.bytes += p->unkept.bytes;
                }
        }
}

/* The no-package rows go last, after the packages sorted by name. */
static void move_unowned_last(struct planstats_table *t)
{
        static const char *const last[] = {PLANSTATS_APP, PLANSTATS_GENERATED};
        for (size_t k = 0; k < 2; k++) {
                for (size_t i = 0; i < t->n; i++) {
                        if (t->rows[i].pkg || strcmp(t->rows[i].name, last[k]) != 0)
                                continue;
                        struct planstats_row row = t->rows[i];
                        memmove(&t->rows[i], &t->rows[i + 1], (t->n - i - 1) * sizeof(row));
                        t->rows[t->n - 1] = row;
                        break;
                }
        }
}

static struct planstats_table kinds_table(const struct plan_count *by_kind)
{
        struct tally ty = {0};
        for (size_t k = 0; k < PLAN_REASON_COUNT; k++) {
                if (!by_kind[k].files)
                        continue;
                struct planstats_row *row = tally_row(&ty, plan_reason_name(k));
                row->files = by_kind[k].files;
                row->bytes = by_kind[k].bytes;
        }
        return tally_finish(&ty, false);
}

static struct planstats_table groups_table(const struct plan_count *by_kind)
{
        struct plan_count g[PLAN_G_COUNT] = {{0, 0}};
        for (size_t k = 0; k < PLAN_REASON_COUNT; k++) {
                g[plan_reason_group(k)].files += by_kind[k].files;
                g[plan_reason_group(k)].bytes += by_kind[k].bytes;
        }
        struct tally ty = {0};
        for (size_t i = 0; i < PLAN_G_COUNT; i++) {
                if (!g[i].files)
                        continue;
                struct planstats_row *row = tally_row(&ty, plan_reason_group_name(i));
                row->files = g[i].files;
                row->bytes = g[i].bytes;
        }
        return tally_finish(&ty, false);
}

void planstats_compute(struct plan *plan, size_t n_largest, struct planstats *s)
{
        struct tally pk = {0}, top = {0}, dirs = {0};
        struct plan_count by_kind[PLAN_REASON_COUNT] = {{0, 0}};
        size_t n = 0, n_files = 0;
        struct plan_entry *const *all = plan_sorted(plan, &n);

        memset(s, 0, sizeof(*s));
        seed_packages(plan, &pk, s);
        const struct plan_entry **files = xcalloc(n + 1, sizeof(*files));
        for (size_t i = 0; i < n; i++) {
                const struct plan_entry *e = all[i];
                count_types(e, s);
                if (e->type != PLAN_FILE)
                        continue;
                files[n_files++] = e;
                tally_add(&pk, owner_row(e), e->size);
                cleanup_free char *d1 = dir_at_depth(e->path, 1);
                cleanup_free char *d2 = dir_at_depth(e->path, 2);
                tally_add(&top, d1, e->size);
                tally_add(&dirs, d2, e->size);
                size_t k = (unsigned)e->reason < PLAN_REASON_COUNT ? e->reason : PLAN_R_PARENT;
                by_kind[k].files++;
                by_kind[k].bytes += e->size;
        }
        s->packages = tally_finish(&pk, true);
        move_unowned_last(&s->packages);
        s->top_dirs = tally_finish(&top, true);
        s->dirs = tally_finish(&dirs, true);
        s->reasons = kinds_table(by_kind);
        s->groups = groups_table(by_kind);

        qsort(files, n_files, sizeof(*files), cmp_largest);
        s->n_largest = n_files < n_largest ? n_files : n_largest;
        s->largest = files;
}

static void table_release(struct planstats_table *t)
{
        for (size_t i = 0; i < t->n; i++)
                free(t->rows[i].name);
        free(t->rows);
        *t = (struct planstats_table){0};
}

void planstats_release(struct planstats *s)
{
        table_release(&s->packages);
        table_release(&s->top_dirs);
        table_release(&s->dirs);
        table_release(&s->reasons);
        table_release(&s->groups);
        free(s->largest);
        s->largest = NULL;
}

const struct planstats_row *planstats_find(const struct planstats_table *t, const char *name)
{
        for (size_t i = 0; i < t->n; i++)
                if (strcmp(t->rows[i].name, name) == 0)
                        return &t->rows[i];
        return NULL;
}
