/* rh-rendezvous-client.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Both apps use this object. The helper asks for a code and makes up its secret half; the
 * sharer types the code. They run SPAKE2 through the server with the secret as password:
 * the sharer (role A) sends first, the helper (role B) answers, the sharer confirms and the
 * helper checks that confirmation before it reveals its own, so a guesser learns one "no" per
 * attempt and nothing else. Then, inside the channel keyed by the PAKE, the helper shows its
 * organisation-signed identity card, and the sharer shows its own only once that verified.
 */
#define G_LOG_DOMAIN "rh-protocol"

#include "config.h"

#include <string.h>

#include "rh-chat-message.h"
#include "rh-error.h"
#include "rh-fingerprint.h"
#include "rh-message.h"
#include "rh-org-key.h"
#include "rh-pairing-code.h"
#include "rh-peer-channel.h"
#include "rh-rendezvous-client.h"
#include "rh-spake2.h"
#include "rh-ws-client.h"

#define PAKE_ID_SHARER "remote-help sharer"
#define PAKE_ID_HELPER "remote-help helper"
#define WELCOME_TIMEOUT_S 15

typedef void (*ReplyHandler) (RhRendezvousClient *self,
                              GTask              *task,
                              JsonObject         *reply);

typedef struct
{
  GTask        *task;
  ReplyHandler  handler;
} Pending;

typedef enum
{
  ROLE_NONE,
  ROLE_HELPER,
  ROLE_SHARER,
} Role;

struct _RhRendezvousClient
{
  GObject        parent_instance;

  char          *url;
  GBytes        *server_pin;
  char          *ca_file;
  GBytes        *org_key_pin;

  RhWsClient    *ws;
  RhOrgKey      *org_key;
  GTask         *connect_task;
  guint          welcome_timeout;
  GHashTable    *pending;    /* id → Pending */
  gint64         next_id;

  char          *login;
  char          *token;

  Role           role;
  RhPairingCode  code;
  gboolean       have_code;
  char          *own_card;
  GBytes        *own_card_sig;
  char          *test_card;
  GBytes        *test_card_sig;
  RhSpake2      *spake;
  RhPeerChannel *channel;
  char          *pairing_id;
  char          *last_pairing_id;  /* the one that ended, for the end of elevation */
  char          *peer_login;  /* as the server names the other side */
  gboolean       chat_enabled; /* the service said so when pairing */
  GTask         *pair_task;   /* wait_for_sharer or redeem_code */
  /* What the helper may do in this pairing: the helper's own card for this sharer, or on the
   * sharer's side the helper's verified card (issue #5). */
  RhPermissions  helper_permissions;
};

enum
{
  SIGNAL_ATTEMPT_FAILED,
  SIGNAL_PEER_MESSAGE,
  SIGNAL_PEER_LEFT,
  SIGNAL_DISCONNECTED,
  SIGNAL_CHAT_MESSAGE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (RhRendezvousClient, rh_rendezvous_client, G_TYPE_OBJECT)

static void
pending_free (Pending *p)
{
  g_clear_object (&p->task);
  g_free (p);
}

static void
reset_pairing (RhRendezvousClient *self)
{
  g_clear_pointer (&self->spake, rh_spake2_free);
  g_clear_pointer (&self->channel, rh_peer_channel_free);
  if (self->pairing_id != NULL)
    {
      g_free (self->last_pairing_id);
      self->last_pairing_id = g_steal_pointer (&self->pairing_id);
    }
  g_clear_pointer (&self->peer_login, g_free);
  self->chat_enabled = FALSE;
  self->helper_permissions = RH_PERMISSION_NONE;
}

static void
fail_pair_task (RhRendezvousClient *self,
                GError             *error)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->pair_task);

  if (task)
    g_task_return_error (task, error);
  else
    g_error_free (error);
}

/* Sending */

static void
send_object (RhRendezvousClient *self,
             JsonObject         *msg)
{
  g_autofree char *text = rh_message_to_string (msg);

  if (self->ws && rh_ws_client_is_open (self->ws))
    rh_ws_client_send_text (self->ws, text, -1);
  explicit_bzero (text, strlen (text));
}

static gint64
send_request (RhRendezvousClient *self,
              JsonObject         *msg,
              GTask              *task,
              ReplyHandler        handler)
{
  gint64 id = ++self->next_id;

  json_object_set_int_member (msg, "id", id);
  if (self->token && !json_object_has_member (msg, "token"))
    json_object_set_string_member (msg, "token", self->token);
  if (task || handler)
    {
      Pending *p = g_new0 (Pending, 1);

      p->task = task ? g_object_ref (task) : NULL;
      p->handler = handler;
      g_hash_table_insert (self->pending, g_memdup2 (&id, sizeof id), p);
    }
  send_object (self, msg);
  return id;
}

/* Peer channel */

static gboolean
send_peer_internal (RhRendezvousClient  *self,
                    JsonObject          *msg,
                    GError             **error)
{
  g_autofree char *text = NULL;
  g_autoptr(GBytes) frame = NULL;
  g_autoptr(JsonObject) wrapper = NULL;

  if (self->channel == NULL || self->pairing_id == NULL)
    {
      g_set_error_literal (error, RH_PROTOCOL_ERROR, RH_ERROR_UNEXPECTED_MESSAGE,
                           "Not paired with anyone");
      return FALSE;
    }
  text = rh_message_to_string (msg);
  frame = rh_peer_channel_seal (self->channel, (const guint8 *) text, strlen (text));
  explicit_bzero (text, strlen (text));

  wrapper = rh_message_new ("peer");
  json_object_set_string_member (wrapper, "pairing", self->pairing_id);
  rh_message_set_bytes (wrapper, "data", g_bytes_get_data (frame, NULL),
                        g_bytes_get_size (frame));
  send_request (self, wrapper, NULL, NULL);
  return TRUE;
}

static void
send_own_card (RhRendezvousClient *self)
{
  g_autoptr(JsonObject) msg = rh_message_new ("card");
  g_autoptr(GError) error = NULL;

  const char *card = self->test_card ? self->test_card : self->own_card;
  GBytes *sig = self->test_card ? self->test_card_sig : self->own_card_sig;

  json_object_set_string_member (msg, "card", card);
  rh_message_set_bytes (msg, "sig", g_bytes_get_data (sig, NULL), g_bytes_get_size (sig));
  if (!send_peer_internal (self, msg, &error))
    g_warning ("Could not send identity card: %s", error->message);
}

