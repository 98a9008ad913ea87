/* test-ws.c: RhWsClient against the real RhWsServer (tests/rh-ws-echo-server)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "rh-test"

#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/prctl.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "rh-error.h"
#include "rh-fingerprint.h"
#include "rh-ws-client.h"
#include "rh-ws-server.h"

#define SUBPROTOCOL "remote-help.v1"
#define WAIT_MS     10000

typedef struct
{
  char        *dir;
  char        *cert;
  GSubprocess *server;
  int          port;
  guint8       fingerprint[RH_FINGERPRINT_LEN];
  char        *url;
} Fixture;

typedef struct
{
  const char *auth_timeout;   /* NULL: the default */
  const char *address;        /* NULL: 127.0.0.1 */
  const char *ping;           /* idle seconds before a PING; NULL: the default */
  const char *hangup;
} FixtureConfig;

/* What one client has seen. */
typedef struct
{
  RhWsClient *client;
  GQueue      messages;       /* Message */
  gboolean    closed;
  GError     *close_error;
} Peer;

typedef struct
{
  GBytes   *data;
  gboolean  binary;
} Message;

/* ---- waiting with a deadline: a failing test never hangs -------------------------------- */

static gboolean
on_deadline (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

typedef gboolean (*Condition) (gpointer data);

static gboolean
wait_until (Condition condition,
            gpointer  data,
            guint     timeout_ms)
{
  gboolean expired = FALSE;
  guint id = g_timeout_add (timeout_ms, on_deadline, &expired);

  while (!condition (data) && !expired)
    g_main_context_iteration (NULL, TRUE);
  if (!expired)
    g_source_remove (id);
  return condition (data);
}

static gboolean
flag_is_set (gpointer data)
{
  return *(gboolean *) data;
}

static gboolean
pointer_is_set (gpointer data)
{
  return *(gpointer *) data != NULL;
}

static void
run_for (guint ms)
{
  gboolean expired = FALSE;

  g_timeout_add (ms, on_deadline, &expired);
  while (!expired)
    g_main_context_iteration (NULL, TRUE);
}

/* ---- the echo server ------------------------------------------------------------------- */

static void
on_line (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  char **line = user_data;
  g_autoptr(GError) error = NULL;

  *line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result,
                                                     NULL, &error);
  if (*line == NULL)
    *line = g_strdup ("");
}

static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  const FixtureConfig *config = data;
  const char *server_bin = g_getenv ("RH_WS_ECHO_SERVER");
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *hex = NULL;

  g_assert_nonnull (server_bin);
  f->dir = g_dir_make_tmp ("rh-test-ws-XXXXXX", &error);
  g_assert_no_error (error);
  f->cert = g_build_filename (f->dir, "server.crt", NULL);

  g_ptr_array_add (argv, (gpointer) server_bin);
  g_ptr_array_add (argv, (gpointer) "--dir");
  g_ptr_array_add (argv, f->dir);
  if (config != NULL && config->auth_timeout != NULL)
    {
      g_ptr_array_add (argv, (gpointer) "--auth-timeout");
      g_ptr_array_add (argv, (gpointer) config->auth_timeout);
    }
  if (config != NULL && config->ping != NULL)
    {
      g_ptr_array_add (argv, (gpointer) "--ping");
      g_ptr_array_add (argv, (gpointer) config->ping);
      g_ptr_array_add (argv, (gpointer) "--hangup");
      g_ptr_array_add (argv, (gpointer) config->hangup);
    }
  if (config != NULL && config->address != NULL)
    {
      g_ptr_array_add (argv, (gpointer) "--address");
      g_ptr_array_add (argv, (gpointer) config->address);
    }
  g_ptr_array_add (argv, NULL);

  /* If this test process dies on a failed assertion, the kernel stops the server. */
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  f->server = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata,
                                            &error);
  g_assert_no_error (error);

  /* "port: N" and "fingerprint: HEX", each read with a deadline. */
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (f->server));
  while (f->port == 0 || hex == NULL)
    {
      g_autofree char *line = NULL;

      g_data_input_stream_read_line_async (out, G_PRIORITY_DEFAULT, NULL, on_line, &line);
      g_assert_true (wait_until (pointer_is_set, &line, WAIT_MS));
      g_assert_cmpstr (line, !=, "");
      if (g_str_has_prefix (line, "port: "))
        f->port = (int) g_ascii_strtoll (line + 6, NULL, 10);
      else if (g_str_has_prefix (line, "fingerprint: "))
        hex = g_strdup (line + 13);
    }
  g_assert_cmpint (f->port, >, 0);
  g_assert_true (rh_fingerprint_parse (hex, f->fingerprint, &error));
  g_assert_no_error (error);
  if (config != NULL && config->address != NULL && strchr (config->address, ':') != NULL)
    f->url = g_strdup_printf ("wss://[%s]:%d/", config->address, f->port);
  else
    f->url = g_strdup_printf ("wss://%s:%d/", config && config->address ? config->address
                                                                       : "127.0.0.1", f->port);
}

