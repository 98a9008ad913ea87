/* rh-relay-client.h: one app's end of the blind relay, bridged to a local Unix socket
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "rh-rendezvous-client.h"

G_BEGIN_DECLS

typedef enum
{
  RH_RELAY_MODE_CONNECT, /* sharer: connect to a local socket (the RDP server's) once ready */
  RH_RELAY_MODE_LISTEN,  /* helper: listen on a private socket, accept one connection */
} RhRelayMode;

/* Back-pressure: the local socket is not read while more than this is queued on the
 * WebSocket, or while more than RH_RELAY_WINDOW bytes sent are not yet written out by the
 * other app. */
#define RH_RELAY_MAX_QUEUED (1024 * 1024)
#define RH_RELAY_WINDOW     (2 * 1024 * 1024)

#define RH_TYPE_RELAY_CLIENT (rh_relay_client_get_type ())
G_DECLARE_FINAL_TYPE (RhRelayClient, rh_relay_client, RH, RELAY_CLIENT, GObject)

/* Signals:
 *   "ready"  (): both apps joined; bytes flow.
 *   "closed" (GError *error): the relay ended; NULL when we closed it (rh_relay_client_close()
 *            or our local connection ended), else RH_ERROR_RELAY (or the server connection's
 *            RH-2002/RH-1009 when it could not be verified). Emitted once.
 *
 * url, server_pin (32 bytes) or ca_file verify the server as for the rendezvous connection;
 * token, pairing_id and relay_id (RH_RELAY_ID_LEN bytes) come from the paired
 * RhRendezvousClient. Everything runs on the thread-default main context of the caller. */
RhRelayClient *rh_relay_client_new             (const char   *url,
                                                GBytes       *server_pin,
                                                const char   *ca_file,
                                                const char   *token,
                                                const char   *pairing_id,
                                                const guint8 *relay_id);
/* CONNECT: socket_path is the local socket to connect to once the relay is ready.
 * LISTEN: socket_path is ignored (NULL); a socket is created at once in a new 0700 directory
 * under $XDG_RUNTIME_DIR (see rh_relay_client_get_socket_path()). Then joins the relay. */
gboolean       rh_relay_client_start           (RhRelayClient *self,
                                                RhRelayMode    mode,
                                                const char    *socket_path,
                                                GError       **error);
const char    *rh_relay_client_get_socket_path (RhRelayClient *self);
gboolean       rh_relay_client_is_ready        (RhRelayClient *self);
/* Flushes what is queued towards the server, then closes; "closed" follows (NULL error). */
void           rh_relay_client_close           (RhRelayClient *self);
/* Payload bytes read from the local socket and sent, and received and written to it. */
guint64        rh_relay_client_get_bytes_sent     (RhRelayClient *self);
guint64        rh_relay_client_get_bytes_received (RhRelayClient *self);
/* Bytes queued on the WebSocket (for tests of the back-pressure). */
gsize          rh_relay_client_get_queued      (RhRelayClient *self);

G_END_DECLS
