/* Manifests and rules files as YAML (yamldoc.h). */
#include "distill/base/yamldoc.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "distill/base/util.h"

#define YAML_STD_TAG_PREFIX "tag:yaml.org,2002:"

static bool tag_is_standard(const yaml_char_t *tag)
{
        static const char *const std[] = {"str", "int", "bool", "null", "float", "map", "seq"};

        if (!tag)
                return true;
        if (strncmp((const char *)tag, YAML_STD_TAG_PREFIX, strlen(YAML_STD_TAG_PREFIX)) != 0)
                return false;
        const char *name = (const char *)tag + strlen(YAML_STD_TAG_PREFIX);
        for (size_t i = 0; i < sizeof(std) / sizeof(std[0]); i++)
                if (!strcmp(name, std[i]))
                        return true;
        return false;
}

static int syntax_error(const char *file, const yaml_parser_t *p, struct distill_error *err)
{
        const yaml_mark_t *mark = p->problem ? &p->problem_mark : &p->mark;
        if (p->error == YAML_MEMORY_ERROR)
                return distill_error_set(err, DISTILL_EINTERNAL, "%s: out of memory parsing YAML",
                                         file);
        return distill_error_set(err, DISTILL_EUSAGE, "%s:%zu:%zu: malformed YAML: %s%s%s", file,
                                 mark->line + 1, mark->column + 1,
                                 p->problem ? p->problem : "syntax error", p->context ? " " : "",
                                 p->context ? p->context : "");
}

static int event_error(const char *file, const yaml_mark_t *mark, const char *msg,
                       struct distill_error *err)
{
        return distill_error_set(err, DISTILL_EUSAGE, "%s:%zu:%zu: %s", file, mark->line + 1,
                                 mark->column + 1, msg);
}

static const yaml_char_t *event_tag(const yaml_event_t *ev)
{
        switch (ev->type) {
        case YAML_SCALAR_EVENT:
                return ev->data.scalar.tag;
        case YAML_SEQUENCE_START_EVENT:
                return ev->data.sequence_start.tag;
        case YAML_MAPPING_START_EVENT:
                return ev->data.mapping_start.tag;
        default:
                return NULL;
        }
}

/* The event pass: refuse what the document API would silently accept or expand. */
static int check_events(const char *file, const char *what, const char *data, size_t len,
                        struct distill_error *err)
{
        yaml_parser_t p;
        yaml_event_t ev;
        int depth = 0, documents = 0, r = 0;
        bool done = false;
        char msg[512];

        if (!yaml_parser_initialize(&p))
                return distill_error_set(err, DISTILL_EINTERNAL, "yaml_parser_initialize failed");
        yaml_parser_set_input_string(&p, (const unsigned char *)data, len);
        while (!done && r == 0) {
                if (!yaml_parser_parse(&p, &ev)) {
                        r = syntax_error(file, &p, err);
                        break;
                }
                const yaml_char_t *tag = event_tag(&ev);
                switch (ev.type) {
                case YAML_STREAM_END_EVENT:
                        done = true;
                        break;
                case YAML_DOCUMENT_START_EVENT:
                        if (++documents > 1) {
                                snprintf(msg, sizeof(msg),
                                         "only one YAML document per %s (a second one starts "
                                         "here)",
                                         what);
                                r = event_error(file, &ev.start_mark, msg, err);
                        }
                        break;
                case YAML_ALIAS_EVENT:
                        snprintf(msg, sizeof(msg),
                                 "YAML aliases (*name) are not supported in a %s; write the "
                                 "value out",
                                 what);
                        if (r == 0)
                                r = event_error(file, &ev.start_mark, msg, err);
                        break;
                case YAML_SEQUENCE_START_EVENT:
                case YAML_MAPPING_START_EVENT:
                        if (++depth > YAMLDOC_MAX_DEPTH && r == 0)
                                r = event_error(file, &ev.start_mark, "nesting too deep", err);
                        break;
                case YAML_SEQUENCE_END_EVENT:
                case YAML_MAPPING_END_EVENT:
                        depth--;
                        break;
                default:
                        break;
                }
                if (r == 0 && !tag_is_standard(tag)) {
                        snprintf(msg, sizeof(msg), "YAML tag \"%.200s\" is not supported",
                                 (const char *)tag);
                        r = event_error(file, &ev.start_mark, msg, err);
                }
                yaml_event_delete(&ev);
        }
        yaml_parser_delete(&p);
        return r;
}

