/* rh-window.c: the main window: sign in, then get help or give help
 *
 * The window only forwards what the person asked for to RhRendezvousClient and RhSession and
 * shows what they report. Each task (sign in, give help, get help) uses a connection of its
 * own, opened with the saved token, so a failure never leaves a half-used connection behind.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "rh-ui"

#include "config.h"

#include <stdio.h>
#include <string.h>

#include <glib/gi18n.h>

#include "rh-application.h"
#include "rh-config.h"
#include "rh-elevation.h"
#include "rh-error.h"
#include "rh-identity-card-view.h"
#include "rh-pairing-code.h"
#include "rh-rendezvous-client.h"
#include "rh-saved-session.h"
#include "rh-session.h"
#include "rh-session-window.h"
#include "rh-sharer-window.h"
#include "rh-terms.h"
#include "rh-window.h"

/* A helper's session lasts until someone ends it. */
#define HELPER_SESSION_MAX_S (12 * 3600)

struct _RhWindow
{
  AdwApplicationWindow  parent_instance;

  /* template */
  AdwWindowTitle       *window_title;
  GtkWidget            *back_button;
  GtkWidget            *sign_out_button;
  AdwToastOverlay      *toasts;
  GtkStack             *stack;
  AdwStatusPage        *problem_page;
  GtkButton            *problem_button;
  GtkLabel             *terms_label;
  AdwEntryRow          *login_row;
  AdwPasswordEntryRow  *password_row;
  GtkLabel             *sign_in_error;
  GtkWidget            *sign_in_button;
  AdwStatusPage        *busy_page;
  AdwStatusPage        *start_page;
  GtkWidget            *get_help_row;
  GtkWidget            *give_intro_label;
  GtkWidget            *request_code_button;
  GtkWidget            *code_box;
  GtkLabel             *code_label;
  GtkLabel             *expiry_label;
  GtkLabel             *attempts_label;
  GtkWidget            *waiting_box;
  GtkWidget            *sharer_box;
  RhIdentityCardView   *sharer_card;
  GtkWidget            *mode_buttons;
  GtkWidget            *take_control_button;
  GtkWidget            *view_only_button;
  GtkWidget            *permission_note_label;
  GtkLabel             *give_status_label;
  GtkWidget            *give_end_button;
  GtkWidget            *code_entry_box;
  AdwEntryRow          *code_row;
  GtkLabel             *code_error;
  GtkWidget            *connect_button;
  GtkWidget            *helper_box;
  RhIdentityCardView   *helper_card;
  GtkWidget            *waiting_request_label;
  GtkWidget            *consent_box;
  GtkLabel             *consent_label;
  GtkLabel             *consent_expiry_label;
  GtkWidget            *allow_control_button;
  GtkWidget            *allow_view_button;
  GtkWidget            *allow_button;
  GtkWidget            *deny_button;
  GtkLabel             *get_status_label;
  GtkWidget            *get_end_button;

  /* state */
  RhConfig             *config;
  char                 *login;
  char                 *token;
  RhRendezvousClient   *client;
  RhSession            *session;
  RhIdentityCard       *peer_card;
  GtkWidget            *sharer_window;
  GtkWidget            *session_window;
  gboolean              is_helper;
  gboolean              laser_traced;
  GtkWindow            *elevation_dialog;   /* sharer: Allow administrator access? */
  gboolean              auth_prompt_masked;   /* the sharer's password prompt is masked */
  GCancellable         *cancellable;
  char                 *code;
  gint64                code_expires_at;
  gint64                consent_deadline;
  guint                 tick_id;
  GString              *status_lines;
  gboolean              trace;
};

G_DEFINE_FINAL_TYPE (RhWindow, rh_window, ADW_TYPE_APPLICATION_WINDOW)

static void update_countdowns (RhWindow *self);

/* With RH_UI_TRACE set, each screen the window reaches is written to stdout, one line each,
 * so tests can follow it without reading pixels. */
static void
trace (RhWindow   *self,
       const char *key,
       const char *value)
{
  if (!self->trace)
    return;
  printf ("ui-%s: %s\n", key, value);
  fflush (stdout);
}

/* The notifier, when none of the app's windows has the focus (else NULL: no notification). */
static RhNotifier *
notifier_if_away (RhWindow *self)
{
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (self));

  if (!RH_IS_APPLICATION (app) || rh_application_is_focused (RH_APPLICATION (app)))
    return NULL;
  return rh_application_get_notifier (RH_APPLICATION (app));
}

static const char *
peer_name (RhWindow *self)
{
  return self->peer_card && self->peer_card->display_name ? self->peer_card->display_name
                                                          : _("Your helper");
}

static gboolean
unref_idle (gpointer data)
{
  g_object_unref (data);
  return G_SOURCE_REMOVE;
}

static void
show_page (RhWindow   *self,
           const char *name,
           const char *subtitle)
{
  gboolean home = g_str_equal (name, "start") || g_str_equal (name, "sign-in") ||
                  g_str_equal (name, "terms");

  gtk_stack_set_visible_child_name (self->stack, name);
  adw_window_title_set_subtitle (self->window_title, subtitle ? subtitle : "");
  gtk_widget_set_visible (self->back_button, !home && self->config != NULL &&
                          !g_str_equal (name, "problem"));
  gtk_widget_set_visible (self->sign_out_button, g_str_equal (name, "start"));
  trace (self, "state", name);
}

static void
close_sharer_window (RhWindow *self,
                     gboolean  present)
{
  /* Its parent goes: an unanswered question goes with it (the session counts it as no). */
  if (self->elevation_dialog != NULL)
    gtk_window_destroy (g_steal_pointer (&self->elevation_dialog));
  if (self->sharer_window == NULL)
    return;
  g_signal_handlers_disconnect_by_data (self->sharer_window, self);
  gtk_window_destroy (GTK_WINDOW (g_steal_pointer (&self->sharer_window)));
  if (present)
    gtk_window_present (GTK_WINDOW (self));
}

/* The helper's remote-screen window. When the session ends it stays, dimmed, with its last
 * picture until the person closes it; the main window says how the session ended. */
static void
end_session_window (RhWindow *self,
                    gboolean  keep)
{
  if (self->session_window == NULL)
    return;
  g_signal_handlers_disconnect_by_data (self->session_window, self);
  if (keep)
    {
      rh_session_window_session_ended (RH_SESSION_WINDOW (self->session_window));
      self->session_window = NULL;
      gtk_window_present (GTK_WINDOW (self));
      trace (self, "state", "session-window-ended");
    }
  else
    gtk_window_destroy (GTK_WINDOW (g_steal_pointer (&self->session_window)));
}

/* A client being let go of: it stays alive until its goodbye has reached the service (or for
 * two seconds at most), and so does the application, even when the window has closed. */
typedef struct
{
  RhRendezvousClient *client;
  GApplication       *app;
  guint               timeout_id;
} Retiring;

static void
retiring_done (Retiring *r)
{
  g_signal_handlers_disconnect_by_data (r->client, r);
  g_clear_handle_id (&r->timeout_id, g_source_remove);
  /* The client may still be emitting: let go of it from the main loop. */
  g_idle_add (unref_idle, r->client);
  if (r->app)
    {
      g_application_release (r->app);
      g_object_unref (r->app);
    }
  g_free (r);
}

static void
on_retiring_disconnected (RhRendezvousClient *client,
                          const GError       *error,
                          Retiring           *r)
{
  retiring_done (r);
}

