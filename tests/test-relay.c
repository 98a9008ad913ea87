/* test-relay.c: the blind relay through a real remote-help-server on 127.0.0.1
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Two paired apps open relays; the sharer's end connects to a local socket served here (an
 * echo or a fast source), the test connects to the helper's listening socket as the RDP
 * viewer would. Tampering with the bytes cannot be tested without a malicious server: the
 * server here is the real one, which copies them unchanged.
 */
#include "config.h"

#include <string.h>

#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "rh-error.h"
#include "rh-fingerprint.h"
#include "rh-message.h"
#include "rh-relay-client.h"
#include "rh-rendezvous-client.h"
#include "rh-test-server.h"
#include "rh-ws-client.h"

#define WAIT_MS      15000
#define BIG          (10 * 1024 * 1024)
#define SOURCE_BYTES (32 * 1024 * 1024)

typedef struct
{
  RhTestServer       *server;
  RhRendezvousClient *helper;
  RhRendezvousClient *sharer;
  GBytes             *pin;
  char               *socket_path;   /* the sharer's local service */
  GSocketService     *service;
} Fixture;

/* ---- local services on the sharer's side ---------------------------------------------- */

typedef struct
{
  GIOStream *stream;
  guint8     buf[64 * 1024];
  int        mode;       /* LOCAL_ECHO, LOCAL_SOURCE or LOCAL_SINK */
  gsize      offset;
  gboolean   eof;
} LocalConn;

enum
{
  LOCAL_ECHO,    /* writes back what it reads */
  LOCAL_SOURCE,  /* writes SOURCE_BYTES of pattern */
  LOCAL_SINK,    /* counts what it reads until the end */
};

static gboolean local_eof_seen;
static gsize sink_bytes;

static guint8
pattern_byte (gsize i)
{
  return (guint8) ((i * 31) ^ (i >> 13));
}

static void echo_read (LocalConn *lc);
static void source_write (LocalConn *lc);

static void
local_conn_free (LocalConn *lc)
{
  g_io_stream_close (lc->stream, NULL, NULL);
  g_object_unref (lc->stream);
  g_free (lc);
}

static void
echo_written (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  LocalConn *lc = user_data;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, NULL))
    {
      local_eof_seen = TRUE;
      local_conn_free (lc);
      return;
    }
  echo_read (lc);
}

static void
echo_got (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  LocalConn *lc = user_data;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, NULL);

  if (n <= 0)
    {
      local_eof_seen = TRUE;
      local_conn_free (lc);
      return;
    }
  if (lc->mode == LOCAL_SINK)
    {
      /* A slow reader, so that data is still on its way when the relay closes. */
      sink_bytes += (gsize) n;
      g_timeout_add_once (5, (GSourceOnceFunc) echo_read, lc);
      return;
    }
  g_output_stream_write_all_async (g_io_stream_get_output_stream (lc->stream), lc->buf,
                                   (gsize) n, G_PRIORITY_DEFAULT, NULL, echo_written, lc);
}

static void
echo_read (LocalConn *lc)
{
  g_input_stream_read_async (g_io_stream_get_input_stream (lc->stream), lc->buf,
                             sizeof lc->buf, G_PRIORITY_DEFAULT, NULL, echo_got, lc);
}

static gsize source_written;

static void
source_done (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  LocalConn *lc = user_data;
  gsize n = 0;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, &n, NULL))
    {
      local_conn_free (lc);
      return;
    }
  lc->offset += n;
  source_written = lc->offset;
  if (lc->offset < SOURCE_BYTES)
    source_write (lc);
  else
    local_conn_free (lc);
}

static void
source_write (LocalConn *lc)
{
  gsize len = MIN (sizeof lc->buf, SOURCE_BYTES - lc->offset);

  for (gsize i = 0; i < len; i++)
    lc->buf[i] = pattern_byte (lc->offset + i);
  g_output_stream_write_all_async (g_io_stream_get_output_stream (lc->stream), lc->buf, len,
                                   G_PRIORITY_DEFAULT, NULL, source_done, lc);
}

static gboolean
on_local_incoming (GSocketService    *service,
                   GSocketConnection *connection,
                   GObject           *source_object,
                   gpointer           user_data)
{
  LocalConn *lc = g_new0 (LocalConn, 1);

  lc->stream = g_object_ref (G_IO_STREAM (connection));
  lc->mode = GPOINTER_TO_INT (user_data);
  if (lc->mode == LOCAL_SOURCE)
    source_write (lc);
  else
    echo_read (lc);
  return TRUE;
}

static void
start_local_service (Fixture *f,
                     int      mode)
{
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GError) error = NULL;

  f->socket_path = g_build_filename (f->server->tmpdir, "local.sock", NULL);
  address = g_unix_socket_address_new (f->socket_path);
  f->service = g_socket_service_new ();
  g_socket_listener_add_address (G_SOCKET_LISTENER (f->service), address, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_DEFAULT, NULL, NULL, &error);
  g_assert_no_error (error);
  g_signal_connect (f->service, "incoming", G_CALLBACK (on_local_incoming),
                    GINT_TO_POINTER (mode));
  g_socket_service_start (f->service);
}

