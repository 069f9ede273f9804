#include "core/common.h"

#include "core/cadence.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>

#include "core/timeutil.h"

/* Campaign time math (docs/campaigns.md "Time").
 *
 * A zone is read from its TZif file (RFC 8536) under $TZDIR or
 * /usr/share/zoneinfo: the 64-bit block of a version 2+ file (the 32-bit
 * block of a version 1 file), and the POSIX TZ footer, which gives the
 * offset for every time after the last transition (slim files stop listing
 * transitions in 2007; fat ones in 2037). Loaded zones are kept in a list
 * under a mutex for the life of the process: their number is bounded by the
 * zone files on disk (unknown names are not kept). */

#define TZ_DEFAULT_DIR "/usr/share/zoneinfo"
#define TZ_MAX_FILE    (1 << 20)
#define TZ_MAX_NAME    255

/* A day of the year in a POSIX TZ rule. */
typedef struct {
    char kind; /* 'J': Jn, 1..365, never Feb 29; 'D': n, 0..365; 'M': Mm.w.d */
    int n, m, w, d;
    int32_t time_s; /* local time of day of the change; may be < 0 or > 24 h */
} tzdate;

typedef struct {
    int32_t std_off, dst_off; /* seconds east of UTC */
    int has_dst;
    tzdate start, end;
} tzrule;

struct tz {
    char *name;
    size_t ntrans;
    int64_t *at;   /* transition times, UTC seconds, ascending */
    uint8_t *type; /* the type after each transition */
    size_t ntypes;
    int32_t *utoff;
    int has_rule;
    tzrule rule;
    struct tz *next;
};

static pthread_mutex_t zones_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tz *zones;

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

static int is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int weekday(int64_t day)
{
    return (int)(((day % 7) + 7 + 4) % 7); /* 1970-01-01 was a Thursday */
}

/* ---- the POSIX TZ footer ---- */

static const char *parse_abbr(const char *p)
{
    if (*p == '<') {
        const char *q = strchr(p, '>');
        if (!q || q - p < 4)
            return NULL;
        for (const char *c = p + 1; c < q; c++)
            if (!isalnum((unsigned char)*c) && *c != '+' && *c != '-')
                return NULL;
        return q + 1;
    }
    const char *q = p;
    while (isalpha((unsigned char)*q))
        q++;
    return q - p >= 3 ? q : NULL;
}

/* [+-]hh[:mm[:ss]], hours up to 167 (RFC 8536 rule times), into seconds. */
static const char *parse_hms(const char *p, int32_t *out)
{
    int sign = 1;
    if (*p == '+' || *p == '-')
        sign = *p++ == '-' ? -1 : 1;
    int part[3] = {0, 0, 0};
    for (int i = 0; i < 3; i++) {
        if (i > 0) {
            if (*p != ':')
                break;
            p++;
        }
        if (!isdigit((unsigned char)*p))
            return NULL;
        int v = 0, digits = 0;
        while (isdigit((unsigned char)*p) && digits < 3) {
            v = v * 10 + (*p++ - '0');
            digits++;
        }
        if (isdigit((unsigned char)*p))
            return NULL;
        part[i] = v;
    }
    if (part[0] > 167 || part[1] > 59 || part[2] > 59)
        return NULL;
    *out = sign * (part[0] * 3600 + part[1] * 60 + part[2]);
    return p;
}

static const char *parse_num(const char *p, int lo, int hi, int *out)
{
    if (!isdigit((unsigned char)*p))
        return NULL;
    int v = 0;
    while (isdigit((unsigned char)*p)) {
        v = v * 10 + (*p++ - '0');
        if (v > hi)
            return NULL;
    }
    if (v < lo)
        return NULL;
    *out = v;
    return p;
}

