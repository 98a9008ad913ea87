/* rh-test-x11.c: painting a test's own X display
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "rh-test-x11.h"

void
rh_test_x_fill (Display *dpy,
                int      x,
                int      y,
                int      w,
                int      h,
                guint32  rgb)
{
  GC gc = XCreateGC (dpy, DefaultRootWindow (dpy), 0, NULL);

  XSetForeground (dpy, gc, rgb);
  XFillRectangle (dpy, DefaultRootWindow (dpy), gc, x, y, w, h);
  XFreeGC (dpy, gc);
  XSync (dpy, False);
}