static void
handle_peer_card (RhRendezvousClient *self,
                  JsonObject         *msg)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) sig = NULL;
  g_autoptr(RhIdentityCard) card = NULL;
  g_autoptr(GTask) task = NULL;
  const char *json;

  if (self->pair_task == NULL)
    return; /* a second card changes nothing */

  json = rh_message_get_string (msg, "card", 48 * 1024, &error);
  if (json)
    sig = rh_message_get_bytes (msg, "sig", RH_ORG_KEY_SIGNATURE_LEN, 0, &error);
  if (sig)
    card = rh_identity_card_verify (json, sig, self->org_key,
                                    self->role == ROLE_HELPER ? "sharer" : "helper",
                                    self->code.slot, g_get_real_time () / G_USEC_PER_SEC,
                                    &error);
  if (card && g_strcmp0 (card->login, self->peer_login) != 0)
    {
      g_set_error_literal (&error, RH_CRYPTO_ERROR, RH_ERROR_CARD_INVALID,
                           "The identity card names another person than the service does");
      g_clear_pointer (&card, rh_identity_card_free);
    }
  /* A helper card's permissions hold for the sharer it names only. */
  if (card && card->has_permissions && self->role == ROLE_SHARER &&
      g_strcmp0 (card->sharer, self->login) != 0)
    {
      g_set_error_literal (&error, RH_CRYPTO_ERROR, RH_ERROR_CARD_INVALID,
                           "The helper's identity card was issued for someone else");
      g_clear_pointer (&card, rh_identity_card_free);
    }
  if (card == NULL)
    {
      g_message ("Rejected the other side's identity card: %s", error->message);
      rh_rendezvous_client_leave (self, "identity-rejected");
      fail_pair_task (self, g_steal_pointer (&error));
      return;
    }

  if (self->role == ROLE_SHARER)
    {
      /* A card without permissions (issued before the sharer was known) grants nothing. */
      self->helper_permissions = card->has_permissions ? card->permissions : RH_PERMISSION_NONE;
      send_own_card (self);
    }
  task = g_steal_pointer (&self->pair_task);
  g_task_return_pointer (task, g_steal_pointer (&card), (GDestroyNotify) rh_identity_card_free);
}

static void
handle_peer (RhRendezvousClient *self,
             JsonObject         *msg)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) frame = NULL;
  g_autoptr(GBytes) plain = NULL;
  g_autoptr(JsonObject) inner = NULL;

  if (self->channel == NULL)
    return;
  frame = rh_message_get_bytes (msg, "data", 0, 48 * 1024, &error);
  if (frame)
    plain = rh_peer_channel_open (self->channel, g_bytes_get_data (frame, NULL),
                                  g_bytes_get_size (frame), &error);
  if (plain)
    inner = rh_message_parse (g_bytes_get_data (plain, NULL), g_bytes_get_size (plain),
                              RH_WS_MAX_MESSAGE, &error);
  if (inner == NULL)
    {
      /* A frame that fails authentication means the relay or the network tampered with
       * the channel: the pairing cannot be trusted any more. */
      g_message ("Dropping the pairing: %s", error->message);
      rh_rendezvous_client_leave (self, "channel-error");
      fail_pair_task (self, g_error_new (RH_PROTOCOL_ERROR, RH_ERROR_PEER_CHANNEL, "%s",
                                         error->message));
      return;
    }

  if (g_str_equal (rh_message_get_type (inner), "card"))
    handle_peer_card (self, inner);
  else
    g_signal_emit (self, signals[SIGNAL_PEER_MESSAGE], 0, inner);
}

static void
start_channel (RhRendezvousClient *self,
               JsonObject         *paired,
               const char         *pairing_id)
{
  gboolean chat = FALSE;

  /* An older service that does not say keeps chat off: it would not keep the thread. */
  if (json_object_has_member (paired, "chat"))
    rh_message_get_bool (paired, "chat", &chat, NULL);
  self->chat_enabled = chat;
  g_autoptr(GBytes) key = rh_spake2_get_shared_key (self->spake);
  g_autoptr(GBytes) th = rh_spake2_get_transcript_hash (self->spake);

  self->pairing_id = g_strdup (pairing_id);
  self->channel = rh_peer_channel_new (g_bytes_get_data (key, NULL), g_bytes_get_size (key),
                                       g_bytes_get_data (th, NULL), g_bytes_get_size (th),
                                       self->role == ROLE_HELPER);
  g_clear_pointer (&self->spake, rh_spake2_free);
  /* The helper shows its card first; the sharer reveals who it is only to a helper whose
   * card verified. */
  if (self->role == ROLE_HELPER)
    send_own_card (self);
}

/* Helper side of the PAKE */

static void
on_pake_result_reply (RhRendezvousClient *self,
                      GTask              *task,
                      JsonObject         *reply)
{
  const char *type = rh_message_get_type (reply);

  if (g_str_equal (type, "paired"))
    {
      const char *pairing = rh_message_get_string (reply, "pairing", 64, NULL);

      if (pairing == NULL)
        {
          fail_pair_task (self, g_error_new_literal (RH_PROTOCOL_ERROR,
                                                     RH_ERROR_MALFORMED_MESSAGE,
                                                     "The service sent no pairing id"));
          return;
        }
      start_channel (self, reply, pairing);
    }
  else if (g_str_equal (type, "attempt-failed"))
    {
      gint64 remaining = 0;
      gboolean burned = FALSE;

      rh_message_get_int (reply, "remaining", 0, 100, &remaining, NULL);
      rh_message_get_bool (reply, "burned", &burned, NULL);
      reset_pairing (self);
      g_signal_emit (self, signals[SIGNAL_ATTEMPT_FAILED], 0, (int) remaining);
      if (burned)
        fail_pair_task (self, g_error_new_literal (RH_PROTOCOL_ERROR, RH_ERROR_CODE_BURNED,
                                                   "Three attempts with this code failed; "
                                                   "get a new code"));
    }
  else if (g_str_equal (type, "error"))
    {
      g_autoptr(GError) error = rh_message_to_error (reply);

      g_message ("The service refused the pairing result: %s", error->message);
      reset_pairing (self);
      if (error->code == RH_ERROR_PEER_LEFT)
        fail_pair_task (self, g_steal_pointer (&error));
    }
}

