/* Tiny option reader for commands: --name VALUE or --name=VALUE. */
#ifndef HAIL_CLI_OPTS_H
#define HAIL_CLI_OPTS_H

#include <stdio.h>
#include <string.h>

/* If argv[*i] is the option `name`, stores its value, advances *i and
 * returns 1; returns -1 (after a message) when the value is missing. */
static inline int opt_value(int argc, char **argv, int *i, const char *name, const char **val)
{
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n) != 0)
        return 0;
    if (argv[*i][n] == '=') {
        *val = argv[*i] + n + 1;
        return 1;
    }
    if (argv[*i][n] != '\0')
        return 0;
    if (*i + 1 >= argc) {
        fprintf(stderr, "hail: %s needs a value\n", name);
        return -1;
    }
    *val = argv[++*i];
    return 1;
}

#endif
