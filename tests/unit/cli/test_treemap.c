#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "distill/base/error.h"
#include "distill/base/util.h"
#include "distill/cli/treemap.h"
#include "fixture.h"

#define check(cond, ...)                                                                           \
        do {                                                                                       \
                if (!(cond))                                                                       \
                        fail_msg(__VA_ARGS__);                                                     \
        } while (0)

static double dabs(double v)
{
        return v < 0 ? -v : v;
}

static double dmin(double a, double b)
{
        return a < b ? a : b;
}

static double dmax(double a, double b)
{
        return a > b ? a : b;
}

/* xorshift64*: the same weights on every run */
static uint64_t rng = 0x9e3779b97f4a7c15u;
static uint64_t rnd(void)
{
        rng ^= rng >> 12;
        rng ^= rng << 25;
        rng ^= rng >> 27;
        return rng * 0x2545f4914f6cdd1du;
}

/* 1 to 1e12, spread over the orders of magnitude */
static uint64_t random_weight(void)
{
        uint64_t top = 1;
        for (int k = (int)(rnd() % 13); k > 0; k--)
                top *= 10;
        return 1 + rnd() % top;
}

static uint64_t *random_weights(size_t n)
{
        uint64_t *w = xcalloc(n, sizeof(*w));
        for (size_t i = 0; i < n; i++)
                w[i] = random_weight();
        return w;
}

/* Every property of a layout of wts into (x, y, w, h): sizes finite and not negative, inside
 * the bounds, areas proportional, all of the area used, and (for small n) no overlaps. */
static void check_layout(const uint64_t *wts, size_t n, double x, double y, double w, double h)
{
        struct treemap_rect *r = xcalloc(n ? n : 1, sizeof(*r));
        treemap_layout(wts, n, x, y, w, h, r);
        double total = 0, area = w * h, sum = 0, eps = 1e-9 * (w + h);
        for (size_t i = 0; i < n; i++)
                total += (double)wts[i];
        for (size_t i = 0; i < n; i++) {
                const struct treemap_rect *a = &r[i];
                check(isfinite(a->x) && isfinite(a->y) && isfinite(a->w) && isfinite(a->h),
                      "n=%zu: rect %zu not finite", n, i);
                check(a->w >= 0 && a->h >= 0, "n=%zu: rect %zu has a negative size", n, i);
                if (!wts[i]) {
                        check(a->x == x && a->y == y && a->w == 0 && a->h == 0,
                              "n=%zu: zero weight %zu drawn", n, i);
                        continue;
                }
                check(a->x >= x - eps && a->y >= y - eps && a->x + a->w <= x + w + eps &&
                          a->y + a->h <= y + h + eps,
                      "n=%zu: rect %zu (%g %g %g %g) outside the bounds", n, i, a->x, a->y, a->w,
                      a->h);
                double expect = area * (double)wts[i] / total, got = a->w * a->h;
                check(dabs(got - expect) <= 1e-9 * expect + 1e-12 * area,
                      "n=%zu: rect %zu has area %.17g, not %.17g", n, i, got, expect);
                sum += got;
        }
        if (total > 0)
                check(dabs(sum - area) <= 1e-9 * area, "n=%zu: areas add up to %.17g, not %.17g", n,
                      sum, area);
        if (n <= 300) {
                for (size_t i = 0; i < n; i++)
                        for (size_t j = i + 1; j < n; j++) {
                                const struct treemap_rect *a = &r[i], *b = &r[j];
                                double ox = dmin(a->x + a->w, b->x + b->w) - dmax(a->x, b->x);
                                double oy = dmin(a->y + a->h, b->y + b->h) - dmax(a->y, b->y);
                                check(!(ox > eps && oy > eps), "n=%zu: rects %zu and %zu overlap",
                                      n, i, j);
                        }
        }
        free(r);
}

static void test_layout_random(void **state)
{
        (void)state;
        const size_t sizes[] = {1, 2, 3, 7, 50, 300, 1000, 20000};
        for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
                uint64_t *w = random_weights(sizes[k]);
                check_layout(w, sizes[k], 0, 48, 1200, 800);
                check_layout(w, sizes[k], -5.5, 3.25, 90, 700); /* tall */
                check_layout(w, sizes[k], 0, 0, 1, 1);
                free(w);
        }
}

