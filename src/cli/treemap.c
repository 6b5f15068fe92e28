/* The treemap of `distill report --svg`: a squarified layout and the SVG document that draws it.
 * libxml2's text writer does all the XML escaping; what it is given is first made valid UTF-8
 * made only of characters XML 1.0 allows, as labels come from packages and paths that may be
 * hostile. */
#include "distill/cli/treemap.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/xmlwriter.h>

#include "distill/base/error.h"
#include "distill/base/util.h"

/* Text is drawn only where it fits, estimated at 0.6 em per character (sans-serif's average);
 * it shrinks from FONT_MAX down to FONT_MIN before it is left out. */
#define FONT_MAX 12
#define FONT_MIN 7
#define CHAR_EM  0.6
#define LINE_EM  1.2
#define TEXT_PAD 3
/* a label too long for its rectangle is cut, "google-cloud-cl…", where that keeps enough of it */
#define CUT_FONT     10
#define CUT_MIN      8
#define TITLE_FONT   16
#define SUBTITLE_PAD 8

/* ---- layout ---- */

struct weighted {
        uint64_t weight;
        size_t index;
};

static int by_weight_descending(const void *a, const void *b)
{
        const struct weighted *x = a, *y = b;
        if (x->weight != y->weight)
                return x->weight > y->weight ? -1 : 1;
        return (x->index > y->index) - (x->index < y->index);
}

/* The paper's worst(): the largest aspect ratio in a row of total area `sum` whose largest
 * and smallest rectangles have areas `big` and `small`, laid along a side of length `side`. */
static double worst_ratio(double sum, double big, double small, double side)
{
        double side2 = side * side, sum2 = sum * sum;
        double a = side2 * big / sum2, b = sum2 / (side2 * small);
        return a > b ? a : b;
}

/* One row: `thick` across, its rectangles one after the other along `side`, each as long as
 * its share of the row's weight. The last one ends exactly at the side's end, so rounding
 * never pushes a rectangle out of the row. */
static void lay_row(const struct weighted *row, size_t k, double row_weight, double rx, double ry,
                    double side, double thick, bool column, struct treemap_rect *out)
{
        double pos = 0;
        for (size_t j = 0; j < k; j++) {
                double len = j + 1 == k ? side - pos : side * ((double)row[j].weight / row_weight);
                if (len < 0)
                        len = 0;
                struct treemap_rect *r = &out[row[j].index];
                if (column)
                        *r = (struct treemap_rect){rx, ry + pos, thick, len};
                else
                        *r = (struct treemap_rect){rx + pos, ry, len, thick};
                pos += len;
        }
}

void treemap_layout(const uint64_t *weights, size_t n, double x, double y, double w, double h,
                    struct treemap_rect *out)
{
        for (size_t i = 0; i < n; i++)
                out[i] = (struct treemap_rect){x, y, 0, 0};
        if (!(w > 0 && h > 0) || !isfinite(w * h) || !isfinite(x) || !isfinite(y))
                return;
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
                m += weights[i] != 0;
        if (m == 0)
                return;

        struct weighted *order = xcalloc(m, sizeof(*order));
        double remaining = 0; /* the weight still to lay out, in what is left of (x, y, w, h) */
        for (size_t i = 0, k = 0; i < n; i++) {
                if (!weights[i])
                        continue;
                order[k++] = (struct weighted){weights[i], i};
                remaining += (double)weights[i];
        }
        qsort(order, m, sizeof(*order), by_weight_descending);

        double rx = x, ry = y, rw = w, rh = h;
        for (size_t start = 0; start < m;) {
                /* weights past 2^53 round: a rest too small to count stays 0×0 */
                if (!(rw > 0 && rh > 0 && remaining > 0))
                        break;
                /* rows run along the shorter side, so the rectangles stay close to squares */
                bool column = rw >= rh;
                double side = column ? rh : rw, length = column ? rw : rh;
                double scale = rw * rh / remaining;
                double big = (double)order[start].weight * scale;
                double sum = big, row_weight = (double)order[start].weight;
                double worst = worst_ratio(sum, big, big, side);
                size_t end = start + 1;
                for (; end < m; end++) {
                        /* sorted descending: the newcomer is the row's smallest */
                        double a = (double)order[end].weight * scale;
                        double next = worst_ratio(sum + a, big, a, side);
                        if (next > worst)
                                break;
                        sum += a;
                        row_weight += (double)order[end].weight;
                        worst = next;
                }
                /* the row's share of what is left keeps every area exact to the weights,
                 * whatever the rounding of the rows before; the last row takes all of it */
                double thick = end == m ? length : length * (row_weight / remaining);
                if (thick > length)
                        thick = length;
                lay_row(order + start, end - start, row_weight, rx, ry, side, thick, column, out);
                if (column) {
                        rx += thick;
                        rw = x + w - rx;
                } else {
                        ry += thick;
                        rh = y + h - ry;
                }
                remaining -= row_weight;
                start = end;
        }
        free(order);
}

