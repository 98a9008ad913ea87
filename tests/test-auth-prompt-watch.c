/* test-auth-prompt-watch.c: recognising authentication prompts on a private Xvfb
 *
 * The test plays the desktop's programs with its own X connection: windows with the classes of
 * polkit agents and askpass programs, ordinary windows, a window-manager-like frame around a
 * prompt, a class set after mapping. It checks what the watch reports and that it reports it
 * by itself (events, not polling: the test only runs the main loop).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <X11/Xlib.h>
#include <X11/Xutil.h>

#include "rh-auth-prompt-watch.h"
#include "rh-error.h"
#include "rh-test-xvfb.h"

static char *display_name;

typedef struct
{
  guint   calls;
  gboolean visible;
  GArray *rects;
} Report;

static void
on_report (gboolean visible,
           GArray  *rects,
           gpointer user_data)
{
  Report *r = user_data;

  r->calls++;
  r->visible = visible;
  g_array_set_size (r->rects, 0);
  g_array_append_vals (r->rects, rects->data, rects->len);
}

/* Runs the main loop until @r has had more than @calls reports and has @n rects. */
static void
wait_report (Report *r,
             guint   calls,
             guint   n)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (!(r->calls > calls && r->rects->len == n))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("Expected a report with %u prompt(s); last had %u after %u calls", n,
                 r->rects->len, r->calls);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (5 * 1000);
    }
  g_assert_cmpint (r->visible, ==, n > 0);
}

static Window
make_window (Display    *dpy,
             Window      parent,
             int x, int y, int w, int h,
             const char *res_name,
             const char *res_class,
             const char *title,
             gboolean    map)
{
  Window win = XCreateSimpleWindow (dpy, parent, x, y, w, h, 0, 0, 0xffffff);

  if (res_name != NULL)
    {
      XClassHint hint = { (char *) res_name, (char *) res_class };

      XSetClassHint (dpy, win, &hint);
    }
  if (title != NULL)
    XStoreName (dpy, win, title);
  if (map)
    XMapWindow (dpy, win);
  XSync (dpy, False);
  return win;
}

static RhAuthPromptRect
rect (Report *r,
      guint   i)
{
  return g_array_index (r->rects, RhAuthPromptRect, i);
}

static void
assert_rect (RhAuthPromptRect got,
             int x, int y, int w, int h)
{
  g_assert_cmpint (got.x, ==, x);
  g_assert_cmpint (got.y, ==, y);
  g_assert_cmpint (got.width, ==, w);
  g_assert_cmpint (got.height, ==, h);
}

static void
test_parse (void)
{
  g_auto(GStrv) classes = NULL;
  g_autoptr(GError) error = NULL;
  const char *bad[] = { "a b", "x=y", "title=", "tab\there", "\xff", NULL };

  classes = rh_auth_prompt_classes_parse (" corp-vpn-auth ; title=Enter password;;Foo ", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (classes), ==, 3);
  g_assert_cmpstr (classes[0], ==, "corp-vpn-auth");
  g_assert_cmpstr (classes[1], ==, "title=Enter password");
  g_assert_cmpstr (classes[2], ==, "Foo");
  g_clear_pointer (&classes, g_strfreev);

  classes = rh_auth_prompt_classes_parse (NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (classes), ==, 0);
  g_clear_pointer (&classes, g_strfreev);

  for (guint i = 0; bad[i] != NULL; i++)
    {
      classes = rh_auth_prompt_classes_parse (bad[i], &error);
      g_assert_null (classes);
      g_assert_error (error, RH_CONFIG_ERROR, RH_ERROR_AUTH_PROMPT_CLASSES_INVALID);
      g_clear_error (&error);
    }
  {
    g_autoptr(GString) many = g_string_new (NULL);
    g_autofree char *longer = g_strnfill (200, 'a');

    for (int i = 0; i < 70; i++)
      g_string_append_printf (many, "c%d;", i);
    classes = rh_auth_prompt_classes_parse (many->str, &error);
    g_assert_error (error, RH_CONFIG_ERROR, RH_ERROR_AUTH_PROMPT_CLASSES_INVALID);
    g_clear_error (&error);
    classes = rh_auth_prompt_classes_parse (longer, &error);
    g_assert_error (error, RH_CONFIG_ERROR, RH_ERROR_AUTH_PROMPT_CLASSES_INVALID);
    g_clear_error (&error);
  }

  g_assert_true (g_strv_contains (rh_auth_prompt_default_classes (),
                                  "polkit-gnome-authentication-agent-1"));
  g_assert_true (g_strv_contains (rh_auth_prompt_default_classes (), "gcr-prompter"));
}

static void
test_no_display (void)
{
  g_autoptr(GError) error = NULL;
  RhAuthPromptWatch *watch;

  /* A display number nothing listens on (Xvfb listens only on its own socket). */
  watch = rh_auth_prompt_watch_new (":65000", NULL, on_report, NULL, &error);
  g_assert_null (watch);
  g_assert_error (error, RH_CONFIG_ERROR, RH_ERROR_AUTH_PROMPT_WATCH);
}

