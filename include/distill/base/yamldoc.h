/* YAML as distill reads its manifests and rules files: the text is hostile, so a first pass over
 * libyaml's event stream refuses aliases (the "billion laughs" expansion), non-standard tags, a
 * second document and deep nesting before the document tree is built; then small helpers over
 * its nodes, and errors that name "file:line:col" (1-based) of a node. */
#ifndef DISTILL_YAMLDOC_H
#define DISTILL_YAMLDOC_H

#include <stdbool.h>
#include <stddef.h>
#include <yaml.h>

#include "distill/base/error.h"

#define YAMLDOC_MAX_DEPTH 32

struct yamldoc {
        const char *file; /* for messages; borrowed */
        yaml_document_t doc;
        bool loaded;
};

/* Parses one document from data; `what` names the kind of file in messages ("manifest",
 * "rules file"). DISTILL_EUSAGE with file:line:col for anything refused. */
int yamldoc_load(struct yamldoc *d, const char *file, const char *what, const char *data,
                 size_t len, struct distill_error *err);
void yamldoc_release(struct yamldoc *d);
yaml_node_t *yamldoc_root(struct yamldoc *d);            /* NULL for an empty document */
yaml_node_t *yamldoc_node(struct yamldoc *d, int index); /* as yaml_document_get_node */

const char *yaml_scalar(const yaml_node_t *n);
/* YAML's null: an empty plain scalar, ~, null, Null or NULL (what `key:` with nothing after it
 * gives). */
bool yaml_is_null(const yaml_node_t *n);
/* "null", "a mapping", "a list" or "a string", for messages. */
const char *yaml_kind_name(const yaml_node_t *n);
/* "file:line:col" of a node; caller frees. */
char *yaml_origin(const char *file, const yaml_node_t *n);

/* Sets a DISTILL_EUSAGE error "file:line:col: message" at node n. */
void yaml_note_at(struct distill_error *err, const char *file, const yaml_node_t *n,
                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* The same, yielding -DISTILL_EUSAGE where it is returned (see distill_error_set). */
#define yaml_fail_at(err, file, n, ...)                                                            \
        (yaml_note_at((err), (file), (n), __VA_ARGS__), -DISTILL_EUSAGE)

/* The YAML text of one string scalar, written by libyaml's emitter on one line, that any YAML
 * reader gives back as that string: plain when that is unambiguous, double-quoted when the text
 * is empty, holds a line break, or would read as something else plain (true, no, null, ~, a
 * number). For writing manifests with comments, which libyaml's emitter cannot. Caller frees. */
char *yaml_scalar_text(const char *s);

#endif