/* ---- pairing and relays --------------------------------------------------------------- */

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GAsyncResult) wait = NULL;
  g_autoptr(GAsyncResult) redeem = NULL;
  g_autoptr(GAsyncResult) code_result = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(RhIdentityCard) card1 = NULL;
  g_autoptr(RhIdentityCard) card2 = NULL;
  g_autofree char *code = NULL;
  guint8 pin[RH_FINGERPRINT_LEN];

  local_eof_seen = FALSE;
  source_written = 0;
  sink_bytes = 0;
  f->server = rh_test_server_new ();
  rh_test_server_start (f->server, NULL);
  g_assert_true (rh_fingerprint_parse (f->server->tls_fingerprint, pin, NULL));
  f->pin = g_bytes_new (pin, sizeof pin);

  f->helper = rh_test_server_signed_in (f->server, "helen", "helen-password");
  f->sharer = rh_test_server_signed_in (f->server, "sam", "sam-password");
  rh_rendezvous_client_request_code_async (f->helper, NULL, rh_test_store_result, &code_result);
  code = rh_rendezvous_client_request_code_finish (f->helper,
                                                   rh_test_wait_result (&code_result, WAIT_MS),
                                                   NULL, &error);
  g_assert_no_error (error);
  rh_rendezvous_client_wait_for_sharer_async (f->helper, NULL, rh_test_store_result, &wait);
  rh_rendezvous_client_redeem_code_async (f->sharer, code, NULL, rh_test_store_result, &redeem);
  card1 = rh_rendezvous_client_redeem_code_finish (f->sharer,
                                                   rh_test_wait_result (&redeem, WAIT_MS),
                                                   &error);
  g_assert_no_error (error);
  card2 = rh_rendezvous_client_wait_for_sharer_finish (f->helper,
                                                       rh_test_wait_result (&wait, WAIT_MS),
                                                       &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  if (f->service != NULL)
    {
      g_socket_service_stop (f->service);
      g_socket_listener_close (G_SOCKET_LISTENER (f->service));
      g_clear_object (&f->service);
    }
  g_clear_object (&f->helper);
  g_clear_object (&f->sharer);
  g_clear_pointer (&f->pin, g_bytes_unref);
  g_clear_pointer (&f->socket_path, g_free);
  g_clear_pointer (&f->server, rh_test_server_free);
}

typedef struct
{
  RhRelayClient *relay;
  gboolean       ready;
  gboolean       closed;
  GError        *error;
} RelayEnd;

static void
on_ready (RhRelayClient *relay,
          gpointer       user_data)
{
  RelayEnd *end = user_data;

  end->ready = TRUE;
}

static void
on_closed (RhRelayClient *relay,
           const GError  *error,
           gpointer       user_data)
{
  RelayEnd *end = user_data;

  g_assert_false (end->closed);
  end->closed = TRUE;
  end->error = error ? g_error_copy (error) : NULL;
}

static void
relay_end_clear (RelayEnd *end)
{
  if (end->relay != NULL)
    g_signal_handlers_disconnect_by_data (end->relay, end);
  g_clear_object (&end->relay);
  g_clear_error (&end->error);
}

static void
open_relay_with_id (Fixture            *f,
                    RelayEnd           *end,
                    RhRendezvousClient *client,
                    const guint8       *relay_id,
                    RhRelayMode         mode)
{
  g_autoptr(GError) error = NULL;

  memset (end, 0, sizeof *end);
  end->relay = rh_relay_client_new (f->server->url, f->pin, NULL,
                                    rh_rendezvous_client_get_token (client),
                                    rh_rendezvous_client_get_pairing_id (client), relay_id);
  g_signal_connect (end->relay, "ready", G_CALLBACK (on_ready), end);
  g_signal_connect (end->relay, "closed", G_CALLBACK (on_closed), end);
  g_assert_true (rh_relay_client_start (end->relay, mode,
                                        mode == RH_RELAY_MODE_CONNECT ? f->socket_path : NULL,
                                        &error));
  g_assert_no_error (error);
}

static void
open_relay (Fixture            *f,
            RelayEnd           *end,
            RhRendezvousClient *client,
            RhRelayMode         mode)
{
  guint8 relay_id[RH_RELAY_ID_LEN];

  g_assert_true (rh_rendezvous_client_get_relay_id (client, relay_id));
  open_relay_with_id (f, end, client, relay_id, mode);
}

static void
open_both (Fixture  *f,
           RelayEnd *helper,
           RelayEnd *sharer)
{
  open_relay (f, helper, f->helper, RH_RELAY_MODE_LISTEN);
  open_relay (f, sharer, f->sharer, RH_RELAY_MODE_CONNECT);
  g_assert_true (rh_test_wait_flag (&helper->ready, WAIT_MS));
  g_assert_true (rh_test_wait_flag (&sharer->ready, WAIT_MS));
}

