/* rh-test-xvfb.h: a private Xvfb for tests, bounded in time and stopped by the test
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Starts "Xvfb -displayfd" with one screen of @geometry ("1024x768x24") and returns ":N";
 * aborts the test when it does not answer within 20 s. Xvfb dies with the test process. */
char *rh_test_xvfb_start (const char *geometry,
                          GPid       *pid);
/* SIGTERM, then SIGKILL after 5 s; reaps it. */
void  rh_test_xvfb_stop  (GPid        pid);

G_END_DECLS