static void test_layout_single_fills(void **state)
{
        (void)state;
        uint64_t w = 42;
        struct treemap_rect r;
        treemap_layout(&w, 1, 10, 20, 300, 200, &r);
        assert_true(r.x == 10 && r.y == 20 && r.w == 300 && r.h == 200);
}

static void test_layout_zero_weights(void **state)
{
        (void)state;
        const uint64_t w[] = {0, 5, 0, 5, 0};
        check_layout(w, 5, 1, 2, 100, 50);
        struct treemap_rect r[5];
        treemap_layout(w, 5, 1, 2, 100, 50, r);
        assert_true(r[1].w * r[1].h == 2500 && r[3].w * r[3].h == 2500);

        const uint64_t none[] = {0, 0, 0};
        treemap_layout(none, 3, 7, 8, 100, 50, r);
        for (size_t i = 0; i < 3; i++)
                assert_true(r[i].x == 7 && r[i].y == 8 && r[i].w == 0 && r[i].h == 0);
        treemap_layout(NULL, 0, 0, 0, 100, 50, NULL);

        /* a degenerate canvas draws nothing rather than NaNs */
        const uint64_t some[] = {1, 2};
        const double bad[][2] = {{0, 10}, {10, 0}, {-1, 10}, {NAN, 10}, {10, INFINITY}};
        for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
                treemap_layout(some, 2, 0, 0, bad[k][0], bad[k][1], r);
                for (size_t i = 0; i < 2; i++)
                        assert_true(r[i].w == 0 && r[i].h == 0);
        }
}

static void test_layout_extremes(void **state)
{
        (void)state;
        /* weights whose sum is past 2^64 and past double's integers: nothing NaN, nothing out */
        const uint64_t w[] = {UINT64_MAX, UINT64_MAX, 1, UINT64_MAX / 3, 2};
        struct treemap_rect r[5];
        treemap_layout(w, 5, 0, 0, 1200, 800, r);
        double sum = 0;
        for (size_t i = 0; i < 5; i++) {
                assert_true(isfinite(r[i].w) && isfinite(r[i].h) && r[i].w >= 0 && r[i].h >= 0);
                assert_true(r[i].x >= 0 && r[i].x + r[i].w <= 1200 + 1e-6);
                assert_true(r[i].y >= 0 && r[i].y + r[i].h <= 800 + 1e-6);
                sum += r[i].w * r[i].h;
        }
        assert_true(dabs(sum - 960000) < 1e-3);
        /* equal weights in ascending order of index: ties keep the index order */
        const uint64_t eq[] = {3, 3};
        treemap_layout(eq, 2, 0, 0, 200, 100, r);
        assert_true(r[0].x == 0 && r[0].w == 100 && r[1].x == 100 && r[1].w == 100);
}

static double aspect(const struct treemap_rect *r)
{
        return r->w > r->h ? r->w / r->h : r->h / r->w;
}

static void test_layout_squarified(void **state)
{
        (void)state;
        uint64_t w[100];
        struct treemap_rect r[100];
        for (size_t i = 0; i < 100; i++)
                w[i] = 7;
        treemap_layout(w, 100, 0, 0, 100, 100, r);
        double worst = 0;
        for (size_t i = 0; i < 100; i++)
                worst = dmax(worst, aspect(&r[i]));
        check(worst < 3, "100 equal weights in a square: worst aspect ratio %g", worst);

        /* the paper's example: 6 6 4 3 2 2 1 in 6 × 4 */
        const uint64_t paper[] = {6, 6, 4, 3, 2, 2, 1};
        treemap_layout(paper, 7, 0, 0, 6, 4, r);
        worst = 0;
        for (size_t i = 0; i < 7; i++)
                worst = dmax(worst, aspect(&r[i]));
        check(worst < 3, "the paper's example: worst aspect ratio %g", worst);
        /* its first row: the two 6 stacked in a column 3 wide */
        assert_true(dabs(r[0].w - 3) < 1e-12 && dabs(r[0].h - 2) < 1e-12);
        assert_true(dabs(r[1].x) < 1e-12 && dabs(r[1].y - 2) < 1e-12);
}

