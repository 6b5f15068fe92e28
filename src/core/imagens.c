/* The image namespace and path resolution inside it (docs/architecture.md, "Paths inside the
 * image"). Resolution walks one component at a time like the kernel's path walk, but against the
 * namespace only: a symlink's target is spliced in front of the remaining components, an absolute
 * target restarts at the image root, and ".." is applied to the already-resolved (physical)
 * directory, clamped at "/". */
#include "distill/core/imagens.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define IMAGENS_MAX_PATH 65536

struct node {
        struct imagens_node pub;
        bool implicit;          /* a parent directory nobody declared */
        struct strvec children; /* names, for directories */
};

struct imagens {
        struct strmap nodes; /* normalised path → struct node */
};

static void node_free(void *p)
{
        struct node *n = p;
        if (!n)
                return;
        free(n->pub.path);
        free(n->pub.target);
        free(n->pub.owner);
        free(n->pub.src_path);
        strvec_clear(&n->children);
        free(n);
}

static struct node *node_new(const char *path, enum imagens_node_type type, const char *target,
                             unsigned mode, uint64_t size, const char *owner, const char *src_path)
{
        struct node *n = xcalloc(1, sizeof(*n));
        n->pub.path = xstrdup(path);
        n->pub.type = type;
        n->pub.target = target ? xstrdup(target) : NULL;
        n->pub.mode = mode;
        n->pub.size = size;
        n->pub.owner = owner ? xstrdup(owner) : NULL;
        n->pub.src_path = src_path ? xstrdup(src_path) : NULL;
        return n;
}

struct imagens *imagens_new(void)
{
        struct imagens *ns = xcalloc(1, sizeof(*ns));
        struct node *root = node_new("/", IMAGENS_DIR, NULL, 0755, 0, NULL, NULL);
        root->implicit = true;
        strmap_put(&ns->nodes, "/", root);
        return ns;
}

void imagens_free(struct imagens *ns)
{
        if (!ns)
                return;
        strmap_clear(&ns->nodes, node_free);
        free(ns);
}

static const char *owner_name(const char *owner)
{
        return owner ? owner : "(no package)";
}

static const char *type_name(enum imagens_node_type t)
{
        switch (t) {
        case IMAGENS_FILE:
                return "file";
        case IMAGENS_DIR:
                return "directory";
        case IMAGENS_SYMLINK:
                return "symlink";
        }
        return "?";
}

static bool same_str(const char *a, const char *b)
{
        if (!a || !b)
                return a == b;
        return strcmp(a, b) == 0;
}

/* Creates the parent directories of `path` as implicit directories. A parent that exists as a
 * file or symlink is a conflict: the entry could never be reached as a child of it. */
static int ensure_parents(struct imagens *ns, const char *path, const char *owner,
                          struct distill_error *err)
{
        cleanup_free char *parent = path_dirname(path);
        if (strcmp(parent, path) == 0)
                return 0;
        struct node *p = strmap_get(&ns->nodes, parent);
        if (!p) {
                int r = ensure_parents(ns, parent, owner, err);
                if (r < 0)
                        return r;
                p = node_new(parent, IMAGENS_DIR, NULL, 0755, 0, NULL, NULL);
                p->implicit = true;
                strmap_put(&ns->nodes, parent, p);
                cleanup_free char *grand = path_dirname(parent);
                struct node *g = strmap_get(&ns->nodes, grand);
                strvec_push(&g->children, path_basename(parent));
                return 0;
        }
        if (p->pub.type != IMAGENS_DIR)
                return distill_error_set(
                    err, DISTILL_EUSAGE, "%s (from %s): parent %s is a %s from %s", path,
                    owner_name(owner), parent, type_name(p->pub.type), owner_name(p->pub.owner));
        return 0;
}

