/* The OCI distribution API over libcurl, for the manifests skopeo cannot push unchanged
 * (registry.h). */
#include "distill/image/registry.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "distill/base/util.h"
#include "distill/image/oci.h"

#ifndef DISTILL_VERSION
#define DISTILL_VERSION "dev"
#endif

#define REGISTRY_TIMEOUT_S 300
#define MAX_CHALLENGE      4096
#define MAX_TOKEN_BODY     (1u << 20)

struct registry {
        CURL *curl;
        char *host;     /* "127.0.0.1:5000", "registry-1.docker.io": where requests go */
        char *cred_key; /* the name credentials are filed under ("docker.io" for the Hub) */
        char *repo;     /* "hello", "library/alpine" */
        char *name;     /* host/repo, for messages */
        bool tls_verify;
        bool plain_http; /* --tls-verify=false and the registry does not speak TLS */
        char *userpass;  /* "user:password" from an auth file, or NULL */
        char *bearer;    /* the token the registry's realm gave */
};

struct response {
        struct strbuf body;
        char *content_type;
        char *www_authenticate;
        bool too_big;
};

/* ---- references and credentials ---- */

static bool looks_like_host(const char *s, size_t n)
{
        return memchr(s, '.', n) || memchr(s, ':', n) || (n == 9 && !memcmp(s, "localhost", 9));
}

static int split_host(struct registry *reg, const char *ref, struct distill_error *err)
{
        cleanup_free char *repo = NULL, *tag = NULL;
        oci_split_ref(ref, &repo, &tag);
        const char *slash = strchr(repo, '/');
        if (!*repo || (slash && slash == repo))
                return distill_error_set(err, DISTILL_EUSAGE, "%s: not an image reference", ref);
        if (slash && looks_like_host(repo, (size_t)(slash - repo))) {
                reg->host = xstrndup(repo, (size_t)(slash - repo));
                reg->cred_key = xstrdup(reg->host);
                reg->repo = xstrdup(slash + 1);
        } else {
                /* Docker Hub, as skopeo reads a reference without a registry */
                reg->host = xstrdup("registry-1.docker.io");
                reg->cred_key = xstrdup("docker.io");
                reg->repo = slash ? xstrdup(repo) : xasprintf("library/%s", repo);
        }
        if (!*reg->repo)
                return distill_error_set(err, DISTILL_EUSAGE, "%s: no repository", ref);
        reg->name = xasprintf("%s/%s", reg->host, reg->repo);
        return 0;
}

/* An auths key as the tools write it: "host", "https://host", "https://index.docker.io/v1/". */
static char *normalise_key(const char *key)
{
        if (!strncmp(key, "https://", 8))
                key += 8;
        else if (!strncmp(key, "http://", 7))
                key += 7;
        if (!strncmp(key, "index.docker.io/v1", 18) || !strcmp(key, "index.docker.io") ||
            !strcmp(key, "registry-1.docker.io"))
                return xstrdup("docker.io");
        size_t n = strlen(key);
        while (n > 0 && key[n - 1] == '/')
                n--;
        return xstrndup(key, n);
}

/* "user:password" from an entry's base64 "auth". */
static char *decode_auth(const char *b64)
{
        size_t n = strlen(b64);
        if (n == 0 || n % 4 || n > 8192)
                return NULL;
        unsigned char *out = xmalloc(n / 4 * 3 + 1);
        int len = EVP_DecodeBlock(out, (const unsigned char *)b64, (int)n);
        if (len < 0) {
                free(out);
                return NULL;
        }
        for (size_t i = n; i > 0 && b64[i - 1] == '='; i--)
                len--; /* EVP_DecodeBlock counts the padding as bytes */
        out[len] = '\0';
        if (!memchr(out, ':', (size_t)len) || strlen((char *)out) != (size_t)len) {
                free(out);
                return NULL;
        }
        return (char *)out;
}

/* The most specific entry of one auth file for host/repo (c/image matches "host/ns/repo",
 * "host/ns", then "host"); 1 when found. */
static int credentials_in(struct registry *reg, const char *file, struct distill_error *err)
{
        json_error_t jerr;
        json_t *root = json_load_file(file, JSON_REJECT_DUPLICATES, &jerr);
        if (!root) {
                if (jerr.line == -1 && strstr(jerr.text, "unable to open"))
                        return 0; /* no such file: the next one */
                return distill_error_set(err, DISTILL_EUSAGE, "%s:%d:%d: %s", file, jerr.line,
                                         jerr.column, jerr.text);
        }
        json_t *auths = json_object_get(root, "auths");
        const char *key;
        json_t *entry;
        size_t best = 0;
        char *found = NULL;
        cleanup_free char *want = xasprintf("%s/%s", reg->cred_key, reg->repo);
        json_object_foreach(auths, key, entry)
        {
                cleanup_free char *k = normalise_key(key);
                size_t kl = strlen(k);
                bool match = !strncmp(want, k, kl) && (want[kl] == '/' || want[kl] == '\0');
                const char *b64 = json_string_value(json_object_get(entry, "auth"));
                if (!match || kl <= best || !b64)
                        continue;
                char *up = decode_auth(b64);
                if (!up)
                        continue;
                free(found);
                found = up;
                best = kl;
        }
        json_decref(root);
        if (!found)
                return 0;
        reg->userpass = found;
        return 1;
}