static void
on_wait_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  *(gboolean *) user_data = TRUE;
}

/* Waits for the server to exit; FALSE if it is still running after the deadline. */
static gboolean
wait_server_exit (Fixture *f)
{
  gboolean done = FALSE;

  g_subprocess_wait_async (f->server, NULL, on_wait_done, &done);
  return wait_until (flag_is_set, &done, WAIT_MS);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *key = g_build_filename (f->dir, "server.key", NULL);

  /* Always stopped, also when an assertion failed half-way. */
  if (f->server != NULL)
    {
      if (g_subprocess_get_identifier (f->server) != NULL)
        g_subprocess_force_exit (f->server);
      wait_server_exit (f);
      g_clear_object (&f->server);
    }
  g_unlink (f->cert);
  g_unlink (key);
  g_rmdir (f->dir);
  g_free (f->cert);
  g_free (f->dir);
  g_free (f->url);
}

/* ---- clients --------------------------------------------------------------------------- */

static void
message_free (Message *m)
{
  g_bytes_unref (m->data);
  g_free (m);
}

static void
on_message (RhWsClient *client,
            GBytes     *data,
            gboolean    binary,
            Peer       *peer)
{
  Message *m = g_new0 (Message, 1);

  m->data = g_bytes_ref (data);
  m->binary = binary;
  g_queue_push_tail (&peer->messages, m);
}

static void
on_closed (RhWsClient *client,
           GError     *error,
           Peer       *peer)
{
  g_assert_false (peer->closed);
  peer->closed = TRUE;
  peer->close_error = error ? g_error_copy (error) : NULL;
}

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  GError **error = user_data;

  if (!rh_ws_client_connect_finish (RH_WS_CLIENT (source), result, error))
    g_assert_nonnull (*error);
  else
    *error = g_error_new_literal (G_IO_ERROR, 0, "connected"); /* marks "done" */
}

static Peer *
peer_new (void)
{
  Peer *peer = g_new0 (Peer, 1);

  peer->client = rh_ws_client_new ();
  g_queue_init (&peer->messages);
  g_signal_connect (peer->client, "message", G_CALLBACK (on_message), peer);
  g_signal_connect (peer->client, "closed", G_CALLBACK (on_closed), peer);
  return peer;
}

static void
peer_free (Peer *peer)
{
  if (peer->client != NULL)
    g_signal_handlers_disconnect_by_data (peer->client, peer);
  g_clear_object (&peer->client);
  g_queue_clear_full (&peer->messages, (GDestroyNotify) message_free);
  g_clear_error (&peer->close_error);
  g_free (peer);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Peer, peer_free)

/* Connects and waits; returns NULL on success, else the error. */
static GError *
peer_connect (Peer         *peer,
              const char   *url,
              const guint8 *pin,
              const char   *ca_file)
{
  g_autoptr(GBytes) pin_bytes = pin ? g_bytes_new (pin, RH_FINGERPRINT_LEN) : NULL;
  GError *result = NULL;

  rh_ws_client_connect_async (peer->client, url, SUBPROTOCOL, pin_bytes, ca_file, NULL,
                              on_connected, &result);
  g_assert_true (wait_until (pointer_is_set, &result, WAIT_MS));
  if (result->domain == G_IO_ERROR && result->code == 0)
    {
      g_clear_error (&result);
      g_assert_true (rh_ws_client_is_open (peer->client));
      return NULL;
    }
  g_assert_false (rh_ws_client_is_open (peer->client));
  return result;
}

static Peer *
peer_connect_pinned (Fixture *f)
{
  Peer *peer = peer_new ();
  g_autoptr(GError) error = peer_connect (peer, f->url, f->fingerprint, NULL);

  g_assert_no_error (error);
  return peer;
}

