/* test-rdp-shadow.c: our X11 shadow subsystem (rh-shadow-x11.c) end to end
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A real Xvfb (1280x800, display number chosen by Xvfb through -displayfd) shared by an
 * RhRdpSharer and watched by an RhRdpViewer (libfreerdp) in this process. The test draws on the
 * Xvfb with its own Xlib connection and compares what the viewer shows with XGetImage.
 * Xvfb gets PR_SET_PDEATHSIG and is killed and reaped with bounded waits at the end.
 *
 * With -m perf, /rdp-shadow/measure prints CPU use on a static screen (ours vs stock) and the
 * time a small change takes to reach the viewer; it asserts nothing about them.
 */
#define G_LOG_DOMAIN "rh-test"

#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <glib-unix.h>
#include <gio/gunixsocketaddress.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <X11/cursorfont.h>
#include <X11/extensions/Xfixes.h>
#include <X11/extensions/XTest.h>

#include "rh-config.h"
#include "rh-error.h"
#include "rh-rdp-sharer.h"
#include "rh-rdp-viewer.h"
#include "rh-test-proc.h"
#include "rh-test-x11.h"
#include "rh-test-xvfb.h"
#include "rh-shadow-x11.h"

#define WIDTH 1280
#define HEIGHT 800

static char *display_name;
static GPid xvfb_pid;
static char *runtime_dir;
static char *home_dir;
static Display *dpy;            /* the test's own connection to the shared Xvfb */

static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static gboolean
wait_pid (GPid pid,
          int  timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  int status;

  while (g_get_monotonic_time () < deadline)
    {
      pid_t r = waitpid (pid, &status, WNOHANG);

      if (r == pid)
        return TRUE;
      if (r < 0 && errno != EINTR)
        return FALSE;
      g_usleep (20 * 1000);
    }
  return FALSE;
}

static void
kill_and_reap (GPid pid)
{
  if (pid <= 0)
    return;
  kill (pid, SIGTERM);
  if (!wait_pid (pid, 5000))
    {
      kill (pid, SIGKILL);
      wait_pid (pid, 5000);
    }
}

/* ---- Drawing on the shared screen ---- */

/* Random pixels: nothing a lossy codec would reproduce exactly. */
static void
noise (int      x,
       int      y,
       int      w,
       int      h,
       GRand   *rand)
{
  XImage *image = XGetImage (dpy, DefaultRootWindow (dpy), x, y, w, h, AllPlanes, ZPixmap);
  GC gc = XCreateGC (dpy, DefaultRootWindow (dpy), 0, NULL);

  g_assert_nonnull (image);
  for (int j = 0; j < h; j++)
    for (int i = 0; i < w; i++)
      XPutPixel (image, i, j, g_rand_int (rand) & 0xffffff);
  XPutImage (dpy, DefaultRootWindow (dpy), gc, image, 0, 0, x, y, w, h);
  XDestroyImage (image);
  XFreeGC (dpy, gc);
  XSync (dpy, False);
}

/* The first pixel where the viewer's frame differs from the screen, or FALSE. */
static gboolean
frame_differs (RhRdpViewer *viewer,
               int         *at_x,
               int         *at_y)
{
  g_autoptr(GBytes) frame = NULL;
  XImage *image;
  const guint8 *data;
  int w = 0, h = 0;
  gboolean differs = FALSE;

  frame = rh_rdp_viewer_get_frame (viewer, &w, &h);
  if (!frame || w != WIDTH || h != HEIGHT)
    {
      *at_x = *at_y = -1;
      return TRUE;
    }
  data = g_bytes_get_data (frame, NULL);
  image = XGetImage (dpy, DefaultRootWindow (dpy), 0, 0, WIDTH, HEIGHT, AllPlanes, ZPixmap);
  g_assert_nonnull (image);
  for (int y = 0; y < h && !differs; y++)
    for (int x = 0; x < w; x++)
      {
        const guint8 *p = data + ((gsize) y * w + x) * 4;     /* B G R A */
        guint32 want = XGetPixel (image, x, y) & 0xffffff;
        guint32 got = ((guint32) p[2] << 16) | ((guint32) p[1] << 8) | p[0];

        if (want != got)
          {
            *at_x = x;
            *at_y = y;
            differs = TRUE;
            break;
          }
      }
  XDestroyImage (image);
  return differs;
}

/* ---- A sharer and a viewer ---- */

/* A byte-counting relay between the viewer and the sharer's socket (measurements only): one
 * connection, copied both ways by a thread. */
typedef struct
{
  char *path;
  char *target;
  int listen_fd;
  int stop_pipe[2];
  GThread *thread;
  guint64 to_viewer;           /* atomic */
} Proxy;

static gboolean
copy_some (int      from,
           int      to,
           guint64 *counter)
{
  char buf[65536];
  gssize n = read (from, buf, sizeof buf);

  if (n <= 0)
    return FALSE;
  if (counter)
    __atomic_fetch_add (counter, (guint64) n, __ATOMIC_RELAXED);
  for (gssize done = 0; done < n;)
    {
      gssize w = write (to, buf + done, n - done);

      if (w < 0 && errno == EINTR)
        continue;
      if (w <= 0)
        return FALSE;
      done += w;
    }
  return TRUE;
}

static gpointer
proxy_thread (gpointer data)
{
  Proxy *proxy = data;
  struct pollfd accept_fds[2] = {
    { .fd = proxy->listen_fd, .events = POLLIN },
    { .fd = proxy->stop_pipe[0], .events = POLLIN },
  };
  g_autoptr(GSocketAddress) address = g_unix_socket_address_new (proxy->target);
  struct sockaddr_storage native;
  int viewer_fd, sharer_fd;

  if (poll (accept_fds, 2, 60000) <= 0 || accept_fds[1].revents)
    return NULL;
  viewer_fd = accept (proxy->listen_fd, NULL, NULL);
  sharer_fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  g_assert_true (g_socket_address_to_native (address, &native, sizeof native, NULL));
  if (viewer_fd < 0 || connect (sharer_fd, (struct sockaddr *) &native,
                                g_socket_address_get_native_size (address)) < 0)
    return NULL;
  for (;;)
    {
      struct pollfd fds[3] = {
        { .fd = viewer_fd, .events = POLLIN },
        { .fd = sharer_fd, .events = POLLIN },
        { .fd = proxy->stop_pipe[0], .events = POLLIN },
      };

      if (poll (fds, 3, -1) < 0 && errno != EINTR)
        break;
      if (fds[2].revents)
        break;
      if (fds[0].revents && !copy_some (viewer_fd, sharer_fd, NULL))
        break;
      if (fds[1].revents && !copy_some (sharer_fd, viewer_fd, &proxy->to_viewer))
        break;
    }
  close (viewer_fd);
  close (sharer_fd);
  return NULL;
}

