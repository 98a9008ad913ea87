/* rh-ws-client.c: a WebSocket client on the GLib main loop (libwebsockets, TLS always verified)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Each client has its own lws context on the GLib event-lib plugin (libwebsockets-evlib_glib),
 * with a "foreign" loop: a GMainLoop wrapping the thread-default GMainContext of the thread
 * that connects. The 4.1.6 plugin attaches all its GSources (one per socket, an idle and a
 * timer source) to g_main_loop_get_context() of that loop and never runs or quits a foreign
 * loop itself.
 *
 * Server verification happens in LWS_CALLBACK_OPENSSL_PERFORM_SERVER_CERT_VERIFICATION. In
 * 4.1.6 it reaches protocols[0] of the context from OpenSSL's verify callback, once per
 * certificate of the chain, with user = X509_STORE_CTX *, in = SSL *, len = preverify_ok; a
 * return of 0 with the store error X509_V_OK accepts that certificate, anything else fails the
 * handshake (LWS_CALLBACK_CLIENT_CONNECTION_ERROR follows). We never set
 * LCCSCF_ALLOW_SELFSIGNED: with it lws accepts self-signed errors itself without asking us.
 * The host name check is set on the SSL_CTX ourselves (lws' own one does not handle IP
 * addresses), so LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK is always given to lws.
 *
 * Teardown: the lws state lives in a separate Conn that may outlive the GObject. The lws
 * context is destroyed outside lws callbacks only (from dispose when not inside one, else from
 * an idle source on the client's main context). With the GLib foreign loop, 4.1.6 finishes
 * lws_context_destroy() synchronously (all sockets closed, every plugin GSource destroyed,
 * info.pcontext cleared); should it ever not, we call it again from an idle source until it
 * has, so nothing of lws stays attached to the main context after the Conn is freed.
 */
#define G_LOG_DOMAIN "rh-protocol"

#include "config.h"

#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include <libwebsockets.h>
#include <openssl/crypto.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "rh-error.h"
#include "rh-fingerprint.h"
#include "rh-ws-client.h"

#define CONNECT_TIMEOUT_SECS   10
#define HANDSHAKE_TIMEOUT_SECS 15
#define CLOSE_TIMEOUT_SECS     5
#define TIMEOUT_CLOSING        (PENDING_TIMEOUT_USER_REASON_BASE + 1)
#define DESTROY_MAX_TRIES      100

typedef enum
{
  STATE_IDLE,
  STATE_CONNECTING,
  STATE_OPEN,
  STATE_CLOSING,
  STATE_CLOSED,
} State;

typedef struct
{
  guint8   *buf;      /* LWS_PRE bytes of headroom, then the payload */
  gsize     len;
  gboolean  binary;
} OutMessage;

typedef struct
{
  RhWsClient          *client;        /* NULL once the client object is gone */
  struct lws_context  *context;       /* cleared by lws when it is finally freed */
  struct lws          *wsi;
  GMainContext        *main_context;
  GMainLoop           *loop;          /* the foreign loop lws attaches to; never run */
  struct lws_protocols protocols[2];
  char                *subprotocol;
  char                *host;
  char                *host_header;
  char                *path;
  char                *ca_file;
  int                  port;
  gboolean             have_pin;
  guint8               pin[RH_FINGERPRINT_LEN];
  gboolean             pin_ok;
  gboolean             verify_failed;
  char                 verify_detail[128];
  int                  in_callback;
  GSource             *destroy_source;
  guint                destroy_tries;
} Conn;

struct _RhWsClient
{
  GObject       parent_instance;

  Conn         *conn;
  State         state;
  GTask        *connect_task;
  GSource      *cancel_source;
  GSource      *connect_timeout;

  gsize         max_message;
  GQueue        out;             /* OutMessage */
  gsize         queued;
  GByteArray   *rx;
  gboolean      rx_binary;
  gboolean      rx_in_message;

  gboolean      close_requested; /* by rh_ws_client_close() */
  gboolean      close_sent;
  int           close_status;
  GError       *close_error;     /* what "closed" will report; NULL: clean */
  int           server_close_status;
};

