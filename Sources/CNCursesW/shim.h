// The wide-character ncurses API as Swift can call it.
//
// Swift imports plain C functions and simple constant macros, but not function-like macros
// (COLOR_PAIR, KEY_F), variadic functions (printw) or macros built from other expressions
// (the A_* attributes), and global variables such as stdscr are awkward to read safely. Each
// such thing gets a tiny static inline wrapper here, so the Swift side never needs them.
#ifndef CNCURSESW_SHIM_H
#define CNCURSESW_SHIM_H

// Both must come before curses.h: they switch on cchar_t, setcchar, add_wch, get_wch.
#define NCURSES_WIDECHAR 1
#define _XOPEN_SOURCE_EXTENDED 1

#include <ncursesw/curses.h>
#include <locale.h>
#include <wchar.h>

// wcwidth is X/Open: the system wchar.h (built into Glibc's Swift module without
// _XOPEN_SOURCE) may not declare it, so it is declared here.
extern int wcwidth(wchar_t wc);

// MARK: Screens and sizes

static inline WINDOW *shim_stdscr(void) { return stdscr; }
static inline WINDOW *shim_curscr(void) { return curscr; }
static inline FILE *shim_stdout(void) { return stdout; }
static inline int shim_lines(void) { return getmaxy(stdscr); }
static inline int shim_cols(void) { return getmaxx(stdscr); }
static inline int shim_curx(void) { return getcurx(stdscr); }
/// Where curses believes the terminal's cursor is after a refresh (curscr's cursor).
static inline int shim_physical_cury(void) { return getcury(curscr); }
static inline int shim_physical_curx(void) { return getcurx(curscr); }

// MARK: Results

static inline int shim_err(void) { return ERR; }
static inline int shim_ok(void) { return OK; }
static inline int shim_key_code_yes(void) { return KEY_CODE_YES; }

// MARK: Attributes and colours

static inline attr_t shim_a_normal(void) { return A_NORMAL; }
static inline attr_t shim_a_bold(void) { return A_BOLD; }
static inline attr_t shim_a_dim(void) { return A_DIM; }
static inline attr_t shim_a_italic(void) { return A_ITALIC; }
static inline attr_t shim_a_underline(void) { return A_UNDERLINE; }
static inline attr_t shim_a_reverse(void) { return A_REVERSE; }
static inline attr_t shim_color_pair(int n) { return (attr_t)COLOR_PAIR(n); }
static inline int shim_colors(void) { return COLORS; }
static inline int shim_color_pairs(void) { return COLOR_PAIRS; }

// MARK: Key codes (what get_wch reports with KEY_CODE_YES)

static inline int shim_key_resize(void) { return KEY_RESIZE; }
static inline int shim_key_up(void) { return KEY_UP; }
static inline int shim_key_down(void) { return KEY_DOWN; }
static inline int shim_key_left(void) { return KEY_LEFT; }
static inline int shim_key_right(void) { return KEY_RIGHT; }
static inline int shim_key_home(void) { return KEY_HOME; }
static inline int shim_key_end(void) { return KEY_END; }
static inline int shim_key_ppage(void) { return KEY_PPAGE; }
static inline int shim_key_npage(void) { return KEY_NPAGE; }
static inline int shim_key_dc(void) { return KEY_DC; }
static inline int shim_key_ic(void) { return KEY_IC; }
static inline int shim_key_backspace(void) { return KEY_BACKSPACE; }
static inline int shim_key_btab(void) { return KEY_BTAB; }
static inline int shim_key_enter(void) { return KEY_ENTER; }
static inline int shim_key_f(int n) { return KEY_F(n); }
static inline int shim_key_f0(void) { return KEY_F0; }
static inline int shim_key_mouse(void) { return KEY_MOUSE; }

/// Columns of one code point in the current locale, as curses measures it: -1, 0, 1 or 2.
static inline int shim_wcwidth(unsigned int codepoint) { return wcwidth((wchar_t)codepoint); }

// MARK: Input and output

static inline int shim_set_escdelay(int ms) { return set_escdelay(ms); }

/// get_wch: OK with a character in *out, KEY_CODE_YES with a key code in *out, ERR on timeout.
static inline int shim_get_wch(wint_t *out) { return get_wch(out); }

// MARK: Mouse

/// Turns on the terminal's mouse reporting for left-button presses (`press`) and wheel turns
/// (`wheel`, buttons 4 and 5), with no click interval: a press is reported at once instead of
/// curses waiting to see whether it becomes a click. Returns whether curses could turn it on.
static inline int shim_enable_mouse(int press, int wheel) {
    mmask_t wanted = 0;
    if (press) wanted |= BUTTON1_PRESSED;
    if (wheel) wanted |= BUTTON4_PRESSED;
#if NCURSES_MOUSE_VERSION > 1
    if (wheel) wanted |= BUTTON5_PRESSED;
#endif
    if (wanted == 0) return 0;
    mouseinterval(0);
    return mousemask(wanted, NULL) != 0;
}

/// The event behind a KEY_MOUSE, with its cell in *x, *y: 1 a left-button press, 4 the wheel
/// turned up, 5 down, 0 anything else (or no event).
static inline int shim_mouse_event(int *x, int *y) {
    MEVENT event;
    if (getmouse(&event) != OK) return 0;
    *x = event.x;
    *y = event.y;
    if (event.bstate & BUTTON1_PRESSED) return 1;
    if (event.bstate & BUTTON4_PRESSED) return 4;
#if NCURSES_MOUSE_VERSION > 1
    if (event.bstate & BUTTON5_PRESSED) return 5;
#endif
    return 0;
}

// MARK: Writing past curses

static inline int shim_putc_stdout(int c) { return putc(c, stdout); }

/// Sets the terminal's attributes and colour pair, written to stdout's buffer (where the app
/// writes what curses cannot, after a refresh), and tells curses they are set, so its next
/// update starts from what the terminal really has.
static inline int shim_set_attributes_on_stdout(attr_t attrs, short pair) {
    return vid_puts(attrs, pair, NULL, shim_putc_stdout);
}

/// Draws one cell at (y, x): `wstr` is one spacing character followed by any combining (zero
/// width) characters, `len` of them, not necessarily NUL-terminated. At most CCHARW_MAX are used.
/// Returns the mvadd_wch result (ERR for the bottom-right corner is expected and harmless).
static inline int shim_put_cell(int y, int x, const wchar_t *wstr, int len, attr_t attrs, short pair) {
    wchar_t buffer[CCHARW_MAX + 1];
    if (len < 0) len = 0;
    if (len > CCHARW_MAX) len = CCHARW_MAX;
    for (int i = 0; i < len; i++) buffer[i] = wstr[i];
    if (len == 0) buffer[len++] = L' ';
    buffer[len] = L'\0';
    cchar_t cell;
    if (setcchar(&cell, buffer, attrs, pair, NULL) == ERR) return ERR;
    return mvadd_wch(y, x, &cell);
}

#endif
