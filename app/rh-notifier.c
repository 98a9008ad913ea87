/* rh-notifier.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "rh-app"

#include "config.h"

#include <glib/gi18n.h>
#include <libnotify/notify.h>

#include "rh-notifier.h"

#define RH_APP_ID "org.remotehelp.RemoteHelp"

struct _RhNotifier
{
  GObject                 parent_instance;

  char                   *app_name;
  /* The last notification of each kind: kept alive so that its action can still be invoked,
   * and replaced in place by the next one of the same kind. */
  NotifyNotification     *shown[RH_N_NOTIFICATIONS];
  RhNotifierActivateFunc  activate_func;
  gpointer                activate_data;
  GDestroyNotify          activate_destroy;
};

G_DEFINE_FINAL_TYPE (RhNotifier, rh_notifier, G_TYPE_OBJECT)

static void
rh_notifier_dispose (GObject *object)
{
  RhNotifier *self = RH_NOTIFIER (object);

  for (guint i = 0; i < RH_N_NOTIFICATIONS; i++)
    {
      if (self->shown[i] != NULL)
        g_signal_handlers_disconnect_by_data (self->shown[i], self);
      g_clear_object (&self->shown[i]);
    }
  if (self->activate_destroy != NULL)
    self->activate_destroy (self->activate_data);
  self->activate_func = NULL;
  self->activate_data = NULL;
  self->activate_destroy = NULL;

  G_OBJECT_CLASS (rh_notifier_parent_class)->dispose (object);
}

static void
rh_notifier_finalize (GObject *object)
{
  RhNotifier *self = RH_NOTIFIER (object);

  g_free (self->app_name);

  G_OBJECT_CLASS (rh_notifier_parent_class)->finalize (object);
}

static void
rh_notifier_class_init (RhNotifierClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = rh_notifier_dispose;
  object_class->finalize = rh_notifier_finalize;
}

static void
rh_notifier_init (RhNotifier *self)
{
}

RhNotifier *
rh_notifier_new (const char *app_name)
{
  RhNotifier *self;

  g_return_val_if_fail (app_name != NULL, NULL);

  self = g_object_new (RH_TYPE_NOTIFIER, NULL);
  self->app_name = g_strdup (app_name);
  /* notify_init only records the name; it does not talk to the bus. */
  if (!notify_is_initted () && !notify_init (app_name))
    g_warning ("Desktop notifications are unavailable");
  return self;
}

void
rh_notifier_set_activate_func (RhNotifier             *self,
                               RhNotifierActivateFunc  func,
                               gpointer                user_data,
                               GDestroyNotify          destroy)
{
  g_return_if_fail (RH_IS_NOTIFIER (self));

  if (self->activate_destroy != NULL)
    self->activate_destroy (self->activate_data);
  self->activate_func = func;
  self->activate_data = user_data;
  self->activate_destroy = destroy;
}

static void
on_default_action (NotifyNotification *notification,
                   char               *action,
                   gpointer            user_data)
{
  RhNotifier *self = RH_NOTIFIER (user_data);

  for (guint i = 0; i < RH_N_NOTIFICATIONS; i++)
    {
      if (self->shown[i] == notification)
        {
          g_debug ("Notification %u activated", i);
          if (self->activate_func != NULL)
            self->activate_func ((RhNotification) i, self->activate_data);
          return;
        }
    }
}

static void
on_closed (NotifyNotification *notification,
           gpointer            user_data)
{
  RhNotifier *self = RH_NOTIFIER (user_data);

  for (guint i = 0; i < RH_N_NOTIFICATIONS; i++)
    {
      if (self->shown[i] == notification)
        {
          g_signal_handlers_disconnect_by_data (notification, self);
          g_clear_object (&self->shown[i]);
        }
    }
}