enum
{
  SIGNAL_MESSAGE,
  SIGNAL_CLOSED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (RhWsClient, rh_ws_client, G_TYPE_OBJECT)

static char last_lws_error[256];

static void
lws_log_to_glib (int         level,
                 const char *line)
{
  g_autofree char *copy = g_strchomp (g_strdup (line));

  if (level & LLL_ERR)
    g_strlcpy (last_lws_error, copy, sizeof last_lws_error);
  g_debug ("lws: %s", copy);
}

static void
setup_lws_logging (void)
{
  const char *env = g_getenv ("RH_LWS_LOG");
  int level = LLL_ERR | LLL_WARN;

  if (env != NULL)
    level = (int) g_ascii_strtoll (env, NULL, 0);
  lws_set_log_level (level | LLL_ERR, lws_log_to_glib);
  last_lws_error[0] = '\0';
}

static void
out_message_free (OutMessage *msg)
{
  g_free (msg->buf);
  g_free (msg);
}

/* ---- Conn: the lws side ---------------------------------------------------------------- */

static void
conn_free (Conn *conn)
{
  g_assert (conn->context == NULL);

  if (conn->destroy_source != NULL)
    {
      g_source_destroy (conn->destroy_source);
      g_source_unref (conn->destroy_source);
    }
  g_main_loop_unref (conn->loop);
  g_main_context_unref (conn->main_context);
  g_free (conn->subprotocol);
  g_free (conn->host);
  g_free (conn->host_header);
  g_free (conn->path);
  g_free (conn->ca_file);
  g_free (conn);
}

/* Returns TRUE when the lws context is completely gone. */
static gboolean
conn_destroy_context (Conn *conn)
{
  if (conn->context != NULL)
    {
      lws_context_destroy (conn->context);
      g_debug ("Client lws context %s", conn->context == NULL ? "destroyed" : "still tearing down");
    }
  conn->wsi = NULL;
  return conn->context == NULL;
}

static gboolean
conn_destroy_idle (gpointer data)
{
  Conn *conn = data;

  if (conn->in_callback > 0)
    return G_SOURCE_CONTINUE;

  if (!conn_destroy_context (conn) && ++conn->destroy_tries < DESTROY_MAX_TRIES)
    return G_SOURCE_CONTINUE;

  g_clear_pointer (&conn->destroy_source, g_source_unref);
  if (conn->context != NULL)
    g_warning ("The libwebsockets client context did not finish its teardown");
  else if (conn->client == NULL)
    conn_free (conn);
  /* Otherwise the object still points at the Conn: dispose frees it. */
  return G_SOURCE_REMOVE;
}

/* Tears the lws context down as soon as no lws callback is on the stack. */
static void
conn_schedule_destroy (Conn *conn)
{
  if (conn->destroy_source != NULL)
    return;

  conn->destroy_source = g_idle_source_new ();
  g_source_set_priority (conn->destroy_source, G_PRIORITY_HIGH);
  g_source_set_callback (conn->destroy_source, conn_destroy_idle, conn, NULL);
  g_source_set_static_name (conn->destroy_source, "[rh-ws-client] destroy");
  g_source_attach (conn->destroy_source, conn->main_context);
}

/* The client object goes away: it no longer hears from lws. */
static void
conn_release (Conn *conn)
{
  conn->client = NULL;

  if (conn->in_callback == 0)
    {
      conn_destroy_context (conn);
      if (conn->context == NULL)
        {
          conn_free (conn);
          return;
        }
    }
  conn_schedule_destroy (conn);
}

static gboolean
cert_matches_pin (X509         *cert,
                  const guint8 *pin)
{
  unsigned char *der = NULL;
  guint8 digest[RH_FINGERPRINT_LEN];
  int len;

  if (cert == NULL)
    return FALSE;
  len = i2d_X509 (cert, &der);
  if (len <= 0)
    return FALSE;
  rh_fingerprint_sha256 (der, (gsize) len, digest);
  OPENSSL_free (der);
  return CRYPTO_memcmp (digest, pin, RH_FINGERPRINT_LEN) == 0;
}

static int
conn_verify (Conn           *conn,
             X509_STORE_CTX *store,
             int             preverify_ok)
{
  int depth = X509_STORE_CTX_get_error_depth (store);

  if (conn->have_pin)
    {
      /* Only the leaf counts: it must be exactly the pinned certificate. */
      if (depth > 0)
        {
          X509_STORE_CTX_set_error (store, X509_V_OK);
          return 0;
        }
      if (cert_matches_pin (X509_STORE_CTX_get_current_cert (store), conn->pin))
        {
          conn->pin_ok = TRUE;
          X509_STORE_CTX_set_error (store, X509_V_OK);
          return 0;
        }
      conn->pin_ok = FALSE;
      conn->verify_failed = TRUE;
      g_strlcpy (conn->verify_detail, "the certificate does not match the pinned fingerprint",
                 sizeof conn->verify_detail);
      X509_STORE_CTX_set_error (store, X509_V_ERR_CERT_REJECTED);
      return 1;
    }

  if (!preverify_ok)
    {
      int err = X509_STORE_CTX_get_error (store);

      conn->verify_failed = TRUE;
      g_snprintf (conn->verify_detail, sizeof conn->verify_detail, "%s (depth %d)",
                  X509_verify_cert_error_string (err), depth);
      if (err == X509_V_OK)
        X509_STORE_CTX_set_error (store, X509_V_ERR_APPLICATION_VERIFICATION);
      return 1;
    }

  return 0;
}

static void
conn_configure_ssl_ctx (Conn    *conn,
                        SSL_CTX *ctx)
{
  g_debug ("Client TLS: TLS 1.2 minimum, security level 2, %s",
           conn->have_pin ? "pinned certificate" : "CA file");
  SSL_CTX_set_min_proto_version (ctx, TLS1_2_VERSION);
  SSL_CTX_set_security_level (ctx, 2);

  if (conn->ca_file != NULL)
    {
      X509_VERIFY_PARAM *param = SSL_CTX_get0_param (ctx);

      X509_VERIFY_PARAM_set_hostflags (param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      if (g_hostname_is_ip_address (conn->host))
        X509_VERIFY_PARAM_set1_ip_asc (param, conn->host);
      else
        X509_VERIFY_PARAM_set1_host (param, conn->host, 0);
    }
}

/* ---- RhWsClient ----------------------------------------------------------------------- */

static void
client_complete_connect (RhWsClient *self,
                         GError     *error)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->connect_task);