int imagens_add(struct imagens *ns, const char *path, enum imagens_node_type type,
                const char *target, unsigned mode, uint64_t size, const char *owner,
                const char *src_path, struct distill_error *err)
{
        if (!path || path[0] != '/')
                return distill_error_set(err, DISTILL_EUSAGE, "%s: image path is not absolute",
                                         path ? path : "(null)");
        if (strlen(path) > IMAGENS_MAX_PATH)
                return distill_error_set(err, DISTILL_EUSAGE, "%.64s...: image path too long",
                                         path);
        if (type == IMAGENS_SYMLINK && (!target || !*target))
                return distill_error_set(err, DISTILL_EUSAGE, "%s: symlink without a target", path);
        cleanup_free char *norm = path_normalize(path);
        struct node *old = strmap_get(&ns->nodes, norm);
        if (old) {
                if (old->pub.type == IMAGENS_DIR && type == IMAGENS_DIR) {
                        /* Directories merge; a declared one gives an implicit one its facts. */
                        if (old->implicit) {
                                old->implicit = false;
                                old->pub.mode = mode;
                                free(old->pub.owner);
                                old->pub.owner = owner ? xstrdup(owner) : NULL;
                                free(old->pub.src_path);
                                old->pub.src_path = src_path ? xstrdup(src_path) : NULL;
                        }
                        return 0;
                }
                if (old->pub.type == type && same_str(old->pub.owner, owner) &&
                    (type != IMAGENS_SYMLINK || same_str(old->pub.target, target)))
                        return 0;
                return distill_error_set(err, DISTILL_EUSAGE,
                                         "%s: conflicting entries: %s from %s and %s from %s", norm,
                                         type_name(old->pub.type), owner_name(old->pub.owner),
                                         type_name(type), owner_name(owner));
        }
        int r = ensure_parents(ns, norm, owner, err);
        if (r < 0)
                return r;
        struct node *n = node_new(norm, type, type == IMAGENS_SYMLINK ? target : NULL, mode, size,
                                  owner, src_path);
        strmap_put(&ns->nodes, norm, n);
        cleanup_free char *parent = path_dirname(norm);
        struct node *p = strmap_get(&ns->nodes, parent);
        strvec_push(&p->children, path_basename(norm));
        return 0;
}

const struct imagens_node *imagens_get(const struct imagens *ns, const char *path)
{
        if (!path || path[0] != '/')
                return NULL;
        cleanup_free char *norm = path_normalize(path);
        struct node *n = strmap_get(&ns->nodes, norm);
        return n ? &n->pub : NULL;
}

void imagens_foreach(const struct imagens *ns, void (*fn)(const struct imagens_node *, void *),
                     void *ud)
{
        const char **keys = strmap_sorted_keys(&ns->nodes);
        for (size_t i = 0; i < ns->nodes.n; i++) {
                struct node *n = strmap_get(&ns->nodes, keys[i]);
                fn(&n->pub, ud);
        }
        free(keys);
}

int imagens_list_dir(const struct imagens *ns, const char *dir, struct strvec *names)
{
        if (!dir || dir[0] != '/')
                return -DISTILL_EUSAGE;
        cleanup_free char *norm = path_normalize(dir);
        struct node *n = strmap_get(&ns->nodes, norm);
        if (!n || n->pub.type != IMAGENS_DIR)
                return -DISTILL_ERESOLVE;
        for (size_t i = 0; i < n->children.n; i++)
                strvec_push(names, n->children.v[i]);
        strvec_sort(names);
        return 0;
}

/* The components still to walk, as a stack of strings (last pushed = next to walk). */
struct pending {
        struct strvec comps;
};

static void push_components(struct pending *pd, const char *s)
{
        /* Push in reverse so the first component is walked first. */
        struct strvec tmp = STRVEC_INIT;
        const char *p = s;
        while (*p) {
                while (*p == '/')
                        p++;
                const char *end = strchrnul(p, '/');
                if (end > p)
                        strvec_push_nodup(&tmp, xstrndup(p, (size_t)(end - p)));
                p = end;
        }
        for (size_t i = tmp.n; i > 0; i--) {
                strvec_push_nodup(&pd->comps, tmp.v[i - 1]);
                tmp.v[i - 1] = NULL;
        }
        free(tmp.v);
}

static char *pop_component(struct pending *pd)
{
        if (pd->comps.n == 0)
                return NULL;
        char *c = pd->comps.v[--pd->comps.n];
        pd->comps.v[pd->comps.n] = NULL;
        return c;
}

static void go_up(struct strbuf *cur)
{
        while (cur->len > 1 && cur->buf[cur->len - 1] != '/')
                cur->len--;
        if (cur->len > 1)
                cur->len--;
        cur->buf[cur->len] = '\0';
}

static void go_down(struct strbuf *cur, const char *name)
{
        if (cur->len > 1)
                strbuf_addch(cur, '/');
        strbuf_adds(cur, name);
}

/* The rest of an unresolvable path, appended so the caller still sees what was asked for. */
static void append_rest(struct strbuf *cur, struct pending *pd)
{
        char *c;
        while ((c = pop_component(pd)) != NULL) {
                go_down(cur, c);
                free(c);
        }
}

