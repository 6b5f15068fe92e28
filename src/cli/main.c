/* distill's command line (README, "Command line"): parse argv, dispatch, map error kinds to exit
 * codes. */
#include <getopt.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>

#include "distill/base/error.h"
#include "distill/check/check.h"
#include "distill/check/verify.h"
#include "distill/cli/build.h"
#include "distill/cli/outdated.h"
#include "distill/cli/report.h"
#include "distill/cli/reportdiff.h"
#include "distill/cli/why.h"
#include "distill/convert/convert.h"
#include "distill/core/plan.h"
#include "distill/image/oci.h"
#include "distill/image/publish.h"
#include "distill/input/rules.h"

#ifndef DISTILL_VERSION
#define DISTILL_VERSION "dev"
#endif

static const char usage_text[] =
    "usage: distill build MANIFEST [-o OUT] [--format oci|docker-archive|rootfs] [--tag REF]\n"
    "                      [--arch ARCH] [--rules DIR]\n"
    "                      [--no-package-rules] [--locked[=LOCK]] [--force] [-q|-v] [--json]\n"
    "                      [--check-run CMD]... [--push REF [--tls-verify=false]]\n"
    "                      [--debug] [--root]\n"
    "       distill publish OUT REF [--tls-verify=false] [--json]\n"
    "       distill resolve MANIFEST [--arch ARCH] [--rules DIR] [--no-package-rules] [--json]\n"
    "       distill why OUT|MANIFEST PATH [--json]\n"
    "       distill lock MANIFEST [-o LOCK] [--arch ARCH]\n"
    "                    [--update [PKG]... | --check]\n"
    "       distill outdated MANIFEST|OUT [--manifest MANIFEST] [--arch ARCH] [--rules DIR]\n"
    "                        [--no-package-rules] [--json] [--exit-code]\n"
    "       distill verify OUT [--json] [--tests FILE]\n"
    "       distill report OUT|MANIFEST [--json] [--svg FILE]\n"
    "       distill report A B [--json]\n"
    "       distill convert [Dockerfile] [-o MANIFEST] [--context DIR] [--source sysroot|apt]\n"
    "                       [--sysroot DIR] [--python X.Y] [--arch ARCH] [--force] [--json]\n"
    "       distill --help | --version\n"
    "\n"
    "Builds a distroless OCI image from MANIFEST (see README.md for the manifest format),\n"
    "explains what a build keeps and why, pins the packages of an apt source, lists the kept\n"
    "packages the archive has updated, and turns a Dockerfile into a manifest.\n"
    "Exit codes: 0 ok, 1 internal error, 2 usage or invalid manifest, 3 resolution failed,\n"
    "4 I/O, 5 integrity, 6 verify found problems, 7 outdated --exit-code: a kept package has\n"
    "a newer version.\n";

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
        va_list ap;
        fprintf(stderr, "distill: ");
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fprintf(stderr, "\n%s", usage_text);
        return distill_kind_exit_code(DISTILL_EUSAGE);
}

/* The exit code of a command's result r, with the message on stderr when it failed. */
static int finish(int r, struct distill_error *err)
{
        int code = distill_exit_status(r, err);
        if (code)
                fprintf(stderr, "distill: %s\n", err->msg);
        return code;
}

/* Every command's options, parsed by one loop; each command names the ones it takes. */
struct cli {
        struct build_options opt;
        struct convert_options convert;
        const char *out; /* -o */
        bool locked;
        const char *lock_file; /* --locked=FILE */
        bool lock_update;      /* lock --update */
        bool lock_check;       /* lock --check */
        const char *manifest;  /* --manifest (outdated OUT) */
        bool exit_code;        /* --exit-code (outdated) */
        const char *tests;     /* --tests (verify) */
        const char *svg;       /* --svg (report) */
        bool help;
        char **args; /* the positional arguments */
        int n_args;
};