static gboolean
has_message (gpointer data)
{
  return !g_queue_is_empty (&((Peer *) data)->messages);
}

static gboolean
is_closed (gpointer data)
{
  return ((Peer *) data)->closed;
}

static Message *
peer_next (Peer *peer)
{
  g_assert_true (wait_until (has_message, peer, WAIT_MS));
  return g_queue_pop_head (&peer->messages);
}

static void
expect_text (Peer       *peer,
             const char *text)
{
  Message *m = peer_next (peer);
  gsize len;
  const char *p = g_bytes_get_data (m->data, &len);

  g_assert_false (m->binary);
  g_assert_cmpmem (p, len, text, strlen (text));
  message_free (m);
}

static void
expect_closed (Peer *peer,
               int   code)
{
  g_assert_true (wait_until (is_closed, peer, WAIT_MS));
  if (code == 0)
    g_assert_no_error (peer->close_error);
  else
    g_assert_error (peer->close_error, RH_PROTOCOL_ERROR, code);
  g_assert_false (rh_ws_client_is_open (peer->client));
}

static GBytes *
random_bytes (gsize len)
{
  guint8 *buf = g_malloc (len);

  for (gsize i = 0; i < len; i++)
    buf[i] = (guint8) g_random_int_range (0, 256);
  return g_bytes_new_take (buf, len);
}

/* ---- tests ----------------------------------------------------------------------------- */

static void
test_echo (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(Peer) peer = peer_connect_pinned (f);
  g_autoptr(GBytes) small = random_bytes (256);
  g_autoptr(GBytes) big = random_bytes (60 * 1024);
  g_autofree char *big_text = g_strnfill (60 * 1024 - 1, 'a');
  Message *m;

  rh_ws_client_send_text (peer->client, "hello", -1);
  expect_text (peer, "hello");

  rh_ws_client_send_binary (peer->client, small);
  m = peer_next (peer);
  g_assert_true (m->binary);
  g_assert_true (g_bytes_equal (m->data, small));
  message_free (m);

  /* 60 KiB, binary and text, arrive intact (the server reassembles many frames). */
  rh_ws_client_send_binary (peer->client, big);
  m = peer_next (peer);
  g_assert_true (m->binary);
  g_assert_true (g_bytes_equal (m->data, big));
  message_free (m);

  rh_ws_client_send_text (peer->client, big_text, -1);
  expect_text (peer, big_text);

  /* Empty messages are messages too. */
  rh_ws_client_send_text (peer->client, "", 0);
  expect_text (peer, "");

  rh_ws_client_close (peer->client);
  expect_closed (peer, 0);
}

static void
test_order (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(Peer) peer = peer_connect_pinned (f);
  const guint n = 200;

  /* Back to back, without waiting: all queued before the first is written. */
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *text = g_strdup_printf ("message %u %s", i,
                                               i % 7 == 0 ? "xxxxxxxxxxxxxxxxxxxxxxxx" : "");

      if (i % 3 == 0)
        {
          g_autoptr(GBytes) bytes = g_bytes_new (text, strlen (text));
          rh_ws_client_send_binary (peer->client, bytes);
        }
      else
        rh_ws_client_send_text (peer->client, text, -1);
    }
  g_assert_cmpuint (rh_ws_client_get_queued (peer->client), >, 0);

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *text = g_strdup_printf ("message %u %s", i,
                                               i % 7 == 0 ? "xxxxxxxxxxxxxxxxxxxxxxxx" : "");
      Message *m = peer_next (peer);
      gsize len;
      const char *p = g_bytes_get_data (m->data, &len);

      g_assert_cmpint (m->binary, ==, i % 3 == 0);
      g_assert_cmpmem (p, len, text, strlen (text));
      message_free (m);
    }
  g_assert_cmpuint (rh_ws_client_get_queued (peer->client), ==, 0);
}

static void
test_wrong_pin (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(Peer) peer = peer_new ();
  guint8 pin[RH_FINGERPRINT_LEN];
  g_autoptr(GError) error = NULL;

  memcpy (pin, f->fingerprint, sizeof pin);
  pin[17] ^= 0x01;
  error = peer_connect (peer, f->url, pin, NULL);
  g_assert_error (error, RH_PROTOCOL_ERROR, RH_ERROR_TLS_VERIFY_FAILED);
  g_assert_false (peer->closed);
  g_assert_true (g_queue_is_empty (&peer->messages));
}