static gboolean
on_retiring_timeout (gpointer user_data)
{
  Retiring *r = user_data;

  r->timeout_id = 0;
  retiring_done (r);
  return G_SOURCE_REMOVE;
}

static void
retire_client (RhRendezvousClient *client)
{
  Retiring *r = g_new0 (Retiring, 1);

  r->client = client;
  r->app = g_application_get_default ();
  if (r->app)
    {
      g_object_ref (r->app);
      g_application_hold (r->app);
    }
  g_signal_connect (client, "disconnected", G_CALLBACK (on_retiring_disconnected), r);
  r->timeout_id = g_timeout_add_seconds (2, on_retiring_timeout, r);
  if (rh_rendezvous_client_is_paired (client))
    rh_rendezvous_client_leave (client, "done");
  else
    rh_rendezvous_client_disconnect (client);
}

static void
drop_client (RhWindow *self)
{
  close_sharer_window (self, TRUE);
  end_session_window (self, TRUE);
  g_clear_pointer (&self->peer_card, rh_identity_card_free);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  if (self->session)
    {
      g_signal_handlers_disconnect_by_data (self->session, self);
      g_clear_object (&self->session);
    }
  if (self->client)
    {
      g_signal_handlers_disconnect_by_data (self->client, self);
      retire_client (g_steal_pointer (&self->client));
    }
  g_clear_handle_id (&self->tick_id, g_source_remove);
  if (self->code)
    explicit_bzero (self->code, strlen (self->code));
  g_clear_pointer (&self->code, g_free);
  self->code_expires_at = 0;
  self->consent_deadline = 0;
  g_string_truncate (self->status_lines, 0);
}

static void
forget_sign_in (RhWindow *self)
{
  rh_saved_session_forget ();
  g_clear_pointer (&self->login, g_free);
  if (self->token)
    explicit_bzero (self->token, strlen (self->token));
  g_clear_pointer (&self->token, g_free);
}

static void
show_sign_in (RhWindow     *self,
              const GError *error)
{
  gtk_widget_set_sensitive (self->sign_in_button, TRUE);
  gtk_editable_set_text (GTK_EDITABLE (self->password_row), "");
  if (error)
    {
      g_autofree char *text = rh_error_format (error);

      gtk_label_set_text (self->sign_in_error, text);
      trace (self, "error", text);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->sign_in_error), error != NULL);
  show_page (self, "sign-in", NULL);
  gtk_widget_grab_focus (*gtk_editable_get_text (GTK_EDITABLE (self->login_row)) ?
                         GTK_WIDGET (self->password_row) : GTK_WIDGET (self->login_row));
}

static void
show_start (RhWindow *self)
{
  g_autofree char *who = g_strdup_printf (_("Signed in as %s"), self->login);

  adw_status_page_set_description (self->start_page, who);
  show_page (self, "start", NULL);
  gtk_widget_grab_focus (self->get_help_row);
}

static void
show_problem (RhWindow     *self,
              const char   *title,
              const GError *error)
{
  g_autofree char *text = rh_error_format (error);
  const RhErrorInfo *info = rh_error_is_rh (error) ? rh_error_info_lookup (error->code) : NULL;
  g_autofree char *description = NULL;

  /* What happened, then what to do about it: the same fix the README's table gives. */
  if (info != NULL && info->fix != NULL)
    description = g_strdup_printf ("%s\n\n%s", text, _(info->fix));
  else
    description = g_strdup (text);
  drop_client (self);
  adw_status_page_set_icon_name (self->problem_page, "dialog-error-symbolic");
  adw_status_page_set_title (self->problem_page, title);
  adw_status_page_set_description (self->problem_page, description);
  gtk_button_set_label (self->problem_button,
                        self->config ? _("Back to Start") : _("Try Again"));
  show_page (self, "problem", NULL);
  trace (self, "error", text);
}

static gboolean
is_sign_in_rejected (const GError *error)
{
  return rh_error_is_rh (error) &&
         (error->code == RH_ERROR_TOKEN_INVALID || error->code == RH_ERROR_NOT_SIGNED_IN);
}

/* Every failure of a task ends up here: it shows the RH- code and what to do. */
static void
task_failed (RhWindow     *self,
             const GError *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (is_sign_in_rejected (error))
    {
      /* The saved token expired or was revoked: ask for the password again. */
      drop_client (self);
      if (self->login)
        gtk_editable_set_text (GTK_EDITABLE (self->login_row), self->login);
      forget_sign_in (self);
      show_sign_in (self, error);
      return;
    }
  if (rh_error_is_rh (error) && error->code == RH_ERROR_PEER_LEFT)
    {
      /* Not a fault: the other person ended it. */
      show_problem (self, _("The Session Ended"), error);
      adw_status_page_set_icon_name (self->problem_page, "emblem-ok-symbolic");
      return;
    }
  if (rh_error_is_rh (error) &&
      (error->code == RH_ERROR_DENIED || error->code == RH_ERROR_CONSENT_TIMEOUT))
    {
      show_problem (self, _("The Request Was Not Accepted"), error);
      return;
    }
  if (rh_error_is_rh (error) && error->code == RH_ERROR_CODE_EXPIRED)
    {
      show_problem (self, _("The Security Code Expired"), error);
      adw_status_page_set_icon_name (self->problem_page, "alarm-symbolic");
      return;
    }
  show_problem (self, _("Something Went Wrong"), error);
}

static void
go_home (RhWindow *self)
{
  g_autoptr(GError) error = NULL;

  drop_client (self);
  if (self->config == NULL)
    {
      g_autoptr(RhConfig) config = rh_config_load (&error);

      if (config == NULL || !rh_config_check (config, &error))
        {
          adw_status_page_set_icon_name (self->problem_page, "dialog-error-symbolic");
          show_problem (self, _("Remote Help Is Not Set Up"), error);
          return;
        }
      self->config = g_steal_pointer (&config);
    }
  if (!rh_terms_accepted (self->config))
    {
      /* Nothing is offered before the person has read and accepted the terms. */
      gtk_label_set_text (self->terms_label, rh_terms_text ());
      show_page (self, "terms", _("Terms of Use"));
      return;
    }
  if (self->token == NULL && !rh_saved_session_load (&self->login, &self->token))
    {
      show_sign_in (self, NULL);
      return;
    }
  show_start (self);
}

static void
on_terms_accept (RhWindow *self)
{
  g_autoptr(GError) error = NULL;

  if (!rh_terms_accept (&error))
    {
      show_problem (self, _("Something Went Wrong"), error);
      return;
    }
  go_home (self);
}

static void
on_terms_quit (RhWindow *self)
{
  gtk_window_close (GTK_WINDOW (self));
}

static void
on_attempt_failed (RhWindow *self,
                   int       remaining)
{
  g_autofree char *text = NULL;

  text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                       "Someone typed a wrong code: %d attempt left",
                                       "Someone typed a wrong code: %d attempts left",
                                       remaining),
                          remaining);
  gtk_label_set_text (self->attempts_label, text);
  gtk_widget_set_visible (GTK_WIDGET (self->attempts_label), TRUE);
  trace (self, "attempts-left", text);
}

static void
on_peer_left (RhWindow   *self,
              const char *who,
              const char *reason)
{
  g_autoptr(GError) error = NULL;

  /* A running session reports the end itself. */
  if (self->session)
    return;
  error = g_error_new (RH_PROTOCOL_ERROR, RH_ERROR_PEER_LEFT,
                       _("The other person left (%s)"), reason ? reason : "");
  show_problem (self, _("The Other Person Left"), error);
}