static const char *parse_date(const char *p, tzdate *dt)
{
    memset(dt, 0, sizeof *dt);
    if (*p == 'J') {
        dt->kind = 'J';
        p = parse_num(p + 1, 1, 365, &dt->n);
    } else if (*p == 'M') {
        dt->kind = 'M';
        p = parse_num(p + 1, 1, 12, &dt->m);
        if (p && *p == '.')
            p = parse_num(p + 1, 1, 5, &dt->w);
        else
            p = NULL;
        if (p && *p == '.')
            p = parse_num(p + 1, 0, 6, &dt->d);
        else
            p = NULL;
    } else {
        dt->kind = 'D';
        p = parse_num(p, 0, 365, &dt->n);
    }
    if (!p)
        return NULL;
    dt->time_s = 7200;
    if (*p == '/')
        p = parse_hms(p + 1, &dt->time_s);
    return p;
}

/* "EST5EDT,M3.2.0,M11.1.0", "<+0530>-5:30", "AEST-10AEDT,M10.1.0,M4.1.0/3". */
static int parse_rule(const char *s, tzrule *r)
{
    memset(r, 0, sizeof *r);
    int32_t off;
    const char *p = parse_abbr(s);
    if (!p || !(p = parse_hms(p, &off)) || off < -25 * 3600 || off > 25 * 3600)
        return -1;
    r->std_off = -off;
    if (!*p)
        return 0;
    if (!(p = parse_abbr(p)))
        return -1;
    r->has_dst = 1;
    r->dst_off = r->std_off + 3600;
    if (*p && *p != ',') {
        if (!(p = parse_hms(p, &off)) || off < -25 * 3600 || off > 25 * 3600)
            return -1;
        r->dst_off = -off;
    }
    if (*p != ',') /* TZif footers always carry the rule (RFC 8536 3.3.1) */
        return -1;
    if (!(p = parse_date(p + 1, &r->start)) || *p != ',')
        return -1;
    if (!(p = parse_date(p + 1, &r->end)) || *p)
        return -1;
    return 0;
}

/* Local seconds since the epoch (in the offset that applies before the
 * change) at which the rule date happens in year y. */
static int64_t rule_local(const tzdate *dt, int y)
{
    int64_t jan1 = time_days_from_civil(y, 1, 1), day;
    if (dt->kind == 'J')
        day = jan1 + dt->n - 1 + (is_leap(y) && dt->n >= 60);
    else if (dt->kind == 'D')
        day = jan1 + dt->n;
    else {
        int64_t first = time_days_from_civil(y, dt->m, 1);
        int64_t next =
            dt->m == 12 ? time_days_from_civil(y + 1, 1, 1) : time_days_from_civil(y, dt->m + 1, 1);
        day = first + (dt->d - weekday(first) + 7) % 7 + 7 * (dt->w - 1);
        while (day >= next)
            day -= 7;
    }
    return day * 86400 + dt->time_s;
}

static int32_t rule_offset(const tzrule *r, int64_t t)
{
    if (!r->has_dst)
        return r->std_off;
    int y, m, d;
    time_civil_from_days(floor_div(t + r->std_off, 86400), &y, &m, &d);
    int64_t start = rule_local(&r->start, y) - r->std_off;
    int64_t end = rule_local(&r->end, y) - r->dst_off;
    int dst = start < end ? (t >= start && t < end) : !(t >= end && t < start);
    return dst ? r->dst_off : r->std_off;
}

/* The offset east of UTC at UTC second t. */
static int32_t zone_offset(const tz *z, int64_t t)
{
    if (z->ntrans == 0 || t >= z->at[z->ntrans - 1]) {
        if (z->has_rule)
            return rule_offset(&z->rule, t);
        if (z->ntrans == 0)
            return z->utoff[0];
        return z->utoff[z->type[z->ntrans - 1]];
    }
    if (t < z->at[0])
        return z->utoff[0];
    size_t lo = 0, hi = z->ntrans - 1; /* at[lo] <= t < at[hi] */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (z->at[mid] <= t)
            lo = mid;
        else
            hi = mid;
    }
    return z->utoff[z->type[lo]];
}

/* ---- TZif ---- */

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
    return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

typedef struct {
    uint32_t isut, isstd, leap, time, type, chr;
} tzhead;

