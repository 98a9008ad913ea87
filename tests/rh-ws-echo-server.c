/* rh-ws-echo-server.c: a WSS echo server for the integration tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * rh-ws-echo-server --dir DIR [--auth-timeout SECONDS] [--ping SECONDS --hangup SECONDS]
 *                   [--address ADDRESS]
 *
 * Writes a new certificate and key into DIR, listens on 127.0.0.1 (a free port) with the
 * subprotocol "remote-help.v1", prints "port: N" and "fingerprint: HEX" and echoes every
 * message. Text commands (not echoed): "close-me" closes with 1000, "stop-server" stops the
 * server from inside the callback, "timer:MS" answers "timer" after MS milliseconds from a
 * server timer; "auth" marks the peer authenticated and is echoed. A message over the limit
 * gets "too-large" before the 1009 close. SIGTERM/SIGINT stop it cleanly (exit status 0).
 */
#define G_LOG_DOMAIN "rh-test"

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "rh-error.h"
#include "rh-fingerprint.h"
#include "rh-tls-cert.h"
#include "rh-ws-server.h"

typedef struct
{
  RhWsServer *server;
  GHashTable *peers;   /* id → RhWsPeer */
} Echo;

typedef struct
{
  Echo    *echo;
  guint64  peer_id;
} TimerData;

static gboolean
text_is (GBytes     *data,
         const char *text)
{
  gsize len;
  const char *p = g_bytes_get_data (data, &len);

  return len == strlen (text) && memcmp (p, text, len) == 0;
}

static void
on_timer (gpointer user_data)
{
  TimerData *td = user_data;
  RhWsPeer *peer = g_hash_table_lookup (td->echo->peers, &td->peer_id);

  if (peer != NULL)
    rh_ws_peer_send_text (peer, "timer", -1);
  g_free (td);
}

static void
on_peer_opened (RhWsServer *server,
                RhWsPeer   *peer,
                Echo       *echo)
{
  guint64 *id = g_new (guint64, 1);

  *id = rh_ws_peer_get_id (peer);
  g_hash_table_insert (echo->peers, id, peer);
}

static void
on_peer_closed (RhWsServer *server,
                RhWsPeer   *peer,
                Echo       *echo)
{
  guint64 id = rh_ws_peer_get_id (peer);

  g_hash_table_remove (echo->peers, &id);
}

static void
on_peer_message (RhWsServer *server,
                 RhWsPeer   *peer,
                 GBytes     *data,
                 gboolean    is_binary,
                 Echo       *echo)
{
  gsize len;
  const char *p = g_bytes_get_data (data, &len);

  if (is_binary)
    {
      rh_ws_peer_send_binary (peer, data);
      return;
    }

  if (text_is (data, "close-me"))
    {
      rh_ws_peer_close (peer, 1000, "bye");
      return;
    }
  if (text_is (data, "stop-server"))
    {
      rh_ws_server_stop (server);
      return;
    }
  if (len > 6 && len < 16 && memcmp (p, "timer:", 6) == 0)
    {
      g_autofree char *ms = g_strndup (p + 6, len - 6);
      TimerData *td = g_new0 (TimerData, 1);

      td->echo = echo;
      td->peer_id = rh_ws_peer_get_id (peer);
      rh_ws_server_add_timer (server, (guint) g_ascii_strtoull (ms, NULL, 10), on_timer, td);
      return;
    }
  if (text_is (data, "auth"))
    rh_ws_peer_set_authenticated (peer);

  rh_ws_peer_send_text (peer, p, (gssize) len);
}

static void
on_peer_oversize (RhWsServer *server,
                  RhWsPeer   *peer,
                  Echo       *echo)
{
  rh_ws_peer_send_text (peer, "too-large", -1);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) options = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *address = NULL;
  g_autofree char *cert = NULL;
  g_autofree char *key = NULL;
  g_autofree char *hex = NULL;
  guint8 fp[RH_FINGERPRINT_LEN];
  int auth_timeout = -1, ping = 0, hangup = 0;
  Echo echo = { 0 };
  const GOptionEntry entries[] = {
    { "dir", 0, 0, G_OPTION_ARG_FILENAME, &dir, "Directory for the certificate and key", "DIR" },
    { "auth-timeout", 0, 0, G_OPTION_ARG_INT, &auth_timeout,
      "Seconds before unauthenticated peers are dropped", "SECONDS" },
    { "ping", 0, 0, G_OPTION_ARG_INT, &ping, "Idle seconds before a PING", "SECONDS" },
    { "hangup", 0, 0, G_OPTION_ARG_INT, &hangup, "Idle seconds before hanging up", "SECONDS" },
    { "address", 0, 0, G_OPTION_ARG_STRING, &address, "Address to listen on (127.0.0.1)",
      "ADDRESS" },
    { NULL }
  };

  /* stdout carries the "port:" and "fingerprint:" lines the tests read; logs go to stderr. */
  g_log_writer_default_set_use_stderr (TRUE);

  options = g_option_context_new ("- WSS echo server for tests");
  g_option_context_add_main_entries (options, entries, NULL);
  if (!g_option_context_parse (options, &argc, &argv, &error) || dir == NULL)
    {
      g_printerr ("%s\n", error != NULL ? error->message : "--dir is required");
      return 2;
    }

  cert = g_build_filename (dir, "server.crt", NULL);
  key = g_build_filename (dir, "server.key", NULL);
  if (!rh_tls_cert_generate (cert, key, NULL, &error) ||
      !rh_tls_cert_fingerprint (cert, fp, &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }

  echo.server = rh_ws_server_new (address ? address : "127.0.0.1", 0, cert, key,
                                  "remote-help.v1", &error);
  if (echo.server == NULL)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  if (auth_timeout >= 0)
    rh_ws_server_set_auth_timeout (echo.server, (guint) auth_timeout);
  if (ping > 0 && hangup > ping)
    rh_ws_server_set_idle_timeouts (echo.server, (guint) ping, (guint) hangup);

  echo.peers = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  g_signal_connect (echo.server, "peer-opened", G_CALLBACK (on_peer_opened), &echo);
  g_signal_connect (echo.server, "peer-closed", G_CALLBACK (on_peer_closed), &echo);
  g_signal_connect (echo.server, "peer-message", G_CALLBACK (on_peer_message), &echo);
  g_signal_connect (echo.server, "peer-oversize", G_CALLBACK (on_peer_oversize), &echo);

  hex = g_malloc (RH_FINGERPRINT_LEN * 2 + 1);
  for (gsize i = 0; i < RH_FINGERPRINT_LEN; i++)
    g_snprintf (hex + 2 * i, 3, "%02x", fp[i]);
  printf ("port: %d\nfingerprint: %s\n", rh_ws_server_get_port (echo.server), hex);
  fflush (stdout);

  if (!rh_ws_server_run (echo.server, &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }

  /* Every peer was reported closed before run() returned. */
  if (g_hash_table_size (echo.peers) != 0)
    {
      g_printerr ("%u peers were not reported closed\n", g_hash_table_size (echo.peers));
      return 1;
    }

  g_clear_object (&echo.server);
  g_hash_table_unref (echo.peers);
  printf ("stopped\n");
  fflush (stdout);
  return 0;
}