static GSocketConnection *
connect_viewer (RelayEnd *helper)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GError) error = NULL;
  const char *path = rh_relay_client_get_socket_path (helper->relay);
  GSocketConnection *conn;
  GStatBuf st;
  g_autofree char *dir = g_path_get_dirname (path);

  /* A private directory under $XDG_RUNTIME_DIR. */
  g_assert_true (g_str_has_prefix (path, g_get_user_runtime_dir ()));
  g_assert_cmpint (g_stat (dir, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);

  address = g_unix_socket_address_new (path);
  conn = g_socket_client_connect (client, G_SOCKET_CONNECTABLE (address), NULL, &error);
  g_assert_no_error (error);
  return conn;
}

static void
spin_until (gboolean (*done) (gpointer),
            gpointer   data,
            guint      timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (!done (data))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("Timed out after %u ms", timeout_ms);
      g_main_context_iteration (NULL, TRUE);
    }
}

static void
spin_for (guint ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) ms * 1000;

  while (g_get_monotonic_time () < deadline)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

/* ---- the viewer's side: write and read concurrently ------------------------------------- */

typedef struct
{
  GIOStream  *stream;
  GByteArray *in;
  gsize       want;
  guint8      buf[64 * 1024];
  gboolean    write_done;
  gboolean    eof;
} Viewer;

static void
viewer_write_done (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Viewer *v = user_data;
  g_autoptr(GError) error = NULL;

  g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error);
  g_assert_no_error (error);
  v->write_done = TRUE;
}

static void viewer_read (Viewer *v);

static void
viewer_got (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Viewer *v = user_data;
  g_autoptr(GError) error = NULL;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);

  g_assert_no_error (error);
  if (n == 0)
    {
      v->eof = TRUE;
      return;
    }
  g_byte_array_append (v->in, v->buf, (guint) n);
  if (v->in->len < v->want)
    viewer_read (v);
}

static void
viewer_read (Viewer *v)
{
  g_input_stream_read_async (g_io_stream_get_input_stream (v->stream), v->buf, sizeof v->buf,
                             G_PRIORITY_DEFAULT, NULL, viewer_got, v);
}

static gboolean
viewer_done (gpointer data)
{
  Viewer *v = data;

  return v->write_done && v->in->len >= v->want;
}

static gboolean
viewer_read_all (gpointer data)
{
  Viewer *v = data;

  return v->in->len >= v->want || v->eof;
}

static gboolean
closed_flag (gpointer data)
{
  return ((RelayEnd *) data)->closed;
}

/* ---- tests ------------------------------------------------------------------------------ */

static gint64
db_int (Fixture    *f,
        const char *sql,
        gboolean   *out_row)
{
  g_autofree char *path = g_build_filename (f->server->data_dir, "remote-help.db", NULL);
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 value = -1;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  *out_row = sqlite3_step (stmt) == SQLITE_ROW;
  if (*out_row)
    value = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return value;
}

static void
test_transfer (Fixture       *f,
               gconstpointer  data)
{
  RelayEnd helper, sharer;
  g_autoptr(GSocketConnection) conn = NULL;
  g_autoptr(GBytes) payload = NULL;
  Viewer v = { 0 };
  guint8 *random = g_malloc (BIG);
  gint64 start, elapsed;
  gboolean row = FALSE;
  gint64 bytes = 0;

  for (gsize i = 0; i < BIG; i += 4)
    {
      guint32 r = g_random_int ();

      memcpy (random + i, &r, 4);
    }
  payload = g_bytes_new_take (random, BIG);

  start_local_service (f, LOCAL_ECHO);
  open_both (f, &helper, &sharer);

  conn = connect_viewer (&helper);
  v.stream = G_IO_STREAM (conn);
  v.in = g_byte_array_sized_new (BIG);
  v.want = BIG;

  /* 10 MiB to the sharer's echo service and back: both directions, intact. */
  start = g_get_monotonic_time ();
  g_output_stream_write_all_async (g_io_stream_get_output_stream (v.stream),
                                   g_bytes_get_data (payload, NULL), BIG, G_PRIORITY_DEFAULT,
                                   NULL, viewer_write_done, &v);
  viewer_read (&v);
  spin_until (viewer_done, &v, 120000);
  elapsed = g_get_monotonic_time () - start;
  g_test_message ("10 MiB each way through the relay in %.2f s (%.1f MiB/s per direction)",
                  elapsed / 1e6, 10.0 / (elapsed / 1e6));
  g_assert_cmpuint (v.in->len, ==, BIG);
  g_assert_true (memcmp (v.in->data, g_bytes_get_data (payload, NULL), BIG) == 0);
  g_assert_cmpuint (rh_relay_client_get_bytes_sent (helper.relay), ==, BIG);
  g_assert_cmpuint (rh_relay_client_get_bytes_received (helper.relay), ==, BIG);
  g_assert_cmpuint (rh_relay_client_get_bytes_sent (sharer.relay), ==, BIG);

  /* Closing one end closes the other, and the sharer's local connection with it. */
  rh_relay_client_close (helper.relay);
  spin_until (closed_flag, &helper, WAIT_MS);
  g_assert_no_error (helper.error);
  spin_until (closed_flag, &sharer, WAIT_MS);
  g_assert_error (sharer.error, RH_PROTOCOL_ERROR, RH_ERROR_RELAY);
  g_assert_true (rh_test_wait_flag (&local_eof_seen, WAIT_MS));

  /* The session row: both directions counted, and why it ended. */
  for (int i = 0; i < 500; i++)
    {
      db_int (f, "SELECT ended_at FROM sessions WHERE ended_at IS NOT NULL", &row);
      if (row)
        break;
      spin_for (10);
    }
  g_assert_true (row);
  bytes = db_int (f, "SELECT bytes_relayed FROM sessions", &row);
  g_assert_cmpint (bytes, >=, 2 * BIG);
  g_assert_cmpint (db_int (f, "SELECT count(*) FROM sessions WHERE end_reason = 'helper-closed'"
                              " AND helper_login = 'helen' AND sharer_login = 'sam'"
                              " AND mode = 'unknown' AND started_at <= ended_at", &row), ==, 1);
  g_assert_cmpint (db_int (f, "SELECT count(*) FROM audit WHERE action = 'relay.ready'", &row),
                   ==, 1);
  g_assert_cmpint (db_int (f, "SELECT count(*) FROM audit WHERE action = 'relay.closed'", &row),
                   ==, 1);

  g_byte_array_unref (v.in);
  relay_end_clear (&helper);
  relay_end_clear (&sharer);
}

