#define _XOPEN_SOURCE 700
#include <wchar.h>
#include "CWideChar.h"

int cw_width(unsigned int codepoint) {
    return wcwidth((wchar_t)codepoint);
}