static void
test_watch (void)
{
  Display *dpy = XOpenDisplay (display_name);
  Window root, normal, prompt, frame, late, corp, titled;
  Report def = { 0, FALSE, g_array_new (FALSE, FALSE, sizeof (RhAuthPromptRect)) };
  Report ext = { 0, FALSE, g_array_new (FALSE, FALSE, sizeof (RhAuthPromptRect)) };
  g_autoptr(RhAuthPromptWatch) watch = NULL;
  g_autoptr(RhAuthPromptWatch) extended = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) extra = rh_auth_prompt_classes_parse ("Corp-VPN-Auth;title=Enter password",
                                                      &error);
  guint calls, ext_calls;

  g_assert_no_error (error);
  g_assert_nonnull (dpy);
  root = DefaultRootWindow (dpy);

  watch = rh_auth_prompt_watch_new (display_name, NULL, on_report, &def, &error);
  g_assert_no_error (error);
  extended = rh_auth_prompt_watch_new (display_name, (const char * const *) extra, on_report,
                                       &ext, &error);
  g_assert_no_error (error);
  wait_report (&def, 0, 0);   /* the initial state: nothing */
  wait_report (&ext, 0, 0);
  g_assert_false (rh_auth_prompt_watch_is_visible (watch));

  /* An ordinary window is not a prompt; then a polkit agent's is, with its geometry (the
   * ordinary one is mapped first, so a report including it would come first). */
  normal = make_window (dpy, root, 10, 10, 400, 300, "xterm", "XTerm", "Terminal", TRUE);
  calls = def.calls;
  prompt = make_window (dpy, root, 100, 120, 300, 200, "polkit-gnome-authentication-agent-1",
                        "Polkit-gnome-authentication-agent-1", "Authenticate", TRUE);
  wait_report (&def, calls, 1);
  assert_rect (rect (&def, 0), 100, 120, 300, 200);
  g_assert_true (rh_auth_prompt_watch_is_visible (watch));
  g_assert_cmpuint (rh_auth_prompt_watch_get_rects (watch)->len, ==, 1);

  /* Moved: reported again where it is now. */
  calls = def.calls;
  XMoveResizeWindow (dpy, prompt, 200, 150, 320, 210);
  XSync (dpy, False);
  wait_report (&def, calls, 1);
  assert_rect (rect (&def, 0), 200, 150, 320, 210);

  /* Unmapped: gone. */
  calls = def.calls;
  XUnmapWindow (dpy, prompt);
  XSync (dpy, False);
  wait_report (&def, calls, 0);

  /* Inside a window manager's frame (the frame has no class): the frame's rectangle. */
  calls = def.calls;
  frame = make_window (dpy, root, 50, 60, 420, 260, NULL, NULL, NULL, FALSE);
  make_window (dpy, frame, 4, 24, 410, 230, "gcr-prompter", "Gcr-prompter", "Unlock", TRUE);
  XMapWindow (dpy, frame);
  XSync (dpy, False);
  wait_report (&def, calls, 1);
  assert_rect (rect (&def, 0), 50, 60, 420, 260);

  /* A class set after mapping is noticed through PropertyNotify. */
  calls = def.calls;
  late = make_window (dpy, root, 600, 400, 200, 100, NULL, NULL, NULL, TRUE);
  {
    XClassHint hint = { (char *) "ssh-askpass", (char *) "Ssh-askpass" };

    XSetClassHint (dpy, late, &hint);
    XSync (dpy, False);
  }
  wait_report (&def, calls, 2);

  /* Configured entries: only the extended watch knows them. */
  XDestroyWindow (dpy, frame);
  XDestroyWindow (dpy, late);
  XSync (dpy, False);
  wait_report (&def, 0, 0);
  wait_report (&ext, 0, 0);
  calls = ext.calls;
  corp = make_window (dpy, root, 300, 300, 250, 120, "corp-vpn-auth", "Corp-vpn-auth", "VPN",
                      TRUE);
  wait_report (&ext, calls, 1);
  assert_rect (rect (&ext, 0), 300, 300, 250, 120);
  calls = ext.calls;
  titled = make_window (dpy, root, 20, 500, 240, 110, "someagent", "SomeAgent",
                        "Enter password", TRUE);
  wait_report (&ext, calls, 2);
  /* The default watch saw neither: its next report, for a known prompt, has one rectangle. */
  calls = def.calls;
  ext_calls = ext.calls;
  XMapWindow (dpy, prompt);
  XSync (dpy, False);
  wait_report (&def, calls, 1);
  assert_rect (rect (&def, 0), 200, 150, 320, 210);
  wait_report (&ext, ext_calls, 3);

  XDestroyWindow (dpy, normal);
  XDestroyWindow (dpy, corp);
  XDestroyWindow (dpy, titled);
  XDestroyWindow (dpy, prompt);
  XSync (dpy, False);
  wait_report (&def, 0, 0);
  wait_report (&ext, 0, 0);
  XCloseDisplay (dpy);
  g_array_unref (def.rects);
  g_array_unref (ext.rects);
}

int
main (int   argc,
      char *argv[])
{
  GPid xvfb = 0;
  int status;

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  display_name = rh_test_xvfb_start ("1024x768x24", &xvfb);
  g_test_message ("Xvfb on %s", display_name);

  g_test_add_func ("/auth-prompt-watch/parse", test_parse);
  g_test_add_func ("/auth-prompt-watch/no-display", test_no_display);
  g_test_add_func ("/auth-prompt-watch/watch", test_watch);
  status = g_test_run ();
  rh_test_xvfb_stop (xvfb);
  return status;
}
