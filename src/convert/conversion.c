/* The conversion's model and report (conversion.h). */
#include "distill/convert/conversion.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void conversion_init(struct conversion *cv)
{
        memset(cv, 0, sizeof(*cv));
        cv->report = json_array();
}

void conversion_release(struct conversion *cv)
{
        free(cv->context);
        free(cv->from_image);
        free(cv->from_python);
        strvec_clear(&cv->env);
        free(cv->workdir);
        free(cv->user);
        strvec_clear(&cv->label_keys);
        strvec_clear(&cv->label_values);
        strvec_clear(&cv->ports);
        strvec_clear(&cv->volumes);
        free(cv->stop_signal);
        strvec_clear(&cv->entrypoint);
        strvec_clear(&cv->cmd);
        for (size_t i = 0; i < cv->n_copies; i++) {
                free(cv->copies[i].from);
                free(cv->copies[i].to);
        }
        free(cv->copies);
        free(cv->dockerignore);
        free(cv->venv);
        strvec_clear(&cv->requirement_files);
        strvec_clear(&cv->requirement_file_origins);
        strvec_clear(&cv->lock_files);
        strvec_clear(&cv->lock_file_origins);
        for (size_t i = 0; i < cv->n_reqs; i++) {
                struct cv_requirement *r = &cv->reqs[i];
                free(r->text);
                free(r->origin);
                free(r->name);
                free(r->package);
                free(r->version);
                free(r->detail);
        }
        free(cv->reqs);
        strvec_clear(&cv->apk);
        strvec_clear(&cv->apk_origins);
        strvec_clear(&cv->packages);
        strvec_clear(&cv->package_why);
        strvec_clear(&cv->packages_whole);
        strvec_clear(&cv->notes);
        json_decref(cv->report);
        memset(cv, 0, sizeof(*cv));
}

const char *cv_outcome_name(enum cv_outcome o)
{
        switch (o) {
        case CV_CONVERTED:
                return "converted";
        case CV_DROPPED:
                return "dropped";
        case CV_MANUAL:
                return "manual";
        case CV_REVIEW:
                return "review";
        case CV_REFUSED:
                return "refused";
        }
        return "?";
}

void cv_report(struct conversion *cv, int line, const char *instruction, enum cv_outcome o,
               const char *fmt, ...)
{
        va_list ap;
        char *detail = NULL;
        va_start(ap, fmt);
        if (vasprintf(&detail, fmt, ap) < 0)
                detail = NULL;
        va_end(ap);
        json_t *item = json_object();
        json_object_set_new(item, "line", json_integer(line));
        json_object_set_new(item, "instruction", json_string(instruction ? instruction : ""));
        json_object_set_new(item, "outcome", json_string(cv_outcome_name(o)));
        json_object_set_new(item, "detail", json_string(detail ? detail : ""));
        json_array_append_new(cv->report, item);
        free(detail);
}

void cv_note(struct conversion *cv, const char *fmt, ...)
{
        va_list ap;
        char *s = NULL;
        va_start(ap, fmt);
        if (vasprintf(&s, fmt, ap) < 0)
                s = NULL;
        va_end(ap);
        if (s && !strvec_contains(&cv->notes, s))
                strvec_push(&cv->notes, s);
        free(s);
}

void cv_add_requirement(struct conversion *cv, const char *text, const char *origin)
{
        cv->reqs = xrealloc(cv->reqs, (cv->n_reqs + 1) * sizeof(*cv->reqs));
        cv->reqs[cv->n_reqs++] = (struct cv_requirement){
            .text = xstrdup(text), .origin = xstrdup(origin), .outcome = CV_REVIEW};
}

void cv_add_package(struct conversion *cv, const char *package, const char *why)
{
        for (size_t i = 0; i < cv->packages.n; i++)
                if (!strcmp(cv->packages.v[i], package))
                        return;
        strvec_push(&cv->packages, package);
        strvec_push(&cv->package_why, why);
}

const char *cv_env_get(const struct conversion *cv, const char *key)
{
        size_t n = strlen(key);
        for (size_t i = cv->env.n; i-- > 0;)
                if (!strncmp(cv->env.v[i], key, n) && cv->env.v[i][n] == '=')
                        return cv->env.v[i] + n + 1;
        return NULL;
}

void cv_env_set(struct conversion *cv, const char *key, const char *value)
{
        size_t n = strlen(key);
        char *entry = xasprintf("%s=%s", key, value);
        for (size_t i = 0; i < cv->env.n; i++) {
                if (!strncmp(cv->env.v[i], key, n) && cv->env.v[i][n] == '=') {
                        free(cv->env.v[i]);
                        cv->env.v[i] = entry;
                        return;
                }
        }
        strvec_push_nodup(&cv->env, entry);
}

void cv_add_whole_package(struct conversion *cv, const char *package, const char *why)
{
        cv_add_package(cv, package, why);
        if (!strvec_contains(&cv->packages_whole, package))
                strvec_push(&cv->packages_whole, package);
}
