#include "core/common.h"

#include "core/timeutil.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int64_t time_real_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * US_PER_SEC + ts.tv_nsec / 1000;
}

/* The test clock: the file's path, its last good value and when it was
 * last read (monotonic). The value is read under the mutex; the fast path
 * reads the atomics only. */
#define CLOCK_REREAD_US (200 * INT64_C(1000))
static char *clock_path;
static pthread_mutex_t clock_mu = PTHREAD_MUTEX_INITIALIZER;
static _Atomic int64_t clock_value;
static _Atomic int64_t clock_read_at;

void time_set_clock_file(const char *path)
{
    free(clock_path);
    clock_path = path && *path ? strdup(path) : NULL;
    atomic_store(&clock_value, 0);
    atomic_store(&clock_read_at, 0);
}

static int64_t clock_file_read(void)
{
    FILE *f = fopen(clock_path, "r");
    if (!f)
        return 0;
    char buf[64];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
        n--;
    buf[n] = 0;
    int64_t us = 0;
    if (time_parse_iso(buf, n, &us) != HAIL_OK) {
        hail_errclear();
        return 0;
    }
    return us;
}

int64_t time_now_us(void)
{
    if (!clock_path)
        return time_real_us();
    int64_t mono = time_mono_us();
    int64_t at = atomic_load(&clock_read_at);
    if (at && mono - at < CLOCK_REREAD_US)
        return atomic_load(&clock_value);
    pthread_mutex_lock(&clock_mu);
    at = atomic_load(&clock_read_at);
    if (!at || mono - at >= CLOCK_REREAD_US) {
        int64_t v = clock_file_read();
        if (v)
            atomic_store(&clock_value, v);
        else if (!atomic_load(&clock_value))
            atomic_store(&clock_value, time_real_us());
        atomic_store(&clock_read_at, mono);
    }
    int64_t v = atomic_load(&clock_value);
    pthread_mutex_unlock(&clock_mu);
    return v;
}

int64_t time_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * US_PER_SEC + ts.tv_nsec / 1000;
}

/* Howard Hinnant's days_from_civil algorithm, written from its description. */
int64_t time_days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void time_civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int dd = (int)(doy - (153 * mp + 2) / 5 + 1);
    int mm = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (mm <= 2));
    *m = mm;
    *d = dd;
}

static int days_in_month(int y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dm[m - 1];
}

static int digits(const char *s, size_t len, size_t *i, int n, int *out)
{
    int v = 0;
    for (int k = 0; k < n; k++) {
        if (*i >= len || s[*i] < '0' || s[*i] > '9')
            return 0;
        v = v * 10 + (s[(*i)++] - '0');
    }
    *out = v;
    return 1;
}

hail_err time_parse_iso(const char *s, size_t len, int64_t *out_us)
{
    size_t i = 0;
    int y, mo, d, h = 0, mi = 0, sec = 0;
    int64_t frac_us = 0, off_s = 0;
    if (!digits(s, len, &i, 4, &y) || i >= len || s[i++] != '-' || !digits(s, len, &i, 2, &mo) ||
        i >= len || s[i++] != '-' || !digits(s, len, &i, 2, &d))
        goto bad;
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
        goto bad;
    if (i < len) {
        if (s[i] != 'T' && s[i] != 't' && s[i] != ' ')
            goto bad;
        i++;
        if (!digits(s, len, &i, 2, &h) || i >= len || s[i++] != ':' || !digits(s, len, &i, 2, &mi))
            goto bad;
        if (i < len && s[i] == ':') {
            i++;
            if (!digits(s, len, &i, 2, &sec))
                goto bad;
            if (i < len && (s[i] == '.' || s[i] == ',')) {
                i++;
                int64_t scale = 100000;
                size_t start = i;
                while (i < len && s[i] >= '0' && s[i] <= '9') {
                    frac_us += (s[i] - '0') * scale;
                    scale /= 10;
                    i++;
                }
                if (i == start)
                    goto bad;
            }
        }
        if (h > 23 || mi > 59 || sec > 60)
            goto bad;
        if (i < len) {
            if (s[i] == 'Z' || s[i] == 'z') {
                i++;
            } else if (s[i] == '+' || s[i] == '-') {
                int sign = s[i++] == '-' ? -1 : 1, oh, om = 0;
                if (!digits(s, len, &i, 2, &oh))
                    goto bad;
                if (i < len && s[i] == ':')
                    i++;
                if (i < len && !digits(s, len, &i, 2, &om))
                    goto bad;
                if (oh > 23 || om > 59)
                    goto bad;
                off_s = sign * (oh * 3600 + om * 60);
            } else {
                goto bad;
            }
        }
        if (i != len)
            goto bad;
    }
    int64_t days = time_days_from_civil(y, mo, d);
    int64_t secs = days * 86400 + h * 3600 + mi * 60 + sec - off_s;
    *out_us = secs * US_PER_SEC + frac_us;
    return HAIL_OK;
bad:
    return hail_errf(HAIL_EINVAL, "not an ISO-8601 date-time: '%.*s'", (int)(len > 64 ? 64 : len),
                     s);
}