static void test_layout_deterministic_and_large(void **state)
{
        (void)state;
        const size_t n = 1000000;
        uint64_t *w = random_weights(n);
        struct treemap_rect *a = xcalloc(n, sizeof(*a)), *b = xcalloc(n, sizeof(*b));
        clock_t t0 = clock();
        treemap_layout(w, n, 0, 48, 1200, 800, a);
        double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
        check(secs < 20, "a million weights took %.1f s", secs);
        treemap_layout(w, n, 0, 48, 1200, 800, b);
        assert_memory_equal(a, b, n * sizeof(*a));
        double sum = 0;
        for (size_t i = 0; i < n; i++) {
                assert_true(isfinite(a[i].w) && isfinite(a[i].h) && a[i].w >= 0 && a[i].h >= 0);
                sum += a[i].w * a[i].h;
        }
        check(dabs(sum - 960000) < 1e-6, "a million areas add up to %.17g", sum);
        free(w);
        free(a);
        free(b);
}

/* ---- the SVG, read back with libxml2 ---- */

struct nodes {
        xmlNode **v;
        size_t n;
};

static void collect(xmlNode *node, const char *name, struct nodes *out)
{
        for (xmlNode *c = node; c; c = c->next) {
                if (c->type != XML_ELEMENT_NODE)
                        continue;
                if (!strcmp((const char *)c->name, name)) {
                        out->v = xrealloc(out->v, (out->n + 1) * sizeof(*out->v));
                        out->v[out->n++] = c;
                }
                collect(c->children, name, out);
        }
}

static xmlNode *child(xmlNode *node, const char *name)
{
        for (xmlNode *c = node->children; c; c = c->next)
                if (c->type == XML_ELEMENT_NODE && !strcmp((const char *)c->name, name))
                        return c;
        return NULL;
}

static char *prop(xmlNode *node, const char *name)
{
        xmlChar *v = xmlGetProp(node, BAD_CAST name);
        char *s = xstrdup((const char *)v);
        xmlFree(v);
        return s;
}

static double prop_num(xmlNode *node, const char *name)
{
        cleanup_free char *s = prop(node, name);
        assert_non_null(s);
        char *end;
        double v = strtod(s, &end);
        assert_true(*end == '\0' && end != s);
        return v;
}

static char *content(xmlNode *node)
{
        xmlChar *v = xmlNodeGetContent(node);
        char *s = xstrdup((const char *)v);
        xmlFree(v);
        return s;
}

static xmlDoc *read_svg(const char *path)
{
        /* no recovery: a document that is not well-formed is NULL */
        xmlDoc *doc = xmlReadFile(path, NULL, XML_PARSE_NONET);
        assert_non_null(doc);
        xmlNode *root = xmlDocGetRootElement(doc);
        assert_string_equal((const char *)root->name, "svg");
        assert_non_null(root->ns);
        assert_string_equal((const char *)root->ns->href, "http://www.w3.org/2000/svg");
        cleanup_free char *version = prop(root, "version");
        cleanup_free char *width = prop(root, "width");
        cleanup_free char *height = prop(root, "height");
        cleanup_free char *viewbox = prop(root, "viewBox");
        assert_string_equal(version, "1.1");
        assert_string_equal(width, "1200");
        assert_string_equal(height, "848");
        assert_string_equal(viewbox, "0 0 1200 848");
        return doc;
}

/* rsvg-convert draws it: exit 0 and a PNG of the canvas' size */
static void render(const char *svg, const char *png)
{
        assert_int_equal(fixture_sh("rsvg-convert -o '%s' '%s'", png, svg), 0);
        char *data = NULL;
        size_t len = 0;
        assert_int_equal(read_file(png, &data, &len), 0);
        assert_true(len > 24);
        assert_memory_equal(data, "\x89PNG\r\n\x1a\n", 8);
        const unsigned char *ihdr = (const unsigned char *)data + 16;
        uint32_t w = (uint32_t)ihdr[0] << 24 | ihdr[1] << 16 | ihdr[2] << 8 | ihdr[3];
        uint32_t h = (uint32_t)ihdr[4] << 24 | ihdr[5] << 16 | ihdr[6] << 8 | ihdr[7];
        assert_int_equal(w, 1200);
        assert_int_equal(h, 848);
        free(data);
}