static int read_head(const unsigned char *p, size_t len, tzhead *h, char *version)
{
    if (len < 44 || memcmp(p, "TZif", 4) != 0)
        return -1;
    *version = (char)p[4];
    h->isut = be32(p + 20);
    h->isstd = be32(p + 24);
    h->leap = be32(p + 28);
    h->time = be32(p + 32);
    h->type = be32(p + 36);
    h->chr = be32(p + 40);
    if (h->type == 0 || h->type > 256 || h->time > 100000 || h->chr > 4096 ||
        (h->isut && h->isut != h->type) || (h->isstd && h->isstd != h->type))
        return -1;
    return 0;
}

static size_t block_len(const tzhead *h, size_t tsize)
{
    return h->time * tsize + h->time + h->type * 6 + h->chr + h->leap * (tsize + 4) + h->isstd +
           h->isut;
}

static int parse_tzif(const unsigned char *buf, size_t len, struct tz *z)
{
    tzhead h;
    char version;
    if (read_head(buf, len, &h, &version))
        return -1;
    const unsigned char *p = buf + 44;
    size_t tsize = 4, left = len - 44;
    if (block_len(&h, 4) > left)
        return -1;
    if (version >= '2') {
        p += block_len(&h, 4);
        left -= block_len(&h, 4);
        if (read_head(p, left, &h, &version))
            return -1;
        p += 44;
        left -= 44;
        tsize = 8;
        if (block_len(&h, 8) > left)
            return -1;
    }
    /* Zones with leap seconds ("right/…") count TAI-like seconds: not ours. */
    if (h.leap)
        return -1;
    z->ntrans = h.time;
    z->ntypes = h.type;
    z->at = calloc(h.time ? h.time : 1, sizeof *z->at);
    z->type = calloc(h.time ? h.time : 1, 1);
    z->utoff = calloc(h.type, sizeof *z->utoff);
    if (!z->at || !z->type || !z->utoff)
        return -1;
    for (size_t i = 0; i < h.time; i++) {
        z->at[i] = tsize == 8 ? be64(p + i * 8) : (int32_t)be32(p + i * 4);
        if (i && z->at[i] <= z->at[i - 1])
            return -1;
    }
    p += h.time * tsize;
    for (size_t i = 0; i < h.time; i++) {
        if (p[i] >= h.type)
            return -1;
        z->type[i] = p[i];
    }
    p += h.time;
    for (size_t i = 0; i < h.type; i++) {
        int32_t off = (int32_t)be32(p + i * 6);
        if (off <= -26 * 3600 || off >= 26 * 3600)
            return -1;
        z->utoff[i] = off;
    }
    p += block_len(&h, tsize) - h.time * tsize - h.time;
    left -= block_len(&h, tsize);
    if (tsize == 8 && left >= 2 && *p == '\n') {
        const unsigned char *nl = memchr(p + 1, '\n', left - 1);
        if (!nl)
            return -1;
        size_t flen = (size_t)(nl - p - 1);
        if (flen > 0) {
            char footer[128];
            if (flen >= sizeof footer)
                return -1;
            memcpy(footer, p + 1, flen);
            footer[flen] = '\0';
            if (parse_rule(footer, &z->rule))
                return -1;
            z->has_rule = 1;
        }
    }
    return 0;
}

static void zone_free(struct tz *z)
{
    if (!z)
        return;
    free(z->name);
    free(z->at);
    free(z->type);
    free(z->utoff);
    free(z);
}

static int name_ok(const char *name)
{
    size_t len = strlen(name);
    if (len == 0 || len > TZ_MAX_NAME || name[0] == '/' || name[len - 1] == '/' ||
        strstr(name, "..") || strstr(name, "//"))
        return 0;
    for (const char *c = name; *c; c++)
        if (!isalnum((unsigned char)*c) && !strchr("/_-+", *c))
            return 0;
    return 1;
}

