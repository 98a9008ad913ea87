/* rh-ws-server.h: a WSS server on libwebsockets' libuv event loop
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define RH_TYPE_WS_SERVER (rh_ws_server_get_type ())
G_DECLARE_FINAL_TYPE (RhWsServer, rh_ws_server, RH, WS_SERVER, GObject)

/* A connection; valid from "peer-opened" until "peer-closed" returns. */
typedef struct _RhWsPeer RhWsPeer;

typedef void (*RhWsServerTimerFunc) (gpointer user_data);

/* Back-pressure accounting for one receiving connection, kept apart from lws so that it can be
 * unit-tested: the sender is paused once the receiver's queue holds more than `high` bytes, and
 * resumed only when it has drained below `low`, so that a slow reader costs at most about
 * `high` bytes plus one message of server memory. */
typedef struct
{
  gsize    high;
  gsize    low;
  gboolean paused;
} RhWsFlowGate;

#define RH_WS_FLOW_HIGH_WATER (1024 * 1024)
#define RH_WS_FLOW_LOW_WATER  (256 * 1024)

void        rh_ws_flow_gate_init      (RhWsFlowGate *gate,
                                       gsize         high,
                                       gsize         low);
/* Feeds the receiver's current queue size; returns TRUE when gate->paused changed. */
gboolean    rh_ws_flow_gate_update    (RhWsFlowGate *gate,
                                       gsize         queued);

/* Signals (all emitted on the thread running rh_ws_server_run()):
 *   "peer-opened"   (RhWsPeer *peer)
 *   "peer-message"  (RhWsPeer *peer, GBytes *data, gboolean is_binary)  whole message
 *   "peer-oversize" (RhWsPeer *peer)  a message exceeded max_message; the handler may queue a
 *                    last message, then the connection is closed (status 1009)
 *   "peer-closed"   (RhWsPeer *peer)
 *   "peer-drained"  (RhWsPeer *peer)  once after rh_ws_peer_notify_drained(), when a write
 *                    left fewer queued bytes than asked for
 *
 * TLS: TLS 1.2 minimum, OpenSSL security level 2. Connections that are not marked
 * authenticated within 30 s are dropped; idle connections are pinged after 30 s and dropped
 * after 60 s without an answer. */
RhWsServer *rh_ws_server_new          (const char   *address,    /* "127.0.0.1", "::1", "0.0.0.0" */
                                       int           port,       /* 0: any free port */
                                       const char   *cert_path,
                                       const char   *key_path,
                                       const char   *subprotocol,
                                       GError      **error);
int         rh_ws_server_get_port     (RhWsServer   *self);
void        rh_ws_server_set_max_message (RhWsServer *self,
                                          gsize       max_bytes);
/* Seconds a connection may stay without rh_ws_peer_set_authenticated() (default 30; 0: no
 * limit). Applies to connections opened afterwards. */
void        rh_ws_server_set_auth_timeout (RhWsServer *self,
                                           guint       seconds);
/* Idle connections are pinged after ping_secs and dropped after hangup_secs without any
 * traffic or answer (defaults 30 and 60). Call before rh_ws_server_run(). */
void        rh_ws_server_set_idle_timeouts (RhWsServer *self,
                                            guint       ping_secs,
                                            guint       hangup_secs);
/* Runs the libuv loop until rh_ws_server_stop() or SIGINT/SIGTERM; then closes every
 * connection ("peer-closed" for each), stops listening and returns. A server runs once. */
gboolean    rh_ws_server_run          (RhWsServer   *self,
                                       GError      **error);
/* May be called from any signal handler or timer on the server's thread, or before run(). */
void        rh_ws_server_stop         (RhWsServer   *self);
/* One-shot timer on the server's loop; returns an id for rh_ws_server_cancel_timer(). */
guint       rh_ws_server_add_timer    (RhWsServer          *self,
                                       guint                ms,
                                       RhWsServerTimerFunc  func,
                                       gpointer             user_data);
void        rh_ws_server_cancel_timer (RhWsServer          *self,
                                       guint                id);

