/* The first include of every hail C file (git's git-compat-util.h idea).
 *
 * It brings the C library headers hail uses everywhere and then banned.h, so
 * the unsafe calls banned there are uncompilable in every file, not only in
 * those that remember to ask. A lint test (tests/lint/check_common.sh) checks
 * that each .c file under src/ and tests/unit/ includes this header first.
 */
#ifndef HAIL_CORE_COMMON_H
#define HAIL_CORE_COMMON_H

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "core/banned.h"

#endif