static Proxy *
proxy_new (const char *target)
{
  Proxy *proxy = g_new0 (Proxy, 1);
  g_autoptr(GSocketAddress) address = NULL;
  struct sockaddr_storage native;

  proxy->path = g_build_filename (runtime_dir, "proxy.sock", NULL);
  proxy->target = g_strdup (target);
  g_unlink (proxy->path);
  address = g_unix_socket_address_new (proxy->path);
  proxy->listen_fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  g_assert_true (g_socket_address_to_native (address, &native, sizeof native, NULL));
  g_assert_no_errno (bind (proxy->listen_fd, (struct sockaddr *) &native,
                           g_socket_address_get_native_size (address)));
  g_assert_no_errno (listen (proxy->listen_fd, 1));
  g_assert_true (g_unix_open_pipe (proxy->stop_pipe, FD_CLOEXEC, NULL));
  proxy->thread = g_thread_new ("proxy", proxy_thread, proxy);
  return proxy;
}

static void
proxy_free (Proxy *proxy)
{
  if (!proxy)
    return;
  g_assert_no_errno (write (proxy->stop_pipe[1], "x", 1) == 1 ? 0 : -1);
  g_thread_join (proxy->thread);
  close (proxy->listen_fd);
  close (proxy->stop_pipe[0]);
  close (proxy->stop_pipe[1]);
  g_unlink (proxy->path);
  g_free (proxy->path);
  g_free (proxy->target);
  g_free (proxy);
}

static guint64
proxy_bytes (Proxy *proxy)
{
  return __atomic_load_n (&proxy->to_viewer, __ATOMIC_RELAXED);
}

typedef struct
{
  RhRdpSharer *sharer;
  RhRdpViewer *viewer;
  Proxy *proxy;
  guint frames;               /* "frame-updated" signals */
  guint pointer_changes;
  int pointer_hot_x, pointer_hot_y, pointer_w, pointer_h;
  gboolean first_frame;
  gboolean connected;
  gboolean disconnected;
  GError *connect_error;
} Session;

static void
on_frame_updated (RhRdpViewer *viewer,
                  int x, int y, int w, int h,
                  Session     *s)
{
  s->frames++;
}

static void
on_first_frame (RhRdpViewer *viewer,
                Session     *s)
{
  s->first_frame = TRUE;
}

static void
on_pointer_changed (RhRdpViewer *viewer,
                    int hot_x, int hot_y, int w, int h,
                    Session     *s)
{
  s->pointer_changes++;
  s->pointer_hot_x = hot_x;
  s->pointer_hot_y = hot_y;
  s->pointer_w = w;
  s->pointer_h = h;
}

static void
on_disconnected (RhRdpViewer *viewer,
                 GError      *error,
                 Session     *s)
{
  s->disconnected = TRUE;
}

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      data)
{
  Session *s = data;

  s->connected = rh_rdp_viewer_connect_finish (RH_RDP_VIEWER (source), result,
                                               &s->connect_error);
  if (!s->connected && !s->connect_error)
    s->connect_error = g_error_new_literal (RH_RDP_ERROR, RH_ERROR_INTERNAL, "no error");
}

/* Iterates the main context until *flag is set or ms pass; returns *flag. */
static gboolean
wait_flag (gboolean *flag,
           int       ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) ms * 1000;

  while (!*flag && g_get_monotonic_time () < deadline)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (2 * 1000);
  return *flag;
}

static void
session_start_full (Session      *s,
                    RhRdpCapture  capture,
                    RhRdpMode     sharer_mode,
                    RhRdpMode     viewer_mode,
                    gboolean      counted)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) pin = NULL;

  memset (s, 0, sizeof *s);
  s->sharer = rh_rdp_sharer_new (display_name, sharer_mode);
  rh_rdp_sharer_set_capture (s->sharer, capture);
  g_assert_true (rh_rdp_sharer_start (s->sharer, &error));
  g_assert_no_error (error);
  g_assert_cmpint (rh_rdp_sharer_get_capture (s->sharer), ==, capture);

  pin = rh_rdp_sharer_get_certificate_sha256 (s->sharer);
  if (counted)
    s->proxy = proxy_new (rh_rdp_sharer_get_socket_path (s->sharer));
  s->viewer = rh_rdp_viewer_new (s->proxy ? s->proxy->path :
                                 rh_rdp_sharer_get_socket_path (s->sharer),
                                 rh_rdp_sharer_get_username (s->sharer),
                                 rh_rdp_sharer_get_password (s->sharer), pin, viewer_mode);
  g_signal_connect (s->viewer, "frame-updated", G_CALLBACK (on_frame_updated), s);
  g_signal_connect (s->viewer, "first-frame", G_CALLBACK (on_first_frame), s);
  g_signal_connect (s->viewer, "pointer-changed", G_CALLBACK (on_pointer_changed), s);
  g_signal_connect (s->viewer, "disconnected", G_CALLBACK (on_disconnected), s);
  rh_rdp_viewer_connect_async (s->viewer, NULL, on_connected, s);
  while (!s->connected && !s->connect_error)
    g_main_context_iteration (NULL, TRUE);
  g_assert_no_error (s->connect_error);
  g_assert_true (wait_flag (&s->first_frame, 30000));
}

static void
session_start (Session      *s,
               RhRdpCapture  capture,
               RhRdpMode     sharer_mode,
               RhRdpMode     viewer_mode)
{
  session_start_full (s, capture, sharer_mode, viewer_mode, FALSE);
}

