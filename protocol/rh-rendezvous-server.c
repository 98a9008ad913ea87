/* rh-rendezvous-server.c: the rendezvous service
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The server never learns a security code: it allocates the slot (the first four characters)
 * and relays the SPAKE2 messages between the helper, who made up the secret part, and the
 * sharer, who typed it. It sees whether an attempt succeeded only because the helper tells
 * it; an attempt counts against the code as soon as the sharer could have learnt anything
 * from it (its key confirmation reached the helper).
 *
 * The relay: once paired, each app opens a further connection whose first request is
 * {"type":"relay-join","id":N,"token":…,"pairing":…,"relay":base64(32 bytes)}, the relay id
 * both derived from the PAKE key (so the server, which never has the key, cannot make one up).
 * The first joiner's id is kept as a SHA-256; the second must be the other role of the same
 * pairing with the same id. Both then get {"type":"relay-ready"} and the server copies binary
 * messages between them unchanged. Errors (RH-7008, or RH-5004 for a connection already in
 * use) close the offending connection; a third joiner, data before relay-ready or text after
 * it close both ends. The relay ends with either end, or with the pairing. A receiver with
 * more than 1 MiB queued pauses reading from the sender until it drains below 256 KiB.
 */
#define G_LOG_DOMAIN "rh-server"

#include "config.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "rh-admin.h"
#include "rh-error.h"
#include "rh-fingerprint.h"
#include "rh-identity-card.h"
#include "rh-message.h"
#include "rh-pairing-code.h"
#include "rh-admin-console.h"
#include "rh-password.h"
#include "rh-rendezvous-client.h"
#include "rh-rendezvous-server.h"
#include "rh-settings.h"
#include "rh-spake2.h"
#include "rh-ws-client.h"
#include "rh-ws-server.h"

/* A connection that keeps sending invalid requests is dropped. */
#define MAX_PROTOCOL_ERRORS 10
#define CARD_GRACE_SECONDS  3600
#define PURGE_INTERVAL_MS   (3600 * 1000)
#define MAX_LOGIN_LEN       64
#define MAX_PASSWORD_LEN    1024
#define MAX_TOKEN_LEN       128
#define MAX_PEER_DATA       (48 * 1024)
#define SESSION_UPDATE_MS   (30 * 1000)
/* Characters; a message is at most 4 bytes per character on the wire. */
#define MAX_CHAT_CHARS      4000
/* Every message is written to the database: a runaway app must not be able to fill it. */
#define CHAT_RATE_WINDOW_US (10 * G_USEC_PER_SEC)
#define CHAT_RATE_MAX       30
/* Administrator-access reports are written to the database too. */
#define ELEVATION_RATE_WINDOW_US (10 * G_USEC_PER_SEC)
#define ELEVATION_RATE_MAX       30
#define MAX_ELEVATION_TOOL_CHARS  64
#define MAX_ELEVATION_ERROR_CHARS 300
#define MAX_ELEVATION_STEPS_CHARS 2000
#define ELEVATION_TAIL_US        (10 * 60 * G_USEC_PER_SEC)

typedef enum
{
  RV_WAITING,   /* code issued, no sharer yet */
  RV_ATTEMPT,   /* a sharer is running the PAKE */
  RV_PAIRED,
} RendezvousState;

typedef struct _Conn Conn;
typedef struct _Relay Relay;

typedef struct
{
  RhRendezvousServer *server;
  char                slot[RH_PAIRING_SLOT_LEN + 1];
  RendezvousState     state;
  Conn               *helper;
  Conn               *sharer;
  char               *helper_login;
  char               *sharer_login;
  char               *sharer_address;
  gint64              sharer_pending_id;
  gboolean            reply_sent;
  gboolean            confirm_sent;
  char                pairing_id[33];
  guint               expiry_timer;
  guint               attempt_timer;
  Relay              *relay;
  /* The session record, once the sharer reported what it shares (or the relay started one). */
  gint64              session_id;
  guint64             relay_bytes;
  char               *end_reason;
  /* What the helper may do towards this sharer, from the role assignments at redeem time. */
  RhPermissions       permissions;
  char               *reported_mode;  /* the sharer's last session report */
  /* Administrator access (issue #6): the sharer's app reported that the person allowed it. */
  gboolean            elevation_granted;
  /* The row a relay started and ended: late elevation reports still belong to it. */
  gint64              relay_session_id;
} Rendezvous;

/* What the sharer's connection keeps of its last pairing once it ended: the end of
 * administrator access (ending tools, signing out) is usually reported after the helper left,
 * which ends the pairing. Accepted for ELEVATION_TAIL_US on that connection only. */
typedef struct
{
  char     pairing_id[33];
  char    *helper_login;
  char    *sharer_login;
  gint64   session_id;
  gboolean granted;
  gint64   expires_at;  /* monotonic µs */
} ElevationTail;

/* The blind relay of a paired rendezvous: two further connections, one from each app, that
 * present the relay id both apps derived from the PAKE key. The server keeps only its hash and
 * copies binary messages between them without looking inside (RDP runs its own TLS end to
 * end). The session row is started with mode "unknown": the apps do not negotiate a mode
 * (view or control) with the server yet. */
struct _Relay
{
  RhRendezvousServer *server;
  Rendezvous         *rv;          /* NULL once detached */
  char                pairing_id[33];
  char               *helper_login;
  char               *sharer_login;
  guint8              id_hash[RH_FINGERPRINT_LEN];
  Conn               *helper;
  Conn               *sharer;
  gboolean            ready;
  guint64             bytes;
  gint64              session_id;  /* 0: no session row */
  gboolean            owns_session; /* else the rendezvous's row, which outlives the relay */
  guint               update_timer;
};

/* A fixed-window rate limit: at most some events per window, per connection. */
typedef struct
{
  gint64 start;   /* of the current window, monotonic µs */
  guint  count;
} RateWindow;

static gboolean
rate_allow (RateWindow *rate,
            gint64      window_us,
            guint       max)
{
  gint64 now = g_get_monotonic_time ();

  if (now - rate->start > window_us)
    {
      rate->start = now;
      rate->count = 0;
    }
  return ++rate->count <= max;
}

struct _Conn
{
  RhRendezvousServer *server;
  RhWsPeer           *peer;
  char               *login;
  Rendezvous         *rendezvous;
  guint               errors;
  Relay              *relay;       /* set once this connection joined a relay */
  gint64              join_id;
  RhWsFlowGate        gate;        /* back-pressure on what is queued towards this end */
  RateWindow          chat_rate;
  RateWindow          elevation_rate;  /* administrator-access reports */
  ElevationTail      *elevation_tail;   /* the sharer's last ended pairing */
};

struct _RhRendezvousServer
{
  GObject                    parent_instance;

  RhStore                   *store;
  RhOrgKey                  *org_key;
  RhWsServer                *ws;
  RhRendezvousServerOptions  options;
  GHashTable                *rendezvous; /* slot → Rendezvous */
  guint                      purge_timer;
  RhAdminConsole            *console;
};

G_DEFINE_FINAL_TYPE (RhRendezvousServer, rh_rendezvous_server, G_TYPE_OBJECT)

static void rendezvous_free (Rendezvous *rv);
static void relay_end       (Relay       *relay,
                             const char  *reason,
                             RhErrorCode  code,
                             const char  *message);
static gboolean chat_enabled (RhRendezvousServer *self);
static void end_pairing     (Rendezvous *rv,
                             Conn       *leaving,
                             const char *reason);

guint
rh_backoff_delay (int failures)
{
  guint delay = RH_BACKOFF_BASE_SECONDS;

  if (failures < RH_BACKOFF_THRESHOLD)
    return 0;
  for (int i = RH_BACKOFF_THRESHOLD; i < failures && delay < RH_BACKOFF_MAX_SECONDS; i++)
    delay *= 2;
  return MIN (delay, RH_BACKOFF_MAX_SECONDS);
}

void
rh_rendezvous_server_options_init (RhRendezvousServerOptions *options)
{
  memset (options, 0, sizeof *options);
  options->address = "127.0.0.1";
  options->port = 8443;
  options->code_lifetime = 600;
  options->token_lifetime = 12 * 3600;
  options->pake_timeout = 30;
  options->auth_timeout = 30;
}

