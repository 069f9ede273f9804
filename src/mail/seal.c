#include "core/common.h"

/* Sealed channel passwords: mail/seal.h. */
#include "mail/seal.h"

#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <sys/stat.h>

#include "svc/settings.h"

#define KEY_FILE   "mail.key"
#define KV_KEY_ID  "mail.seal_key_id"
#define MAGIC      "hs1"
#define MAGIC_LEN  3
#define KEY_ID_LEN 8
#define HEADER_LEN (MAGIC_LEN + KEY_ID_LEN + crypto_secretbox_NONCEBYTES)

/* The key, read once per data directory (unit tests change it). */
static pthread_mutex_t key_mu = PTHREAD_MUTEX_INITIALIZER;
static unsigned char key[crypto_secretbox_KEYBYTES];
static unsigned char key_id[KEY_ID_LEN];
static char key_dir[4096];
static int have_key;

static void id_of(const unsigned char *k, unsigned char id[KEY_ID_LEN])
{
    static const unsigned char ctx[] = "hail mail.key id";
    crypto_generichash(id, KEY_ID_LEN, ctx, sizeof ctx - 1, k, crypto_secretbox_KEYBYTES);
}

static void id_hex(const unsigned char id[KEY_ID_LEN], char out[2 * KEY_ID_LEN + 1])
{
    sodium_bin2hex(out, 2 * KEY_ID_LEN + 1, id, KEY_ID_LEN);
}

static hail_err read_key(const char *path, int *missing)
{
    *missing = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) {
            *missing = 1;
            return HAIL_OK;
        }
        return hail_errf(HAIL_EIO, "cannot read %s: %s", path, strerror(errno));
    }
    ssize_t n = read(fd, key, sizeof key);
    close(fd);
    if (n != (ssize_t)sizeof key)
        return hail_errf(HAIL_EIO, "%s is not a mail key (%zu bytes expected)", path, sizeof key);
    return HAIL_OK;
}

static hail_err write_key(const char *path)
{
    randombytes_buf(key, sizeof key);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return hail_errf(HAIL_EIO, "cannot create %s: %s", path, strerror(errno));
    ssize_t n = write(fd, key, sizeof key);
    int ok = n == (ssize_t)sizeof key && fsync(fd) == 0;
    close(fd);
    if (!ok) {
        unlink(path);
        return hail_errf(HAIL_EIO, "cannot write %s", path);
    }
    return HAIL_OK;
}

/* Loads (or, with create, makes) the key of this data directory and checks
 * it against the id the database remembers. Under key_mu. */
static hail_err load_key(db *d, int create)
{
    const char *dir = settings()->data_dir;
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, KEY_FILE);
    char *known = NULL;
    hail_err e = db_kv_get(d, KV_KEY_ID, &known);
    if (e)
        return e;
    if (!have_key || strcmp(dir, key_dir)) {
        have_key = 0;
        int missing = 0;
        if ((e = read_key(path, &missing)))
            goto out;
        if (missing) {
            if (known) {
                e = hail_errf(HAIL_EINVAL,
                              "the channel passwords are sealed with the mail key %s, and %s is "
                              "missing: copy it from a node that has it (docs/mail.md)",
                              known, path);
                goto out;
            }
            if (!create) {
                e = hail_errf(HAIL_EINVAL, "no mail key at %s: nothing was sealed here", path);
                goto out;
            }
            mkdir(dir, 0700);
            if ((e = write_key(path)))
                goto out;
        }
        id_of(key, key_id);
        snprintf(key_dir, sizeof key_dir, "%s", dir);
        have_key = 1;
    }
    char hex[2 * KEY_ID_LEN + 1];
    id_hex(key_id, hex);
    if (known && strcmp(known, hex)) {
        e = hail_errf(HAIL_EINVAL,
                      "%s is the mail key %s, but the channel passwords are sealed with the key "
                      "%s: copy the right mail.key from a node that has it (docs/mail.md)",
                      path, hex, known);
        goto out;
    }
    if (!known && create)
        e = db_kv_set(d, KV_KEY_ID, hex);
out:
    free(known);
    if (!have_key)
        sodium_memzero(key, sizeof key);
    return e;
}

hail_err seal_password(db *d, const char *plain, size_t n, unsigned char **out, size_t *out_n)
{
    *out = NULL;
    *out_n = 0;
    if (sodium_init() < 0)
        return hail_errf(HAIL_ENOMEM, "cannot initialise libsodium");
    size_t total = HEADER_LEN + crypto_secretbox_MACBYTES + n;
    unsigned char *b = malloc(total);
    if (!b)
        return hail_errf(HAIL_ENOMEM, "out of memory");
    pthread_mutex_lock(&key_mu);
    hail_err e = load_key(d, 1);
    if (!e) {
        memcpy(b, MAGIC, MAGIC_LEN);
        memcpy(b + MAGIC_LEN, key_id, KEY_ID_LEN);
        unsigned char *nonce = b + MAGIC_LEN + KEY_ID_LEN;
        randombytes_buf(nonce, crypto_secretbox_NONCEBYTES);
        crypto_secretbox_easy(b + HEADER_LEN, (const unsigned char *)plain, n, nonce, key);
    }
    pthread_mutex_unlock(&key_mu);
    if (e) {
        free(b);
        return e;
    }
    *out = b;
    *out_n = total;
    return HAIL_OK;
}

hail_err seal_open(db *d, const unsigned char *sealed, size_t n, char **plain)
{
    *plain = NULL;
    if (sodium_init() < 0)
        return hail_errf(HAIL_ENOMEM, "cannot initialise libsodium");
    if (n < HEADER_LEN + crypto_secretbox_MACBYTES || memcmp(sealed, MAGIC, MAGIC_LEN))
        return hail_errf(HAIL_EINVAL, "a sealed channel password is damaged");
    size_t m = n - HEADER_LEN - crypto_secretbox_MACBYTES;
    char *p = malloc(m + 1);
    if (!p)
        return hail_errf(HAIL_ENOMEM, "out of memory");
    pthread_mutex_lock(&key_mu);
    hail_err e = load_key(d, 0);
    if (!e && memcmp(sealed + MAGIC_LEN, key_id, KEY_ID_LEN)) {
        char want[2 * KEY_ID_LEN + 1], have[2 * KEY_ID_LEN + 1];
        id_hex(sealed + MAGIC_LEN, want);
        id_hex(key_id, have);
        e = hail_errf(HAIL_EINVAL,
                      "a channel password is sealed with the mail key %s, not this node's %s: "
                      "copy the right mail.key (docs/mail.md)",
                      want, have);
    }
    if (!e && crypto_secretbox_open_easy((unsigned char *)p, sealed + HEADER_LEN, n - HEADER_LEN,
                                         sealed + MAGIC_LEN + KEY_ID_LEN, key))
        e = hail_errf(HAIL_EINVAL, "a sealed channel password is damaged");
    pthread_mutex_unlock(&key_mu);
    if (e) {
        sodium_memzero(p, m + 1);
        free(p);
        return e;
    }
    p[m] = '\0';
    *plain = p;
    return HAIL_OK;
}

void seal_free(char *plain)
{
    if (!plain)
        return;
    sodium_memzero(plain, strlen(plain));
    free(plain);
}
