/* rh-direct-link.h: the RDP stream over a direct TCP connection when the helper can reach
 * the sharer, instead of the relay
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define RH_DIRECT_TOKEN_LEN 32

typedef enum
{
  RH_DIRECT_ADDRESSES_OFF,
  RH_DIRECT_ADDRESSES_LOOPBACK, /* for tests on one machine */
  RH_DIRECT_ADDRESSES_ALL,      /* every non-loopback interface address */
} RhDirectAddresses;

/* The sharer's side: a TCP listener that accepts a connection only from someone presenting
 * the random token the sharer sent inside the PAKE-encrypted channel, then bridges it to the
 * RDP server's Unix socket. It accepts one such connection and stops listening; without one
 * it stops after 60 s. The RDP TLS inside is pinned end to end, so the token only keeps
 * strangers from holding the way open. */
#define RH_TYPE_DIRECT_LISTENER (rh_direct_listener_get_type ())
G_DECLARE_FINAL_TYPE (RhDirectListener, rh_direct_listener, RH, DIRECT_LISTENER, GObject)

/* Signals: "connected" (), "closed" (GError *error: NULL for a normal end). */
RhDirectListener *rh_direct_listener_new      (const char         *target_socket_path,
                                               RhDirectAddresses   addresses);
gboolean          rh_direct_listener_start    (RhDirectListener   *self,
                                               GError            **error);
/* "ADDRESS:PORT" (IPv6 in brackets), NULL-terminated; empty when nothing to offer. */
const char *const *rh_direct_listener_get_candidates (RhDirectListener *self);
/* RH_DIRECT_TOKEN_LEN bytes. */
GBytes           *rh_direct_listener_get_token (RhDirectListener  *self);
void              rh_direct_listener_stop     (RhDirectListener   *self);

/* The helper's side: tries each candidate (timeout_ms for all of them together), presents the
 * token, and once the sharer acknowledged it, offers the connection on a private Unix socket
 * (0700 directory under $XDG_RUNTIME_DIR) for the RDP viewer. */
#define RH_TYPE_DIRECT_LINK (rh_direct_link_get_type ())
G_DECLARE_FINAL_TYPE (RhDirectLink, rh_direct_link, RH, DIRECT_LINK, GObject)

/* Signals: "closed" (GError *error). */
void          rh_direct_link_connect_async  (const char *const  *candidates,
                                             GBytes             *token,
                                             guint               timeout_ms,
                                             GCancellable       *cancellable,
                                             GAsyncReadyCallback callback,
                                             gpointer            user_data);
RhDirectLink *rh_direct_link_connect_finish (GAsyncResult       *result,
                                             GError            **error);
const char   *rh_direct_link_get_socket_path (RhDirectLink      *self);
void          rh_direct_link_close          (RhDirectLink       *self);

/* "1.2.3.4:5", "[::1]:5": RH_ERROR_MALFORMED_MESSAGE for anything else (names included: a
 * candidate never makes us resolve a host name). */
GInetSocketAddress *rh_direct_parse_candidate (const char  *text,
                                               GError     **error);

G_END_DECLS