static gint64
now_seconds (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

/* Sending */

static void
send_object (Conn       *conn,
             JsonObject *msg)
{
  g_autofree char *text = rh_message_to_string (msg);

  rh_ws_peer_send_text (conn->peer, text, -1);
}

static void
send_error (Conn         *conn,
            gint64        id,
            const GError *error)
{
  g_autoptr(JsonObject) msg = rh_message_new_error (id, error);

  send_object (conn, msg);
}

static void
send_error_code (Conn        *conn,
                 gint64       id,
                 RhErrorCode  code,
                 const char  *message)
{
  g_autoptr(GError) error = g_error_new_literal (RH_PROTOCOL_ERROR, code, message);

  send_error (conn, id, error);
}

static JsonObject *
new_reply (const char *type,
           gint64      id)
{
  JsonObject *msg = rh_message_new (type);

  if (id >= 0)
    json_object_set_int_member (msg, "id", id);
  return msg;
}

static void
send_ok (Conn   *conn,
         gint64  id)
{
  g_autoptr(JsonObject) msg = new_reply ("ok", id);

  send_object (conn, msg);
}

/* Audit: failures to write it are logged but never turn a user's request into an error. */
static void
audit (RhRendezvousServer *self,
       const char         *actor,
       const char         *action,
       const char         *key1,
       const char         *value1,
       const char         *key2,
       const char         *value2)
{
  g_autoptr(JsonObject) detail = json_object_new ();
  g_autofree char *json = NULL;
  g_autoptr(GError) error = NULL;

  if (key1)
    json_object_set_string_member (detail, key1, value1 ? value1 : "");
  if (key2)
    json_object_set_string_member (detail, key2, value2 ? value2 : "");
  json = rh_message_to_string (detail);
  if (!rh_store_audit_append (self->store, now_seconds (), actor ? actor : "-", action, json,
                              &error))
    g_warning ("Could not write audit entry %s: %s", action, error->message);
}

/* Back-off per source address */

static gboolean
backoff_check (RhRendezvousServer  *self,
               const char          *kind,
               const char          *address,
               GError             **error)
{
  g_autofree char *key = g_strdup_printf ("%s:%s", kind, address);
  int failures;
  gint64 blocked_until;
  gint64 now = now_seconds ();

  if (!rh_store_backoff_get (self->store, key, &failures, &blocked_until, error))
    return FALSE;
  if (blocked_until > now)
    {
      g_set_error (error, RH_PROTOCOL_ERROR, RH_ERROR_RATE_LIMITED,
                   "Too many failed attempts from this address; try again in %" G_GINT64_FORMAT
                   " seconds", blocked_until - now);
      return FALSE;
    }
  return TRUE;
}

static void
backoff_fail (RhRendezvousServer *self,
              const char         *kind,
              const char         *address)
{
  g_autofree char *key = g_strdup_printf ("%s:%s", kind, address);
  g_autoptr(GError) error = NULL;
  int failures = 0;
  gint64 blocked_until = 0;
  gint64 now = now_seconds ();
  guint delay;

  if (!rh_store_backoff_get (self->store, key, &failures, &blocked_until, &error))
    {
      g_warning ("Back-off lookup failed: %s", error->message);
      return;
    }
  failures++;
  delay = rh_backoff_delay (failures);
  if (delay > 0)
    g_message ("Blocking %s attempts from %s for %u s after %d failures", kind, address, delay,
               failures);
  if (!rh_store_backoff_put (self->store, key, failures, delay ? now + delay : 0, now, &error))
    g_warning ("Back-off update failed: %s", error->message);
}

static void
backoff_clear (RhRendezvousServer *self,
               const char         *kind,
               const char         *address)
{
  g_autofree char *key = g_strdup_printf ("%s:%s", kind, address);
  g_autoptr(GError) error = NULL;

  if (!rh_store_backoff_clear (self->store, key, &error))
    g_warning ("Back-off reset failed: %s", error->message);
}

/* Authentication */

static char *
new_token (guint8 hash[RH_FINGERPRINT_LEN])
{
  guint8 raw[32];
  char *token;

  if (RAND_bytes (raw, sizeof raw) != 1)
    g_error ("The OS random number generator failed");
  token = g_base64_encode (raw, sizeof raw);
  for (char *p = token; *p; p++)
    if (*p == '+')
      *p = '-';
    else if (*p == '/')
      *p = '_';
  explicit_bzero (raw, sizeof raw);
  rh_fingerprint_sha256 ((const guint8 *) token, strlen (token), hash);
  return token;
}

static gboolean
service_enabled (RhRendezvousServer  *self,
                 GError             **error)
{
  gboolean enabled = FALSE;

  if (!rh_settings_get_boolean (self->store, RH_SETTING_REMOTE_HELP_ENABLED, &enabled, error))
    return FALSE;
  if (!enabled)
    {
      g_set_error_literal (error, RH_PROTOCOL_ERROR, RH_ERROR_SERVICE_DISABLED,
                           "Remote Help is disabled for this organisation");
      return FALSE;
    }
  return TRUE;
}

/* Every request but sign-in carries the token; a connection stays bound to one user. */
static gboolean
authenticate (Conn        *conn,
              JsonObject  *msg,
              GError     **error)
{
  RhRendezvousServer *self = conn->server;
  const char *token;
  guint8 hash[RH_FINGERPRINT_LEN];
  g_autofree char *login = NULL;

  if (!service_enabled (self, error))
    return FALSE;

  token = rh_message_get_string_or_null (msg, "token", MAX_TOKEN_LEN, NULL);
  if (token == NULL)
    {
      g_set_error_literal (error, RH_PROTOCOL_ERROR, RH_ERROR_NOT_SIGNED_IN,
                           "This request needs a sign-in token");
      return FALSE;
    }
  rh_fingerprint_sha256 ((const guint8 *) token, strlen (token), hash);
  if (!rh_store_token_lookup (self->store, hash, now_seconds (), &login, error))
    return FALSE;
  if (login == NULL)
    {
      g_set_error_literal (error, RH_PROTOCOL_ERROR, RH_ERROR_TOKEN_INVALID,
                           "The sign-in token is unknown, expired or revoked");
      return FALSE;
    }
  if (conn->login != NULL && g_strcmp0 (conn->login, login) != 0)
    {
      g_set_error_literal (error, RH_PROTOCOL_ERROR, RH_ERROR_UNEXPECTED_MESSAGE,
                           "This connection belongs to another user");
      return FALSE;
    }
  if (conn->login == NULL)
    {
      conn->login = g_steal_pointer (&login);
      rh_ws_peer_set_authenticated (conn->peer);
    }
  return TRUE;
}

static void
handle_sign_in (Conn       *conn,
                gint64      id,
                JsonObject *msg)
{
  RhRendezvousServer *self = conn->server;
  const char *address = rh_ws_peer_get_address (conn->peer);
  g_autoptr(GError) error = NULL;
  g_autoptr(RhUser) user = NULL;
  g_autoptr(JsonObject) reply = NULL;
  g_autofree char *token = NULL;
  const char *login, *password;
  guint8 hash[RH_FINGERPRINT_LEN];
  gboolean match = FALSE;
  gint64 expires_at;

  if (!service_enabled (self, &error) || !backoff_check (self, "sign-in", address, &error))
    goto fail;

  login = rh_message_get_string (msg, "login", MAX_LOGIN_LEN, &error);
  password = login ? rh_message_get_string (msg, "password", MAX_PASSWORD_LEN, &error) : NULL;
  if (password == NULL)
    goto fail;

  user = rh_store_user_get (self->store, login, &error);
  if (user == NULL && !g_error_matches (error, RH_STORE_ERROR, RH_ERROR_UNKNOWN_USER))
    goto fail;
  g_clear_error (&error);

  /* Unknown logins cost the same scrypt time as known ones. */
  if (!rh_password_verify (password, user ? user->password_hash : NULL, &match, &error))
    goto fail;
  if (!match)
    {
      backoff_fail (self, "sign-in", address);
      audit (self, login, "sign-in.failed", "address", address, NULL, NULL);
      g_set_error_literal (&error, RH_PROTOCOL_ERROR, RH_ERROR_SIGN_IN_FAILED,
                           "Wrong user name or password");
      goto fail;
    }
  /* Told only to someone who knows the password, so it reveals nothing to guessers. */
  if (user->disabled)
    {
      g_set_error_literal (&error, RH_PROTOCOL_ERROR, RH_ERROR_ACCOUNT_DISABLED,
                           "This account is disabled");
      goto fail;
    }
  if (conn->login != NULL && g_strcmp0 (conn->login, user->login) != 0)
    {
      g_set_error_literal (&error, RH_PROTOCOL_ERROR, RH_ERROR_UNEXPECTED_MESSAGE,
                           "This connection belongs to another user");
      goto fail;
    }

  backoff_clear (self, "sign-in", address);
  token = new_token (hash);
  expires_at = now_seconds () + self->options.token_lifetime;
  if (!rh_store_token_add (self->store, hash, user->login, expires_at, &error))
    goto fail;

  if (conn->login == NULL)
    {
      conn->login = g_strdup (user->login);
      rh_ws_peer_set_authenticated (conn->peer);
    }
  g_info ("%s signed in from %s", user->login, address);

  reply = new_reply ("signed-in", id);
  json_object_set_string_member (reply, "token", token);
  json_object_set_int_member (reply, "expires_at", expires_at);
  json_object_set_string_member (reply, "login", user->login);
  json_object_set_string_member (reply, "display_name", user->display_name ? user->display_name : "");
  send_object (conn, reply);
  explicit_bzero (token, strlen (token));
  return;

fail:
  send_error (conn, id, error);
}

static void
handle_sign_out (Conn       *conn,
                 gint64      id,
                 JsonObject *msg)
{
  g_autoptr(GError) error = NULL;
  const char *token = rh_message_get_string (msg, "token", MAX_TOKEN_LEN, &error);
  guint8 hash[RH_FINGERPRINT_LEN];

  if (token == NULL)
    {
      send_error (conn, id, error);
      return;
    }
  rh_fingerprint_sha256 ((const guint8 *) token, strlen (token), hash);
  if (!rh_store_token_revoke (conn->server->store, hash, &error))
    send_error (conn, id, error);
  else
    send_ok (conn, id);
}

/* Rendezvous life cycle */

static Conn *
other_side (Rendezvous *rv,
            Conn       *conn)
{
  return conn == rv->helper ? rv->sharer : rv->helper;
}

static void
set_slot_state (RhRendezvousServer *self,
                const char         *slot,
                RhSlotState         state)
{
  g_autoptr(GError) error = NULL;

  if (!rh_store_slot_set_state (self->store, slot, state, &error))
    g_warning ("Could not update code state: %s", error->message);
}

static gint64 session_row_of (Rendezvous *rv);

static void
elevation_tail_free (ElevationTail *tail)
{
  if (tail == NULL)
    return;
  g_free (tail->helper_login);
  g_free (tail->sharer_login);
  g_free (tail);
}

static void
rendezvous_remove (Rendezvous *rv)
{
  if (rv->state == RV_PAIRED && rv->sharer != NULL)
    {
      ElevationTail *tail = g_new0 (ElevationTail, 1);

      memcpy (tail->pairing_id, rv->pairing_id, sizeof tail->pairing_id);
      tail->helper_login = g_strdup (rv->helper_login);
      tail->sharer_login = g_strdup (rv->sharer_login);
      tail->session_id = session_row_of (rv);
      tail->granted = rv->elevation_granted;
      tail->expires_at = g_get_monotonic_time () + ELEVATION_TAIL_US;
      elevation_tail_free (rv->sharer->elevation_tail);
      rv->sharer->elevation_tail = tail;
    }
  if (rv->helper)
    rv->helper->rendezvous = NULL;
  if (rv->sharer)
    rv->sharer->rendezvous = NULL;
  g_hash_table_remove (rv->server->rendezvous, rv->slot);
}

static void
detach_sharer (Rendezvous *rv)
{
  RhRendezvousServer *self = rv->server;

  if (rv->attempt_timer)
    rh_ws_server_cancel_timer (self->ws, rv->attempt_timer);
  rv->attempt_timer = 0;
  if (rv->sharer)
    rv->sharer->rendezvous = NULL;
  rv->sharer = NULL;
  g_clear_pointer (&rv->sharer_login, g_free);
  g_clear_pointer (&rv->sharer_address, g_free);
  rv->sharer_pending_id = -1;
  rv->reply_sent = FALSE;
  rv->confirm_sent = FALSE;
  rv->state = RV_WAITING;
}

static void
on_code_expired (gpointer data)
{
  Rendezvous *rv = data;
  g_autoptr(JsonObject) msg = NULL;

  rv->expiry_timer = 0;
  if (rv->state != RV_WAITING)
    return; /* an attempt in progress finishes on its own timer */

  msg = rh_message_new ("code-expired");
  send_object (rv->helper, msg);
  audit (rv->server, rv->helper_login, "code.expired", NULL, NULL, NULL, NULL);
  rendezvous_remove (rv);
}

static void
on_attempt_timeout (gpointer data)
{
  Rendezvous *rv = data;
  RhRendezvousServer *self = rv->server;
  g_autoptr(JsonObject) msg = rh_message_new ("attempt-abandoned");

  rv->attempt_timer = 0;
  g_message ("Pairing attempt from %s timed out", rv->sharer_address);
  backoff_fail (self, "pair", rv->sharer_address);
  if (rv->sharer)
    send_error_code (rv->sharer, rv->sharer_pending_id, RH_ERROR_TIMEOUT,
                     "The helper's app did not complete the pairing in time");
  send_object (rv->helper, msg);
  detach_sharer (rv);
  /* The code may have run out while the attempt was going on. */
  if (rv->expiry_timer == 0)
    on_code_expired (rv);
}

/* Each side's identity card, signed by the organisation for one slot. */
static gboolean
sign_card_full (RhRendezvousServer  *self,
                const RhUser        *user,
                const char          *role,
                const char          *slot,
                gint64               issued_at,
                gint64               expires_at,
                const char          *sharer,
                RhPermissions        permissions,
                char               **out_json,
                GBytes             **out_sig,
                GError             **error)
{
  g_autoptr(RhIdentityCard) card = rh_identity_card_new ();

  /* Only a card for one sharer says what the helper may do: the card of the code request,
   * before anyone typed the code, carries no permissions and so grants nothing. */
  if (sharer != NULL)
    {
      card->has_permissions = TRUE;
      card->permissions = permissions;
      card->sharer = g_strdup (sharer);
    }

  card->role = g_strdup (role);
  card->login = g_strdup (user->login);
  card->display_name = g_strdup (user->display_name);
  card->job_title = g_strdup (user->job_title);
  card->company = g_strdup (user->company);
  card->domain = g_strdup (user->domain);
  card->photo = user->photo ? g_bytes_ref (user->photo) : NULL;
  card->slot = g_strdup (slot);
  card->issued_at = issued_at;
  card->expires_at = expires_at;
  return rh_identity_card_sign (card, self->org_key, out_json, out_sig, error);
}

static gboolean
sign_card (RhRendezvousServer  *self,
           const RhUser        *user,
           const char          *role,
           const char          *slot,
           gint64               issued_at,
           gint64               expires_at,
           char               **out_json,
           GBytes             **out_sig,
           GError             **error)
{
  return sign_card_full (self, user, role, slot, issued_at, expires_at, NULL, 0, out_json,
                         out_sig, error);
}

/* Roles and scopes (issue #5): the store's answer now, so that an administrator's change
 * applies to the next step of a pairing already under way. A failed lookup grants nothing. */
static RhPermissions
permissions_of (RhRendezvousServer *self,
                const char         *helper,
                const char         *sharer)
{
  g_autoptr(GError) error = NULL;
  RhPermissions permissions = RH_PERMISSION_NONE;

  if (!rh_store_effective_permissions (self->store, helper, sharer, &permissions, &error))
    {
      g_warning ("Cannot read the permissions of %s: %s", helper, error->message);
      return RH_PERMISSION_NONE;
    }
  return permissions;
}

static RhPermissions
mode_permission (const char *mode)
{
  return g_strcmp0 (mode, "control") == 0 ? RH_PERMISSION_TAKE_FULL_CONTROL
                                           : RH_PERMISSION_VIEW_SCREEN;
}

static void
handle_code_request (Conn       *conn,
                     gint64      id,
                     JsonObject *msg)
{
  RhRendezvousServer *self = conn->server;
  g_autoptr(GError) error = NULL;
  g_autoptr(RhUser) user = NULL;
  g_autoptr(JsonObject) reply = NULL;
  g_autofree char *card_json = NULL;
  g_autoptr(GBytes) card_sig = NULL;
  char slot[RH_PAIRING_SLOT_LEN + 1];
  gboolean created = FALSE;
  gint64 now = now_seconds ();
  gint64 expires_at = now + self->options.code_lifetime;
  Rendezvous *rv;

  if (conn->rendezvous != NULL)
    {
      if (conn->rendezvous->state != RV_WAITING || conn->rendezvous->helper != conn)
        {
          send_error_code (conn, id, RH_ERROR_UNEXPECTED_MESSAGE,
                           "A pairing is in progress on this connection");
          return;
        }
      /* A new code replaces the helper's previous one. */
      set_slot_state (self, conn->rendezvous->slot, RH_SLOT_STATE_CANCELLED);
      rendezvous_remove (conn->rendezvous);
    }

  user = rh_store_user_get (self->store, conn->login, &error);
  if (user == NULL)
    {
      send_error (conn, id, error);
      return;
    }
  if ((permissions_of (self, conn->login, NULL) & RH_PERMISSION_VIEW_SCREEN) == 0)
    {
      audit (self, conn->login, "code.refused", "reason", "not-assigned", NULL, NULL);
      send_error_code (conn, id, RH_ERROR_NOT_ASSIGNED,
                       "No role assignment lets this account help anyone");
      return;
    }

  /* Slots are random so that a live one cannot be guessed from the last one handed out. */
  for (int i = 0; i < 64 && !created; i++)
    {
      rh_pairing_code_random (slot, RH_PAIRING_SLOT_LEN);
      if (g_hash_table_contains (self->rendezvous, slot))
        continue;
      if (!rh_store_slot_create (self->store, slot, conn->login, now, expires_at, &created,
                                 &error))
        {
          send_error (conn, id, error);
          return;
        }
    }
  if (!created)
    {
      send_error_code (conn, id, RH_ERROR_NO_FREE_SLOT, "No free security code right now");
      return;
    }

  if (!sign_card (self, user, "helper", slot, now, expires_at + CARD_GRACE_SECONDS, &card_json,
                  &card_sig, &error))
    {
      set_slot_state (self, slot, RH_SLOT_STATE_CANCELLED);
      send_error (conn, id, error);
      return;
    }

  rv = g_new0 (Rendezvous, 1);
  rv->server = self;
  memcpy (rv->slot, slot, sizeof slot);
  rv->state = RV_WAITING;
  rv->helper = conn;
  rv->helper_login = g_strdup (conn->login);
  rv->sharer_pending_id = -1;
  rv->expiry_timer = rh_ws_server_add_timer (self->ws, self->options.code_lifetime * 1000,
                                             on_code_expired, rv);
  g_hash_table_insert (self->rendezvous, rv->slot, rv);
  conn->rendezvous = rv;

  audit (self, conn->login, "code.issued", NULL, NULL, NULL, NULL);

  reply = new_reply ("code", id);
  json_object_set_string_member (reply, "slot", slot);
  json_object_set_int_member (reply, "expires_at", expires_at);
  json_object_set_int_member (reply, "lifetime", self->options.code_lifetime);
  json_object_set_string_member (reply, "card", card_json);
  rh_message_set_bytes (reply, "card_sig", g_bytes_get_data (card_sig, NULL),
                        g_bytes_get_size (card_sig));
  send_object (conn, reply);
}

static void
handle_code_cancel (Conn       *conn,
                    gint64      id,
                    JsonObject *msg)
{
  Rendezvous *rv = conn->rendezvous;

  if (rv == NULL || rv->helper != conn || rv->state == RV_PAIRED)
    {
      send_error_code (conn, id, RH_ERROR_UNEXPECTED_MESSAGE, "No security code to cancel");
      return;
    }
  if (rv->sharer)
    send_error_code (rv->sharer, rv->sharer_pending_id, RH_ERROR_PEER_LEFT,
                     "The helper cancelled the security code");
  set_slot_state (conn->server, rv->slot, RH_SLOT_STATE_CANCELLED);
  audit (conn->server, conn->login, "code.cancelled", NULL, NULL, NULL, NULL);
  rendezvous_remove (rv);
  send_ok (conn, id);
}

static void
handle_code_redeem (Conn       *conn,
                    gint64      id,
                    JsonObject *msg)
{
  RhRendezvousServer *self = conn->server;
  const char *address = rh_ws_peer_get_address (conn->peer);
  g_autoptr(GError) error = NULL;
  g_autoptr(RhSlot) slot_row = NULL;
  g_autoptr(GBytes) pake = NULL;
  g_autoptr(JsonObject) fwd = NULL;
  g_autofree char *helper_card = NULL;
  g_autoptr(GBytes) helper_card_sig = NULL;
  const char *slot;
  Rendezvous *rv;

  if (conn->rendezvous != NULL)
    {
      send_error_code (conn, id, RH_ERROR_UNEXPECTED_MESSAGE,
                       "A pairing is in progress on this connection");
      return;
    }
  if (!backoff_check (self, "pair", address, &error))
    {
      send_error (conn, id, error);
      return;
    }
  slot = rh_message_get_string (msg, "slot", 16, &error);
  pake = slot ? rh_message_get_bytes (msg, "pake", RH_SPAKE2_MESSAGE_LEN, 0, &error) : NULL;
  if (pake == NULL)
    {
      send_error (conn, id, error);
      return;
    }

  if (!rh_pairing_code_is_valid_slot (slot))
    goto invalid;
  slot_row = rh_store_slot_get (self->store, slot, &error);
  if (slot_row == NULL && error != NULL)
    {
      send_error (conn, id, error);
      return;
    }
  if (slot_row == NULL)
    goto invalid;
  if (slot_row->state == RH_SLOT_STATE_BURNED)
    {
      backoff_fail (self, "pair", address);
      send_error_code (conn, id, RH_ERROR_CODE_BURNED,
                       "This security code was blocked after three failed attempts");
      return;
    }
  if (slot_row->state != RH_SLOT_STATE_LIVE)
    goto invalid;
  if (slot_row->expires_at <= now_seconds ())
    {
      backoff_fail (self, "pair", address);
      send_error_code (conn, id, RH_ERROR_CODE_EXPIRED, "This security code has expired");
      return;
    }
  rv = g_hash_table_lookup (self->rendezvous, slot);
  if (rv == NULL)
    goto invalid; /* its helper left */
  if (rv->state != RV_WAITING)
    {
      send_error_code (conn, id, RH_ERROR_CODE_BUSY,
                       "Another attempt with this security code is in progress");
      return;
    }

  /* Before any PAKE message moves: an out-of-scope sharer learns nothing but the refusal, and
   * the code stays usable for the person it was meant for. */
  {
    RhPermissions permissions = permissions_of (self, rv->helper_login, conn->login);
    g_autoptr(RhUser) helper = NULL;

    if ((permissions & RH_PERMISSION_VIEW_SCREEN) == 0)
      {
        g_autoptr(JsonObject) refused = rh_message_new ("pairing-refused");

        audit (self, conn->login, "pairing.refused", "helper", rv->helper_login, "reason",
               "out-of-scope");
        g_message ("Refused pairing %s with %s: not in the helper's scope", rv->helper_login,
                   conn->login);
        send_error_code (conn, id, RH_ERROR_OUT_OF_SCOPE,
                         "The helper who gave you this code may not help you; ask your "
                         "helpdesk for someone who may");
        json_object_set_string_member (refused, "slot", rv->slot);
        json_object_set_int_member (refused, "code", RH_ERROR_OUT_OF_SCOPE);
        json_object_set_string_member (refused, "message",
                                       "The person who typed your code is outside your scope");
        send_object (rv->helper, refused);
        return;
      }

    /* The helper's card for this sharer, with what it may do: the helper presents it inside
     * the encrypted channel and the sharer's app enforces it. */
    helper = rh_store_user_get (self->store, rv->helper_login, &error);
    if (helper == NULL ||
        !sign_card_full (self, helper, "helper", rv->slot, now_seconds (),
                         slot_row->expires_at + CARD_GRACE_SECONDS, conn->login, permissions,
                         &helper_card, &helper_card_sig, &error))
      {
        send_error (conn, id, error);
        return;
      }
    rv->permissions = permissions;
  }

  rv->state = RV_ATTEMPT;
  rv->sharer = conn;
  rv->sharer_login = g_strdup (conn->login);
  rv->sharer_address = g_strdup (address);
  rv->sharer_pending_id = id;
  rv->attempt_timer = rh_ws_server_add_timer (self->ws, self->options.pake_timeout * 1000,
                                              on_attempt_timeout, rv);
  conn->rendezvous = rv;

  fwd = rh_message_new ("pairing-start");
  json_object_set_string_member (fwd, "slot", rv->slot);
  json_object_set_string_member (fwd, "sharer", conn->login);
  rh_message_set_bytes (fwd, "pake", g_bytes_get_data (pake, NULL), g_bytes_get_size (pake));
  json_object_set_string_member (fwd, "card", helper_card);
  rh_message_set_bytes (fwd, "card_sig", g_bytes_get_data (helper_card_sig, NULL),
                        g_bytes_get_size (helper_card_sig));
  send_object (rv->helper, fwd);
  return;

invalid:
  backoff_fail (self, "pair", address);
  g_info ("Rejected a security code from %s", address);
  send_error_code (conn, id, RH_ERROR_CODE_INVALID,
                   "This security code is not valid; check it or ask for a new one");
}

/* Checks that a message about `slot` comes from the right side in the right state. */
static Rendezvous *
rendezvous_for (Conn            *conn,
                gint64           id,
                JsonObject      *msg,
                gboolean         from_helper,
                RendezvousState  state)
{
  g_autoptr(GError) error = NULL;
  Rendezvous *rv = conn->rendezvous;
  const char *slot = rh_message_get_string (msg, "slot", 16, &error);

  if (slot == NULL)
    {
      send_error (conn, id, error);
      return NULL;
    }
  if (rv == NULL || g_strcmp0 (rv->slot, slot) != 0 || rv->state != state ||
      (from_helper ? rv->helper : rv->sharer) != conn)
    {
      send_error_code (conn, id, RH_ERROR_UNEXPECTED_MESSAGE,
                       "This message does not fit the state of the pairing");
      return NULL;
    }
  return rv;
}

static void
handle_pake_reply (Conn       *conn,
                   gint64      id,
                   JsonObject *msg)
{
  RhRendezvousServer *self = conn->server;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) pake = NULL;
  g_autoptr(JsonObject) fwd = NULL;
  g_autoptr(RhUser) user = NULL;
  g_autofree char *card_json = NULL;
  g_autoptr(GBytes) card_sig = NULL;
  Rendezvous *rv = rendezvous_for (conn, id, msg, TRUE, RV_ATTEMPT);

  if (rv == NULL)
    return;
  if (rv->reply_sent)
    {
      send_error_code (conn, id, RH_ERROR_UNEXPECTED_MESSAGE, "The reply was sent already");
      return;
    }
  pake = rh_message_get_bytes (msg, "pake", RH_SPAKE2_MESSAGE_LEN, 0, &error);
  if (pake == NULL)
    {
      send_error (conn, id, error);
      return;
    }

  /* The sharer's card, signed now, goes to the sharer, who hands it to the helper inside the
   * encrypted channel. */
  user = rh_store_user_get (self->store, rv->sharer_login, &error);
  if (user == NULL)
    {
      send_error (conn, id, error);
      return;
    }
  if (!sign_card (self, user, "sharer", rv->slot, now_seconds (),
                  now_seconds () + CARD_GRACE_SECONDS, &card_json, &card_sig, &error))
    {
      send_error (conn, id, error);
      return;
    }

  rv->reply_sent = TRUE;
  fwd = new_reply ("pairing-reply", rv->sharer_pending_id);
  json_object_set_string_member (fwd, "slot", rv->slot);
  json_object_set_string_member (fwd, "helper", rv->helper_login);
  rh_message_set_bytes (fwd, "pake", g_bytes_get_data (pake, NULL), g_bytes_get_size (pake));
  json_object_set_string_member (fwd, "card", card_json);
  rh_message_set_bytes (fwd, "card_sig", g_bytes_get_data (card_sig, NULL),
                        g_bytes_get_size (card_sig));
  send_object (rv->sharer, fwd);
  send_ok (conn, id);
}

