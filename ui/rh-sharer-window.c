/* rh-sharer-window.c: the sharer's small status window while the screen is shared
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "rh-ui"

#include "config.h"

#include <glib/gi18n.h>

#include "rh-sharer-window.h"
#include "rh-ui-session-resources.h"

struct _RhSharerWindow
{
  AdwApplicationWindow parent_instance;

  AdwAvatar *avatar;
  GtkLabel *who_label;
  GtkLabel *details_label;
  GtkLabel *mode_label;
  GtkLabel *elevation_label;
  GtkLabel *monitor_label;
  GtkToggleButton *chat_button;
  GtkRevealer *chat_revealer;
  RhChatView *chat_view;

  RhRdpMode mode;
  gboolean stopped;
  char *end_action;          /* administrator access granted: "sign-out" or "lock" */
  GtkWindow *confirm_dialog;
};

enum
{
  SIGNAL_STOP,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (RhSharerWindow, rh_sharer_window, ADW_TYPE_APPLICATION_WINDOW)

static void
stop_now (RhSharerWindow *self)
{
  GtkWidget *widget = GTK_WIDGET (self);

  if (self->stopped)
    return;
  self->stopped = TRUE;
  gtk_widget_action_set_enabled (widget, "sharer.stop", FALSE);
  gtk_label_set_label (self->mode_label, _("Stopping…"));
  rh_chat_view_set_ended (self->chat_view);
  g_signal_emit (self, signals[SIGNAL_STOP], 0);
}

static void
on_confirm_response (AdwMessageDialog *dialog,
                     const char       *response,
                     RhSharerWindow   *self)
{
  self->confirm_dialog = NULL;
  if (g_strcmp0 (response, "stop") == 0)
    stop_now (self);
}

/* After administrator access the end signs the person out (or locks): they hear it before,
 * with time to save their work. */
static void
stop_activated (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  RhSharerWindow *self = RH_SHARER_WINDOW (widget);
  gboolean lock = g_strcmp0 (self->end_action, "lock") == 0;
  GtkWidget *dialog;

  if (self->stopped)
    return;
  if (self->end_action == NULL)
    {
      stop_now (self);
      return;
    }
  if (self->confirm_dialog != NULL)
    {
      gtk_window_present (self->confirm_dialog);
      return;
    }
  dialog = adw_message_dialog_new (GTK_WINDOW (self),
                                   lock ? _("Stop Sharing and Lock?")
                                        : _("Stop Sharing and Sign Out?"),
                                   lock ? _("Your helper had administrator access. When sharing "
                                            "stops, the administrator tools they started are "
                                            "closed and your screen is locked.")
                                        : _("Your helper had administrator access. When sharing "
                                            "stops, the administrator tools they started are "
                                            "closed and you are signed out of this computer. "
                                            "Save your work first: unsaved work in open "
                                            "applications will be lost."));
  gtk_window_set_title (GTK_WINDOW (dialog), lock ? _("Stop Sharing and Lock?")
                                                  : _("Stop Sharing and Sign Out?"));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Keep Sharing"),
                                    "stop", lock ? _("_Stop and Lock")
                                                 : _("_Stop and Sign Out"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "stop",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  /* Wide enough for the buttons side by side: stacked, the destructive one would come first
   * and take the keyboard focus. */
  gtk_window_set_default_size (GTK_WINDOW (dialog), 460, -1);
  g_signal_connect (dialog, "response", G_CALLBACK (on_confirm_response), self);
  self->confirm_dialog = GTK_WINDOW (dialog);
  gtk_window_present (GTK_WINDOW (dialog));
}

void
rh_sharer_window_set_elevation (RhSharerWindow *self,
                                const char     *end_action)
{
  g_return_if_fail (RH_IS_SHARER_WINDOW (self));

  g_free (self->end_action);
  self->end_action = g_strdup (end_action);
  if (end_action == NULL)
    {
      gtk_widget_set_visible (GTK_WIDGET (self->elevation_label), FALSE);
      return;
    }
  gtk_label_set_label (self->elevation_label,
                       g_str_equal (end_action, "lock")
                       ? _("They have administrator access: they can enter administrator "
                           "passwords and run administrative tools. When sharing stops, your "
                           "screen will be locked.")
                       : _("They have administrator access: they can enter administrator "
                           "passwords and run administrative tools. When sharing stops, you "
                           "will be signed out."));
  gtk_widget_set_visible (GTK_WIDGET (self->elevation_label), TRUE);
}

/* Closing the window must not leave the screen shared without this window: it stops. */
static gboolean
rh_sharer_window_close_request (GtkWindow *window)
{
  RhSharerWindow *self = RH_SHARER_WINDOW (window);

  if (!self->stopped)
    {
      gtk_widget_activate_action (GTK_WIDGET (self), "sharer.stop", NULL);
      return TRUE;   /* the session layer destroys us once sharing has stopped */
    }
  return GTK_WINDOW_CLASS (rh_sharer_window_parent_class)->close_request (window);
}

void
rh_sharer_window_set_mode (RhSharerWindow *self,
                           RhRdpMode       mode)
{
  g_return_if_fail (RH_IS_SHARER_WINDOW (self));

  self->mode = mode;
  if (self->stopped)
    return;
  if (mode == RH_RDP_MODE_CONTROL)
    {
      gtk_label_set_label (self->mode_label,
                           _("They can also use your mouse and keyboard."));
      gtk_widget_add_css_class (GTK_WIDGET (self->mode_label), "warning");
    }
  else
    {
      gtk_label_set_label (self->mode_label,
                           _("They can only watch: they cannot use your mouse or keyboard."));
      gtk_widget_remove_css_class (GTK_WIDGET (self->mode_label), "warning");
    }
}

void
rh_sharer_window_set_monitor (RhSharerWindow *self,
                              int             index,
                              guint           count)
{
  g_autofree char *text = NULL;

  g_return_if_fail (RH_IS_SHARER_WINDOW (self));

  if (index >= 0 && (guint) index < count)
    /* Translators: which of the person's monitors the helper sees, e.g. "monitor 2 of 2" */
    text = g_strdup_printf (_("Sharing monitor %d of %u"), index + 1, count);
  else
    text = g_strdup (_("Sharing all monitors"));
  gtk_label_set_label (self->monitor_label, text);
  /* With one monitor there is nothing to tell apart. */
  gtk_widget_set_visible (GTK_WIDGET (self->monitor_label), count > 1);
}

RhChatView *
rh_sharer_window_get_chat_view (RhSharerWindow *self)
{
  g_return_val_if_fail (RH_IS_SHARER_WINDOW (self), NULL);
  return self->chat_view;
}

void
rh_sharer_window_set_chat_enabled (RhSharerWindow *self,
                                   gboolean        enabled)
{
  g_return_if_fail (RH_IS_SHARER_WINDOW (self));

  rh_chat_view_set_enabled (self->chat_view, enabled);
}

void
rh_sharer_window_add_chat_message (RhSharerWindow      *self,
                                   const RhChatMessage *message)
{
  g_return_if_fail (RH_IS_SHARER_WINDOW (self));

  rh_chat_view_add_message (self->chat_view, message);
}

static void
rh_sharer_window_dispose (GObject *object)
{
  RhSharerWindow *self = RH_SHARER_WINDOW (object);

  if (self->confirm_dialog != NULL)
    gtk_window_destroy (g_steal_pointer (&self->confirm_dialog));
  g_clear_pointer (&self->end_action, g_free);
  gtk_widget_dispose_template (GTK_WIDGET (self), RH_TYPE_SHARER_WINDOW);

  G_OBJECT_CLASS (rh_sharer_window_parent_class)->dispose (object);
}

static void
rh_sharer_window_class_init (RhSharerWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = rh_sharer_window_dispose;
  window_class->close_request = rh_sharer_window_close_request;

  signals[SIGNAL_STOP] =
    g_signal_new ("stop", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);

  g_type_ensure (RH_TYPE_CHAT_VIEW);
  /* Referencing the bundle links it (and its registering constructor) from the static library */
  (void) rh_ui_session_get_resource ();
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/remotehelp/RemoteHelp/session/"
                                               "rh-sharer-window.ui");
  gtk_widget_class_bind_template_child (widget_class, RhSharerWindow, avatar);
  gtk_widget_class_bind_template_child (widget_class, RhSharerWindow, who_label);
  gtk_widget_class_bind_template_child (widget_class, RhSharerWindow, details_label);
  gtk_widget_class_bind_template_child (widget_class, RhSharerWindow, mode_label);
  gtk_widget_class_bind_template_child (widget_class, RhSharerWindow, elevation_label);
  gtk_widget_class_bind_template_child (widget_class, RhSharerWindow, monitor_label);
  gtk_widget_class_bind_template_child (widget_class, RhSharerWindow, chat_button);
  gtk_widget_class_bind_template_child (widget_class, RhSharerWindow, chat_view);
  gtk_widget_class_bind_template_child (widget_class, RhSharerWindow, chat_revealer);

  gtk_widget_class_install_action (widget_class, "sharer.stop", NULL, stop_activated);
}

static void
rh_sharer_window_init (RhSharerWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->mode = RH_RDP_MODE_VIEW;
  rh_chat_view_set_own_role (self->chat_view, "sharer");
  rh_chat_view_attach_toggle (self->chat_view, self->chat_button, self->chat_revealer);
}

static void
set_photo (RhSharerWindow *self,
           GBytes         *photo)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GdkTexture) texture = NULL;

  if (photo == NULL)
    return;
  texture = gdk_texture_new_from_bytes (photo, &error);
  if (texture == NULL)
    {
      g_debug ("The helper's photo could not be read: %s", error->message);
      return;
    }
  adw_avatar_set_custom_image (self->avatar, GDK_PAINTABLE (texture));
}

