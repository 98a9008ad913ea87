/* rh-relay-client.c: one app's end of the blind relay, bridged to a local Unix socket
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The relay is a second WebSocket connection to the rendezvous server. Its first message is
 * {"type":"relay-join","token":…,"pairing":…,"relay":base64(relay id)}; the server answers
 * {"type":"relay-ready"} once the other app joined too, and from then on copies binary messages
 * between the two without reading them.
 *
 * Inside those binary messages the two relay clients speak a tiny framing of their own, which
 * the server never looks at: a first byte 0x00 is data (the rest of the message), 0x01 is an
 * acknowledgement carrying the total number of data bytes this side has written to its local
 * socket so far (8 bytes, big endian). A sender stops reading its local socket while more than
 * RH_RELAY_WINDOW bytes are unacknowledged, or more than RH_RELAY_MAX_QUEUED bytes wait on its
 * WebSocket: a slow reader at one end (the RDP viewer, say) then stalls the writer at the
 * other end instead of filling the memory of either app or of the server, whose own
 * back-pressure only protects the server.
 */
#define G_LOG_DOMAIN "rh-protocol"

#include "config.h"

#include <errno.h>
#include <string.h>

#include <glib/gstdio.h>
#include <gio/gunixsocketaddress.h>

#include "rh-error.h"
#include "rh-message.h"
#include "rh-relay-client.h"
#include "rh-ws-client.h"
#include "rh-ws-server.h"

#define CHUNK_SIZE      (32 * 1024)
#define ACK_EVERY       (256 * 1024)
#define RESUME_POLL_MS  5
#define FRAME_DATA      0x00
#define FRAME_ACK       0x01
#define DRAIN_TIMEOUT_S 5

typedef enum
{
  STATE_IDLE,
  STATE_JOINING,
  STATE_READY,
  STATE_DRAINING,  /* the relay ended: write out what arrived, then report it */
  STATE_CLOSING,
  STATE_CLOSED,
} State;

struct _RhRelayClient
{
  GObject            parent_instance;

  char              *url;
  GBytes            *server_pin;
  char              *ca_file;
  char              *token;
  char              *pairing_id;
  guint8             relay_id[RH_RELAY_ID_LEN];

  RhRelayMode        mode;
  State              state;
  GCancellable      *cancellable;
  RhWsClient        *ws;

  char              *socket_path;
  char              *socket_dir;     /* LISTEN: ours, removed at the end */
  GSocketService    *service;
  GSocketConnection *local;
  gboolean           local_eof;

  /* local → relay */
  guint8            *read_buf;
  gboolean           reading;
  gboolean           read_paused;
  guint              resume_source;
  RhWsFlowGate       ws_gate;
  guint64            sent;
  guint64            peer_written;   /* from the other side's acknowledgements */

  /* relay → local */
  GQueue             out;            /* GBytes */
  gboolean           writing;
  guint64            received;
  guint64            written;
  guint64            acked;
  GError            *drain_error;
  guint              drain_timeout;
};

enum
{
  SIGNAL_READY,
  SIGNAL_CLOSED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (RhRelayClient, rh_relay_client, G_TYPE_OBJECT)

static void start_reading (RhRelayClient *self);
static void start_writing (RhRelayClient *self);

static void
remove_socket (RhRelayClient *self)
{
  if (self->service != NULL)
    {
      g_socket_service_stop (self->service);
      g_socket_listener_close (G_SOCKET_LISTENER (self->service));
      g_clear_object (&self->service);
    }
  if (self->socket_dir != NULL)
    {
      g_unlink (self->socket_path);
      g_rmdir (self->socket_dir);
      g_clear_pointer (&self->socket_dir, g_free);
    }
}

static void
stop_local (RhRelayClient *self)
{
  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->resume_source, g_source_remove);
  remove_socket (self);
  if (self->local != NULL)
    {
      g_io_stream_close (G_IO_STREAM (self->local), NULL, NULL);
      g_clear_object (&self->local);
    }
  g_queue_clear_full (&self->out, (GDestroyNotify) g_bytes_unref);
}

