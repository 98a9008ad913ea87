/* rh-auth-prompt-watch.c: is a system authentication prompt on the sharer's screen? (issue #6)
 *
 * While elevation is not granted, the helper must not see or type into the prompt where the
 * sharer enters a password. Prompts are ordinary X11 top-level windows of known programs, so
 * they are recognised by WM_CLASS (or, for configured entries, by title). The watch has its own
 * X connection and listens to SubstructureNotify on the root (maps, unmaps, moves, reparenting
 * by a window manager) and PropertyNotify on the top-levels (a class or title set late); any
 * such event schedules one rescan from an idle. No polling.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "rh-app"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>
#include <glib-unix.h>
#include <X11/Xlib.h>
#include <X11/Xatom.h>
#include <X11/Xutil.h>

#include "rh-auth-prompt-watch.h"
#include "rh-error.h"

#define MAX_CLASSES 64
#define MAX_CLASS_LEN 128
#define MAX_DEPTH 3     /* root child → WM frame → (decoration) → client */

static const char * const default_classes[] = {
  "polkit-gnome-authentication-agent-1",
  "polkit-kde-authentication-agent-1",
  "polkit-mate-authentication-agent-1",
  "lxpolkit",
  "lxqt-policykit-agent",
  "xfce-polkit",
  "polkit-efl-authentication-agent-1",
  "gcr-prompter",
  "ssh-askpass",
  "x11-ssh-askpass",
  "ssh-askpass-gnome",
  "gnome-ssh-askpass",
  "ksshaskpass",
  "lxqt-openssh-askpass",
  "pinentry",
  "pinentry-gtk-2",
  "pinentry-gtk",
  "pinentry-gnome3",
  "pinentry-qt",
  "pinentry-qt5",
  "pinentry-fltk",
  "pinentry-x2go",
  "gksu",
  "gksudo",
  "kdesu",
  "kdesudo",
  NULL
};

struct _RhAuthPromptWatch
{
  Display          *display;
  Window            root;
  Atom              net_wm_name;
  Atom              utf8_string;
  GStrv             classes;   /* lowercase */
  GStrv             titles;
  guint             fd_source;
  guint             idle_source;
  GArray           *rects;
  GArray           *windows;   /* Window of each rect: the top-level (frame) */
  gboolean          reported;
  RhAuthPromptFunc  callback;
  gpointer          user_data;
};

const char * const *
rh_auth_prompt_default_classes (void)
{
  return default_classes;
}

GStrv
rh_auth_prompt_classes_parse (const char  *value,
                              GError     **error)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_auto(GStrv) entries = NULL;
  guint n = 0;

  if (value == NULL)
    return g_strv_builder_end (builder);
  if (!g_utf8_validate (value, -1, NULL))
    {
      g_set_error (error, RH_CONFIG_ERROR, RH_ERROR_AUTH_PROMPT_CLASSES_INVALID,
                   _("auth-prompt-classes is not UTF-8 text"));
      return NULL;
    }
  entries = g_strsplit (value, ";", -1);
  for (guint i = 0; entries[i] != NULL; i++)
    {
      char *entry = g_strstrip (entries[i]);
      const char *word = g_str_has_prefix (entry, "title=") ? entry + 6 : entry;

      if (*entry == '\0')
        continue;
      if (*word == '\0' || strlen (entry) > MAX_CLASS_LEN)
        {
          g_set_error (error, RH_CONFIG_ERROR, RH_ERROR_AUTH_PROMPT_CLASSES_INVALID,
                       _("auth-prompt-classes entry %u is empty or longer than %d bytes"),
                       i + 1, MAX_CLASS_LEN);
          return NULL;
        }
      for (const char *p = entry; *p; p++)
        if ((guchar) *p < 0x20 || *p == 0x7f || (word == entry && (*p == '=' || *p == ' ')))
          {
            g_set_error (error, RH_CONFIG_ERROR, RH_ERROR_AUTH_PROMPT_CLASSES_INVALID,
                         _("auth-prompt-classes entry %u has a character a window class cannot have"),
                         i + 1);
            return NULL;
          }
      if (++n > MAX_CLASSES)
        {
          g_set_error (error, RH_CONFIG_ERROR, RH_ERROR_AUTH_PROMPT_CLASSES_INVALID,
                       _("auth-prompt-classes has more than %d entries"), MAX_CLASSES);
          return NULL;
        }
      g_strv_builder_add (builder, entry);
    }
  return g_strv_builder_end (builder);
}

/* Windows vanish while we look at them; those errors are expected and harmless. Only installed
 * around our own requests, so a toolkit's handler on another connection keeps working. */
static int
ignore_x_error (Display     *display,
                XErrorEvent *event)
{
  return 0;
}

