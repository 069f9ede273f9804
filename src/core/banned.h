/* Unsafe libc calls made uncompilable (git's banned.h idea). Reached through
 * core/common.h, which every .c file includes first, after the C library headers. */
#ifndef HAIL_CORE_BANNED_H
#define HAIL_CORE_BANNED_H

#define BANNED(func) sorry_##func##_is_banned_in_hail

#undef strcpy
#define strcpy(x, y) BANNED(strcpy)
#undef strcat
#define strcat(x, y) BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) BANNED(strncpy)
#undef sprintf
#define sprintf(...) BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf)
#undef strtok
#define strtok(x, y) BANNED(strtok)
#undef gets
#define gets(x) BANNED(gets)

#endif
