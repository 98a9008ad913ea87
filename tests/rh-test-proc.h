/* rh-test-proc.h: child processes for tests (Xvfb, X clients, the headless client's output)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * GIO only, so that any test executable can take it. Every wait is bounded; every child set up
 * here dies with the test process (PR_SET_PDEATHSIG).
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* A GSubprocessLauncher child setup: the child gets SIGKILL when the test dies. */
void         rh_test_die_with_parent (gpointer            user_data);
/* Runs argv (searched in PATH) to the end; asserts it succeeded. */
void         rh_test_run_ok          (const char *const  *argv);
/* Iterates the default main context (blocking) until *flag or timeout_ms; returns *flag. */
gboolean     rh_test_spin_flag       (gboolean           *flag,
                                      guint               timeout_ms);
/* Iterates the default main context for ms. */
void         rh_test_sleep_ms        (guint               ms);
/* Iterates the default main context without blocking for ms, napping 2 ms when idle (for
 * tests whose sources live in other threads). */
void         rh_test_spin_ms         (int                 ms);
/* A new private (0700, asserted) temporary directory named after @template. */
char        *rh_test_make_private_dir (const char        *template);
/* Private runtime and home directories for this process (and its children): sets
 * XDG_RUNTIME_DIR, HOME and XDG_CONFIG_HOME (HOME/.config). */
void         rh_test_private_home    (char              **runtime_dir,
                                      char              **home_dir);
/* `rm -rf PATH`, not checked; NULL is fine. */
void         rh_test_rm_rf           (const char         *path);
/* Starts "Xvfb -displayfd" with one screen of @geometry as a GSubprocess and sets *display to
 * ":N"; asserts it answers within 15 s. */
GSubprocess *rh_test_xvfb_spawn      (const char         *geometry,
                                      char              **display);
/* Force-exits, reaps and clears *process; NULL is fine. */
void         rh_test_proc_kill       (GSubprocess       **process);
/* Runs a short X client on @display while the main loop keeps going (GTK has to keep talking
 * to its X server meanwhile); asserts it succeeded within 20 s; returns its stdout. */
char        *rh_test_run_x           (const char         *display,
                                      const char *const  *argv);

/* What a headless client printed, and how it ended. */
typedef struct
{
  int   status;
  char *out;
  char *err;
} RhTestResult;

void         rh_test_result_clear    (RhTestResult       *r);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (RhTestResult, rh_test_result_clear)

/* Reads the helper's stdout (bounded: 20 s) up to the "code: " line; returns the code and the
 * stream to go on reading from. */
char        *rh_test_read_code       (GSubprocess        *helper,
                                      GDataInputStream  **out_stream);
/* Waits (bounded: 90 s) for the process and collects what it printed after @in (its stdout,
 * if some was read already; else NULL) was last read; logs it with g_test_message. */
void         rh_test_collect         (GSubprocess        *proc,
                                      GDataInputStream   *in,
                                      RhTestResult       *r);

G_END_DECLS