void        rh_ws_peer_send_text      (RhWsPeer     *peer,
                                       const char   *text,
                                       gssize        len);
void        rh_ws_peer_send_binary    (RhWsPeer     *peer,
                                       GBytes       *data);
gsize       rh_ws_peer_get_queued     (RhWsPeer     *peer);
/* Stops (TRUE) or resumes reading from the connection (lws_rx_flow_control); closing a
 * connection resumes it, so that the closing handshake can be read. */
void        rh_ws_peer_set_rx_paused  (RhWsPeer     *peer,
                                       gboolean      paused);
gboolean    rh_ws_peer_get_rx_paused  (RhWsPeer     *peer);
/* Emits "peer-drained" once, after the next write that leaves fewer than `below` bytes queued.
 * The caller checks the current size first: nothing is emitted without a write. */
void        rh_ws_peer_notify_drained (RhWsPeer     *peer,
                                       gsize         below);
/* Flushes what is queued, then closes with the given WebSocket status. */
void        rh_ws_peer_close          (RhWsPeer     *peer,
                                       int           status,
                                       const char   *reason);
/* Numeric source address, e.g. "127.0.0.1" or "::1". */
const char *rh_ws_peer_get_address    (RhWsPeer     *peer);
guint64     rh_ws_peer_get_id         (RhWsPeer     *peer);
void        rh_ws_peer_set_authenticated (RhWsPeer  *peer);
void        rh_ws_peer_set_data       (RhWsPeer     *peer,
                                       gpointer      data,
                                       GDestroyNotify destroy);
gpointer    rh_ws_peer_get_data       (RhWsPeer     *peer);

/* Plain HTTPS on the same port: every request that is not a WebSocket upgrade with our
 * subprotocol goes to the HTTP handler (404 without one). The handler runs on the server's
 * thread once the whole body is in, and must call rh_http_request_respond() before it
 * returns. Bodies are capped: a larger one, or one whose size is not announced with
 * Content-Length, is refused (rh_http_request_get_body_status()): read and dropped up to
 * 1 MiB, otherwise left unread and the connection closed after the answer. */
typedef struct _RhHttpRequest RhHttpRequest;

typedef enum
{
  RH_HTTP_BODY_OK,
  RH_HTTP_BODY_TOO_LARGE,
  RH_HTTP_BODY_NO_LENGTH,
} RhHttpBodyStatus;

typedef void (*RhWsServerHttpFunc) (RhHttpRequest *request,
                                    gpointer       user_data);

void        rh_ws_server_set_http_handler (RhWsServer         *self,
                                           gsize               max_body,
                                           RhWsServerHttpFunc  func,
                                           gpointer            user_data);

/* "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD" or "OPTIONS". */
const char      *rh_http_request_get_method      (RhHttpRequest *request);
/* Decoded path, e.g. "/api/sessions". */
const char      *rh_http_request_get_path        (RhHttpRequest *request);
/* A decoded query argument (?name=value), or NULL. */
const char      *rh_http_request_get_query       (RhHttpRequest *request,
                                                  const char    *name);
/* Only these request headers are kept: cookie, content-type, origin, x-csrf-token
 * (lower case); NULL when absent. */
const char      *rh_http_request_get_header      (RhHttpRequest *request,
                                                  const char    *name);
const char      *rh_http_request_get_address     (RhHttpRequest *request);
RhHttpBodyStatus rh_http_request_get_body_status (RhHttpRequest *request);
/* The body (empty when there was none or it was refused). */
GBytes          *rh_http_request_get_body        (RhHttpRequest *request);
/* Adds a response header (lower-case name without the colon); call before respond(). */
void             rh_http_request_add_header      (RhHttpRequest *request,
                                                  const char    *name,
                                                  const char    *value);
/* Takes body (may be NULL). */
void             rh_http_request_respond         (RhHttpRequest *request,
                                                  guint          status,
                                                  const char    *content_type,
                                                  GBytes        *body);

G_END_DECLS