static void
on_disconnected (RhWindow     *self,
                 const GError *error,
                 RhRendezvousClient *client)
{
  if (error == NULL || self->session)
    return;
  show_problem (self, _("Connection Lost"), error);
}

static void
new_client (RhWindow *self)
{
  drop_client (self);
  self->client = rh_rendezvous_client_new (self->config->server_url,
                                           self->config->server_fingerprint,
                                           self->config->ca_file,
                                           self->config->org_key);
  g_signal_connect_swapped (self->client, "attempt-failed", G_CALLBACK (on_attempt_failed), self);
  g_signal_connect_swapped (self->client, "peer-left", G_CALLBACK (on_peer_left), self);
  g_signal_connect_data (self->client, "disconnected", G_CALLBACK (on_disconnected), self,
                         NULL, G_CONNECT_SWAPPED);
}

static void
show_busy (RhWindow   *self,
           const char *title)
{
  adw_status_page_set_title (self->busy_page, title);
  show_page (self, "busy", NULL);
}

/* Async callbacks get a reference to the window; a cancelled task just lets go of it. */
#define TASK_BEGIN(self_var, user_data) \
  g_autoptr(RhWindow) self_var = user_data

/* Sign in */

static void
on_signed_in (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  TASK_BEGIN (self, user_data);
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) save_error = NULL;

  if (!rh_rendezvous_client_sign_in_finish (RH_RENDEZVOUS_CLIENT (source), result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      drop_client (self);
      show_sign_in (self, error);
      return;
    }
  g_free (self->login);
  self->login = g_strdup (rh_rendezvous_client_get_login (RH_RENDEZVOUS_CLIENT (source)));
  g_free (self->token);
  self->token = g_strdup (rh_rendezvous_client_get_token (RH_RENDEZVOUS_CLIENT (source)));
  drop_client (self);
  if (!rh_saved_session_save (self->login, self->token, &save_error))
    {
      /* Still signed in for this run; say why the next start will ask again. */
      g_autofree char *text = rh_error_format (save_error);

      adw_toast_overlay_add_toast (self->toasts, adw_toast_new (text));
    }
  show_start (self);
}