static struct tz *zone_load(const char *name)
{
    const char *dir = getenv("TZDIR");
    if (!dir || !*dir)
        dir = TZ_DEFAULT_DIR;
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= sizeof path)
        return NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct stat st;
    unsigned char *buf = NULL;
    struct tz *z = NULL;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size < 44 || st.st_size > TZ_MAX_FILE)
        goto out;
    size_t len = (size_t)st.st_size, got = 0;
    if (!(buf = malloc(len)))
        goto out;
    while (got < len) {
        ssize_t r = read(fd, buf + got, len - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            goto out;
        got += (size_t)r;
    }
    z = calloc(1, sizeof *z);
    if (!z || !(z->name = strdup(name)) || parse_tzif(buf, len, z)) {
        zone_free(z);
        z = NULL;
    }
out:
    free(buf);
    close(fd);
    return z;
}

static const int32_t utc_off0 = 0;
static struct tz utc_builtin = {.name = "UTC", .ntypes = 1, .utoff = (int32_t *)&utc_off0};

static const tz *zone_find(const char *name)
{
    if (!name || !name_ok(name))
        return NULL;
    pthread_mutex_lock(&zones_lock);
    struct tz *z = zones;
    while (z && strcmp(z->name, name) != 0)
        z = z->next;
    if (!z && (z = zone_load(name))) {
        z->next = zones;
        zones = z;
    }
    pthread_mutex_unlock(&zones_lock);
    if (!z && !strcmp(name, "UTC"))
        return &utc_builtin;
    return z;
}

hail_err tz_get(const char *name, const tz **out)
{
    const tz *z = zone_find(name);
    if (!z) {
        char shown[80];
        size_t len = name ? strlen(name) : 0;
        snprintf(shown, sizeof shown, "%.*s%s", (int)(len > 64 ? 64 : len), name ? name : "",
                 len > 64 ? "…" : "");
        return hail_errf(HAIL_EINVAL, "unknown time zone '%s'", shown);
    }
    *out = z;
    return HAIL_OK;
}

int tz_valid(const char *name)
{
    return zone_find(name) != NULL;
}

const char *tz_name(const tz *z)
{
    return z->name;
}

void tz_to_local(const tz *z, int64_t utc_us, civil *out)
{
    int64_t s = floor_div(utc_us, US_PER_SEC);
    int32_t off = zone_offset(z, s);
    int64_t local = s + off, day = floor_div(local, 86400), rem = local - day * 86400;
    memset(out, 0, sizeof *out);
    time_civil_from_days(day, &out->year, &out->month, &out->day);
    out->hour = (int)(rem / 3600);
    out->minute = (int)(rem % 3600 / 60);
    out->second = (int)(rem % 60);
    out->wday = weekday(day);
    out->utc_offset_s = off;
}

/* UTC seconds for local seconds L: the earliest t with t + offset(t) = L;
 * in a gap (no such t), L read in the offset before the gap. */
static int64_t from_local_s(const tz *z, int64_t L)
{
    int32_t oa = zone_offset(z, L - 36 * 3600), ob = zone_offset(z, L + 36 * 3600);
    int va = zone_offset(z, L - oa) == oa, vb = zone_offset(z, L - ob) == ob;
    if (va && vb)
        return L - (oa > ob ? oa : ob);
    if (va)
        return L - oa;
    if (vb)
        return L - ob;
    if (oa != ob)
        return L - (oa < ob ? oa : ob);
    /* Two changes within three days (rare in history): look at each hour. */
    int64_t best = INT64_MAX, gap = L - oa;
    int32_t prev = oa;
    for (int64_t t = L - 36 * 3600; t <= L + 36 * 3600; t += 900) {
        int32_t o = zone_offset(z, t);
        if (zone_offset(z, L - o) == o && L - o < best)
            best = L - o;
        if (o > prev && L - prev >= t - 900 && L - o < t)
            gap = L - prev;
        prev = o;
    }
    return best != INT64_MAX ? best : gap;
}

int64_t tz_from_local(const tz *z, int year, int month, int day, int hour, int minute)
{
    int64_t L = time_days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60;
    return from_local_s(z, L) * US_PER_SEC;
}

