/* rh-application.c: the desktop app
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "rh-ui"

#include "config.h"

#include <glib/gi18n.h>

#include "rh-application.h"
#include "rh-identity-card-view.h"
#include "rh-ui-shell-resources.h"
#include "rh-window.h"

struct _RhApplication
{
  AdwApplication parent_instance;

  RhNotifier    *notifier;
};

G_DEFINE_FINAL_TYPE (RhApplication, rh_application, ADW_TYPE_APPLICATION)

static void
rh_application_activate (GApplication *app)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));

  if (window == NULL)
    window = GTK_WINDOW (rh_window_new (RH_APPLICATION (app)));
  gtk_window_present (window);
}

/* A click on a notification: the window that needs the person comes to the front. */
static void
on_notification_activated (RhNotification kind,
                           gpointer       user_data)
{
  GtkApplication *app = user_data;
  GtkWindow *window = gtk_application_get_active_window (app);

  if (window != NULL)
    gtk_window_present (window);
}

gboolean
rh_application_is_focused (RhApplication *self)
{
  g_return_val_if_fail (RH_IS_APPLICATION (self), FALSE);

  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l; l = l->next)
    if (gtk_widget_get_visible (l->data) && gtk_window_is_active (l->data))
      return TRUE;
  return FALSE;
}

RhNotifier *
rh_application_get_notifier (RhApplication *self)
{
  g_return_val_if_fail (RH_IS_APPLICATION (self), NULL);
  return self->notifier;
}

static void
rh_application_startup (GApplication *app)
{
  RhApplication *self = RH_APPLICATION (app);

  /* The resources register themselves when their object file is linked in; from a static
   * library it is only linked when something refers to it. */
  g_assert (rh_ui_shell_get_resource () != NULL);

  G_APPLICATION_CLASS (rh_application_parent_class)->startup (app);

  g_type_ensure (RH_TYPE_IDENTITY_CARD_VIEW);
  gtk_window_set_default_icon_name ("preferences-desktop-remote-desktop");
  self->notifier = rh_notifier_new (_("Remote Help"));
  /* The notifier lives no longer than the application it points back to. */
  rh_notifier_set_activate_func (self->notifier, on_notification_activated, self, NULL);
}

static void
rh_application_shutdown (GApplication *app)
{
  RhApplication *self = RH_APPLICATION (app);

  if (self->notifier)
    rh_notifier_withdraw_all (self->notifier);
  g_clear_object (&self->notifier);
  G_APPLICATION_CLASS (rh_application_parent_class)->shutdown (app);
}

static void
rh_application_class_init (RhApplicationClass *klass)
{
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  app_class->activate = rh_application_activate;
  app_class->startup = rh_application_startup;
  app_class->shutdown = rh_application_shutdown;
}

static void
rh_application_init (RhApplication *self)
{
  g_set_application_name (_("Remote Help"));
}

RhApplication *
rh_application_new (void)
{
  /* Each run is one person's session with its own service connection: a second window in
   * the same process would share nothing useful, so instances are not merged. */
  return g_object_new (RH_TYPE_APPLICATION,
                       "application-id", RH_APPLICATION_ID,
                       "flags", G_APPLICATION_NON_UNIQUE,
                       "resource-base-path", "/org/remotehelp/RemoteHelp",
                       NULL);
}