static void
test_slow_reader (Fixture       *f,
                  gconstpointer  data)
{
  RelayEnd helper, sharer;
  g_autoptr(GSocketConnection) conn = NULL;
  Viewer v = { 0 };
  gsize max_queued = 0;
  guint64 sent_early = 0, sent_late = 0;

  start_local_service (f, LOCAL_SOURCE);
  open_both (f, &helper, &sharer);
  conn = connect_viewer (&helper);

  /* The viewer reads nothing for 3 s while the sharer's side has 32 MiB to send. */
  for (int i = 0; i < 30; i++)
    {
      spin_for (100);
      max_queued = MAX (max_queued, rh_relay_client_get_queued (sharer.relay));
      if (i == 19)
        sent_early = rh_relay_client_get_bytes_sent (sharer.relay);
    }
  sent_late = rh_relay_client_get_bytes_sent (sharer.relay);
  g_test_message ("Stalled at %" G_GUINT64_FORMAT " bytes sent, %" G_GSIZE_FORMAT
                  " read from the source, at most %" G_GSIZE_FORMAT " queued",
                  sent_late, source_written, max_queued);
  /* The sender stalled: bounded queue, nothing more sent in the last second, and far from
   * everything read from the source. */
  g_assert_cmpuint (max_queued, <=, RH_RELAY_MAX_QUEUED + 64 * 1024);
  g_assert_cmpuint (sent_late, ==, sent_early);
  g_assert_cmpuint (sent_late, <, 8 * 1024 * 1024);
  g_assert_cmpuint (source_written, <, 16 * 1024 * 1024);
  g_assert_false (sharer.closed);
  g_assert_false (helper.closed);

  /* Reading again, everything arrives, in order. */
  v.stream = G_IO_STREAM (conn);
  v.in = g_byte_array_sized_new (SOURCE_BYTES);
  v.want = SOURCE_BYTES;
  viewer_read (&v);
  spin_until (viewer_read_all, &v, 120000);
  g_assert_cmpuint (v.in->len, ==, SOURCE_BYTES);
  for (gsize i = 0; i < SOURCE_BYTES; i++)
    if (v.in->data[i] != pattern_byte (i))
      g_error ("Byte %" G_GSIZE_FORMAT " differs", i);

  g_byte_array_unref (v.in);
  relay_end_clear (&helper);
  relay_end_clear (&sharer);
}

/* The viewer writes and hangs up at once: everything it wrote still reaches the sharer's
 * local socket before that is closed too. */