int imagens_resolve(const struct imagens *ns, const char *path, bool follow_last,
                    struct imagens_resolved *res, struct distill_error *err)
{
        memset(res, 0, sizeof(*res));
        if (!path || path[0] != '/')
                return distill_error_set(err, DISTILL_EUSAGE, "%s: image path is not absolute",
                                         path ? path : "(null)");
        struct pending pd = {STRVEC_INIT};
        struct strbuf cur = STRBUF_INIT;
        strbuf_addch(&cur, '/');
        push_components(&pd, path);
        int nlinks = 0;
        int r = 0;
        const struct node *node = strmap_get(&ns->nodes, "/");

        char *c;
        while ((c = pop_component(&pd)) != NULL) {
                bool last = pd.comps.n == 0;
                if (!strcmp(c, ".")) {
                        free(c);
                        continue;
                }
                if (!strcmp(c, "..")) {
                        free(c);
                        go_up(&cur);
                        node = strmap_get(&ns->nodes, cur.buf);
                        continue;
                }
                size_t saved = cur.len;
                go_down(&cur, c);
                free(c);
                node = strmap_get(&ns->nodes, cur.buf);
                if (!node) {
                        append_rest(&cur, &pd);
                        break;
                }
                if (node->pub.type == IMAGENS_SYMLINK && (!last || follow_last)) {
                        if (++nlinks > IMAGENS_MAX_LINKS) {
                                r = distill_error_set(err, DISTILL_ERESOLVE,
                                                      "%s: symlink loop (more than %d links)", path,
                                                      IMAGENS_MAX_LINKS);
                                break;
                        }
                        if (cur.len + strlen(node->pub.target) > IMAGENS_MAX_PATH) {
                                r = distill_error_set(err, DISTILL_ERESOLVE,
                                                      "%s: resolved path too long", path);
                                break;
                        }
                        if (!strvec_contains(&res->links, cur.buf))
                                strvec_push(&res->links, cur.buf);
                        push_components(&pd, node->pub.target);
                        if (node->pub.target[0] == '/') {
                                strbuf_reset(&cur); /* absolute targets restart at the root */
                                strbuf_addch(&cur, '/');
                        } else {
                                cur.len = saved;
                                cur.buf[saved] = '\0';
                        }
                        node = strmap_get(&ns->nodes, cur.buf);
                        continue;
                }
                if (node->pub.type != IMAGENS_DIR && !last) {
                        /* A file used as a directory: the path does not exist (ENOTDIR). */
                        node = NULL;
                        append_rest(&cur, &pd);
                        break;
                }
        }
        strvec_clear(&pd.comps);
        if (r < 0) {
                strbuf_release(&cur);
                imagens_resolved_release(res);
                return r;
        }
        res->node = node ? &node->pub : NULL;
        res->path = strbuf_detach(&cur);
        return 0;
}

void imagens_resolved_release(struct imagens_resolved *res)
{
        if (!res)
                return;
        free(res->path);
        strvec_clear(&res->links);
        memset(res, 0, sizeof(*res));
}

static const struct usrmerge_top tops[] = {
    {"/bin", "usr/bin"},     {"/sbin", "usr/sbin"},   {"/lib", "usr/lib"},
    {"/lib32", "usr/lib32"}, {"/lib64", "usr/lib64"}, {"/libx32", "usr/libx32"},
};

const struct usrmerge_top *usrmerge_tops(size_t *n)
{
        *n = sizeof(tops) / sizeof(tops[0]);
        return tops;
}

char *imagens_resolve_dir(const struct imagens *ns, const char *path)
{
        struct imagens_resolved res = {0};
        struct distill_error scratch = {0};
        char *out = NULL;
        if (imagens_resolve(ns, path, true, &res, &scratch) == 0 && res.node &&
            res.node->type == IMAGENS_DIR)
                out = xstrdup(res.path);
        imagens_resolved_release(&res);
        return out;
}

char *usrmerge_canonical(const char *path)
{
        if (!path)
                return NULL;
        cleanup_free char *norm = path_normalize(path);
        for (size_t i = 0; i < sizeof(tops) / sizeof(tops[0]); i++) {
                size_t n = strlen(tops[i].path);
                if (strncmp(norm, tops[i].path, n) != 0)
                        continue;
                if (norm[n] == '\0')
                        return NULL;
                if (norm[n] == '/')
                        return xasprintf("/usr%s", norm);
        }
        return xstrdup(norm);
}

bool usrmerge_is_top_link(const char *path, const char **target)
{
        if (!path)
                return false;
        cleanup_free char *norm = path_normalize(path);
        for (size_t i = 0; i < sizeof(tops) / sizeof(tops[0]); i++) {
                if (strcmp(norm, tops[i].path) == 0) {
                        if (target)
                                *target = tops[i].target;
                        return true;
                }
        }
        return false;
}