  if (self->cancel_source != NULL)
    {
      g_source_destroy (self->cancel_source);
      g_clear_pointer (&self->cancel_source, g_source_unref);
    }
  if (self->connect_timeout != NULL)
    {
      g_source_destroy (self->connect_timeout);
      g_clear_pointer (&self->connect_timeout, g_source_unref);
    }
  if (task == NULL)
    {
      g_clear_error (&error);
      return;
    }
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
client_emit_closed (RhWsClient *self)
{
  g_autoptr(GError) error = g_steal_pointer (&self->close_error);

  if (error == NULL && !self->close_requested)
    {
      if (self->server_close_status != 0)
        error = g_error_new (RH_PROTOCOL_ERROR, RH_ERROR_CONNECTION_LOST,
                             "The server closed the connection (status %d)",
                             self->server_close_status);
      else
        error = g_error_new_literal (RH_PROTOCOL_ERROR, RH_ERROR_CONNECTION_LOST,
                                     "The connection to the server was lost");
    }

  g_debug ("Connection closed%s%s", error ? ": " : "", error ? error->message : "");
  g_signal_emit (self, signals[SIGNAL_CLOSED], 0, error);
}

/* The connection is gone, for whatever reason. */
static void
client_connection_ended (RhWsClient *self,
                         const char *reason)
{
  State old = self->state;

  if (old == STATE_CLOSED || old == STATE_IDLE)
    return;

  self->state = STATE_CLOSED;
  if (self->conn != NULL)
    {
      self->conn->wsi = NULL;
      conn_schedule_destroy (self->conn);
    }
  g_queue_clear_full (&self->out, (GDestroyNotify) out_message_free);
  self->queued = 0;

  if (old == STATE_CONNECTING)
    {
      Conn *conn = self->conn;
      GError *error;

      if (conn != NULL && conn->verify_failed)
        error = g_error_new (RH_PROTOCOL_ERROR, RH_ERROR_TLS_VERIFY_FAILED,
                             "The server’s TLS certificate was not accepted: %s",
                             conn->verify_detail);
      else
        error = g_error_new (RH_PROTOCOL_ERROR, RH_ERROR_CONNECT_FAILED,
                             "Could not connect to %s port %d: %s",
                             conn ? conn->host : "the server", conn ? conn->port : 0,
                             reason != NULL && reason[0] ? reason : "connection failed");
      client_complete_connect (self, error);
      return;
    }

  client_emit_closed (self);
}

static void
client_start_close (RhWsClient *self,
                    int         status)
{
  if (self->state != STATE_OPEN)
    return;

  self->state = STATE_CLOSING;
  self->close_status = status;
  if (self->conn != NULL && self->conn->wsi != NULL)
    {
      lws_set_timeout (self->conn->wsi, TIMEOUT_CLOSING, CLOSE_TIMEOUT_SECS);
      lws_callback_on_writable (self->conn->wsi);
    }
}

static int
client_writeable (RhWsClient *self,
                  struct lws *wsi)
{
  OutMessage *msg = g_queue_pop_head (&self->out);