static const struct option all_options[] = {
    {"output", required_argument, NULL, 'o'},
    {"tag", required_argument, NULL, 't'},
    {"arch", required_argument, NULL, 'a'},
    {"rules", required_argument, NULL, 'r'},
    {"format", required_argument, NULL, 'F'},
    {"force", no_argument, NULL, 'f'},
    {"quiet", no_argument, NULL, 'q'},
    {"verbose", no_argument, NULL, 'v'},
    {"json", no_argument, NULL, 'j'},
    {"help", no_argument, NULL, 'h'},
    {"locked", optional_argument, NULL, 'L'},
    {"no-package-rules", no_argument, NULL, 'P'},
    {"check-run", required_argument, NULL, 'C'},
    {"push", required_argument, NULL, 'p'},
    {"tls-verify", required_argument, NULL, 'T'},
    {"debug", no_argument, NULL, 'D'},
    {"root", no_argument, NULL, 'R'},
    {"context", required_argument, NULL, 'c'},
    {"source", required_argument, NULL, 'S'},
    {"sysroot", required_argument, NULL, 's'},
    {"python", required_argument, NULL, 'Y'},
    {"update", no_argument, NULL, 'U'},
    {"check", no_argument, NULL, 'K'},
    {"manifest", required_argument, NULL, 'M'},
    {"exit-code", no_argument, NULL, 'E'},
    {"tests", required_argument, NULL, 'X'},
    {"svg", required_argument, NULL, 'G'},
    {NULL, 0, NULL, 0},
};

/* `allowed` lists the option letters the command takes. Returns 0, or an exit code. */
static int parse_cli(int argc, char **argv, const char *allowed, struct cli *cli)
{
        int c;

        optind = 1;
        while ((c = getopt_long(argc, argv, "o:qvh", all_options, NULL)) != -1) {
                if (c == '?' || !strchr(allowed, c))
                        return usage_error("%s", "invalid option");
                switch (c) {
                case 'o':
                        cli->out = optarg;
                        break;
                case 't':
                        cli->opt.tag = optarg;
                        break;
                case 'a':
                        cli->opt.arch = optarg;
                        break;
                case 'r':
                        strvec_push(&cli->opt.rules_dirs, optarg);
                        break;
                case 'F':
                        if (!strcmp(optarg, "oci"))
                                cli->opt.format = BUILD_FORMAT_OCI;
                        else if (!strcmp(optarg, "docker-archive"))
                                cli->opt.format = BUILD_FORMAT_DOCKER_ARCHIVE;
                        else if (!strcmp(optarg, "rootfs"))
                                cli->opt.format = BUILD_FORMAT_ROOTFS;
                        else
                                return usage_error("--format %s: expected oci, docker-archive or "
                                                   "rootfs",
                                                   optarg);
                        break;
                case 'f':
                        cli->opt.force = true;
                        break;
                case 'P':
                        cli->opt.no_package_rules = true;
                        break;
                case 'q':
                        cli->opt.verbosity = -1;
                        break;
                case 'v':
                        cli->opt.verbosity = 1;
                        break;
                case 'j':
                        cli->opt.json = true;
                        break;
                case 'L':
                        cli->locked = true;
                        cli->lock_file = optarg;
                        break;
                case 'h':
                        cli->help = true;
                        break;
                case 'U':
                        cli->lock_update = true;
                        break;
                case 'K':
                        cli->lock_check = true;
                        break;
                case 'p':
                        cli->opt.push = optarg;
                        break;
                case 'D':
                        cli->opt.debug = true;
                        break;
                case 'R':
                        cli->opt.root = true;
                        break;
                case 'T':
                        if (strcmp(optarg, "true") && strcmp(optarg, "false"))
                                return usage_error("--tls-verify=%s: expected true or false",
                                                   optarg);
                        cli->opt.tls_verify = !strcmp(optarg, "true");
                        break;
                case 'M':
                        cli->manifest = optarg;
                        break;
                case 'E':
                        cli->exit_code = true;
                        break;
                case 'X':
                        cli->tests = optarg;
                        break;
                case 'G':
                        cli->svg = optarg;
                        break;
                case 'c':
                        cli->convert.context = optarg;
                        break;
                case 'S':
                        if (!strcmp(optarg, "sysroot"))
                                cli->convert.source = CONVERT_SOURCE_SYSROOT;
                        else if (!strcmp(optarg, "apt"))
                                cli->convert.source = CONVERT_SOURCE_APT;
                        else
                                return usage_error("--source %s: expected sysroot or apt", optarg);
                        break;
                case 's':
                        cli->convert.sysroot = optarg;
                        break;
                case 'Y':
                        if (strspn(optarg, "0123456789") == 0 || !strchr(optarg, '.') ||
                            strspn(optarg, "0123456789.") != strlen(optarg))
                                return usage_error("--python %s: expected X.Y (3.11)", optarg);
                        cli->convert.python = optarg;
                        break;
                case 'C': {
                        /* one command per --check-run: a JSON array, or words */
                        struct distill_error err = {0};
                        struct build_options *o = &cli->opt;
                        o->check_run =
                            xrealloc(o->check_run, (o->n_check_run + 1) * sizeof(*o->check_run));
                        o->check_run[o->n_check_run] = (struct strvec)STRVEC_INIT;
                        if (check_parse_command(optarg, &o->check_run[o->n_check_run++], &err) < 0)
                                return usage_error("%s", err.msg);
                        break;
                }
                }
        }
        cli->args = argv + optind;
        cli->n_args = argc - optind;
        return 0;
}