int64_t tz_local_day(const tz *z, int64_t utc_us)
{
    int64_t s = floor_div(utc_us, US_PER_SEC);
    return floor_div(s + zone_offset(z, s), 86400);
}

int64_t tz_day_start(const tz *z, int64_t day)
{
    return from_local_s(z, day * 86400) * US_PER_SEC;
}

/* ---- the list of zones ---- */

static pthread_mutex_t names_lock = PTHREAD_MUTEX_INITIALIZER;
static char **names_list;
static size_t names_n;

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int names_add(char ***list, size_t *n, size_t *cap, const char *s, size_t len)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 512;
        char **p = realloc(*list, nc * sizeof *p);
        if (!p)
            return -1;
        *list = p;
        *cap = nc;
    }
    if (!((*list)[*n] = strndup(s, len)))
        return -1;
    (*n)++;
    return 0;
}

/* tzdata.zi: "Z <name> …" lines; zone1970.tab: "<codes>\t<coords>\t<name>…". */
static int names_read(const char *dir, const char *file, char ***list, size_t *n, size_t *cap)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    char *line = NULL;
    size_t lcap = 0;
    ssize_t len;
    int zi = strstr(file, ".zi") != NULL, rc = 0;
    while (rc == 0 && (len = getline(&line, &lcap, f)) > 0) {
        const char *s = NULL;
        if (zi && line[0] == 'Z' && line[1] == ' ')
            s = line + 2;
        else if (!zi && line[0] != '#') {
            const char *t = strchr(line, '\t');
            if (t)
                t = strchr(t + 1, '\t');
            s = t ? t + 1 : NULL;
        }
        if (!s)
            continue;
        size_t k = strcspn(s, " \t\r\n");
        char name[TZ_MAX_NAME + 1];
        if (k == 0 || k > TZ_MAX_NAME)
            continue;
        memcpy(name, s, k);
        name[k] = '\0';
        if (name_ok(name))
            rc = names_add(list, n, cap, name, k);
    }
    free(line);
    fclose(f);
    return rc;
}

hail_err tz_names(const char *const **names, size_t *n)
{
    hail_err e = HAIL_OK;
    pthread_mutex_lock(&names_lock);
    if (!names_list) {
        const char *dir = getenv("TZDIR");
        if (!dir || !*dir)
            dir = TZ_DEFAULT_DIR;
        char **list = NULL;
        size_t cnt = 0, cap = 0;
        int rc = names_read(dir, "tzdata.zi", &list, &cnt, &cap);
        if (rc || cnt == 0) {
            for (size_t i = 0; i < cnt; i++)
                free(list[i]);
            cnt = 0;
            rc = names_read(dir, "zone1970.tab", &list, &cnt, &cap);
        }
        int has_utc = 0;
        for (size_t i = 0; i < cnt; i++)
            has_utc |= !strcmp(list[i], "UTC");
        if (!rc && cnt > 0 && !has_utc)
            rc = names_add(&list, &cnt, &cap, "UTC", 3);
        if (rc || cnt == 0) {
            for (size_t i = 0; i < cnt; i++)
                free(list[i]);
            free(list);
            e = hail_errf(HAIL_EIO, "the list of time zones (%s/tzdata.zi) cannot be read", dir);
        } else {
            qsort(list, cnt, sizeof *list, name_cmp);
            names_list = list;
            names_n = cnt;
        }
    }
    *names = (const char *const *)names_list;
    *n = names_n;
    pthread_mutex_unlock(&names_lock);
    return e;
}

/* ---- business days ---- */

int cal_is_business_day(const calendar *c, int64_t day)
{
    if (c && c->skip_weekends) {
        int wd = weekday(day);
        if (wd == 0 || wd == 6)
            return 0;
    }
    if (!c || !c->nholiday)
        return 1;
    size_t lo = 0, hi = c->nholiday;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->holiday[mid] == day)
            return 0;
        if (c->holiday[mid] < day)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 1;
}