static void
finish (RhRelayClient *self,
        GError        *error)
{
  g_autoptr(GError) owned = error;

  if (self->state == STATE_CLOSED)
    return;
  self->state = STATE_CLOSED;
  g_clear_handle_id (&self->drain_timeout, g_source_remove);
  g_clear_error (&self->drain_error);
  stop_local (self);
  if (self->ws != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->ws, self);
      rh_ws_client_close (self->ws);
    }

  if (owned != NULL)
    g_debug ("Relay closed: %s", owned->message);
  else
    g_debug ("Relay closed");
  g_object_ref (self);
  g_signal_emit (self, signals[SIGNAL_CLOSED], 0, owned);
  g_object_unref (self);
}

static void
fail (RhRelayClient *self,
      const char    *format,
      ...) G_GNUC_PRINTF (2, 3);

static void
fail (RhRelayClient *self,
      const char    *format,
      ...)
{
  va_list ap;
  g_autofree char *message = NULL;

  va_start (ap, format);
  message = g_strdup_vprintf (format, ap);
  va_end (ap);
  finish (self, g_error_new_literal (RH_PROTOCOL_ERROR, RH_ERROR_RELAY, message));
}

/* A clean end from our side: flush towards the server, then "closed" with no error. */
static void
close_gracefully (RhRelayClient *self)
{
  if (self->state == STATE_CLOSED || self->state == STATE_CLOSING)
    return;
  if (self->ws == NULL || !rh_ws_client_is_open (self->ws))
    {
      finish (self, NULL);
      return;
    }
  self->state = STATE_CLOSING;
  stop_local (self);
  rh_ws_client_close (self->ws);
}

/* ---- relay → local ------------------------------------------------------------------ */

static void
send_ack (RhRelayClient *self)
{
  guint8 frame[9];
  guint64 be = GUINT64_TO_BE (self->written);
  g_autoptr(GBytes) bytes = NULL;

  frame[0] = FRAME_ACK;
  memcpy (frame + 1, &be, sizeof be);
  bytes = g_bytes_new (frame, sizeof frame);
  rh_ws_client_send_binary (self->ws, bytes);
  self->acked = self->written;
}

static void
on_written (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  RhRelayClient *self = user_data;
  g_autoptr(GError) error = NULL;
  gsize n = 0;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, &n, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        fail (self, "Could not write to the local connection: %s", error->message);
      g_object_unref (self);
      return;
    }

  self->writing = FALSE;
  g_bytes_unref (g_queue_pop_head (&self->out));
  self->written += n;
  if (self->state == STATE_DRAINING)
    {
      if (g_queue_is_empty (&self->out))
        finish (self, g_steal_pointer (&self->drain_error));
      else
        start_writing (self);
      g_object_unref (self);
      return;
    }
  if (self->written - self->acked >= ACK_EVERY || g_queue_is_empty (&self->out))
    send_ack (self);
  start_writing (self);
  g_object_unref (self);
}

static void
start_writing (RhRelayClient *self)
{
  GBytes *head;

  if (self->writing || self->local == NULL ||
      (self->state != STATE_READY && self->state != STATE_DRAINING))
    return;
  head = g_queue_peek_head (&self->out);
  if (head == NULL)
    return;

  self->writing = TRUE;
  g_output_stream_write_all_async (g_io_stream_get_output_stream (G_IO_STREAM (self->local)),
                                   g_bytes_get_data (head, NULL), g_bytes_get_size (head),
                                   G_PRIORITY_DEFAULT, self->cancellable, on_written,
                                   g_object_ref (self));
}

/* ---- local → relay ------------------------------------------------------------------ */

static gboolean
must_pause (RhRelayClient *self)
{
  rh_ws_flow_gate_update (&self->ws_gate, rh_ws_client_get_queued (self->ws));
  return self->ws_gate.paused || self->sent - self->peer_written > RH_RELAY_WINDOW;
}