static int load_credentials(struct registry *reg, struct distill_error *err)
{
        const char *home = getenv("HOME"), *xdg = getenv("XDG_RUNTIME_DIR");
        const char *auth_file = getenv("REGISTRY_AUTH_FILE"), *docker = getenv("DOCKER_CONFIG");
        char *files[5] = {auth_file && *auth_file ? xstrdup(auth_file) : NULL,
                          xdg && *xdg ? xasprintf("%s/containers/auth.json", xdg) : NULL,
                          home && *home ? xasprintf("%s/.config/containers/auth.json", home) : NULL,
                          docker && *docker ? xasprintf("%s/config.json", docker)
                          : home && *home   ? xasprintf("%s/.docker/config.json", home)
                                            : NULL,
                          NULL};
        int r = 0;
        for (size_t i = 0; i < 4 && r == 0; i++)
                if (files[i])
                        r = credentials_in(reg, files[i], err);
        for (size_t i = 0; i < 4; i++)
                free(files[i]);
        return r < 0 ? r : 0;
}

int registry_open(const char *ref, bool tls_verify, struct registry **out,
                  struct distill_error *err)
{
        static bool curl_ready;
        struct registry *reg = xcalloc(1, sizeof(*reg));
        int r;

        *out = NULL;
        reg->tls_verify = tls_verify;
        if ((r = split_host(reg, ref, err)) < 0 || (r = load_credentials(reg, err)) < 0) {
                registry_free(reg);
                return r;
        }
        if (!curl_ready) {
                if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
                        registry_free(reg);
                        return distill_error_set(err, DISTILL_EINTERNAL,
                                                 "libcurl initialisation failed");
                }
                curl_ready = true;
        }
        reg->curl = curl_easy_init();
        if (!reg->curl) {
                registry_free(reg);
                return distill_error_set(err, DISTILL_EINTERNAL, "curl_easy_init failed");
        }
        *out = reg;
        return 0;
}

void registry_free(struct registry *reg)
{
        if (!reg)
                return;
        if (reg->curl)
                curl_easy_cleanup(reg->curl);
        free(reg->host);
        free(reg->cred_key);
        free(reg->repo);
        free(reg->name);
        free(reg->userpass);
        free(reg->bearer);
        free(reg);
}

const char *registry_name(const struct registry *reg)
{
        return reg->name;
}

/* ---- one HTTP exchange ---- */

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
        struct response *resp = ud;
        size_t n = size * nmemb;
        if (resp->body.len + n > REGISTRY_MAX_MANIFEST) {
                resp->too_big = true;
                return 0;
        }
        strbuf_add(&resp->body, ptr, n);
        return n;
}

static char *header_value(const char *line, size_t n, const char *name)
{
        size_t nl = strlen(name);
        if (n <= nl || strncasecmp(line, name, nl) != 0)
                return NULL;
        const char *v = line + nl;
        size_t len = n - nl;
        while (len > 0 && isspace((unsigned char)*v)) {
                v++;
                len--;
        }
        while (len > 0 && isspace((unsigned char)v[len - 1]))
                len--;
        return len < MAX_CHALLENGE ? xstrndup(v, len) : NULL;
}

static size_t on_header(char *line, size_t size, size_t nmemb, void *ud)
{
        struct response *resp = ud;
        size_t n = size * nmemb;
        char *v;
        if ((v = header_value(line, n, "Content-Type:"))) {
                free(resp->content_type);
                resp->content_type = v;
        } else if ((v = header_value(line, n, "WWW-Authenticate:"))) {
                free(resp->www_authenticate);
                resp->www_authenticate = v;
        }
        return n;
}

static void response_release(struct response *resp)
{
        strbuf_release(&resp->body);
        free(resp->content_type);
        free(resp->www_authenticate);
        memset(resp, 0, sizeof(*resp));
}

struct request {
        const char *method; /* "GET", "PUT" */
        const char *url;
        const char *accept;
        const char *content_type;
        const char *body;
        size_t len;
        bool basic; /* send the user's credentials as Basic */
};