static void write_ok(const struct treemap_item *items, size_t n, const char *title,
                     const char *path)
{
        struct distill_error err = {0};
        int r = treemap_write_svg(items, n, title, path, &err);
        check(r == 0, "treemap_write_svg: %s", err.msg);
}

static void test_svg_round_trip(void **state)
{
        (void)state;
        cleanup_free char *dir = fixture_tmpdir();
        cleanup_free char *path = path_join(dir, "map.svg");
        cleanup_free char *png = path_join(dir, "map.png");
        const size_t n = 400;
        struct treemap_item *items = xcalloc(n, sizeof(*items));
        struct strvec labels = STRVEC_INIT, details = STRVEC_INIT;
        uint64_t total = 0;
        for (size_t i = 0; i < n; i++) {
                char *label = xasprintf("pkg-%zu%s", i,
                                        i % 4 == 1 ? "-a-name-too-long-for-most-boxes" : ""),
                     *detail = xasprintf("1.%zu-1  %zu files", i, i);
                strvec_push_nodup(&labels, label);
                strvec_push_nodup(&details, detail);
                items[i].label = label;
                items[i].detail = i % 3 ? detail : NULL;
                /* a few large ones (with text), many small ones, and some empty ones */
                items[i].bytes = i % 17 == 5 ? 0 : i < 5 ? 50000000 + i : random_weight() % 2000000;
                total += items[i].bytes;
        }
        write_ok(items, n, "image example:latest", path);

        xmlDoc *doc = read_svg(path);
        xmlNode *root = xmlDocGetRootElement(doc);
        struct nodes rects = {0};
        collect(root, "rect", &rects);
        size_t drawn = 0, texts = 0, cut = 0;
        char *seen = xcalloc(n, 1);
        for (size_t k = 0; k < rects.n; k++) {
                xmlNode *rect = rects.v[k];
                cleanup_free char *label = prop(rect, "data-label");
                cleanup_free char *bytes = prop(rect, "data-bytes");
                if (!label) {
                        assert_null(bytes); /* the background */
                        continue;
                }
                size_t i;
                assert_int_equal(sscanf(label, "pkg-%zu", &i), 1);
                assert_true(i < n && !seen[i]);
                seen[i] = 1;
                drawn++;
                /* data-bytes round-trips */
                char want[32];
                snprintf(want, sizeof(want), "%" PRIu64, items[i].bytes);
                assert_string_equal(bytes, want);
                /* the group's tooltip: label, detail, size */
                xmlNode *g = rect->parent;
                assert_string_equal((const char *)g->name, "g");
                xmlNode *title = child(g, "title");
                assert_non_null(title);
                cleanup_free char *tip = content(title);
                cleanup_free char *head =
                    xasprintf("%s\n%s", label, items[i].detail ? items[i].detail : "");
                check(!strncmp(tip, head, strlen(head)), "tooltip %s", tip);
                assert_non_null(strstr(tip, " bytes, "));
                /* the area is the item's share */
                double x = prop_num(rect, "x"), y = prop_num(rect, "y");
                double w = prop_num(rect, "width"), h = prop_num(rect, "height");
                assert_true(x >= 0 && y >= 48 && x + w <= 1200.001 && y + h <= 848.001);
                double share = (double)items[i].bytes / (double)total;
                if (share >= 0.001)
                        check(dabs(w * h / 960000 - share) <= 1e-4 * share,
                              "%s: area %g for share %g", label, w * h / 960000, share);
                /* text only where it fits */
                struct nodes t = {0};
                collect(g->children, "text", &t);
                for (size_t j = 0; j < t.n; j++) {
                        cleanup_free char *s = content(t.v[j]);
                        double fs = prop_num(t.v[j], "font-size");
                        size_t len = strlen(s), chars = len;
                        bool is_cut = len >= strlen("…") && !strcmp(s + len - strlen("…"), "…");
                        if (is_cut)
                                chars -= strlen("…") - 1;
                        check((double)chars * 0.6 * fs <= w && 1.2 * fs <= h,
                              "%s: text %s does not fit %g × %g", label, s, w, h);
                        if (j == 0 && is_cut) {
                                /* cut: a prefix of the label, at least 8 characters */
                                check(chars >= 8 && !strncmp(s, label, chars - 1), "text %s of %s",
                                      s, label);
                                cut++;
                        } else if (j == 0) {
                                assert_string_equal(s, label);
                        } else { /* the size, as the tooltip has it */
                                assert_non_null(strstr(tip, s));
                        }
                        texts++;
                }
                if (share > 0.05)
                        assert_int_equal(t.n, 2);
                free(t.v);
        }
        size_t nonzero = 0;
        for (size_t i = 0; i < n; i++) {
                nonzero += items[i].bytes != 0;
                assert_int_equal(seen[i], items[i].bytes != 0);
        }
        assert_int_equal(drawn, nonzero);
        assert_true(texts >= 10);
        assert_true(cut >= 1);
        free(seen);
        free(rects.v);
        xmlFreeDoc(doc);

        /* byte-identical when written again */
        cleanup_free char *again = path_join(dir, "again.svg");
        write_ok(items, n, "image example:latest", again);
        assert_int_equal(fixture_sh("cmp -s '%s' '%s'", path, again), 0);

        render(path, png);
        free(items);
        strvec_clear(&labels);
        strvec_clear(&details);
        fixture_cleanup(dir);
}