static void
test_drain_on_close (Fixture       *f,
                     gconstpointer  data)
{
  RelayEnd helper, sharer;
  g_autoptr(GSocketConnection) conn = NULL;
  g_autoptr(GError) error = NULL;
  const gsize amount = 4 * 1024 * 1024 + 123;
  g_autofree guint8 *buf = g_malloc0 (amount);
  Viewer v = { 0 };

  start_local_service (f, LOCAL_SINK);
  open_both (f, &helper, &sharer);
  conn = connect_viewer (&helper);
  v.stream = G_IO_STREAM (conn);
  g_output_stream_write_all_async (g_io_stream_get_output_stream (v.stream), buf, amount,
                                   G_PRIORITY_DEFAULT, NULL, viewer_write_done, &v);
  g_assert_true (rh_test_wait_flag (&v.write_done, 60000));
  g_io_stream_close (v.stream, NULL, &error);
  g_assert_no_error (error);

  spin_until (closed_flag, &helper, 60000);
  g_assert_no_error (helper.error);
  spin_until (closed_flag, &sharer, 60000);
  g_assert_error (sharer.error, RH_PROTOCOL_ERROR, RH_ERROR_RELAY);
  g_assert_true (rh_test_wait_flag (&local_eof_seen, WAIT_MS));
  g_assert_cmpuint (sink_bytes, ==, amount);

  relay_end_clear (&helper);
  relay_end_clear (&sharer);
}

static void
test_wrong_relay_id (Fixture       *f,
                     gconstpointer  data)
{
  RelayEnd helper, wrong, sharer;
  guint8 relay_id[RH_RELAY_ID_LEN];

  start_local_service (f, LOCAL_ECHO);
  open_relay (f, &helper, f->helper, RH_RELAY_MODE_LISTEN);
  /* The first joiner sets the relay id: let the helper's end join first (nothing tells a
   * waiting joiner that it has joined). */
  spin_for (1000);
  g_assert_false (helper.closed);
  g_assert_true (rh_rendezvous_client_get_relay_id (f->sharer, relay_id));
  relay_id[7] ^= 0x40;
  open_relay_with_id (f, &wrong, f->sharer, relay_id, RH_RELAY_MODE_CONNECT);
  spin_until (closed_flag, &wrong, WAIT_MS);
  g_assert_error (wrong.error, RH_PROTOCOL_ERROR, RH_ERROR_RELAY);
  g_assert_false (wrong.ready);

  /* The helper's end still waits, and the right id completes the relay. */
  spin_for (200);
  g_assert_false (helper.closed);
  g_assert_false (helper.ready);
  open_relay (f, &sharer, f->sharer, RH_RELAY_MODE_CONNECT);
  g_assert_true (rh_test_wait_flag (&helper.ready, WAIT_MS));
  g_assert_true (rh_test_wait_flag (&sharer.ready, WAIT_MS));

  relay_end_clear (&helper);
  relay_end_clear (&wrong);
  relay_end_clear (&sharer);
}

/* A signed-in user who is not part of the pairing cannot join its relay, even with the
 * pairing and relay ids. */
static void
test_outsider_refused (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(RhRendezvousClient) eve = NULL;
  RelayEnd helper, outsider;
  guint8 relay_id[RH_RELAY_ID_LEN];
  g_autoptr(GError) error = NULL;

  rh_test_server_add_user (f->server, "eve", "Eve Outsider", "eve-password");
  eve = rh_test_server_signed_in (f->server, "eve", "eve-password");

  open_relay (f, &helper, f->helper, RH_RELAY_MODE_LISTEN);
  spin_for (500);
  g_assert_true (rh_rendezvous_client_get_relay_id (f->sharer, relay_id));
  memset (&outsider, 0, sizeof outsider);
  outsider.relay = rh_relay_client_new (f->server->url, f->pin, NULL,
                                        rh_rendezvous_client_get_token (eve),
                                        rh_rendezvous_client_get_pairing_id (f->sharer),
                                        relay_id);
  g_signal_connect (outsider.relay, "ready", G_CALLBACK (on_ready), &outsider);
  g_signal_connect (outsider.relay, "closed", G_CALLBACK (on_closed), &outsider);
  g_assert_true (rh_relay_client_start (outsider.relay, RH_RELAY_MODE_LISTEN, NULL, &error));
  g_assert_no_error (error);
  spin_until (closed_flag, &outsider, WAIT_MS);
  g_assert_error (outsider.error, RH_PROTOCOL_ERROR, RH_ERROR_RELAY);
  g_assert_false (outsider.ready);
  g_assert_false (helper.closed);

  relay_end_clear (&helper);
  relay_end_clear (&outsider);
}

static void
test_third_joiner (Fixture       *f,
                   gconstpointer  data)
{
  RelayEnd helper, sharer, third;

  start_local_service (f, LOCAL_ECHO);
  open_both (f, &helper, &sharer);

  /* Even with the right token and relay id, a third connection is refused, and the relay it
   * tried to join is closed. */
  open_relay (f, &third, f->helper, RH_RELAY_MODE_LISTEN);
  spin_until (closed_flag, &third, WAIT_MS);
  g_assert_error (third.error, RH_PROTOCOL_ERROR, RH_ERROR_RELAY);
  g_assert_false (third.ready);
  spin_until (closed_flag, &helper, WAIT_MS);
  spin_until (closed_flag, &sharer, WAIT_MS);
  g_assert_error (helper.error, RH_PROTOCOL_ERROR, RH_ERROR_RELAY);
  g_assert_error (sharer.error, RH_PROTOCOL_ERROR, RH_ERROR_RELAY);

  relay_end_clear (&helper);
  relay_end_clear (&sharer);
  relay_end_clear (&third);
}