static gboolean
on_resume_poll (gpointer user_data)
{
  RhRelayClient *self = user_data;

  if (must_pause (self))
    return G_SOURCE_CONTINUE;
  self->resume_source = 0;
  self->read_paused = FALSE;
  start_reading (self);
  return G_SOURCE_REMOVE;
}

static void
on_read (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  RhRelayClient *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) frame = NULL;
  gssize n;

  n = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);
  self->reading = FALSE;
  if (n < 0)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        fail (self, "Could not read from the local connection: %s", error->message);
      g_object_unref (self);
      return;
    }
  if (self->state != STATE_READY)
    {
      g_object_unref (self);
      return;
    }
  if (n == 0)
    {
      g_debug ("The local connection ended; closing the relay");
      self->local_eof = TRUE;
      close_gracefully (self);
      g_object_unref (self);
      return;
    }

  self->read_buf[0] = FRAME_DATA;
  frame = g_bytes_new (self->read_buf, (gsize) n + 1);
  rh_ws_client_send_binary (self->ws, frame);
  self->sent += (guint64) n;
  start_reading (self);
  g_object_unref (self);
}

static void
start_reading (RhRelayClient *self)
{
  if (self->reading || self->read_paused || self->local == NULL || self->local_eof ||
      self->state != STATE_READY)
    return;

  if (must_pause (self))
    {
      self->read_paused = TRUE;
      self->resume_source = g_timeout_add (RESUME_POLL_MS, on_resume_poll, self);
      return;
    }

  self->reading = TRUE;
  g_input_stream_read_async (g_io_stream_get_input_stream (G_IO_STREAM (self->local)),
                             self->read_buf + 1, CHUNK_SIZE, G_PRIORITY_DEFAULT,
                             self->cancellable, on_read, g_object_ref (self));
}

static void
start_bridge (RhRelayClient *self)
{
  start_writing (self);
  start_reading (self);
}

/* ---- the local socket --------------------------------------------------------------- */

static void
on_local_connected (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  RhRelayClient *self = user_data;
  g_autoptr(GError) error = NULL;
  GSocketConnection *conn;

  conn = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result, &error);
  if (conn == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        fail (self, "Could not connect to the local socket %s: %s", self->socket_path,
              error->message);
      g_object_unref (self);
      return;
    }
  if (self->state != STATE_READY)
    {
      g_object_unref (conn);
      g_object_unref (self);
      return;
    }
  self->local = conn;
  g_debug ("Connected to the local socket");
  start_bridge (self);
  g_object_unref (self);
}

static gboolean
on_incoming (GSocketService    *service,
             GSocketConnection *connection,
             GObject           *source_object,
             gpointer           user_data)
{
  RhRelayClient *self = user_data;

  /* Exactly one connection: later ones are closed as they come. */
  if (self->local != NULL || self->state == STATE_CLOSED || self->state == STATE_CLOSING)
    {
      g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
      return TRUE;
    }
  g_debug ("Accepted the local connection");
  self->local = g_object_ref (connection);
  /* Nobody else can connect now, and the path goes away. */
  g_socket_service_stop (service);
  g_socket_listener_close (G_SOCKET_LISTENER (service));
  g_unlink (self->socket_path);
  if (self->state == STATE_READY)
    start_bridge (self);
  return TRUE;
}