/* The helper reads its own card, which the server just signed: no need to verify it, it only
 * tells the app (and the person) what not to offer. */
static RhPermissions
permissions_in_card (const char *json)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  RhPermissions permissions = RH_PERMISSION_NONE;
  JsonNode *root, *node;

  if (!json_parser_load_from_data (parser, json, -1, NULL) ||
      (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root) ||
      (node = json_object_get_member (json_node_get_object (root), "permissions")) == NULL ||
      !JSON_NODE_HOLDS_ARRAY (node))
    return RH_PERMISSION_NONE;
  for (guint i = 0; i < json_array_get_length (json_node_get_array (node)); i++)
    {
      JsonNode *element = json_array_get_element (json_node_get_array (node), i);

      if (JSON_NODE_HOLDS_VALUE (element) && json_node_get_value_type (element) == G_TYPE_STRING)
        permissions |= rh_permission_from_string (json_node_get_string (element));
    }
  return permissions;
}

static void
handle_pairing_start (RhRendezvousClient *self,
                      JsonObject         *msg)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) pake = NULL;
  g_autoptr(GBytes) ours = NULL;
  g_autoptr(JsonObject) reply = NULL;
  g_autofree char *context = NULL;
  g_autoptr(GBytes) card_sig = NULL;
  const char *slot, *sharer, *card;

  if (self->role != ROLE_HELPER || !self->have_code || self->channel != NULL)
    return;
  slot = rh_message_get_string (msg, "slot", 16, &error);
  sharer = slot ? rh_message_get_string (msg, "sharer", 64, &error) : NULL;
  pake = sharer ? rh_message_get_bytes (msg, "pake", RH_SPAKE2_MESSAGE_LEN, 0, &error) : NULL;
  if (pake == NULL || g_strcmp0 (slot, self->code.slot) != 0)
    {
      g_message ("Ignoring a malformed pairing start: %s", error ? error->message : "wrong slot");
      return;
    }

  reset_pairing (self);
  context = g_strdup_printf ("%s:%s", RH_PAIRING_PAKE_CONTEXT, self->code.slot);
  self->spake = rh_spake2_new_from_password (RH_SPAKE2_ROLE_B, PAKE_ID_SHARER, PAKE_ID_HELPER,
                                             context, self->code.secret, &error);
  if (self->spake == NULL ||
      !rh_spake2_process (self->spake, g_bytes_get_data (pake, NULL), g_bytes_get_size (pake),
                          &error))
    {
      /* A bad point from the sharer is a failed attempt like any other. */
      g_message ("Pairing attempt rejected: %s", error->message);
      g_clear_pointer (&self->spake, rh_spake2_free);
      return;
    }
  self->peer_login = g_strdup (sharer);

  /* The server signs the helper's card again once it knows the sharer, with what this helper
   * may do for that sharer: that is the card to present. */
  card = rh_message_get_string_or_null (msg, "card", 48 * 1024, NULL);
  card_sig = card ? rh_message_get_bytes (msg, "card_sig", RH_ORG_KEY_SIGNATURE_LEN, 0, NULL)
                  : NULL;
  if (card_sig != NULL)
    {
      g_free (self->own_card);
      self->own_card = g_strdup (card);
      g_clear_pointer (&self->own_card_sig, g_bytes_unref);
      self->own_card_sig = g_steal_pointer (&card_sig);
      self->helper_permissions = permissions_in_card (card);
    }

  ours = rh_spake2_get_message (self->spake);
  reply = rh_message_new ("pake-reply");
  json_object_set_string_member (reply, "slot", self->code.slot);
  rh_message_set_bytes (reply, "pake", g_bytes_get_data (ours, NULL), g_bytes_get_size (ours));
  send_request (self, reply, NULL, NULL);
}

static void
handle_pairing_confirm (RhRendezvousClient *self,
                        JsonObject         *msg)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) confirm = NULL;
  g_autoptr(JsonObject) result = rh_message_new ("pake-result");
  gboolean ok;

  if (self->role != ROLE_HELPER || !self->have_code || self->channel != NULL)
    return;
  confirm = rh_message_get_bytes (msg, "confirm", RH_SPAKE2_MAC_LEN, 0, &error);
  ok = self->spake != NULL && confirm != NULL &&
       rh_spake2_verify_confirmation (self->spake, g_bytes_get_data (confirm, NULL),
                                      g_bytes_get_size (confirm), &error);

  json_object_set_string_member (result, "slot", self->code.slot);
  json_object_set_boolean_member (result, "ok", ok);
  if (ok)
    {
      g_autoptr(GBytes) mac = rh_spake2_get_confirmation (self->spake);

      rh_message_set_bytes (result, "confirm", g_bytes_get_data (mac, NULL),
                            g_bytes_get_size (mac));
    }
  else
    g_message ("A pairing attempt used a wrong code");
  send_request (self, result, NULL, on_pake_result_reply);
}

/* Sharer side of the PAKE */

static void
on_paired_reply (RhRendezvousClient *self,
                 GTask              *task,
                 JsonObject         *reply)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) confirm = NULL;
  const char *pairing;

  if (g_str_equal (rh_message_get_type (reply), "error"))
    {
      reset_pairing (self);
      fail_pair_task (self, rh_message_to_error (reply));
      return;
    }
  pairing = rh_message_get_string (reply, "pairing", 64, &error);
  confirm = pairing ? rh_message_get_bytes (reply, "confirm", RH_SPAKE2_MAC_LEN, 0, &error)
                    : NULL;
  if (confirm == NULL ||
      !rh_spake2_verify_confirmation (self->spake, g_bytes_get_data (confirm, NULL),
                                      g_bytes_get_size (confirm), &error))
    {
      /* The helper accepted our confirmation but its own is wrong: someone in the middle. */
      reset_pairing (self);
      if (!g_error_matches (error, RH_CRYPTO_ERROR, RH_ERROR_KEY_CONFIRMATION))
        g_prefix_error (&error, "Pairing could not be confirmed: ");
      fail_pair_task (self, g_error_new (RH_CRYPTO_ERROR, RH_ERROR_KEY_CONFIRMATION, "%s",
                                         error->message));
      rh_rendezvous_client_leave (self, "key-confirmation-failed");
      return;
    }
  start_channel (self, reply, pairing);
}