static void
test_no_trust (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(Peer) peer = peer_new ();
  g_autoptr(Peer) both = peer_new ();
  g_autoptr(Peer) short_pin = peer_new ();
  g_autoptr(GError) error = NULL;
  GError *result = NULL;
  g_autoptr(GBytes) pin = g_bytes_new (f->fingerprint, 20);

  error = peer_connect (peer, f->url, NULL, NULL);
  g_assert_error (error, RH_PROTOCOL_ERROR, RH_ERROR_NO_TRUST);
  g_clear_error (&error);

  error = peer_connect (both, f->url, f->fingerprint, f->cert);
  g_assert_error (error, RH_PROTOCOL_ERROR, RH_ERROR_NO_TRUST);
  g_clear_error (&error);

  rh_ws_client_connect_async (short_pin->client, f->url, SUBPROTOCOL, pin, NULL, NULL,
                              on_connected, &result);
  g_assert_true (wait_until (pointer_is_set, &result, WAIT_MS));
  g_assert_error (result, RH_PROTOCOL_ERROR, RH_ERROR_BAD_FINGERPRINT);
  g_clear_error (&result);
}

static void
test_ca_file (Fixture       *f,
              gconstpointer  data)
{
  g_autofree char *by_name = g_strdup_printf ("wss://localhost:%d/", f->port);
  g_autofree char *by_ip = g_strdup_printf ("wss://127.0.0.1:%d/some/path?x=1", f->port);
  g_autoptr(Peer) named = peer_new ();
  g_autoptr(Peer) numeric = peer_new ();
  g_autoptr(GError) error = NULL;

  /* The certificate's SAN has DNS:localhost and IP:127.0.0.1: both names verify. */
  error = peer_connect (named, by_name, NULL, f->cert);
  g_assert_no_error (error);
  rh_ws_client_send_text (named->client, "via localhost", -1);
  expect_text (named, "via localhost");

  error = peer_connect (numeric, by_ip, NULL, f->cert);
  g_assert_no_error (error);
  rh_ws_client_send_text (numeric->client, "via 127.0.0.1", -1);
  expect_text (numeric, "via 127.0.0.1");
}

/* A CA file that does not hold the server's certificate is refused. */
static void
test_ca_file_other (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *other_dir = g_dir_make_tmp ("rh-test-ws-ca-XXXXXX", NULL);
  g_autofree char *other_cert = g_build_filename (other_dir, "other.crt", NULL);
  g_autofree char *other_key = g_build_filename (other_dir, "other.key", NULL);
  g_autofree char *by_name = g_strdup_printf ("wss://localhost:%d/", f->port);
  g_autoptr(Peer) peer = peer_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) gen = NULL;

  /* Any other self-signed certificate will do; openssl(1) makes one. */
  gen = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE,
                          &error, "openssl", "req", "-x509", "-newkey", "ec",
                          "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                          "-keyout", other_key, "-out", other_cert, "-days", "1",
                          "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
                          NULL);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_wait_check (gen, NULL, &error));
  g_assert_no_error (error);

  error = peer_connect (peer, by_name, NULL, other_cert);
  g_assert_error (error, RH_PROTOCOL_ERROR, RH_ERROR_TLS_VERIFY_FAILED);

  g_unlink (other_cert);
  g_unlink (other_key);
  g_rmdir (other_dir);
}

static void
test_bad_url (Fixture       *f,
              gconstpointer  data)
{
  g_autofree char *http = g_strdup_printf ("http://127.0.0.1:%d/", f->port);
  g_autofree char *ws = g_strdup_printf ("ws://127.0.0.1:%d/", f->port);
  const char *urls[] = { http, ws, "wss://", "wss:///path", "wss://:443/", "127.0.0.1:443",
                         "not a url", "wss://user@127.0.0.1/", "" };

  for (gsize i = 0; i < G_N_ELEMENTS (urls); i++)
    {
      g_autoptr(Peer) peer = peer_new ();
      g_autoptr(GError) error = peer_connect (peer, urls[i], f->fingerprint, NULL);

      g_test_message ("URL “%s”", urls[i]);
      g_assert_error (error, RH_PROTOCOL_ERROR, RH_ERROR_BAD_SERVER_URL);
    }
}