static void
handle_pake_confirm (Conn       *conn,
                     gint64      id,
                     JsonObject *msg)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) confirm = NULL;
  g_autoptr(JsonObject) fwd = NULL;
  Rendezvous *rv = rendezvous_for (conn, id, msg, FALSE, RV_ATTEMPT);

  if (rv == NULL)
    return;
  if (!rv->reply_sent || rv->confirm_sent)
    {
      send_error_code (conn, id, RH_ERROR_UNEXPECTED_MESSAGE,
                       "Key confirmation is not expected now");
      return;
    }
  confirm = rh_message_get_bytes (msg, "confirm", RH_SPAKE2_MAC_LEN, 0, &error);
  if (confirm == NULL)
    {
      send_error (conn, id, error);
      return;
    }
  rv->confirm_sent = TRUE;
  rv->sharer_pending_id = id;
  fwd = rh_message_new ("pairing-confirm");
  json_object_set_string_member (fwd, "slot", rv->slot);
  rh_message_set_bytes (fwd, "confirm", g_bytes_get_data (confirm, NULL),
                        g_bytes_get_size (confirm));
  send_object (rv->helper, fwd);
}

static void
attempt_failed (Rendezvous *rv,
                gint64      helper_id)
{
  RhRendezvousServer *self = rv->server;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) reply = NULL;
  int failures = RH_CODE_MAX_FAILURES;
  int remaining;

  if (!rh_store_slot_add_failure (self->store, rv->slot, RH_CODE_MAX_FAILURES, &failures,
                                  &error))
    g_warning ("Could not count a failed attempt: %s", error->message);
  remaining = MAX (0, RH_CODE_MAX_FAILURES - failures);
  backoff_fail (self, "pair", rv->sharer_address);
  audit (self, rv->sharer_login, "pairing.failed", "helper", rv->helper_login,
         "address", rv->sharer_address);
  g_message ("Failed pairing attempt from %s (%d left on that code)", rv->sharer_address,
             remaining);

  if (rv->sharer)
    send_error_code (rv->sharer, rv->sharer_pending_id,
                     remaining ? RH_ERROR_CODE_INVALID : RH_ERROR_CODE_BURNED,
                     remaining ? "This security code is not valid; check it or ask for a new one"
                               : "This security code was blocked after three failed attempts");

  reply = new_reply ("attempt-failed", helper_id);
  json_object_set_int_member (reply, "remaining", remaining);
  json_object_set_boolean_member (reply, "burned", remaining == 0);
  send_object (rv->helper, reply);

  detach_sharer (rv);
  if (remaining == 0)
    {
      audit (self, rv->helper_login, "code.burned", NULL, NULL, NULL, NULL);
      rendezvous_remove (rv);
    }
  else if (rv->expiry_timer == 0)
    on_code_expired (rv);
}