/* ---- text ---- */

/* The length (1 to 4) of the character s starts with when it is valid UTF-8 and a character
 * XML 1.0 allows that does not break a line, else 0: broken, overlong or out-of-range UTF-8,
 * surrogates, U+FFFE and U+FFFF, the C0 and C1 controls and DEL. */
static size_t good_char_len(const unsigned char *s)
{
        unsigned c = s[0];
        if (c < 0x80)
                return c >= 0x20 && c != 0x7f;
        size_t len;
        uint32_t cp, min;
        if ((c & 0xe0) == 0xc0) {
                len = 2, cp = c & 0x1f, min = 0x80;
        } else if ((c & 0xf0) == 0xe0) {
                len = 3, cp = c & 0x0f, min = 0x800;
        } else if ((c & 0xf8) == 0xf0) {
                len = 4, cp = c & 0x07, min = 0x10000;
        } else {
                return 0;
        }
        for (size_t i = 1; i < len; i++) {
                if ((s[i] & 0xc0) != 0x80) /* also stops at the terminating NUL */
                        return 0;
                cp = cp << 6 | (s[i] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe ||
            cp == 0xffff || cp <= 0x9f)
                return 0;
        return len;
}

/* s (NULL reads as "") with every byte that is not part of a good character replaced by '?',
 * cut to max bytes with "…" after the cut. */
static char *clean_text(const char *s, size_t max)
{
        struct strbuf sb = STRBUF_INIT;
        const unsigned char *p = (const unsigned char *)(s ? s : "");
        while (*p) {
                size_t len = good_char_len(p);
                if (sb.len + (len ? len : 1) > max) {
                        strbuf_adds(&sb, "…");
                        break;
                }
                if (len)
                        strbuf_add(&sb, p, len);
                else
                        strbuf_addch(&sb, '?');
                p += len ? len : 1;
        }
        return strbuf_detach(&sb);
}

/* Characters of valid UTF-8. */
static size_t utf8_chars(const char *s)
{
        size_t n = 0;
        for (const unsigned char *p = (const unsigned char *)s; *p; p++)
                n += (*p & 0xc0) != 0x80;
        return n;
}

/* The first max characters of valid UTF-8, or max - 1 and "…" when s is longer. */
static char *cut_chars(const char *s, size_t max)
{
        if (utf8_chars(s) <= max)
                return xstrdup(s);
        size_t n = 0;
        const char *p = s;
        for (; *p; p++) {
                if ((*p & 0xc0) != 0x80 && n++ == max - 1)
                        break;
        }
        return xasprintf("%.*s…", (int)(p - s), s);
}

/* 1234567 → "1.2 MB": decimal units, as disk sizes are counted. */
static void human_size(char *buf, size_t size, uint64_t bytes)
{
        static const char *const units[] = {"kB", "MB", "GB", "TB", "PB", "EB"};
        if (bytes < 1000) {
                snprintf(buf, size, "%" PRIu64 " B", bytes);
                return;
        }
        double v = (double)bytes / 1000;
        size_t u = 0;
        while (v >= 999.95 && u + 1 < sizeof(units) / sizeof(units[0])) {
                v /= 1000;
                u++;
        }
        snprintf(buf, size, "%.1f %s", v, units[u]);
}

/* 1234567 → "1 234 567" */
static void grouped(char buf[32], uint64_t v)
{
        char digits[24];
        int n = snprintf(digits, sizeof(digits), "%" PRIu64, v);
        size_t o = 0;
        for (int i = 0; i < n; i++) {
                if (i && (n - i) % 3 == 0)
                        buf[o++] = ' ';
                buf[o++] = digits[i];
        }
        buf[o] = '\0';
}

/* A colour of the label's own, the same in every report: FNV-1a picks the hue; saturation and
 * lightness are fixed (channels 150 to 230) so black text stays readable on every one. */
static void label_colour(const char *label, char out[8])
{
        uint32_t hash = 2166136261u;
        for (const unsigned char *p = (const unsigned char *)label; *p; p++) {
                hash ^= *p;
                hash *= 16777619u;
        }
        unsigned hue = hash % 360, sector = hue / 60, f = hue % 60;
        const unsigned base = 150, chroma = 80;
        unsigned rising = base + chroma * f / 60, falling = base + chroma * (60 - f) / 60;
        unsigned top = base + chroma, rgb[3];
        switch (sector) {
        case 0:
                rgb[0] = top, rgb[1] = rising, rgb[2] = base;
                break;
        case 1:
                rgb[0] = falling, rgb[1] = top, rgb[2] = base;
                break;
        case 2:
                rgb[0] = base, rgb[1] = top, rgb[2] = rising;
                break;
        case 3:
                rgb[0] = base, rgb[1] = falling, rgb[2] = top;
                break;
        case 4:
                rgb[0] = rising, rgb[1] = base, rgb[2] = top;
                break;
        default:
                rgb[0] = top, rgb[1] = base, rgb[2] = falling;
                break;
        }
        snprintf(out, 8, "#%02x%02x%02x", rgb[0], rgb[1], rgb[2]);
}

/* The largest font size from FONT_MAX down to FONT_MIN at which `lines` lines of `chars`
 * characters fit in w × h, or 0. */
static int fitting_font(size_t chars, int lines, double w, double h)
{
        for (int fs = FONT_MAX; fs >= FONT_MIN; fs--)
                if ((double)chars * CHAR_EM * fs + 2 * TEXT_PAD <= w &&
                    lines * LINE_EM * fs + 2 * TEXT_PAD <= h)
                        return fs;
        return 0;
}

/* The label as drawn in r at *font_size: whole at the largest size it fits, else cut to what
 * fits at CUT_FONT when that leaves CUT_MIN characters, else NULL (no text). */
static char *fitting_label(const char *label, const struct treemap_rect *r, int *font_size)
{
        size_t chars = utf8_chars(label);
        if (!chars)
                return NULL;
        *font_size = fitting_font(chars, 1, r->w, r->h);
        if (*font_size)
                return xstrdup(label);
        double room = (r->w - 2 * TEXT_PAD) / (CHAR_EM * CUT_FONT);
        if (room < CUT_MIN || fitting_font(CUT_MIN, 1, r->w, r->h) < CUT_FONT)
                return NULL;
        *font_size = CUT_FONT;
        return cut_chars(label, (size_t)room);
}

/* ---- SVG ---- */

/* The writer, with its first failure remembered so that every call after it is skipped. */
struct svg {
        xmlTextWriterPtr w;
        bool failed;
};

static void check(struct svg *s, int r)
{
        if (r < 0)
                s->failed = true;
}

static void start(struct svg *s, const char *name)
{
        if (!s->failed)
                check(s, xmlTextWriterStartElement(s->w, BAD_CAST name));
}

static void end(struct svg *s)
{
        if (!s->failed)
                check(s, xmlTextWriterEndElement(s->w));
}

static void attr(struct svg *s, const char *name, const char *value)
{
        if (!s->failed)
                check(s, xmlTextWriterWriteAttribute(s->w, BAD_CAST name, BAD_CAST value));
}

static void attrf(struct svg *s, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void attrf(struct svg *s, const char *name, const char *fmt, ...)
{
        char buf[128];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        attr(s, name, buf);
}

/* Coordinates to a thousandth of a pixel: an item of 0.1 % of the area keeps its share to
 * within 1e-4. Never "-0.000". */
static void attr_num(struct svg *s, const char *name, double v)
{
        attrf(s, name, "%.3f", v > 0 ? v : 0.0);
}

/* <name ...attributes set by the caller>text</name> is start(), attributes, text_end(). */
static void text_end(struct svg *s, const char *text)
{
        if (!s->failed)
                check(s, xmlTextWriterWriteString(s->w, BAD_CAST text));
        end(s);
}

static void element_text(struct svg *s, const char *name, const char *text)
{
        start(s, name);
        text_end(s, text);
}

static void draw_text(struct svg *s, double x, double y, int font_size, const char *text)
{
        start(s, "text");
        attr_num(s, "x", x);
        attr_num(s, "y", y);
        attrf(s, "font-size", "%d", font_size);
        attr(s, "stroke", "none"); /* the group's stroke is for the rectangles */
        text_end(s, text);
}

static void write_item(struct svg *s, const struct treemap_item *it, const struct treemap_rect *r,
                       uint64_t total)
{
        cleanup_free char *label = clean_text(it->label, TREEMAP_LABEL_MAX);
        cleanup_free char *detail = it->detail ? clean_text(it->detail, TREEMAP_DETAIL_MAX) : NULL;
        char human[32], exact[32], colour[8];
        int fs = 0;
        human_size(human, sizeof(human), it->bytes);
        grouped(exact, it->bytes);
        label_colour(label, colour);
        cleanup_free char *tip =
            xasprintf("%s\n%s%s%s (%s bytes, %.2f %%)", label, detail ? detail : "",
                      detail ? "\n" : "", human, exact, 100.0 * (double)it->bytes / (double)total);

        start(s, "g");
        element_text(s, "title", tip);
        start(s, "rect");
        attr_num(s, "x", r->x);
        attr_num(s, "y", r->y);
        attr_num(s, "width", r->w);
        attr_num(s, "height", r->h);
        attr(s, "fill", colour);
        attr(s, "data-label", label);
        attrf(s, "data-bytes", "%" PRIu64, it->bytes);
        end(s);
        cleanup_free char *shown = fitting_label(label, r, &fs);
        if (shown) {
                double baseline = r->y + TEXT_PAD + fs;
                draw_text(s, r->x + TEXT_PAD, baseline, fs, shown);
                if (fitting_font(strlen(human), 2, r->w, r->h) >= fs)
                        draw_text(s, r->x + TEXT_PAD, baseline + LINE_EM * fs, fs, human);
        }
        end(s);
}

static void write_document(struct svg *s, const struct treemap_item *items, size_t n,
                           const char *title, const struct treemap_rect *rects)
{
        uint64_t total = 0;
        size_t drawn = 0;
        for (size_t i = 0; i < n; i++) {
                if (!items[i].bytes)
                        continue;
                /* saturates instead of wrapping: only the printed total can be off, never
                 * the layout, which adds in floating point */
                total = items[i].bytes > UINT64_MAX - total ? UINT64_MAX : total + items[i].bytes;
                drawn++;
        }
        cleanup_free char *clean_title = clean_text(title, TREEMAP_LABEL_MAX);
        size_t title_fit = (size_t)((TREEMAP_WIDTH - 2 * SUBTITLE_PAD) / (CHAR_EM * TITLE_FONT));
        cleanup_free char *shown_title = cut_chars(clean_title, title_fit);
        char human[32], exact[32];
        human_size(human, sizeof(human), total);
        grouped(exact, total);
        cleanup_free char *summary = xasprintf("total %s (%s bytes) in %zu item%s", human, exact,
                                               drawn, drawn == 1 ? "" : "s");
        const int height = TREEMAP_HEADER + TREEMAP_HEIGHT;

        check(s, xmlTextWriterSetIndent(s->w, 1));
        check(s, xmlTextWriterSetIndentString(s->w, BAD_CAST " "));
        if (!s->failed)
                check(s, xmlTextWriterStartDocument(s->w, "1.0", "UTF-8", NULL));
        start(s, "svg");
        attr(s, "xmlns", "http://www.w3.org/2000/svg");
        attr(s, "version", "1.1");
        attrf(s, "width", "%d", TREEMAP_WIDTH);
        attrf(s, "height", "%d", height);
        attrf(s, "viewBox", "0 0 %d %d", TREEMAP_WIDTH, height);
        attr(s, "font-family", "sans-serif");
        element_text(s, "title", clean_title);

        start(s, "rect");
        attr(s, "width", "100%");
        attr(s, "height", "100%");
        attr(s, "fill", "#ffffff");
        end(s);
        start(s, "text");
        attrf(s, "x", "%d", SUBTITLE_PAD);
        attrf(s, "y", "%d", TITLE_FONT + 4);
        attrf(s, "font-size", "%d", TITLE_FONT);
        attr(s, "font-weight", "bold");
        text_end(s, shown_title);
        draw_text(s, SUBTITLE_PAD, TREEMAP_HEADER - 8, FONT_MAX, summary);
        start(s, "rect");
        attrf(s, "y", "%d", TREEMAP_HEADER);
        attrf(s, "width", "%d", TREEMAP_WIDTH);
        attrf(s, "height", "%d", TREEMAP_HEIGHT);
        attr(s, "fill", "#eeeeee");
        end(s);

        start(s, "g");
        attr(s, "stroke", "#ffffff");
        attr(s, "stroke-width", "0.5");
        for (size_t i = 0; i < n && !s->failed; i++)
                if (items[i].bytes)
                        write_item(s, &items[i], &rects[i], total);
        end(s);
        end(s);
        if (!s->failed)
                check(s, xmlTextWriterEndDocument(s->w));
}

/* libxml2's output goes straight to the file: a report of a million items is written without
 * holding its hundreds of megabytes. */
struct sink {
        int fd;
        int error; /* -errno of the first failed write */
};

static int sink_write(void *ctx, const char *buf, int len)
{
        struct sink *sink = ctx;
        int e = write_all(sink->fd, buf, (size_t)len);
        if (e) {
                if (!sink->error)
                        sink->error = e;
                return -1;
        }
        return len;
}

static int sink_close(void *ctx)
{
        (void)ctx; /* the descriptor is closed by the caller, who checks that close */
        return 0;
}

/* libxml2 also reports a failed write on stderr; the caller's error says it, once. */
#if LIBXML_VERSION >= 21200
static void quiet(void *ctx, const xmlError *e)
#else
static void quiet(void *ctx, xmlErrorPtr e)
#endif
{
        (void)ctx;
        (void)e;
}

/* The document to fd: 0, -errno of a failed write, or -EIO when libxml2 failed without one. */
static int write_to_fd(int fd, const struct treemap_item *items, size_t n, const char *title,
                       const struct treemap_rect *rects)
{
        struct sink sink = {fd, 0};
        xmlOutputBufferPtr buf = xmlOutputBufferCreateIO(sink_write, sink_close, &sink, NULL);
        if (!buf)
                return -ENOMEM;
        struct svg s = {xmlNewTextWriter(buf), false};
        if (!s.w) {
                xmlOutputBufferClose(buf);
                return -ENOMEM;
        }
        xmlStructuredErrorFunc saved = xmlStructuredError;
        void *saved_ctx = xmlStructuredErrorContext;
        xmlSetStructuredErrorFunc(NULL, quiet);
        write_document(&s, items, n, title, rects);
        xmlFreeTextWriter(s.w); /* flushes, then closes buf */
        xmlSetStructuredErrorFunc(saved_ctx, saved);
        if (sink.error)
                return sink.error;
        return s.failed ? -EIO : 0;
}

struct svg_job {
        const struct treemap_item *items;
        size_t n;
        const char *title;
        const struct treemap_rect *rects;
};

static int fill_svg(int fd, void *ud)
{
        const struct svg_job *j = ud;
        return write_to_fd(fd, j->items, j->n, j->title, j->rects);
}

int treemap_write_svg(const struct treemap_item *items, size_t n, const char *title,
                      const char *path, struct distill_error *err)
{
        uint64_t *weights = xcalloc(n, sizeof(*weights));
        struct treemap_rect *rects = xcalloc(n, sizeof(*rects));
        for (size_t i = 0; i < n; i++)
                weights[i] = items[i].bytes;
        treemap_layout(weights, n, 0, TREEMAP_HEADER, TREEMAP_WIDTH, TREEMAP_HEIGHT, rects);
        free(weights);

        struct svg_job job = {items, n, title, rects};
        int e = write_file_atomic_with(path, 0644, true, fill_svg, &job);
        int r = 0;
        if (e)
                r = distill_error_errno(err, DISTILL_EIO, -e, "writing %s", path);
        free(rects);
        return r;
}