static int
free_port (void)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GSocketAddress) any = NULL;
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GError) error = NULL;
  int port;

  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                         G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  any = g_inet_socket_address_new (lo, 0);
  g_assert_true (g_socket_bind (socket, any, FALSE, &error));
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_socket_close (socket, NULL);
  return port;
}

static void
test_refused (Fixture       *f,
              gconstpointer  data)
{
  g_autofree char *url = g_strdup_printf ("wss://127.0.0.1:%d/", free_port ());
  g_autoptr(Peer) peer = peer_new ();
  g_autoptr(GError) error = peer_connect (peer, url, f->fingerprint, NULL);

  g_assert_error (error, RH_PROTOCOL_ERROR, RH_ERROR_CONNECT_FAILED);
}

static void
test_wrong_subprotocol (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(RhWsClient) client = rh_ws_client_new ();
  g_autoptr(GBytes) pin = g_bytes_new (f->fingerprint, RH_FINGERPRINT_LEN);
  GError *result = NULL;

  rh_ws_client_connect_async (client, f->url, "something-else.v1", pin, NULL, NULL,
                              on_connected, &result);
  g_assert_true (wait_until (pointer_is_set, &result, WAIT_MS));
  g_assert_error (result, RH_PROTOCOL_ERROR, RH_ERROR_CONNECT_FAILED);
  g_clear_error (&result);
}

static void
test_too_large (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(Peer) peer = peer_connect_pinned (f);
  g_autoptr(GBytes) huge = random_bytes (70 * 1024);

  rh_ws_client_send_binary (peer->client, huge);
  expect_text (peer, "too-large");
  /* The server closed (1009): for the client that is a lost connection. */
  expect_closed (peer, RH_ERROR_CONNECTION_LOST);
  g_assert_true (g_queue_is_empty (&peer->messages));
}

static void
test_client_max (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(Peer) peer = peer_connect_pinned (f);
  g_autoptr(GBytes) ok = random_bytes (1024);
  g_autoptr(GBytes) big = random_bytes (1025);
  Message *m;

  rh_ws_client_set_max_message (peer->client, 1024);
  rh_ws_client_send_binary (peer->client, ok);
  m = peer_next (peer);
  g_assert_true (g_bytes_equal (m->data, ok));
  message_free (m);

  rh_ws_client_send_binary (peer->client, big);
  expect_closed (peer, RH_ERROR_MESSAGE_TOO_LARGE);
  g_assert_true (g_queue_is_empty (&peer->messages));
}

static void
test_server_close (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(Peer) peer = peer_connect_pinned (f);

  rh_ws_client_send_text (peer->client, "close-me", -1);
  expect_closed (peer, RH_ERROR_CONNECTION_LOST);
}

static void
test_auth_timeout (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(Peer) silent = peer_connect_pinned (f);
  g_autoptr(Peer) authed = peer_connect_pinned (f);
  gint64 start = g_get_monotonic_time ();
  gint64 elapsed;

  rh_ws_client_send_text (authed->client, "auth", -1);
  expect_text (authed, "auth");

  /* --auth-timeout 2: the silent one is dropped after about two seconds. */
  g_assert_true (wait_until (is_closed, silent, 4000));
  elapsed = (g_get_monotonic_time () - start) / 1000;
  g_test_message ("dropped after %" G_GINT64_FORMAT " ms", elapsed);
  g_assert_cmpint (elapsed, >=, 1500);
  g_assert_cmpint (elapsed, <=, 3500);
  g_assert_error (silent->close_error, RH_PROTOCOL_ERROR, RH_ERROR_CONNECTION_LOST);

  /* The authenticated one stays, well past the limit. */
  run_for (1500);
  g_assert_false (authed->closed);
  g_assert_true (rh_ws_client_is_open (authed->client));
  rh_ws_client_send_text (authed->client, "still here", -1);
  expect_text (authed, "still here");
}

/* --ping 1 --hangup 2: an idle connection is dropped after two seconds unless the server's
 * PINGs are answered. lws answers them for our client, so it stays open, idle, well past that. */
static void
test_idle_ping (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(Peer) peer = peer_connect_pinned (f);

  rh_ws_client_send_text (peer->client, "auth", -1);
  expect_text (peer, "auth");
  run_for (4000);
  g_assert_false (peer->closed);
  rh_ws_client_send_text (peer->client, "after idling", -1);
  expect_text (peer, "after idling");
}

