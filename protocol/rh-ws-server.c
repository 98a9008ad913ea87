/* rh-ws-server.c: a WSS server on libwebsockets' libuv event loop
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * libwebsockets 4.1.6 facts this file relies on (checked against the Debian build):
 *
 * - The libuv event loop is the dlopen'ed plugin libwebsockets-evlib_uv.so. When it cannot be
 *   loaded, lws_create_context() fails and logs "unable to load evlib plugin": we catch that
 *   line and report it instead of falling back to the poll loop.
 * - lws_service() on the libuv loop runs uv_run() until lws stops the loop; the only way to
 *   make it return is lws_context_destroy() called from inside the loop (what the lws
 *   examples do from their signal_cb). It closes every connection (LWS_CALLBACK_CLOSED /
 *   WSI_DESTROY), closes the listen socket, and lws_service() returns; a second
 *   lws_context_destroy() after that frees the context. info.pcontext tells us when the
 *   context is gone.
 * - With an internal libuv loop the plugin watches SIGINT, SIGTERM, SIGSEGV, SIGFPE and SIGHUP
 *   (SIGINT and SIGTERM only with LWS_SERVER_OPTION_UV_NO_SIGSEGV_SIGFPE_SPIN, which we set)
 *   and hands them to info.signal_cb (a uv_signal_t *, signum) from the loop.
 * - LWS_CALLBACK_OPENSSL_LOAD_EXTRA_SERVER_VERIFY_CERTS reaches protocols[0] with the vhost's
 *   SSL_CTX as `user` while the vhost is created: there we set TLS 1.2 minimum and
 *   security level 2.
 * - Timers are lws_sorted_usec_list_t scheduled on the pt; the libuv plugin services them
 *   from its own uv timer, which it only re-arms after lws service: a sul scheduled from
 *   signal_cb does not fire (we destroy the context right there instead).
 * - Returning -1 from a callback on the libuv loop closes the connection twice in this
 *   _DEBUG build ("close_and_handled uv repeat test") and the close frame set with
 *   lws_close_reason() is never sent; closing from a timer with LWS_TO_KILL_SYNC sends it
 *   and waits for the peer's answer.
 * - With the vhost retry_and_idle_policy, server-side ws connections get a PING after
 *   secs_since_valid_ping without traffic and are dropped (no close frame) when no PONG
 *   or other traffic arrives within secs_since_valid_hangup.
 * - A failed lws_create_context() on the libuv loop leaks its uv signal handles into libuv's
 *   process-wide list, so the listening vhost is created separately (EXPLICIT_VHOSTS).
 * - lws_rx_flow_control (wsi, 0) stops reading the socket (what lws already read stays in its
 *   buffer list until reading resumes). Nothing is read while paused, not even PONGs, so a
 *   connection paused for longer than the hangup time (60 s) is dropped as idle.
 */
#define G_LOG_DOMAIN "rh-protocol"

#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

#include <libwebsockets.h>
#include <openssl/ssl.h>

#include "rh-error.h"
#include "rh-ws-client.h"
#include "rh-ws-server.h"

#define DEFAULT_AUTH_TIMEOUT_SECS 30
#define DEFAULT_PING_SECS         30
#define DEFAULT_HANGUP_SECS       60
#define CLOSE_FLUSH_TIMEOUT_SECS  10

#define TIMEOUT_UNAUTHENTICATED   (PENDING_TIMEOUT_USER_REASON_BASE + 1)
#define TIMEOUT_CLOSE_FLUSH       (PENDING_TIMEOUT_USER_REASON_BASE + 2)

typedef struct
{
  guint8   *buf;      /* LWS_PRE bytes of headroom, then the payload */
  gsize     len;
  gboolean  binary;
} OutMessage;

struct _RhWsPeer
{
  RhWsServer     *server;
  struct lws     *wsi;         /* NULL once the connection is gone */
  GList           link;        /* in server->peers */
  guint64         id;
  char            address[64];

  gpointer        data;
  GDestroyNotify  data_destroy;

  GQueue          out;         /* OutMessage */
  gsize           queued;

  GByteArray     *rx;
  gboolean        rx_binary;
  gboolean        rx_in_message;

  gboolean        authenticated;
  gboolean        rx_paused;
  gsize           drain_below; /* 0: nobody waits for "peer-drained" */
  gboolean        closing;     /* flush the queue, then close */
  gboolean        close_sent;
  lws_sorted_usec_list_t close_sul;
  int             close_status;
  char            close_reason[124];
  gsize           close_reason_len;
};

typedef struct
{
  RhWsPeer *peer;
} SessionData;

typedef struct
{
  lws_sorted_usec_list_t  sul;  /* first: the callback gets a pointer to it */
  RhWsServer             *server;
  guint                   id;
  RhWsServerTimerFunc     func;
  gpointer                user_data;
} Timer;

#define HTTP_HEADER_ROOM 4096
#define HTTP_CHUNK       (16 * 1024)
/* A refused body up to this size is still read (and dropped), so that the client gets the
 * answer instead of a connection reset from unread data. */
#define HTTP_DISCARD_MAX (1024 * 1024)

static const char * const kept_request_headers[] = {
  "cookie", "content-type", "origin", "x-csrf-token",
};

struct _RhHttpRequest
{
  struct lws       *wsi;          /* NULL once the connection is gone */
  char             *method;
  char             *path;
  GHashTable       *query;        /* name → value */
  char             *headers[G_N_ELEMENTS (kept_request_headers)];
  char              address[64];
  GByteArray       *body;
  gsize             content_length;
  RhHttpBodyStatus  body_status;
  gboolean          close_after;  /* a body was left unread: the connection is unusable */

  gboolean          responded;
  guint             status;
  char             *content_type;
  GPtrArray        *out_headers;  /* name, value, name, value… */
  GBytes           *out_body;
  gsize             out_sent;
  gboolean          headers_sent;
};