void time_format_iso(int64_t us, char out[TIME_ISO_LEN])
{
    int64_t secs = us >= 0 ? us / US_PER_SEC : -((-us + US_PER_SEC - 1) / US_PER_SEC);
    int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
    int64_t rem = secs - days * 86400;
    int y, m, d;
    time_civil_from_days(days, &y, &m, &d);
    int h = (int)(rem / 3600), mi = (int)(rem % 3600 / 60), s = (int)(rem % 60);
    /* Years outside 0..9999 cannot be written in this form; clamp. */
    if (y < 0)
        y = 0;
    if (y > 9999)
        y = 9999;
    out[0] = (char)('0' + y / 1000);
    out[1] = (char)('0' + y / 100 % 10);
    out[2] = (char)('0' + y / 10 % 10);
    out[3] = (char)('0' + y % 10);
    out[4] = '-';
    out[5] = (char)('0' + m / 10);
    out[6] = (char)('0' + m % 10);
    out[7] = '-';
    out[8] = (char)('0' + d / 10);
    out[9] = (char)('0' + d % 10);
    out[10] = 'T';
    out[11] = (char)('0' + h / 10);
    out[12] = (char)('0' + h % 10);
    out[13] = ':';
    out[14] = (char)('0' + mi / 10);
    out[15] = (char)('0' + mi % 10);
    out[16] = ':';
    out[17] = (char)('0' + s / 10);
    out[18] = (char)('0' + s % 10);
    out[19] = 'Z';
    out[20] = '\0';
}

/* Sleepers with a stop flag wait on one condition variable (monotonic clock):
 * time_sleep_wake() wakes them all at once. They still look at their flag at
 * least every 100 ms, for a flag set where nothing wakes them (a signal handler). */
static pthread_mutex_t wake_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake_cond;
static pthread_once_t wake_once = PTHREAD_ONCE_INIT;

static void wake_init(void)
{
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(&wake_cond, &a);
    pthread_condattr_destroy(&a);
}

void time_sleep_wake(void)
{
    pthread_once(&wake_once, wake_init);
    pthread_mutex_lock(&wake_mu);
    pthread_cond_broadcast(&wake_cond);
    pthread_mutex_unlock(&wake_mu);
}

int time_sleep_us(int64_t us, const atomic_int *stop)
{
    int64_t end = time_mono_us() + us;
    if (!stop) {
        for (int64_t left; (left = end - time_mono_us()) > 0;) {
            struct timespec ts = {(time_t)(left / US_PER_SEC), (long)(left % US_PER_SEC) * 1000};
            nanosleep(&ts, NULL);
        }
        return 0;
    }
    pthread_once(&wake_once, wake_init);
    pthread_mutex_lock(&wake_mu);
    int stopped;
    for (;;) {
        /* Read under the mutex: a flag set before time_sleep_wake() takes it
         * is seen here, or the broadcast finds this thread waiting. */
        if ((stopped = atomic_load(stop)) != 0)
            break;
        int64_t now = time_mono_us();
        int64_t left = end - now;
        if (left <= 0)
            break;
        if (left > 100000)
            left = 100000; /* wake up to check stop */
        int64_t at = now + left;
        struct timespec ts = {(time_t)(at / US_PER_SEC), (long)(at % US_PER_SEC) * 1000};
        pthread_cond_timedwait(&wake_cond, &wake_mu, &ts);
    }
    pthread_mutex_unlock(&wake_mu);
    return stopped ? 1 : 0;
}
