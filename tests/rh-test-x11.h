/* rh-test-x11.h: painting a test's own X display
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>
#include <X11/Xlib.h>

G_BEGIN_DECLS

/* Fills a rectangle of the root window with 0xRRGGBB and waits until the server did it. */
void rh_test_x_fill (Display *dpy,
                     int      x,
                     int      y,
                     int      w,
                     int      h,
                     guint32  rgb);

G_END_DECLS
