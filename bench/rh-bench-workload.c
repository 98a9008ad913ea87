/* rh-bench-workload.c: draws a benchmark workload on an X display, with latency markers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Usage: rh-bench-workload --display :N --mode MODE [--duration S] [--rate HZ] [--log FILE]
 * MODE: desktop (draw the desktop and exit), static, typing, fullscreen, scroll, window.
 * Every change ends with a marker (rh-bench-marker.h) and an XSync(); the log gets one line
 * "SEQ MONOTONIC_US" per change, taken once the X server has processed it, so a receiver's
 * arrival time minus this is the update latency. Drawing goes straight to the root window:
 * the benchmark display runs no window manager.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <glib.h>

#include "rh-bench-marker.h"

typedef struct
{
  Display *dpy;
  Window root;
  GC gc;
  int width;
  int height;
  unsigned long black;
  unsigned long white;
} Screen_;

static volatile sig_atomic_t stop;

static void
on_signal (int sig)
{
  stop = 1;
}

static unsigned long
rgb (guint32 c)
{
  /* Xvfb at depth 24 is TrueColor 0xRRGGBB */
  return c;
}

static void
fill (Screen_ *s, guint32 colour, int x, int y, int w, int h)
{
  XSetForeground (s->dpy, s->gc, rgb (colour));
  XFillRectangle (s->dpy, s->root, s->gc, x, y, (unsigned) w, (unsigned) h);
}

static void
draw_marker (Screen_ *s, RhMarkerLayout layout, guint seq)
{
  guint bits = rh_marker_bits (seq);
  int x, y;

  rh_marker_position (layout, s->width, s->height, seq, &x, &y);
  for (int i = 0; i < RH_MARKER_CELLS * RH_MARKER_CELLS; i++)
    fill (s, (bits & (1u << i)) ? 0xffffff : 0x000000,
          x + (i % RH_MARKER_CELLS) * RH_MARKER_CELL,
          y + (i / RH_MARKER_CELLS) * RH_MARKER_CELL, RH_MARKER_CELL, RH_MARKER_CELL);
}

static const char *lorem[] = {
  "The quick brown fox jumps over the lazy dog while the helpdesk watches.",
  "Invoice 2026-0117: 14 items, total 1,284.50 EUR, due in 30 days.",
  "$ journalctl -u remote-help --since today | grep -i error",
  "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod.",
  "Meeting notes: move the release to Thursday; ask IT about the printer.",
};

static void
draw_window (Screen_ *s, int x, int y, int w, int h, const char *title)
{
  fill (s, 0x404040, x + 4, y + 4, w, h);          /* shadow */
  fill (s, 0xf6f5f4, x, y, w, h);
  fill (s, 0x3584e4, x, y, w, 28);
  XSetForeground (s->dpy, s->gc, rgb (0xffffff));
  XDrawString (s->dpy, s->root, s->gc, x + 10, y + 19, title, (int) strlen (title));
  XSetForeground (s->dpy, s->gc, rgb (0x202020));
  for (int line = 0; 40 + line * 18 < h - 10; line++)
    {
      const char *t = lorem[line % G_N_ELEMENTS (lorem)];
      XDrawString (s->dpy, s->root, s->gc, x + 10, y + 48 + line * 18, t, (int) strlen (t));
    }
}

static void
draw_desktop (Screen_ *s)
{
  /* A gradient-free but not uniform desktop: background, a panel, two windows with text. */
  fill (s, 0x2a6f97, 0, 0, s->width, s->height);
  fill (s, 0x1d1d1d, 0, 0, s->width, 32);
  XSetForeground (s->dpy, s->gc, rgb (0xdddddd));
  XDrawString (s->dpy, s->root, s->gc, 12, 21, "Activities      Files      Terminal", 35);
  draw_window (s, 80, 90, s->width / 2, s->height / 2, "Documents - Report.odt");
  draw_window (s, s->width / 3, s->height / 3, s->width / 2, s->height / 2,
               "Terminal - user@desk: ~");
}

static gint64
now_us (void)
{
  return g_get_monotonic_time ();
}

