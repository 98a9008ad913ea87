/* rh-rendezvous-client.h: the apps' side of the rendezvous protocol
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "rh-chat-message.h"
#include "rh-identity-card.h"
#include "rh-permissions.h"

G_BEGIN_DECLS

#define RH_TYPE_RENDEZVOUS_CLIENT (rh_rendezvous_client_get_type ())
G_DECLARE_FINAL_TYPE (RhRendezvousClient, rh_rendezvous_client, RH, RENDEZVOUS_CLIENT, GObject)

/* Signals:
 *   "attempt-failed" (int remaining): helper: a sharer tried the code and failed.
 *   "peer-message"   (JsonObject *msg): a decrypted message from the paired app.
 *   "peer-left"      (const char *who, const char *reason): the other side ended the pairing.
 *   "disconnected"   (GError *error): the connection to the service ended (NULL error:
 *                    we closed it).
 *   "chat-message"   (RhChatMessage *msg): a message of the pairing's chat thread, from
 *                    either side (our own come back as the service kept them).
 *
 * server_pin (32 bytes) or ca_file says how the server's TLS certificate is verified; one is
 * required. org_key_pin (32 bytes) is the organisation key fingerprint every identity card is
 * verified against; it is required too. */
RhRendezvousClient *rh_rendezvous_client_new      (const char          *url,
                                                   GBytes              *server_pin,
                                                   const char          *ca_file,
                                                   GBytes              *org_key_pin);

void            rh_rendezvous_client_connect_async   (RhRendezvousClient  *self,
                                                      GCancellable        *cancellable,
                                                      GAsyncReadyCallback  callback,
                                                      gpointer             user_data);
gboolean        rh_rendezvous_client_connect_finish  (RhRendezvousClient  *self,
                                                      GAsyncResult        *result,
                                                      GError             **error);

void            rh_rendezvous_client_sign_in_async   (RhRendezvousClient  *self,
                                                      const char          *login,
                                                      const char          *password,
                                                      GCancellable        *cancellable,
                                                      GAsyncReadyCallback  callback,
                                                      gpointer             user_data);
gboolean        rh_rendezvous_client_sign_in_finish  (RhRendezvousClient  *self,
                                                      GAsyncResult        *result,
                                                      GError             **error);
/* Uses a token from an earlier sign-in instead of a password. */
void            rh_rendezvous_client_set_token       (RhRendezvousClient  *self,
                                                      const char          *login,
                                                      const char          *token);
const char     *rh_rendezvous_client_get_token       (RhRendezvousClient  *self);
const char     *rh_rendezvous_client_get_login       (RhRendezvousClient  *self);

/* Helper: asks for a code; returns it formatted ("K7P-4XQ-M2R"). */
void            rh_rendezvous_client_request_code_async  (RhRendezvousClient  *self,
                                                          GCancellable        *cancellable,
                                                          GAsyncReadyCallback  callback,
                                                          gpointer             user_data);
char           *rh_rendezvous_client_request_code_finish (RhRendezvousClient  *self,
                                                          GAsyncResult        *result,
                                                          gint64              *out_expires_at,
                                                          GError             **error);
/* Helper: completes once a sharer paired with the code and its card verified. */
void            rh_rendezvous_client_wait_for_sharer_async  (RhRendezvousClient  *self,
                                                             GCancellable        *cancellable,
                                                             GAsyncReadyCallback  callback,
                                                             gpointer             user_data);
RhIdentityCard *rh_rendezvous_client_wait_for_sharer_finish (RhRendezvousClient  *self,
                                                             GAsyncResult        *result,
                                                             GError             **error);

/* Sharer: pairs with the code; returns the helper's verified card. */
void            rh_rendezvous_client_redeem_code_async   (RhRendezvousClient  *self,
                                                          const char          *code,
                                                          GCancellable        *cancellable,
                                                          GAsyncReadyCallback  callback,
                                                          gpointer             user_data);
RhIdentityCard *rh_rendezvous_client_redeem_code_finish  (RhRendezvousClient  *self,
                                                          GAsyncResult        *result,
                                                          GError             **error);

/* After pairing: sends an encrypted message to the other app. */
gboolean        rh_rendezvous_client_send_peer       (RhRendezvousClient  *self,
                                                      JsonObject          *msg,
                                                      GError             **error);
