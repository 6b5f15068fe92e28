/* distill's command line (DESIGN §2): parse argv, dispatch, map error kinds to exit codes. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>

#include "distill/build.h"
#include "distill/error.h"
#include "distill/plan.h"
#include "distill/why.h"

#ifndef DISTILL_VERSION
#define DISTILL_VERSION "dev"
#endif

static const char usage_text[] =
    "usage: distill build MANIFEST [-o OUT] [--tag REF] [--arch ARCH] [--rules DIR]\n"
    "                      [--locked[=LOCK]] [--force] [-q|-v] [--json]\n"
    "       distill resolve MANIFEST [--arch ARCH] [--rules DIR] [--json]\n"
    "       distill why OUT|MANIFEST PATH [--json]\n"
    "       distill lock MANIFEST [-o LOCK] [--arch ARCH]\n"
    "       distill --help | --version\n"
    "\n"
    "Builds a distroless OCI image from MANIFEST (see README.md for the manifest format),\n"
    "explains what a build keeps and why, and pins the packages of an apt source.\n"
    "Exit codes: 0 ok, 1 internal error, 2 usage or invalid manifest, 3 resolution failed,\n"
    "4 I/O, 5 integrity, 6 verify found problems.\n";

static int usage_error(const char *fmt, const char *arg)
{
        fprintf(stderr, "distill: ");
        fprintf(stderr, fmt, arg);
        fprintf(stderr, "\n%s", usage_text);
        return DISTILL_EUSAGE;
}

/* distill.lock beside the manifest */
static char *default_lock_path(const char *manifest)
{
        cleanup_free char *dir = path_dirname(manifest);
        return path_join(dir, "distill.lock");
}

