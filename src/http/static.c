#include "core/common.h"

/* Static files: a path under a root directory, sent from the file system
 * (never read into memory), with its MIME type and an ETag. Nothing here
 * knows what the files are: the application decides what a missing file
 * means (a 404, or its index page for a client-side route). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http/http.h"

const char *http_mime_type(const char *path)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".json", "application/json"},
        {".map", "application/json"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".jpg", "image/jpeg"},
        {".jpeg", "image/jpeg"},
        {".gif", "image/gif"},
        {".webp", "image/webp"},
        {".ico", "image/x-icon"},
        {".woff2", "font/woff2"},
        {".woff", "font/woff"},
        {".txt", "text/plain; charset=utf-8"},
        {".webmanifest", "application/manifest+json"},
    };
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(slash ? slash : path, '.');
    if (dot)
        for (size_t i = 0; i < sizeof types / sizeof *types; i++)
            if (!strcasecmp(dot, types[i].ext))
                return types[i].type;
    return "application/octet-stream";
}

int http_static_path_ok(const char *path)
{
    if (path[0] != '/' || strlen(path) > 1024)
        return 0;
    /* An encoded NUL stays "%00" (see unescape() in server.c): refused, as
     * are control characters, backslashes, and empty, "." and ".." segments
     * (whether sent plainly or as %2e%2e, which arrives decoded). */
    if (strstr(path, "%00"))
        return 0;
    for (const unsigned char *p = (const unsigned char *)path; *p; p++)
        if (*p < 0x20 || *p == 0x7f || *p == '\\')
            return 0;
    for (const char *seg = path + 1;;) {
        const char *end = strchr(seg, '/');
        size_t n = end ? (size_t)(end - seg) : strlen(seg);
        if ((n == 0 && end) || (n == 1 && seg[0] == '.') ||
            (n == 2 && seg[0] == '.' && seg[1] == '.'))
            return 0;
        if (!end)
            return 1;
        seg = end + 1;
    }
}

void http_etag_for(const struct stat *st, char out[64])
{
    snprintf(out, 64, "\"%llx-%llx-%lx\"", (unsigned long long)st->st_size,
             (unsigned long long)st->st_mtim.tv_sec, (unsigned long)st->st_mtim.tv_nsec);
}

int http_etag_matches(http_req *r, const char *etag)
{
    const char *inm = http_header(r, "If-None-Match");
    if (!inm)
        return 0;
    size_t el = strlen(etag);
    for (const char *p = inm; *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        if (*p == '*')
            return 1;
        if (!strncmp(p, "W/", 2)) /* a weak comparison is what If-None-Match asks for */
            p += 2;
        if (!strncmp(p, etag, el) && (p[el] == '\0' || p[el] == ',' || p[el] == ' '))
            return 1;
        while (*p && *p != ',')
            p++;
    }
    return 0;
}

int http_static_file(http_req *r, const char *root, const char *path, const char *cache)
{
    if (!http_static_path_ok(path)) {
        http_reply_error(r, 400, "bad_request", "bad path");
        return 1;
    }
    size_t pl = strlen(path);
    if (path[pl - 1] == '/')
        return 0; /* a directory: nothing to send */
    char full[PATH_MAX + 2], real[PATH_MAX];
    int n = snprintf(full, sizeof full, "%s%s", root, path);
    if (n < 0 || (size_t)n >= sizeof full)
        return 0;
    /* A symbolic link may point anywhere: what it resolves to must be under
     * the root (plain ".." segments were refused above). */
    if (!realpath(full, real))
        return 0;
    size_t rl = strlen(root);
    if (strncmp(real, root, rl) != 0 || real[rl] != '/')
        return 0;
    int fd = open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return 0;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return 0;
    }
    char etag[64];
    http_etag_for(&st, etag);
    http_set_cache(r, cache);
    http_add_header(r, "ETag", etag);
    if (http_etag_matches(r, etag)) {
        close(fd);
        http_reply_raw(r, 304, NULL, "", 0);
        return 1;
    }
    http_reply_file(r, 200, http_mime_type(real), fd, (uint64_t)st.st_size);
    return 1;
}