static gboolean
show (RhNotifier         *self,
      RhNotification      kind,
      const char         *summary,
      const char         *body,
      const char         *category,
      NotifyUrgency       urgency)
{
  g_autoptr(GError) error = NULL;
  NotifyNotification *notification = self->shown[kind];

  if (!notify_is_initted ())
    return FALSE;

  if (notification != NULL)
    {
      /* Same kind again: update the notification the user already has. */
      notify_notification_update (notification, summary, body, RH_APP_ID);
    }
  else
    {
      notification = notify_notification_new (summary, body, RH_APP_ID);
      notify_notification_set_app_name (notification, self->app_name);
      notify_notification_set_hint_string (notification, "desktop-entry", RH_APP_ID);
      /* libnotify passes the action's label to the server; "default" is what a click on the
       * notification itself invokes. */
      notify_notification_add_action (notification, "default", _("Show"), on_default_action,
                                      self, NULL);
      g_signal_connect (notification, "closed", G_CALLBACK (on_closed), self);
      self->shown[kind] = notification;
    }
  notify_notification_set_category (notification, category);
  notify_notification_set_urgency (notification, urgency);

  if (!notify_notification_show (notification, &error))
    {
      /* No session bus or no notification server: the window still shows everything. */
      g_message ("Could not show a desktop notification: %s", error->message);
      g_signal_handlers_disconnect_by_data (notification, self);
      g_clear_object (&self->shown[kind]);
      return FALSE;
    }
  return TRUE;
}

gboolean
rh_notifier_sharer_joined (RhNotifier *self,
                           const char *sharer_name)
{
  g_autofree char *body = NULL;

  g_return_val_if_fail (RH_IS_NOTIFIER (self), FALSE);

  if (sharer_name != NULL && *sharer_name != '\0')
    body = g_strdup_printf (_("%s typed the security code. You can now ask to see their "
                              "screen."), sharer_name);
  else
    body = g_strdup (_("The person you help typed the security code. You can now ask to see "
                       "their screen."));
  return show (self, RH_NOTIFICATION_SHARER_JOINED, _("Connected"), body, "presence.online",
               NOTIFY_URGENCY_NORMAL);
}

gboolean
rh_notifier_control_requested (RhNotifier *self,
                               const char *helper_name,
                               gboolean    control)
{
  g_autofree char *body = NULL;
  const char *name = helper_name != NULL && *helper_name != '\0' ? helper_name : _("Your helper");

  g_return_val_if_fail (RH_IS_NOTIFIER (self), FALSE);

  if (control)
    body = g_strdup_printf (_("%s asks to control your screen. Open Remote Help to answer."),
                            name);
  else
    body = g_strdup_printf (_("%s asks to see your screen. Open Remote Help to answer."), name);
  return show (self, RH_NOTIFICATION_CONTROL_REQUESTED,
               control ? _("Request for control") : _("Request to see your screen"), body,
               "im.received", NOTIFY_URGENCY_CRITICAL);
}

gboolean
rh_notifier_elevation_requested (RhNotifier *self,
                                 const char *helper_name)
{
  g_autofree char *body = NULL;
  const char *name = helper_name != NULL && *helper_name != '\0' ? helper_name : _("Your helper");

  g_return_val_if_fail (RH_IS_NOTIFIER (self), FALSE);

  body = g_strdup_printf (_("%s asks for administrator access to this computer. Open Remote "
                            "Help to answer."), name);
  /* The same slot as the other requests: one question at a time needs an answer. */
  return show (self, RH_NOTIFICATION_CONTROL_REQUESTED, _("Request for administrator access"),
               body, "im.received", NOTIFY_URGENCY_CRITICAL);
}

gboolean
rh_notifier_chat_message (RhNotifier *self,
                          const char *title,
                          const char *body)
{
  g_return_val_if_fail (RH_IS_NOTIFIER (self), FALSE);
  g_return_val_if_fail (title != NULL, FALSE);

  return show (self, RH_NOTIFICATION_CHAT_MESSAGE, title, body, "im.received",
               NOTIFY_URGENCY_NORMAL);
}

gboolean
rh_notifier_session_ended (RhNotifier *self,
                           const char *reason)
{
  g_return_val_if_fail (RH_IS_NOTIFIER (self), FALSE);

  return show (self, RH_NOTIFICATION_SESSION_ENDED, _("Session ended"),
               reason != NULL && *reason != '\0' ? reason : _("The remote help session ended."),
               "presence.offline", NOTIFY_URGENCY_NORMAL);
}

void
rh_notifier_withdraw_all (RhNotifier *self)
{
  g_return_if_fail (RH_IS_NOTIFIER (self));

  for (guint i = 0; i < RH_N_NOTIFICATIONS; i++)
    {
      g_autoptr(GError) error = NULL;

      if (self->shown[i] == NULL)
        continue;
      if (!notify_notification_close (self->shown[i], &error))
        g_debug ("Could not withdraw a notification: %s", error->message);
      g_signal_handlers_disconnect_by_data (self->shown[i], self);
      g_clear_object (&self->shown[i]);
    }
}