static int cmd_lock(int argc, char **argv)
{
        static const struct option opts[] = {
            {"output", required_argument, NULL, 'o'}, {"arch", required_argument, NULL, 'a'},
            {"rules", required_argument, NULL, 'r'},  {"quiet", no_argument, NULL, 'q'},
            {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
        };
        struct build_options opt = {0};
        struct distill_error err = {0};
        const char *out = NULL;
        int c, r;

        optind = 1;
        while ((c = getopt_long(argc, argv, "o:qh", opts, NULL)) != -1) {
                switch (c) {
                case 'o':
                        out = optarg;
                        break;
                case 'a':
                        opt.arch = optarg;
                        break;
                case 'r':
                        strvec_push(&opt.rules_dirs, optarg);
                        break;
                case 'q':
                        opt.verbosity = -1;
                        break;
                case 'h':
                        fputs(usage_text, stdout);
                        strvec_clear(&opt.rules_dirs);
                        return 0;
                default:
                        strvec_clear(&opt.rules_dirs);
                        return usage_error("%s", "invalid option");
                }
        }
        if (optind != argc - 1) {
                strvec_clear(&opt.rules_dirs);
                return usage_error("%s", "lock needs exactly one MANIFEST");
        }
        opt.manifest = argv[optind];
        cleanup_free char *default_lock = default_lock_path(opt.manifest);
        r = build_lock(&opt, out ? out : default_lock, &err);
        strvec_clear(&opt.rules_dirs);
        if (r < 0) {
                fprintf(stderr, "distill: %s\n", err.msg);
                return err.code ? err.code : DISTILL_EINTERNAL;
        }
        printf("%s\n", out ? out : default_lock);
        return 0;
}

static int cmd_build(int argc, char **argv)
{
        static const struct option opts[] = {
            {"output", required_argument, NULL, 'o'}, {"tag", required_argument, NULL, 't'},
            {"arch", required_argument, NULL, 'a'},   {"rules", required_argument, NULL, 'r'},
            {"format", required_argument, NULL, 'F'}, {"force", no_argument, NULL, 'f'},
            {"quiet", no_argument, NULL, 'q'},        {"verbose", no_argument, NULL, 'v'},
            {"json", no_argument, NULL, 'j'},         {"help", no_argument, NULL, 'h'},
            {"locked", optional_argument, NULL, 'L'}, {NULL, 0, NULL, 0},
        };
        struct build_options opt = {.out = "distill-out"};
        struct distill_error err = {0};
        bool locked = false;
        const char *lock_file = NULL;
        int c, r;

        optind = 1;
        while ((c = getopt_long(argc, argv, "o:qvh", opts, NULL)) != -1) {
                switch (c) {
                case 'o':
                        opt.out = optarg;
                        break;
                case 't':
                        opt.tag = optarg;
                        break;
                case 'a':
                        opt.arch = optarg;
                        break;
                case 'r':
                        strvec_push(&opt.rules_dirs, optarg);
                        break;
                case 'F':
                        if (strcmp(optarg, "oci") != 0) {
                                strvec_clear(&opt.rules_dirs);
                                return usage_error("--format %s: only oci is supported so far",
                                                   optarg);
                        }
                        break;
                case 'f':
                        opt.force = true;
                        break;
                case 'q':
                        opt.verbosity = -1;
                        break;
                case 'v':
                        opt.verbosity = 1;
                        break;
                case 'j':
                        opt.json = true;
                        break;
                case 'L':
                        locked = true;
                        lock_file = optarg;
                        break;
                case 'h':
                        fputs(usage_text, stdout);
                        strvec_clear(&opt.rules_dirs);
                        return 0;
                default:
                        strvec_clear(&opt.rules_dirs);
                        return usage_error("%s", "invalid option");
                }
        }
        if (optind != argc - 1) {
                strvec_clear(&opt.rules_dirs);
                return usage_error("%s", "build needs exactly one MANIFEST");
        }
        opt.manifest = argv[optind];
        cleanup_free char *default_lock = default_lock_path(opt.manifest);
        if (locked)
                opt.locked = lock_file ? lock_file : default_lock;
        r = build_run(&opt, &err);
        strvec_clear(&opt.rules_dirs);
        if (r < 0) {
                fprintf(stderr, "distill: %s\n", err.msg);
                return err.code ? err.code : DISTILL_EINTERNAL;
        }
        return 0;
}

/* The plan of OUT (what was built) or of a MANIFEST (what it would build). */
static int load_plan(const char *arg, const struct build_options *base, struct plan **plan,
                     struct distill_error *err)
{
        struct stat sb;
        if (stat(arg, &sb) == 0 && S_ISDIR(sb.st_mode)) {
                cleanup_free char *path = path_join(arg, "plan.json");
                return plan_read_json(path, plan, err);
        }
        struct build_options opt = *base;
        opt.manifest = arg;
        opt.verbosity = -1;
        return build_resolve(&opt, plan, err);
}

/* resolve MANIFEST and why OUT|MANIFEST PATH share their options. */
static int cmd_report(int argc, char **argv, bool is_why)
{
        static const struct option opts[] = {
            {"arch", required_argument, NULL, 'a'},
            {"rules", required_argument, NULL, 'r'},
            {"json", no_argument, NULL, 'j'},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0},
        };
        struct build_options opt = {0};
        struct distill_error err = {0};
        struct plan *plan = NULL;
        int c, r;

        optind = 1;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
                switch (c) {
                case 'a':
                        opt.arch = optarg;
                        break;
                case 'r':
                        strvec_push(&opt.rules_dirs, optarg);
                        break;
                case 'j':
                        opt.json = true;
                        break;
                case 'h':
                        fputs(usage_text, stdout);
                        strvec_clear(&opt.rules_dirs);
                        return 0;
                default:
                        strvec_clear(&opt.rules_dirs);
                        return usage_error("%s", "invalid option");
                }
        }
        if (optind != argc - (is_why ? 2 : 1)) {
                strvec_clear(&opt.rules_dirs);
                return usage_error("%s", is_why ? "why needs OUT|MANIFEST and PATH"
                                                : "resolve needs exactly one MANIFEST");
        }
        r = load_plan(argv[optind], &opt, &plan, &err);
        if (r >= 0)
                r = is_why ? why_explain(plan, argv[optind + 1], opt.json, stdout, &err)
                           : resolve_report(plan, opt.json, stdout, &err);
        if (plan)
                plan_free(plan);
        strvec_clear(&opt.rules_dirs);
        if (r < 0) {
                fprintf(stderr, "distill: %s\n", err.msg);
                return err.code ? err.code : DISTILL_EINTERNAL;
        }
        /* why says plainly when PATH is not in the image; that is an answer, not an error (exit 1
         * means an internal error) */
        return 0;
}

int main(int argc, char **argv)
{
        if (argc < 2)
                return usage_error("%s", "no command given");
        if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
                fputs(usage_text, stdout);
                return 0;
        }
        if (strcmp(argv[1], "--version") == 0) {
                printf("distill %s\n", DISTILL_VERSION);
                return 0;
        }
        if (strcmp(argv[1], "build") == 0)
                return cmd_build(argc - 1, argv + 1);
        if (strcmp(argv[1], "lock") == 0)
                return cmd_lock(argc - 1, argv + 1);
        if (strcmp(argv[1], "resolve") == 0)
                return cmd_report(argc - 1, argv + 1, false);
        if (strcmp(argv[1], "why") == 0)
                return cmd_report(argc - 1, argv + 1, true);
        return usage_error("unknown command %s", argv[1]);
}
