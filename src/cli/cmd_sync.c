/* Placeholder until the sync module lands (owned by the sync work; replace wholesale). */
#include <stdio.h>

#include "cli/cli.h"

int cmd_sync(cli_ctx *c, int argc, char **argv)
{
    (void)c;
    (void)argc;
    (void)argv;
    fprintf(stderr, "hail: sync is not built yet\n");
    return 1;
}