static void
handle_pake_result (Conn       *conn,
                    gint64      id,
                    JsonObject *msg)
{
  RhRendezvousServer *self = conn->server;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) confirm = NULL;
  g_autoptr(JsonObject) fwd = NULL;
  g_autoptr(JsonObject) reply = NULL;
  Rendezvous *rv = rendezvous_for (conn, id, msg, TRUE, RV_ATTEMPT);
  gboolean ok, chat;
  guint8 pairing[16];

  if (rv == NULL)
    return;
  if (!rh_message_get_bool (msg, "ok", &ok, &error))
    {
      send_error (conn, id, error);
      return;
    }
  if (!rv->confirm_sent)
    {
      send_error_code (conn, id, RH_ERROR_UNEXPECTED_MESSAGE,
                       "The sharer has not confirmed a key yet");
      return;
    }
  if (!ok)
    {
      attempt_failed (rv, id);
      return;
    }
  confirm = rh_message_get_bytes (msg, "confirm", RH_SPAKE2_MAC_LEN, 0, &error);
  if (confirm == NULL)
    {
      send_error (conn, id, error);
      return;
    }

  /* Single use: from here on the code can never pair again. */
  set_slot_state (self, rv->slot, RH_SLOT_STATE_CONSUMED);
  if (rv->attempt_timer)
    rh_ws_server_cancel_timer (self->ws, rv->attempt_timer);
  rv->attempt_timer = 0;
  if (rv->expiry_timer)
    rh_ws_server_cancel_timer (self->ws, rv->expiry_timer);
  rv->expiry_timer = 0;
  rv->state = RV_PAIRED;
  backoff_clear (self, "pair", rv->sharer_address);

  if (rv->sharer == NULL)
    {
      end_pairing (rv, NULL, "connection-lost");
      send_error_code (conn, id, RH_ERROR_PEER_LEFT, "The sharer's app disconnected");
      return;
    }

  if (RAND_bytes (pairing, sizeof pairing) != 1)
    g_error ("The OS random number generator failed");
  for (gsize i = 0; i < sizeof pairing; i++)
    g_snprintf (rv->pairing_id + 2 * i, 3, "%02x", pairing[i]);

  audit (self, rv->helper_login, "pairing.paired", "sharer", rv->sharer_login,
         "pairing", rv->pairing_id);
  g_message ("Paired helper %s with sharer %s", rv->helper_login, rv->sharer_login);

  chat = chat_enabled (self);
  fwd = new_reply ("paired", rv->sharer_pending_id);
  json_object_set_string_member (fwd, "pairing", rv->pairing_id);
  json_object_set_boolean_member (fwd, "chat", chat);
  rh_message_set_bytes (fwd, "confirm", g_bytes_get_data (confirm, NULL),
                        g_bytes_get_size (confirm));
  send_object (rv->sharer, fwd);

  reply = new_reply ("paired", id);
  json_object_set_string_member (reply, "pairing", rv->pairing_id);
  json_object_set_boolean_member (reply, "chat", chat);
  send_object (conn, reply);
}

static Rendezvous *
pairing_for (Conn       *conn,
             gint64      id,
             JsonObject *msg)
{
  g_autoptr(GError) error = NULL;
  const char *pairing = rh_message_get_string (msg, "pairing", 64, &error);
  Rendezvous *rv = conn->rendezvous;

  if (pairing == NULL)
    {
      send_error (conn, id, error);
      return NULL;
    }
  if (rv == NULL || rv->state != RV_PAIRED || g_strcmp0 (rv->pairing_id, pairing) != 0)
    {
      send_error_code (conn, id, RH_ERROR_UNEXPECTED_MESSAGE,
                       "This connection is not part of that pairing");
      return NULL;
    }
  return rv;
}

static void
handle_peer (Conn       *conn,
             gint64      id,
             JsonObject *msg)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) fwd = NULL;
  const char *data;
  Rendezvous *rv = pairing_for (conn, id, msg);

  if (rv == NULL)
    return;
  /* Opaque ciphertext: the server only checks its size and form. */
  data = rh_message_get_string (msg, "data", MAX_PEER_DATA, &error);
  if (data == NULL)
    {
      send_error (conn, id, error);
      return;
    }
  fwd = rh_message_new ("peer");
  json_object_set_string_member (fwd, "data", data);
  send_object (other_side (rv, conn), fwd);
}