static void
on_sign_in_connected (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  TASK_BEGIN (self, user_data);
  g_autoptr(GError) error = NULL;
  const char *login = gtk_editable_get_text (GTK_EDITABLE (self->login_row));
  const char *password = gtk_editable_get_text (GTK_EDITABLE (self->password_row));

  if (!rh_rendezvous_client_connect_finish (RH_RENDEZVOUS_CLIENT (source), result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      drop_client (self);
      show_sign_in (self, error);
      return;
    }
  rh_rendezvous_client_sign_in_async (self->client, login, password, self->cancellable,
                                      on_signed_in, g_object_ref (self));
}

static void
on_sign_in (RhWindow *self)
{
  const char *login = gtk_editable_get_text (GTK_EDITABLE (self->login_row));
  const char *password = gtk_editable_get_text (GTK_EDITABLE (self->password_row));

  if (*login == '\0' || *password == '\0')
    {
      gtk_label_set_text (self->sign_in_error, _("Enter your login and your password."));
      gtk_widget_set_visible (GTK_WIDGET (self->sign_in_error), TRUE);
      return;
    }
  gtk_widget_set_sensitive (self->sign_in_button, FALSE);
  new_client (self);
  show_busy (self, _("Signing In…"));
  rh_rendezvous_client_connect_async (self->client, self->cancellable, on_sign_in_connected,
                                      g_object_ref (self));
}

static void
on_login_activated (RhWindow *self)
{
  gtk_widget_grab_focus (GTK_WIDGET (self->password_row));
}

/* Both tasks start by connecting with the saved token. */
static void
connect_signed_in (RhWindow            *self,
                   GAsyncReadyCallback  callback)
{
  new_client (self);
  rh_rendezvous_client_set_token (self->client, self->login, self->token);
  rh_rendezvous_client_connect_async (self->client, self->cancellable, callback,
                                      g_object_ref (self));
}

/* Session status, for both sides */

static void
on_sharer_stop (RhWindow *self)
{
  /* After administrator access the session first ends it (tools, polkit, sudo, then sign-out
   * or lock); the window follows when the session is done. */
  if (self->session != NULL && rh_session_get_elevation_end_action (self->session) != NULL)
    {
      trace (self, "state", "ending-elevation");
      rh_session_leave (self->session);
      return;
    }
  /* Leaving the pairing ends the session; the main window comes back. */
  go_home (self);
}

/* Chat */

static gboolean
chat_is_own (RhWindow            *self,
             const RhChatMessage *message)
{
  return g_str_equal (message->role, self->is_helper ? "helper" : "sharer");
}

/* The chat of whichever session window is open (NULL once it closed). */
static RhChatView *
current_chat_view (RhWindow *self)
{
  if (self->session_window)
    return rh_session_window_get_chat_view (RH_SESSION_WINDOW (self->session_window));
  if (self->sharer_window)
    return rh_sharer_window_get_chat_view (RH_SHARER_WINDOW (self->sharer_window));
  return NULL;
}

static void
on_chat_sent (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(RhWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  RhChatView *view;

  rh_session_send_chat_finish (RH_SESSION (source), result, &error);
  if ((view = current_chat_view (self)) != NULL)
    rh_chat_view_send_done (view, error);
  text = error ? rh_error_format (error) : g_strdup ("yes");
  trace (self, "chat-sent", text);
}

static void
on_chat_view_send (RhChatView *view,
                   const char *text,
                   RhWindow   *self)
{
  if (self->session == NULL)
    {
      g_autoptr(GError) error = g_error_new_literal (RH_PROTOCOL_ERROR, RH_ERROR_PEER_LEFT,
                                                     _("The session has ended"));

      rh_chat_view_send_done (view, error);
      return;
    }
  rh_session_send_chat_async (self->session, text, NULL, on_chat_sent, g_object_ref (self));
}

/* A window's chat shows the whole thread, also what was said before the window opened. */
static void
attach_chat (RhWindow   *self,
             RhChatView *view)
{
  GPtrArray *thread = rh_session_get_chat (self->session);

  g_signal_connect_object (view, "send", G_CALLBACK (on_chat_view_send), self, 0);
  for (guint i = 0; i < thread->len; i++)
    rh_chat_view_add_message (view, g_ptr_array_index (thread, i));
}

static void
on_session_chat (RhWindow      *self,
                 RhChatMessage *message)
{
  gboolean own = chat_is_own (self, message);
  g_autofree char *line = g_strdup_printf ("%s: %s", message->role, message->text);
  RhNotifier *notifier;

  g_strdelimit (line, "\n", ' ');
  trace (self, "chat", line);
  if (self->session_window)
    rh_session_window_add_chat_message (RH_SESSION_WINDOW (self->session_window), message);
  else if (self->sharer_window)
    rh_sharer_window_add_chat_message (RH_SHARER_WINDOW (self->sharer_window), message);
  if (!own && (notifier = notifier_if_away (self)))
    rh_notifier_chat_message (notifier, message->name, message->text);
}

/* While the screen is shared, the sharer's small window is the app's only window: it says
 * who sees the screen and has the Stop button. */
static void
open_sharer_window (RhWindow  *self,
                    RhRdpMode  mode)
{
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (self));

  if (self->sharer_window || self->peer_card == NULL)
    return;
  self->sharer_window = GTK_WIDGET (rh_sharer_window_new (app, self->peer_card, mode));
  g_signal_connect_swapped (self->sharer_window, "stop", G_CALLBACK (on_sharer_stop), self);
  rh_sharer_window_set_chat_enabled (RH_SHARER_WINDOW (self->sharer_window),
                                     rh_session_get_chat_enabled (self->session));
  attach_chat (self, rh_sharer_window_get_chat_view (RH_SHARER_WINDOW (self->sharer_window)));
  gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
  gtk_window_present (GTK_WINDOW (self->sharer_window));
  trace (self, "state", "sharer-window");
}

/* What a session status means for the person in front of the window; NULL for facts that
 * need no sentence. */
static char *
describe_status (RhWindow   *self,
                 const char *key,
                 const char *value)
{
  const char *name = peer_name (self);
  gboolean control = g_strcmp0 (value, "control") == 0;

  if (g_str_equal (key, "requested"))
    return self->is_helper
      ? g_strdup_printf (control ? _("Waiting for %s to allow full control…")
                                 : _("Waiting for %s to allow viewing…"), name)
      : NULL;
  if (g_str_equal (key, "mode"))
    return g_strdup_printf (control ? _("%s allowed full control.") : _("%s allowed view only."),
                            self->is_helper ? name : _("You"));
  if (g_str_equal (key, "path"))
    return g_strdup (g_str_equal (value, "direct")
                     ? _("The screen comes directly from the other computer.")
                     : _("The screen comes through your organisation's relay, end-to-end "
                         "encrypted."));
  if (g_str_equal (key, "connected"))
    return g_strdup (_("Connected. Waiting for the first picture…"));
  if (g_str_equal (key, "first-frame"))
    return g_strdup_printf (_("Showing %s's screen in its own window."), name);
  if (g_str_equal (key, "upgrade"))
    return g_str_equal (value, "declined")
      ? g_strdup_printf (_("%s kept view only."), name)
      : g_strdup_printf (_("Asked %s for full control…"), name);
  if (g_str_equal (key, "ended"))
    {
      /* The session's reasons are words for logs and scripts; say the common ones plainly. */
      if (g_str_equal (value, "declined"))
        return g_strdup (self->is_helper ? _("The request was declined.")
                                         : _("You declined the request."));
      if (g_str_equal (value, "no answer"))
        return g_strdup (_("The request expired without an answer."));
      if (g_str_equal (value, "left"))
        return g_strdup (_("You ended the session."));
      if (g_str_has_prefix (value, "not permitted"))
        return g_strdup (_("The helper's role does not allow this."));
      return g_strdup_printf (_("The session ended (%s)."), value);
    }
  return NULL;
}

/* Administrator access, as each side's windows show it. */
static void
show_elevation_status (RhWindow   *self,
                       const char *key,
                       const char *value)
{
  RhSessionWindow *window = self->session_window ? RH_SESSION_WINDOW (self->session_window)
                                                 : NULL;
  const char *name = peer_name (self);
  g_autofree char *text = NULL;

  trace (self, key, value);
  if (g_str_equal (key, "elevated-tool"))
    {
      const char *failed = strstr (value, ": failed: ");

      if (window == NULL)
        return;
      if (failed != NULL)
        /* Translators: the first %s is a tool's name, the second why it failed */
        text = g_strdup_printf (_("%.*s could not be started: %s"), (int) (failed - value), value,
                                failed + strlen (": failed: "));
      else
        /* Translators: %s is the name of the person sharing their screen */
        text = g_strdup_printf (_("The tool is starting on %s's screen: enter the administrator "
                                  "password in the system prompt there."), name);
      rh_session_window_show_notice (window, text);
      return;
    }
  if (!self->is_helper)
    {
      if (g_str_equal (value, "granted") && self->sharer_window)
        rh_sharer_window_set_elevation (RH_SHARER_WINDOW (self->sharer_window),
                                        rh_session_get_elevation_end_action (self->session));
      if (g_str_has_prefix (value, "denied") && self->elevation_dialog)
        gtk_window_destroy (g_steal_pointer (&self->elevation_dialog));
      return;
    }
  if (window == NULL)
    return;
  if (g_str_equal (value, "requested"))
    text = g_strdup_printf (_("Asked %s for administrator access…"), name);
  else if (g_str_equal (value, "granted"))
    {
      rh_session_window_set_elevation (window, rh_session_get_elevated_tools (self->session));
      text = g_strdup_printf (g_strcmp0 (rh_session_get_elevation_end_action (self->session),
                                         "lock") == 0
                              ? _("%s allowed administrator access. Their screen will be locked "
                                  "when the session ends.")
                              : _("%s allowed administrator access. They will be signed out "
                                  "when the session ends."), name);
    }
  else if (g_str_has_prefix (value, "denied"))
    {
      rh_session_window_set_elevation (window, NULL);
      text = g_strdup_printf (_("%s did not allow administrator access."), name);
    }
  else if (g_str_has_prefix (value, "refused: "))
    {
      rh_session_window_set_elevation (window, NULL);
      text = g_strdup (value + strlen ("refused: "));
    }
  else if (g_str_has_prefix (value, "ending: "))
    {
      rh_session_window_set_elevation (window, NULL);
      text = g_strdup_printf (g_str_equal (value, "ending: lock")
                              ? _("%s stopped sharing: the administrator tools are closed and "
                                  "their screen is locked.")
                              : _("%s stopped sharing: the administrator tools are closed and "
                                  "they are signed out."), name);
    }
  if (text != NULL)
    rh_session_window_show_notice (window, text);
}

/* Monitors (issue #6): both windows show what the session says is shared. */
static void
update_monitors (RhWindow *self)
{
  GArray *monitors;
  int selected = RH_RDP_MONITOR_ALL;

  if (self->session == NULL)
    return;
  monitors = rh_session_get_monitors (self->session, &selected);
  if (self->session_window)
    rh_session_window_set_monitors (RH_SESSION_WINDOW (self->session_window), monitors,
                                    selected);
  if (self->sharer_window)
    rh_sharer_window_set_monitor (RH_SHARER_WINDOW (self->sharer_window), selected,
                                  monitors ? monitors->len : 1);
}

static void
on_session_window_monitor_selected (RhWindow *self,
                                    int       index)
{
  if (self->session)
    rh_session_select_monitor (self->session, index);
  trace (self, "monitor", index < 0 ? "all" : "one");
}

static void
on_session_status (RhWindow   *self,
                   const char *key,
                   const char *value)
{
  GtkLabel *label = gtk_widget_get_visible (self->sharer_box) ||
                    g_str_equal (gtk_stack_get_visible_child_name (self->stack), "give-help") ?
                    self->give_status_label : self->get_status_label;

  g_autofree char *sentence = describe_status (self, key, value);

  /* One plain sentence about where the session is, not a log: the latest fact replaces the
   * previous one. */
  if (sentence != NULL)
    {
      g_string_assign (self->status_lines, sentence);
      gtk_label_set_text (label, self->status_lines->str);
      gtk_widget_set_visible (GTK_WIDGET (label), TRUE);
    }
  trace (self, "session", key);

  if (g_str_equal (key, "elevation") || g_str_equal (key, "elevated-tool"))
    show_elevation_status (self, key, value);
  else if (g_str_equal (key, "sharing"))
    {
      gtk_widget_set_visible (self->consent_box, FALSE);
      self->consent_deadline = 0;
      /* Say plainly what the helper can do now. */
      gtk_label_set_text (GTK_LABEL (self->waiting_request_label),
                          g_str_equal (value, "control")
                          ? _("Your helper can see and control your screen.")
                          : _("Your helper can see your screen."));
      gtk_widget_add_css_class (self->waiting_request_label, "title-4");
      gtk_widget_remove_css_class (self->waiting_request_label, "dim-label");
      gtk_widget_set_visible (self->waiting_request_label, TRUE);
      gtk_widget_set_visible (self->get_end_button, TRUE);
      open_sharer_window (self, g_str_equal (value, "control") ? RH_RDP_MODE_CONTROL
                                                               : RH_RDP_MODE_VIEW);
    }
  else if (g_str_equal (key, "upgrade") && g_str_equal (value, "declined") &&
           self->session_window)
    {
      /* Translators: %s is the name of the person sharing their screen */
      g_autofree char *text = g_strdup_printf (_("%s kept view only: you can still watch"),
                                               peer_name (self));

      rh_session_window_show_notice (RH_SESSION_WINDOW (self->session_window), text);
    }
  else if (g_str_equal (key, "auth-prompt"))
    {
      /* May come before the session window opens (a prompt was already up). */
      self->auth_prompt_masked = g_str_equal (value, "masked");
      if (self->session_window)
        rh_session_window_set_auth_prompt_masked (RH_SESSION_WINDOW (self->session_window),
                                                  self->auth_prompt_masked);
    }
  else if (g_str_equal (key, "mode") && self->session_window)
    rh_session_window_set_mode (RH_SESSION_WINDOW (self->session_window),
                                g_str_equal (value, "control") ? RH_RDP_MODE_CONTROL
                                                               : RH_RDP_MODE_VIEW);
  else if (g_str_equal (key, "mode") && self->sharer_window)
    rh_sharer_window_set_mode (RH_SHARER_WINDOW (self->sharer_window),
                               g_str_equal (value, "control") ? RH_RDP_MODE_CONTROL
                                                              : RH_RDP_MODE_VIEW);
  if (g_str_equal (key, "monitor") || g_str_equal (key, "sharing"))
    update_monitors (self);
  else if (g_str_equal (key, "monitor-refused") && self->session_window)
    {
      update_monitors (self);
      rh_session_window_show_notice (RH_SESSION_WINDOW (self->session_window),
                                     _("That monitor cannot be shown; the view stays as it was"));
    }
}

static void
on_session_window_leave (RhWindow *self)
{
  if (self->session)
    rh_session_leave (self->session);
}

static void
on_session_window_request_control (RhWindow *self)
{
  if (self->session)
    rh_session_request_control (self->session);
}

static void
on_session_window_laser_moved (RhWindow *self,
                               double    x,
                               double    y)
{
  if (self->session)
    rh_session_point_laser (self->session, x, y);
  if (!self->laser_traced)
    {
      self->laser_traced = TRUE;
      trace (self, "laser", "on");
    }
}

static void
on_session_window_request_elevation (RhWindow *self)
{
  if (self->session)
    rh_session_request_elevation (self->session);
}

static void
on_session_window_start_tool (RhWindow   *self,
                              const char *name)
{
  if (self->session)
    rh_session_start_elevated_tool (self->session, name);
}

static void
on_session_window_laser_off (RhWindow *self)
{
  if (self->session)
    rh_session_laser_off (self->session);
  self->laser_traced = FALSE;
  trace (self, "laser", "off");
}

static void
on_session_window_destroyed (RhWindow *self)
{
  self->session_window = NULL;
  on_session_window_leave (self);
}

static void
on_viewer_ready (RhWindow    *self,
                 RhRdpViewer *viewer)
{
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (self));

  if (self->session_window)
    return;
  self->session_window =
    GTK_WIDGET (rh_session_window_new (app, viewer, rh_session_get_mode (self->session),
                                       self->peer_card ? self->peer_card->display_name : NULL));
  g_signal_connect_swapped (self->session_window, "leave", G_CALLBACK (on_session_window_leave),
                            self);
  g_signal_connect_swapped (self->session_window, "request-control",
                            G_CALLBACK (on_session_window_request_control), self);
  g_signal_connect_swapped (self->session_window, "laser-moved",
                            G_CALLBACK (on_session_window_laser_moved), self);
  g_signal_connect_swapped (self->session_window, "laser-off",
                            G_CALLBACK (on_session_window_laser_off), self);
  g_signal_connect_swapped (self->session_window, "request-elevation",
                            G_CALLBACK (on_session_window_request_elevation), self);
  g_signal_connect_swapped (self->session_window, "start-tool",
                            G_CALLBACK (on_session_window_start_tool), self);
  g_signal_connect_swapped (self->session_window, "monitor-selected",
                            G_CALLBACK (on_session_window_monitor_selected), self);
  g_signal_connect_swapped (self->session_window, "destroy",
                            G_CALLBACK (on_session_window_destroyed), self);
  rh_session_window_set_chat_enabled (RH_SESSION_WINDOW (self->session_window),
                                      rh_session_get_chat_enabled (self->session));
  rh_session_window_set_can_control (RH_SESSION_WINDOW (self->session_window),
                                     (rh_session_get_helper_permissions (self->session) &
                                      RH_PERMISSION_TAKE_FULL_CONTROL) != 0);
  rh_session_window_set_can_elevate (RH_SESSION_WINDOW (self->session_window),
                                     (rh_session_get_helper_permissions (self->session) &
                                      RH_PERMISSION_ELEVATION) != 0);
  attach_chat (self, rh_session_window_get_chat_view (RH_SESSION_WINDOW (self->session_window)));
  rh_session_window_set_auth_prompt_masked (RH_SESSION_WINDOW (self->session_window),
                                            self->auth_prompt_masked);
  update_monitors (self);
  gtk_window_present (GTK_WINDOW (self->session_window));
  trace (self, "state", "session-window");
}