/* distill.lock beside the manifest */
static char *default_lock_path(const char *manifest)
{
        cleanup_free char *dir = path_dirname(manifest);
        return path_join(dir, "distill.lock");
}

static int cmd_build(struct cli *cli, struct distill_error *err)
{
        if (cli->n_args != 1)
                return usage_error("%s", "build needs exactly one MANIFEST");
        cli->opt.manifest = cli->args[0];
        cli->opt.out = cli->out ? cli->out : "distill-out";
        cleanup_free char *default_lock = default_lock_path(cli->opt.manifest);
        if (cli->locked)
                cli->opt.locked = cli->lock_file ? cli->lock_file : default_lock;
        return finish(build_run(&cli->opt, err), err);
}

/* distill convert [Dockerfile]: the manifest written, the report on stdout */
static int cmd_convert(struct cli *cli, struct distill_error *err)
{
        if (cli->n_args > 1)
                return usage_error("%s", "convert takes at most one Dockerfile");
        struct convert_options *o = &cli->convert;
        o->dockerfile = cli->n_args ? cli->args[0] : NULL;
        o->output = cli->out;
        o->arch = cli->opt.arch;
        o->force = cli->opt.force;
        o->json = cli->opt.json;
        return finish(convert_run(o, err), err);
}

/* lock MANIFEST; lock --update MANIFEST [PKG...] (the changes on stdout); lock --check MANIFEST
 * (exit 3 when the lock no longer matches: the manifest's packages do not resolve to it). */
static int cmd_lock(struct cli *cli, struct distill_error *err)
{
        if (cli->n_args < 1 || (cli->n_args > 1 && !cli->lock_update))
                return usage_error("%s", "lock needs exactly one MANIFEST (and PKG... only with "
                                         "--update)");
        if (cli->lock_update && cli->lock_check)
                return usage_error("%s", "lock takes --update or --check, not both");
        cli->opt.manifest = cli->args[0];
        cleanup_free char *default_lock = default_lock_path(cli->opt.manifest);
        const char *lock = cli->out ? cli->out : default_lock;
        struct strvec names = STRVEC_INIT;
        for (int i = 1; i < cli->n_args; i++)
                strvec_push(&names, cli->args[i]);
        int r;
        if (cli->lock_update)
                r = build_lock_update(&cli->opt, lock, &names, stdout, err);
        else if (cli->lock_check)
                r = build_lock_check(&cli->opt, lock, err);
        else
                r = build_lock(&cli->opt, lock, err);
        strvec_clear(&names);
        if (r < 0)
                return finish(r, err);
        if (cli->lock_check)
                printf("%s matches %s\n", lock, cli->opt.manifest);
        else
                printf("%s\n", lock);
        return 0;
}