typedef struct
{
  RhHttpRequest *request;
} HttpSessionData;

struct _RhWsServer
{
  GObject                parent_instance;

  RhWsServerHttpFunc     http_func;
  gpointer               http_user_data;
  gsize                  http_max_body;

  struct lws_context    *context;     /* set to NULL by lws when it is finally freed */
  struct lws_vhost      *vhost;
  struct lws_protocols   protocols[3];
  lws_retry_bo_t         retry;
  char                  *subprotocol;
  int                    port;

  gsize                  max_message;
  guint                  auth_timeout_secs;

  GQueue                 peers;       /* RhWsPeer, linked through peer->link */
  guint64                next_peer_id;

  GHashTable            *timers;      /* id → Timer */
  guint                  next_timer_id;

  lws_sorted_usec_list_t stop_sul;
  gboolean               running;
  GThread               *run_thread;
  gboolean               stop_requested;
  gboolean               destroy_started;
};

enum
{
  SIGNAL_PEER_OPENED,
  SIGNAL_PEER_MESSAGE,
  SIGNAL_PEER_OVERSIZE,
  SIGNAL_PEER_CLOSED,
  SIGNAL_PEER_DRAINED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (RhWsServer, rh_ws_server, G_TYPE_OBJECT)

/* Servers inside rh_ws_server_run(). libuv hands a signal to every loop that watches it, so
 * each loop stops the servers run by its own thread. */
G_LOCK_DEFINE_STATIC (running_servers);
static GSList *running_servers;

/* lws logging goes to g_debug(); the last error line explains a failed context creation. */
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

static void
peer_queue (RhWsPeer     *peer,
            const guint8 *data,
            gsize         len,
            gboolean      binary)
{
  OutMessage *msg;

  if (peer->wsi == NULL || peer->closing || peer->server->destroy_started)
    return;

  msg = g_new0 (OutMessage, 1);
  msg->buf = g_malloc (LWS_PRE + len + 1);
  if (len > 0)
    memcpy (msg->buf + LWS_PRE, data, len);
  msg->len = len;
  msg->binary = binary;
  g_queue_push_tail (&peer->out, msg);
  peer->queued += len;
  lws_callback_on_writable (peer->wsi);
}

/* The connection is gone: tell the application, then forget the peer. */
static void
peer_finish (RhWsPeer *peer)
{
  RhWsServer *self = peer->server;

  g_debug ("Peer %" G_GUINT64_FORMAT " (%s) closed", peer->id, peer->address);
  peer->wsi = NULL;
  lws_sul_cancel (&peer->close_sul);
  g_signal_emit (self, signals[SIGNAL_PEER_CLOSED], 0, peer);

  g_queue_unlink (&self->peers, &peer->link);
  if (peer->data_destroy != NULL)
    peer->data_destroy (peer->data);
  g_queue_clear_full (&peer->out, (GDestroyNotify) out_message_free);
  g_byte_array_unref (peer->rx);
  g_free (peer);
}

static void
peer_start_close (RhWsPeer   *peer,
                  int         status,
                  const char *reason)
{
  if (peer->closing || peer->wsi == NULL)
    return;

  /* The peer's answer to our close frame must be read. */
  if (peer->rx_paused)
    {
      peer->rx_paused = FALSE;
      lws_rx_flow_control (peer->wsi, 1);
    }
  peer->drain_below = 0;
  peer->closing = TRUE;
  peer->close_status = status;
  peer->close_reason_len = 0;
  if (reason != NULL)
    {
      g_strlcpy (peer->close_reason, reason, sizeof peer->close_reason);
      peer->close_reason_len = strlen (peer->close_reason);
    }
  /* A peer that never reads must not keep the connection open for ever. */
  lws_set_timeout (peer->wsi, TIMEOUT_CLOSE_FLUSH, CLOSE_FLUSH_TIMEOUT_SECS);
  lws_callback_on_writable (peer->wsi);
}

static void
peer_close_now (lws_sorted_usec_list_t *sul)
{
  RhWsPeer *peer = lws_container_of (sul, RhWsPeer, close_sul);

  if (peer->wsi != NULL)
    lws_set_timeout (peer->wsi, TIMEOUT_CLOSE_FLUSH, LWS_TO_KILL_SYNC);
}

static int
peer_writeable (RhWsPeer *peer)
{
  OutMessage *msg = g_queue_pop_head (&peer->out);

  if (msg != NULL)
    {
      int n;

      peer->queued -= msg->len;
      n = lws_write (peer->wsi, msg->buf + LWS_PRE, msg->len,
                     msg->binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT);
      if (n < 0 || (gsize) n < msg->len)
        {
          g_debug ("Peer %" G_GUINT64_FORMAT ": write of %" G_GSIZE_FORMAT " bytes failed",
                   peer->id, msg->len);
          out_message_free (msg);
          return -1;
        }
      out_message_free (msg);
      /* One lws_write per WRITEABLE callback: ask again for the rest or the close. */
      if (!g_queue_is_empty (&peer->out) || peer->closing)
        lws_callback_on_writable (peer->wsi);
      if (peer->drain_below > 0 && peer->queued < peer->drain_below)
        {
          peer->drain_below = 0;
          g_signal_emit (peer->server, signals[SIGNAL_PEER_DRAINED], 0, peer);
        }
      return 0;
    }

  if (peer->closing && !peer->close_sent)
    {
      /* Not "return -1": in Debian's 4.1.6 (a _DEBUG build) a close from a callback on the
       * libuv loop is run twice ("close_and_handled uv repeat test") and the second run kills
       * the socket before the close frame goes out. Closing from a timer, outside any
       * callback of this connection, takes lws' normal path: it sends the close frame set by
       * lws_close_reason() and waits for the peer's answer. */
      peer->close_sent = TRUE;
      lws_close_reason (peer->wsi, (enum lws_close_status) peer->close_status,
                        (unsigned char *) peer->close_reason, peer->close_reason_len);
      lws_sul_schedule (lws_get_context (peer->wsi), 0, &peer->close_sul, peer_close_now, 1);
    }

  return 0;
}

static void
peer_receive (RhWsPeer     *peer,
              struct lws   *wsi,
              const guint8 *in,
              gsize         len)
{
  RhWsServer *self = peer->server;

  if (peer->closing)
    return;

  if (!peer->rx_in_message)
    {
      g_byte_array_set_size (peer->rx, 0);
      peer->rx_binary = lws_frame_is_binary (wsi) != 0;
      peer->rx_in_message = TRUE;
    }

  if (len > self->max_message - peer->rx->len)
    {
      g_debug ("Peer %" G_GUINT64_FORMAT " (%s) sent a message over %" G_GSIZE_FORMAT " bytes",
               peer->id, peer->address, self->max_message);
      g_byte_array_set_size (peer->rx, 0);
      peer->rx_in_message = FALSE;
      g_signal_emit (self, signals[SIGNAL_PEER_OVERSIZE], 0, peer);
      peer_start_close (peer, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, "message too large");
      return;
    }

  g_byte_array_append (peer->rx, in, (guint) len);

  if (lws_is_final_fragment (wsi))
    {
      g_autoptr(GBytes) bytes = NULL;
      gsize size = peer->rx->len;

      bytes = g_bytes_new (peer->rx->data, size);
      g_byte_array_set_size (peer->rx, 0);
      peer->rx_in_message = FALSE;
      g_signal_emit (self, signals[SIGNAL_PEER_MESSAGE], 0, peer, bytes, peer->rx_binary);
    }
}

static RhWsServer *
server_from_wsi (struct lws *wsi)
{
  return lws_context_user (lws_get_context (wsi));
}

static void
configure_tls (SSL_CTX *ctx)
{
  g_debug ("Server TLS: TLS 1.2 minimum, security level 2");
  SSL_CTX_set_min_proto_version (ctx, TLS1_2_VERSION);
  SSL_CTX_set_security_level (ctx, 2);
}

static void
http_request_free (RhHttpRequest *req)
{
  g_free (req->method);
  g_free (req->path);
  g_clear_pointer (&req->query, g_hash_table_unref);
  for (gsize i = 0; i < G_N_ELEMENTS (req->headers); i++)
    g_free (req->headers[i]);
  g_byte_array_unref (req->body);
  g_free (req->content_type);
  g_clear_pointer (&req->out_headers, g_ptr_array_unref);
  g_clear_pointer (&req->out_body, g_bytes_unref);
  g_free (req);
}

static char *
copy_header (struct lws               *wsi,
             enum lws_token_indexes    token,
             const char               *custom)
{
  int len = custom != NULL ? lws_hdr_custom_length (wsi, custom, (int) strlen (custom))
                           : lws_hdr_total_length (wsi, token);
  g_autofree char *value = NULL;

  if (len < 0 || (custom == NULL && len == 0))
    return NULL;
  value = g_malloc0 ((gsize) len + 1);
  if (custom != NULL)
    {
      if (lws_hdr_custom_copy (wsi, value, len + 1, custom, (int) strlen (custom)) < 0)
        return NULL;
    }
  else if (lws_hdr_copy (wsi, value, len + 1, token) < 0)
    return NULL;
  return g_steal_pointer (&value);
}

static RhHttpRequest *
http_request_new (struct lws *wsi,
                  const char *path)
{
  static const char * const methods[] = {
    [LWSHUMETH_GET] = "GET", [LWSHUMETH_POST] = "POST", [LWSHUMETH_OPTIONS] = "OPTIONS",
    [LWSHUMETH_PUT] = "PUT", [LWSHUMETH_PATCH] = "PATCH", [LWSHUMETH_DELETE] = "DELETE",
    [LWSHUMETH_CONNECT] = "CONNECT", [LWSHUMETH_HEAD] = "HEAD",
  };
  RhHttpRequest *req = g_new0 (RhHttpRequest, 1);
  char *uri = NULL;
  int uri_len = 0;
  int method = lws_http_get_uri_and_method (wsi, &uri, &uri_len);
  char arg[1024];

  req->wsi = wsi;
  req->method = g_strdup (method >= 0 && (gsize) method < G_N_ELEMENTS (methods) &&
                          methods[method] != NULL ? methods[method] : "UNKNOWN");
  req->path = g_strdup (path != NULL ? path : "/");
  req->query = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  /* lws has split and decoded the arguments; an argument too long for arg is dropped. */
  for (int i = 0; lws_hdr_copy_fragment (wsi, arg, sizeof arg, WSI_TOKEN_HTTP_URI_ARGS, i) >= 0;
       i++)
    {
      char *eq = strchr (arg, '=');

      if (eq == NULL)
        g_hash_table_replace (req->query, g_strdup (arg), g_strdup (""));
      else
        g_hash_table_replace (req->query, g_strndup (arg, (gsize) (eq - arg)),
                              g_strdup (eq + 1));
    }

  req->headers[0] = copy_header (wsi, WSI_TOKEN_HTTP_COOKIE, NULL);
  req->headers[1] = copy_header (wsi, WSI_TOKEN_HTTP_CONTENT_TYPE, NULL);
  req->headers[2] = copy_header (wsi, WSI_TOKEN_ORIGIN, NULL);
  req->headers[3] = copy_header (wsi, 0, "x-csrf-token:");

  lws_get_peer_simple (wsi, req->address, sizeof req->address);
  if (g_str_has_prefix (req->address, "::ffff:") && strchr (req->address, '.') != NULL)
    memmove (req->address, req->address + 7, strlen (req->address + 7) + 1);

  req->body = g_byte_array_new ();
  req->out_headers = g_ptr_array_new_with_free_func (g_free);
  return req;
}

static void
http_dispatch (RhWsServer    *self,
               RhHttpRequest *req)
{
  if (self->http_func != NULL)
    self->http_func (req, self->http_user_data);
  if (!req->responded)
    rh_http_request_respond (req, HTTP_STATUS_NOT_FOUND, "text/plain",
                             g_bytes_new_static ("Not found\n", 10));
}

/* One lws_write per WRITEABLE callback: the headers first, then the body in chunks. */
static int
http_writeable (RhHttpRequest *req)
{
  struct lws *wsi = req->wsi;
  gsize body_len = req->out_body != NULL ? g_bytes_get_size (req->out_body) : 0;
  gboolean close_after = req->close_after;

  if (!req->responded)
    return 0;

  if (!req->headers_sent)
    {
      g_autofree guint8 *buf = g_malloc (LWS_PRE + HTTP_HEADER_ROOM);
      guint8 *start = buf + LWS_PRE;
      guint8 *p = start;
      guint8 *end = start + HTTP_HEADER_ROOM - 1;

      if (lws_add_http_common_headers (wsi, req->status, req->content_type, body_len, &p, end))
        return -1;
      for (guint i = 0; i + 1 < req->out_headers->len; i += 2)
        {
          g_autofree char *name = g_strconcat (req->out_headers->pdata[i], ":", NULL);
          const char *value = req->out_headers->pdata[i + 1];

          if (lws_add_http_header_by_name (wsi, (const guint8 *) name, (const guint8 *) value,
                                           (int) strlen (value), &p, end))
            return -1;
        }
      if (close_after &&
          lws_add_http_header_by_name (wsi, (const guint8 *) "connection:",
                                       (const guint8 *) "close", 5, &p, end))
        return -1;
      if (lws_finalize_write_http_header (wsi, start, &p, end))
        return -1;
      req->headers_sent = TRUE;
      if (body_len > 0)
        {
          lws_callback_on_writable (wsi);
          return 0;
        }
    }
  else if (req->out_sent < body_len)
    {
      const guint8 *data = g_bytes_get_data (req->out_body, NULL);
      gsize n = MIN (body_len - req->out_sent, HTTP_CHUNK);
      gboolean last = req->out_sent + n == body_len;
      g_autofree guint8 *buf = g_malloc (LWS_PRE + n);

      memcpy (buf + LWS_PRE, data + req->out_sent, n);
      if (lws_write (wsi, buf + LWS_PRE, n, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) < (int) n)
        return -1;
      req->out_sent += n;
      if (!last)
        {
          lws_callback_on_writable (wsi);
          return 0;
        }
    }
  else
    return 0;

  /* Everything is out. A refused body was never read, so the connection cannot carry
   * another request. */
  if (close_after)
    return -1;
  if (lws_http_transaction_completed (wsi))
    return -1;
  return 0;
}

/* protocols[0]: plain HTTP(S) requests and WebSocket requests without our subprotocol end up
 * here; it also receives the vhost-wide TLS callbacks. */
static int
http_callback (struct lws               *wsi,
               enum lws_callback_reasons reason,
               void                     *user,
               void                     *in,
               size_t                    len)
{
  HttpSessionData *hd = user;
  RhWsServer *self;
  RhHttpRequest *req;

  switch (reason)
    {
    case LWS_CALLBACK_OPENSSL_LOAD_EXTRA_SERVER_VERIFY_CERTS:
      configure_tls (user);
      return 0;

    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
      g_debug ("Refusing a WebSocket connection without the subprotocol");
      return 1;

    case LWS_CALLBACK_HTTP:
      self = server_from_wsi (wsi);
      if (self->http_func == NULL || hd == NULL)
        {
          lws_return_http_status (wsi, HTTP_STATUS_NOT_FOUND, NULL);
          return -1;
        }
      g_clear_pointer (&hd->request, http_request_free);
      req = hd->request = http_request_new (wsi, in);
      if (lws_hdr_total_length (wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0)
        {
          char text[32];
          guint64 value = 0;

          if (lws_hdr_copy (wsi, text, sizeof text, WSI_TOKEN_HTTP_CONTENT_LENGTH) < 0 ||
              !g_ascii_string_to_unsigned (text, 10, 0, G_MAXUINT64, &value, NULL))
            req->body_status = RH_HTTP_BODY_NO_LENGTH;
          else
            {
              if (value > self->http_max_body)
                req->body_status = RH_HTTP_BODY_TOO_LARGE;
              if (value <= HTTP_DISCARD_MAX)
                req->content_length = (gsize) value;
            }
        }
      else if (lws_hdr_total_length (wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0)
        req->body_status = RH_HTTP_BODY_NO_LENGTH;

      /* With a body to read, lws calls HTTP_BODY and then HTTP_BODY_COMPLETION. */
      if (req->content_length > 0)
        return 0;
      req->close_after = req->body_status != RH_HTTP_BODY_OK;
      http_dispatch (self, req);
      return 0;

    case LWS_CALLBACK_HTTP_BODY:
      if (hd == NULL || (req = hd->request) == NULL)
        return -1;
      if (req->body_status != RH_HTTP_BODY_OK)
        return 0;
      if (len <= req->content_length - MIN (req->body->len, req->content_length))
        g_byte_array_append (req->body, in, (guint) len);
      else
        req->body_status = RH_HTTP_BODY_TOO_LARGE;
      return 0;

    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
      if (hd == NULL || (req = hd->request) == NULL)
        return -1;
      self = server_from_wsi (wsi);
      if (req->body_status != RH_HTTP_BODY_OK)
        g_byte_array_set_size (req->body, 0);
      if (!req->responded)
        http_dispatch (self, req);
      return 0;

    case LWS_CALLBACK_HTTP_WRITEABLE:
      if (hd == NULL || hd->request == NULL)
        return 0;
      return http_writeable (hd->request);

    case LWS_CALLBACK_CLOSED_HTTP:
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
      if (hd != NULL)
        g_clear_pointer (&hd->request, http_request_free);
      return 0;

    default:
      return lws_callback_http_dummy (wsi, reason, user, in, len);
    }
}

static int
ws_callback (struct lws               *wsi,
             enum lws_callback_reasons reason,
             void                     *user,
             void                     *in,
             size_t                    len)
{
  SessionData *sd = user;
  RhWsServer *self;
  RhWsPeer *peer;

  switch (reason)
    {
    case LWS_CALLBACK_ESTABLISHED:
      self = server_from_wsi (wsi);
      peer = g_new0 (RhWsPeer, 1);
      peer->server = self;
      peer->wsi = wsi;
      peer->id = ++self->next_peer_id;
      peer->link.data = peer;
      peer->rx = g_byte_array_new ();
      g_queue_init (&peer->out);
      lws_get_peer_simple (wsi, peer->address, sizeof peer->address);
      if (g_str_has_prefix (peer->address, "::ffff:") && strchr (peer->address, '.') != NULL)
        memmove (peer->address, peer->address + 7, strlen (peer->address + 7) + 1);
      sd->peer = peer;
      g_queue_push_tail_link (&self->peers, &peer->link);

      if (self->auth_timeout_secs > 0)
        lws_set_timeout (wsi, TIMEOUT_UNAUTHENTICATED, (int) self->auth_timeout_secs);

      g_debug ("Peer %" G_GUINT64_FORMAT " (%s) connected", peer->id, peer->address);
      g_signal_emit (self, signals[SIGNAL_PEER_OPENED], 0, peer);
      return 0;

    case LWS_CALLBACK_RECEIVE:
      if (sd != NULL && sd->peer != NULL)
        peer_receive (sd->peer, wsi, in, len);
      return 0;

    case LWS_CALLBACK_SERVER_WRITEABLE:
      if (sd == NULL || sd->peer == NULL)
        return 0;
      return peer_writeable (sd->peer);

    case LWS_CALLBACK_CLOSED:
    case LWS_CALLBACK_WSI_DESTROY:
      if (sd != NULL && sd->peer != NULL)
        {
          peer = g_steal_pointer (&sd->peer);
          peer_finish (peer);
        }
      return 0;

    default:
      return 0;
    }
}

static void
timer_free (Timer *timer)
{
  lws_sul_cancel (&timer->sul);
  g_free (timer);
}

static void
timer_fired (lws_sorted_usec_list_t *sul)
{
  Timer *timer = (Timer *) sul;
  RhWsServer *self = timer->server;
  RhWsServerTimerFunc func = timer->func;
  gpointer user_data = timer->user_data;

  /* Removing it frees it (the sul is no longer scheduled, cancelling is a no-op). */
  g_hash_table_remove (self->timers, GUINT_TO_POINTER (timer->id));
  func (user_data);
}

static void
begin_destroy (RhWsServer *self)
{
  if (self->destroy_started || self->context == NULL)
    return;

  self->destroy_started = TRUE;
  lws_sul_cancel (&self->stop_sul);
  g_hash_table_remove_all (self->timers);
  g_debug ("Stopping the WebSocket server on port %d", self->port);
  /* From inside the loop this closes every connection and the listener and then stops the
   * libuv loop, so lws_service() returns. */
  lws_context_destroy (self->context);
}

static void
stop_now (lws_sorted_usec_list_t *sul)
{
  RhWsServer *self = lws_container_of (sul, RhWsServer, stop_sul);

  begin_destroy (self);
}

static void
on_signal (void *event_lib_handle,
           int   signum)
{
  GSList *mine = NULL;

  g_debug ("Signal %d: stopping", signum);
  if (signum != SIGINT && signum != SIGTERM)
    return;
  /* We are on the loop, outside any lws callback: the place the lws examples destroy the
   * context from. (A sul scheduled from here would not wake the loop: the libuv plugin only
   * re-arms its timer after lws service.) */
  G_LOCK (running_servers);
  for (GSList *l = running_servers; l != NULL; l = l->next)
    {
      RhWsServer *self = l->data;

      if (self->run_thread != g_thread_self ())
        continue;
      mine = g_slist_prepend (mine, g_object_ref (self));
    }
  G_UNLOCK (running_servers);

  for (GSList *l = mine; l != NULL; l = l->next)
    {
      RhWsServer *self = l->data;

      self->stop_requested = TRUE;
      begin_destroy (self);
    }
  g_slist_free_full (mine, g_object_unref);
}

static void
rh_ws_server_dispose (GObject *object)
{
  RhWsServer *self = RH_WS_SERVER (object);

  if (self->timers != NULL && self->context != NULL && !self->destroy_started)
    g_hash_table_remove_all (self->timers);
  if (self->context != NULL)
    {
      self->destroy_started = TRUE;
      lws_context_destroy (self->context);
      /* Outside the loop one call is normally enough; lws clears self->context when done. */
      if (self->context != NULL)
        lws_context_destroy (self->context);
      self->context = NULL;
    }

  while (self->peers.head != NULL)
    peer_finish (self->peers.head->data);

  G_OBJECT_CLASS (rh_ws_server_parent_class)->dispose (object);
}

static void
rh_ws_server_finalize (GObject *object)
{
  RhWsServer *self = RH_WS_SERVER (object);

  g_clear_pointer (&self->timers, g_hash_table_unref);
  g_free (self->subprotocol);

  G_OBJECT_CLASS (rh_ws_server_parent_class)->finalize (object);
}

static void
rh_ws_server_class_init (RhWsServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = rh_ws_server_dispose;
  object_class->finalize = rh_ws_server_finalize;

  signals[SIGNAL_PEER_OPENED] =
    g_signal_new ("peer-opened", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
  signals[SIGNAL_PEER_MESSAGE] =
    g_signal_new ("peer-message", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 3, G_TYPE_POINTER, G_TYPE_BYTES,
                  G_TYPE_BOOLEAN);
  signals[SIGNAL_PEER_OVERSIZE] =
    g_signal_new ("peer-oversize", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
  signals[SIGNAL_PEER_CLOSED] =
    g_signal_new ("peer-closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
  signals[SIGNAL_PEER_DRAINED] =
    g_signal_new ("peer-drained", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
}

static void
rh_ws_server_init (RhWsServer *self)
{
  self->max_message = RH_WS_MAX_MESSAGE;
  self->auth_timeout_secs = DEFAULT_AUTH_TIMEOUT_SECS;
  self->retry.secs_since_valid_ping = DEFAULT_PING_SECS;
  self->retry.secs_since_valid_hangup = DEFAULT_HANGUP_SECS;
  self->timers = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) timer_free);
  g_queue_init (&self->peers);
}

RhWsServer *
rh_ws_server_new (const char  *address,
                  int          port,
                  const char  *cert_path,
                  const char  *key_path,
                  const char  *subprotocol,
                  GError     **error)
{
  g_autoptr(RhWsServer) self = NULL;
  struct lws_context_creation_info info;
  gboolean ipv6;

  g_return_val_if_fail (address != NULL, NULL);
  g_return_val_if_fail (port >= 0 && port <= 65535, NULL);
  g_return_val_if_fail (cert_path != NULL, NULL);
  g_return_val_if_fail (key_path != NULL, NULL);
  g_return_val_if_fail (subprotocol != NULL && subprotocol[0] != '\0', NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!g_hostname_is_ip_address (address))
    {
      g_set_error (error, RH_CONFIG_ERROR, RH_ERROR_CONFIG_INVALID,
                   "“%s” is not a numeric IP address to listen on", address);
      return NULL;
    }
  ipv6 = strchr (address, ':') != NULL;

  self = g_object_new (RH_TYPE_WS_SERVER, NULL);
  self->subprotocol = g_strdup (subprotocol);

  self->protocols[0] = (struct lws_protocols) {
    .name = "rh-http",
    .callback = http_callback,
    .per_session_data_size = sizeof (HttpSessionData),
  };
  self->protocols[1] = (struct lws_protocols) {
    .name = self->subprotocol,
    .callback = ws_callback,
    .per_session_data_size = sizeof (SessionData),
    .rx_buffer_size = 16 * 1024,
  };

  /* The context first, the listening vhost second: when 4.1.6 fails inside
   * lws_create_context() after its libuv loop is set up (a port in use, a bad key), it frees
   * the loop without closing its uv_signal_t handles, which stay in libuv's process-wide
   * signal list and corrupt the next context. A failed lws_create_vhost() leaves us a context
   * that lws_context_destroy() takes down properly. */
  memset (&info, 0, sizeof info);
  info.options = LWS_SERVER_OPTION_LIBUV |
                 LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT |
                 LWS_SERVER_OPTION_UV_NO_SIGSEGV_SIGFPE_SPIN |
                 LWS_SERVER_OPTION_EXPLICIT_VHOSTS |
                 LWS_SERVER_OPTION_DISABLE_OS_CA_CERTS;
  info.user = self;
  info.pcontext = &self->context;
  info.signal_cb = on_signal;
  info.port = CONTEXT_PORT_NO_LISTEN;

  setup_lws_logging ();
  self->context = lws_create_context (&info);
  if (self->context == NULL)
    {
      if (strstr (last_lws_error, "evlib") != NULL)
        g_set_error (error, RH_PROTOCOL_ERROR, RH_ERROR_INTERNAL,
                     "The libwebsockets libuv event loop plugin could not be loaded "
                     "(install libwebsockets-evlib-uv): %s", last_lws_error);
      else
        g_set_error (error, RH_PROTOCOL_ERROR, RH_ERROR_INTERNAL,
                     "Could not start the WebSocket server: %s",
                     last_lws_error[0] ? last_lws_error : "libwebsockets failed");
      return NULL;
    }

  memset (&info, 0, sizeof info);
  info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT |
                 LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND |
                 LWS_SERVER_OPTION_DISABLE_OS_CA_CERTS;
  /* An IPv4 address gets an IPv4 socket; "::" is dual-stack; other IPv6 addresses only v6. */
  if (!ipv6)
    info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
  else if (g_strcmp0 (address, "::") != 0)
    info.options |= LWS_SERVER_OPTION_IPV6_V6ONLY_MODIFY | LWS_SERVER_OPTION_IPV6_V6ONLY_VALUE;
  info.vhost_name = "remote-help";
  info.iface = g_strcmp0 (address, "0.0.0.0") == 0 || g_strcmp0 (address, "::") == 0
               ? NULL : address;
  info.port = port;
  info.protocols = self->protocols;
  info.ssl_cert_filepath = cert_path;
  info.ssl_private_key_filepath = key_path;
  info.ssl_options_set = SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1 |
                         SSL_OP_NO_COMPRESSION;
  info.alpn = "http/1.1";
  info.retry_and_idle_policy = &self->retry;
  info.timeout_secs = 10;
  info.server_string = "remote-help";

  last_lws_error[0] = '\0';
  self->vhost = lws_create_vhost (self->context, &info);
  self->port = self->vhost != NULL ? lws_get_vhost_listen_port (self->vhost) : -1;
  if (self->port <= 0)
    {
      /* dispose destroys the context. */
      g_set_error (error, RH_PROTOCOL_ERROR, RH_ERROR_INTERNAL,
                   "Could not listen on %s port %d: %s", address, port,
                   last_lws_error[0] ? last_lws_error : "no listening socket");
      return NULL;
    }

  g_debug ("Listening on %s port %d", address, self->port);
  return g_steal_pointer (&self);
}

int
rh_ws_server_get_port (RhWsServer *self)
{
  g_return_val_if_fail (RH_IS_WS_SERVER (self), -1);

  return self->port;
}

void
rh_ws_server_set_max_message (RhWsServer *self,
                              gsize       max_bytes)
{
  g_return_if_fail (RH_IS_WS_SERVER (self));
  g_return_if_fail (max_bytes > 0);

  self->max_message = max_bytes;
}

void
rh_ws_server_set_auth_timeout (RhWsServer *self,
                               guint       seconds)
{
  g_return_if_fail (RH_IS_WS_SERVER (self));

  self->auth_timeout_secs = seconds;
}

void
rh_ws_server_set_idle_timeouts (RhWsServer *self,
                                guint       ping_secs,
                                guint       hangup_secs)
{
  g_return_if_fail (RH_IS_WS_SERVER (self));
  g_return_if_fail (ping_secs > 0 && ping_secs < hangup_secs && hangup_secs <= G_MAXUINT16);

  /* lws reads the policy through the pointer we gave it, connection by connection. */
  self->retry.secs_since_valid_ping = (uint16_t) ping_secs;
  self->retry.secs_since_valid_hangup = (uint16_t) hangup_secs;
}

gboolean
rh_ws_server_run (RhWsServer  *self,
                  GError     **error)
{
  g_return_val_if_fail (RH_IS_WS_SERVER (self), FALSE);
  g_return_val_if_fail (!self->running, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->context == NULL || self->destroy_started)
    {
      g_set_error (error, RH_PROTOCOL_ERROR, RH_ERROR_INTERNAL,
                   "The WebSocket server has already been stopped");
      return FALSE;
    }

  g_object_ref (self);
  self->running = TRUE;
  self->run_thread = g_thread_self ();
  G_LOCK (running_servers);
  running_servers = g_slist_prepend (running_servers, self);
  G_UNLOCK (running_servers);

  if (self->stop_requested)
    begin_destroy (self);

  while (self->context != NULL)
    {
      if (lws_service (self->context, 0) < 0 && !self->destroy_started)
        begin_destroy (self);
      if (self->destroy_started)
        break;
    }

  /* The loop has stopped: finish freeing the context (lws clears self->context). */
  if (self->context != NULL)
    lws_context_destroy (self->context);
  self->context = NULL;

  /* Anyone lws did not report as closed is closed now (its timer list is gone with the
   * context, so its sul must not be touched). */
  while (self->peers.head != NULL)
    {
      RhWsPeer *peer = self->peers.head->data;

      memset (&peer->close_sul, 0, sizeof peer->close_sul);
      peer_finish (peer);
    }

  G_LOCK (running_servers);
  running_servers = g_slist_remove (running_servers, self);
  G_UNLOCK (running_servers);
  self->running = FALSE;
  self->run_thread = NULL;
  g_debug ("WebSocket server stopped");
  g_object_unref (self);
  return TRUE;
}

void
rh_ws_server_stop (RhWsServer *self)
{
  g_return_if_fail (RH_IS_WS_SERVER (self));

  if (self->stop_requested)
    return;
  self->stop_requested = TRUE;

  /* Never destroy the context under a callback that is still using it: do it from a timer
   * that fires on the next loop iteration. */
  if (self->running && self->context != NULL && !self->destroy_started)
    lws_sul_schedule (self->context, 0, &self->stop_sul, stop_now, 1);
}

guint
rh_ws_server_add_timer (RhWsServer          *self,
                        guint                ms,
                        RhWsServerTimerFunc  func,
                        gpointer             user_data)
{
  Timer *timer;

  g_return_val_if_fail (RH_IS_WS_SERVER (self), 0);
  g_return_val_if_fail (func != NULL, 0);

  if (self->context == NULL || self->destroy_started)
    return 0;

  timer = g_new0 (Timer, 1);
  timer->server = self;
  timer->func = func;
  timer->user_data = user_data;
  do
    timer->id = ++self->next_timer_id;
  while (timer->id == 0 || g_hash_table_contains (self->timers, GUINT_TO_POINTER (timer->id)));
  g_hash_table_insert (self->timers, GUINT_TO_POINTER (timer->id), timer);

  lws_sul_schedule (self->context, 0, &timer->sul, timer_fired,
                    MAX ((lws_usec_t) ms * LWS_US_PER_MS, 1));
  return timer->id;
}

void
rh_ws_server_cancel_timer (RhWsServer *self,
                           guint       id)
{
  g_return_if_fail (RH_IS_WS_SERVER (self));

  if (id != 0)
    g_hash_table_remove (self->timers, GUINT_TO_POINTER (id));
}

void
rh_ws_peer_send_text (RhWsPeer   *peer,
                      const char *text,
                      gssize      len)
{
  g_return_if_fail (peer != NULL);
  g_return_if_fail (text != NULL || len == 0);

  if (len < 0)
    len = (gssize) strlen (text);
  peer_queue (peer, (const guint8 *) text, (gsize) len, FALSE);
}

void
rh_ws_peer_send_binary (RhWsPeer *peer,
                        GBytes   *data)
{
  gsize len;
  const guint8 *p;

  g_return_if_fail (peer != NULL);
  g_return_if_fail (data != NULL);

  p = g_bytes_get_data (data, &len);
  peer_queue (peer, p, len, TRUE);
}

gsize
rh_ws_peer_get_queued (RhWsPeer *peer)
{
  g_return_val_if_fail (peer != NULL, 0);

  return peer->queued;
}

void
rh_ws_peer_set_rx_paused (RhWsPeer *peer,
                          gboolean  paused)
{
  g_return_if_fail (peer != NULL);

  paused = !!paused;
  if (peer->wsi == NULL || peer->closing || peer->rx_paused == paused)
    return;
  peer->rx_paused = paused;
  g_debug ("Peer %" G_GUINT64_FORMAT ": %s reading", peer->id, paused ? "pausing" : "resuming");
  lws_rx_flow_control (peer->wsi, paused ? 0 : 1);
}

gboolean
rh_ws_peer_get_rx_paused (RhWsPeer *peer)
{
  g_return_val_if_fail (peer != NULL, FALSE);

  return peer->rx_paused;
}

void
rh_ws_peer_notify_drained (RhWsPeer *peer,
                           gsize     below)
{
  g_return_if_fail (peer != NULL);

  peer->drain_below = below;
}

void
rh_ws_flow_gate_init (RhWsFlowGate *gate,
                      gsize         high,
                      gsize         low)
{
  g_return_if_fail (gate != NULL);
  g_return_if_fail (low <= high);

  gate->high = high;
  gate->low = low;
  gate->paused = FALSE;
}

gboolean
rh_ws_flow_gate_update (RhWsFlowGate *gate,
                        gsize         queued)
{
  g_return_val_if_fail (gate != NULL, FALSE);

  if (!gate->paused && queued > gate->high)
    {
      gate->paused = TRUE;
      return TRUE;
    }
  if (gate->paused && queued < gate->low)
    {
      gate->paused = FALSE;
      return TRUE;
    }
  return FALSE;
}

void
rh_ws_peer_close (RhWsPeer   *peer,
                  int         status,
                  const char *reason)
{
  g_return_if_fail (peer != NULL);
  g_return_if_fail (status >= 1000 && status <= 4999);

  peer_start_close (peer, status, reason);
}

const char *
rh_ws_peer_get_address (RhWsPeer *peer)
{
  g_return_val_if_fail (peer != NULL, NULL);

  return peer->address;
}

guint64
rh_ws_peer_get_id (RhWsPeer *peer)
{
  g_return_val_if_fail (peer != NULL, 0);

  return peer->id;
}

void
rh_ws_peer_set_authenticated (RhWsPeer *peer)
{
  g_return_if_fail (peer != NULL);

  if (peer->authenticated)
    return;
  peer->authenticated = TRUE;
  if (peer->wsi != NULL && !peer->closing)
    lws_set_timeout (peer->wsi, NO_PENDING_TIMEOUT, 0);
}

void
rh_ws_peer_set_data (RhWsPeer       *peer,
                     gpointer        data,
                     GDestroyNotify  destroy)
{
  GDestroyNotify old_destroy;
  gpointer old_data;

  g_return_if_fail (peer != NULL);

  old_data = peer->data;
  old_destroy = peer->data_destroy;
  peer->data = data;
  peer->data_destroy = destroy;
  if (old_destroy != NULL && old_data != data)
    old_destroy (old_data);
}

gpointer
rh_ws_peer_get_data (RhWsPeer *peer)
{
  g_return_val_if_fail (peer != NULL, NULL);

  return peer->data;
}

void
rh_ws_server_set_http_handler (RhWsServer         *self,
                               gsize               max_body,
                               RhWsServerHttpFunc  func,
                               gpointer            user_data)
{
  g_return_if_fail (RH_IS_WS_SERVER (self));

  self->http_func = func;
  self->http_user_data = user_data;
  self->http_max_body = max_body;
}

const char *
rh_http_request_get_method (RhHttpRequest *request)
{
  g_return_val_if_fail (request != NULL, NULL);

  return request->method;
}

const char *
rh_http_request_get_path (RhHttpRequest *request)
{
  g_return_val_if_fail (request != NULL, NULL);

  return request->path;
}

const char *
rh_http_request_get_query (RhHttpRequest *request,
                           const char    *name)
{
  g_return_val_if_fail (request != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  return g_hash_table_lookup (request->query, name);
}

const char *
rh_http_request_get_header (RhHttpRequest *request,
                            const char    *name)
{
  g_return_val_if_fail (request != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (kept_request_headers); i++)
    if (g_ascii_strcasecmp (kept_request_headers[i], name) == 0)
      return request->headers[i];
  g_return_val_if_reached (NULL);
}

const char *
rh_http_request_get_address (RhHttpRequest *request)
{
  g_return_val_if_fail (request != NULL, NULL);

  return request->address;
}

RhHttpBodyStatus
rh_http_request_get_body_status (RhHttpRequest *request)
{
  g_return_val_if_fail (request != NULL, RH_HTTP_BODY_OK);

  return request->body_status;
}

GBytes *
rh_http_request_get_body (RhHttpRequest *request)
{
  g_return_val_if_fail (request != NULL, NULL);

  return g_bytes_new (request->body->data, request->body->len);
}

void
rh_http_request_add_header (RhHttpRequest *request,
                            const char    *name,
                            const char    *value)
{
  g_return_if_fail (request != NULL);
  g_return_if_fail (name != NULL && value != NULL);
  g_return_if_fail (!request->responded);
  /* Header injection would need a line break in a value. */
  g_return_if_fail (strpbrk (value, "\r\n") == NULL);

  g_ptr_array_add (request->out_headers, g_ascii_strdown (name, -1));
  g_ptr_array_add (request->out_headers, g_strdup (value));
}

void
rh_http_request_respond (RhHttpRequest *request,
                         guint          status,
                         const char    *content_type,
                         GBytes        *body)
{
  g_return_if_fail (request != NULL);
  g_return_if_fail (!request->responded);
  g_return_if_fail (status >= 100 && status <= 599);

  request->responded = TRUE;
  request->status = status;
  request->content_type = g_strdup (content_type != NULL ? content_type : "text/plain");
  request->out_body = body;
  if (request->wsi != NULL)
    lws_callback_on_writable (request->wsi);
}