static gboolean
listen_local (RhRelayClient  *self,
              GError        **error)
{
  g_autofree char *template = g_build_filename (g_get_user_runtime_dir (), "rh-relay-XXXXXX",
                                                NULL);
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GError) local_error = NULL;

  if (g_mkdtemp_full (template, 0700) == NULL)
    {
      int saved_errno = errno;

      g_set_error (error, RH_PROTOCOL_ERROR, RH_ERROR_RELAY,
                   "Could not create a private directory for the relay socket in %s: %s",
                   g_get_user_runtime_dir (), g_strerror (saved_errno));
      return FALSE;
    }
  self->socket_dir = g_steal_pointer (&template);
  self->socket_path = g_build_filename (self->socket_dir, "relay.sock", NULL);

  address = g_unix_socket_address_new (self->socket_path);
  self->service = g_socket_service_new ();
  if (!g_socket_listener_add_address (G_SOCKET_LISTENER (self->service), address,
                                      G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT, NULL,
                                      NULL, &local_error))
    {
      g_set_error (error, RH_PROTOCOL_ERROR, RH_ERROR_RELAY,
                   "Could not listen on the relay socket %s: %s", self->socket_path,
                   local_error->message);
      remove_socket (self);
      return FALSE;
    }
  g_signal_connect (self->service, "incoming", G_CALLBACK (on_incoming), self);
  g_socket_service_start (self->service);
  return TRUE;
}

/* ---- the relay connection ----------------------------------------------------------- */

static void
relay_ready (RhRelayClient *self)
{
  self->state = STATE_READY;
  g_debug ("Relay ready");
  g_signal_emit (self, signals[SIGNAL_READY], 0);
  if (self->state != STATE_READY)
    return;

  if (self->mode == RH_RELAY_MODE_CONNECT)
    {
      g_autoptr(GSocketClient) client = g_socket_client_new ();
      g_autoptr(GSocketAddress) address = g_unix_socket_address_new (self->socket_path);

      g_socket_client_connect_async (client, G_SOCKET_CONNECTABLE (address), self->cancellable,
                                     on_local_connected, g_object_ref (self));
    }
  else if (self->local != NULL)
    {
      start_bridge (self);
    }
}

static void
handle_frame (RhRelayClient *self,
              GBytes        *data)
{
  gsize len;
  const guint8 *p = g_bytes_get_data (data, &len);

  if (len >= 1 && p[0] == FRAME_DATA)
    {
      if (len == 1)
        return;
      g_queue_push_tail (&self->out, g_bytes_new_from_bytes (data, 1, len - 1));
      self->received += len - 1;
      start_writing (self);
    }
  else if (len == 9 && p[0] == FRAME_ACK)
    {
      guint64 be;

      memcpy (&be, p + 1, sizeof be);
      be = GUINT64_FROM_BE (be);
      if (be < self->peer_written || be > self->sent)
        {
          fail (self, "The other app sent an invalid acknowledgement");
          return;
        }
      self->peer_written = be;
    }
  else
    {
      fail (self, "The other app sent an unknown relay frame");
    }
}

static void
on_ws_message (RhWsClient *ws,
               GBytes     *data,
               gboolean    is_binary,
               gpointer    user_data)
{
  RhRelayClient *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) msg = NULL;
  const char *type;
  gsize len;
  const char *text = g_bytes_get_data (data, &len);

  if (self->state == STATE_CLOSED)
    return;
  if (is_binary)
    {
      if (self->state == STATE_READY || self->state == STATE_CLOSING)
        handle_frame (self, data);
      else
        fail (self, "The server sent relay data before the relay was ready");
      return;
    }

  msg = rh_message_parse (text, len, RH_WS_MAX_MESSAGE, &error);
  if (msg == NULL)
    {
      fail (self, "The server sent a malformed message: %s", error->message);
      return;
    }
  type = rh_message_get_type (msg);
  if (g_str_equal (type, "error"))
    {
      g_autoptr(GError) server_error = rh_message_to_error (msg);

      fail (self, "The server refused or ended the relay: RH-%04d %s", server_error->code,
            server_error->message);
    }
  else if (g_str_equal (type, "welcome"))
    {
      /* Sent to every new connection: nothing to do. */
    }
  else if (g_str_equal (type, "relay-ready") && self->state == STATE_JOINING)
    {
      relay_ready (self);
    }
  else
    {
      fail (self, "The server sent an unexpected message “%.32s” on the relay", type);
    }
}

static gboolean
on_drain_timeout (gpointer user_data)
{
  RhRelayClient *self = user_data;

  self->drain_timeout = 0;
  finish (self, g_steal_pointer (&self->drain_error));
  return G_SOURCE_REMOVE;
}