/* distill outdated MANIFEST|OUT: the report on stdout, exit 7 with --exit-code when a kept
 * package has a newer version */
static int cmd_outdated(struct cli *cli, struct distill_error *err)
{
        if (cli->n_args != 1)
                return usage_error("%s", "outdated needs exactly one MANIFEST or OUT");
        struct outdated_options o = {.target = cli->args[0],
                                     .manifest = cli->manifest,
                                     .arch = cli->opt.arch,
                                     .rules_dirs = &cli->opt.rules_dirs,
                                     .no_package_rules = cli->opt.no_package_rules,
                                     .json = cli->opt.json,
                                     .exit_code = cli->exit_code};
        return finish(outdated_run(&o, err), err);
}

/* distill publish OUT REF: the pushed digest on stdout (a line, or --json). */
static int cmd_publish(struct cli *cli, struct distill_error *err)
{
        struct publish_result res;
        if (cli->n_args != 2)
                return usage_error("%s", "publish needs OUT and REF");
        int r = publish_image(cli->args[0], cli->args[1], cli->opt.tls_verify, &res, err);
        if (r < 0) {
                publish_result_release(&res);
                return finish(r, err);
        }
        cleanup_free char *repo = NULL, *tag = NULL;
        oci_split_ref(cli->args[1], &repo, &tag);
        if (cli->opt.json) {
                json_t *o = json_object();
                json_object_set_new(o, "ref", json_string(cli->args[1]));
                json_object_set_new(o, "digest", json_string(res.digest));
                json_object_set_new(o, "index", json_boolean(res.index));
                json_t *refs = json_array();
                for (size_t i = 0; i < res.referrer_tags.n; i++)
                        json_array_append_new(
                            refs, json_sprintf("%s:%s", repo, res.referrer_tags.v[i]));
                json_object_set_new(o, "referrers", refs);
                json_object_set_new(o, "referrer_count", json_integer((json_int_t)res.n_referrers));
                json_dumpf(o, stdout, JSON_COMPACT);
                fputc('\n', stdout);
                json_decref(o);
        } else {
                printf("%s@%s\n", cli->args[1], res.digest);
                for (size_t i = 0; i < res.referrer_tags.n; i++)
                        printf("referrers %s:%s\n", repo, res.referrer_tags.v[i]);
        }
        publish_result_release(&res);
        return 0;
}

/* distill verify OUT: a line per problem (or --json), exit 6 when there is one. */
static int cmd_verify(struct cli *cli, struct distill_error *err)
{
        if (cli->n_args != 1)
                return usage_error("%s", "verify needs exactly one OUT");
        struct verify_options o = {.out = cli->args[0], .json = cli->opt.json, .tests = cli->tests};
        fflush(stdout);
        return finish(verify_run(&o, stdout, err), err);
}

/* The plan of OUT (what was built) or of a MANIFEST (what it would build). */
static int load_plan(const char *arg, const struct build_options *base, struct plan **plan,
                     struct distill_error *err)
{
        cleanup_free char *path = NULL;
        int r = plan_json_of_output(arg, &path, err);
        if (r < 0 || path)
                return r < 0 ? r : plan_read_json(path, plan, err);
        struct build_options opt = *base;
        opt.manifest = arg;
        opt.verbosity = -1;
        return build_resolve(&opt, plan, err);
}