static void
on_session_done (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  TASK_BEGIN (self, user_data);
  g_autoptr(GError) error = NULL;

  RhNotifier *notifier;

  if (!rh_session_run_finish (RH_SESSION (source), result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
          RH_SESSION (source) != self->session)
        return;
      if ((notifier = notifier_if_away (self)))
        {
          g_autofree char *why = rh_error_format (error);

          rh_notifier_session_ended (notifier, why);
        }
      task_failed (self, error);
      return;
    }
  if (RH_SESSION (source) != self->session)
    return;
  if ((notifier = notifier_if_away (self)))
    rh_notifier_session_ended (notifier, NULL);
  drop_client (self);
  adw_status_page_set_icon_name (self->problem_page, "emblem-ok-symbolic");
  adw_status_page_set_title (self->problem_page, _("The Session Ended"));
  adw_status_page_set_description (self->problem_page, NULL);
  gtk_button_set_label (self->problem_button, _("Back to Start"));
  show_page (self, "problem", NULL);
  trace (self, "state", "ended");
}

static void
start_session (RhWindow               *self,
               gboolean                is_helper,
               const RhSessionOptions *options)
{
  self->is_helper = is_helper;
  self->auth_prompt_masked = FALSE;
  self->session = rh_session_new (self->client, self->config, is_helper, options);
  g_signal_connect_swapped (self->session, "status", G_CALLBACK (on_session_status), self);
  g_signal_connect_swapped (self->session, "chat-message", G_CALLBACK (on_session_chat), self);
  rh_session_run_async (self->session, self->cancellable, on_session_done, g_object_ref (self));
}

/* Give help */