static void
end_pairing (Rendezvous *rv,
             Conn       *leaving,
             const char *reason)
{
  /* leaving == NULL: the sharer vanished before the helper's verdict arrived. */
  Conn *other = leaving ? other_side (rv, leaving) : NULL;
  g_autoptr(JsonObject) msg = rh_message_new ("peer-left");
  const char *who = leaving == rv->helper ? rv->helper_login : rv->sharer_login;

  json_object_set_string_member (msg, "who", who);
  json_object_set_string_member (msg, "role", leaving == rv->helper ? "helper" : "sharer");
  json_object_set_string_member (msg, "reason", reason);
  if (other)
    send_object (other, msg);
  audit (rv->server, who, "pairing.ended", "pairing", rv->pairing_id, "reason", reason);
  g_free (rv->end_reason);
  rv->end_reason = g_strdup_printf ("%s-%s", leaving == rv->helper ? "helper" : "sharer", reason);
  rendezvous_remove (rv);
}

static void
handle_leave (Conn       *conn,
              gint64      id,
              JsonObject *msg)
{
  g_autoptr(GError) error = NULL;
  const char *reason = rh_message_get_string_or_null (msg, "reason", 64, &error);
  Rendezvous *rv = pairing_for (conn, id, msg);

  if (rv == NULL)
    return;
  if (error != NULL)
    {
      send_error (conn, id, error);
      return;
    }
  end_pairing (rv, conn, reason ? reason : "left");
  send_ok (conn, id);
}

/* Relay */

static Conn *
relay_other (Relay *relay,
             Conn  *conn)
{
  return conn == relay->helper ? relay->sharer : relay->helper;
}

static void
relay_free (Relay *relay)
{
  if (relay->update_timer)
    rh_ws_server_cancel_timer (relay->server->ws, relay->update_timer);
  g_free (relay->helper_login);
  g_free (relay->sharer_login);
  g_free (relay);
}

/* Closes both ends (telling them why when message is not NULL), ends the session record and
 * frees the relay. */
static void
relay_end (Relay       *relay,
           const char  *reason,
           RhErrorCode  code,
           const char  *message)
{
  RhRendezvousServer *self = relay->server;
  Conn *ends[2] = { relay->helper, relay->sharer };
  g_autoptr(GError) error = NULL;

  if (relay->rv != NULL)
    {
      relay->rv->relay = NULL;
      relay->rv->relay_bytes = relay->bytes;
      if (relay->owns_session)
        relay->rv->relay_session_id = relay->session_id;
    }
  relay->rv = NULL;
  relay->helper = NULL;
  relay->sharer = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (ends); i++)
    {
      if (ends[i] == NULL)
        continue;
      ends[i]->relay = NULL;
      if (message != NULL)
        send_error_code (ends[i], -1, code, message);
      rh_ws_peer_close (ends[i]->peer, message != NULL ? 1008 : 1000, "relay closed");
    }

  if (relay->session_id > 0 && relay->owns_session &&
      !rh_store_session_end (self->store, relay->session_id, now_seconds (), relay->bytes,
                             reason, &error))
    g_warning ("Could not end a session record: %s", error->message);
  else if (relay->session_id > 0 && !relay->owns_session &&
           !rh_store_session_update (self->store, relay->session_id, relay->bytes, &error))
    g_warning ("Could not update a session record: %s", error->message);
  if (relay->ready)
    {
      audit (self, relay->helper_login, "relay.closed", "pairing", relay->pairing_id,
             "reason", reason);
      g_message ("Relay between %s and %s closed (%s) after %" G_GUINT64_FORMAT " bytes",
                 relay->helper_login, relay->sharer_login, reason, relay->bytes);
    }
  relay_free (relay);
}

static void
on_relay_update (gpointer data)
{
  Relay *relay = data;
  g_autoptr(GError) error = NULL;

  relay->update_timer = 0;
  if (relay->session_id > 0 &&
      !rh_store_session_update (relay->server->store, relay->session_id, relay->bytes, &error))
    g_warning ("Could not update a session record: %s", error->message);
  relay->update_timer = rh_ws_server_add_timer (relay->server->ws, SESSION_UPDATE_MS,
                                                on_relay_update, relay);
}

static void
relay_start (Relay *relay)
{
  RhRendezvousServer *self = relay->server;
  g_autoptr(GError) error = NULL;
  Conn *ends[2] = { relay->helper, relay->sharer };

  relay->ready = TRUE;
  if (relay->rv != NULL && relay->rv->session_id > 0)
    {
      /* The sharer already reported the session: the relay adds its byte count. */
      relay->session_id = relay->rv->session_id;
      relay->owns_session = FALSE;
    }
  else if (!rh_store_session_start (self->store, relay->pairing_id, relay->helper_login,
                                    relay->sharer_login, NULL, "unknown", now_seconds (),
                                    &relay->session_id, &error))
    {
      g_warning ("Could not record a session: %s", error->message);
      relay->session_id = 0;
    }
  else
    relay->owns_session = TRUE;
  relay->update_timer = rh_ws_server_add_timer (self->ws, SESSION_UPDATE_MS, on_relay_update,
                                                relay);
  audit (self, relay->helper_login, "relay.ready", "pairing", relay->pairing_id,
         "sharer", relay->sharer_login);
  g_message ("Relay between %s and %s ready", relay->helper_login, relay->sharer_login);

  for (gsize i = 0; i < G_N_ELEMENTS (ends); i++)
    {
      g_autoptr(JsonObject) ready = new_reply ("relay-ready", ends[i]->join_id);

      send_object (ends[i], ready);
    }
}

/* Refuses a relay join: this connection only. */
static void
refuse_join (Conn         *conn,
             gint64        id,
             const GError *error)
{
  g_info ("Relay join from %s refused: RH-%04d %s", rh_ws_peer_get_address (conn->peer),
          error->code, error->message);
  send_error (conn, id, error);
  rh_ws_peer_close (conn->peer, 1008, "relay refused");
}

static void
refuse_join_code (Conn        *conn,
                  gint64       id,
                  RhErrorCode  code,
                  const char  *message)
{
  g_autoptr(GError) error = g_error_new_literal (RH_PROTOCOL_ERROR, code, message);

  refuse_join (conn, id, error);
}

static Rendezvous *
find_pairing (RhRendezvousServer *self,
              const char         *pairing)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->rendezvous);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Rendezvous *rv = value;

      if (rv->state == RV_PAIRED && rv->pairing_id[0] != '\0' &&
          g_str_equal (rv->pairing_id, pairing))
        return rv;
    }
  return NULL;
}

static void
handle_relay_join (Conn       *conn,
                   gint64      id,
                   JsonObject *msg)
{
  RhRendezvousServer *self = conn->server;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) relay_id = NULL;
  guint8 hash[RH_FINGERPRINT_LEN];
  const char *pairing;
  Rendezvous *rv;
  Relay *relay;
  gboolean is_helper, is_sharer;

  if (conn->relay != NULL || conn->rendezvous != NULL)
    {
      refuse_join_code (conn, id, RH_ERROR_UNEXPECTED_MESSAGE,
                        "This connection is already in use; open a new one for the relay");
      return;
    }
  pairing = rh_message_get_string (msg, "pairing", 64, &error);
  relay_id = pairing ? rh_message_get_bytes (msg, "relay", RH_RELAY_ID_LEN, 0, &error) : NULL;
  if (relay_id == NULL)
    {
      refuse_join (conn, id, error);
      return;
    }

  rv = find_pairing (self, pairing);
  if (rv == NULL)
    {
      refuse_join_code (conn, id, RH_ERROR_RELAY, "There is no such pairing (any more)");
      return;
    }
  is_helper = g_strcmp0 (conn->login, rv->helper_login) == 0;
  is_sharer = g_strcmp0 (conn->login, rv->sharer_login) == 0;
  if (!is_helper && !is_sharer)
    {
      refuse_join_code (conn, id, RH_ERROR_RELAY, "You are not part of this pairing");
      return;
    }

  rh_fingerprint_sha256 (g_bytes_get_data (relay_id, NULL), RH_RELAY_ID_LEN, hash);
  relay = rv->relay;
  if (relay == NULL)
    {
      relay = g_new0 (Relay, 1);
      relay->server = self;
      relay->rv = rv;
      memcpy (relay->pairing_id, rv->pairing_id, sizeof relay->pairing_id);
      relay->helper_login = g_strdup (rv->helper_login);
      relay->sharer_login = g_strdup (rv->sharer_login);
      memcpy (relay->id_hash, hash, sizeof hash);
      rv->relay = relay;
    }
  else if (CRYPTO_memcmp (relay->id_hash, hash, sizeof hash) != 0)
    {
      refuse_join_code (conn, id, RH_ERROR_RELAY,
                        "The relay id does not match the other side's");
      return;
    }

  /* Both roles taken, or this role taken twice: someone else has the relay id. */
  if (relay->ready ||
      !((is_helper && relay->helper == NULL) || (is_sharer && relay->sharer == NULL)))
    {
      refuse_join_code (conn, id, RH_ERROR_RELAY, "This relay already has that participant");
      relay_end (relay, "third-joiner", RH_ERROR_RELAY,
                 "Another connection tried to join this relay; it was closed");
      return;
    }

  conn->relay = relay;
  conn->join_id = id;
  rh_ws_flow_gate_init (&conn->gate, RH_WS_FLOW_HIGH_WATER, RH_WS_FLOW_LOW_WATER);
  if (is_helper && relay->helper == NULL)
    relay->helper = conn;
  else
    relay->sharer = conn;
  g_info ("%s joined the relay as %s", conn->login, relay->helper == conn ? "helper" : "sharer");

  if (relay->helper != NULL && relay->sharer != NULL)
    relay_start (relay);
}

static void
relay_forward (Conn   *from,
               GBytes *data)
{
  Relay *relay = from->relay;
  Conn *to = relay_other (relay, from);

  rh_ws_peer_send_binary (to->peer, data);
  relay->bytes += g_bytes_get_size (data);
  /* A slow reader: stop reading from the sender until its queue drains. */
  if (rh_ws_flow_gate_update (&to->gate, rh_ws_peer_get_queued (to->peer)) && to->gate.paused)
    {
      rh_ws_peer_set_rx_paused (from->peer, TRUE);
      rh_ws_peer_notify_drained (to->peer, to->gate.low);
    }
}

static void
relay_message (Conn     *conn,
               GBytes   *data,
               gboolean  is_binary)
{
  Relay *relay = conn->relay;

  if (!relay->ready)
    {
      relay_end (relay, "protocol-error", RH_ERROR_RELAY,
                 "A message arrived before the relay was ready");
      return;
    }
  if (!is_binary)
    {
      relay_end (relay, "protocol-error", RH_ERROR_RELAY,
                 "Only binary data may be sent through the relay");
      return;
    }
  relay_forward (conn, data);
}