static void
session_stop (Session *s)
{
  g_signal_handlers_disconnect_by_data (s->viewer, s);
  rh_rdp_viewer_disconnect (s->viewer);
  g_clear_object (&s->viewer);
  rh_rdp_sharer_stop (s->sharer);
  g_clear_object (&s->sharer);
  g_clear_error (&s->connect_error);
  g_clear_pointer (&s->proxy, proxy_free);
  rh_test_spin_ms (50);
}

/* Waits until the viewer shows exactly what the screen has; fails with the first difference
 * after timeout_ms. */
static void
assert_frame_matches (Session *s,
                      int      timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  int x = -1, y = -1;

  for (;;)
    {
      guint before = s->frames;

      if (!frame_differs (s->viewer, &x, &y))
        return;
      if (g_get_monotonic_time () > deadline)
        break;
      /* Compare again after the next update (or a while). */
      while (s->frames == before && g_get_monotonic_time () < deadline)
        if (!g_main_context_iteration (NULL, FALSE))
          g_usleep (2 * 1000);
    }
  {
    g_autoptr(GBytes) frame = rh_rdp_viewer_get_frame (s->viewer, NULL, NULL);
    XImage *image = XGetImage (dpy, DefaultRootWindow (dpy), 0, 0, WIDTH, HEIGHT, AllPlanes,
                               ZPixmap);
    const guint8 *p = frame && x >= 0 ? (const guint8 *) g_bytes_get_data (frame, NULL) +
                                        ((gsize) y * WIDTH + x) * 4 : NULL;

    g_error ("The viewer's frame differs from the screen at %d,%d: %06lx there, %02x%02x%02x "
             "in the viewer", x, y, x >= 0 ? XGetPixel (image, x, y) & 0xffffff : 0,
             p ? p[2] : 0, p ? p[1] : 0, p ? p[0] : 0);
  }
}

/* ---- Tests ---- */

/* Small changes in different corners (and the middle), one after another and several at once,
 * come out pixel for pixel: the small-region path is lossless. */
static void
test_pixel_exact (void)
{
  Session s;
  g_autoptr(GRand) rand = g_rand_new_with_seed (8);
  RhShadowX11Stats before, after;

  rh_test_x_fill (dpy, 0, 0, WIDTH, HEIGHT, 0x336699);
  session_start (&s, RH_RDP_CAPTURE_BUILTIN, RH_RDP_MODE_VIEW, RH_RDP_MODE_VIEW);
  assert_frame_matches (&s, 10000);

  /* A whole-screen change through damage, not the first refresh; then one large enough that
   * its damage arrives in several parts, some of them while we read a capture's reply. */
  rh_test_x_fill (dpy, 0, 0, WIDTH, HEIGHT, 0x996633);
  assert_frame_matches (&s, 10000);
  noise (0, 0, WIDTH, HEIGHT, rand);
  assert_frame_matches (&s, 10000);

  rh_shadow_x11_get_stats (&before);
  rh_test_x_fill (dpy, 0, 0, 16, 16, 0xff0000);                          /* top left */
  assert_frame_matches (&s, 10000);
  rh_test_x_fill (dpy, WIDTH - 5, 0, 5, 3, 0x00ff00);                    /* top right, odd size */
  assert_frame_matches (&s, 10000);
  rh_test_x_fill (dpy, WIDTH - 1, HEIGHT - 1, 1, 1, 0xffffff);           /* the last pixel */
  assert_frame_matches (&s, 10000);
  noise (0, HEIGHT - 30, 41, 30, rand);                   /* bottom left, random pixels */
  assert_frame_matches (&s, 10000);
  noise (617, 391, 13, 7, rand);                          /* middle, unaligned */
  assert_frame_matches (&s, 10000);

  /* Several corners in one go: separate rectangles, still exact. */
  XGrabServer (dpy);
  noise (2, 3, 9, 9, rand);
  noise (WIDTH - 20, 7, 11, 5, rand);
  noise (5, HEIGHT - 12, 10, 10, rand);
  noise (WIDTH - 33, HEIGHT - 9, 30, 8, rand);
  XUngrabServer (dpy);
  XSync (dpy, False);
  assert_frame_matches (&s, 10000);
  rh_shadow_x11_get_stats (&after);

  g_test_message ("%" G_GUINT64_FORMAT " frames, %" G_GUINT64_FORMAT " updates, %"
                  G_GUINT64_FORMAT " pixels captured for the changes",
                  after.frames - before.frames, after.updates - before.updates,
                  after.pixels - before.pixels);
  /* Only the damage was captured, not whole screens. */
  g_assert_cmpuint (after.pixels - before.pixels, <, (guint64) WIDTH * HEIGHT / 10);
  g_assert_cmpuint (after.updates, >, before.updates);
  session_stop (&s);
}

/* Without XShm (a display that is not local) the capture uses XGetImage, still exactly. */
static void
test_without_shm (void)
{
  Session s;
  g_autoptr(GRand) rand = g_rand_new_with_seed (11);

  g_setenv ("RH_SHADOW_NO_SHM", "1", TRUE);
  rh_test_x_fill (dpy, 0, 0, WIDTH, HEIGHT, 0x102030);
  session_start (&s, RH_RDP_CAPTURE_BUILTIN, RH_RDP_MODE_VIEW, RH_RDP_MODE_VIEW);
  g_unsetenv ("RH_SHADOW_NO_SHM");
  assert_frame_matches (&s, 10000);
  noise (WIDTH - 50, HEIGHT - 40, 50, 40, rand);
  assert_frame_matches (&s, 10000);
  noise (3, 5, 200, 100, rand);
  noise (900, 20, 30, 30, rand);
  assert_frame_matches (&s, 10000);
  session_stop (&s);
}