/* resolve MANIFEST and why OUT|MANIFEST PATH: reports on a plan. */
static int cmd_report(struct cli *cli, bool is_why, struct distill_error *err)
{
        struct plan *plan = NULL;

        if (cli->n_args != (is_why ? 2 : 1))
                return usage_error("%s", is_why ? "why needs OUT|MANIFEST and PATH"
                                                : "resolve needs exactly one MANIFEST");
        int r = load_plan(cli->args[0], &cli->opt, &plan, err);
        if (r >= 0)
                r = is_why ? why_explain(plan, cli->args[1], cli->opt.json, stdout, err)
                           : resolve_report(plan, cli->opt.json, stdout, err);
        if (plan)
                plan_free(plan);
        /* why says plainly when PATH is not in the image; that is an answer, not an error (exit 1
         * means an internal error) */
        return finish(r, err);
}

/* distill report OUT [B]: the composition of one image (or of what a manifest would build), or
 * what changed from A to B. */
static int cmd_composition(struct cli *cli, struct distill_error *err)
{
        struct plan *a = NULL, *b = NULL;
        int r;

        if (cli->n_args != 1 && cli->n_args != 2)
                return usage_error("%s", "report needs OUT, or two images A B to compare");
        if (cli->n_args == 2 && cli->svg)
                return usage_error("%s", "--svg draws one image: give one OUT");
        r = load_plan(cli->args[0], &cli->opt, &a, err);
        if (r >= 0 && cli->n_args == 2)
                r = load_plan(cli->args[1], &cli->opt, &b, err);
        if (r >= 0 && b) {
                r = report_compare(a, cli->args[0], b, cli->args[1], cli->opt.json, stdout, err);
        } else if (r >= 0) {
                struct report_options o = {.json = cli->opt.json, .svg = cli->svg};
                r = report_image(a, cli->args[0], &o, stdout, err);
        }
        plan_free(a);
        plan_free(b);
        return finish(r, err);
}

int main(int argc, char **argv)
{
        static const struct {
                const char *name;
                const char *options; /* the option letters it takes */
        } commands[] = {
            {"build", "otarFfqvjLPCpTDRh"},
            {"lock", "oarqhUK"},
            {"resolve", "arjPh"},
            {"why", "arjPh"},
            {"publish", "Tjh"},
            {"convert", "ocSsYafjh"},
            {"outdated", "MarPjEh"},
            {"verify", "jXh"},
            {"report", "arjPGh"},
        };
        struct distill_error err = {0};
        struct cli cli = {.opt.tls_verify = true};
        int r = -1;

        if (argc < 2)
                return usage_error("%s", "no command given");
        if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
                fputs(usage_text, stdout);
                return 0;
        }
        if (strcmp(argv[1], "--version") == 0) {
                printf("distill %s\n", DISTILL_VERSION);
                char *rules = NULL;
                struct distill_error err = {0};
                int rr = rules_shipped_dir(&rules, &err);
                if (rr < 0)
                        return finish(rr, &err);
                printf("rules: %s\n", rules);
                free(rules);
                return 0;
        }
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
                if (strcmp(argv[1], commands[i].name) != 0)
                        continue;
                r = parse_cli(argc - 1, argv + 1, commands[i].options, &cli);
                if (r == 0 && cli.help)
                        fputs(usage_text, stdout);
                else if (r == 0 && i == 0)
                        r = cmd_build(&cli, &err);
                else if (r == 0 && i == 1)
                        r = cmd_lock(&cli, &err);
                else if (r == 0 && i == 4)
                        r = cmd_publish(&cli, &err);
                else if (r == 0 && i == 5)
                        r = cmd_convert(&cli, &err);
                else if (r == 0 && i == 6)
                        r = cmd_outdated(&cli, &err);
                else if (r == 0 && i == 7)
                        r = cmd_verify(&cli, &err);
                else if (r == 0 && i == 8)
                        r = cmd_composition(&cli, &err);
                else if (r == 0)
                        r = cmd_report(&cli, i == 3, &err);
                strvec_clear(&cli.opt.rules_dirs);
                for (size_t k = 0; k < cli.opt.n_check_run; k++)
                        strvec_clear(&cli.opt.check_run[k]);
                free(cli.opt.check_run);
                return r;
        }
        return usage_error("unknown command %s", argv[1]);
}
