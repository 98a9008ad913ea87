/* rh-session-window.c: the helper's window during a session
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The window only forwards what the person asked for: a new request for control and leaving
 * are signals for the session layer, which owns the protocol, and so is a chat message
 * (RhChatView's "send").
 */
#define G_LOG_DOMAIN "rh-ui"

#include "config.h"

#include <glib/gi18n.h>

#include "rh-session-window.h"
#include "rh-ui-session-resources.h"

struct _RhSessionWindow
{
  AdwApplicationWindow parent_instance;

  AdwWindowTitle *window_title;
  GtkLabel *mode_label;
  GtkWidget *request_control_button;
  GtkWidget *elevation_button;
  GtkMenuButton *tools_button;
  GtkButton *leave_button;
  GtkScrolledWindow *scroller;
  RhRemoteView *remote_view;
  AdwToastOverlay *toasts;
  AdwToast *last_toast;     /* weak */
  GtkToggleButton *chat_button;
  GtkToggleButton *laser_button;
  GtkRevealer *chat_revealer;
  RhChatView *chat_view;
  GtkRevealer *auth_prompt_revealer;
  GtkLabel *auth_prompt_label;
  GtkDropDown *monitor_chooser;

  RhRdpMode mode;
  gboolean monitors_updating;   /* set_monitors() is filling the chooser: not the person */
  gboolean can_control;
  gboolean can_elevate;
  gboolean elevated;        /* administrator access granted */
  gboolean elevation_pending;
  gboolean ended;           /* closing no longer asks */
  GtkWindow *confirm_dialog;
};

enum
{
  PROP_0,
  PROP_MODE,
  PROP_FIT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum
{
  SIGNAL_REQUEST_CONTROL,
  SIGNAL_LEAVE,
  SIGNAL_LASER_MOVED,
  SIGNAL_LASER_OFF,
  SIGNAL_REQUEST_ELEVATION,
  SIGNAL_START_TOOL,
  SIGNAL_MONITOR_SELECTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (RhSessionWindow, rh_session_window, ADW_TYPE_APPLICATION_WINDOW)

static void
update_mode (RhSessionWindow *self)
{
  gboolean control = self->mode == RH_RDP_MODE_CONTROL && !self->ended;

  if (self->ended)
    {
      gtk_label_set_label (self->mode_label, _("Ended"));
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->mode_label), NULL);
      /* Nothing left to end: the last picture stays, dimmed, until the window is closed */
      gtk_button_set_label (self->leave_button, _("Close"));
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->leave_button), NULL);
      gtk_widget_remove_css_class (GTK_WIDGET (self->leave_button), "destructive-action");
      gtk_widget_set_opacity (GTK_WIDGET (self->remote_view), 0.5);
    }
  else
    {
      gtk_label_set_label (self->mode_label, control ? _("Full control") : _("View only"));
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->mode_label),
                                   control
                                     ? _("Your mouse and keyboard act on the shared screen")
                                     : _("You can watch; your mouse and keyboard are not sent"));
    }
  if (control)
    {
      gtk_widget_remove_css_class (GTK_WIDGET (self->mode_label), "dim-label");
      gtk_widget_add_css_class (GTK_WIDGET (self->mode_label), "warning");
    }
  else
    {
      gtk_widget_remove_css_class (GTK_WIDGET (self->mode_label), "warning");
      gtk_widget_add_css_class (GTK_WIDGET (self->mode_label), "dim-label");
    }
  gtk_widget_set_visible (self->request_control_button,
                          !control && !self->ended && self->can_control);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "session.request-control",
                                 !control && !self->ended && self->can_control);
  /* Administrator access needs full control and the role's elevation permission; once
   * granted, the tools replace the request. */
  gtk_widget_set_visible (self->elevation_button,
                          control && self->can_elevate && !self->elevated);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "session.request-elevation",
                                 control && self->can_elevate && !self->elevated &&
                                 !self->elevation_pending);
  gtk_widget_set_visible (GTK_WIDGET (self->tools_button), control && self->elevated);
  /* While the laser is on, the pointer points: nothing is clicked or typed on the sharer's
   * screen, even in full control. */
  rh_remote_view_set_mode (self->remote_view,
                           control && !gtk_toggle_button_get_active (self->laser_button)
                           ? RH_RDP_MODE_CONTROL : RH_RDP_MODE_VIEW);
}

static gboolean
destroy_later (gpointer data)
{
  gtk_window_destroy (GTK_WINDOW (data));
  g_object_unref (data);
  return G_SOURCE_REMOVE;
}