static void
test_pairing_ends (Fixture       *f,
                   gconstpointer  data)
{
  RelayEnd helper, sharer;

  start_local_service (f, LOCAL_ECHO);
  open_both (f, &helper, &sharer);
  rh_rendezvous_client_leave (f->sharer, "finished");
  spin_until (closed_flag, &helper, WAIT_MS);
  spin_until (closed_flag, &sharer, WAIT_MS);
  g_assert_error (helper.error, RH_PROTOCOL_ERROR, RH_ERROR_RELAY);
  g_assert_error (sharer.error, RH_PROTOCOL_ERROR, RH_ERROR_RELAY);

  relay_end_clear (&helper);
  relay_end_clear (&sharer);
}

/* ---- raw connections ------------------------------------------------------------------ */

typedef struct
{
  GPtrArray *texts;
  gboolean   closed;
} Raw;

static void
raw_message (RhWsClient *ws,
             GBytes     *data,
             gboolean    is_binary,
             gpointer    user_data)
{
  Raw *raw = user_data;
  gsize len;
  const char *text = g_bytes_get_data (data, &len);

  if (!is_binary)
    g_ptr_array_add (raw->texts, g_strndup (text, len));
}

static void
raw_closed (RhWsClient   *ws,
            const GError *error,
            gpointer      user_data)
{
  ((Raw *) user_data)->closed = TRUE;
}

static RhWsClient *
raw_connect (Fixture *f,
             Raw     *raw)
{
  g_autoptr(RhWsClient) ws = rh_ws_client_new ();
  g_autoptr(GAsyncResult) r = NULL;
  g_autoptr(GError) error = NULL;

  raw->texts = g_ptr_array_new_with_free_func (g_free);
  raw->closed = FALSE;
  rh_ws_client_connect_async (ws, f->server->url, RH_SUBPROTOCOL, f->pin, NULL, NULL,
                              rh_test_store_result, &r);
  rh_ws_client_connect_finish (ws, rh_test_wait_result (&r, WAIT_MS), &error);
  g_assert_no_error (error);
  g_signal_connect (ws, "message", G_CALLBACK (raw_message), raw);
  g_signal_connect (ws, "closed", G_CALLBACK (raw_closed), raw);
  return g_steal_pointer (&ws);
}

static gboolean
raw_has_error (Raw        *raw,
               const char *code)
{
  for (guint i = 0; i < raw->texts->len; i++)
    {
      g_autoptr(JsonObject) msg = rh_message_parse (raw->texts->pdata[i],
                                                    strlen (raw->texts->pdata[i]),
                                                    RH_WS_MAX_MESSAGE, NULL);

      if (msg != NULL && g_str_equal (rh_message_get_type (msg), "error") &&
          g_strcmp0 (json_object_get_string_member_with_default (msg, "code", ""), code) == 0)
        return TRUE;
    }
  return FALSE;
}

static void
test_binary_refused (Fixture       *f,
                     gconstpointer  data)
{
  Raw raw;
  g_autoptr(RhWsClient) ws = raw_connect (f, &raw);
  g_autoptr(GBytes) junk = g_bytes_new_static ("\x16\x03\x01", 3);
  g_autoptr(JsonObject) join = rh_message_new ("relay-join");
  g_autofree char *text = NULL;
  guint8 relay_id[RH_RELAY_ID_LEN];
  Raw raw2;
  g_autoptr(RhWsClient) ws2 = NULL;

  /* Binary on a connection that has not joined a relay. */
  rh_ws_client_send_binary (ws, junk);
  spin_for (300);
  g_assert_true (raw_has_error (&raw, "RH-5001"));

  /* Binary after joining, before the relay is ready: refused and closed. */
  ws2 = raw_connect (f, &raw2);
  g_assert_true (rh_rendezvous_client_get_relay_id (f->helper, relay_id));
  json_object_set_int_member (join, "id", 1);
  json_object_set_string_member (join, "token", rh_rendezvous_client_get_token (f->helper));
  json_object_set_string_member (join, "pairing", rh_rendezvous_client_get_pairing_id (f->helper));
  rh_message_set_bytes (join, "relay", relay_id, sizeof relay_id);
  text = rh_message_to_string (join);
  rh_ws_client_send_text (ws2, text, -1);
  rh_ws_client_send_binary (ws2, junk);
  g_assert_true (rh_test_wait_flag (&raw2.closed, WAIT_MS));
  g_assert_true (raw_has_error (&raw2, "RH-7008"));

  g_ptr_array_unref (raw.texts);
  g_ptr_array_unref (raw2.texts);
}

