/* Reading secrets (passwords, API tokens) for the CLI: never from argv,
 * where ps and shell history would show them. */
#ifndef HAIL_CLI_SECRET_H
#define HAIL_CLI_SECRET_H

#include <stddef.h>

/* Reads one line into out (n bytes, the line end removed). From a terminal
 * it prints prompt on stderr and turns echo off while reading; otherwise it
 * reads standard input's first line silently. Returns 1 when a non-empty
 * line was read, 0 at end of input or on an empty line, -1 when the line
 * does not fit (the input is then drained and out wiped). */
int cli_read_secret(const char *prompt, char *out, size_t n);

/* Wipes a secret's buffer. */
void cli_wipe(char *s, size_t n);

#endif