static void
on_peer_drained (RhWsServer *ws,
                 RhWsPeer   *peer,
                 gpointer    user_data)
{
  Conn *conn = rh_ws_peer_get_data (peer);
  Conn *from;

  if (conn == NULL || conn->relay == NULL)
    return;
  if (rh_ws_flow_gate_update (&conn->gate, rh_ws_peer_get_queued (peer)) && !conn->gate.paused)
    {
      from = relay_other (conn->relay, conn);
      if (from != NULL)
        rh_ws_peer_set_rx_paused (from->peer, FALSE);
    }
  else if (conn->gate.paused)
    rh_ws_peer_notify_drained (peer, conn->gate.low);
}

/* Ends a pairing on the server's initiative: both apps are told why. */
static void
server_end_pairing (Rendezvous *rv,
                    const char *reason)
{
  g_autoptr(JsonObject) msg = rh_message_new ("peer-left");

  json_object_set_string_member (msg, "who", "server");
  json_object_set_string_member (msg, "role", "server");
  json_object_set_string_member (msg, "reason", reason);
  if (rv->helper)
    send_object (rv->helper, msg);
  if (rv->sharer)
    send_object (rv->sharer, msg);
  audit (rv->server, "server", "pairing.ended", "pairing", rv->pairing_id, "reason", reason);
  g_free (rv->end_reason);
  rv->end_reason = g_strdup_printf ("server-%s", reason);
  rendezvous_remove (rv);
}

/* The sharer's app says what it shares once the person consented (and again when the mode
 * changes, or "deny" when the person declined): the record an administrator audits names the
 * device and the modes, whichever path the screen takes. A mode beyond the helper's role ends
 * the pairing: the sharer's app should never have granted it. */
static void
handle_session_report (Conn       *conn,
                       gint64      id,
                       JsonObject *msg)
{
  RhRendezvousServer *self = conn->server;
  g_autoptr(GError) error = NULL;
  const char *mode, *device;
  Rendezvous *rv = pairing_for (conn, id, msg);
  gint64 session_id;
  gboolean first;

  if (rv == NULL)
    return;
  mode = rh_message_get_string (msg, "mode", 16, &error);
  device = mode ? rh_message_get_string (msg, "device", 256, &error) : NULL;
  if (device == NULL)
    {
      send_error (conn, id, error);
      return;
    }
  if (rv->sharer != conn ||
      (!g_str_equal (mode, "view") && !g_str_equal (mode, "control") &&
       !g_str_equal (mode, "deny")))
    {
      send_error_code (conn, id, RH_ERROR_UNEXPECTED_MESSAGE,
                       "Only the sharer reports a session, as view, control or deny");
      return;
    }
  if (g_str_equal (mode, "deny"))
    {
      audit (self, rv->sharer_login, "consent.denied", "helper", rv->helper_login, "device",
             device);
      send_ok (conn, id);
      return;
    }
  if ((permissions_of (self, rv->helper_login, rv->sharer_login) & mode_permission (mode)) == 0)
    {
      audit (self, rv->sharer_login, "session.refused", "mode", mode, "helper",
             rv->helper_login);
      g_message ("Ending pairing %s: %s reported mode %s beyond the helper's role",
                 rv->pairing_id, rv->sharer_login, mode);
      send_error_code (conn, id, RH_ERROR_MODE_NOT_PERMITTED,
                       "The helper's role does not allow this mode");
      server_end_pairing (rv, "not-permitted");
      return;
    }

  session_id = rv->session_id > 0 ? rv->session_id
               : rv->relay != NULL ? rv->relay->session_id : 0;
  first = session_id == 0;
  if (first &&
      !rh_store_session_start (self->store, rv->pairing_id, rv->helper_login, rv->sharer_login,
                               device, mode, now_seconds (), &rv->session_id, &error))
    {
      send_error (conn, id, error);
      return;
    }
  /* A relay-started row has mode "unknown" until now; later reports add to the modes used. */
  if (!first &&
      (!rh_store_session_add_mode (self->store, session_id, mode, FALSE, &error) ||
       !rh_store_session_set_device (self->store, session_id, device, &error)))
    {
      g_warning ("Could not record a session mode: %s", error->message);
      g_clear_error (&error);
    }
  if (first || rv->reported_mode == NULL)
    {
      audit (self, rv->sharer_login, "consent.given", "mode", mode, "helper", rv->helper_login);
      audit (self, rv->sharer_login, "session.started", "mode", mode, "device", device);
    }
  else if (g_strcmp0 (rv->reported_mode, mode) != 0)
    audit (self, rv->sharer_login, "mode.changed", "from", rv->reported_mode, "to", mode);
  g_free (rv->reported_mode);
  rv->reported_mode = g_strdup (mode);
  send_ok (conn, id);
}

/* Administrator access (issue #6) */

static void
audit_object (RhRendezvousServer *self,
              const char         *actor,
              const char         *action,
              JsonObject         *detail)
{
  g_autofree char *json = rh_message_to_string (detail);
  g_autoptr(GError) error = NULL;

  if (!rh_store_audit_append (self->store, now_seconds (), actor ? actor : "-", action, json,
                              &error))
    g_warning ("Could not write audit entry %s: %s", action, error->message);
}

/* The session row of a pairing, wherever it was started; 0 when there is none. */
static gint64
session_row_of (Rendezvous *rv)
{
  if (rv->session_id > 0)
    return rv->session_id;
  if (rv->relay != NULL && rv->relay->session_id > 0)
    return rv->relay->session_id;
  return rv->relay_session_id;
}

/* Full control, as the sharer last reported it; "no consent yet" is not control. */
static gboolean
in_full_control (Rendezvous *rv)
{
  return g_strcmp0 (rv->reported_mode, "control") == 0;
}

/* The helper's app asks before offering the sharer the choice: administrator access needs
 * the role's elevation permission and a session already in full control. */
static void
handle_elevation_request (Conn       *conn,
                          gint64      id,
                          Rendezvous *rv)
{
  RhRendezvousServer *self = conn->server;

  if ((permissions_of (self, rv->helper_login, rv->sharer_login) &
       RH_PERMISSION_ELEVATION) == 0)
    {
      audit (self, rv->helper_login, "elevation.refused", "reason", "role", "sharer",
             rv->sharer_login);
      send_error_code (conn, id, RH_ERROR_MODE_NOT_PERMITTED,
                       "Your role does not let you use administrator access on this person's "
                       "computer");
      return;
    }
  if (!in_full_control (rv))
    {
      audit (self, rv->helper_login, "elevation.refused", "reason", "not-in-control", "sharer",
             rv->sharer_login);
      send_error_code (conn, id, RH_ERROR_ELEVATION_NEEDS_CONTROL,
                       "Administrator access needs full control: take control first");
      return;
    }
  audit (self, rv->helper_login, "elevation.requested", "sharer", rv->sharer_login, NULL, NULL);
  send_ok (conn, id);
}

/* What the sharer's app reports ends up in the audit log and in front of administrators:
 * bounded, and with no control characters that could hide or reorder text (line breaks only
 * where multi-line text is expected). */
static const char *
elevation_text (JsonObject  *msg,
                const char  *field,
                gboolean     optional,
                glong        min_chars,
                glong        max_chars,
                gboolean     multiline,
                GError     **error)
{
  const char *text;
  glong chars = 0;

  text = optional ? rh_message_get_string_or_null (msg, field, 4 * max_chars, error)
                  : rh_message_get_string (msg, field, 4 * max_chars, error);
  if (text == NULL)
    return NULL;
  for (const char *p = text; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if ((c == '\n' && !multiline) ||
          (c != '\n' && (c < 0x20 || (c >= 0x7f && c < 0xa0))))
        {
          g_set_error (error, RH_PROTOCOL_ERROR, RH_ERROR_MALFORMED_MESSAGE,
                       "Field “%s” has control characters", field);
          return NULL;
        }
      chars++;
    }
  if (chars > max_chars || chars < min_chars)
    {
      g_set_error (error, RH_PROTOCOL_ERROR, RH_ERROR_MALFORMED_MESSAGE,
                   "Field “%s” must have %ld to %ld characters", field, min_chars, max_chars);
      return NULL;
    }
  return text;
}

static const char *
elevation_end_action (JsonObject  *msg,
                      GError     **error)
{
  const char *action = rh_message_get_string (msg, "action", 16, error);

  if (action != NULL && !g_str_equal (action, "sign-out") && !g_str_equal (action, "lock"))
    {
      g_set_error_literal (error, RH_PROTOCOL_ERROR, RH_ERROR_MALFORMED_MESSAGE,
                           "Field “action” must be sign-out or lock");
      return NULL;
    }
  return action;
}

static void
warn_store (GError *error)
{
  if (error != NULL)
    g_warning ("Could not record administrator access in a session: %s", error->message);
}

static void
elevation_granted (Conn       *conn,
                   gint64      id,
                   Rendezvous *rv)
{
  RhRendezvousServer *self = conn->server;
  g_autoptr(GError) error = NULL;
  gint64 session_id = session_row_of (rv);

  if ((permissions_of (self, rv->helper_login, rv->sharer_login) &
       RH_PERMISSION_ELEVATION) == 0)
    {
      audit (self, rv->sharer_login, "elevation.refused", "reason", "role", "helper",
             rv->helper_login);
      g_message ("Ending pairing %s: %s granted administrator access beyond the helper's role",
                 rv->pairing_id, rv->sharer_login);
      send_error_code (conn, id, RH_ERROR_MODE_NOT_PERMITTED,
                       "The helper's role does not allow administrator access");
      server_end_pairing (rv, "not-permitted");
      return;
    }
  if (!in_full_control (rv))
    {
      audit (self, rv->sharer_login, "elevation.refused", "reason", "not-in-control", "helper",
             rv->helper_login);
      send_error_code (conn, id, RH_ERROR_ELEVATION_NEEDS_CONTROL,
                       "Administrator access needs a session in full control");
      return;
    }
  /* "elevation" joins the modes used; the session stays in control (reported_mode). */
  if (session_id > 0 &&
      !rh_store_session_add_mode (self->store, session_id, "elevation", TRUE, &error))
    warn_store (error);
  rv->elevation_granted = TRUE;
  audit (self, rv->sharer_login, "elevation.granted", "helper", rv->helper_login, NULL, NULL);
  send_ok (conn, id);
}