static void
on_sharer_joined (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  TASK_BEGIN (self, user_data);
  g_autoptr(GError) error = NULL;
  g_autoptr(RhIdentityCard) card = NULL;
  RhNotifier *notifier;

  gboolean can_control;

  card = rh_rendezvous_client_wait_for_sharer_finish (RH_RENDEZVOUS_CLIENT (source), result,
                                                      &error);
  if (card == NULL)
    {
      task_failed (self, error);
      return;
    }
  self->code_expires_at = 0;
  gtk_widget_set_visible (self->code_box, FALSE);
  gtk_widget_set_visible (self->give_intro_label, FALSE);
  rh_identity_card_view_set_card (self->sharer_card, card, TRUE);
  if ((notifier = notifier_if_away (self)))
    rh_notifier_sharer_joined (notifier, card->display_name);
  g_clear_pointer (&self->peer_card, rh_identity_card_free);
  self->peer_card = g_steal_pointer (&card);
  gtk_widget_set_visible (self->sharer_box, TRUE);
  gtk_widget_set_visible (self->mode_buttons, TRUE);
  gtk_widget_set_visible (self->give_end_button, TRUE);
  /* The service signed what this helper's role allows towards this person into the card;
   * it and the sharer's app refuse more anyway, so do not offer it. */
  can_control = (rh_rendezvous_client_get_helper_permissions (RH_RENDEZVOUS_CLIENT (source)) &
                 RH_PERMISSION_TAKE_FULL_CONTROL) != 0;
  gtk_widget_set_sensitive (self->take_control_button, can_control);
  gtk_widget_set_visible (self->permission_note_label, !can_control);
  gtk_widget_grab_focus (can_control ? self->take_control_button : self->view_only_button);
  trace (self, "permissions", can_control ? "control" : "view");
  trace (self, "state", "sharer-card");
}

static gboolean
on_tick (gpointer user_data)
{
  update_countdowns (user_data);
  return G_SOURCE_CONTINUE;
}

static void
ensure_ticking (RhWindow *self)
{
  if (self->tick_id == 0)
    self->tick_id = g_timeout_add_seconds (1, on_tick, self);
  update_countdowns (self);
}

static char *
format_remaining (gint64 seconds)
{
  return g_strdup_printf ("%" G_GINT64_FORMAT ":%02d", seconds / 60, (int) (seconds % 60));
}

static void
update_countdowns (RhWindow *self)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  if (self->code_expires_at > 0)
    {
      gint64 left = MAX (0, self->code_expires_at - now);
      g_autofree char *time = format_remaining (left);
      g_autofree char *text = NULL;

      if (left > 0)
        text = g_strdup_printf (_("Expires in %s"), time);
      else
        text = g_strdup (_("This code has expired. Get a new one."));
      gtk_label_set_text (self->expiry_label, text);
    }
  if (self->consent_deadline > 0)
    {
      gint64 left = MAX (0, self->consent_deadline - now);
      g_autofree char *time = format_remaining (left);
      g_autofree char *text = NULL;

      if (left > 0)
        text = g_strdup_printf (_("This request expires in %s"), time);
      else
        text = g_strdup (_("This request has expired."));
      gtk_label_set_text (self->consent_expiry_label, text);
    }
  if (self->code_expires_at == 0 && self->consent_deadline == 0)
    g_clear_handle_id (&self->tick_id, g_source_remove);
}

/* Spaced groups for reading out: "K7P 4XQ M2R". */
static char *
spaced_code (const char *code)
{
  GString *out = g_string_new (NULL);

  for (const char *p = code; *p; p++)
    g_string_append_c (out, *p == '-' ? ' ' : *p);
  return g_string_free (out, FALSE);
}

static void
on_code (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  TASK_BEGIN (self, user_data);
  g_autoptr(GError) error = NULL;
  g_autofree char *spaced = NULL;
  gint64 expires_at = 0;
  char *code;

  code = rh_rendezvous_client_request_code_finish (RH_RENDEZVOUS_CLIENT (source), result,
                                                   &expires_at, &error);
  if (code == NULL)
    {
      task_failed (self, error);
      return;
    }
  self->code = code;
  self->code_expires_at = expires_at;
  spaced = spaced_code (code);
  gtk_label_set_text (self->code_label, spaced);
  gtk_widget_set_visible (self->request_code_button, FALSE);
  gtk_widget_set_visible (self->code_box, TRUE);
  gtk_widget_set_visible (self->waiting_box, TRUE);
  ensure_ticking (self);
  show_page (self, "give-help", _("Give Help"));
  /* For the test only: the code never goes to the log. */
  trace (self, "code", code);
  rh_rendezvous_client_wait_for_sharer_async (self->client, self->cancellable, on_sharer_joined,
                                              g_object_ref (self));
}

static void
on_give_help_connected (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  TASK_BEGIN (self, user_data);
  g_autoptr(GError) error = NULL;

  if (!rh_rendezvous_client_connect_finish (RH_RENDEZVOUS_CLIENT (source), result, &error))
    {
      task_failed (self, error);
      return;
    }
  rh_rendezvous_client_request_code_async (self->client, self->cancellable, on_code,
                                           g_object_ref (self));
}

static void
on_request_code (RhWindow *self)
{
  show_busy (self, _("Getting a Security Code…"));
  connect_signed_in (self, on_give_help_connected);
}

static void
on_copy_code (RhWindow *self)
{
  if (self->code == NULL)
    return;
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)), self->code);
  adw_toast_overlay_add_toast (self->toasts, adw_toast_new (_("Code copied")));
}

static void
start_helper_session (RhWindow  *self,
                      RhRdpMode  mode)
{
  RhSessionOptions options = { 0 };

  options.path = RH_SESSION_PATH_AUTO;
  options.requested_mode = mode;
  options.duration_s = HELPER_SESSION_MAX_S;
  gtk_widget_set_visible (self->mode_buttons, FALSE);
  start_session (self, TRUE, &options);
  g_signal_connect_swapped (self->session, "viewer-ready", G_CALLBACK (on_viewer_ready), self);
}

static void
on_take_control (RhWindow *self)
{
  start_helper_session (self, RH_RDP_MODE_CONTROL);
}

static void
on_view_only (RhWindow *self)
{
  start_helper_session (self, RH_RDP_MODE_VIEW);
}

static void
reset_give_help (RhWindow *self)
{
  gtk_widget_set_visible (self->give_intro_label, TRUE);
  gtk_widget_set_visible (self->request_code_button, TRUE);
  gtk_widget_set_visible (self->code_box, FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->attempts_label), FALSE);
  gtk_widget_set_visible (self->sharer_box, FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->give_status_label), FALSE);
  gtk_widget_set_visible (self->give_end_button, FALSE);
  gtk_label_set_text (self->code_label, "");
  rh_identity_card_view_set_card (self->sharer_card, NULL, FALSE);
}

/* Get help */

static void answer (RhWindow *self, RhSessionAllow allow);

static void
on_upgrade_response (AdwMessageDialog *dialog,
                     const char       *response,
                     RhWindow         *self)
{
  answer (self, g_strcmp0 (response, "allow") == 0 ? RH_SESSION_ALLOW_CONTROL
                                                  : RH_SESSION_ALLOW_DENY);
}

/* While the screen is shared, the helper may ask for control: the sharer's window asks. */
static void
ask_upgrade (RhWindow *self)
{
  GtkWidget *dialog;

  dialog = adw_message_dialog_new (GTK_WINDOW (self->sharer_window),
                                   _("Allow Full Control?"),
                                   _("Your helper asks to control your screen: their mouse and "
                                     "keyboard would act on your computer."));
  gtk_window_set_title (GTK_WINDOW (dialog), _("Allow Full Control?"));
  gtk_window_set_destroy_with_parent (GTK_WINDOW (dialog), TRUE);
  /* Nothing is pre-selected: the buttons wait for a deliberate click. */
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "deny", _("_Keep View Only"),
                                    "allow", _("_Allow Control"),
                                    NULL);
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "deny");
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_upgrade_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
  trace (self, "state", "consent-upgrade");
}