static gboolean
class_matches (RhAuthPromptWatch *self,
               const char        *name)
{
  g_autofree char *lower = NULL;

  if (name == NULL)
    return FALSE;
  lower = g_ascii_strdown (name, -1);
  return g_strv_contains ((const char * const *) self->classes, lower);
}

static char *
window_title (RhAuthPromptWatch *self,
              Window             window)
{
  Atom type;
  int format;
  unsigned long n, after;
  unsigned char *data = NULL;
  char *title = NULL;

  if (XGetWindowProperty (self->display, window, self->net_wm_name, 0, 256, False,
                          self->utf8_string, &type, &format, &n, &after, &data) == Success &&
      data != NULL && format == 8 && n > 0)
    title = g_strndup ((char *) data, n);
  if (data != NULL)
    XFree (data);
  if (title == NULL)
    {
      char *name = NULL;

      if (XFetchName (self->display, window, &name) && name != NULL)
        {
          title = g_strdup (name);
          XFree (name);
        }
    }
  return title;
}

/* Does @window or a window below it (a WM frame holds the client) belong to a prompt? */
static gboolean
is_prompt (RhAuthPromptWatch *self,
           Window             window,
           int                depth)
{
  XClassHint hint = { NULL, NULL };
  gboolean has_class, match = FALSE;
  Window root_ret, parent, *children = NULL;
  unsigned int n = 0;

  XSelectInput (self->display, window, PropertyChangeMask);
  has_class = XGetClassHint (self->display, window, &hint);
  if (has_class)
    {
      match = class_matches (self, hint.res_name) || class_matches (self, hint.res_class);
      XFree (hint.res_name);
      XFree (hint.res_class);
    }
  if (!match && self->titles[0] != NULL)
    {
      g_autofree char *title = window_title (self, window);

      match = title != NULL && g_strv_contains ((const char * const *) self->titles, title);
    }
  if (match || has_class || depth >= MAX_DEPTH)
    return match;

  if (XQueryTree (self->display, window, &root_ret, &parent, &children, &n))
    {
      for (unsigned int i = 0; i < n && !match; i++)
        match = is_prompt (self, children[i], depth + 1);
      if (children != NULL)
        XFree (children);
    }
  return match;
}

static GArray *
scan (RhAuthPromptWatch *self,
      GArray            *windows)
{
  GArray *rects = g_array_new (FALSE, FALSE, sizeof (RhAuthPromptRect));
  Window root_ret, parent, *children = NULL;
  unsigned int n = 0;
  int (*old_handler) (Display *, XErrorEvent *) = XSetErrorHandler (ignore_x_error);

  if (XQueryTree (self->display, self->root, &root_ret, &parent, &children, &n))
    {
      for (unsigned int i = 0; i < n; i++)
        {
          XWindowAttributes attrs;

          if (!XGetWindowAttributes (self->display, children[i], &attrs) ||
              attrs.map_state != IsViewable || attrs.class == InputOnly)
            continue;
          if (is_prompt (self, children[i], 0))
            {
              RhAuthPromptRect r = { attrs.x, attrs.y,
                                     attrs.width + 2 * attrs.border_width,
                                     attrs.height + 2 * attrs.border_width };

              g_array_append_val (rects, r);
              g_array_append_val (windows, children[i]);
            }
        }
      if (children != NULL)
        XFree (children);
    }
  XSync (self->display, False);
  XSetErrorHandler (old_handler);
  return rects;
}

static gboolean
same_rects (GArray *a,
            GArray *b)
{
  return a->len == b->len &&
         memcmp (a->data, b->data, a->len * sizeof (RhAuthPromptRect)) == 0;
}

/* Reads every queued event; TRUE when one of them can change what is on screen. Property
 * changes other than class and title (user time, active window…) happen constantly and are
 * ignored. */
static gboolean
drain_events (RhAuthPromptWatch *self)
{
  gboolean changed = FALSE;

  while (XPending (self->display) > 0)
    {
      XEvent event;

      XNextEvent (self->display, &event);
      switch (event.type)
        {
        case MapNotify:
        case UnmapNotify:
        case DestroyNotify:
        case ReparentNotify:
          changed = TRUE;
          break;
        case ConfigureNotify:
          /* Only a prompt's own move matters; other windows move all the time (the laser
           * pointer's overlay thirty times a second). */
          for (guint i = 0; i < self->windows->len && !changed; i++)
            changed = g_array_index (self->windows, Window, i) == event.xconfigure.window;
          break;
        case PropertyNotify:
          changed = changed || event.xproperty.atom == XA_WM_CLASS ||
                    event.xproperty.atom == XA_WM_NAME ||
                    event.xproperty.atom == self->net_wm_name;
          break;
        default:
          break;
        }
    }
  return changed;
}