static gboolean
port_is_listening (int port)
{
  g_autofree char *out = NULL;
  g_autofree char *needle = g_strdup_printf ("127.0.0.1:%d ", port);
  g_autoptr(GError) error = NULL;
  int status = 0;

  if (!g_spawn_command_line_sync ("ss -Hltn", &out, NULL, &status, &error))
    {
      g_test_message ("ss not available: %s", error->message);
      return FALSE;
    }
  return strstr (out, needle) != NULL;
}

static void
check_server_gone (Fixture *f)
{
  g_autoptr(Peer) again = peer_new ();
  g_autoptr(GError) error = NULL;

  g_assert_true (wait_server_exit (f));
  g_assert_true (g_subprocess_get_if_exited (f->server));
  g_assert_cmpint (g_subprocess_get_exit_status (f->server), ==, 0);

  g_assert_false (port_is_listening (f->port));
  error = peer_connect (again, f->url, f->fingerprint, NULL);
  g_assert_error (error, RH_PROTOCOL_ERROR, RH_ERROR_CONNECT_FAILED);
}

static void
test_sigterm (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(Peer) one = peer_connect_pinned (f);
  g_autoptr(Peer) two = peer_connect_pinned (f);

  g_assert_true (port_is_listening (f->port) || g_find_program_in_path ("ss") == NULL);
  rh_ws_client_send_text (two->client, "auth", -1);
  expect_text (two, "auth");

  g_subprocess_send_signal (f->server, SIGTERM);
  expect_closed (one, RH_ERROR_CONNECTION_LOST);
  expect_closed (two, RH_ERROR_CONNECTION_LOST);
  check_server_gone (f);
}

static void
test_sigint (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(Peer) peer = peer_connect_pinned (f);

  g_subprocess_send_signal (f->server, SIGINT);
  expect_closed (peer, RH_ERROR_CONNECTION_LOST);
  check_server_gone (f);
}

static void
test_stop_from_callback (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(Peer) peer = peer_connect_pinned (f);
  g_autoptr(Peer) other = peer_connect_pinned (f);

  rh_ws_client_send_text (peer->client, "stop-server", -1);
  expect_closed (peer, RH_ERROR_CONNECTION_LOST);
  expect_closed (other, RH_ERROR_CONNECTION_LOST);
  check_server_gone (f);
}

static void
test_timer (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(Peer) peer = peer_connect_pinned (f);
  gint64 start = g_get_monotonic_time ();

  rh_ws_client_send_text (peer->client, "timer:300", -1);
  rh_ws_client_send_text (peer->client, "now", -1);
  expect_text (peer, "now");
  expect_text (peer, "timer");
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 280 * 1000);
}

static void
test_ipv6 (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(Peer) pinned = NULL;
  g_autoptr(Peer) ca = peer_new ();
  g_autoptr(GError) error = NULL;

  /* Pinned, and with the certificate as CA file: its SAN has IP:::1. */
  pinned = peer_connect_pinned (f);
  rh_ws_client_send_text (pinned->client, "over IPv6", -1);
  expect_text (pinned, "over IPv6");

  error = peer_connect (ca, f->url, NULL, f->cert);
  g_assert_no_error (error);
  rh_ws_client_send_text (ca->client, "verified", -1);
  expect_text (ca, "verified");
}