static void test_svg_hostile_labels(void **state)
{
        (void)state;
        cleanup_free char *dir = fixture_tmpdir();
        cleanup_free char *path = path_join(dir, "map.svg");
        cleanup_free char *png = path_join(dir, "map.png");
        const struct treemap_item items[] = {
            {"<&\"'>\xff\xfe\x01\x1b[31m\xc0\xaf"
             "end",
             "a\nb\tc\xed\xa0\x80]]>", 500},
            {"Ünïcödé ✓ 𝄞", "\xef\xbf\xbe\xc2\x85 ok", 300},
            {NULL, NULL, 200},
            {"\xf4\x90\x80\x80</svg><!--", "<?xml?>", 100},
        };
        write_ok(items, 4, "title <&> \xff\x07", path);
        xmlDoc *doc = read_svg(path);
        struct nodes rects = {0};
        collect(xmlDocGetRootElement(doc), "rect", &rects);
        const char *expect[] = {"<&\"'>????[31m??end", "Ünïcödé ✓ 𝄞", "", "\?\?\?\?</svg><!--"};
        const char *tips[] = {"<&\"'>????[31m??end\na?b?c???]]>\n500 B",
                              "Ünïcödé ✓ 𝄞\n????? ok\n300 B", "\n200 B",
                              "\?\?\?\?</svg><!--\n<?xml?>\n"};
        size_t k = 0;
        for (size_t j = 0; j < rects.n; j++) {
                cleanup_free char *label = prop(rects.v[j], "data-label");
                if (!label)
                        continue;
                assert_true(k < 4);
                assert_string_equal(label, expect[k]);
                cleanup_free char *tip = content(child(rects.v[j]->parent, "title"));
                check(!strncmp(tip, tips[k], strlen(tips[k])), "tooltip %s", tip);
                k++;
        }
        assert_int_equal(k, 4);
        cleanup_free char *title = content(child(xmlDocGetRootElement(doc), "title"));
        assert_string_equal(title, "title <&> ??");
        free(rects.v);
        xmlFreeDoc(doc);
        render(path, png);

        /* an overlong label is cut, still valid UTF-8 */
        struct strbuf long_label = STRBUF_INIT;
        for (int i = 0; i < 200; i++)
                strbuf_adds(&long_label, "é");
        const struct treemap_item one = {long_label.buf, NULL, 1};
        write_ok(&one, 1, "", path);
        doc = read_svg(path);
        rects = (struct nodes){0};
        collect(xmlDocGetRootElement(doc), "rect", &rects);
        cleanup_free char *cut = prop(rects.v[rects.n - 1], "data-label");
        assert_int_equal(strlen(cut), TREEMAP_LABEL_MAX + strlen("…"));
        assert_string_equal(cut + strlen(cut) - 3, "…");
        free(rects.v);
        xmlFreeDoc(doc);
        strbuf_release(&long_label);
        fixture_cleanup(dir);
}