/* Nothing changes on the screen: nothing is captured and no update reaches the viewer. */
static void
test_static_screen (void)
{
  Session s;
  RhShadowX11Stats before, after;
  guint frames;

  rh_test_x_fill (dpy, 0, 0, WIDTH, HEIGHT, 0x808080);
  session_start (&s, RH_RDP_CAPTURE_BUILTIN, RH_RDP_MODE_VIEW, RH_RDP_MODE_VIEW);
  assert_frame_matches (&s, 10000);
  rh_test_spin_ms (500);

  /* The counter works: one change is one update at least. */
  frames = s.frames;
  rh_test_x_fill (dpy, 100, 100, 10, 10, 0x00ffff);
  assert_frame_matches (&s, 10000);
  /* The frame buffer can match before the main loop has delivered "frame-updated". */
  for (int i = 0; i < 250 && s.frames == frames; i++)
    rh_test_spin_ms (20);
  g_assert_cmpuint (s.frames, >, frames);
  rh_test_spin_ms (300);

  frames = s.frames;
  rh_shadow_x11_get_stats (&before);
  rh_test_spin_ms (5000);
  rh_shadow_x11_get_stats (&after);
  g_test_message ("Over 5 s of a static screen: %u viewer updates, %" G_GUINT64_FORMAT
                  " frames, %" G_GUINT64_FORMAT " damage events", s.frames - frames,
                  after.frames - before.frames, after.damage_events - before.damage_events);
  g_assert_cmpuint (s.frames, ==, frames);
  g_assert_cmpuint (after.frames, ==, before.frames);
  g_assert_cmpuint (after.pixels, ==, before.pixels);
  session_stop (&s);
}

/* The cursor is sent as RDP pointer updates (shape and hot spot), not painted into frames. */
static void
test_cursor (void)
{
  Session s;
  Cursor cross, watch;
  XFixesCursorImage *image;
  guint changes;
  gint64 deadline;

  XWarpPointer (dpy, None, DefaultRootWindow (dpy), 0, 0, 0, 0, 640, 400);
  rh_test_x_fill (dpy, 0, 0, WIDTH, HEIGHT, 0x202020);
  session_start (&s, RH_RDP_CAPTURE_BUILTIN, RH_RDP_MODE_VIEW, RH_RDP_MODE_VIEW);
  assert_frame_matches (&s, 10000);
  rh_test_spin_ms (300);

  changes = s.pointer_changes;
  cross = XCreateFontCursor (dpy, XC_crosshair);
  XDefineCursor (dpy, DefaultRootWindow (dpy), cross);
  XSync (dpy, False);
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (s.pointer_changes == changes && g_get_monotonic_time () < deadline)
    rh_test_spin_ms (10);
  g_assert_cmpuint (s.pointer_changes, >, changes);
  image = XFixesGetCursorImage (dpy);
  g_assert_nonnull (image);
  g_assert_cmpint (s.pointer_w, ==, image->width);
  g_assert_cmpint (s.pointer_h, ==, image->height);
  g_assert_cmpint (s.pointer_hot_x, ==, image->xhot);
  g_assert_cmpint (s.pointer_hot_y, ==, image->yhot);
  /* The shape itself, pixel by pixel. */
  {
    int w, h, hx, hy;
    g_autoptr(GBytes) shape = rh_rdp_viewer_get_pointer (s.viewer, &w, &h, &hx, &hy, NULL,
                                                         NULL);
    const guint8 *px;
    int opaque = 0;

    g_assert_nonnull (shape);
    g_assert_cmpint (w, ==, image->width);
    g_assert_cmpint (h, ==, image->height);
    g_assert_cmpint (hx, ==, image->xhot);
    g_assert_cmpint (hy, ==, image->yhot);
    px = g_bytes_get_data (shape, NULL);
    /* RDP pointers have no partial transparency: only the extremes must survive. */
    for (int i = 0; i < w * h; i++)
      {
        guint alpha = (image->pixels[i] >> 24) & 0xff;

        if (alpha == 0xff)
          g_assert_cmpint (px[i * 4 + 3], >=, 0x80);
        else if (alpha == 0)
          g_assert_cmpint (px[i * 4 + 3], <, 0x80);
        opaque += alpha == 0xff;
      }
    g_assert_cmpint (opaque, >, 0);
  }
  XFree (image);

  /* The sharer's pointer moving (XTest, as a mouse would) is reported too. */
  {
    int x = -1, y = -1;
    gint64 until = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

    XTestFakeMotionEvent (dpy, DefaultScreen (dpy), 321, 123, CurrentTime);
    XSync (dpy, False);
    while ((x != 321 || y != 123) && g_get_monotonic_time () < until)
      {
        g_autoptr(GBytes) shape = NULL;

        rh_test_spin_ms (10);
        shape = rh_rdp_viewer_get_pointer (s.viewer, NULL, NULL, NULL, NULL, &x, &y);
      }
    g_assert_cmpint (x, ==, 321);
    g_assert_cmpint (y, ==, 123);
  }

  changes = s.pointer_changes;
  watch = XCreateFontCursor (dpy, XC_watch);
  XDefineCursor (dpy, DefaultRootWindow (dpy), watch);
  XSync (dpy, False);
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (s.pointer_changes == changes && g_get_monotonic_time () < deadline)
    rh_test_spin_ms (10);
  g_assert_cmpuint (s.pointer_changes, >, changes);
  image = XFixesGetCursorImage (dpy);
  g_assert_cmpint (s.pointer_hot_x, ==, image->xhot);
  g_assert_cmpint (s.pointer_hot_y, ==, image->yhot);
  XFree (image);

  /* The cursor is not in the frames: the screen under it is what the viewer shows. */
  assert_frame_matches (&s, 10000);

  XUndefineCursor (dpy, DefaultRootWindow (dpy));
  XFreeCursor (dpy, cross);
  XFreeCursor (dpy, watch);
  XSync (dpy, False);
  session_stop (&s);
}

static void
query_pointer (int *x,
               int *y)
{
  Window root, child;
  int wx, wy;
  unsigned int mask;

  XQueryPointer (dpy, DefaultRootWindow (dpy), &root, &child, x, y, &wx, &wy, &mask);
}

/* Keysyms of the key presses that reached window, in order (as Xlib translates them). */
static GString *
read_typed (Window w,
            int    ms)
{
  GString *typed = g_string_new (NULL);
  gint64 deadline = g_get_monotonic_time () + (gint64) ms * 1000;

  while (g_get_monotonic_time () < deadline)
    {
      rh_test_spin_ms (5);
      while (XPending (dpy))
        {
          XEvent ev;

          XNextEvent (dpy, &ev);
          if (ev.type == MappingNotify)
            XRefreshKeyboardMapping (&ev.xmapping);
          else if (ev.type == KeyPress && ev.xkey.window == w)
            {
              char buf[16];
              KeySym sym = NoSymbol;
              int n = XLookupString (&ev.xkey, buf, sizeof buf, &sym, NULL);

              if (sym != NoSymbol && !IsModifierKey (sym))
                g_string_append_printf (typed, "%s%lx", typed->len ? " " : "",
                                        (unsigned long) sym);
              (void) n;
            }
        }
    }
  return typed;
}

