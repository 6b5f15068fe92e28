/* libFuzzer target: the treemap layout and its SVG on arbitrary labels and weights. The input is
 * two big-endian 16-bit numbers (a canvas' width and height), then lines "WEIGHT LABEL\tDETAIL":
 * WEIGHT in decimal (past 2^64 it is UINT64_MAX, garbage is 0), LABEL and DETAIL any bytes.
 * Checks that no rectangle is NaN, negative or outside its canvas, and that the SVG written is
 * well-formed XML. */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "distill/base/error.h"
#include "distill/base/util.h"
#include "distill/cli/treemap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ITEMS 4096

static void check_rects(const struct treemap_rect *r, size_t n, double w, double h)
{
        double eps = 1e-6 * (w + h + 1);
        for (size_t i = 0; i < n; i++) {
                if (!isfinite(r[i].x) || !isfinite(r[i].y) || !isfinite(r[i].w) ||
                    !isfinite(r[i].h) || r[i].w < 0 || r[i].h < 0)
                        abort();
                if (r[i].x < -eps || r[i].y < -eps || r[i].x + r[i].w > w + eps ||
                    r[i].y + r[i].h > h + eps)
                        abort();
        }
}

/* tmpfs where there is one: the SVG is fsync'ed on every run */
static const char *svg_path(void)
{
        static char *path;
        if (!path) {
                struct stat st;
                const char *base =
                    stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) ? "/dev/shm" : temp_base();
                path = xasprintf("%s/fuzz_treemap.%d.svg", base, (int)getpid());
        }
        return path;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size < 4)
                return 0;
        double cw = (double)(data[0] << 8 | data[1]), ch = (double)(data[2] << 8 | data[3]);
        char *text = xstrndup((const char *)data + 4, size - 4); /* stops at a NUL */
        struct treemap_item *items = xcalloc(MAX_ITEMS, sizeof(*items));
        uint64_t *weights = xcalloc(MAX_ITEMS, sizeof(*weights));
        size_t n = 0;
        for (char *line = text, *next; line && n < MAX_ITEMS; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                errno = 0;
                char *end;
                uint64_t weight = strtoull(line, &end, 10);
                if (errno == ERANGE)
                        weight = UINT64_MAX;
                char *label = *end == ' ' ? end + 1 : end;
                char *tab = strchr(label, '\t');
                if (tab)
                        *tab = '\0';
                items[n] = (struct treemap_item){label, tab ? tab + 1 : NULL, weight};
                weights[n++] = weight;
        }

        struct treemap_rect *rects = xcalloc(n ? n : 1, sizeof(*rects));
        treemap_layout(weights, n, 0, 0, cw, ch, rects);
        check_rects(rects, n, cw, ch);
        treemap_layout(weights, n, 0, 0, TREEMAP_WIDTH, TREEMAP_HEIGHT, rects);
        check_rects(rects, n, TREEMAP_WIDTH, TREEMAP_HEIGHT);

        struct distill_error err = {0};
        const char *title = n ? items[0].label : "";
        if (treemap_write_svg(items, n, title, svg_path(), &err) < 0)
                abort(); /* tmpfs does not fill up with a few thousand items */
        xmlDoc *doc = xmlReadFile(svg_path(), NULL, XML_PARSE_NONET);
        if (!doc)
                abort(); /* not well-formed */
        xmlFreeDoc(doc);
        unlink(svg_path());

        free(rects);
        free(weights);
        free(items);
        free(text);
        return 0;
}
