/* intern.h - one shared copy of each short string many records repeat (a leak's encoding chain,
 * header name, key path). The copies live until intern_free at exit; any thread may intern. */
#ifndef PH_INTERN_H
#define PH_INTERN_H

/* The pool's copy of s (NULL: ""); "" is a literal, never stored. */
const char *intern_str(const char *s);
/* Strings held (not counting ""). */
unsigned long intern_count(void);
/* Frees every copy; earlier results are then invalid. */
void intern_free(void);

#endif