/* View-only: every input event is dropped on the sharer even though the viewer sends it;
 * control granted mid-session lets it through, including text outside ASCII. */
static void
test_view_only_then_control (void)
{
  Session s;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) typed = NULL;
  Window w;
  int x, y;

  XWarpPointer (dpy, None, DefaultRootWindow (dpy), 0, 0, 0, 0, 10, 10);
  XSync (dpy, False);
  w = XCreateSimpleWindow (dpy, DefaultRootWindow (dpy), 0, 0, WIDTH, HEIGHT, 0, 0, 0xffffff);
  XSelectInput (dpy, w, KeyPressMask | ButtonPressMask);
  XMapWindow (dpy, w);
  XSync (dpy, False);
  XSetInputFocus (dpy, w, RevertToParent, CurrentTime);
  XSync (dpy, False);

  session_start (&s, RH_RDP_CAPTURE_BUILTIN, RH_RDP_MODE_VIEW, RH_RDP_MODE_CONTROL);
  /* The viewer believes it may control: it sends, the sharer must drop. */
  g_assert_true (rh_rdp_viewer_send_pointer (s.viewer, 300, 200, 0, FALSE, &error));
  g_assert_true (rh_rdp_viewer_send_pointer (s.viewer, 300, 200, 1, TRUE, &error));
  g_assert_true (rh_rdp_viewer_send_pointer (s.viewer, 300, 200, 1, FALSE, &error));
  g_assert_true (rh_rdp_viewer_send_text (s.viewer, "ab", &error));
  g_assert_no_error (error);
  typed = read_typed (w, 1500);
  query_pointer (&x, &y);
  g_assert_cmpint (x, ==, 10);
  g_assert_cmpint (y, ==, 10);
  g_assert_cmpstr (typed->str, ==, "");
  g_string_free (g_steal_pointer (&typed), TRUE);

  rh_rdp_sharer_set_mode (s.sharer, RH_RDP_MODE_CONTROL);
  g_assert_true (rh_rdp_viewer_send_pointer (s.viewer, 400, 250, 0, FALSE, &error));
  g_assert_no_error (error);
  {
    gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

    do
      {
        rh_test_spin_ms (20);
        query_pointer (&x, &y);
      }
    while ((x != 400 || y != 250) && g_get_monotonic_time () < deadline);
  }
  g_assert_cmpint (x, ==, 400);
  g_assert_cmpint (y, ==, 250);

  /* ASCII goes as scancodes (Z with Shift); é, € and 😀 are in Xvfb's US layout nowhere:
   * they go as Unicode events and arrive as keysyms (Latin-1 or Unicode) on spare keycodes. */
  g_assert_true (rh_rdp_viewer_send_text (s.viewer, "aZ\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80",
                                          &error));
  g_assert_no_error (error);
  typed = read_typed (w, 3000);
  g_test_message ("typed keysyms: %s", typed->str);
  g_assert_cmpstr (typed->str, ==, "61 5a e9 10020ac 101f600");

  XDestroyWindow (dpy, w);
  XSync (dpy, False);
  session_stop (&s);
}

/* FreeRDP's own subsystem still works when selected: the first frame and later changes show
 * (its codecs may be lossy, so the check is by colour, with a tolerance). */
static void
test_stock (void)
{
  Session s;
  gint64 deadline;
  gboolean seen = FALSE;

  rh_test_x_fill (dpy, 0, 0, WIDTH, HEIGHT, 0x000080);
  session_start (&s, RH_RDP_CAPTURE_STOCK, RH_RDP_MODE_VIEW, RH_RDP_MODE_VIEW);
  rh_test_x_fill (dpy, 200, 200, 300, 200, 0xffff00);
  deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  while (!seen && g_get_monotonic_time () < deadline)
    {
      g_autoptr(GBytes) frame = NULL;
      int w, h;

      rh_test_spin_ms (50);
      frame = rh_rdp_viewer_get_frame (s.viewer, &w, &h);
      if (frame && w == WIDTH && h == HEIGHT)
        {
          const guint8 *p = g_bytes_get_data (frame, NULL);
          const guint8 *in = p + ((gsize) 300 * w + 350) * 4;
          const guint8 *out = p + ((gsize) 100 * w + 100) * 4;

          seen = in[2] > 240 && in[1] > 240 && in[0] < 16 &&
                 out[2] < 16 && out[1] < 16 && out[0] > 112 && out[0] < 144;
        }
    }
  g_assert_true (seen);
  session_stop (&s);
}

static void
on_sharer_client (RhRdpSharer *sharer,
                  guint       *count)
{
  (*count)++;
}

/* The mapped top-level window of that size on display, or None. */
static Window
find_window (Display *display,
             int      width,
             int      height)
{
  Window root, parent, *children = NULL, found = None;
  unsigned int n = 0;

  if (!XQueryTree (display, DefaultRootWindow (display), &root, &parent, &children, &n))
    return None;
  for (unsigned int i = 0; i < n && found == None; i++)
    {
      XWindowAttributes attrs;

      if (XGetWindowAttributes (display, children[i], &attrs) &&
          attrs.map_state == IsViewable && attrs.width == width && attrs.height == height)
        found = children[i];
    }
  if (children)
    XFree (children);
  return found;
}

/* A viewer that negotiated RemoteFX (xfreerdp /rfx) gets it while the whole screen keeps
 * changing, stays connected, and once the screen is still sees it exactly: the areas sent
 * lossy are sent again losslessly. */