int yamldoc_load(struct yamldoc *d, const char *file, const char *what, const char *data,
                 size_t len, struct distill_error *err)
{
        yaml_parser_t parser;

        memset(d, 0, sizeof(*d));
        d->file = file;
        int r = check_events(file, what, data, len, err);
        if (r < 0)
                return r;
        if (!yaml_parser_initialize(&parser))
                return distill_error_set(err, DISTILL_EINTERNAL, "yaml_parser_initialize failed");
        yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
        if (!yaml_parser_load(&parser, &d->doc))
                r = syntax_error(file, &parser, err);
        else
                d->loaded = true;
        yaml_parser_delete(&parser);
        return r;
}

void yamldoc_release(struct yamldoc *d)
{
        if (d->loaded)
                yaml_document_delete(&d->doc);
        d->loaded = false;
}

yaml_node_t *yamldoc_root(struct yamldoc *d)
{
        return yaml_document_get_root_node(&d->doc);
}

yaml_node_t *yamldoc_node(struct yamldoc *d, int index)
{
        return yaml_document_get_node(&d->doc, index);
}

const char *yaml_scalar(const yaml_node_t *n)
{
        return (const char *)n->data.scalar.value;
}

bool yaml_is_null(const yaml_node_t *n)
{
        if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
                return false;
        const char *v = yaml_scalar(n);
        return !strcmp(v, "") || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") ||
               !strcmp(v, "NULL");
}

const char *yaml_kind_name(const yaml_node_t *n)
{
        if (yaml_is_null(n))
                return "null";
        switch (n->type) {
        case YAML_MAPPING_NODE:
                return "a mapping";
        case YAML_SEQUENCE_NODE:
                return "a list";
        default:
                return "a string";
        }
}

char *yaml_origin(const char *file, const yaml_node_t *n)
{
        return xasprintf("%s:%zu:%zu", file, n->start_mark.line + 1, n->start_mark.column + 1);
}

void yaml_note_at(struct distill_error *err, const char *file, const yaml_node_t *n,
                  const char *fmt, ...)
{
        char msg[2048];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        distill_error_format(err, DISTILL_EUSAGE, "%s:%zu:%zu: %s", file, n->start_mark.line + 1,
                             n->start_mark.column + 1, msg);
}

static int append_output(void *data, unsigned char *buffer, size_t size)
{
        strbuf_add(data, buffer, size);
        return 1;
}

static char *emit_scalar(const char *s, yaml_scalar_style_t style)
{
        struct strbuf out = STRBUF_INIT;
        yaml_emitter_t e;
        yaml_event_t ev;
        bool ok = yaml_emitter_initialize(&e);
        if (!ok)
                return NULL;
        yaml_emitter_set_output(&e, append_output, &out);
        yaml_emitter_set_unicode(&e, 1);
        yaml_emitter_set_width(&e, -1);
        ok = yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) &&
             yaml_emitter_emit(&e, &ev) &&
             yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1) &&
             yaml_emitter_emit(&e, &ev) &&
             yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s), 1, 1,
                                          style) &&
             yaml_emitter_emit(&e, &ev) && yaml_document_end_event_initialize(&ev, 1) &&
             yaml_emitter_emit(&e, &ev) && yaml_stream_end_event_initialize(&ev) &&
             yaml_emitter_emit(&e, &ev);
        yaml_emitter_delete(&e);
        if (!ok) {
                strbuf_release(&out);
                return NULL;
        }
        /* one scalar, then the document's line break (and "..." after an open-ended one) */
        char *text = strbuf_detach(&out);
        char *nl = strchr(text, '\n');
        if (nl)
                *nl = '\0';
        return text;
}

/* What YAML 1.1 and 1.2 readers resolve a plain scalar to other than a string: booleans,
 * nulls, numbers. Conservative: anything that starts like a number is quoted. */
static bool plain_reads_as_other(const char *s)
{
        static const char *const words[] = {"y",     "yes",  "n",     "no",    "true",
                                            "false", "on",   "off",   "null",  "~",
                                            ".inf",  ".nan", "-.inf", "+.inf", NULL};
        for (size_t i = 0; words[i]; i++)
                if (!strcasecmp(s, words[i]))
                        return true;
        const char *p = s + (*s == '-' || *s == '+');
        return isdigit((unsigned char)*p) || (*p == '.' && isdigit((unsigned char)p[1]));
}

char *yaml_scalar_text(const char *s)
{
        if (*s && !strchr(s, '\n') && !plain_reads_as_other(s)) {
                char *text = emit_scalar(s, YAML_ANY_SCALAR_STYLE);
                /* the emitter chose plain or quoted; a multi-line choice is redone below */
                if (text && !strchr(text, '\n'))
                        return text;
                free(text);
        }
        char *text = emit_scalar(s, YAML_DOUBLE_QUOTED_SCALAR_STYLE);
        return text ? text : xstrdup("\"\"");
}