static void
handle_elevation_report (Conn       *conn,
                         gint64      id,
                         JsonObject *msg)
{
  static const char * const deny_reasons[] = {
    "declined", "no-answer", "not-permitted", "not-in-control", "busy", NULL
  };
  RhRendezvousServer *self = conn->server;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) store_error = NULL;
  g_autoptr(JsonObject) detail = json_object_new ();
  const char *pairing = rh_message_get_string (msg, "pairing", 64, &error);
  Rendezvous *rv = conn->rendezvous;
  ElevationTail *tail = conn->elevation_tail;
  const char *event, *helper_login, *sharer_login;
  gint64 session_id;
  gboolean granted;

  if (pairing == NULL)
    {
      send_error (conn, id, error);
      return;
    }
  /* The live pairing, or (sharer only) the one that just ended. */
  if (rv == NULL || rv->state != RV_PAIRED || g_strcmp0 (rv->pairing_id, pairing) != 0)
    rv = NULL;
  if (rv != NULL || tail == NULL || g_strcmp0 (tail->pairing_id, pairing) != 0 ||
      g_get_monotonic_time () > tail->expires_at)
    tail = NULL;
  if (rv == NULL && tail == NULL)
    {
      send_error_code (conn, id, RH_ERROR_UNEXPECTED_MESSAGE,
                       "This connection is not part of that pairing");
      return;
    }
  if (rv != NULL && rv->sharer != conn)
    {
      send_error_code (conn, id, RH_ERROR_UNEXPECTED_MESSAGE,
                       "Only the sharer reports administrator access");
      return;
    }
  if (!rate_allow (&conn->elevation_rate, ELEVATION_RATE_WINDOW_US, ELEVATION_RATE_MAX))
    {
      send_error_code (conn, id, RH_ERROR_RATE_LIMITED,
                       "Too many administrator-access reports in a short time");
      return;
    }
  event = rh_message_get_string (msg, "event", 32, &error);
  if (event == NULL)
    {
      send_error (conn, id, error);
      return;
    }
  helper_login = rv != NULL ? rv->helper_login : tail->helper_login;
  sharer_login = rv != NULL ? rv->sharer_login : tail->sharer_login;
  session_id = rv != NULL ? session_row_of (rv) : tail->session_id;
  granted = rv != NULL ? rv->elevation_granted : tail->granted;

  if (g_str_equal (event, "granted"))
    {
      if (rv == NULL)
        send_error_code (conn, id, RH_ERROR_UNEXPECTED_MESSAGE,
                         "The pairing has ended: administrator access cannot start now");
      else
        elevation_granted (conn, id, rv);
      return;
    }
  if (g_str_equal (event, "denied"))
    {
      const char *reason = rh_message_get_string (msg, "reason", 32, &error);

      if (reason != NULL && !g_strv_contains (deny_reasons, reason))
        g_set_error_literal (&error, RH_PROTOCOL_ERROR, RH_ERROR_MALFORMED_MESSAGE,
                             "Field “reason” is not a known reason for a refusal");
      if (error != NULL)
        {
          send_error (conn, id, error);
          return;
        }
      audit (self, sharer_login, "elevation.denied", "reason", reason, "helper",
             helper_login);
      send_ok (conn, id);
      return;
    }
  if (g_str_equal (event, "tool-started"))
    {
      const char *tool, *tool_error = NULL;
      gboolean ok = FALSE;

      tool = elevation_text (msg, "tool", FALSE, 1, MAX_ELEVATION_TOOL_CHARS, FALSE,
                             &error);
      if (tool != NULL && rh_message_get_bool (msg, "ok", &ok, &error))
        tool_error = elevation_text (msg, "error", TRUE, 0, MAX_ELEVATION_ERROR_CHARS, TRUE,
                                     &error);
      if (error != NULL)
        {
          send_error (conn, id, error);
          return;
        }
      if (!granted)
        goto not_granted;
      if (session_id > 0 &&
          !rh_store_session_add_elevation_tool (self->store, session_id, tool, ok, tool_error,
                                                &store_error))
        warn_store (store_error);
      json_object_set_string_member (detail, "tool", tool);
      json_object_set_boolean_member (detail, "ok", ok);
      if (tool_error != NULL)
        json_object_set_string_member (detail, "error", tool_error);
      audit_object (self, sharer_login, "elevation.tool-started", detail);
      send_ok (conn, id);
      return;
    }
  if (g_str_equal (event, "ending"))
    {
      const char *action = elevation_end_action (msg, &error);
      g_autofree char *end = NULL;

      if (action == NULL)
        {
          send_error (conn, id, error);
          return;
        }
      if (!granted)
        goto not_granted;
      /* The sign-out may take the sharer's app with it before it reports the outcome. */
      end = g_strdup_printf ("%s: started", action);
      if (session_id > 0 &&
          !rh_store_session_set_elevation_end (self->store, session_id, end, FALSE,
                                               &store_error))
        warn_store (store_error);
      audit (self, sharer_login, "elevation.ending", "action", action, NULL, NULL);
      send_ok (conn, id);
      return;
    }
  if (g_str_equal (event, "ended"))
    {
      const char *action, *steps = NULL;
      gboolean ok = FALSE;
      g_autofree char *end = NULL;

      action = elevation_end_action (msg, &error);
      if (action != NULL && rh_message_get_bool (msg, "ok", &ok, &error))
        steps = elevation_text (msg, "steps", FALSE, 0, MAX_ELEVATION_STEPS_CHARS, TRUE,
                               &error);
      if (error != NULL)
        {
          send_error (conn, id, error);
          return;
        }
      if (!granted)
        goto not_granted;
      end = ok ? g_strdup_printf ("%s: ok", action)
               : g_strdup_printf ("%s: failed — %s", action,
                                  *steps ? steps : "no details");
      if (session_id > 0 &&
          !rh_store_session_set_elevation_end (self->store, session_id, end, TRUE,
                                               &store_error))
        warn_store (store_error);
      json_object_set_string_member (detail, "action", action);
      json_object_set_boolean_member (detail, "ok", ok);
      json_object_set_string_member (detail, "steps", steps);
      audit_object (self, sharer_login, "elevation.ended", detail);
      send_ok (conn, id);
      return;
    }
  send_error_code (conn, id, RH_ERROR_MALFORMED_MESSAGE,
                   "Field “event” is not a known administrator-access event");
  return;

not_granted:
  audit (self, sharer_login, "elevation.refused", "reason", "not-granted", "event", event);
  send_error_code (conn, id, RH_ERROR_ELEVATION_NO_GRANT,
                   "Administrator access was not granted in this pairing");
}

/* The helper's app declares the mode it is about to ask the sharer for (at the start, or to
 * upgrade to control), and asks only once the server agreed. The sharer's app enforces the
 * same rule from the signed card; this makes the refusal the server's, audited, and
 * immediate. */
static void
handle_mode_request (Conn       *conn,
                     gint64      id,
                     JsonObject *msg)
{
  RhRendezvousServer *self = conn->server;
  g_autoptr(GError) error = NULL;
  const char *mode;
  Rendezvous *rv = pairing_for (conn, id, msg);

  if (rv == NULL)
    return;
  mode = rh_message_get_string (msg, "mode", 16, &error);
  if (mode == NULL)
    {
      send_error (conn, id, error);
      return;
    }
  if (rv->helper != conn || (!g_str_equal (mode, "view") && !g_str_equal (mode, "control") &&
                             !g_str_equal (mode, "elevation")))
    {
      send_error_code (conn, id, RH_ERROR_UNEXPECTED_MESSAGE,
                       "Only the helper requests a mode, view, control or elevation");
      return;
    }
  if (g_str_equal (mode, "elevation"))
    {
      handle_elevation_request (conn, id, rv);
      return;
    }
  if ((permissions_of (self, rv->helper_login, rv->sharer_login) & mode_permission (mode)) == 0)
    {
      audit (self, rv->helper_login, "mode.refused", "mode", mode, "sharer", rv->sharer_login);
      send_error_code (conn, id, RH_ERROR_MODE_NOT_PERMITTED,
                       g_str_equal (mode, "control")
                         ? "Your role does not let you take control of this person's screen"
                         : "Your role does not let you see this person's screen");
      return;
    }
  audit (self, rv->helper_login, "mode.requested", "mode", mode, "sharer", rv->sharer_login);
  send_ok (conn, id);
}

/* Chat */

/* Read at every use: an administrator who turns chat off stops it in running sessions too. */
static gboolean
chat_enabled (RhRendezvousServer *self)
{
  g_autoptr(GError) error = NULL;
  gboolean disabled = TRUE;

  if (!rh_settings_get_boolean (self->store, RH_SETTING_CHAT_DISABLED, &disabled, &error))
    {
      g_warning ("Cannot read whether chat is disabled, so it is: %s", error->message);
      return FALSE;
    }
  return !disabled;
}

/* Line breaks and tabs are text; other control characters could hide or reorder what the
 * other person reads in a terminal or a log, so the message is refused rather than altered. */
static gboolean
chat_text_valid (const char *text)
{
  glong chars = 0;

  for (const char *p = text; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c != '\n' && c != '\t' && (c < 0x20 || (c >= 0x7f && c < 0xa0)))
        return FALSE;
      chars++;
    }
  return chars > 0 && chars <= MAX_CHAT_CHARS;
}

static void
handle_chat_send (Conn       *conn,
                  gint64      id,
                  JsonObject *msg)
{
  RhRendezvousServer *self = conn->server;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) event = NULL;
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(RhUser) user = NULL;
  g_autofree char *stripped = NULL;
  const char *text, *role;
  Rendezvous *rv = pairing_for (conn, id, msg);
  gint64 at = now_seconds (), seq = 0;

  if (rv == NULL)
    return;
  if (!chat_enabled (self))
    {
      send_error_code (conn, id, RH_ERROR_CHAT_DISABLED,
                       "Chat is turned off for this organisation");
      return;
    }
  text = rh_message_get_string (msg, "text", 4 * MAX_CHAT_CHARS, &error);
  if (text == NULL)
    {
      send_error (conn, id, error);
      return;
    }
  if (!rate_allow (&conn->chat_rate, CHAT_RATE_WINDOW_US, CHAT_RATE_MAX))
    {
      send_error_code (conn, id, RH_ERROR_RATE_LIMITED,
                       "Too many chat messages in a short time; wait a few seconds");
      return;
    }
  stripped = g_strstrip (g_strdup (text));
  if (!chat_text_valid (stripped))
    {
      send_error_code (conn, id, RH_ERROR_CHAT_INVALID,
                       "A chat message must have 1 to 4000 characters and no control "
                       "characters");
      return;
    }

  role = conn == rv->helper ? "helper" : "sharer";
  if (!rh_store_chat_append (self->store, rv->pairing_id, conn->login, role, at, stripped,
                             &seq, &error))
    {
      g_warning ("Could not keep a chat message: %s", error->message);
      send_error (conn, id, error);
      return;
    }
  user = rh_store_user_get (self->store, conn->login, NULL);

  /* Both sides get the same event, so the sender sees the thread as the server kept it. */
  event = rh_message_new ("chat");
  json_object_set_string_member (event, "pairing", rv->pairing_id);
  json_object_set_int_member (event, "seq", seq);
  json_object_set_string_member (event, "from", conn->login);
  json_object_set_string_member (event, "name", user && user->display_name && *user->display_name
                                                ? user->display_name : conn->login);
  json_object_set_string_member (event, "role", role);
  json_object_set_int_member (event, "at", at);
  json_object_set_string_member (event, "text", stripped);
  if (rv->helper)
    send_object (rv->helper, event);
  if (rv->sharer)
    send_object (rv->sharer, event);

  reply = new_reply ("chat-sent", id);
  json_object_set_int_member (reply, "seq", seq);
  send_object (conn, reply);
}

/* Dispatch */

typedef void (*Handler) (Conn *conn, gint64 id, JsonObject *msg);

