/* rh-ws-client.h: a WebSocket client on the GLib main loop (libwebsockets, TLS always verified)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define RH_WS_MAX_MESSAGE (64 * 1024)

#define RH_TYPE_WS_CLIENT (rh_ws_client_get_type ())
G_DECLARE_FINAL_TYPE (RhWsClient, rh_ws_client, RH, WS_CLIENT, GObject)

/* Signals:
 *   "message" (GBytes *data, gboolean is_binary): one whole reassembled message.
 *   "closed"  (GError *error): the connection ended; error is NULL for a clean close that we
 *             asked for, else an RH error (RH_ERROR_CONNECTION_LOST, RH_ERROR_MESSAGE_TOO_LARGE).
 * The client runs on the thread-default main context of the thread that connects it, and is
 * used from that thread only. Dropping the last reference closes the connection at once and
 * drops what is still queued: to flush, call rh_ws_client_close() and wait for "closed".
 * The connect task holds a reference until it completes. One connection per object. */
RhWsClient *rh_ws_client_new            (void);
/* url: wss://HOST:PORT/PATH. Exactly one way of verifying the server is required:
 * pinned_sha256 (32 bytes, SHA-256 of the server certificate's DER; the leaf must match, no CA
 * check, no host name check) or ca_file (normal chain + host name verification). Neither:
 * RH_ERROR_NO_TRUST. Mismatch: RH_ERROR_TLS_VERIFY_FAILED. Unreachable: RH_ERROR_CONNECT_FAILED.
 * TLS 1.2 is the minimum. */
void        rh_ws_client_connect_async  (RhWsClient          *self,
                                         const char          *url,
                                         const char          *subprotocol,
                                         GBytes              *pinned_sha256,
                                         const char          *ca_file,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data);
gboolean    rh_ws_client_connect_finish (RhWsClient          *self,
                                         GAsyncResult        *result,
                                         GError             **error);
/* Queued and written from the WRITEABLE callback, one message per lws_write. */
void        rh_ws_client_send_text      (RhWsClient          *self,
                                         const char          *text,
                                         gssize               len);
void        rh_ws_client_send_binary    (RhWsClient          *self,
                                         GBytes              *data);
/* Bytes queued but not yet written (for back-pressure). */
gsize       rh_ws_client_get_queued     (RhWsClient          *self);
void        rh_ws_client_set_max_message (RhWsClient         *self,
                                          gsize               max_bytes);
/* Flushes what is queued, then closes normally; "closed" follows with error == NULL. While
 * connecting, it aborts the connect instead (G_IO_ERROR_CANCELLED, no "closed"). */
void        rh_ws_client_close          (RhWsClient          *self);
gboolean    rh_ws_client_is_open        (RhWsClient          *self);

G_END_DECLS