static void
on_elevation_response (AdwMessageDialog *dialog,
                       const char       *response,
                       RhWindow         *self)
{
  self->elevation_dialog = NULL;
  trace (self, "elevation-answer", response);
  if (self->session)
    rh_session_answer_elevation (self->session, g_strcmp0 (response, "allow") == 0);
}

/* The helper asks for administrator access: who, what it means, and what happens at the end,
 * in the words of the person who must decide. */
static void
on_elevation_requested (RhWindow *self)
{
  const RhIdentityCard *card = self->peer_card;
  const char *end = rh_elevated_end_to_string (self->config->elevated_end);
  g_autofree char *who = NULL;
  g_autofree char *body = NULL;
  GtkWidget *dialog;
  RhNotifier *notifier;

  if (self->sharer_window == NULL || card == NULL)
    {
      rh_session_answer_elevation (self->session, FALSE);
      return;
    }
  if (self->elevation_dialog != NULL)
    gtk_window_destroy (g_steal_pointer (&self->elevation_dialog));
  {
    const char *parts[] = { card->job_title, card->company };
    g_autoptr(GString) about = g_string_new (NULL);

    for (guint i = 0; i < G_N_ELEMENTS (parts); i++)
      if (parts[i] != NULL && parts[i][0] != '\0')
        g_string_append_printf (about, "%s%s", about->len ? ", " : "", parts[i]);
    /* Translators: name (job title, company), e.g. "Helen Help (IT support, Example Corp)" */
    who = about->len ? g_strdup_printf (_("%s (%s)"), card->display_name, about->str)
                     : g_strdup (card->display_name);
  }
  body = g_strdup_printf (g_str_equal (end, "lock")
                          ? _("%s, verified by your organisation, asks for administrator "
                              "access. They could then type administrator passwords into the "
                              "system's prompts and run administrative tools on this computer, "
                              "which can change anything on it.\n\nWhen the session ends, "
                              "those tools are closed and your screen is locked.\n\nOnly "
                              "allow this if you asked your IT support for this help.")
                          : _("%s, verified by your organisation, asks for administrator "
                              "access. They could then type administrator passwords into the "
                              "system's prompts and run administrative tools on this computer, "
                              "which can change anything on it.\n\nWhen the session ends, "
                              "those tools are closed and you are signed out of this computer: "
                              "save your work before you stop sharing.\n\nOnly allow this if "
                              "you asked your IT support for this help."), who);
  dialog = adw_message_dialog_new (GTK_WINDOW (self->sharer_window),
                                   _("Allow Administrator Access?"), body);
  gtk_window_set_title (GTK_WINDOW (dialog), _("Allow Administrator Access?"));
  gtk_window_set_destroy_with_parent (GTK_WINDOW (dialog), TRUE);
  /* Nothing is pre-selected: the buttons wait for a deliberate click. */
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "deny", _("_Deny"),
                                    "allow", _("_Allow"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "allow",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "deny");
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_elevation_response), self, 0);
  self->elevation_dialog = GTK_WINDOW (dialog);
  if ((notifier = notifier_if_away (self)))
    rh_notifier_elevation_requested (notifier, peer_name (self));
  gtk_window_present (GTK_WINDOW (dialog));
  trace (self, "state", "consent-elevation");
}

static void
on_consent_requested (RhWindow   *self,
                      const char *mode)
{
  gboolean control = g_strcmp0 (mode, "control") == 0;
  RhNotifier *notifier;

  if ((notifier = notifier_if_away (self)))
    rh_notifier_control_requested (notifier, peer_name (self), control);
  if (self->sharer_window != NULL)
    {
      ask_upgrade (self);
      return;
    }

  gtk_label_set_text (self->consent_label,
                      control ? _("Your helper asks to see and control your screen.")
                              : _("Your helper asks to see your screen."));
  /* Nothing is pre-selected: the buttons wait for a deliberate click. */
  gtk_widget_set_visible (self->allow_control_button, control);
  gtk_widget_set_visible (self->allow_view_button, control);
  gtk_widget_set_visible (self->allow_button, !control);
  gtk_widget_set_visible (self->deny_button, TRUE);
  gtk_widget_set_visible (self->waiting_request_label, FALSE);
  gtk_widget_set_visible (self->consent_box, TRUE);
  self->consent_deadline = g_get_real_time () / G_USEC_PER_SEC + RH_SESSION_CONSENT_TIMEOUT_S;
  ensure_ticking (self);
  trace (self, "state", control ? "consent-control" : "consent-view");
}

static void
answer (RhWindow       *self,
        RhSessionAllow  allow)
{
  if (self->session == NULL)
    return;
  gtk_widget_set_visible (self->consent_box, FALSE);
  self->consent_deadline = 0;
  rh_session_answer (self->session, allow);
}

static void
on_allow_control (RhWindow *self)
{
  answer (self, RH_SESSION_ALLOW_CONTROL);
}

static void
on_allow_view (RhWindow *self)
{
  answer (self, RH_SESSION_ALLOW_VIEW);
}

static void
on_deny (RhWindow *self)
{
  answer (self, RH_SESSION_ALLOW_DENY);
}

static gboolean
is_code_problem (const GError *error)
{
  if (!rh_error_is_rh (error))
    return FALSE;
  switch (error->code)
    {
    case RH_ERROR_CODE_INVALID:
    case RH_ERROR_CODE_BURNED:
    case RH_ERROR_CODE_FORMAT:
    case RH_ERROR_CODE_BUSY:
    case RH_ERROR_KEY_CONFIRMATION:
    case RH_ERROR_CODE_EXPIRED:
      return TRUE;
    default:
      return FALSE;
    }
}

static void
on_helper_verified (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  TASK_BEGIN (self, user_data);
  g_autoptr(GError) error = NULL;
  g_autoptr(RhIdentityCard) card = NULL;
  RhSessionOptions options = { 0 };

  card = rh_rendezvous_client_redeem_code_finish (RH_RENDEZVOUS_CLIENT (source), result, &error);
  if (card == NULL && is_code_problem (error))
    {
      /* A mistyped or stale code: let the person check it and try again, right there. */
      g_autofree char *text = rh_error_format (error);

      drop_client (self);
      gtk_label_set_text (self->code_error, text);
      gtk_widget_set_visible (GTK_WIDGET (self->code_error), TRUE);
      gtk_widget_add_css_class (GTK_WIDGET (self->code_row), "error");
      show_page (self, "get-help", _("Get Help"));
      gtk_widget_grab_focus (GTK_WIDGET (self->code_row));
      trace (self, "error", text);
      return;
    }
  if (card == NULL)
    {
      task_failed (self, error);
      return;
    }
  /* redeem_code only returns a card that verified against the organisation key. */
  rh_identity_card_view_set_card (self->helper_card, card, TRUE);
  g_clear_pointer (&self->peer_card, rh_identity_card_free);
  self->peer_card = g_steal_pointer (&card);
  gtk_widget_set_visible (self->code_entry_box, FALSE);
  gtk_widget_set_visible (self->helper_box, TRUE);
  gtk_label_set_text (GTK_LABEL (self->waiting_request_label),
                      _("Waiting for your helper to ask to see your screen…"));
  gtk_widget_remove_css_class (self->waiting_request_label, "title-4");
  gtk_widget_add_css_class (self->waiting_request_label, "dim-label");
  gtk_widget_set_visible (self->waiting_request_label, TRUE);
  show_page (self, "get-help", _("Get Help"));
  trace (self, "state", "helper-card");

  options.allow = RH_SESSION_ALLOW_ASK;
  options.elevation = RH_SESSION_ELEVATION_ASK;
  start_session (self, FALSE, &options);
  g_signal_connect_swapped (self->session, "consent-requested",
                            G_CALLBACK (on_consent_requested), self);
  g_signal_connect_swapped (self->session, "elevation-requested",
                            G_CALLBACK (on_elevation_requested), self);
}