int
main (int argc, char **argv)
{
  const char *display = NULL, *mode = "static", *log_path = NULL;
  double duration = 10, rate = 0;
  Screen_ s = { 0 };
  FILE *log = NULL;
  RhMarkerLayout layout = RH_MARKER_FIXED;
  struct timespec next;
  guint seq = 0;
  int win_x = 0, win_y = 0, win_dx = 7, win_dy = 5;
  int line_no = 0;

  for (int i = 1; i < argc; i++)
    {
      if (!strcmp (argv[i], "--display") && i + 1 < argc)
        display = argv[++i];
      else if (!strcmp (argv[i], "--mode") && i + 1 < argc)
        mode = argv[++i];
      else if (!strcmp (argv[i], "--duration") && i + 1 < argc)
        duration = g_ascii_strtod (argv[++i], NULL);
      else if (!strcmp (argv[i], "--rate") && i + 1 < argc)
        rate = g_ascii_strtod (argv[++i], NULL);
      else if (!strcmp (argv[i], "--log") && i + 1 < argc)
        log_path = argv[++i];
      else
        {
          fprintf (stderr, "usage: %s --display :N --mode desktop|static|typing|fullscreen|"
                   "scroll|window [--duration S] [--rate HZ] [--log FILE]\n", argv[0]);
          return 2;
        }
    }
  if (rate <= 0)
    rate = !strcmp (mode, "typing") || !strcmp (mode, "scroll") ? 20 : 30;
  if (!strcmp (mode, "typing"))
    layout = RH_MARKER_TYPING;

  s.dpy = XOpenDisplay (display);
  if (s.dpy == NULL)
    {
      fprintf (stderr, "cannot open display %s\n", display ? display : "(null)");
      return 1;
    }
  s.root = DefaultRootWindow (s.dpy);
  s.width = DisplayWidth (s.dpy, DefaultScreen (s.dpy));
  s.height = DisplayHeight (s.dpy, DefaultScreen (s.dpy));
  s.gc = XCreateGC (s.dpy, s.root, 0, NULL);
  if (log_path != NULL && (log = fopen (log_path, "w")) == NULL)
    {
      fprintf (stderr, "cannot write %s: %s\n", log_path, strerror (errno));
      return 1;
    }
  signal (SIGTERM, on_signal);
  signal (SIGINT, on_signal);

  draw_desktop (&s);
  XSync (s.dpy, False);
  if (!strcmp (mode, "desktop"))
    return 0;

  win_x = s.width / 5;
  win_y = s.height / 5;
  clock_gettime (CLOCK_MONOTONIC, &next);
  gint64 end = now_us () + (gint64) (duration * G_USEC_PER_SEC);
  while (!stop && now_us () < end)
    {
      gint64 period_ns = (gint64) (1e9 / rate);

      if (!strcmp (mode, "static"))
        {
          g_usleep (100000);
          continue;
        }
      seq++;
      if (!strcmp (mode, "typing"))
        {
          /* A 16x16 glyph-sized change; the marker is the glyph. */
          draw_marker (&s, layout, seq);
        }
      else if (!strcmp (mode, "fullscreen"))
        {
          static const guint32 colours[] = { 0xc01c28, 0x26a269, 0x1c71d8, 0xe5a50a, 0x813d9c };

          fill (&s, colours[seq % G_N_ELEMENTS (colours)], 0, 0, s.width, s.height);
          draw_marker (&s, layout, seq);
        }
      else if (!strcmp (mode, "scroll"))
        {
          /* A terminal scrolling by one 16-pixel line below the panel. */
          const char *t = lorem[line_no++ % G_N_ELEMENTS (lorem)];
          char text[128];

          XCopyArea (s.dpy, s.root, s.root, s.gc, 0, 48, (unsigned) s.width,
                     (unsigned) (s.height - 48), 0, 32);
          fill (&s, 0x171421, 0, s.height - 16, s.width, 16);
          g_snprintf (text, sizeof text, "%6u  %s", seq, t);
          XSetForeground (s.dpy, s.gc, rgb (0xd0d0d0));
          XDrawString (s.dpy, s.root, s.gc, 8, s.height - 4, text, (int) strlen (text));
          draw_marker (&s, layout, seq);
        }
      else if (!strcmp (mode, "window"))
        {
          int w = 400, h = 300;

          fill (&s, 0x2a6f97, win_x, win_y, w + 4, h + 4);
          if (win_x + win_dx < 0 || win_x + win_dx + w + 4 > s.width)
            win_dx = -win_dx;
          if (win_y + win_dy < 32 || win_y + win_dy + h + 4 > s.height - 64)
            win_dy = -win_dy;
          win_x += win_dx;
          win_y += win_dy;
          draw_window (&s, win_x, win_y, w, h, "Moving window");
          draw_marker (&s, layout, seq);
        }
      else
        {
          fprintf (stderr, "unknown mode %s\n", mode);
          return 2;
        }
      XSync (s.dpy, False);
      if (log != NULL)
        {
          fprintf (log, "%u %" G_GINT64_FORMAT "\n", seq, now_us ());
          fflush (log);
        }
      next.tv_nsec += period_ns;
      while (next.tv_nsec >= 1000000000L)
        {
          next.tv_nsec -= 1000000000L;
          next.tv_sec++;
        }
      while (clock_nanosleep (CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR && !stop)
        ;
    }
  if (log != NULL)
    fclose (log);
  XCloseDisplay (s.dpy);
  return 0;
}