static void
on_ws_closed (RhWsClient   *ws,
              const GError *error,
              gpointer      user_data)
{
  RhRelayClient *self = user_data;
  GError *relay_error;

  if (self->state == STATE_CLOSING && error == NULL)
    {
      finish (self, NULL);
      return;
    }
  if (error != NULL && error->code == RH_ERROR_CONNECTION_LOST)
    relay_error = g_error_new_literal (RH_PROTOCOL_ERROR, RH_ERROR_RELAY,
                                       "The relay was closed: the other app left or the "
                                       "connection was lost");
  else
    relay_error = g_error_new (RH_PROTOCOL_ERROR, RH_ERROR_RELAY, "The relay was closed: %s",
                               error ? error->message : "by the server");

  /* What the other app sent before it left still goes to the local connection (its last
   * words, such as an RDP disconnect), for a few seconds at most. */
  if (self->state == STATE_READY && self->local != NULL && !g_queue_is_empty (&self->out))
    {
      g_debug ("Relay closed; writing out what arrived before");
      self->state = STATE_DRAINING;
      self->drain_error = relay_error;
      self->drain_timeout = g_timeout_add_seconds (DRAIN_TIMEOUT_S, on_drain_timeout, self);
      g_clear_handle_id (&self->resume_source, g_source_remove);
      start_writing (self);
      return;
    }
  finish (self, relay_error);
}

static void
on_ws_connected (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  RhRelayClient *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) join = NULL;
  g_autofree char *text = NULL;

  if (!rh_ws_client_connect_finish (RH_WS_CLIENT (source), result, &error))
    {
      if (g_error_matches (error, RH_PROTOCOL_ERROR, RH_ERROR_TLS_VERIFY_FAILED) ||
          g_error_matches (error, RH_PROTOCOL_ERROR, RH_ERROR_NO_TRUST))
        finish (self, g_steal_pointer (&error));
      else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        fail (self, "Could not open the relay connection: %s", error->message);
      g_object_unref (self);
      return;
    }
  if (self->state != STATE_JOINING)
    {
      g_object_unref (self);
      return;
    }

  g_signal_connect (self->ws, "message", G_CALLBACK (on_ws_message), self);
  g_signal_connect (self->ws, "closed", G_CALLBACK (on_ws_closed), self);

  join = rh_message_new ("relay-join");
  json_object_set_int_member (join, "id", 1);
  json_object_set_string_member (join, "token", self->token);
  json_object_set_string_member (join, "pairing", self->pairing_id);
  rh_message_set_bytes (join, "relay", self->relay_id, RH_RELAY_ID_LEN);
  text = rh_message_to_string (join);
  rh_ws_client_send_text (self->ws, text, -1);
  explicit_bzero (text, strlen (text));
  g_object_unref (self);
}