static RhWsClient *
raw_join (Fixture            *f,
          Raw                *raw,
          RhRendezvousClient *client)
{
  RhWsClient *ws = raw_connect (f, raw);
  g_autoptr(JsonObject) join = rh_message_new ("relay-join");
  g_autofree char *text = NULL;
  guint8 relay_id[RH_RELAY_ID_LEN];

  g_assert_true (rh_rendezvous_client_get_relay_id (client, relay_id));
  json_object_set_int_member (join, "id", 7);
  json_object_set_string_member (join, "token", rh_rendezvous_client_get_token (client));
  json_object_set_string_member (join, "pairing", rh_rendezvous_client_get_pairing_id (client));
  rh_message_set_bytes (join, "relay", relay_id, sizeof relay_id);
  text = rh_message_to_string (join);
  rh_ws_client_send_text (ws, text, -1);
  return ws;
}

static gboolean
raw_has_type (Raw        *raw,
              const char *type)
{
  for (guint i = 0; i < raw->texts->len; i++)
    {
      g_autoptr(JsonObject) msg = rh_message_parse (raw->texts->pdata[i],
                                                    strlen (raw->texts->pdata[i]),
                                                    RH_WS_MAX_MESSAGE, NULL);

      if (msg != NULL && g_str_equal (rh_message_get_type (msg), type))
        return TRUE;
    }
  return FALSE;
}

/* Raw joins see relay-ready; a text message after it closes both ends with RH-7008. */
static void
test_text_after_ready (Fixture       *f,
                       gconstpointer  data)
{
  Raw rh, rs;
  g_autoptr(RhWsClient) helper = raw_join (f, &rh, f->helper);
  g_autoptr(RhWsClient) sharer = NULL;
  g_autoptr(GBytes) hello = g_bytes_new_static ("hello", 5);
  gint64 deadline;

  spin_for (500);
  sharer = raw_join (f, &rs, f->sharer);
  deadline = g_get_monotonic_time () + WAIT_MS * 1000;
  while (!(raw_has_type (&rh, "relay-ready") && raw_has_type (&rs, "relay-ready")))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }

  /* Binary passes unchanged (these raw clients do not use the apps' framing). */
  rh_ws_client_send_binary (helper, hello);
  spin_for (300);
  g_assert_false (rs.closed);

  rh_ws_client_send_text (sharer, "{\"type\":\"chat\"}", -1);
  g_assert_true (rh_test_wait_flag (&rh.closed, WAIT_MS));
  g_assert_true (rh_test_wait_flag (&rs.closed, WAIT_MS));
  g_assert_true (raw_has_error (&rh, "RH-7008"));
  g_assert_true (raw_has_error (&rs, "RH-7008"));

  g_ptr_array_unref (rh.texts);
  g_ptr_array_unref (rs.texts);
}

/* ---- the server's own back-pressure ---------------------------------------------------- */

typedef struct
{
  char          *url;
  GBytes        *pin;
  char          *join;
  gint           ready;
  gsize          max_queued;
  guint64        left;      /* bytes that left the sender's queue */
  gint           done;
} Pump;

static void
pump_message (RhWsClient *ws,
              GBytes     *data,
              gboolean    is_binary,
              gpointer    user_data)
{
  Pump *p = user_data;
  gsize len;
  const char *text = g_bytes_get_data (data, &len);

  if (!is_binary && g_strstr_len (text, len, "\"relay-ready\"") != NULL)
    g_atomic_int_set (&p->ready, 1);
}

/* The sharer's end, on a thread and main context of its own: it sends raw binary messages as
 * fast as the connection takes them, capping its own queue at 8 MiB, for 4 s. */
static gpointer
pump_thread (gpointer data)
{
  Pump *p = data;
  GMainContext *ctx = g_main_context_new ();
  g_autoptr(RhWsClient) ws = NULL;
  g_autoptr(GAsyncResult) r = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) chunk = NULL;
  guint64 pushed = 0;
  gint64 deadline;

  g_main_context_push_thread_default (ctx);
  chunk = g_bytes_new_take (g_malloc0 (32 * 1024), 32 * 1024);
  ws = rh_ws_client_new ();
  rh_ws_client_connect_async (ws, p->url, RH_SUBPROTOCOL, p->pin, NULL, NULL,
                              rh_test_store_result, &r);
  while (r == NULL)
    g_main_context_iteration (ctx, TRUE);
  rh_ws_client_connect_finish (ws, r, &error);
  g_assert_no_error (error);
  g_signal_connect (ws, "message", G_CALLBACK (pump_message), p);
  rh_ws_client_send_text (ws, p->join, -1);

  deadline = g_get_monotonic_time () + WAIT_MS * 1000;
  while (!g_atomic_int_get (&p->ready))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (ctx, FALSE);
      g_usleep (1000);
    }

  deadline = g_get_monotonic_time () + 4 * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < deadline && rh_ws_client_is_open (ws))
    {
      if (rh_ws_client_get_queued (ws) < 8 * 1024 * 1024)
        {
          rh_ws_client_send_binary (ws, chunk);
          pushed += 32 * 1024;
        }
      else
        {
          g_usleep (1000);
        }
      p->max_queued = MAX (p->max_queued, rh_ws_client_get_queued (ws));
      g_main_context_iteration (ctx, FALSE);
    }
  p->left = pushed - rh_ws_client_get_queued (ws);

  g_signal_handlers_disconnect_by_data (ws, p);
  g_clear_object (&ws);
  while (g_main_context_iteration (ctx, FALSE))
    ;
  g_main_context_pop_thread_default (ctx);
  g_main_context_unref (ctx);
  g_atomic_int_set (&p->done, 1);
  return NULL;
}