static void
test_two_clients (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(Peer) a = peer_new ();
  g_autoptr(Peer) b = peer_new ();
  g_autoptr(Peer) c = NULL;
  g_autoptr(GBytes) pin = g_bytes_new (f->fingerprint, RH_FINGERPRINT_LEN);
  GError *ra = NULL, *rb = NULL;

  /* Both handshakes in flight at once, on one main context. */
  rh_ws_client_connect_async (a->client, f->url, SUBPROTOCOL, pin, NULL, NULL,
                              on_connected, &ra);
  rh_ws_client_connect_async (b->client, f->url, SUBPROTOCOL, pin, NULL, NULL,
                              on_connected, &rb);
  g_assert_true (wait_until (pointer_is_set, &ra, WAIT_MS));
  g_assert_true (wait_until (pointer_is_set, &rb, WAIT_MS));
  g_assert_cmpint (ra->code, ==, 0);
  g_assert_cmpint (rb->code, ==, 0);
  g_clear_error (&ra);
  g_clear_error (&rb);

  rh_ws_client_send_text (a->client, "to a", -1);
  rh_ws_client_send_text (b->client, "to b", -1);
  expect_text (a, "to a");
  expect_text (b, "to b");

  /* Destroying a connected client leaves the other one working. */
  g_signal_handlers_disconnect_by_data (a->client, a);
  g_clear_object (&a->client);
  run_for (200);
  rh_ws_client_send_text (b->client, "b again", -1);
  expect_text (b, "b again");
  g_assert_false (b->closed);

  /* And a new one still works next to it. */
  c = peer_connect_pinned (f);
  rh_ws_client_send_text (c->client, "to c", -1);
  expect_text (c, "to c");
  rh_ws_client_send_text (b->client, "b once more", -1);
  expect_text (b, "b once more");
}

static void
test_cancel (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(Peer) peer = peer_new ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GBytes) pin = g_bytes_new (f->fingerprint, RH_FINGERPRINT_LEN);
  g_autoptr(RhWsClient) dropped = rh_ws_client_new ();
  g_autoptr(Peer) closing = peer_new ();
  RhWsClient *dropped_weak = dropped;
  GError *result = NULL;
  GError *dropped_result = NULL;

  rh_ws_client_connect_async (peer->client, f->url, SUBPROTOCOL, pin, NULL, cancellable,
                              on_connected, &result);
  g_cancellable_cancel (cancellable);
  g_assert_true (wait_until (pointer_is_set, &result, WAIT_MS));
  g_assert_error (result, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&result);
  g_assert_false (peer->closed);

  /* Dropping our reference while it connects: the task keeps the object until it completes,
   * then the object and its lws context go away. */
  rh_ws_client_connect_async (dropped, f->url, SUBPROTOCOL, pin, NULL, NULL,
                              on_connected, &dropped_result);
  g_object_add_weak_pointer (G_OBJECT (dropped), (gpointer *) &dropped_weak);
  g_clear_object (&dropped);
  g_assert_true (wait_until (pointer_is_set, &dropped_result, WAIT_MS));
  g_assert_cmpint (dropped_result->code, ==, 0);
  g_clear_error (&dropped_result);
  run_for (200);
  g_assert_null (dropped_weak);

  /* Closing while connecting fails the connect as cancelled. */
  rh_ws_client_connect_async (closing->client, f->url, SUBPROTOCOL, pin, NULL, NULL,
                              on_connected, &result);
  rh_ws_client_close (closing->client);
  g_assert_true (wait_until (pointer_is_set, &result, WAIT_MS));
  g_assert_error (result, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&result);
  g_assert_false (closing->closed);

  /* The server is unharmed. */
  {
    g_autoptr(Peer) after = peer_connect_pinned (f);
    rh_ws_client_send_text (after->client, "after", -1);
    expect_text (after, "after");
  }
}

/* RhWsServer in this process: it listens from new() on, and never after it is gone, whether
 * it ran or not. */
static void
on_in_process_timer (gpointer user_data)
{
  (*(int *) user_data)++;
}