gboolean
rh_relay_client_start (RhRelayClient  *self,
                       RhRelayMode     mode,
                       const char     *socket_path,
                       GError        **error)
{
  g_return_val_if_fail (RH_IS_RELAY_CLIENT (self), FALSE);
  g_return_val_if_fail (self->state == STATE_IDLE, FALSE);
  g_return_val_if_fail (mode == RH_RELAY_MODE_LISTEN || socket_path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  self->mode = mode;
  if (mode == RH_RELAY_MODE_CONNECT)
    self->socket_path = g_strdup (socket_path);
  else if (!listen_local (self, error))
    return FALSE;

  self->state = STATE_JOINING;
  self->ws = rh_ws_client_new ();
  rh_ws_client_connect_async (self->ws, self->url, RH_SUBPROTOCOL, self->server_pin,
                              self->ca_file, self->cancellable, on_ws_connected,
                              g_object_ref (self));
  return TRUE;
}

const char *
rh_relay_client_get_socket_path (RhRelayClient *self)
{
  g_return_val_if_fail (RH_IS_RELAY_CLIENT (self), NULL);

  return self->socket_path;
}

gboolean
rh_relay_client_is_ready (RhRelayClient *self)
{
  g_return_val_if_fail (RH_IS_RELAY_CLIENT (self), FALSE);

  return self->state == STATE_READY;
}

void
rh_relay_client_close (RhRelayClient *self)
{
  g_return_if_fail (RH_IS_RELAY_CLIENT (self));

  if (self->state == STATE_IDLE)
    {
      self->state = STATE_CLOSED;
      return;
    }
  close_gracefully (self);
}

guint64
rh_relay_client_get_bytes_sent (RhRelayClient *self)
{
  g_return_val_if_fail (RH_IS_RELAY_CLIENT (self), 0);

  return self->sent;
}

guint64
rh_relay_client_get_bytes_received (RhRelayClient *self)
{
  g_return_val_if_fail (RH_IS_RELAY_CLIENT (self), 0);

  return self->received;
}

gsize
rh_relay_client_get_queued (RhRelayClient *self)
{
  g_return_val_if_fail (RH_IS_RELAY_CLIENT (self), 0);

  return self->ws != NULL ? rh_ws_client_get_queued (self->ws) : 0;
}

static void
rh_relay_client_dispose (GObject *object)
{
  RhRelayClient *self = RH_RELAY_CLIENT (object);

  self->state = STATE_CLOSED;
  g_clear_handle_id (&self->drain_timeout, g_source_remove);
  stop_local (self);
  if (self->ws != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->ws, self);
      rh_ws_client_close (self->ws);
      g_clear_object (&self->ws);
    }

  G_OBJECT_CLASS (rh_relay_client_parent_class)->dispose (object);
}

static void
rh_relay_client_finalize (GObject *object)
{
  RhRelayClient *self = RH_RELAY_CLIENT (object);

  g_free (self->url);
  g_clear_pointer (&self->server_pin, g_bytes_unref);
  g_free (self->ca_file);
  if (self->token != NULL)
    explicit_bzero (self->token, strlen (self->token));
  g_free (self->token);
  g_free (self->pairing_id);
  explicit_bzero (self->relay_id, sizeof self->relay_id);
  g_free (self->socket_path);
  g_free (self->socket_dir);
  g_free (self->read_buf);
  g_clear_error (&self->drain_error);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (rh_relay_client_parent_class)->finalize (object);
}

static void
rh_relay_client_class_init (RhRelayClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = rh_relay_client_dispose;
  object_class->finalize = rh_relay_client_finalize;

  signals[SIGNAL_READY] =
    g_signal_new ("ready", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SIGNAL_CLOSED] =
    g_signal_new ("closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
rh_relay_client_init (RhRelayClient *self)
{
  self->cancellable = g_cancellable_new ();
  self->read_buf = g_malloc (CHUNK_SIZE + 1);
  rh_ws_flow_gate_init (&self->ws_gate, RH_RELAY_MAX_QUEUED, RH_RELAY_MAX_QUEUED / 4);
  g_queue_init (&self->out);
}

RhRelayClient *
rh_relay_client_new (const char   *url,
                     GBytes       *server_pin,
                     const char   *ca_file,
                     const char   *token,
                     const char   *pairing_id,
                     const guint8 *relay_id)
{
  RhRelayClient *self;

  g_return_val_if_fail (url != NULL, NULL);
  g_return_val_if_fail (token != NULL, NULL);
  g_return_val_if_fail (pairing_id != NULL, NULL);
  g_return_val_if_fail (relay_id != NULL, NULL);

  self = g_object_new (RH_TYPE_RELAY_CLIENT, NULL);
  self->url = g_strdup (url);
  self->server_pin = server_pin != NULL ? g_bytes_ref (server_pin) : NULL;
  self->ca_file = g_strdup (ca_file);
  self->token = g_strdup (token);
  self->pairing_id = g_strdup (pairing_id);
  memcpy (self->relay_id, relay_id, RH_RELAY_ID_LEN);
  return self;
}