RhSharerWindow *
rh_sharer_window_new (GtkApplication       *application,
                      const RhIdentityCard *helper,
                      RhRdpMode             mode)
{
  RhSharerWindow *self;
  const char *name;
  g_autofree char *who = NULL;
  g_autoptr (GString) details = g_string_new (NULL);

  g_return_val_if_fail (application == NULL || GTK_IS_APPLICATION (application), NULL);
  g_return_val_if_fail (helper != NULL, NULL);

  self = g_object_new (RH_TYPE_SHARER_WINDOW, "application", application, NULL);

  name = helper->display_name != NULL && helper->display_name[0] != '\0' ? helper->display_name
                                                                         : helper->login;
  if (name == NULL || name[0] == '\0')
    name = _("The helper");
  /* Translators: %s is the helper's name, from their identity card */
  who = g_strdup_printf (_("%s can see your screen"), name);
  gtk_label_set_label (self->who_label, who);
  adw_avatar_set_text (self->avatar, name);
  set_photo (self, helper->photo);

  if (helper->job_title != NULL && helper->job_title[0] != '\0')
    g_string_append (details, helper->job_title);
  if (helper->company != NULL && helper->company[0] != '\0')
    g_string_append_printf (details, "%s%s", details->len > 0 ? " · " : "", helper->company);
  if (helper->domain != NULL && helper->domain[0] != '\0')
    g_string_append_printf (details, "%s%s", details->len > 0 ? " · " : "", helper->domain);
  gtk_label_set_label (self->details_label, details->str);
  gtk_widget_set_visible (GTK_WIDGET (self->details_label), details->len > 0);

  rh_sharer_window_set_mode (self, mode);
  return self;
}