static void
test_remotefx_refined (void)
{
  g_autoptr(RhRdpSharer) sharer = rh_rdp_sharer_new (display_name, RH_RDP_MODE_VIEW);
  g_autoptr(GError) error = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (21);
  g_autofree char *viewer_display = NULL;
  g_autofree char *v = NULL, *u = NULL, *p = NULL;
  g_auto(GStrv) envp = NULL;
  RhShadowX11Stats before, after;
  GPid viewer_xvfb = 0, xfreerdp = 0;
  Display *vdpy;
  Window window = None;
  XImage *shown, *wanted;
  guint connected = 0;
  gint64 deadline;
  int differences = 0;

  if (!g_find_program_in_path ("xfreerdp"))
    {
      g_printerr ("xfreerdp is not installed (see scripts/deps.sh)\n");
      g_assert_not_reached ();
    }
  viewer_display = rh_test_xvfb_start (G_STRINGIFY (WIDTH) "x" G_STRINGIFY (HEIGHT) "x24",
                                       &viewer_xvfb);
  rh_test_x_fill (dpy, 0, 0, WIDTH, HEIGHT, 0x224466);
  g_signal_connect (sharer, "client-connected", G_CALLBACK (on_sharer_client), &connected);
  g_assert_true (rh_rdp_sharer_start (sharer, &error));
  g_assert_no_error (error);

  v = g_strdup_printf ("/v:%s", rh_rdp_sharer_get_socket_path (sharer));
  u = g_strdup_printf ("/u:%s", rh_rdp_sharer_get_username (sharer));
  p = g_strdup_printf ("/p:%s", rh_rdp_sharer_get_password (sharer));
  envp = g_environ_setenv (g_get_environ (), "DISPLAY", viewer_display, TRUE);
  {
    const char *argv[] = { "xfreerdp", v, u, p, "/cert:ignore", "/sec:nla", "/rfx",
                           "/size:" G_STRINGIFY (WIDTH) "x" G_STRINGIFY (HEIGHT), NULL };

    g_spawn_async (NULL, (char **) argv, envp,
                   G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD |
                   G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                   die_with_parent, NULL, &xfreerdp, &error);
    g_assert_no_error (error);
  }
  deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  while (connected == 0 && g_get_monotonic_time () < deadline)
    rh_test_spin_ms (20);
  g_assert_cmpuint (connected, ==, 1);
  rh_test_spin_ms (2000);

  rh_shadow_x11_get_stats (&before);
  for (int i = 0; i < 30; i++)
    {
      rh_test_x_fill (dpy, 0, 0, WIDTH, HEIGHT, (i % 2) ? 0x8040c0 : 0x40c080);
      rh_test_spin_ms (40);
    }
  noise (100, 100, 300, 200, rand);
  rh_test_spin_ms (2000);
  rh_shadow_x11_get_stats (&after);
  g_test_message ("%" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " updates as RemoteFX",
                  after.remotefx_updates - before.remotefx_updates,
                  after.updates - before.updates);
  g_assert_cmpuint (after.remotefx_updates, >, before.remotefx_updates);
  g_assert_cmpint (waitpid (xfreerdp, NULL, WNOHANG), ==, 0);

  vdpy = XOpenDisplay (viewer_display);
  g_assert_nonnull (vdpy);
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while ((window = find_window (vdpy, WIDTH, HEIGHT)) == None &&
         g_get_monotonic_time () < deadline)
    rh_test_spin_ms (50);
  g_assert_true (window != None);
  shown = XGetImage (vdpy, window, 0, 0, WIDTH, HEIGHT, AllPlanes, ZPixmap);
  wanted = XGetImage (dpy, DefaultRootWindow (dpy), 0, 0, WIDTH, HEIGHT, AllPlanes, ZPixmap);
  g_assert_nonnull (shown);
  g_assert_nonnull (wanted);
  for (int y = 0; y < HEIGHT; y++)
    for (int x = 0; x < WIDTH; x++)
      if ((XGetPixel (shown, x, y) & 0xffffff) != (XGetPixel (wanted, x, y) & 0xffffff))
        differences++;
  XDestroyImage (shown);
  XDestroyImage (wanted);
  XCloseDisplay (vdpy);
  g_assert_cmpint (differences, ==, 0);

  kill_and_reap (xfreerdp);
  rh_rdp_sharer_stop (sharer);
  kill_and_reap (viewer_xvfb);
}

/* capture= in a configuration file: builtin or stock, anything else is an invalid file. */
static void
test_config (void)
{
  struct { const char *line; gboolean valid; const char *capture; } cases[] = {
    { "", TRUE, NULL },
    { "capture=builtin", TRUE, "builtin" },
    { "capture = stock ", TRUE, "stock" },
    { "capture=Stock", FALSE, NULL },
    { "capture=", FALSE, NULL },
    { "capture=xshm", FALSE, NULL },
  };
  g_autofree char *path = g_build_filename (home_dir, "capture.conf", NULL);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(RhConfig) config = rh_config_new ();
      g_autoptr(GError) error = NULL;
      g_autofree char *text = g_strdup_printf ("[remote-help]\n%s\n", cases[i].line);
      RhRdpCapture capture = RH_RDP_CAPTURE_BUILTIN;
      gboolean ok;

      g_assert_true (g_file_set_contents (path, text, -1, NULL));
      ok = rh_config_load_file (config, path, FALSE, &error);
      g_assert_cmpint (ok, ==, cases[i].valid);
      if (!ok)
        {
          g_assert_error (error, RH_CONFIG_ERROR, RH_ERROR_CONFIG_INVALID);
          continue;
        }
      g_assert_cmpstr (config->capture, ==, cases[i].capture);
      if (config->capture)
        {
          g_assert_true (rh_rdp_capture_from_string (config->capture, &capture));
          g_assert_cmpint (capture, ==, g_str_equal (cases[i].capture, "stock") ?
                           RH_RDP_CAPTURE_STOCK : RH_RDP_CAPTURE_BUILTIN);
        }
    }
  g_assert_false (rh_rdp_capture_from_string (NULL, &(RhRdpCapture) { 0 }));
}

/* ---- Measurements (-m perf): printed, not asserted ---- */