static void
on_pairing_reply (RhRendezvousClient *self,
                  GTask              *task,
                  JsonObject         *reply)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) pake = NULL;
  g_autoptr(GBytes) mac = NULL;
  g_autoptr(JsonObject) confirm = NULL;
  const char *helper, *card;

  if (g_str_equal (rh_message_get_type (reply), "error"))
    {
      reset_pairing (self);
      fail_pair_task (self, rh_message_to_error (reply));
      return;
    }
  helper = rh_message_get_string (reply, "helper", 64, &error);
  card = helper ? rh_message_get_string (reply, "card", 48 * 1024, &error) : NULL;
  if (card)
    self->own_card_sig = rh_message_get_bytes (reply, "card_sig", RH_ORG_KEY_SIGNATURE_LEN, 0,
                                               &error);
  if (self->own_card_sig)
    pake = rh_message_get_bytes (reply, "pake", RH_SPAKE2_MESSAGE_LEN, 0, &error);
  if (pake == NULL ||
      !rh_spake2_process (self->spake, g_bytes_get_data (pake, NULL), g_bytes_get_size (pake),
                          &error))
    {
      reset_pairing (self);
      fail_pair_task (self, g_steal_pointer (&error));
      return;
    }
  g_free (self->own_card);
  self->own_card = g_strdup (card);
  self->peer_login = g_strdup (helper);

  mac = rh_spake2_get_confirmation (self->spake);
  confirm = rh_message_new ("pake-confirm");
  json_object_set_string_member (confirm, "slot", self->code.slot);
  rh_message_set_bytes (confirm, "confirm", g_bytes_get_data (mac, NULL),
                        g_bytes_get_size (mac));
  send_request (self, confirm, NULL, on_paired_reply);
}

/* Incoming messages */

static void
handle_chat (RhRendezvousClient *self,
             JsonObject         *msg)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RhChatMessage) chat = NULL;
  const char *pairing = rh_message_get_string (msg, "pairing", 64, &error);

  if (pairing == NULL || g_strcmp0 (pairing, self->pairing_id) != 0)
    {
      g_message ("Ignoring a chat message for another pairing");
      return;
    }
  chat = rh_chat_message_from_event (msg, &error);
  if (chat == NULL)
    {
      g_message ("Ignoring a malformed chat message: %s", error->message);
      return;
    }
  g_signal_emit (self, signals[SIGNAL_CHAT_MESSAGE], 0, chat);
}

static void
handle_event (RhRendezvousClient *self,
              JsonObject         *msg)
{
  const char *type = rh_message_get_type (msg);

  if (g_str_equal (type, "peer"))
    handle_peer (self, msg);
  else if (g_str_equal (type, "pairing-start"))
    handle_pairing_start (self, msg);
  else if (g_str_equal (type, "pairing-confirm"))
    handle_pairing_confirm (self, msg);
  else if (g_str_equal (type, "attempt-abandoned"))
    reset_pairing (self);
  else if (g_str_equal (type, "pairing-refused") && self->role == ROLE_HELPER)
    {
      /* Someone outside this helper's scope typed the code; the server refused them. */
      gint64 code = json_object_get_int_member_with_default (msg, "code", RH_ERROR_OUT_OF_SCOPE);
      const char *text = json_object_get_string_member_with_default (msg, "message", "");

      if (code != RH_ERROR_OUT_OF_SCOPE)
        code = RH_ERROR_OUT_OF_SCOPE;
      fail_pair_task (self, g_error_new (RH_PROTOCOL_ERROR, (int) code, "%.200s", text));
    }
  else if (g_str_equal (type, "code-expired"))
    {
      self->have_code = FALSE;
      fail_pair_task (self, g_error_new_literal (RH_PROTOCOL_ERROR, RH_ERROR_CODE_EXPIRED,
                                                 "The security code expired before anyone "
                                                 "used it"));
    }
  else if (g_str_equal (type, "chat"))
    handle_chat (self, msg);
  else if (g_str_equal (type, "peer-left"))
    {
      const char *who = json_object_get_string_member_with_default (msg, "who", "");
      const char *reason = json_object_get_string_member_with_default (msg, "reason", "");

      reset_pairing (self);
      fail_pair_task (self, g_error_new (RH_PROTOCOL_ERROR, RH_ERROR_PEER_LEFT,
                                         "%.64s left (%.64s)", who, reason));
      g_signal_emit (self, signals[SIGNAL_PEER_LEFT], 0, who, reason);
    }
  else if (g_str_equal (type, "error"))
    {
      g_autoptr(GError) error = rh_message_to_error (msg);

      g_message ("The service reported: RH-%04d %s", error->code, error->message);
    }
  else
    g_debug ("Ignoring a message of type %.32s", type);
}

static void
on_welcome (RhRendezvousClient *self,
            JsonObject         *msg)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->connect_task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) raw = NULL;
  guint8 fp[RH_FINGERPRINT_LEN];

  g_clear_handle_id (&self->welcome_timeout, g_source_remove);
  raw = rh_message_get_bytes (msg, "org_key", RH_ORG_KEY_PUBLIC_LEN, 0, &error);
  if (raw)
    self->org_key = rh_org_key_new_public (g_bytes_get_data (raw, NULL),
                                           g_bytes_get_size (raw), &error);
  if (self->org_key == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  rh_org_key_get_fingerprint (self->org_key, fp);
  if (memcmp (fp, g_bytes_get_data (self->org_key_pin, NULL), RH_FINGERPRINT_LEN) != 0)
    {
      g_autofree char *seen = rh_fingerprint_format (fp);

      g_clear_object (&self->org_key);
      g_task_return_new_error (task, RH_CRYPTO_ERROR, RH_ERROR_ORG_KEY_MISMATCH,
                               "The service presented organisation key %s, which is not the "
                               "one this computer trusts", seen);
      return;
    }
  g_task_return_boolean (task, TRUE);
}