gboolean        rh_rendezvous_client_is_paired       (RhRendezvousClient  *self);
/* After pairing: the pairing as the server named it (NULL when not paired). */
const char     *rh_rendezvous_client_get_pairing_id  (RhRendezvousClient  *self);
/* After pairing: the relay id both apps derive from the PAKE key
 * (rh_peer_channel_derive "rh relay id v1"); the server only ever compares what the two apps
 * present, so someone without the key cannot join their relay. FALSE when not paired. */
#define RH_RELAY_ID_LEN 32
gboolean        rh_rendezvous_client_get_relay_id    (RhRendezvousClient  *self,
                                                      guint8               out[RH_RELAY_ID_LEN]);
/* Ends the pairing (the other side is told why) and closes the connection. */
void            rh_rendezvous_client_leave           (RhRendezvousClient  *self,
                                                      const char          *reason);
/* Sharer: tells the service what is being shared ("view" or "control") from which device,
 * for the session record administrators audit. */
void            rh_rendezvous_client_report_session  (RhRendezvousClient  *self,
                                                      const char          *mode,
                                                      const char          *device);
/* After pairing: whether the service accepts chat (setting chat-disabled). Chat goes through
 * the service, which keeps the thread for the organisation: it is not end-to-end encrypted. */
gboolean        rh_rendezvous_client_get_chat_enabled (RhRendezvousClient *self);
/* Sends a chat message; completes with its place in the thread once the service kept it, or
 * RH_ERROR_CHAT_DISABLED / RH_ERROR_CHAT_INVALID / RH_ERROR_RATE_LIMITED (then 0). */
void            rh_rendezvous_client_send_chat_async  (RhRendezvousClient  *self,
                                                       const char          *text,
                                                       GCancellable        *cancellable,
                                                       GAsyncReadyCallback  callback,
                                                       gpointer             user_data);
gint64          rh_rendezvous_client_send_chat_finish (RhRendezvousClient  *self,
                                                       GAsyncResult        *result,
                                                       GError             **error);
/* Roles and scopes (issue #5). What the helper may do in this pairing: on the helper's side
 * from its own card, which the server signs for this sharer; on the sharer's side from the
 * helper's verified card (RH_PERMISSION_NONE when that card carries none). NONE when not
 * pairing. */
RhPermissions   rh_rendezvous_client_get_helper_permissions (RhRendezvousClient *self);
/* Helper: asks the service whether the role allows "view" or "control" with this sharer,
 * before asking the sharer; RH_ERROR_MODE_NOT_PERMITTED when not. */
void            rh_rendezvous_client_request_mode_async  (RhRendezvousClient  *self,
                                                          const char          *mode,
                                                          GCancellable        *cancellable,
                                                          GAsyncReadyCallback  callback,
                                                          gpointer             user_data);
gboolean        rh_rendezvous_client_request_mode_finish (RhRendezvousClient  *self,
                                                          GAsyncResult        *result,
                                                          GError             **error);
/* Sharer: tells the service what happened with administrator access (issue #6), for the
 * session record and the audit log. @fields holds "event" ("granted", "denied",
 * "tool-started", "ending", "ended") and that event's members; the type and pairing are added.
 * After the pairing ended (the helper left), it names the pairing that ended last: the service
 * takes the end of administrator access from the sharer for 10 minutes after the pairing.
 * Completes when the service recorded it (or refused it with an RH- error). */
void            rh_rendezvous_client_report_elevation_async  (RhRendezvousClient  *self,
                                                              JsonObject          *fields,
                                                              GCancellable        *cancellable,
                                                              GAsyncReadyCallback  callback,
                                                              gpointer             user_data);
gboolean        rh_rendezvous_client_report_elevation_finish (RhRendezvousClient  *self,
                                                              GAsyncResult        *result,
                                                              GError             **error);
/* Flushes what is queued and closes; "disconnected" follows with a NULL error. */
void            rh_rendezvous_client_disconnect      (RhRendezvousClient  *self);

/* For tests of the server's checks: sends a raw request (a token is added when signed in)
 * and returns the reply or error. */
void            rh_rendezvous_client_request_async   (RhRendezvousClient  *self,
                                                      JsonObject          *request,
                                                      GCancellable        *cancellable,
                                                      GAsyncReadyCallback  callback,
                                                      gpointer             user_data);
JsonObject     *rh_rendezvous_client_request_finish  (RhRendezvousClient  *self,
                                                      GAsyncResult        *result,
                                                      GError             **error);
/* For tests: replaces the card this app presents after pairing (to prove the other side
 * rejects a tampered one). */
void            rh_rendezvous_client_override_card_for_testing (RhRendezvousClient *self,
                                                                const char         *card_json,
                                                                GBytes             *signature);

G_END_DECLS