static double
cpu_seconds_of_self (void)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
         (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static double
cpu_seconds_of_pid (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", (int) pid);
  g_autofree char *text = NULL;
  const char *p;
  unsigned long utime = 0, stime = 0;

  if (!g_file_get_contents (path, &text, NULL, NULL) || !(p = strrchr (text, ')')))
    return 0;
  /* Fields after the command: state is 3rd; utime and stime are the 14th and 15th. */
  if (sscanf (p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2)
    return 0;
  return (double) (utime + stime) / sysconf (_SC_CLK_TCK);
}

/* CPU seconds of each thread of this process but the main one (which only runs the test),
 * by thread name. */
static GHashTable *
thread_cpu (void)
{
  GHashTable *table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GDir) dir = g_dir_open ("/proc/self/task", 0, NULL);
  const char *tid;

  while (dir && (tid = g_dir_read_name (dir)))
    {
      g_autofree char *stat_path = g_strdup_printf ("/proc/self/task/%s/stat", tid);
      g_autofree char *comm_path = g_strdup_printf ("/proc/self/task/%s/comm", tid);
      g_autofree char *text = NULL;
      g_autofree char *comm = NULL;
      unsigned long utime = 0, stime = 0;
      const char *p;
      double *value;

      if (atoi (tid) == getpid ())
        continue;
      if (!g_file_get_contents (stat_path, &text, NULL, NULL) || !(p = strrchr (text, ')')) ||
          sscanf (p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime,
                  &stime) != 2 ||
          !g_file_get_contents (comm_path, &comm, NULL, NULL))
        continue;
      g_strstrip (comm);
      value = g_new (double, 1);
      *value = (double) (utime + stime) / sysconf (_SC_CLK_TCK);
      g_hash_table_insert (table, g_strdup_printf ("%s/%s", comm, tid), value);
    }
  return table;
}

static gboolean
quit_loop (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

/* Changes of w x h, n times: from the X request to the viewer's frame showing all of it. */
static void
measure_latency (Session    *s,
                 const char *name,
                 const char *what,
                 int         w,
                 int         h,
                 int         n,
                 gboolean    text_like)
{
  g_autoptr(GArray) latencies = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GRand) rand = g_rand_new_with_seed (3);
  g_autofree guint32 *want = g_new (guint32, (gsize) w * h);
  guint64 bytes0;

  rh_test_spin_ms (300);
  bytes0 = proxy_bytes (s->proxy);
  for (int i = 0; i < n; i++)
    {
      int x = w == WIDTH ? 0 : 40 + (i % 10) * 100, y = h == HEIGHT ? 0 : 40 + (i / 10) * 200;
      guint32 colour = (i % 2) ? 0xff8000 : 0x00c0ff;
      XImage *image = XGetImage (dpy, DefaultRootWindow (dpy), x, y, w, h, AllPlanes, ZPixmap);
      GC gc = XCreateGC (dpy, DefaultRootWindow (dpy), 0, NULL);
      gint64 t0, t1 = 0;
      gboolean ok = FALSE;

      /* Solid, or black and white dots as a glyph is. */
      for (int j = 0; j < h; j++)
        for (int k = 0; k < w; k++)
          {
            guint32 px = text_like ? (g_rand_boolean (rand) ? 0xffffff : 0x000000) : colour;

            want[(gsize) j * w + k] = px;
            XPutPixel (image, k, j, px);
          }
      XPutImage (dpy, DefaultRootWindow (dpy), gc, image, 0, 0, x, y, w, h);
      XDestroyImage (image);
      XFreeGC (dpy, gc);
      XSync (dpy, False);
      t0 = g_get_monotonic_time ();
      while (!ok && g_get_monotonic_time () - t0 < 5 * G_USEC_PER_SEC)
        {
          g_autoptr(GBytes) frame = NULL;
          int fw, fh;

          if (!g_main_context_iteration (NULL, FALSE))
            g_usleep (200);
          frame = rh_rdp_viewer_get_frame (s->viewer, &fw, &fh);
          if (frame && fw == WIDTH && fh == HEIGHT)
            {
              const guint8 *data = g_bytes_get_data (frame, NULL);

              ok = TRUE;
              for (int j = h - 1; j >= 0 && ok; j--)
                for (int k = w - 1; k >= 0; k--)
                  {
                    const guint8 *p = data + ((gsize) (y + j) * fw + x + k) * 4;

                    if ((((guint32) p[2] << 16) | ((guint32) p[1] << 8) | p[0]) !=
                        want[(gsize) j * w + k])
                      {
                        ok = FALSE;
                        break;
                      }
                  }
              t1 = g_get_monotonic_time ();
            }
        }
      if (ok)
        {
          double ms = (t1 - t0) / 1000.0;

          g_array_append_val (latencies, ms);
        }
      rh_test_spin_ms (100);
    }
  g_array_sort (latencies, compare_doubles);
  if (latencies->len > 0)
    g_test_message ("%s: %s to viewer: p50 %.1f ms, min %.1f ms, max %.1f ms (%u of %d seen "
                    "exactly); %.0f bytes to the viewer per change (TLS included)",
                    name, what, g_array_index (latencies, double, latencies->len / 2),
                    g_array_index (latencies, double, 0),
                    g_array_index (latencies, double, latencies->len - 1), latencies->len, n,
                    (double) (proxy_bytes (s->proxy) - bytes0) / n);
  else
    g_test_message ("%s: %s: none of %d seen exactly", name, what, n);
}

static double
sum_thread_cpu (GHashTable *table)
{
  GHashTableIter iter;
  gpointer value;
  double total = 0;

  g_hash_table_iter_init (&iter, table);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    total += *(double *) value;
  return total;
}

/* The whole screen scrolls by 16 lines 30 times a second, a new dotted line appearing at the
 * bottom, for 5 s: CPU of the sharer's and viewer's threads, frames and bytes that arrived. */
static void
measure_scrolling (Session    *s,
                   const char *name)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (5);
  g_autoptr(GHashTable) threads0 = NULL;
  g_autoptr(GHashTable) threads1 = NULL;
  GC gc = XCreateGC (dpy, DefaultRootWindow (dpy), 0, NULL);
  XImage *line = XGetImage (dpy, DefaultRootWindow (dpy), 0, 0, WIDTH, 16, AllPlanes, ZPixmap);
  guint frames0 = s->frames;
  guint64 bytes0 = proxy_bytes (s->proxy);
  double x0 = cpu_seconds_of_pid (xvfb_pid), x1;
  gint64 start = g_get_monotonic_time ();
  const int steps = 150;

  threads0 = thread_cpu ();
  for (int i = 0; i < steps; i++)
    {
      gint64 next = start + (gint64) (i + 1) * G_USEC_PER_SEC / 30;

      for (int j = 0; j < 16; j++)
        for (int k = 0; k < WIDTH; k++)
          XPutPixel (line, k, j, g_rand_int_range (rand, 0, 8) == 0 ? 0x000000 : 0xffffff);
      XCopyArea (dpy, DefaultRootWindow (dpy), DefaultRootWindow (dpy), gc, 0, 16, WIDTH,
                 HEIGHT - 16, 0, 0);
      XPutImage (dpy, DefaultRootWindow (dpy), gc, line, 0, 0, 0, HEIGHT - 16, WIDTH, 16);
      XSync (dpy, False);
      while (g_get_monotonic_time () < next)
        if (!g_main_context_iteration (NULL, FALSE))
          g_usleep (1000);
    }
  threads1 = thread_cpu ();
  x1 = cpu_seconds_of_pid (xvfb_pid);
  g_test_message ("%s: full-screen scrolling at 30 Hz for 5 s: sharer+viewer threads %.0f %% "
                  "of a core, Xvfb %.0f %%, %u viewer updates, %.1f Mbit/s", name,
                  100 * (sum_thread_cpu (threads1) - sum_thread_cpu (threads0)) / 5,
                  100 * (x1 - x0) / 5, s->frames - frames0,
                  (proxy_bytes (s->proxy) - bytes0) * 8 / 5e6);
  XDestroyImage (line);
  XFreeGC (dpy, gc);
  rh_test_spin_ms (500);
}

