// wcwidth for Swift: Glibc's Swift overlay does not export it.
#ifndef CWIDECHAR_H
#define CWIDECHAR_H
#include <wchar.h>

/// Terminal columns of one code point in the current locale: -1 for non-printable, 0, 1 or 2.
int cw_width(unsigned int codepoint);

#endif