static CURLcode perform(struct registry *reg, const struct request *rq, struct response *resp,
                        long *status)
{
        CURL *c = reg->curl;
        struct curl_slist *headers = NULL;
        cleanup_free char *accept = rq->accept ? xasprintf("Accept: %s", rq->accept) : NULL;
        cleanup_free char *ctype =
            rq->content_type ? xasprintf("Content-Type: %s", rq->content_type) : NULL;
        cleanup_free char *auth =
            reg->bearer && !rq->basic ? xasprintf("Authorization: Bearer %s", reg->bearer) : NULL;

        curl_easy_reset(c);
        if (accept)
                headers = curl_slist_append(headers, accept);
        if (ctype)
                headers = curl_slist_append(headers, ctype);
        if (auth)
                headers = curl_slist_append(headers, auth);
        curl_easy_setopt(c, CURLOPT_URL, rq->url);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(c, CURLOPT_USERAGENT, "distill/" DISTILL_VERSION);
        curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)REGISTRY_TIMEOUT_S);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, resp);
        curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(c, CURLOPT_HEADERDATA, resp);
        if (!reg->tls_verify) {
                curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
                curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
        }
        if (rq->basic && reg->userpass) {
                curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
                curl_easy_setopt(c, CURLOPT_USERPWD, reg->userpass);
        }
        if (!strcmp(rq->method, "PUT")) {
                curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PUT");
                curl_easy_setopt(c, CURLOPT_POSTFIELDS, rq->body);
                curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->len);
        }
        CURLcode cc = curl_easy_perform(c);
        *status = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
        curl_slist_free_all(headers);
        return cc;
}

/* ---- authentication: the registry's challenge ---- */

char *registry_challenge_param(const char *challenge, const char *key)
{
        /* Bearer realm="https://…",service="registry.docker.io",scope="repository:x:pull" */
        const char *p = challenge;
        while (*p && !isspace((unsigned char)*p))
                p++; /* the scheme */
        while (*p) {
                while (*p == ',' || isspace((unsigned char)*p))
                        p++;
                const char *k = p;
                while (*p && *p != '=' && *p != ',' && !isspace((unsigned char)*p))
                        p++;
                size_t kl = (size_t)(p - k);
                if (*p != '=')
                        return NULL;
                p++;
                struct strbuf v = STRBUF_INIT;
                if (*p == '"') {
                        for (p++; *p && *p != '"'; p++) {
                                if (*p == '\\' && p[1])
                                        p++;
                                strbuf_addch(&v, *p);
                        }
                        if (*p != '"') {
                                strbuf_release(&v);
                                return NULL;
                        }
                        p++;
                } else {
                        while (*p && *p != ',' && !isspace((unsigned char)*p))
                                strbuf_addch(&v, *p++);
                }
                if (kl == strlen(key) && !strncasecmp(k, key, kl))
                        return strbuf_detach(&v);
                strbuf_release(&v);
        }
        return NULL;
}

static int fetch_token(struct registry *reg, const char *challenge, struct distill_error *err)
{
        cleanup_free char *realm = registry_challenge_param(challenge, "realm");
        cleanup_free char *service = registry_challenge_param(challenge, "service");
        if (!realm || (strncmp(realm, "https://", 8) && strncmp(realm, "http://", 7)))
                return distill_error_set(err, DISTILL_EIO,
                                         "%s: the registry's Bearer challenge names no realm",
                                         reg->name);
        cleanup_free char *scope = xasprintf("repository:%s:pull,push", reg->repo);
        char *esc_scope = curl_easy_escape(reg->curl, scope, 0);
        char *esc_service = service ? curl_easy_escape(reg->curl, service, 0) : NULL;
        cleanup_free char *url =
            xasprintf("%s%sscope=%s%s%s", realm, strchr(realm, '?') ? "&" : "?", esc_scope,
                      esc_service ? "&service=" : "", esc_service ? esc_service : "");
        curl_free(esc_scope);
        curl_free(esc_service);

        struct request rq = {.method = "GET", .url = url, .basic = true};
        struct response resp = {0};
        long status;
        CURLcode cc = perform(reg, &rq, &resp, &status);
        int r = 0;
        json_t *doc = NULL;
        if (cc != CURLE_OK || status != 200) {
                r = distill_error_set(err, DISTILL_EIO, "%s: the token service %s answered %s%ld",
                                      reg->name, realm,
                                      cc != CURLE_OK ? curl_easy_strerror(cc) : "HTTP ",
                                      cc != CURLE_OK ? 0L : status);
                goto out;
        }
        doc = json_loadb(resp.body.buf, resp.body.len, 0, NULL);
        const char *token = json_string_value(json_object_get(doc, "token"));
        if (!token)
                token = json_string_value(json_object_get(doc, "access_token"));
        if (!token || !*token || strlen(token) > MAX_TOKEN_BODY || strpbrk(token, "\r\n")) {
                r = distill_error_set(err, DISTILL_EIO, "%s: the token service %s gave no token",
                                      reg->name, realm);
                goto out;
        }
        free(reg->bearer);
        reg->bearer = xstrdup(token);
out:
        json_decref(doc);
        response_release(&resp);
        return r;
}