static void
measure (RhRdpCapture capture,
         const char  *name)
{
  Session s;
  double cpu0, cpu1, x0, x1;
  const int seconds = 10;

  rh_test_x_fill (dpy, 0, 0, WIDTH, HEIGHT, 0x4060a0);
  session_start_full (&s, capture, RH_RDP_MODE_VIEW, RH_RDP_MODE_VIEW, TRUE);
  rh_test_spin_ms (2000);

  {
    g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
    g_autoptr(GHashTable) threads0 = NULL;
    g_autoptr(GHashTable) threads1 = NULL;
    g_autoptr(GString) detail = g_string_new (NULL);
    GHashTableIter iter;
    gpointer key, value;
    double others = 0;

    guint64 bytes0 = proxy_bytes (s.proxy);

    cpu0 = cpu_seconds_of_self ();
    x0 = cpu_seconds_of_pid (xvfb_pid);
    threads0 = thread_cpu ();
    g_timeout_add_seconds (seconds, quit_loop, loop);
    g_main_loop_run (loop);
    threads1 = thread_cpu ();
    cpu1 = cpu_seconds_of_self ();
    x1 = cpu_seconds_of_pid (xvfb_pid);
    g_hash_table_iter_init (&iter, threads1);
    while (g_hash_table_iter_next (&iter, &key, &value))
      {
        double *before = g_hash_table_lookup (threads0, key);
        double used = *(double *) value - (before ? *before : 0);

        others += used;
        if (used > 0)
          g_string_append_printf (detail, " %s %.2f%%", (char *) key, 100 * used / seconds);
      }
    g_test_message ("%s: static %dx%d screen, one viewer, %d s: whole process %.2f %% of a "
                    "core, its threads but the test's main one %.2f %%, Xvfb %.2f %%;%s",
                    name, WIDTH, HEIGHT, seconds, 100 * (cpu1 - cpu0) / seconds,
                    100 * others / seconds, 100 * (x1 - x0) / seconds, detail->str);
    g_test_message ("%s: static screen: %" G_GUINT64_FORMAT " bytes to the viewer in %d s",
                    name, proxy_bytes (s.proxy) - bytes0, seconds);
  }

  measure_latency (&s, name, "16x16 solid change", 16, 16, 30, FALSE);
  measure_latency (&s, name, "8x16 glyph-like change", 8, 16, 30, TRUE);
  measure_latency (&s, name, "full-screen solid change", WIDTH, HEIGHT, 10, FALSE);
  measure_latency (&s, name, "full-screen dotted change", WIDTH, HEIGHT, 4, TRUE);
  measure_scrolling (&s, name);
  /* A codec the viewer cannot decode would have cost the connection. */
  g_assert_false (s.disconnected);
  session_stop (&s);
}

static void
test_measure (void)
{
  if (!g_test_perf ())
    {
      g_test_skip ("Measurements run with -m perf");
      return;
    }
  measure (RH_RDP_CAPTURE_BUILTIN, "ours");
  measure (RH_RDP_CAPTURE_STOCK, "stock");
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  XInitThreads ();
  g_test_init (&argc, &argv, NULL);

  if (!g_find_program_in_path ("Xvfb"))
    {
      g_printerr ("Xvfb is not installed (see scripts/deps.sh)\n");
      return 1;
    }
  rh_test_private_home (&runtime_dir, &home_dir);

  display_name = rh_test_xvfb_start (G_STRINGIFY (WIDTH) "x" G_STRINGIFY (HEIGHT) "x24",
                                     &xvfb_pid);
  g_setenv ("DISPLAY", display_name, TRUE);
  dpy = XOpenDisplay (display_name);
  g_assert_nonnull (dpy);

  g_test_add_func ("/rdp-shadow/pixel-exact", test_pixel_exact);
  g_test_add_func ("/rdp-shadow/without-shm", test_without_shm);
  g_test_add_func ("/rdp-shadow/static-screen", test_static_screen);
  g_test_add_func ("/rdp-shadow/cursor", test_cursor);
  g_test_add_func ("/rdp-shadow/view-only-then-control", test_view_only_then_control);
  g_test_add_func ("/rdp-shadow/stock", test_stock);
  g_test_add_func ("/rdp-shadow/remotefx-refined", test_remotefx_refined);
  g_test_add_func ("/rdp-shadow/config", test_config);
  g_test_add_func ("/rdp-shadow/measure", test_measure);
  ret = g_test_run ();

  XCloseDisplay (dpy);
  kill_and_reap (xvfb_pid);
  rh_test_rm_rf (runtime_dir);
  rh_test_rm_rf (home_dir);
  return ret;
}
