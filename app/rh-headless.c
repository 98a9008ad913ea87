/* rh-headless.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "rh-app"

#include "config.h"

#include <stdio.h>

#include <glib/gi18n.h>

#include "rh-error.h"
#include "rh-headless.h"
#include "rh-log.h"
#include "rh-rendezvous-client.h"

typedef struct
{
  const RhHeadlessOptions *options;
  gboolean                 helper;
  RhRendezvousClient      *client;
  GMainLoop               *loop;
  GCancellable            *cancellable;
  int                      status;
  guint                    timeout_id;
  RhSession               *session;
  gboolean                 chat_sent;
} Run;

static void
finish (Run          *run,
        const GError *error)
{
  if (error != NULL)
    {
      rh_print_error ("remote-help", error);
      run->status = 1;
    }
  else
    run->status = 0;
  g_main_loop_quit (run->loop);
}

static void
print_card (const char           *who,
            const RhIdentityCard *card)
{
  g_autofree char *text = rh_identity_card_describe (card);
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);

  g_print ("%s:\n", who);
  for (guint i = 0; lines[i]; i++)
    g_print ("  %s\n", lines[i]);
}

static void
on_chat_sent (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!rh_session_send_chat_finish (RH_SESSION (source), result, &error))
    g_print ("chat-error: RH-%04d %s\n", error->code, error->message);
  else
    g_print ("chat-sent: yes\n");
  fflush (stdout);
}

static void
on_session_status (RhSession  *session,
                   const char *key,
                   const char *value,
                   gpointer    user_data)
{
  Run *run = user_data;

  g_print ("%s: %s\n", key, value);
  fflush (stdout);
  if (run->options->chat_text != NULL && !run->chat_sent &&
      g_str_equal (key, run->helper ? "first-frame" : "sharing"))
    {
      run->chat_sent = TRUE;
      rh_session_send_chat_async (session, run->options->chat_text, NULL, on_chat_sent, NULL);
    }
}

/* One line per message, whatever it contains: line breaks are shown as \n. */
static void
on_session_chat (RhSession     *session,
                 RhChatMessage *message,
                 gpointer       user_data)
{
  g_autoptr(GString) text = g_string_new (message->text);

  g_string_replace (text, "\\", "\\\\", 0);
  g_string_replace (text, "\n", "\\n", 0);
  g_string_replace (text, "\t", "\\t", 0);
  g_print ("chat: %s (%s): %s\n", message->name, message->role, text->str);
  fflush (stdout);
}

static void
on_session_done (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Run *run = user_data;
  g_autoptr(GError) error = NULL;

  /* The session stays referenced until the loop has returned: this runs inside its code. */
  if (!rh_session_run_finish (RH_SESSION (source), result, &error))
    finish (run, error);
  else
    finish (run, NULL);
}

static void
on_paired (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Run *run = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(RhIdentityCard) card = NULL;

  if (run->helper)
    card = rh_rendezvous_client_wait_for_sharer_finish (run->client, result, &error);
  else
    card = rh_rendezvous_client_redeem_code_finish (run->client, result, &error);
  if (card == NULL)
    {
      finish (run, error);
      return;
    }

  g_print ("paired: yes\n");
  print_card (run->helper ? "sharer" : "helper", card);
  fflush (stdout);
  g_clear_handle_id (&run->timeout_id, g_source_remove);

  if (!run->options->with_session)
    {
      rh_rendezvous_client_leave (run->client, "done");
      finish (run, NULL);
      return;
    }
  run->session = rh_session_new (run->client, run->options->config, run->helper,
                                 &run->options->session);
  g_signal_connect (run->session, "status", G_CALLBACK (on_session_status), run);
  g_signal_connect (run->session, "chat-message", G_CALLBACK (on_session_chat), run);
  if (run->options->chat_text != NULL && !rh_session_get_chat_enabled (run->session))
    g_print ("chat: off (turned off by the organisation)\n");
  rh_session_run_async (run->session, run->cancellable, on_session_done, run);
}

static void
on_attempt_failed (RhRendezvousClient *client,
                   int                 remaining,
                   gpointer            user_data)
{
  g_print ("attempt-failed: %d attempts left on this code\n", remaining);
  fflush (stdout);
}