static bool dir_has_only(const char *dir, const char *name)
{
        DIR *d = opendir(dir);
        assert_non_null(d);
        bool ok = true;
        struct dirent *e;
        while ((e = readdir(d)))
                if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
                    (!name || strcmp(e->d_name, name)))
                        ok = false;
        closedir(d);
        return ok;
}

static void test_svg_errors(void **state)
{
        (void)state;
        const struct treemap_item items[] = {{"a", NULL, 1}, {"b", NULL, 2}};
        struct distill_error err = {0};
        int r = treemap_write_svg(items, 2, "t", "/nonexistent/dir/x.svg", &err);
        assert_int_equal(r, -DISTILL_EIO);
        assert_int_equal(err.code, DISTILL_EIO);
        assert_non_null(strstr(err.msg, "/nonexistent/dir/x.svg"));

        cleanup_free char *dir = fixture_tmpdir();
        /* the rename fails (a directory is in the way): the temporary file goes too */
        cleanup_free char *sub = path_join(dir, "sub");
        assert_int_equal(mkdir(sub, 0755), 0);
        err = (struct distill_error){0};
        assert_int_equal(treemap_write_svg(items, 2, "t", sub, &err), -DISTILL_EIO);
        assert_non_null(strstr(err.msg, sub));
        assert_true(dir_has_only(dir, "sub"));

        /* a write fails halfway (the file size limit): nothing left either */
        const size_t n = 5000;
        struct treemap_item *many = xcalloc(n, sizeof(*many));
        for (size_t i = 0; i < n; i++)
                many[i] = (struct treemap_item){"item", "detail", i + 1};
        struct rlimit old;
        assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
        struct rlimit small = {65536, old.rlim_max};
        void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
        assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
        cleanup_free char *big = path_join(dir, "big.svg");
        err = (struct distill_error){0};
        r = treemap_write_svg(many, n, "t", big, &err);
        assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
        signal(SIGXFSZ, prev);
        assert_int_equal(r, -DISTILL_EIO);
        assert_non_null(strstr(err.msg, big));
        assert_true(dir_has_only(dir, "sub"));
        /* without the limit it is written */
        write_ok(many, n, "t", big);
        free(many);
        fixture_cleanup(dir);
}

static void test_svg_empty_and_colours(void **state)
{
        (void)state;
        cleanup_free char *dir = fixture_tmpdir();
        cleanup_free char *path = path_join(dir, "empty.svg");
        cleanup_free char *png = path_join(dir, "empty.png");
        write_ok(NULL, 0, "nothing", path);
        xmlDoc *doc = read_svg(path);
        xmlFreeDoc(doc);
        render(path, png);

        /* a label's colour is its own, whatever else is in the map */
        const struct treemap_item a[] = {{"libc6", NULL, 10}, {"zlib1g", NULL, 3}};
        const struct treemap_item b[] = {{"python3.11", NULL, 99}, {"libc6", NULL, 1}};
        char *fills[2];
        for (int k = 0; k < 2; k++) {
                write_ok(k ? b : a, 2, "t", path);
                doc = read_svg(path);
                struct nodes rects = {0};
                collect(xmlDocGetRootElement(doc), "rect", &rects);
                fills[k] = NULL;
                for (size_t j = 0; j < rects.n; j++) {
                        cleanup_free char *label = prop(rects.v[j], "data-label");
                        if (label && !strcmp(label, "libc6"))
                                fills[k] = prop(rects.v[j], "fill");
                }
                assert_non_null(fills[k]);
                assert_int_equal(strlen(fills[k]), 7);
                assert_int_equal(strspn(fills[k] + 1, "0123456789abcdef"), 6);
                free(rects.v);
                xmlFreeDoc(doc);
        }
        assert_string_equal(fills[0], fills[1]);
        free(fills[0]);
        free(fills[1]);
        fixture_cleanup(dir);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_layout_random),
            cmocka_unit_test(test_layout_single_fills),
            cmocka_unit_test(test_layout_zero_weights),
            cmocka_unit_test(test_layout_extremes),
            cmocka_unit_test(test_layout_squarified),
            cmocka_unit_test(test_layout_deterministic_and_large),
            cmocka_unit_test(test_svg_round_trip),
            cmocka_unit_test(test_svg_hostile_labels),
            cmocka_unit_test(test_svg_errors),
            cmocka_unit_test(test_svg_empty_and_colours),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