  if (msg != NULL)
    {
      int n;

      self->queued -= msg->len;
      n = lws_write (wsi, msg->buf + LWS_PRE, msg->len,
                     msg->binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT);
      if (n < 0 || (gsize) n < msg->len)
        {
          g_debug ("Write of %" G_GSIZE_FORMAT " bytes failed", msg->len);
          out_message_free (msg);
          return -1;
        }
      out_message_free (msg);
      if (!g_queue_is_empty (&self->out) || self->state == STATE_CLOSING)
        lws_callback_on_writable (wsi);
      return 0;
    }

  if (self->state == STATE_CLOSING && !self->close_sent)
    {
      static const char reason[] = "bye";

      self->close_sent = TRUE;
      lws_close_reason (wsi, (enum lws_close_status) self->close_status,
                        (unsigned char *) reason, sizeof reason - 1);
      return -1;
    }

  return 0;
}

static void
client_receive (RhWsClient   *self,
                struct lws   *wsi,
                const guint8 *in,
                gsize         len)
{
  if (self->state != STATE_OPEN)
    return;

  if (!self->rx_in_message)
    {
      g_byte_array_set_size (self->rx, 0);
      self->rx_binary = lws_frame_is_binary (wsi) != 0;
      self->rx_in_message = TRUE;
    }

  if (len > self->max_message - self->rx->len)
    {
      g_debug ("The server sent a message over %" G_GSIZE_FORMAT " bytes", self->max_message);
      g_byte_array_set_size (self->rx, 0);
      self->rx_in_message = FALSE;
      g_clear_error (&self->close_error);
      self->close_error = g_error_new (RH_PROTOCOL_ERROR, RH_ERROR_MESSAGE_TOO_LARGE,
                                       "The server sent a message larger than %" G_GSIZE_FORMAT
                                       " bytes", self->max_message);
      client_start_close (self, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE);
      return;
    }

  g_byte_array_append (self->rx, in, (guint) len);

  if (lws_is_final_fragment (wsi))
    {
      g_autoptr(GBytes) bytes = g_bytes_new (self->rx->data, self->rx->len);

      g_byte_array_set_size (self->rx, 0);
      self->rx_in_message = FALSE;
      g_signal_emit (self, signals[SIGNAL_MESSAGE], 0, bytes, self->rx_binary);
    }
}

static int
client_dispatch (Conn                     *conn,
                 RhWsClient               *self,
                 struct lws               *wsi,
                 enum lws_callback_reasons reason,
                 void                     *user,
                 void                     *in,
                 size_t                    len)
{
  switch (reason)
    {
    case LWS_CALLBACK_OPENSSL_LOAD_EXTRA_CLIENT_VERIFY_CERTS:
      conn_configure_ssl_ctx (conn, user);
      return 0;

    case LWS_CALLBACK_OPENSSL_PERFORM_SERVER_CERT_VERIFICATION:
      return conn_verify (conn, user, (int) len);

    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
      /* The last point before the first application byte goes out: the leaf must be the
       * pinned one (the verify callback said so already; this does not depend on it). */
      if (conn->have_pin &&
          (!conn->pin_ok ||
           !cert_matches_pin (SSL_get0_peer_certificate (lws_get_ssl (wsi)), conn->pin)))
        {
          conn->verify_failed = TRUE;
          if (conn->verify_detail[0] == '\0')
            g_strlcpy (conn->verify_detail,
                       "the certificate does not match the pinned fingerprint",
                       sizeof conn->verify_detail);
          return -1;
        }
      return 0;

    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
      g_debug ("Connection error: %.*s", (int) (in ? len : 0), in ? (const char *) in : "");
      if (self != NULL)
        {
          g_autofree char *why = in ? g_strndup (in, len) : NULL;

          client_connection_ended (self, why);
        }
      conn->wsi = NULL;
      return 0;

    case LWS_CALLBACK_CLIENT_ESTABLISHED:
      if (self == NULL || self->state != STATE_CONNECTING)
        return -1;
      g_debug ("Connected to %s port %d", conn->host, conn->port);
      self->state = STATE_OPEN;
      if (!g_queue_is_empty (&self->out))
        lws_callback_on_writable (wsi);
      client_complete_connect (self, NULL);
      return 0;

    case LWS_CALLBACK_CLIENT_RECEIVE:
      if (self != NULL)
        client_receive (self, wsi, in, len);
      return 0;

    case LWS_CALLBACK_CLIENT_WRITEABLE:
      if (self == NULL)
        return -1;
      return client_writeable (self, wsi);

    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
      if (self != NULL && len >= 2)
        self->server_close_status = ((const guint8 *) in)[0] << 8 | ((const guint8 *) in)[1];
      return 0;

    case LWS_CALLBACK_CLIENT_CLOSED:
      conn->wsi = NULL;
      if (self != NULL)
        client_connection_ended (self, "closed");
      return 0;

    case LWS_CALLBACK_WSI_DESTROY:
      /* Covers connections that end without CLIENT_CLOSED or CONNECTION_ERROR. */
      if (wsi == conn->wsi)
        {
          conn->wsi = NULL;
          if (self != NULL)
            client_connection_ended (self, "connection ended");
        }
      return 0;

    default:
      return 0;
    }
}

static int
client_callback (struct lws               *wsi,
                 enum lws_callback_reasons reason,
                 void                     *user,
                 void                     *in,
                 size_t                    len)
{
  struct lws_context *context = wsi != NULL ? lws_get_context (wsi) : NULL;
  Conn *conn = context != NULL ? lws_context_user (context) : NULL;
  RhWsClient *self;
  int ret;

  if (conn == NULL)
    return 0;

  /* The object may be unreffed by a signal handler: keep it until we return, and never let
   * lws_context_destroy() run while this callback is on the stack. */
  conn->in_callback++;
  self = conn->client != NULL ? g_object_ref (conn->client) : NULL;
  ret = client_dispatch (conn, self, wsi, reason, user, in, len);
  g_clear_object (&self);
  conn->in_callback--;

  return ret;
}

static gboolean
on_cancelled (GCancellable *cancellable,
              gpointer      user_data)
{
  RhWsClient *self = user_data;
  GError *error = NULL;

  if (self->state != STATE_CONNECTING)
    return G_SOURCE_REMOVE;

  g_debug ("Connecting cancelled");
  self->state = STATE_CLOSED;
  if (self->conn != NULL)
    conn_schedule_destroy (self->conn);
  g_cancellable_set_error_if_cancelled (cancellable, &error);
  client_complete_connect (self, error);
  return G_SOURCE_REMOVE;
}

/* lws has its own connect and handshake timeouts; this only makes sure the task completes. */
static gboolean
on_connect_timeout (gpointer user_data)
{
  RhWsClient *self = user_data;

  if (self->state == STATE_CONNECTING)
    {
      self->state = STATE_CLOSED;
      if (self->conn != NULL)
        conn_schedule_destroy (self->conn);
      client_complete_connect (self, g_error_new_literal (RH_PROTOCOL_ERROR,
                                                          RH_ERROR_CONNECT_FAILED,
                                                          "Connecting to the server timed out"));
    }
  return G_SOURCE_REMOVE;
}

static void
rh_ws_client_dispose (GObject *object)
{
  RhWsClient *self = RH_WS_CLIENT (object);

  if (self->conn != NULL)
    conn_release (g_steal_pointer (&self->conn));
  self->state = STATE_CLOSED;

  if (self->connect_task != NULL)
    client_complete_connect (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                        "The client was destroyed"));
  g_queue_clear_full (&self->out, (GDestroyNotify) out_message_free);
  self->queued = 0;
  g_clear_error (&self->close_error);