static void
on_code (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Run *run = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *code = NULL;
  gint64 expires_at = 0;

  code = rh_rendezvous_client_request_code_finish (run->client, result, &expires_at, &error);
  if (code == NULL)
    {
      finish (run, error);
      return;
    }
  /* The code is for a person to read out; it goes to stdout only, never to the log. */
  g_print ("code: %s\n", code);
  g_print ("expires-in: %" G_GINT64_FORMAT "\n",
           MAX (0, expires_at - g_get_real_time () / G_USEC_PER_SEC));
  fflush (stdout);
  rh_rendezvous_client_wait_for_sharer_async (run->client, run->cancellable, on_paired, run);
}

static void
on_signed_in (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Run *run = user_data;
  g_autoptr(GError) error = NULL;

  if (!rh_rendezvous_client_sign_in_finish (run->client, result, &error))
    {
      finish (run, error);
      return;
    }
  g_print ("signed-in: %s\n", rh_rendezvous_client_get_login (run->client));
  fflush (stdout);
  if (run->helper)
    rh_rendezvous_client_request_code_async (run->client, run->cancellable, on_code, run);
  else
    rh_rendezvous_client_redeem_code_async (run->client, run->options->code, run->cancellable,
                                            on_paired, run);
}

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Run *run = user_data;
  g_autoptr(GError) error = NULL;

  if (!rh_rendezvous_client_connect_finish (run->client, result, &error))
    {
      finish (run, error);
      return;
    }
  rh_rendezvous_client_sign_in_async (run->client, run->options->login,
                                      run->options->password, run->cancellable,
                                      on_signed_in, run);
}

static gboolean
on_timeout (gpointer user_data)
{
  Run *run = user_data;
  g_autoptr(GError) error = g_error_new_literal (RH_PROTOCOL_ERROR, RH_ERROR_TIMEOUT,
                                                 _("Gave up waiting for the other side"));

  run->timeout_id = 0;
  finish (run, error);
  return G_SOURCE_REMOVE;
}

static gboolean
on_goodbye_timeout (gpointer user_data)
{
  Run *run = user_data;

  run->timeout_id = 0;
  g_main_loop_quit (run->loop);
  return G_SOURCE_REMOVE;
}

static int
run_session (const RhHeadlessOptions *options,
             gboolean                 helper)
{
  RhConfig *config = options->config;
  g_autoptr(GError) error = NULL;
  Run run = { 0 };

  if (!rh_config_check (config, &error))
    {
      rh_print_error ("remote-help", error);
      return 1;
    }

  run.options = options;
  run.helper = helper;
  run.status = 1;
  run.loop = g_main_loop_new (NULL, FALSE);
  run.cancellable = g_cancellable_new ();
  run.client = rh_rendezvous_client_new (config->server_url, config->server_fingerprint,
                                         config->ca_file, config->org_key);
  g_signal_connect (run.client, "attempt-failed", G_CALLBACK (on_attempt_failed), &run);
  /* The helper waits as long as its code lives (the server says when it expired). */
  if (!helper)
    run.timeout_id = g_timeout_add_seconds (options->timeout_s ? options->timeout_s : 120,
                                            on_timeout, &run);

  rh_rendezvous_client_connect_async (run.client, run.cancellable, on_connected, &run);
  g_main_loop_run (run.loop);

  g_clear_handle_id (&run.timeout_id, g_source_remove);
  g_signal_handlers_disconnect_by_data (run.client, &run);
  if (run.session)
    g_signal_handlers_disconnect_by_data (run.session, &run);
  g_clear_object (&run.session);

  /* Let the goodbye reach the service before the process exits, but not for long. */
  if (rh_rendezvous_client_get_token (run.client) != NULL)
    {
      g_signal_connect_swapped (run.client, "disconnected", G_CALLBACK (g_main_loop_quit),
                                run.loop);
      run.timeout_id = g_timeout_add_seconds (2, on_goodbye_timeout, &run);
      rh_rendezvous_client_disconnect (run.client);
      g_main_loop_run (run.loop);
      g_clear_handle_id (&run.timeout_id, g_source_remove);
    }
  g_cancellable_cancel (run.cancellable);
  g_clear_object (&run.client);
  g_clear_object (&run.cancellable);
  g_main_loop_unref (run.loop);
  return run.status;
}

int
rh_headless_give_help (const RhHeadlessOptions *options)
{
  return run_session (options, TRUE);
}

int
rh_headless_get_help (const RhHeadlessOptions *options)
{
  return run_session (options, FALSE);
}