static const struct
{
  const char *type;
  Handler     handler;
  gboolean    needs_auth;
} handlers[] = {
  { "sign-in", handle_sign_in, FALSE },
  { "sign-out", handle_sign_out, FALSE },
  { "code-request", handle_code_request, TRUE },
  { "code-cancel", handle_code_cancel, TRUE },
  { "code-redeem", handle_code_redeem, TRUE },
  { "pake-reply", handle_pake_reply, TRUE },
  { "pake-confirm", handle_pake_confirm, TRUE },
  { "pake-result", handle_pake_result, TRUE },
  { "peer", handle_peer, TRUE },
  { "leave", handle_leave, TRUE },
  { "session-report", handle_session_report, TRUE },
  { "chat-send", handle_chat_send, TRUE },
  { "mode-request", handle_mode_request, TRUE },
  { "relay-join", handle_relay_join, TRUE },
  { "elevation-report", handle_elevation_report, TRUE },
};

static void
protocol_error (Conn         *conn,
                gint64        id,
                const GError *error)
{
  g_info ("Protocol error from %s: RH-%04d %s", rh_ws_peer_get_address (conn->peer),
          error->code, error->message);
  send_error (conn, id, error);
  if (++conn->errors >= MAX_PROTOCOL_ERRORS)
    rh_ws_peer_close (conn->peer, 1008, "too many protocol errors");
}

static void
on_peer_message (RhWsServer *ws,
                 RhWsPeer   *peer,
                 GBytes     *data,
                 gboolean    is_binary,
                 gpointer    user_data)
{
  Conn *conn = rh_ws_peer_get_data (peer);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) msg = NULL;
  const char *type;
  gint64 id;
  gsize len;
  const char *text = g_bytes_get_data (data, &len);

  if (conn->relay != NULL)
    {
      relay_message (conn, data, is_binary);
      return;
    }
  if (is_binary)
    {
      g_set_error_literal (&error, RH_PROTOCOL_ERROR, RH_ERROR_MALFORMED_MESSAGE,
                           "Binary messages are not accepted here");
      protocol_error (conn, -1, error);
      return;
    }
  msg = rh_message_parse (text, len, RH_WS_MAX_MESSAGE, &error);
  if (msg == NULL)
    {
      protocol_error (conn, -1, error);
      return;
    }
  type = rh_message_get_type (msg);
  id = rh_message_get_id (msg);

  for (gsize i = 0; i < G_N_ELEMENTS (handlers); i++)
    {
      if (!g_str_equal (handlers[i].type, type))
        continue;
      if (handlers[i].needs_auth && !authenticate (conn, msg, &error))
        {
          protocol_error (conn, id, error);
          return;
        }
      handlers[i].handler (conn, id, msg);
      return;
    }

  g_set_error (&error, RH_PROTOCOL_ERROR, RH_ERROR_UNKNOWN_MESSAGE,
               "Unknown message type “%.32s”", type);
  protocol_error (conn, id, error);
}

static void
conn_free (Conn *conn)
{
  elevation_tail_free (conn->elevation_tail);
  g_free (conn->login);
  g_free (conn);
}

static void
on_peer_opened (RhWsServer *ws,
                RhWsPeer   *peer,
                gpointer    user_data)
{
  RhRendezvousServer *self = user_data;
  Conn *conn = g_new0 (Conn, 1);
  g_autoptr(JsonObject) welcome = rh_message_new ("welcome");
  g_autoptr(GBytes) org_key = rh_org_key_get_public_raw (self->org_key);

  conn->server = self;
  conn->peer = peer;
  rh_ws_peer_set_data (peer, conn, (GDestroyNotify) conn_free);
  g_info ("Connection from %s", rh_ws_peer_get_address (peer));

  json_object_set_int_member (welcome, "version", RH_PROTOCOL_VERSION);
  rh_message_set_bytes (welcome, "org_key", g_bytes_get_data (org_key, NULL),
                        g_bytes_get_size (org_key));
  send_object (conn, welcome);
}

static void
on_peer_oversize (RhWsServer *ws,
                  RhWsPeer   *peer,
                  gpointer    user_data)
{
  Conn *conn = rh_ws_peer_get_data (peer);

  send_error_code (conn, -1, RH_ERROR_MESSAGE_TOO_LARGE, "Message exceeds 64 KiB");
}

static void
on_peer_closed (RhWsServer *ws,
                RhWsPeer   *peer,
                gpointer    user_data)
{
  RhRendezvousServer *self = user_data;
  Conn *conn = rh_ws_peer_get_data (peer);
  Rendezvous *rv;

  if (conn != NULL && conn->relay != NULL)
    {
      Relay *relay = conn->relay;

      /* Either end closing ends the relay; before it was ready, that end was its only one
       * (a later join starts afresh). */
      relay_end (relay, relay->helper == conn ? "helper-closed" : "sharer-closed", 0, NULL);
      return;
    }
  if (conn == NULL || (rv = conn->rendezvous) == NULL)
    return;

  if (rv->state == RV_PAIRED)
    end_pairing (rv, conn, "connection-lost");
  else if (rv->helper == conn)
    {
      if (rv->sharer)
        send_error_code (rv->sharer, rv->sharer_pending_id, RH_ERROR_PEER_LEFT,
                         "The helper's app disconnected");
      set_slot_state (self, rv->slot, RH_SLOT_STATE_CANCELLED);
      rendezvous_remove (rv);
    }
  else
    {
      /* A sharer that vanishes after its key confirmation reached the helper still spent
       * an attempt; the helper's verdict decides, so the rendezvous waits for it. */
      if (rv->confirm_sent)
        {
          rv->sharer->rendezvous = NULL;
          rv->sharer = NULL;
        }
      else
        {
          g_autoptr(JsonObject) msg = rh_message_new ("attempt-abandoned");

          send_object (rv->helper, msg);
          detach_sharer (rv);
        }
    }
}

static void
on_purge (gpointer data)
{
  RhRendezvousServer *self = data;
  g_autoptr(GError) error = NULL;

  if (!rh_store_purge (self->store, now_seconds (), &error))
    g_warning ("Purge failed: %s", error->message);
  g_clear_error (&error);
  /* Retention (issue #5): old session records and audit entries, by the settings. */
  if (!rh_admin_purge_history (self->store, now_seconds (), &error))
    g_warning ("Retention purge failed: %s", error->message);
  self->purge_timer = rh_ws_server_add_timer (self->ws, PURGE_INTERVAL_MS, on_purge, self);
}

static void
rendezvous_free (Rendezvous *rv)
{
  /* The pairing is over: so is its relay. */
  if (rv->relay != NULL)
    relay_end (rv->relay, "pairing-ended", RH_ERROR_RELAY, "The pairing ended");
  if (rv->session_id > 0)
    {
      g_autoptr(GError) error = NULL;

      if (!rh_store_session_end (rv->server->store, rv->session_id, now_seconds (),
                                 rv->relay_bytes, rv->end_reason ? rv->end_reason
                                                                 : "server-stopped", &error))
        g_warning ("Could not end a session record: %s", error->message);
    }
  g_free (rv->end_reason);
  g_free (rv->reported_mode);
  if (rv->expiry_timer)
    rh_ws_server_cancel_timer (rv->server->ws, rv->expiry_timer);
  if (rv->attempt_timer)
    rh_ws_server_cancel_timer (rv->server->ws, rv->attempt_timer);
  g_free (rv->helper_login);
  g_free (rv->sharer_login);
  g_free (rv->sharer_address);
  g_free (rv);
}

static void
rh_rendezvous_server_dispose (GObject *object)
{
  RhRendezvousServer *self = RH_RENDEZVOUS_SERVER (object);

  g_clear_pointer (&self->rendezvous, g_hash_table_unref);
  g_clear_object (&self->ws);
  g_clear_object (&self->console);
  g_clear_object (&self->store);
  g_clear_object (&self->org_key);

  G_OBJECT_CLASS (rh_rendezvous_server_parent_class)->dispose (object);
}

static void
rh_rendezvous_server_class_init (RhRendezvousServerClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = rh_rendezvous_server_dispose;
}

static void
rh_rendezvous_server_init (RhRendezvousServer *self)
{
  self->rendezvous = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                            (GDestroyNotify) rendezvous_free);
}

RhRendezvousServer *
rh_rendezvous_server_new (RhStore                          *store,
                          RhOrgKey                         *org_key,
                          const RhRendezvousServerOptions  *options,
                          GError                          **error)
{
  g_autoptr(RhRendezvousServer) self = NULL;

  g_return_val_if_fail (RH_IS_STORE (store), NULL);
  g_return_val_if_fail (RH_IS_ORG_KEY (org_key), NULL);
  g_return_val_if_fail (options != NULL, NULL);

  self = g_object_new (RH_TYPE_RENDEZVOUS_SERVER, NULL);
  self->store = g_object_ref (store);
  self->org_key = g_object_ref (org_key);
  self->options = *options;
  self->options.address = NULL;
  self->options.tls_cert = NULL;
  self->options.tls_key = NULL;

  self->ws = rh_ws_server_new (options->address, options->port, options->tls_cert,
                               options->tls_key, RH_SUBPROTOCOL, error);
  if (self->ws == NULL)
    return NULL;
  rh_ws_server_set_max_message (self->ws, RH_WS_MAX_MESSAGE);
  rh_ws_server_set_auth_timeout (self->ws, options->auth_timeout);

  g_signal_connect (self->ws, "peer-opened", G_CALLBACK (on_peer_opened), self);
  g_signal_connect (self->ws, "peer-message", G_CALLBACK (on_peer_message), self);
  g_signal_connect (self->ws, "peer-oversize", G_CALLBACK (on_peer_oversize), self);
  g_signal_connect (self->ws, "peer-closed", G_CALLBACK (on_peer_closed), self);
  g_signal_connect (self->ws, "peer-drained", G_CALLBACK (on_peer_drained), self);

  if (options->console_dir != NULL)
    {
      self->console = rh_admin_console_new (store, options->console_dir);
      rh_admin_console_attach (self->console, self->ws);
    }

  return g_steal_pointer (&self);
}

int
rh_rendezvous_server_get_port (RhRendezvousServer *self)
{
  g_return_val_if_fail (RH_IS_RENDEZVOUS_SERVER (self), -1);

  return rh_ws_server_get_port (self->ws);
}

gboolean
rh_rendezvous_server_run (RhRendezvousServer  *self,
                          GError             **error)
{
  gboolean ret;

  g_return_val_if_fail (RH_IS_RENDEZVOUS_SERVER (self), FALSE);

  self->purge_timer = rh_ws_server_add_timer (self->ws, 1000, on_purge, self);
  ret = rh_ws_server_run (self->ws, error);
  /* Connections are closed by now; pending rendezvous and their timers go with them. */
  g_hash_table_remove_all (self->rendezvous);
  return ret;
}

void
rh_rendezvous_server_stop (RhRendezvousServer *self)
{
  g_return_if_fail (RH_IS_RENDEZVOUS_SERVER (self));

  rh_ws_server_stop (self->ws);
}