static void
on_get_help_connected (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  TASK_BEGIN (self, user_data);
  g_autoptr(GError) error = NULL;
  g_autofree char *code = g_object_steal_data (G_OBJECT (source), "rh-code");

  if (!rh_rendezvous_client_connect_finish (RH_RENDEZVOUS_CLIENT (source), result, &error))
    {
      task_failed (self, error);
      return;
    }
  rh_rendezvous_client_redeem_code_async (self->client, code, self->cancellable,
                                          on_helper_verified, g_object_ref (self));
  explicit_bzero (code, strlen (code));
}

static void
on_code_changed (RhWindow *self)
{
  gtk_widget_set_visible (GTK_WIDGET (self->code_error), FALSE);
  gtk_widget_remove_css_class (GTK_WIDGET (self->code_row), "error");
}

static void
on_redeem (RhWindow *self)
{
  g_autoptr(GError) error = NULL;
  RhPairingCode code;

  if (!rh_pairing_code_parse (gtk_editable_get_text (GTK_EDITABLE (self->code_row)), &code,
                              &error))
    {
      g_autofree char *text = rh_error_format (error);

      gtk_label_set_text (self->code_error, text);
      gtk_widget_set_visible (GTK_WIDGET (self->code_error), TRUE);
      gtk_widget_add_css_class (GTK_WIDGET (self->code_row), "error");
      trace (self, "error", text);
      return;
    }
  show_busy (self, _("Checking the Code…"));
  connect_signed_in (self, on_get_help_connected);
  g_object_set_data_full (G_OBJECT (self->client), "rh-code", rh_pairing_code_format (&code),
                          g_free);
  explicit_bzero (&code, sizeof code);
}

static void
reset_get_help (RhWindow *self)
{
  gtk_editable_set_text (GTK_EDITABLE (self->code_row), "");
  on_code_changed (self);
  gtk_widget_set_visible (self->code_entry_box, TRUE);
  gtk_widget_set_visible (self->helper_box, FALSE);
  gtk_widget_set_visible (self->consent_box, FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->get_status_label), FALSE);
  gtk_widget_set_visible (self->get_end_button, FALSE);
  rh_identity_card_view_set_card (self->helper_card, NULL, FALSE);
}

/* Actions */

static void
action_back (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  go_home (RH_WINDOW (widget));
}

static void
action_sign_out (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  RhWindow *self = RH_WINDOW (widget);

  /* The token stays valid on the service until it expires; this device forgets it. */
  drop_client (self);
  forget_sign_in (self);
  show_sign_in (self, NULL);
}

static void
action_give_help (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  RhWindow *self = RH_WINDOW (widget);

  drop_client (self);
  reset_give_help (self);
  show_page (self, "give-help", _("Give Help"));
  gtk_widget_grab_focus (self->request_code_button);
}

static void
action_get_help (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  RhWindow *self = RH_WINDOW (widget);

  drop_client (self);
  reset_get_help (self);
  show_page (self, "get-help", _("Get Help"));
  gtk_widget_grab_focus (GTK_WIDGET (self->code_row));
}

static void
rh_window_dispose (GObject *object)
{
  RhWindow *self = RH_WINDOW (object);

  close_sharer_window (self, FALSE);
  end_session_window (self, FALSE);
  if (self->status_lines)
    drop_client (self);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->config, rh_config_free);
  g_clear_pointer (&self->login, g_free);
  if (self->token)
    explicit_bzero (self->token, strlen (self->token));
  g_clear_pointer (&self->token, g_free);
  if (self->status_lines)
    g_string_free (g_steal_pointer (&self->status_lines), TRUE);

  G_OBJECT_CLASS (rh_window_parent_class)->dispose (object);
}

static void
rh_window_class_init (RhWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = rh_window_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/remotehelp/RemoteHelp/rh-window.ui");
#define CHILD(name) gtk_widget_class_bind_template_child (widget_class, RhWindow, name)
  CHILD (window_title);
  CHILD (back_button);
  CHILD (sign_out_button);
  CHILD (toasts);
  CHILD (stack);
  CHILD (problem_page);
  CHILD (problem_button);
  CHILD (terms_label);
  CHILD (login_row);
  CHILD (password_row);
  CHILD (sign_in_error);
  CHILD (sign_in_button);
  CHILD (busy_page);
  CHILD (start_page);
  CHILD (get_help_row);
  CHILD (give_intro_label);
  CHILD (request_code_button);
  CHILD (code_box);
  CHILD (code_label);
  CHILD (expiry_label);
  CHILD (attempts_label);
  CHILD (waiting_box);
  CHILD (sharer_box);
  CHILD (sharer_card);
  CHILD (mode_buttons);
  CHILD (take_control_button);
  CHILD (view_only_button);
  CHILD (permission_note_label);
  CHILD (give_status_label);
  CHILD (give_end_button);
  CHILD (code_entry_box);
  CHILD (code_row);
  CHILD (code_error);
  CHILD (connect_button);
  CHILD (helper_box);
  CHILD (helper_card);
  CHILD (waiting_request_label);
  CHILD (consent_box);
  CHILD (consent_label);
  CHILD (consent_expiry_label);
  CHILD (allow_control_button);
  CHILD (allow_view_button);
  CHILD (allow_button);
  CHILD (deny_button);
  CHILD (get_status_label);
  CHILD (get_end_button);
#undef CHILD

  gtk_widget_class_bind_template_callback (widget_class, on_sign_in);
  gtk_widget_class_bind_template_callback (widget_class, on_terms_accept);
  gtk_widget_class_bind_template_callback (widget_class, on_terms_quit);
  gtk_widget_class_bind_template_callback (widget_class, on_login_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_request_code);
  gtk_widget_class_bind_template_callback (widget_class, on_copy_code);
  gtk_widget_class_bind_template_callback (widget_class, on_take_control);
  gtk_widget_class_bind_template_callback (widget_class, on_view_only);
  gtk_widget_class_bind_template_callback (widget_class, on_redeem);
  gtk_widget_class_bind_template_callback (widget_class, on_code_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_allow_control);
  gtk_widget_class_bind_template_callback (widget_class, on_allow_view);
  gtk_widget_class_bind_template_callback (widget_class, on_deny);

  gtk_widget_class_install_action (widget_class, "win.back", NULL, action_back);
  gtk_widget_class_install_action (widget_class, "win.sign-out", NULL, action_sign_out);
  gtk_widget_class_install_action (widget_class, "win.give-help", NULL, action_give_help);
  gtk_widget_class_install_action (widget_class, "win.get-help", NULL, action_get_help);
}

static void
rh_window_init (RhWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  self->status_lines = g_string_new (NULL);
  self->trace = g_getenv ("RH_UI_TRACE") != NULL;
  go_home (self);
}

RhWindow *
rh_window_new (RhApplication *app)
{
  return g_object_new (RH_TYPE_WINDOW, "application", app, NULL);
}