static void schedule_rescan (RhAuthPromptWatch *self);

static gboolean
rescan_idle (gpointer user_data)
{
  RhAuthPromptWatch *self = user_data;
  g_autoptr(GArray) windows = g_array_new (FALSE, FALSE, sizeof (Window));
  g_autoptr(GArray) rects = scan (self, windows);

  self->idle_source = 0;
  g_array_unref (self->windows);
  self->windows = g_steal_pointer (&windows);
  /* The scan's round trips may have queued events the fd watch will never see. */
  if (drain_events (self))
    schedule_rescan (self);
  if (self->reported && same_rects (rects, self->rects))
    return G_SOURCE_REMOVE;
  g_array_unref (self->rects);
  self->rects = g_steal_pointer (&rects);
  self->reported = TRUE;
  g_debug ("Authentication prompts visible: %u", self->rects->len);
  if (self->callback != NULL)
    self->callback (self->rects->len > 0, self->rects, self->user_data);
  return G_SOURCE_REMOVE;
}

static void
schedule_rescan (RhAuthPromptWatch *self)
{
  if (self->idle_source == 0)
    self->idle_source = g_idle_add (rescan_idle, self);
}

static gboolean
on_x_events (int          fd,
             GIOCondition condition,
             gpointer     user_data)
{
  RhAuthPromptWatch *self = user_data;

  if (condition & (G_IO_HUP | G_IO_ERR))
    {
      g_warning ("The X connection of the authentication prompt watch was closed");
      self->fd_source = 0;
      return G_SOURCE_REMOVE;
    }
  if (drain_events (self))
    schedule_rescan (self);
  return G_SOURCE_CONTINUE;
}

RhAuthPromptWatch *
rh_auth_prompt_watch_new (const char          *display_name,
                          const char * const  *extra_classes,
                          RhAuthPromptFunc     callback,
                          gpointer             user_data,
                          GError             **error)
{
  g_autoptr(GStrvBuilder) classes = g_strv_builder_new ();
  g_autoptr(GStrvBuilder) titles = g_strv_builder_new ();
  RhAuthPromptWatch *self;
  Display *display = XOpenDisplay (display_name);

  if (display == NULL)
    {
      g_set_error (error, RH_CONFIG_ERROR, RH_ERROR_AUTH_PROMPT_WATCH,
                   _("Cannot open the display %s"),
                   display_name != NULL ? display_name : g_getenv ("DISPLAY"));
      return NULL;
    }

  for (guint i = 0; default_classes[i] != NULL; i++)
    g_strv_builder_add (classes, default_classes[i]);
  for (guint i = 0; extra_classes != NULL && extra_classes[i] != NULL; i++)
    {
      if (g_str_has_prefix (extra_classes[i], "title="))
        g_strv_builder_add (titles, extra_classes[i] + 6);
      else
        {
          g_autofree char *lower = g_ascii_strdown (extra_classes[i], -1);

          g_strv_builder_add (classes, lower);
        }
    }

  self = g_new0 (RhAuthPromptWatch, 1);
  self->display = display;
  self->root = DefaultRootWindow (display);
  self->net_wm_name = XInternAtom (display, "_NET_WM_NAME", False);
  self->utf8_string = XInternAtom (display, "UTF8_STRING", False);
  self->classes = g_strv_builder_end (classes);
  self->titles = g_strv_builder_end (titles);
  self->rects = g_array_new (FALSE, FALSE, sizeof (RhAuthPromptRect));
  self->windows = g_array_new (FALSE, FALSE, sizeof (Window));
  self->callback = callback;
  self->user_data = user_data;

  XSelectInput (display, self->root, SubstructureNotifyMask | PropertyChangeMask);
  XFlush (display);
  self->fd_source = g_unix_fd_add (ConnectionNumber (display), G_IO_IN | G_IO_HUP | G_IO_ERR,
                                   on_x_events, self);
  schedule_rescan (self);
  return self;
}

gboolean
rh_auth_prompt_watch_is_visible (RhAuthPromptWatch *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->rects->len > 0;
}

GArray *
rh_auth_prompt_watch_get_rects (RhAuthPromptWatch *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->rects;
}

void
rh_auth_prompt_watch_free (RhAuthPromptWatch *self)
{
  if (self == NULL)
    return;
  g_clear_handle_id (&self->fd_source, g_source_remove);
  g_clear_handle_id (&self->idle_source, g_source_remove);
  XCloseDisplay (self->display);
  g_strfreev (self->classes);
  g_strfreev (self->titles);
  g_array_unref (self->rects);
  g_array_unref (self->windows);
  g_free (self);
}