static void
on_ws_message (RhWsClient *ws,
               GBytes     *data,
               gboolean    is_binary,
               gpointer    user_data)
{
  RhRendezvousClient *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) msg = NULL;
  gsize len;
  const char *text = g_bytes_get_data (data, &len);
  gint64 id;
  Pending *p;

  g_object_ref (self);
  msg = is_binary ? NULL : rh_message_parse (text, len, RH_WS_MAX_MESSAGE, &error);
  if (msg == NULL)
    {
      g_message ("Ignoring a malformed message from the service");
      goto out;
    }

  if (self->connect_task && g_str_equal (rh_message_get_type (msg), "welcome"))
    {
      on_welcome (self, msg);
      goto out;
    }

  id = rh_message_get_id (msg);
  if (id >= 0 && (p = g_hash_table_lookup (self->pending, &id)) != NULL)
    {
      g_autoptr(GTask) task = p->task ? g_object_ref (p->task) : NULL;
      ReplyHandler handler = p->handler;

      g_hash_table_remove (self->pending, &id);
      if (handler)
        handler (self, task, msg);
      else if (g_str_equal (rh_message_get_type (msg), "error"))
        g_task_return_error (task, rh_message_to_error (msg));
      else
        g_task_return_pointer (task, json_object_ref (msg), (GDestroyNotify) json_object_unref);
      goto out;
    }

  /* The sharer's pending redeem request is answered by forwarded messages with its id. */
  handle_event (self, msg);

out:
  g_object_unref (self);
}

static void
on_ws_closed (RhWsClient   *ws,
              const GError *error,
              gpointer      user_data)
{
  RhRendezvousClient *self = user_data;
  g_autoptr(GError) why = error ? g_error_copy (error)
                                : g_error_new_literal (RH_PROTOCOL_ERROR,
                                                       RH_ERROR_CONNECTION_LOST,
                                                       "The connection was closed");
  g_autoptr(GList) values = NULL;

  g_object_ref (self);
  if (self->connect_task)
    {
      g_autoptr(GTask) task = g_steal_pointer (&self->connect_task);

      g_clear_handle_id (&self->welcome_timeout, g_source_remove);
      g_task_return_error (task, g_error_copy (why));
    }

  values = g_hash_table_get_values (self->pending);
  for (GList *l = values; l; l = l->next)
    {
      Pending *p = l->data;

      if (p->task)
        g_task_return_error (g_object_ref (p->task), g_error_copy (why));
    }
  g_hash_table_remove_all (self->pending);
  fail_pair_task (self, g_error_copy (why));
  reset_pairing (self);
  g_signal_emit (self, signals[SIGNAL_DISCONNECTED], 0, error);
  g_object_unref (self);
}

/* Connect */

static gboolean
on_welcome_timeout (gpointer user_data)
{
  RhRendezvousClient *self = user_data;
  g_autoptr(GTask) task = g_steal_pointer (&self->connect_task);

  self->welcome_timeout = 0;
  g_task_return_new_error (task, RH_PROTOCOL_ERROR, RH_ERROR_TIMEOUT,
                           "The service did not greet us in time");
  return G_SOURCE_REMOVE;
}