static gsize
server_rss (Fixture *f)
{
  const char *pid = g_subprocess_get_identifier (f->server->proc);
  g_autofree char *path = NULL;
  g_autofree char *contents = NULL;
  const char *line;

  if (pid == NULL)
    g_error ("remote-help-server is no longer running (see %s/server.log)", f->server->tmpdir);
  path = g_strdup_printf ("/proc/%s/status", pid);
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  line = strstr (contents, "VmRSS:");
  g_assert_nonnull (line);
  return (gsize) g_ascii_strtoull (line + 6, NULL, 10) * 1024;
}

/* A helper's end that stops reading for 3 s: the server pauses the sender rather than
 * buffering what it sends, so its memory stays flat while the sender stalls. */
static void
test_server_back_pressure (Fixture       *f,
                           gconstpointer  data)
{
  Raw rh;
  g_autoptr(RhWsClient) helper = raw_join (f, &rh, f->helper);
  g_autoptr(JsonObject) join = rh_message_new ("relay-join");
  guint8 relay_id[RH_RELAY_ID_LEN];
  Pump p = { 0 };
  GThread *thread;
  gsize rss0, rss_max = 0;
  gint64 deadline;

  g_assert_true (rh_rendezvous_client_get_relay_id (f->sharer, relay_id));
  json_object_set_int_member (join, "id", 1);
  json_object_set_string_member (join, "token", rh_rendezvous_client_get_token (f->sharer));
  json_object_set_string_member (join, "pairing", rh_rendezvous_client_get_pairing_id (f->sharer));
  rh_message_set_bytes (join, "relay", relay_id, sizeof relay_id);
  p.join = rh_message_to_string (join);
  p.url = f->server->url;
  p.pin = f->pin;

  spin_for (500);
  thread = g_thread_new ("pump", pump_thread, &p);
  deadline = g_get_monotonic_time () + WAIT_MS * 1000;
  while (!raw_has_type (&rh, "relay-ready") || !g_atomic_int_get (&p.ready))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }

  /* The helper's end reads nothing for 3 s. */
  rss0 = server_rss (f);
  for (int i = 0; i < 30; i++)
    {
      g_usleep (100 * 1000);
      rss_max = MAX (rss_max, server_rss (f));
    }
  g_test_message ("Server RSS %" G_GSIZE_FORMAT " KiB, at most %" G_GSIZE_FORMAT " KiB while the "
                  "reader stalled; the sender queued up to %" G_GSIZE_FORMAT " bytes",
                  rss0 / 1024, rss_max / 1024, p.max_queued);

  /* Reading again lets the sender finish. */
  while (!g_atomic_int_get (&p.done))
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  g_thread_join (thread);
  g_test_message ("%" G_GUINT64_FORMAT " bytes left the sender in 4 s", p.left);

  /* Without back-pressure the server would hold everything the sender could push. */
  g_assert_cmpuint (rss_max, <, rss0 + 24 * 1024 * 1024);
  g_assert_cmpuint (p.left, <, 48 * 1024 * 1024);
  g_assert_cmpuint (p.max_queued, >=, 8 * 1024 * 1024 - 32 * 1024);
  g_assert_false (rh.closed);

  g_free (p.join);
  g_ptr_array_unref (rh.texts);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *runtime = NULL;

  /* A private runtime directory, as the session would have. */
  runtime = g_dir_make_tmp ("rh-test-runtime-XXXXXX", NULL);
  g_assert_nonnull (runtime);
  g_chmod (runtime, 0700);
  g_setenv ("XDG_RUNTIME_DIR", runtime, TRUE);

  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("/relay/transfer", test_transfer);
  ADD ("/relay/slow-reader", test_slow_reader);
  ADD ("/relay/drain-on-close", test_drain_on_close);
  ADD ("/relay/wrong-relay-id", test_wrong_relay_id);
  ADD ("/relay/third-joiner", test_third_joiner);
  ADD ("/relay/outsider-refused", test_outsider_refused);
  ADD ("/relay/pairing-ends", test_pairing_ends);
  ADD ("/relay/binary-refused", test_binary_refused);
  ADD ("/relay/text-after-ready", test_text_after_ready);
  ADD ("/relay/server-back-pressure", test_server_back_pressure);

#undef ADD

  {
    int ret = g_test_run ();

    g_rmdir (runtime);
    return ret;
  }
}