int64_t cal_next_business_day(const calendar *c, int64_t day)
{
    /* Ends: holidays are finite and a week has five weekdays. */
    while (!cal_is_business_day(c, day))
        day++;
    return day;
}

/* The n-th day after day that is not a weekend day (every day when weekends
 * count); day itself is a weekday when weekends are skipped. */
static int64_t plain_add(const calendar *c, int64_t day, int64_t n)
{
    if (!c || !c->skip_weekends)
        return day + n;
    int64_t wd = (weekday(day) + 6) % 7; /* Monday 0 … Friday 4 */
    int64_t total = wd + n;
    return day - wd + total / 5 * 7 + total % 5;
}

/* Holidays in (from, to] that are not weekend days already skipped. */
static int64_t holidays_between(const calendar *c, int64_t from, int64_t to)
{
    if (!c || !c->nholiday)
        return 0;
    size_t lo = 0, hi = c->nholiday;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->holiday[mid] <= from)
            lo = mid + 1;
        else
            hi = mid;
    }
    int64_t k = 0;
    for (size_t i = lo; i < c->nholiday && c->holiday[i] <= to; i++) {
        if (i > lo && c->holiday[i] == c->holiday[i - 1])
            continue;
        int wd = weekday(c->holiday[i]);
        if (!c->skip_weekends || (wd != 0 && wd != 6))
            k++;
    }
    return k;
}

/* In steps over the holidays rather than day by day: the cost does not grow
 * with n (a step's day comes from outside). */
int64_t cal_add_business_days(const calendar *c, int64_t day, int n)
{
    day = cal_next_business_day(c, day);
    int64_t left = n > 0 ? n : 0;
    while (left > 0) {
        int64_t to = plain_add(c, day, left);
        left = holidays_between(c, day, to);
        day = to;
    }
    return day;
}

/* The moment `minute` (plus sub_us) on local day `day` in z. */
static int64_t at_minute(const tz *z, int64_t day, int minute, int64_t sub_us)
{
    return from_local_s(z, day * 86400 + minute * 60) * US_PER_SEC + sub_us;
}

int64_t cadence_due(const tz *z, const calendar *c, int64_t base_us, int days, int minute,
                    int64_t not_before_us)
{
    civil b;
    tz_to_local(z, base_us, &b);
    int same_time = minute < 0 || minute > 1439;
    int64_t sub_us = 0;
    if (same_time) {
        minute = b.hour * 60 + b.minute;
        sub_us = b.second * US_PER_SEC + (base_us - floor_div(base_us, US_PER_SEC) * US_PER_SEC);
    }
    int64_t bday = time_days_from_civil(b.year, b.month, b.day);
    /* A step at most CADENCE_MAX_DAYS days on: the times stay in range. */
    int64_t day = cal_add_business_days(c, bday,
                                        days < 0                  ? 0
                                        : days > CADENCE_MAX_DAYS ? CADENCE_MAX_DAYS
                                                                  : days);
    int64_t t = at_minute(z, day, minute, sub_us);
    if (t >= not_before_us)
        return t;
    /* Late. Without a time of day of its own, the step runs at not_before
     * when that is a business day; else on the first business day (not
     * before the due day) whose minute is not before not_before. */
    int64_t nday = tz_local_day(z, not_before_us);
    if (same_time && cal_is_business_day(c, nday))
        return not_before_us;
    day = cal_next_business_day(c, nday > day ? nday : day);
    t = at_minute(z, day, minute, sub_us);
    if (t < not_before_us) {
        day = cal_next_business_day(c, day + 1);
        t = at_minute(z, day, minute, sub_us);
    }
    return t;
}

int cadence_parse_hhmm(const char *s)
{
    if (!s || strlen(s) != 5 || s[2] != ':')
        return -1;
    for (int i = 0; i < 5; i++)
        if (i != 2 && !isdigit((unsigned char)s[i]))
            return -1;
    int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
    if (h > 23 || m > 59)
        return -1;
    return h * 60 + m;
}