static void
test_server_lifecycle (Fixture       *f,
                       gconstpointer  data)
{
  g_autofree char *key = g_build_filename (f->dir, "server.key", NULL);
  g_autoptr(RhWsServer) server = NULL;
  g_autoptr(GError) error = NULL;
  int fired = 0;
  int port;

  /* Never run. */
  server = rh_ws_server_new ("127.0.0.1", 0, f->cert, key, SUBPROTOCOL, &error);
  g_assert_no_error (error);
  port = rh_ws_server_get_port (server);
  g_assert_cmpint (port, >, 0);
  g_assert_true (port_is_listening (port) || g_find_program_in_path ("ss") == NULL);
  g_clear_object (&server);
  g_assert_false (port_is_listening (port));

  /* Stopped before it runs: run() returns at once; a cancelled timer never fires. */
  server = rh_ws_server_new ("127.0.0.1", 0, f->cert, key, SUBPROTOCOL, &error);
  g_assert_no_error (error);
  port = rh_ws_server_get_port (server);
  rh_ws_server_cancel_timer (server, rh_ws_server_add_timer (server, 1, on_in_process_timer,
                                                              &fired));
  rh_ws_server_stop (server);
  g_assert_true (rh_ws_server_run (server, &error));
  g_assert_no_error (error);
  g_assert_cmpint (fired, ==, 0);
  g_assert_false (port_is_listening (port));
  g_assert_false (rh_ws_server_run (server, &error));
  g_assert_error (error, RH_PROTOCOL_ERROR, RH_ERROR_INTERNAL);
  g_clear_error (&error);
  g_clear_object (&server);

  /* The port is taken: a clear error. */
  server = rh_ws_server_new ("127.0.0.1", f->port, f->cert, key, SUBPROTOCOL, &error);
  g_assert_null (server);
  g_assert_error (error, RH_PROTOCOL_ERROR, RH_ERROR_INTERNAL);
  g_test_message ("%s", error->message);
  g_clear_error (&error);

  /* No such key. */
  server = rh_ws_server_new ("127.0.0.1", 0, f->cert, "/nonexistent/key", SUBPROTOCOL, &error);
  g_assert_null (server);
  g_assert_nonnull (error);
  g_test_message ("%s", error->message);
  g_clear_error (&error);

  /* And after all that, a server in this process still works end to end. */
  server = rh_ws_server_new ("127.0.0.1", 0, f->cert, key, SUBPROTOCOL, &error);
  g_assert_no_error (error);
  g_clear_object (&server);

  /* The echo server was not disturbed. */
  {
    g_autoptr(Peer) peer = peer_connect_pinned (f);
    rh_ws_client_send_text (peer->client, "still echoing", -1);
    expect_text (peer, "still echoing");
  }
}

/* CI containers may come without ::1; the test needs it. */
static gboolean
has_ipv6_loopback (void)
{
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV6, G_SOCKET_TYPE_STREAM,
                                            G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV6);
  g_autoptr(GSocketAddress) addr = g_inet_socket_address_new (lo, 0);

  return socket != NULL && g_socket_bind (socket, addr, FALSE, NULL);
}

static void
skip_no_ipv6 (void)
{
  g_test_skip ("This machine has no IPv6 loopback address");
}

int
main (int   argc,
      char *argv[])
{
  static const FixtureConfig short_auth = { .auth_timeout = "2" };
  static const FixtureConfig ipv6 = { .address = "::1" };
  static const FixtureConfig fast_ping = { .ping = "1", .hangup = "2" };

  g_test_init (&argc, &argv, NULL);

#define ADD(path, func, config) \
  g_test_add (path, Fixture, config, fixture_set_up, func, fixture_tear_down)

  ADD ("/ws/echo", test_echo, NULL);
  ADD ("/ws/order", test_order, NULL);
  ADD ("/ws/trust/wrong-pin", test_wrong_pin, NULL);
  ADD ("/ws/trust/none", test_no_trust, NULL);
  ADD ("/ws/trust/ca-file", test_ca_file, NULL);
  ADD ("/ws/trust/ca-file-other", test_ca_file_other, NULL);
  ADD ("/ws/connect/bad-url", test_bad_url, NULL);
  ADD ("/ws/connect/refused", test_refused, NULL);
  ADD ("/ws/connect/wrong-subprotocol", test_wrong_subprotocol, NULL);
  ADD ("/ws/connect/cancel", test_cancel, NULL);
  ADD ("/ws/limits/too-large", test_too_large, NULL);
  ADD ("/ws/limits/client-max", test_client_max, NULL);
  ADD ("/ws/server/close", test_server_close, NULL);
  ADD ("/ws/server/auth-timeout", test_auth_timeout, &short_auth);
  ADD ("/ws/server/sigterm", test_sigterm, NULL);
  ADD ("/ws/server/sigint", test_sigint, NULL);
  ADD ("/ws/server/stop-from-callback", test_stop_from_callback, NULL);
  ADD ("/ws/server/timer", test_timer, NULL);
  ADD ("/ws/server/idle-ping", test_idle_ping, &fast_ping);
  ADD ("/ws/clients/two", test_two_clients, NULL);
  ADD ("/ws/server/lifecycle", test_server_lifecycle, NULL);
  if (has_ipv6_loopback ())
    ADD ("/ws/ipv6", test_ipv6, &ipv6);
  else
    g_test_add_func ("/ws/ipv6", skip_no_ipv6);

#undef ADD

  return g_test_run ();
}