  G_OBJECT_CLASS (rh_ws_client_parent_class)->dispose (object);
}

static void
rh_ws_client_finalize (GObject *object)
{
  RhWsClient *self = RH_WS_CLIENT (object);

  g_byte_array_unref (self->rx);

  G_OBJECT_CLASS (rh_ws_client_parent_class)->finalize (object);
}

static void
rh_ws_client_class_init (RhWsClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = rh_ws_client_dispose;
  object_class->finalize = rh_ws_client_finalize;

  signals[SIGNAL_MESSAGE] =
    g_signal_new ("message", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_BYTES, G_TYPE_BOOLEAN);
  signals[SIGNAL_CLOSED] =
    g_signal_new ("closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
rh_ws_client_init (RhWsClient *self)
{
  self->max_message = RH_WS_MAX_MESSAGE;
  self->rx = g_byte_array_new ();
  g_queue_init (&self->out);
}

RhWsClient *
rh_ws_client_new (void)
{
  return g_object_new (RH_TYPE_WS_CLIENT, NULL);
}

/* wss://host[:port][/path][?query]; no user info, no fragment. */
static gboolean
parse_url (const char  *url,
           char       **host,
           int         *port,
           char       **path,
           GError     **error)
{
  g_autoptr(GUri) uri = NULL;
  const char *p;
  const char *q;

  if (url != NULL)
    uri = g_uri_parse (url, G_URI_FLAGS_NON_DNS, NULL);
  if (uri == NULL ||
      g_ascii_strcasecmp (g_uri_get_scheme (uri), "wss") != 0 ||
      g_uri_get_host (uri) == NULL || g_uri_get_host (uri)[0] == '\0' ||
      g_uri_get_userinfo (uri) != NULL ||
      g_uri_get_fragment (uri) != NULL)
    {
      g_set_error (error, RH_PROTOCOL_ERROR, RH_ERROR_BAD_SERVER_URL,
                   "“%s” is not a server address of the form wss://HOST[:PORT][/PATH]",
                   url != NULL ? url : "");
      return FALSE;
    }

  *host = g_strdup (g_uri_get_host (uri));
  *port = g_uri_get_port (uri) > 0 ? g_uri_get_port (uri) : 443;
  p = g_uri_get_path (uri);
  q = g_uri_get_query (uri);
  *path = g_strdup_printf ("%s%s%s%s", p[0] == '/' ? "" : "/", p, q ? "?" : "", q ? q : "");
  return TRUE;
}

void
rh_ws_client_connect_async (RhWsClient          *self,
                            const char          *url,
                            const char          *subprotocol,
                            GBytes              *pinned_sha256,
                            const char          *ca_file,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  struct lws_context_creation_info info;
  struct lws_client_connect_info ci;
  void *foreign_loops[1];
  Conn *conn;
  char *host = NULL;
  char *path = NULL;
  int port = 0;

  g_return_if_fail (RH_IS_WS_CLIENT (self));
  g_return_if_fail (subprotocol != NULL && subprotocol[0] != '\0');
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));
  g_return_if_fail (self->state == STATE_IDLE);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, rh_ws_client_connect_async);

  if (!parse_url (url, &host, &port, &path, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if ((pinned_sha256 == NULL) == (ca_file == NULL))
    {
      g_free (host);
      g_free (path);
      g_task_return_new_error (task, RH_PROTOCOL_ERROR, RH_ERROR_NO_TRUST,
                               pinned_sha256 == NULL
                               ? "No way to verify the server: give its certificate "
                                 "fingerprint or a CA file"
                               : "Give either the server’s fingerprint or a CA file, not both");
      return;
    }
  if (pinned_sha256 != NULL && g_bytes_get_size (pinned_sha256) != RH_FINGERPRINT_LEN)
    {
      g_free (host);
      g_free (path);
      g_task_return_new_error (task, RH_PROTOCOL_ERROR, RH_ERROR_BAD_FINGERPRINT,
                               "The server fingerprint must be a SHA-256 digest (32 bytes)");
      return;
    }
  if (ca_file != NULL && g_access (ca_file, R_OK) != 0)
    {
      g_free (host);
      g_free (path);
      g_task_return_new_error (task, RH_PROTOCOL_ERROR, RH_ERROR_NO_TRUST,
                               "The CA file “%s” cannot be read", ca_file);
      return;
    }

  conn = g_new0 (Conn, 1);
  conn->client = self;
  conn->main_context = g_main_context_ref_thread_default ();
  conn->loop = g_main_loop_new (conn->main_context, FALSE);
  conn->subprotocol = g_strdup (subprotocol);
  conn->host = host;
  conn->port = port;
  conn->path = path;
  if (strchr (host, ':') != NULL)
    conn->host_header = g_strdup_printf ("[%s]:%d", host, port);
  else
    conn->host_header = g_strdup_printf ("%s:%d", host, port);
  conn->ca_file = g_strdup (ca_file);
  if (pinned_sha256 != NULL)
    {
      conn->have_pin = TRUE;
      memcpy (conn->pin, g_bytes_get_data (pinned_sha256, NULL), RH_FINGERPRINT_LEN);
    }
  conn->protocols[0] = (struct lws_protocols) {
    .name = conn->subprotocol,
    .callback = client_callback,
    .rx_buffer_size = 16 * 1024,
  };

  self->conn = conn;
  self->state = STATE_CONNECTING;
  self->connect_task = g_steal_pointer (&task);

  if (cancellable != NULL)
    {
      self->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (self->cancel_source, G_SOURCE_FUNC (on_cancelled), self, NULL);
      g_source_attach (self->cancel_source, conn->main_context);
    }

  self->connect_timeout = g_timeout_source_new_seconds (CONNECT_TIMEOUT_SECS +
                                                        HANDSHAKE_TIMEOUT_SECS + 5);
  g_source_set_callback (self->connect_timeout, on_connect_timeout, self, NULL);
  g_source_attach (self->connect_timeout, conn->main_context);

  foreign_loops[0] = conn->loop;
  memset (&info, 0, sizeof info);
  info.options = LWS_SERVER_OPTION_GLIB |
                 LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT |
                 LWS_SERVER_OPTION_DISABLE_OS_CA_CERTS;
  info.port = CONTEXT_PORT_NO_LISTEN;
  info.protocols = conn->protocols;
  info.foreign_loops = foreign_loops;
  info.user = conn;
  info.pcontext = &conn->context;
  info.client_ssl_ca_filepath = conn->ca_file;
  info.ssl_client_options_set = SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1 |
                                SSL_OP_NO_COMPRESSION;
  info.connect_timeout_secs = CONNECT_TIMEOUT_SECS;
  info.timeout_secs = HANDSHAKE_TIMEOUT_SECS;

  setup_lws_logging ();
  conn->context = lws_create_context (&info);
  if (conn->context == NULL)
    {
      self->state = STATE_CLOSED;
      client_complete_connect (self, g_error_new (RH_PROTOCOL_ERROR, RH_ERROR_INTERNAL,
                                                  "Could not set up the WebSocket client%s%s",
                                                  last_lws_error[0] ? ": " : "",
                                                  last_lws_error));
      return;
    }

  memset (&ci, 0, sizeof ci);
  ci.context = conn->context;
  ci.address = conn->host;
  ci.port = conn->port;
  ci.ssl_connection = LCCSCF_USE_SSL | LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK;
  ci.path = conn->path;
  ci.host = conn->host_header;
  ci.origin = conn->host_header;
  ci.protocol = conn->subprotocol;
  ci.local_protocol_name = conn->subprotocol;
  ci.ietf_version_or_minus_one = -1;
  ci.alpn = "http/1.1";
  ci.pwsi = &conn->wsi;

  g_debug ("Connecting to %s port %d", conn->host, conn->port);
  conn->in_callback++;
  if (lws_client_connect_via_info (&ci) == NULL && self->state == STATE_CONNECTING)
    client_connection_ended (self, last_lws_error[0] ? last_lws_error : "connection failed");
  conn->in_callback--;
}

gboolean
rh_ws_client_connect_finish (RhWsClient    *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (RH_IS_WS_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
client_queue (RhWsClient   *self,
              const guint8 *data,
              gsize         len,
              gboolean      binary)
{
  OutMessage *msg;

  if (self->state != STATE_OPEN && self->state != STATE_CONNECTING)
    {
      g_debug ("Dropping a message of %" G_GSIZE_FORMAT " bytes: not connected", len);
      return;
    }

  msg = g_new0 (OutMessage, 1);
  msg->buf = g_malloc (LWS_PRE + len + 1);
  if (len > 0)
    memcpy (msg->buf + LWS_PRE, data, len);
  msg->len = len;
  msg->binary = binary;
  g_queue_push_tail (&self->out, msg);
  self->queued += len;

  if (self->state == STATE_OPEN && self->conn != NULL && self->conn->wsi != NULL)
    lws_callback_on_writable (self->conn->wsi);
}

void
rh_ws_client_send_text (RhWsClient *self,
                        const char *text,
                        gssize      len)
{
  g_return_if_fail (RH_IS_WS_CLIENT (self));
  g_return_if_fail (text != NULL || len == 0);

  if (len < 0)
    len = (gssize) strlen (text);
  client_queue (self, (const guint8 *) text, (gsize) len, FALSE);
}

void
rh_ws_client_send_binary (RhWsClient *self,
                          GBytes     *data)
{
  const guint8 *p;
  gsize len;

  g_return_if_fail (RH_IS_WS_CLIENT (self));
  g_return_if_fail (data != NULL);

  p = g_bytes_get_data (data, &len);
  client_queue (self, p, len, TRUE);
}

gsize
rh_ws_client_get_queued (RhWsClient *self)
{
  g_return_val_if_fail (RH_IS_WS_CLIENT (self), 0);

  return self->queued;
}

void
rh_ws_client_set_max_message (RhWsClient *self,
                              gsize       max_bytes)
{
  g_return_if_fail (RH_IS_WS_CLIENT (self));
  g_return_if_fail (max_bytes > 0);

  self->max_message = max_bytes;
}

void
rh_ws_client_close (RhWsClient *self)
{
  g_return_if_fail (RH_IS_WS_CLIENT (self));

  switch (self->state)
    {
    case STATE_CONNECTING:
      /* Nothing was established: the connect fails as cancelled. */
      self->state = STATE_CLOSED;
      if (self->conn != NULL)
        conn_schedule_destroy (self->conn);
      client_complete_connect (self, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                          "The connection was closed"));
      break;

    case STATE_OPEN:
      self->close_requested = TRUE;
      client_start_close (self, LWS_CLOSE_STATUS_NORMAL);
      break;

    case STATE_IDLE:
    case STATE_CLOSING:
    case STATE_CLOSED:
    default:
      break;
    }
}

gboolean
rh_ws_client_is_open (RhWsClient *self)
{
  g_return_val_if_fail (RH_IS_WS_CLIENT (self), FALSE);

  return self->state == STATE_OPEN;
}
