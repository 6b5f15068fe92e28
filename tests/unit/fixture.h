/* Helpers shared by the unit tests: scratch directories and generated fixtures. */
#ifndef DISTILL_TEST_FIXTURE_H
#define DISTILL_TEST_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>

/* A fresh directory under $TMPDIR (or /tmp); removed by fixture_cleanup(). */
char *fixture_tmpdir(void);
void fixture_cleanup(const char *dir);
/* Run a shell command (printf-style); returns its exit status (0 on success). */
int fixture_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Run a shell command and capture its stdout (caller frees); NULL on failure. */
char *fixture_sh_out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Write a file, creating parent directories. */
void fixture_write(const char *path, const char *content);
/* The source tree (DISTILL_SOURCE_DIR) and the built tool (DISTILL_BIN). */
const char *fixture_source_dir(void);
/* A tree as the select stage materialises it: the host's python3.11 (and a python3 link to it),
 * its NEEDED libraries and loader under usr/lib/x86_64-linux-gnu, the usrmerge links, an absolute
 * /usr/lib64 loader link, and the whole stdlib without __pycache__. */
void fixture_python_tree(const char *dir);
/* Fails the calling test loudly when not root (tests never skip). */
void fixture_require_root(void);

/* Every entry of a host directory tree as image paths, src_path the host path; and the ELF
 * loader for such trees (reads node->src_path). */
struct imagens;
struct imagens_node;
struct elf_info;
struct distill_error;
int fixture_imagens_add_tree(struct imagens *ns, const char *host_dir, struct distill_error *err);
int fixture_ldso_load_host(void *ud, const struct imagens_node *node, struct elf_info *info,
                           struct distill_error *err);

#endif
