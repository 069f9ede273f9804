/* A migrated database in a fresh temporary directory, for the unit tests that
 * need one (cmocka group or per-test setup/teardown). */
#ifndef HAIL_TESTS_DB_FIXTURE_H
#define HAIL_TESTS_DB_FIXTURE_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/db.h"

typedef struct {
    char dir[64];
    char path[128];
    db *d;
} db_fixture;

/* Removes a test's temporary directory and the files in it. */
static inline void tmpdir_remove(const char *dir)
{
    DIR *dh = opendir(dir);
    if (dh) {
        struct dirent *de;
        while ((de = readdir(dh))) {
            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                continue;
            char p[512];
            snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
            unlink(p);
        }
        closedir(dh);
    }
    rmdir(dir);
}

/* name goes into the directory's name: /tmp/hail-test-<name>-XXXXXX. */
static inline int db_fixture_setup(void **state, const char *name)
{
    db_fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/hail-test-%s-XXXXXX", name);
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    snprintf(f->path, sizeof f->path, "%s/hail.db", f->dir);
    if (db_open(f->path, DB_MIGRATE, &f->d) != HAIL_OK) {
        rmdir(f->dir);
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static inline int db_fixture_teardown(void **state)
{
    db_fixture *f = *state;
    db_close(f->d);
    tmpdir_remove(f->dir);
    free(f);
    return 0;
}

#endif
