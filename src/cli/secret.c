#include "core/common.h"

#include "cli/secret.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

void cli_wipe(char *s, size_t n)
{
    sodium_memzero(s, n);
}

int cli_read_secret(const char *prompt, char *out, size_t n)
{
    int tty = isatty(STDIN_FILENO);
    struct termios old, quiet;
    int echo_off = 0;
    if (tty) {
        /* Echo off before the prompt shows: what is typed once it is seen
         * must not be echoed (nor flushed away). */
        if (tcgetattr(STDIN_FILENO, &old) == 0) {
            quiet = old;
            quiet.c_lflag &= ~(tcflag_t)ECHO;
            quiet.c_lflag |= ECHONL;
            echo_off = tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
        }
        fputs(prompt, stderr);
        fflush(stderr);
    }
    int rc = 0;
    if (fgets(out, (int)n, stdin)) {
        size_t l = strlen(out);
        if (l && out[l - 1] == '\n') {
            out[--l] = '\0';
        } else if (!feof(stdin)) {
            /* Longer than the buffer: drain the line, keep nothing. */
            int c;
            while ((c = getchar()) != EOF && c != '\n')
                ;
            rc = -1;
        }
        if (l && out[l - 1] == '\r')
            out[--l] = '\0';
        if (rc == 0)
            rc = l > 0;
    } else {
        out[0] = '\0';
    }
    if (echo_off)
        tcsetattr(STDIN_FILENO, TCSANOW, &old);
    if (rc < 0)
        cli_wipe(out, n);
    return rc;
}
