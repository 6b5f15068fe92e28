/* The composition of an image as a treemap (`distill report --svg`): one rectangle per item, its
 * area proportional to the item's bytes, as an SVG document a browser shows, with the item's
 * name, detail and size as a tooltip. */
#ifndef DISTILL_TREEMAP_H
#define DISTILL_TREEMAP_H

#include <stddef.h>
#include <stdint.h>

struct distill_error;

/* The SVG canvas: a header band with the title and the total above the treemap area. */
#define TREEMAP_WIDTH  1200
#define TREEMAP_HEIGHT 800
#define TREEMAP_HEADER 48
/* Labels and details longer than this (in bytes, once cleaned) are cut, ending in "…". */
#define TREEMAP_LABEL_MAX  256
#define TREEMAP_DETAIL_MAX 512

struct treemap_item {
        const char *label;  /* "libpython3.11-stdlib", "(app)": any bytes; NULL reads as "" */
        const char *detail; /* second tooltip line, "3.11.2-6  1 234 files"; may be NULL */
        uint64_t bytes;     /* the weight; items of 0 bytes are not drawn */
};

struct treemap_rect {
        double x, y, w, h;
};

/* Squarified layout (Bruls, Huizing, van Wijk 2000) of weights into the rectangle (x, y, w, h):
 * out[i] is weight i's rectangle, its area w·h·weights[i]/sum. Zero weights (and every weight
 * when w or h is not a positive finite number) get a 0×0 rectangle at (x, y). The rows are built
 * from the weights sorted descending, ties by index; out[] keeps the caller's order.
 * Deterministic; O(n log n). */
void treemap_layout(const uint64_t *weights, size_t n, double x, double y, double w, double h,
                    struct treemap_rect *out);

/* Write the SVG document (the title as a heading with the total, then the treemap of the items)
 * to path atomically: a temporary file beside it renamed over it, nothing left behind on error.
 * Labels and details may hold any bytes: invalid UTF-8 and control characters become '?'. The
 * same input gives the same bytes. 0, or DISTILL_EIO naming path. */
int treemap_write_svg(const struct treemap_item *items, size_t n, const char *title,
                      const char *path, struct distill_error *err);

#endif