static void
on_confirm_response (AdwMessageDialog *dialog,
                     const char       *response,
                     RhSessionWindow  *self)
{
  self->confirm_dialog = NULL;
  if (g_strcmp0 (response, "leave") != 0)
    return;
  if (!self->ended)
    {
      self->ended = TRUE;
      g_signal_emit (self, signals[SIGNAL_LEAVE], 0);
    }
  /* Once the dialog, which is transient for us, has closed */
  gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
  g_idle_add (destroy_later, g_object_ref (self));
}

static void
ask_to_leave (RhSessionWindow *self)
{
  GtkWidget *dialog;

  if (self->confirm_dialog != NULL)
    {
      gtk_window_present (self->confirm_dialog);
      return;
    }
  dialog = adw_message_dialog_new (GTK_WINDOW (self), _("End the session?"),
                                   _("The other person's screen will no longer be shared with "
                                     "you."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Stay"),
                                    "leave", _("_End Session"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "leave",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect (dialog, "response", G_CALLBACK (on_confirm_response), self);
  self->confirm_dialog = GTK_WINDOW (dialog);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
leave_activated (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  RhSessionWindow *self = RH_SESSION_WINDOW (widget);

  if (self->ended)
    gtk_window_destroy (GTK_WINDOW (self));
  else
    ask_to_leave (self);
}

static void
request_control_activated (GtkWidget  *widget,
                           const char *action_name,
                           GVariant   *parameter)
{
  RhSessionWindow *self = RH_SESSION_WINDOW (widget);

  if (self->mode != RH_RDP_MODE_CONTROL && !self->ended)
    g_signal_emit (self, signals[SIGNAL_REQUEST_CONTROL], 0);
}

static void
request_elevation_activated (GtkWidget  *widget,
                             const char *action_name,
                             GVariant   *parameter)
{
  RhSessionWindow *self = RH_SESSION_WINDOW (widget);

  if (self->mode != RH_RDP_MODE_CONTROL || self->ended || self->elevated ||
      self->elevation_pending)
    return;
  self->elevation_pending = TRUE;
  update_mode (self);
  g_signal_emit (self, signals[SIGNAL_REQUEST_ELEVATION], 0);
}

static void
start_tool_activated (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  RhSessionWindow *self = RH_SESSION_WINDOW (widget);

  if (!self->elevated || self->ended)
    return;
  g_signal_emit (self, signals[SIGNAL_START_TOOL], 0, g_variant_get_string (parameter, NULL));
}

void
rh_session_window_set_can_elevate (RhSessionWindow *self,
                                   gboolean         can_elevate)
{
  g_return_if_fail (RH_IS_SESSION_WINDOW (self));

  self->can_elevate = can_elevate;
  update_mode (self);
}

void
rh_session_window_set_elevation (RhSessionWindow     *self,
                                 const char * const  *tools)
{
  g_autoptr(GMenu) menu = g_menu_new ();

  g_return_if_fail (RH_IS_SESSION_WINDOW (self));

  self->elevation_pending = FALSE;
  self->elevated = tools != NULL;
  for (guint i = 0; tools != NULL && tools[i] != NULL; i++)
    {
      g_autoptr(GMenuItem) item = g_menu_item_new (tools[i], NULL);

      /* A name is a label, never markup or a mnemonic. */
      g_menu_item_set_action_and_target_value (item, "session.start-tool",
                                               g_variant_new_string (tools[i]));
      g_menu_append_item (menu, item);
    }
  gtk_menu_button_set_menu_model (self->tools_button, G_MENU_MODEL (menu));
  update_mode (self);
}

static gboolean
rh_session_window_close_request (GtkWindow *window)
{
  RhSessionWindow *self = RH_SESSION_WINDOW (window);

  if (self->ended)
    return GTK_WINDOW_CLASS (rh_session_window_parent_class)->close_request (window);
  ask_to_leave (self);
  return TRUE;
}

static void
on_fit_changed (RhSessionWindow *self)
{
  gboolean fit = rh_remote_view_get_fit (self->remote_view);

  /* 1:1 scrolls; fit never needs to. */
  gtk_scrolled_window_set_policy (self->scroller,
                                  fit ? GTK_POLICY_NEVER : GTK_POLICY_AUTOMATIC,
                                  fit ? GTK_POLICY_NEVER : GTK_POLICY_AUTOMATIC);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FIT]);
}

void
rh_session_window_set_mode (RhSessionWindow *self,
                            RhRdpMode        mode)
{
  g_return_if_fail (RH_IS_SESSION_WINDOW (self));

  if (self->mode == mode)
    return;
  self->mode = mode;
  update_mode (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODE]);
}

RhRdpMode
rh_session_window_get_mode (RhSessionWindow *self)
{
  g_return_val_if_fail (RH_IS_SESSION_WINDOW (self), RH_RDP_MODE_VIEW);
  return self->mode;
}

RhRemoteView *
rh_session_window_get_remote_view (RhSessionWindow *self)
{
  g_return_val_if_fail (RH_IS_SESSION_WINDOW (self), NULL);
  return self->remote_view;
}

void
rh_session_window_set_can_control (RhSessionWindow *self,
                                   gboolean         can_control)
{
  g_return_if_fail (RH_IS_SESSION_WINDOW (self));

  self->can_control = can_control;
  update_mode (self);
}

RhChatView *
rh_session_window_get_chat_view (RhSessionWindow *self)
{
  g_return_val_if_fail (RH_IS_SESSION_WINDOW (self), NULL);
  return self->chat_view;
}

void
rh_session_window_set_chat_enabled (RhSessionWindow *self,
                                    gboolean         enabled)
{
  g_return_if_fail (RH_IS_SESSION_WINDOW (self));

  rh_chat_view_set_enabled (self->chat_view, enabled);
}

void
rh_session_window_add_chat_message (RhSessionWindow     *self,
                                    const RhChatMessage *message)
{
  g_return_if_fail (RH_IS_SESSION_WINDOW (self));

  rh_chat_view_add_message (self->chat_view, message);
}

void
rh_session_window_show_notice (RhSessionWindow *self,
                               const char      *text)
{
  AdwToast *toast;

  g_return_if_fail (RH_IS_SESSION_WINDOW (self));

  /* The latest fact replaces the previous one instead of waiting behind it (a request and
   * its answer may come a second apart). */
  if (self->last_toast != NULL)
    adw_toast_dismiss (self->last_toast);
  toast = adw_toast_new (text);
  adw_toast_set_timeout (toast, 8);
  g_set_weak_pointer (&self->last_toast, toast);
  adw_toast_overlay_add_toast (self->toasts, toast);
}

static void
on_laser_motion (GtkEventControllerMotion *controller,
                 double                    x,
                 double                    y,
                 RhSessionWindow          *self)
{
  graphene_rect_t area;

  if (!gtk_toggle_button_get_active (self->laser_button) || self->ended ||
      !rh_remote_view_get_screen_area (self->remote_view, &area) ||
      area.size.width <= 0 || area.size.height <= 0)
    return;
  x = (x - area.origin.x) / area.size.width;
  y = (y - area.origin.y) / area.size.height;
  if (x < 0 || x > 1 || y < 0 || y > 1)
    return;
  g_signal_emit (self, signals[SIGNAL_LASER_MOVED], 0, x, y);
}

static void
on_laser_toggled (RhSessionWindow *self)
{
  if (!gtk_toggle_button_get_active (self->laser_button))
    g_signal_emit (self, signals[SIGNAL_LASER_OFF], 0);
  update_mode (self);
}

/* Hiding the chat gives the keyboard back to the shared screen. */
static void
on_chat_toggled (RhSessionWindow *self)
{
  if (!gtk_toggle_button_get_active (self->chat_button))
    gtk_widget_grab_focus (GTK_WIDGET (self->remote_view));
}

/* ---- Monitors (issue #6) ---- */

void
rh_session_window_set_monitors (RhSessionWindow *self,
                                GArray          *monitors,
                                int              selected)
{
  g_autoptr(GtkStringList) names = gtk_string_list_new (NULL);

  g_return_if_fail (RH_IS_SESSION_WINDOW (self));

  gtk_string_list_append (names, _("All Monitors"));
  for (guint i = 0; monitors != NULL && i < monitors->len; i++)
    {
      const RhRdpMonitor *m = &g_array_index (monitors, RhRdpMonitor, i);
      /* Translators: a monitor of the other person's computer, 1 is the leftmost, with its
       * size in pixels */
      g_autofree char *name = g_strdup_printf (_("Monitor %u (%d×%d)"), i + 1, m->width,
                                               m->height);

      gtk_string_list_append (names, name);
    }
  self->monitors_updating = TRUE;
  gtk_drop_down_set_model (self->monitor_chooser, G_LIST_MODEL (names));
  gtk_drop_down_set_selected (self->monitor_chooser,
                              monitors != NULL && selected >= 0 &&
                              (guint) selected < monitors->len ? (guint) selected + 1 : 0);
  self->monitors_updating = FALSE;
  /* A choice only when there is one to make. */
  gtk_widget_set_visible (GTK_WIDGET (self->monitor_chooser),
                          monitors != NULL && monitors->len > 1);
}

static void
on_monitor_chosen (RhSessionWindow *self)
{
  guint selected = gtk_drop_down_get_selected (self->monitor_chooser);

  if (self->monitors_updating || self->ended || selected == GTK_INVALID_LIST_POSITION)
    return;
  g_signal_emit (self, signals[SIGNAL_MONITOR_SELECTED], 0, (int) selected - 1);
}

void
rh_session_window_set_auth_prompt_masked (RhSessionWindow *self,
                                          gboolean         masked)
{
  g_return_if_fail (RH_IS_SESSION_WINDOW (self));

  /* The sharer's app pauses the picture and drops our input by itself; this only says why the
   * screen stopped moving and nothing we type arrives. */
  gtk_revealer_set_reveal_child (self->auth_prompt_revealer, masked && !self->ended);
}

gboolean
rh_session_window_get_auth_prompt_masked (RhSessionWindow *self)
{
  g_return_val_if_fail (RH_IS_SESSION_WINDOW (self), FALSE);

  return gtk_revealer_get_reveal_child (self->auth_prompt_revealer);
}

void
rh_session_window_session_ended (RhSessionWindow *self)
{
  g_return_if_fail (RH_IS_SESSION_WINDOW (self));

  self->ended = TRUE;
  gtk_revealer_set_reveal_child (self->auth_prompt_revealer, FALSE);
  rh_chat_view_set_ended (self->chat_view);
  if (self->confirm_dialog != NULL)
    gtk_window_destroy (g_steal_pointer (&self->confirm_dialog));
  update_mode (self);
  adw_window_title_set_subtitle (self->window_title, _("The session has ended"));
}

static void
rh_session_window_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  RhSessionWindow *self = RH_SESSION_WINDOW (object);

  switch (prop_id)
    {
    case PROP_MODE:
      g_value_set_int (value, self->mode);
      break;
    case PROP_FIT:
      /* The fit action may ask before the template exists or after it is gone */
      g_value_set_boolean (value, self->remote_view == NULL ||
                                  rh_remote_view_get_fit (self->remote_view));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
rh_session_window_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  RhSessionWindow *self = RH_SESSION_WINDOW (object);

  switch (prop_id)
    {
    case PROP_MODE:
      rh_session_window_set_mode (self, g_value_get_int (value));
      break;
    case PROP_FIT:
      if (self->remote_view != NULL)
        rh_remote_view_set_fit (self->remote_view, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
rh_session_window_dispose (GObject *object)
{
  RhSessionWindow *self = RH_SESSION_WINDOW (object);

  g_clear_weak_pointer (&self->last_toast);
  if (self->confirm_dialog != NULL)
    gtk_window_destroy (g_steal_pointer (&self->confirm_dialog));
  gtk_widget_dispose_template (GTK_WIDGET (self), RH_TYPE_SESSION_WINDOW);

  G_OBJECT_CLASS (rh_session_window_parent_class)->dispose (object);
}

static void
rh_session_window_class_init (RhSessionWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = rh_session_window_dispose;
  object_class->get_property = rh_session_window_get_property;
  object_class->set_property = rh_session_window_set_property;
  window_class->close_request = rh_session_window_close_request;

  properties[PROP_MODE] =
    g_param_spec_int ("mode", NULL, NULL, RH_RDP_MODE_VIEW, RH_RDP_MODE_CONTROL,
                      RH_RDP_MODE_VIEW,
                      G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_FIT] =
    g_param_spec_boolean ("fit", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_REQUEST_CONTROL] =
    g_signal_new ("request-control", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_LEAVE] =
    g_signal_new ("leave", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_LASER_MOVED] =
    g_signal_new ("laser-moved", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_DOUBLE, G_TYPE_DOUBLE);
  signals[SIGNAL_LASER_OFF] =
    g_signal_new ("laser-off", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_REQUEST_ELEVATION] =
    g_signal_new ("request-elevation", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_START_TOOL] =
    g_signal_new ("start-tool", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_MONITOR_SELECTED] =
    g_signal_new ("monitor-selected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT);

  g_type_ensure (RH_TYPE_REMOTE_VIEW);
  g_type_ensure (RH_TYPE_CHAT_VIEW);
  /* Referencing the bundle links it (and its registering constructor) from the static library */
  (void) rh_ui_session_get_resource ();
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/remotehelp/RemoteHelp/session/"
                                               "rh-session-window.ui");
  gtk_widget_class_bind_template_child (widget_class, RhSessionWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, RhSessionWindow, mode_label);
  gtk_widget_class_bind_template_child (widget_class, RhSessionWindow, request_control_button);
  gtk_widget_class_bind_template_child (widget_class, RhSessionWindow, elevation_button);
  gtk_widget_class_bind_template_child (widget_class, RhSessionWindow, tools_button);
  gtk_widget_class_bind_template_child (widget_class, RhSessionWindow, leave_button);
  gtk_widget_class_bind_template_child (widget_class, RhSessionWindow, scroller);
  gtk_widget_class_bind_template_child (widget_class, RhSessionWindow, remote_view);
  gtk_widget_class_bind_template_child (widget_class, RhSessionWindow, toasts);
  gtk_widget_class_bind_template_child (widget_class, RhSessionWindow, chat_button);
  gtk_widget_class_bind_template_child (widget_class, RhSessionWindow, laser_button);
  gtk_widget_class_bind_template_child (widget_class, RhSessionWindow, chat_view);
  gtk_widget_class_bind_template_child (widget_class, RhSessionWindow, chat_revealer);
  gtk_widget_class_bind_template_child (widget_class, RhSessionWindow, auth_prompt_revealer);
  gtk_widget_class_bind_template_child (widget_class, RhSessionWindow, auth_prompt_label);
  gtk_widget_class_bind_template_child (widget_class, RhSessionWindow, monitor_chooser);

  gtk_widget_class_install_action (widget_class, "session.leave", NULL, leave_activated);
  gtk_widget_class_install_action (widget_class, "session.request-control", NULL,
                                   request_control_activated);
  gtk_widget_class_install_property_action (widget_class, "session.fit", "fit");
  gtk_widget_class_install_action (widget_class, "session.request-elevation", NULL,
                                   request_elevation_activated);
  gtk_widget_class_install_action (widget_class, "session.start-tool", "s",
                                   start_tool_activated);
}

static void
rh_session_window_init (RhSessionWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->mode = RH_RDP_MODE_VIEW;
  self->can_control = TRUE;
  g_signal_connect_swapped (self->remote_view, "notify::fit", G_CALLBACK (on_fit_changed),
                            self);
  rh_remote_view_set_fit (self->remote_view, TRUE);
  on_fit_changed (self);
  rh_chat_view_set_own_role (self->chat_view, "helper");
  rh_chat_view_attach_toggle (self->chat_view, self->chat_button, self->chat_revealer);
  g_signal_connect_swapped (self->chat_button, "toggled", G_CALLBACK (on_chat_toggled), self);
  g_signal_connect_swapped (self->laser_button, "toggled", G_CALLBACK (on_laser_toggled), self);
  g_signal_connect_swapped (self->monitor_chooser, "notify::selected",
                            G_CALLBACK (on_monitor_chosen), self);
  {
    GtkEventController *motion = gtk_event_controller_motion_new ();

    g_signal_connect (motion, "motion", G_CALLBACK (on_laser_motion), self);
    gtk_widget_add_controller (GTK_WIDGET (self->remote_view), motion);
  }
  update_mode (self);
  /* Typing goes to the shared screen from the start (in control mode) */
  gtk_window_set_focus (GTK_WINDOW (self), GTK_WIDGET (self->remote_view));
}

static void
on_viewer_disconnected (RhRdpViewer     *viewer,
                        GError          *error,
                        RhSessionWindow *self)
{
  rh_session_window_session_ended (self);
}

RhSessionWindow *
rh_session_window_new (GtkApplication *application,
                       RhRdpViewer    *viewer,
                       RhRdpMode       mode,
                       const char     *sharer_name)
{
  RhSessionWindow *self;

  g_return_val_if_fail (application == NULL || GTK_IS_APPLICATION (application), NULL);
  g_return_val_if_fail (viewer == NULL || RH_IS_RDP_VIEWER (viewer), NULL);

  self = g_object_new (RH_TYPE_SESSION_WINDOW, "application", application, NULL);
  rh_remote_view_set_viewer (self->remote_view, viewer);
  if (viewer != NULL)
    g_signal_connect_object (viewer, "disconnected", G_CALLBACK (on_viewer_disconnected), self,
                             0);
  rh_session_window_set_mode (self, mode);
  if (sharer_name != NULL && sharer_name[0] != '\0')
    {
      g_autofree char *subtitle = g_strdup_printf (_("%s's screen"), sharer_name);

      adw_window_title_set_subtitle (self->window_title, subtitle);
    }
  return self;
}