static void
on_ws_connected (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  RhRendezvousClient *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;

  if (!rh_ws_client_connect_finish (RH_WS_CLIENT (source), result, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  self->connect_task = g_steal_pointer (&task);
  self->welcome_timeout = g_timeout_add_seconds (WELCOME_TIMEOUT_S, on_welcome_timeout, self);
}

void
rh_rendezvous_client_connect_async (RhRendezvousClient  *self,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (RH_IS_RENDEZVOUS_CLIENT (self));
  g_return_if_fail (self->ws == NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, rh_rendezvous_client_connect_async);

  if (self->org_key_pin == NULL)
    {
      g_task_return_new_error (task, RH_CONFIG_ERROR, RH_ERROR_BAD_ORG_KEY,
                               "No organisation key is configured, so identities cannot be "
                               "verified");
      return;
    }

  self->ws = rh_ws_client_new ();
  g_signal_connect (self->ws, "message", G_CALLBACK (on_ws_message), self);
  g_signal_connect (self->ws, "closed", G_CALLBACK (on_ws_closed), self);
  rh_ws_client_connect_async (self->ws, self->url, RH_SUBPROTOCOL, self->server_pin,
                              self->ca_file, cancellable, on_ws_connected,
                              g_steal_pointer (&task));
}

gboolean
rh_rendezvous_client_connect_finish (RhRendezvousClient  *self,
                                     GAsyncResult        *result,
                                     GError             **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Requests */

static gboolean
check_connected (RhRendezvousClient *self,
                 GTask              *task)
{
  if (self->ws == NULL || !rh_ws_client_is_open (self->ws) || self->org_key == NULL)
    {
      g_task_return_new_error (task, RH_PROTOCOL_ERROR, RH_ERROR_CONNECTION_LOST,
                               "Not connected to the service");
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_signed_in (RhRendezvousClient *self,
                 GTask              *task)
{
  if (!check_connected (self, task))
    return FALSE;
  if (self->token == NULL)
    {
      g_task_return_new_error (task, RH_PROTOCOL_ERROR, RH_ERROR_NOT_SIGNED_IN,
                               "Sign in first");
      return FALSE;
    }
  return TRUE;
}

static void
on_sign_in_reply (RhRendezvousClient *self,
                  GTask              *task,
                  JsonObject         *reply)
{
  const char *token, *login;

  if (g_str_equal (rh_message_get_type (reply), "error"))
    {
      g_task_return_error (task, rh_message_to_error (reply));
      return;
    }
  token = rh_message_get_string (reply, "token", 128, NULL);
  login = rh_message_get_string (reply, "login", 64, NULL);
  if (token == NULL || login == NULL)
    {
      g_task_return_new_error (task, RH_PROTOCOL_ERROR, RH_ERROR_MALFORMED_MESSAGE,
                               "The service's sign-in answer is malformed");
      return;
    }
  rh_rendezvous_client_set_token (self, login, token);
  g_task_return_boolean (task, TRUE);
}

void
rh_rendezvous_client_sign_in_async (RhRendezvousClient  *self,
                                    const char          *login,
                                    const char          *password,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonObject) msg = NULL;

  g_return_if_fail (RH_IS_RENDEZVOUS_CLIENT (self));
  g_return_if_fail (login != NULL && password != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, rh_rendezvous_client_sign_in_async);
  if (!check_connected (self, task))
    return;

  msg = rh_message_new ("sign-in");
  json_object_set_string_member (msg, "login", login);
  json_object_set_string_member (msg, "password", password);
  send_request (self, msg, task, on_sign_in_reply);
}

gboolean
rh_rendezvous_client_sign_in_finish (RhRendezvousClient  *self,
                                     GAsyncResult        *result,
                                     GError             **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
rh_rendezvous_client_set_token (RhRendezvousClient *self,
                                const char         *login,
                                const char         *token)
{
  g_return_if_fail (RH_IS_RENDEZVOUS_CLIENT (self));

  g_free (self->login);
  self->login = g_strdup (login);
  if (self->token)
    explicit_bzero (self->token, strlen (self->token));
  g_free (self->token);
  self->token = g_strdup (token);
}

const char *
rh_rendezvous_client_get_token (RhRendezvousClient *self)
{
  g_return_val_if_fail (RH_IS_RENDEZVOUS_CLIENT (self), NULL);

  return self->token;
}

const char *
rh_rendezvous_client_get_login (RhRendezvousClient *self)
{
  g_return_val_if_fail (RH_IS_RENDEZVOUS_CLIENT (self), NULL);

  return self->login;
}

static void
on_code_reply (RhRendezvousClient *self,
               GTask              *task,
               JsonObject         *reply)
{
  g_autoptr(GError) error = NULL;
  const char *slot, *card;
  gint64 expires_at = 0;
  g_autoptr(GBytes) sig = NULL;

  if (g_str_equal (rh_message_get_type (reply), "error"))
    {
      g_task_return_error (task, rh_message_to_error (reply));
      return;
    }
  slot = rh_message_get_string (reply, "slot", 16, &error);
  card = slot ? rh_message_get_string (reply, "card", 48 * 1024, &error) : NULL;
  sig = card ? rh_message_get_bytes (reply, "card_sig", RH_ORG_KEY_SIGNATURE_LEN, 0, &error)
             : NULL;
  if (sig == NULL ||
      !rh_message_get_int (reply, "expires_at", 0, G_MAXINT64, &expires_at, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (!rh_pairing_code_is_valid_slot (slot))
    {
      g_task_return_new_error (task, RH_PROTOCOL_ERROR, RH_ERROR_MALFORMED_MESSAGE,
                               "The service sent an invalid code slot");
      return;
    }

  reset_pairing (self);
  self->role = ROLE_HELPER;
  memcpy (self->code.slot, slot, sizeof self->code.slot);
  /* The secret half is made here and never leaves this process except as the code the
   * helper reads out. */
  rh_pairing_code_random (self->code.secret, RH_PAIRING_SECRET_LEN);
  self->have_code = TRUE;
  g_free (self->own_card);
  self->own_card = g_strdup (card);
  g_clear_pointer (&self->own_card_sig, g_bytes_unref);
  self->own_card_sig = g_steal_pointer (&sig);

  g_task_set_task_data (task, g_memdup2 (&expires_at, sizeof expires_at), g_free);
  g_task_return_pointer (task, rh_pairing_code_format (&self->code), g_free);
}

void
rh_rendezvous_client_request_code_async (RhRendezvousClient  *self,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonObject) msg = NULL;

  g_return_if_fail (RH_IS_RENDEZVOUS_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, rh_rendezvous_client_request_code_async);
  if (!check_signed_in (self, task))
    return;
  if (self->channel != NULL || self->role == ROLE_SHARER)
    {
      g_task_return_new_error (task, RH_PROTOCOL_ERROR, RH_ERROR_UNEXPECTED_MESSAGE,
                               "A pairing is already in progress");
      return;
    }

  msg = rh_message_new ("code-request");
  send_request (self, msg, task, on_code_reply);
}

char *
rh_rendezvous_client_request_code_finish (RhRendezvousClient  *self,
                                          GAsyncResult        *result,
                                          gint64              *out_expires_at,
                                          GError             **error)
{
  char *code;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  code = g_task_propagate_pointer (G_TASK (result), error);
  if (code && out_expires_at)
    *out_expires_at = *(gint64 *) g_task_get_task_data (G_TASK (result));
  return code;
}

void
rh_rendezvous_client_wait_for_sharer_async (RhRendezvousClient  *self,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (RH_IS_RENDEZVOUS_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, rh_rendezvous_client_wait_for_sharer_async);
  if (!check_signed_in (self, task))
    return;
  if (self->role != ROLE_HELPER || !self->have_code || self->pair_task != NULL)
    {
      g_task_return_new_error (task, RH_PROTOCOL_ERROR, RH_ERROR_UNEXPECTED_MESSAGE,
                               "Request a code before waiting for a sharer");
      return;
    }
  self->pair_task = g_steal_pointer (&task);
}

RhIdentityCard *
rh_rendezvous_client_wait_for_sharer_finish (RhRendezvousClient  *self,
                                             GAsyncResult        *result,
                                             GError             **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
rh_rendezvous_client_redeem_code_async (RhRendezvousClient  *self,
                                        const char          *code,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) msg = NULL;
  g_autoptr(GBytes) pake = NULL;
  g_autofree char *context = NULL;

  g_return_if_fail (RH_IS_RENDEZVOUS_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, rh_rendezvous_client_redeem_code_async);
  if (!rh_pairing_code_parse (code, &self->code, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (!check_signed_in (self, task))
    return;
  if (self->pair_task != NULL || self->channel != NULL || self->role == ROLE_HELPER)
    {
      g_task_return_new_error (task, RH_PROTOCOL_ERROR, RH_ERROR_UNEXPECTED_MESSAGE,
                               "A pairing is already in progress");
      return;
    }

  reset_pairing (self);
  g_clear_pointer (&self->own_card, g_free);
  g_clear_pointer (&self->own_card_sig, g_bytes_unref);
  self->role = ROLE_SHARER;
  context = g_strdup_printf ("%s:%s", RH_PAIRING_PAKE_CONTEXT, self->code.slot);
  self->spake = rh_spake2_new_from_password (RH_SPAKE2_ROLE_A, PAKE_ID_SHARER, PAKE_ID_HELPER,
                                             context, self->code.secret, &error);
  explicit_bzero (self->code.secret, sizeof self->code.secret);
  if (self->spake == NULL)
    {
      self->role = ROLE_NONE;
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  pake = rh_spake2_get_message (self->spake);
  msg = rh_message_new ("code-redeem");
  json_object_set_string_member (msg, "slot", self->code.slot);
  rh_message_set_bytes (msg, "pake", g_bytes_get_data (pake, NULL), g_bytes_get_size (pake));
  self->pair_task = g_object_ref (task);
  send_request (self, msg, NULL, on_pairing_reply);
}

RhIdentityCard *
rh_rendezvous_client_redeem_code_finish (RhRendezvousClient  *self,
                                         GAsyncResult        *result,
                                         GError             **error)
{
  RhIdentityCard *card;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  card = g_task_propagate_pointer (G_TASK (result), error);
  if (card == NULL)
    self->role = ROLE_NONE; /* the sharer may try again with another code */
  return card;
}

gboolean
rh_rendezvous_client_send_peer (RhRendezvousClient  *self,
                                JsonObject          *msg,
                                GError             **error)
{
  g_return_val_if_fail (RH_IS_RENDEZVOUS_CLIENT (self), FALSE);
  g_return_val_if_fail (msg != NULL, FALSE);

  return send_peer_internal (self, msg, error);
}

gboolean
rh_rendezvous_client_is_paired (RhRendezvousClient *self)
{
  g_return_val_if_fail (RH_IS_RENDEZVOUS_CLIENT (self), FALSE);

  return self->channel != NULL && self->pair_task == NULL;
}

const char *
rh_rendezvous_client_get_pairing_id (RhRendezvousClient *self)
{
  g_return_val_if_fail (RH_IS_RENDEZVOUS_CLIENT (self), NULL);

  return rh_rendezvous_client_is_paired (self) ? self->pairing_id : NULL;
}

gboolean
rh_rendezvous_client_get_relay_id (RhRendezvousClient *self,
                                   guint8              out[RH_RELAY_ID_LEN])
{
  g_return_val_if_fail (RH_IS_RENDEZVOUS_CLIENT (self), FALSE);
  g_return_val_if_fail (out != NULL, FALSE);

  if (!rh_rendezvous_client_is_paired (self))
    return FALSE;
  rh_peer_channel_derive (self->channel, "rh relay id v1", out, RH_RELAY_ID_LEN);
  return TRUE;
}

void
rh_rendezvous_client_leave (RhRendezvousClient *self,
                            const char         *reason)
{
  g_return_if_fail (RH_IS_RENDEZVOUS_CLIENT (self));

  if (self->pairing_id != NULL)
    {
      g_autoptr(JsonObject) msg = rh_message_new ("leave");

      json_object_set_string_member (msg, "pairing", self->pairing_id);
      json_object_set_string_member (msg, "reason", reason ? reason : "left");
      send_request (self, msg, NULL, NULL);
    }
  reset_pairing (self);
  self->have_code = FALSE;
}

void
rh_rendezvous_client_report_session (RhRendezvousClient *self,
                                     const char         *mode,
                                     const char         *device)
{
  g_autoptr(JsonObject) msg = NULL;

  g_return_if_fail (RH_IS_RENDEZVOUS_CLIENT (self));

  if (self->pairing_id == NULL)
    return;
  msg = rh_message_new ("session-report");
  json_object_set_string_member (msg, "pairing", self->pairing_id);
  json_object_set_string_member (msg, "mode", mode);
  json_object_set_string_member (msg, "device", device);
  send_request (self, msg, NULL, NULL);
}

gboolean
rh_rendezvous_client_get_chat_enabled (RhRendezvousClient *self)
{
  g_return_val_if_fail (RH_IS_RENDEZVOUS_CLIENT (self), FALSE);

  return rh_rendezvous_client_is_paired (self) && self->chat_enabled;
}

static void
on_chat_sent (RhRendezvousClient *self,
              GTask              *task,
              JsonObject         *reply)
{
  gint64 seq = 0;
  GError *error = NULL;

  if (g_str_equal (rh_message_get_type (reply), "error"))
    g_task_return_error (task, rh_message_to_error (reply));
  else if (!rh_message_get_int (reply, "seq", 1, G_MAXINT64, &seq, &error))
    g_task_return_error (task, error);
  else
    g_task_return_int (task, seq);
}

void
rh_rendezvous_client_send_chat_async (RhRendezvousClient  *self,
                                      const char          *text,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonObject) msg = NULL;

  g_return_if_fail (RH_IS_RENDEZVOUS_CLIENT (self));
  g_return_if_fail (text != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, rh_rendezvous_client_send_chat_async);
  if (!check_signed_in (self, task))
    return;
  if (self->pairing_id == NULL)
    {
      g_task_return_new_error (task, RH_PROTOCOL_ERROR, RH_ERROR_UNEXPECTED_MESSAGE,
                               "Not paired with anyone");
      return;
    }
  msg = rh_message_new ("chat-send");
  json_object_set_string_member (msg, "pairing", self->pairing_id);
  json_object_set_string_member (msg, "text", text);
  send_request (self, msg, task, on_chat_sent);
}

gint64
rh_rendezvous_client_send_chat_finish (RhRendezvousClient  *self,
                                       GAsyncResult        *result,
                                       GError             **error)
{
  gint64 seq;

  g_return_val_if_fail (g_task_is_valid (result, self), 0);

  seq = g_task_propagate_int (G_TASK (result), error);
  return seq > 0 ? seq : 0;
}

RhPermissions
rh_rendezvous_client_get_helper_permissions (RhRendezvousClient *self)
{
  g_return_val_if_fail (RH_IS_RENDEZVOUS_CLIENT (self), RH_PERMISSION_NONE);

  return self->channel != NULL || self->spake != NULL ? self->helper_permissions
                                                      : RH_PERMISSION_NONE;
}

/* For requests whose reply carries nothing but success. */
static gboolean
reply_ok_finish (RhRendezvousClient  *self,
                 GAsyncResult        *result,
                 GError             **error)
{
  g_autoptr(JsonObject) reply = NULL;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  reply = g_task_propagate_pointer (G_TASK (result), error);
  return reply != NULL;
}

void
rh_rendezvous_client_request_mode_async (RhRendezvousClient  *self,
                                         const char          *mode,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonObject) msg = NULL;

  g_return_if_fail (RH_IS_RENDEZVOUS_CLIENT (self));
  g_return_if_fail (mode != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, rh_rendezvous_client_request_mode_async);
  if (!check_connected (self, task))
    return;
  if (self->pairing_id == NULL)
    {
      g_task_return_new_error (task, RH_PROTOCOL_ERROR, RH_ERROR_UNEXPECTED_MESSAGE,
                               "Not paired with anyone");
      return;
    }
  msg = rh_message_new ("mode-request");
  json_object_set_string_member (msg, "pairing", self->pairing_id);
  json_object_set_string_member (msg, "mode", mode);
  send_request (self, msg, task, NULL);
}

gboolean
rh_rendezvous_client_request_mode_finish (RhRendezvousClient  *self,
                                          GAsyncResult        *result,
                                          GError             **error)
{
  return reply_ok_finish (self, result, error);
}

void
rh_rendezvous_client_report_elevation_async (RhRendezvousClient  *self,
                                             JsonObject          *fields,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonObject) msg = NULL;
  g_autoptr(GList) members = NULL;
  const char *pairing;

  g_return_if_fail (RH_IS_RENDEZVOUS_CLIENT (self));
  g_return_if_fail (fields != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, rh_rendezvous_client_report_elevation_async);
  if (!check_connected (self, task))
    return;
  /* The end of administrator access is reported after the helper left, too: the service
   * accepts it for the pairing that just ended. */
  pairing = self->pairing_id ? self->pairing_id : self->last_pairing_id;
  if (pairing == NULL)
    {
      g_task_return_new_error (task, RH_PROTOCOL_ERROR, RH_ERROR_UNEXPECTED_MESSAGE,
                               "Not paired with anyone");
      return;
    }
  msg = rh_message_new ("elevation-report");
  members = json_object_get_members (fields);
  for (GList *l = members; l; l = l->next)
    if (!g_str_equal (l->data, "type") && !g_str_equal (l->data, "id") &&
        !g_str_equal (l->data, "pairing") && !g_str_equal (l->data, "token"))
      json_object_set_member (msg, l->data, json_node_copy (json_object_get_member (fields,
                                                                                   l->data)));
  json_object_set_string_member (msg, "pairing", pairing);
  send_request (self, msg, task, NULL);
}

gboolean
rh_rendezvous_client_report_elevation_finish (RhRendezvousClient  *self,
                                              GAsyncResult        *result,
                                              GError             **error)
{
  return reply_ok_finish (self, result, error);
}

void
rh_rendezvous_client_disconnect (RhRendezvousClient *self)
{
  g_return_if_fail (RH_IS_RENDEZVOUS_CLIENT (self));

  if (self->ws && rh_ws_client_is_open (self->ws))
    rh_ws_client_close (self->ws);
}

void
rh_rendezvous_client_request_async (RhRendezvousClient  *self,
                                    JsonObject          *request,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (RH_IS_RENDEZVOUS_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  if (!check_connected (self, task))
    return;
  send_request (self, request, task, NULL);
}

JsonObject *
rh_rendezvous_client_request_finish (RhRendezvousClient  *self,
                                     GAsyncResult        *result,
                                     GError             **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
rh_rendezvous_client_override_card_for_testing (RhRendezvousClient *self,
                                                const char         *card_json,
                                                GBytes             *signature)
{
  g_return_if_fail (RH_IS_RENDEZVOUS_CLIENT (self));

  g_free (self->test_card);
  self->test_card = g_strdup (card_json);
  g_clear_pointer (&self->test_card_sig, g_bytes_unref);
  self->test_card_sig = g_bytes_ref (signature);
}

static void
rh_rendezvous_client_dispose (GObject *object)
{
  RhRendezvousClient *self = RH_RENDEZVOUS_CLIENT (object);

  g_clear_handle_id (&self->welcome_timeout, g_source_remove);
  if (self->ws)
    {
      g_signal_handlers_disconnect_by_data (self->ws, self);
      rh_ws_client_close (self->ws);
    }
  g_clear_object (&self->ws);
  g_clear_pointer (&self->pending, g_hash_table_unref);
  reset_pairing (self);
  g_clear_object (&self->pair_task);
  g_clear_object (&self->connect_task);
  g_clear_object (&self->org_key);

  G_OBJECT_CLASS (rh_rendezvous_client_parent_class)->dispose (object);
}

static void
rh_rendezvous_client_finalize (GObject *object)
{
  RhRendezvousClient *self = RH_RENDEZVOUS_CLIENT (object);

  g_free (self->url);
  g_clear_pointer (&self->server_pin, g_bytes_unref);
  g_free (self->ca_file);
  g_clear_pointer (&self->org_key_pin, g_bytes_unref);
  g_free (self->login);
  if (self->token)
    explicit_bzero (self->token, strlen (self->token));
  g_free (self->token);
  g_free (self->own_card);
  g_clear_pointer (&self->own_card_sig, g_bytes_unref);
  g_free (self->test_card);
  g_clear_pointer (&self->test_card_sig, g_bytes_unref);
  g_free (self->last_pairing_id);
  explicit_bzero (&self->code, sizeof self->code);

  G_OBJECT_CLASS (rh_rendezvous_client_parent_class)->finalize (object);
}

static void
rh_rendezvous_client_class_init (RhRendezvousClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = rh_rendezvous_client_dispose;
  object_class->finalize = rh_rendezvous_client_finalize;

  signals[SIGNAL_ATTEMPT_FAILED] =
    g_signal_new ("attempt-failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_INT);
  signals[SIGNAL_PEER_MESSAGE] =
    g_signal_new ("peer-message", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, JSON_TYPE_OBJECT);
  signals[SIGNAL_PEER_LEFT] =
    g_signal_new ("peer-left", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
  signals[SIGNAL_DISCONNECTED] =
    g_signal_new ("disconnected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
  signals[SIGNAL_CHAT_MESSAGE] =
    g_signal_new ("chat-message", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, RH_TYPE_CHAT_MESSAGE);
}

static void
rh_rendezvous_client_init (RhRendezvousClient *self)
{
  self->pending = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
                                         (GDestroyNotify) pending_free);
}

RhRendezvousClient *
rh_rendezvous_client_new (const char *url,
                          GBytes     *server_pin,
                          const char *ca_file,
                          GBytes     *org_key_pin)
{
  RhRendezvousClient *self;

  g_return_val_if_fail (url != NULL, NULL);
  g_return_val_if_fail (org_key_pin == NULL || g_bytes_get_size (org_key_pin) == 32, NULL);

  self = g_object_new (RH_TYPE_RENDEZVOUS_CLIENT, NULL);
  self->url = g_strdup (url);
  self->server_pin = server_pin ? g_bytes_ref (server_pin) : NULL;
  self->ca_file = g_strdup (ca_file);
  self->org_key_pin = org_key_pin ? g_bytes_ref (org_key_pin) : NULL;
  return self;
}