/* ---- requests with the scheme and authentication worked out ---- */

static char *url_of(const struct registry *reg, const char *path)
{
        return xasprintf("%s://%s/v2/%s/%s", reg->plain_http ? "http" : "https", reg->host,
                         reg->repo, path);
}

/* One request, answered: over HTTPS, or plain HTTP when TLS is not verified and the registry
 * does not speak it; once more after a 401 with the credentials its challenge asks for. */
static int exchange(struct registry *reg, struct request *rq, const char *path,
                    struct response *resp, long *status, struct distill_error *err)
{
        for (int attempt = 0; attempt < 3; attempt++) {
                cleanup_free char *url = url_of(reg, path);
                rq->url = url;
                response_release(resp);
                CURLcode cc = perform(reg, rq, resp, status);
                if (cc == CURLE_SSL_CONNECT_ERROR && !reg->tls_verify && !reg->plain_http) {
                        reg->plain_http = true;
                        continue;
                }
                if (resp->too_big)
                        return distill_error_set(err, DISTILL_EIO,
                                                 "%s: a manifest larger than %u MiB", reg->name,
                                                 REGISTRY_MAX_MANIFEST >> 20);
                if (cc != CURLE_OK)
                        return distill_error_set(err, DISTILL_EIO, "%s: %s", url,
                                                 curl_easy_strerror(cc));
                if (*status != 401 || attempt == 2 || rq->basic)
                        return 0;
                const char *ch = resp->www_authenticate;
                if (ch && !strncasecmp(ch, "Bearer", 6)) {
                        int r = fetch_token(reg, ch, err);
                        if (r < 0)
                                return r;
                } else if (ch && !strncasecmp(ch, "Basic", 5) && reg->userpass) {
                        rq->basic = true;
                } else {
                        return distill_error_set(err, DISTILL_EIO,
                                                 "%s: the registry asks for credentials and "
                                                 "none are filed for %s (log in with skopeo "
                                                 "login or podman login)",
                                                 reg->name, reg->cred_key);
                }
        }
        return 0;
}

static bool valid_reference(const char *reference)
{
        size_t n = strlen(reference);
        if (n == 0 || n > 128 + 7)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!isalnum((unsigned char)reference[i]) && !strchr("._-:", reference[i]))
                        return false;
        return true;
}

int registry_get_manifest(struct registry *reg, const char *reference, const char *accept,
                          char **body, size_t *len, char **media_type, bool *found,
                          struct distill_error *err)
{
        struct response resp = {0};
        struct request rq = {.method = "GET", .accept = accept};
        long status = 0;

        *body = *media_type = NULL;
        *len = 0;
        *found = false;
        if (!valid_reference(reference))
                return distill_error_set(err, DISTILL_EUSAGE, "%s: not a tag or digest", reference);
        cleanup_free char *path = xasprintf("manifests/%s", reference);
        int r = exchange(reg, &rq, path, &resp, &status, err);
        if (r == 0 && status == 200) {
                *found = true;
                *len = resp.body.len;
                *body = strbuf_detach(&resp.body);
                *media_type = resp.content_type ? xstrdup(resp.content_type) : NULL;
        } else if (r == 0 && status != 404) {
                r = distill_error_set(err, DISTILL_EIO, "%s: GET manifest %s: HTTP %ld", reg->name,
                                      reference, status);
        }
        response_release(&resp);
        return r;
}

int registry_put_manifest(struct registry *reg, const char *reference, const char *media_type,
                          const char *body, size_t len, struct distill_error *err)
{
        struct response resp = {0};
        struct request rq = {.method = "PUT", .content_type = media_type, .body = body, .len = len};
        long status = 0;

        if (!valid_reference(reference))
                return distill_error_set(err, DISTILL_EUSAGE, "%s: not a tag or digest", reference);
        cleanup_free char *path = xasprintf("manifests/%s", reference);
        int r = exchange(reg, &rq, path, &resp, &status, err);
        if (r == 0 && status != 201 && status != 200) {
                /* the registry's own words: {"errors":[{"code","message"}]} */
                json_t *doc = json_loadb(resp.body.buf, resp.body.len, 0, NULL);
                const char *msg = json_string_value(
                    json_object_get(json_array_get(json_object_get(doc, "errors"), 0), "message"));
                r = distill_error_set(err, DISTILL_EIO, "%s: PUT manifest %s: HTTP %ld%s%s",
                                      reg->name, reference, status, msg ? ": " : "",
                                      msg ? msg : "");
                json_decref(doc);
        }
        response_release(&resp);
        return r;
}
