/* rh-admin-console.c: the admin web console and its JSON API, on the server's HTTPS port
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Security model:
 * - Only accounts with the admin flag get a console session; the flag (and the account being
 *   enabled) is checked again on every request, so taking it away takes effect at once.
 * - The session is a random token in an HttpOnly, Secure, SameSite=Strict cookie. The store
 *   keeps only SHA-256 ("rh-console:" token), so a console token is useless as a helper's
 *   sign-in token for the rendezvous protocol and the other way round.
 * - Every request that changes something must carry X-CSRF-Token, SHA-256 ("rh-console-csrf:"
 *   token): a page on another site can neither read the cookie nor our answers, so it
 *   cannot compute it. Bodies must also be application/json, which a cross-site form cannot
 *   send without a CORS preflight that we never grant.
 * - Every answer forbids framing and inline script (CSP) and content sniffing.
 */
#define G_LOG_DOMAIN "rh-protocol"

#include "config.h"

#include <string.h>

#include <json-glib/json-glib.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "rh-admin-console.h"
#include "rh-admin.h"
#include "rh-error.h"
#include "rh-password.h"
#include "rh-rendezvous-server.h"
#include "rh-settings.h"

#define MAX_LOGIN_LEN     64
#define MAX_PASSWORD_LEN  1024
#define MAX_SEARCH_LEN    128
#define DEFAULT_LIMIT     500
#define MAX_LIMIT         10000
#define MONITOR_DAYS      30
#define DAY_SECONDS       (24 * 60 * 60)
#define TOKEN_BYTES       32

#define CSP "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; " \
            "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; " \
            "frame-ancestors 'none'"

struct _RhAdminConsole
{
  GObject  parent_instance;

  RhStore *store;
  char    *assets_dir;
};

G_DEFINE_FINAL_TYPE (RhAdminConsole, rh_admin_console, G_TYPE_OBJECT)

/* Who is asking, once the cookie has been checked. */
typedef struct
{
  char *login;
  char *display_name;
  char *csrf;
  guint8 token_hash[RH_STORE_TOKEN_HASH_LEN];
} Caller;

static void
caller_free (Caller *caller)
{
  g_free (caller->login);
  g_free (caller->display_name);
  g_free (caller->csrf);
  g_free (caller);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Caller, caller_free)

static gint64
now_seconds (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

static void
hash_with_label (const char *label,
                 const char *token,
                 guint8      out[RH_STORE_TOKEN_HASH_LEN])
{
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  gsize len = RH_STORE_TOKEN_HASH_LEN;

  g_checksum_update (sum, (const guchar *) label, -1);
  g_checksum_update (sum, (const guchar *) token, -1);
  g_checksum_get_digest (sum, out, &len);
}

static char *
base64url (const guint8 *data,
           gsize         len)
{
  char *text = g_base64_encode (data, len);

  g_strdelimit (text, "+", '-');
  g_strdelimit (text, "/", '_');
  g_strdelimit (text, "=", '\0');
  return text;
}

static char *
csrf_for_token (const char *token)
{
  guint8 digest[RH_STORE_TOKEN_HASH_LEN];

  hash_with_label ("rh-console-csrf:", token, digest);
  return base64url (digest, sizeof digest);
}

/* Answers */

static void
add_security_headers (RhHttpRequest *req)
{
  rh_http_request_add_header (req, "content-security-policy", CSP);
  rh_http_request_add_header (req, "x-content-type-options", "nosniff");
  rh_http_request_add_header (req, "x-frame-options", "DENY");
  rh_http_request_add_header (req, "referrer-policy", "no-referrer");
  rh_http_request_add_header (req, "cache-control", "no-store");
  rh_http_request_add_header (req, "cross-origin-opener-policy", "same-origin");
  rh_http_request_add_header (req, "cross-origin-resource-policy", "same-origin");
}

static void
respond_json (RhHttpRequest *req,
              guint          status,
              JsonNode      *root)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  gsize len = 0;
  char *text;

  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, &len);
  add_security_headers (req);
  rh_http_request_respond (req, status, "application/json; charset=utf-8",
                           g_bytes_new_take (text, len));
}

static guint
status_for_code (int code)
{
  switch (code)
    {
    case RH_ERROR_CONSOLE_SIGN_IN:
    case RH_ERROR_CONSOLE_NO_SESSION:
      return 401;
    case RH_ERROR_CONSOLE_NOT_ADMIN:
    case RH_ERROR_CONSOLE_CSRF:
      return 403;
    case RH_ERROR_CONSOLE_NOT_FOUND:
    case RH_ERROR_UNKNOWN_SETTING:
    case RH_ERROR_UNKNOWN_ROLE:
    case RH_ERROR_UNKNOWN_GROUP:
    case RH_ERROR_UNKNOWN_ASSIGNMENT:
      return 404;
    case RH_ERROR_USER_EXISTS:
    case RH_ERROR_ROLE_EXISTS:
    case RH_ERROR_GROUP_EXISTS:
    case RH_ERROR_BUILTIN_ROLE:
    case RH_ERROR_IN_USE:
      return 409;
    case RH_ERROR_CONSOLE_TOO_LARGE:
      return 413;
    case RH_ERROR_CONSOLE_RATE_LIMITED:
      return 429;
    case RH_ERROR_CONSOLE_BAD_REQUEST:
    case RH_ERROR_CONSOLE_INVALID_VALUE:
    case RH_ERROR_BAD_SETTING_VALUE:
    case RH_ERROR_FIELD_INVALID:
    case RH_ERROR_BAD_LOGIN:
    case RH_ERROR_UNKNOWN_USER:
    case RH_ERROR_BAD_NAME:
    case RH_ERROR_UNKNOWN_PERMISSION:
    case RH_ERROR_BAD_SCOPE:
    case RH_ERROR_BAD_PERMISSIONS:
      return 400;
    default:
      return 500;
    }
}

/* {"error": {"code": "RH-6204", "summary": …, "message": …, "field": …}} */
static void
respond_error_full (RhHttpRequest *req,
                    const GError  *error,
                    const char    *field)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  int code = rh_error_is_rh (error) ? error->code : RH_ERROR_INTERNAL;
  const RhErrorInfo *info = rh_error_info_lookup (code);
  g_autofree char *code_text = g_strdup_printf ("RH-%04d", code);
  g_autofree char *message = NULL;
  guint status = status_for_code (code);

  if (status >= 500)
    g_warning ("Console request %s %s failed: %s", rh_http_request_get_method (req),
               rh_http_request_get_path (req), error->message);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "error");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "code");
  json_builder_add_string_value (builder, code_text);
  json_builder_set_member_name (builder, "summary");
  json_builder_add_string_value (builder, info->summary);
  json_builder_set_member_name (builder, "message");
  /* Internal details (SQL, paths) stay in the server log; a message may quote what the
   * client sent, which need not be UTF-8. */
  message = g_utf8_make_valid (status >= 500 ? info->cause : error->message, -1);
  json_builder_add_string_value (builder, message);
  if (field != NULL)
    {
      json_builder_set_member_name (builder, "field");
      json_builder_add_string_value (builder, field);
    }
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  respond_json (req, status, root);
}

static void
respond_error (RhHttpRequest *req,
               const GError  *error)
{
  respond_error_full (req, error, NULL);
}

static void
respond_code (RhHttpRequest *req,
              RhErrorCode    code,
              const char    *field,
              const char    *message)
{
  g_autoptr(GError) error = g_error_new_literal (RH_PROTOCOL_ERROR, code, message);

  respond_error_full (req, error, field);
}

/* Requests */

static const char *
cookie_value (const char *header,
              const char *name)
{
  gsize name_len = strlen (name);
  const char *p = header;

  while (p != NULL && *p != '\0')
    {
      while (*p == ' ' || *p == ';')
        p++;
      if (strncmp (p, name, name_len) == 0 && p[name_len] == '=')
        return p + name_len + 1;
      p = strchr (p, ';');
    }
  return NULL;
}

/* The session behind the cookie: NULL with RH-6202 (no valid session) or RH-6203 (valid, but
 * no longer an administrator). */
static Caller *
authenticate (RhAdminConsole *self,
              RhHttpRequest  *req,
              GError        **error)
{
  const char *value = cookie_value (rh_http_request_get_header (req, "cookie"),
                                    RH_CONSOLE_COOKIE);
  g_autoptr(Caller) caller = g_new0 (Caller, 1);
  g_autofree char *token = NULL;
  g_autoptr(RhUser) user = NULL;
  gsize len;

  if (value == NULL)
    {
      g_set_error_literal (error, RH_PROTOCOL_ERROR, RH_ERROR_CONSOLE_NO_SESSION,
                           "Sign in to use the console");
      return NULL;
    }
  len = strcspn (value, "; ");
  if (len == 0 || len > 128)
    {
      g_set_error_literal (error, RH_PROTOCOL_ERROR, RH_ERROR_CONSOLE_NO_SESSION,
                           "The console session is not valid; sign in again");
      return NULL;
    }
  token = g_strndup (value, len);
  hash_with_label ("rh-console:", token, caller->token_hash);
  if (!rh_store_token_lookup (self->store, caller->token_hash, now_seconds (), &caller->login,
                              error))
    return NULL;
  if (caller->login == NULL)
    {
      g_set_error_literal (error, RH_PROTOCOL_ERROR, RH_ERROR_CONSOLE_NO_SESSION,
                           "The console session has expired or was signed out; sign in again");
      return NULL;
    }
  user = rh_store_user_get (self->store, caller->login, NULL);
  if (user == NULL || user->disabled)
    {
      g_set_error_literal (error, RH_PROTOCOL_ERROR, RH_ERROR_CONSOLE_NO_SESSION,
                           "The account is no longer enabled; sign in again");
      return NULL;
    }
  if (!user->admin)
    {
      g_set_error (error, RH_PROTOCOL_ERROR, RH_ERROR_CONSOLE_NOT_ADMIN,
                   "“%s” is not an administrator", caller->login);
      return NULL;
    }
  caller->display_name = g_strdup (user->display_name);
  caller->csrf = csrf_for_token (token);
  return g_steal_pointer (&caller);
}

static gboolean
check_csrf (RhHttpRequest *req,
            const Caller  *caller,
            GError       **error)
{
  const char *sent = rh_http_request_get_header (req, "x-csrf-token");

  if (sent == NULL || strlen (sent) != strlen (caller->csrf) ||
      CRYPTO_memcmp (sent, caller->csrf, strlen (caller->csrf)) != 0)
    {
      g_set_error_literal (error, RH_PROTOCOL_ERROR, RH_ERROR_CONSOLE_CSRF,
                           sent == NULL ? "The X-CSRF-Token header is missing"
                                        : "The X-CSRF-Token header is wrong");
      return FALSE;
    }
  return TRUE;
}

/* The body as a JSON object, or NULL with RH-6205/RH-6206. */
static JsonObject *
parse_body (RhHttpRequest *req,
            JsonParser    *parser,
            GError       **error)
{
  const char *type = rh_http_request_get_header (req, "content-type");
  g_autoptr(GBytes) body = rh_http_request_get_body (req);
  g_autoptr(GError) local_error = NULL;
  gsize len;
  const char *data = g_bytes_get_data (body, &len);
  JsonNode *root;

  if (type == NULL || g_ascii_strncasecmp (type, "application/json", 16) != 0 ||
      (type[16] != '\0' && type[16] != ';'))
    {
      g_set_error_literal (error, RH_PROTOCOL_ERROR, RH_ERROR_CONSOLE_BAD_REQUEST,
                           "The request body must be JSON (Content-Type: application/json)");
      return NULL;
    }
  if (len == 0 || !g_utf8_validate (data, (gssize) len, NULL) ||
      !json_parser_load_from_data (parser, data, (gssize) len, &local_error))
    {
      g_set_error_literal (error, RH_PROTOCOL_ERROR, RH_ERROR_CONSOLE_BAD_REQUEST,
                           "The request body is not valid JSON");
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, RH_PROTOCOL_ERROR, RH_ERROR_CONSOLE_BAD_REQUEST,
                           "The request body must be a JSON object");
      return NULL;
    }
  return json_node_get_object (root);
}

static const char *
get_string_member (JsonObject  *object,
                   const char  *name,
                   gsize        max_chars,
                   GError     **error)
{
  JsonNode *node = json_object_get_member (object, name);
  const char *value;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    {
      g_set_error (error, RH_PROTOCOL_ERROR, RH_ERROR_CONSOLE_INVALID_VALUE,
                   "“%s” must be a string", name);
      return NULL;
    }
  value = json_node_get_string (node);
  if (value[0] == '\0' || g_utf8_strlen (value, -1) > (glong) max_chars)
    {
      g_set_error (error, RH_PROTOCOL_ERROR, RH_ERROR_CONSOLE_INVALID_VALUE,
                   "“%s” must be 1 to %" G_GSIZE_FORMAT " characters", name, max_chars);
      return NULL;
    }
  return value;
}

/* API: sign-in, sign-out, who am I */

static void
add_caller_members (JsonBuilder  *builder,
                    const char   *login,
                    const char   *display_name,
                    const char   *csrf)
{
  json_builder_set_member_name (builder, "login");
  json_builder_add_string_value (builder, login);
  json_builder_set_member_name (builder, "display_name");
  json_builder_add_string_value (builder, display_name != NULL ? display_name : login);
  json_builder_set_member_name (builder, "csrf_token");
  json_builder_add_string_value (builder, csrf);
}

static void
audit (RhAdminConsole *self,
       const char     *actor,
       const char     *action,
       const char     *detail_json)
{
  g_autoptr(GError) error = NULL;

  if (!rh_store_audit_append (self->store, now_seconds (), actor, action, detail_json, &error))
    g_warning ("Cannot write the audit log: %s", error->message);
}

static void
api_sign_in (RhAdminConsole *self,
             RhHttpRequest  *req)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(RhUser) user = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *backoff_key = g_strconcat ("console:", rh_http_request_get_address (req),
                                              NULL);
  g_autofree char *token = NULL;
  g_autofree char *csrf = NULL;
  g_autofree char *cookie = NULL;
  g_autofree char *detail = NULL;
  guint8 random[TOKEN_BYTES];
  guint8 token_hash[RH_STORE_TOKEN_HASH_LEN];
  const char *login, *password;
  JsonObject *body;
  gint64 now = now_seconds ();
  gint64 blocked_until = 0;
  int failures = 0;
  gboolean match = FALSE;

  body = parse_body (req, parser, &error);
  if (body == NULL)
    {
      respond_error (req, error);
      return;
    }
  login = get_string_member (body, "login", MAX_LOGIN_LEN, &error);
  if (login == NULL)
    {
      respond_error_full (req, error, "login");
      return;
    }
  password = get_string_member (body, "password", MAX_PASSWORD_LEN, &error);
  if (password == NULL)
    {
      respond_error_full (req, error, "password");
      return;
    }

  if (!rh_store_backoff_get (self->store, backoff_key, &failures, &blocked_until, &error))
    {
      respond_error (req, error);
      return;
    }
  if (blocked_until > now)
    {
      g_autofree char *retry = g_strdup_printf ("%" G_GINT64_FORMAT, blocked_until - now);
      g_autofree char *message =
        g_strdup_printf ("Too many failed sign-ins from this address; try again in %"
                         G_GINT64_FORMAT " s", blocked_until - now);

      rh_http_request_add_header (req, "retry-after", retry);
      respond_code (req, RH_ERROR_CONSOLE_RATE_LIMITED, NULL, message);
      return;
    }

  /* Unknown users cost the same scrypt run as known ones (rh_password_verify with NULL). */
  user = rh_store_user_get (self->store, login, NULL);
  if (!rh_password_verify (password, user != NULL ? user->password_hash : NULL, &match, &error))
    {
      respond_error (req, error);
      return;
    }
  if (!match || user == NULL || user->disabled)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) node = NULL;

      failures++;
      if (!rh_store_backoff_put (self->store, backoff_key, failures,
                                 now + rh_backoff_delay (failures), now, &error))
        {
          respond_error (req, error);
          return;
        }
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "address");
      json_builder_add_string_value (b, rh_http_request_get_address (req));
      json_builder_end_object (b);
      node = json_builder_get_root (b);
      detail = json_to_string (node, FALSE);
      /* The login typed may be a mistyped password: it is not recorded. */
      audit (self, "-", "console.sign-in-failed", detail);
      respond_code (req, RH_ERROR_CONSOLE_SIGN_IN, NULL, "Wrong login or password");
      return;
    }
  if (failures > 0 && !rh_store_backoff_clear (self->store, backoff_key, &error))
    {
      respond_error (req, error);
      return;
    }
  if (!user->admin)
    {
      audit (self, user->login, "console.sign-in-refused", NULL);
      respond_code (req, RH_ERROR_CONSOLE_NOT_ADMIN, NULL,
                           "This account is not an administrator");
      return;
    }

  if (RAND_bytes (random, sizeof random) != 1)
    {
      respond_code (req, RH_ERROR_INTERNAL, NULL, "No random numbers");
      return;
    }
  token = base64url (random, sizeof random);
  OPENSSL_cleanse (random, sizeof random);
  hash_with_label ("rh-console:", token, token_hash);
  if (!rh_store_token_add (self->store, token_hash, user->login,
                           now + RH_CONSOLE_SESSION_SECONDS, &error))
    {
      respond_error (req, error);
      return;
    }
  audit (self, user->login, "console.signed-in", NULL);
  g_message ("Console: %s signed in from %s", user->login, rh_http_request_get_address (req));

  csrf = csrf_for_token (token);
  cookie = g_strdup_printf (RH_CONSOLE_COOKIE "=%s; Path=/; Max-Age=%d; HttpOnly; Secure; "
                            "SameSite=Strict", token, RH_CONSOLE_SESSION_SECONDS);
  rh_http_request_add_header (req, "set-cookie", cookie);

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  add_caller_members (builder, user->login, user->display_name, csrf);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  respond_json (req, 200, root);
}

static void
api_sign_out (RhAdminConsole *self,
              RhHttpRequest  *req,
              Caller         *caller,
              const char     *arg)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = json_node_init_object (json_node_alloc (), json_object_new ());

  if (!rh_store_token_revoke (self->store, caller->token_hash, &error))
    {
      respond_error (req, error);
      return;
    }
  audit (self, caller->login, "console.signed-out", NULL);
  rh_http_request_add_header (req, "set-cookie", RH_CONSOLE_COOKIE "=; Path=/; Max-Age=0; "
                              "HttpOnly; Secure; SameSite=Strict");
  respond_json (req, 200, root);
}

static void
api_me (RhAdminConsole *self,
        RhHttpRequest  *req,
        Caller         *caller,
        const char     *arg)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (builder);
  add_caller_members (builder, caller->login, caller->display_name, caller->csrf);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  respond_json (req, 200, root);
}

/* API: settings */

/* Booleans are JSON true/false; the others (retention days) whole numbers. */
static gboolean
setting_is_boolean (const char *key)
{
  const char *def = rh_settings_get_default (key);

  return g_strcmp0 (def, "true") == 0 || g_strcmp0 (def, "false") == 0;
}

static void
add_setting_value (JsonBuilder *builder,
                   const char  *key,
                   const char  *value)
{
  if (setting_is_boolean (key))
    json_builder_add_boolean_value (builder, g_strcmp0 (value, "true") == 0);
  else
    json_builder_add_int_value (builder, g_ascii_strtoll (value, NULL, 10));
}

static gboolean
add_setting (RhAdminConsole *self,
             JsonBuilder    *builder,
             const char     *key,
             GError        **error)
{
  g_autofree char *value = rh_settings_get (self->store, key, error);

  if (value == NULL)
    return FALSE;
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "key");
  json_builder_add_string_value (builder, key);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, setting_is_boolean (key) ? "boolean" : "integer");
  json_builder_set_member_name (builder, "value");
  add_setting_value (builder, key, value);
  json_builder_set_member_name (builder, "default");
  add_setting_value (builder, key, rh_settings_get_default (key));
  json_builder_end_object (builder);
  return TRUE;
}

static void
api_settings_get (RhAdminConsole *self,
                  RhHttpRequest  *req,
                  Caller         *caller,
                  const char     *arg)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) error = NULL;
  const char *const *keys = rh_settings_list_keys ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "settings");
  json_builder_begin_array (builder);
  for (gsize i = 0; keys[i] != NULL; i++)
    if (!add_setting (self, builder, keys[i], &error))
      {
        respond_error (req, error);
        return;
      }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  respond_json (req, 200, root);
}

static void
api_setting_put (RhAdminConsole *self,
                 RhHttpRequest  *req,
                 Caller         *caller,
                 const char     *key)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *current = NULL;
  JsonObject *body;
  JsonNode *value;
  GType type;

  if (rh_settings_get_default (key) == NULL)
    {
      g_autofree char *message = g_strdup_printf ("Unknown setting “%.64s”", key);

      respond_code (req, RH_ERROR_UNKNOWN_SETTING, NULL, message);
      return;
    }
  body = parse_body (req, parser, &error);
  if (body == NULL)
    {
      respond_error (req, error);
      return;
    }
  value = json_object_get_member (body, "value");
  type = value != NULL && JSON_NODE_HOLDS_VALUE (value) ? json_node_get_value_type (value)
                                                        : G_TYPE_INVALID;
  if (setting_is_boolean (key))
    {
      if (type != G_TYPE_BOOLEAN)
        {
          respond_code (req, RH_ERROR_CONSOLE_INVALID_VALUE, "value",
                        "“value” must be true or false");
          return;
        }
      text = g_strdup (json_node_get_boolean (value) ? "true" : "false");
    }
  else
    {
      if (type != G_TYPE_INT64)
        {
          respond_code (req, RH_ERROR_CONSOLE_INVALID_VALUE, "value",
                        "“value” must be a whole number");
          return;
        }
      text = g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (value));
    }

  current = rh_settings_get (self->store, key, &error);
  if (current == NULL)
    {
      respond_error (req, error);
      return;
    }
  /* Range checks and the audit entry (same transaction) are rh-admin's; saving the value a
   * setting already has changes nothing, so it is not audited. */
  if (g_strcmp0 (current, text) != 0)
    {
      if (!rh_admin_setting_set (self->store, caller->login, key, text, &error))
        {
          respond_error_full (req, error, "value");
          return;
        }
      g_message ("Console: %s set %s to %s", caller->login, key, text);
    }

  if (!add_setting (self, builder, key, &error))
    {
      respond_error (req, error);
      return;
    }
  root = json_builder_get_root (builder);
  respond_json (req, 200, root);
}

/* API: monitor, sessions, audit */

static void
api_monitor (RhAdminConsole *self,
             RhHttpRequest  *req,
             Caller         *caller,
             const char     *arg)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) days = NULL;
  gint64 today = now_seconds () - now_seconds () % DAY_SECONDS;
  gint64 first = today - (MONITOR_DAYS - 1) * DAY_SECONDS;
  guint active = 0, total = 0, j = 0;
  double average = 0;

  if (!rh_store_session_stats (self->store, first, &active, &days, &average, &error))
    {
      respond_error (req, error);
      return;
    }

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "active_sessions");
  json_builder_add_int_value (builder, active);
  json_builder_set_member_name (builder, "average_duration");
  json_builder_add_double_value (builder, average);
  json_builder_set_member_name (builder, "days");
  json_builder_begin_array (builder);
  /* Every day of the window, days without sessions as zeros, so the chart has no gaps. */
  for (gint64 day = first; day <= today; day += DAY_SECONDS)
    {
      g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (day);
      g_autofree char *text = g_date_time_format (dt, "%Y-%m-%d");
      guint count = 0;

      while (j < days->len && g_array_index (days, RhSessionDay, j).day < day)
        j++;
      if (j < days->len && g_array_index (days, RhSessionDay, j).day == day)
        count = g_array_index (days, RhSessionDay, j).count;
      total += count;
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "day");
      json_builder_add_string_value (builder, text);
      json_builder_set_member_name (builder, "count");
      json_builder_add_int_value (builder, count);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "sessions");
  json_builder_add_int_value (builder, total);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  respond_json (req, 200, root);
}

static gboolean
parse_limit (RhHttpRequest *req,
             guint         *out_limit,
             GError       **error)
{
  const char *text = rh_http_request_get_query (req, "limit");
  guint64 value = DEFAULT_LIMIT;

  if (text != NULL && !g_ascii_string_to_unsigned (text, 10, 1, MAX_LIMIT, &value, NULL))
    {
      g_set_error (error, RH_PROTOCOL_ERROR, RH_ERROR_CONSOLE_INVALID_VALUE,
                   "“limit” must be a number from 1 to %d", MAX_LIMIT);
      return FALSE;
    }
  *out_limit = (guint) value;
  return TRUE;
}

static gboolean
parse_search (RhHttpRequest  *req,
              const char    **out_search,
              GError        **error)
{
  const char *text = rh_http_request_get_query (req, "q");

  if (text != NULL && (!g_utf8_validate (text, -1, NULL) ||
                       g_utf8_strlen (text, -1) > MAX_SEARCH_LEN))
    {
      g_set_error (error, RH_PROTOCOL_ERROR, RH_ERROR_CONSOLE_INVALID_VALUE,
                   "“q” must be UTF-8 text of at most %d characters", MAX_SEARCH_LEN);
      return FALSE;
    }
  *out_search = text;
  return TRUE;
}

static const char * const session_sort_names[] = {
  [RH_SESSION_SORT_STARTED] = "started",
  [RH_SESSION_SORT_ENDED] = "ended",
  [RH_SESSION_SORT_DURATION] = "duration",
  [RH_SESSION_SORT_HELPER] = "helper",
  [RH_SESSION_SORT_SHARER] = "sharer",
  [RH_SESSION_SORT_DEVICE] = "device",
  [RH_SESSION_SORT_MODE] = "mode",
  [RH_SESSION_SORT_BYTES] = "bytes",
  [RH_SESSION_SORT_END_REASON] = "end_reason",
};

static GPtrArray *
query_sessions (RhAdminConsole *self,
                RhHttpRequest  *req,
                GError        **error)
{
  RhSessionQuery query = { .sort = RH_SESSION_SORT_STARTED, .descending = TRUE };
  const char *sort = rh_http_request_get_query (req, "sort");
  const char *order = rh_http_request_get_query (req, "order");

  if (!parse_search (req, &query.search, error) || !parse_limit (req, &query.limit, error))
    return NULL;
  if (sort != NULL)
    {
      gsize i;

      for (i = 0; i < G_N_ELEMENTS (session_sort_names); i++)
        if (g_strcmp0 (sort, session_sort_names[i]) == 0)
          break;
      if (i == G_N_ELEMENTS (session_sort_names))
        {
          g_set_error_literal (error, RH_PROTOCOL_ERROR, RH_ERROR_CONSOLE_INVALID_VALUE,
                               "“sort” must be one of started, ended, duration, helper, "
                               "sharer, device, mode, bytes, end_reason");
          return NULL;
        }
      query.sort = (RhSessionSort) i;
    }
  if (order != NULL && g_strcmp0 (order, "asc") != 0 && g_strcmp0 (order, "desc") != 0)
    {
      g_set_error_literal (error, RH_PROTOCOL_ERROR, RH_ERROR_CONSOLE_INVALID_VALUE,
                           "“order” must be asc or desc");
      return NULL;
    }
  if (order != NULL)
    query.descending = g_strcmp0 (order, "desc") == 0;
  return rh_store_session_query (self->store, &query, error);
}

static char *
format_time (gint64 when)
{
  g_autoptr(GDateTime) dt = when > 0 ? g_date_time_new_from_unix_utc (when) : NULL;

  return dt != NULL ? g_date_time_format (dt, "%Y-%m-%dT%H:%M:%SZ") : NULL;
}

static void
add_string_or_null (JsonBuilder *builder,
                    const char  *name,
                    const char  *value)
{
  json_builder_set_member_name (builder, name);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

static void
api_sessions (RhAdminConsole *self,
              RhHttpRequest  *req,
              Caller         *caller,
              const char     *arg)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = query_sessions (self, req, &error);
  gint64 now = now_seconds ();

  if (list == NULL)
    {
      respond_error (req, error);
      return;
    }

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "sessions");
  json_builder_begin_array (builder);
  for (guint i = 0; i < list->len; i++)
    {
      RhSessionRecord *r = list->pdata[i];
      g_autofree char *started = format_time (r->started_at);
      g_autofree char *ended = format_time (r->ended_at);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "id");
      json_builder_add_int_value (builder, r->id);
      add_string_or_null (builder, "helper", r->helper_login);
      add_string_or_null (builder, "sharer", r->sharer_login);
      add_string_or_null (builder, "device", r->device);
      add_string_or_null (builder, "mode", r->mode);
      add_string_or_null (builder, "started", started);
      add_string_or_null (builder, "ended", ended);
      json_builder_set_member_name (builder, "duration");
      json_builder_add_int_value (builder, (r->ended_at > 0 ? r->ended_at : now) - r->started_at);
      json_builder_set_member_name (builder, "active");
      json_builder_add_boolean_value (builder, r->ended_at == 0);
      json_builder_set_member_name (builder, "bytes");
      json_builder_add_int_value (builder, (gint64) r->bytes_relayed);
      add_string_or_null (builder, "end_reason", r->end_reason);
      json_builder_set_member_name (builder, "elevation_used");
      json_builder_add_boolean_value (builder, r->elevation_used);
      json_builder_set_member_name (builder, "elevation_tools");
      json_builder_add_value (builder, rh_admin_session_elevation_tools (r));
      add_string_or_null (builder, "elevation_end", r->elevation_end);
      {
        g_autofree char *summary = rh_admin_session_elevation_summary (r);

        add_string_or_null (builder, "elevation", summary);
      }
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  respond_json (req, 200, root);
}

/* A spreadsheet runs a cell that starts with = + - @ (or a tab/CR) as a formula: such
 * cells get a leading apostrophe, and every cell is quoted. */
static void
csv_cell (GString    *out,
          const char *value,
          gboolean    last)
{
  if (value == NULL)
    value = "";
  g_string_append_c (out, '"');
  if (strchr ("=+-@\t\r", value[0]) != NULL && value[0] != '\0')
    g_string_append_c (out, '\'');
  for (const char *p = value; *p != '\0'; p++)
    {
      if (*p == '"')
        g_string_append_c (out, '"');
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
  g_string_append (out, last ? "\r\n" : ",");
}

static void
respond_csv (RhHttpRequest *req,
             const char    *filename,
             GString       *csv)
{
  g_autofree char *disposition = g_strdup_printf ("attachment; filename=\"%s\"", filename);
  gsize len = csv->len;

  add_security_headers (req);
  rh_http_request_add_header (req, "content-disposition", disposition);
  rh_http_request_respond (req, 200, "text/csv; charset=utf-8",
                           g_bytes_new_take (g_string_free (csv, FALSE), len));
}

static void
api_sessions_csv (RhAdminConsole *self,
                  RhHttpRequest  *req,
                  Caller         *caller,
                  const char     *arg)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = query_sessions (self, req, &error);
  GString *csv;
  gint64 now = now_seconds ();

  if (list == NULL)
    {
      respond_error (req, error);
      return;
    }

  csv = g_string_new ("id,helper,sharer,device,mode,started,ended,duration_seconds,"
                      "bytes_relayed,end_reason,elevation_used,elevation_tools,elevation_end\r\n");
  for (guint i = 0; i < list->len; i++)
    {
      RhSessionRecord *r = list->pdata[i];
      g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, r->id);
      g_autofree char *started = format_time (r->started_at);
      g_autofree char *ended = format_time (r->ended_at);
      g_autofree char *duration =
        g_strdup_printf ("%" G_GINT64_FORMAT,
                         (r->ended_at > 0 ? r->ended_at : now) - r->started_at);
      g_autofree char *bytes = g_strdup_printf ("%" G_GUINT64_FORMAT, r->bytes_relayed);
      g_autofree char *tools = rh_admin_session_elevation_text (r);

      csv_cell (csv, id, FALSE);
      csv_cell (csv, r->helper_login, FALSE);
      csv_cell (csv, r->sharer_login, FALSE);
      csv_cell (csv, r->device, FALSE);
      csv_cell (csv, r->mode, FALSE);
      csv_cell (csv, started, FALSE);
      csv_cell (csv, ended, FALSE);
      csv_cell (csv, duration, FALSE);
      csv_cell (csv, bytes, FALSE);
      csv_cell (csv, r->end_reason, FALSE);
      csv_cell (csv, r->elevation_used ? "true" : "false", FALSE);
      csv_cell (csv, tools, FALSE);
      csv_cell (csv, r->elevation_end, TRUE);
    }
  respond_csv (req, "sessions.csv", csv);
}

static GPtrArray *
query_audit (RhAdminConsole *self,
             RhHttpRequest  *req,
             GError        **error)
{
  const char *search = NULL;
  guint limit = 0;

  if (!parse_search (req, &search, error) || !parse_limit (req, &limit, error))
    return NULL;
  return rh_store_audit_query (self->store, search, limit, error);
}

static void
api_audit (RhAdminConsole *self,
           RhHttpRequest  *req,
           Caller         *caller,
           const char     *arg)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = query_audit (self, req, &error);

  if (list == NULL)
    {
      respond_error (req, error);
      return;
    }

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "entries");
  json_builder_begin_array (builder);
  for (guint i = 0; i < list->len; i++)
    {
      RhAuditRecord *e = list->pdata[i];
      g_autofree char *at = format_time (e->at);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "id");
      json_builder_add_int_value (builder, e->id);
      add_string_or_null (builder, "at", at);
      add_string_or_null (builder, "actor", e->actor);
      add_string_or_null (builder, "action", e->action);
      add_string_or_null (builder, "detail", e->detail);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  respond_json (req, 200, root);
}

static void
api_audit_csv (RhAdminConsole *self,
               RhHttpRequest  *req,
               Caller         *caller,
               const char     *arg)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = query_audit (self, req, &error);
  GString *csv;

  if (list == NULL)
    {
      respond_error (req, error);
      return;
    }

  csv = g_string_new ("id,at,actor,action,detail\r\n");
  for (guint i = 0; i < list->len; i++)
    {
      RhAuditRecord *e = list->pdata[i];
      g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, e->id);
      g_autofree char *at = format_time (e->at);

      csv_cell (csv, id, FALSE);
      csv_cell (csv, at, FALSE);
      csv_cell (csv, e->actor, FALSE);
      csv_cell (csv, e->action, FALSE);
      csv_cell (csv, e->detail, TRUE);
    }
  respond_csv (req, "audit.csv", csv);
}

static gboolean
is_method (RhHttpRequest *req,
           const char    *method)
{
  return g_strcmp0 (rh_http_request_get_method (req), method) == 0;
}

/* API: roles, groups, assignments (validated and audited by rh-admin) */

#define MAX_LIST_ITEMS 1000

/* An optional member: *out NULL when absent; RH-6207 when present but not a string. */
static gboolean
get_optional_string (JsonObject  *object,
                     const char  *name,
                     const char **out,
                     GError     **error)
{
  JsonNode *node = json_object_get_member (object, name);

  *out = NULL;
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      g_set_error (error, RH_PROTOCOL_ERROR, RH_ERROR_CONSOLE_INVALID_VALUE,
                   "“%s” must be a string", name);
      return FALSE;
    }
  *out = json_node_get_string (node);
  return TRUE;
}

/* An optional array of strings: *out NULL when absent. */
static gboolean
get_optional_strv (JsonObject  *object,
                   const char  *name,
                   GStrv       *out,
                   GError     **error)
{
  JsonNode *node = json_object_get_member (object, name);
  g_autoptr(GStrvBuilder) builder = NULL;
  JsonArray *array;

  *out = NULL;
  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (node) ||
      json_array_get_length (array = json_node_get_array (node)) > MAX_LIST_ITEMS)
    {
      g_set_error (error, RH_PROTOCOL_ERROR, RH_ERROR_CONSOLE_INVALID_VALUE,
                   "“%s” must be a list of at most %d names", name, MAX_LIST_ITEMS);
      return FALSE;
    }
  builder = g_strv_builder_new ();
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *item = json_array_get_element (array, i);

      if (!JSON_NODE_HOLDS_VALUE (item) || json_node_get_value_type (item) != G_TYPE_STRING)
        {
          g_set_error (error, RH_PROTOCOL_ERROR, RH_ERROR_CONSOLE_INVALID_VALUE,
                       "“%s” must be a list of names", name);
          return FALSE;
        }
      g_strv_builder_add (builder, json_node_get_string (item));
    }
  *out = g_strv_builder_end (builder);
  return TRUE;
}

static gboolean
require_member (JsonObject  *object,
                const char  *name,
                const void  *value,
                GError     **error)
{
  if (value != NULL)
    return TRUE;
  g_set_error (error, RH_PROTOCOL_ERROR, RH_ERROR_CONSOLE_INVALID_VALUE, "“%s” is required",
               name);
  return FALSE;
}

/* The list handlers all read then reply, so a NULL list (a failed read) is
 * answered here with @error instead of in every caller. */
static void
respond_list (RhHttpRequest *req,
              const char    *member,
              GPtrArray     *items,
              JsonNode    *(*to_json) (gconstpointer item),
              const GError  *error)
{
  g_autoptr(JsonNode) root = NULL;
  JsonObject *object;
  JsonArray *array;

  if (items == NULL)
    {
      respond_error (req, error);
      return;
    }
  root = json_node_new (JSON_NODE_OBJECT);
  object = json_object_new ();
  array = json_array_new ();

  for (guint i = 0; i < items->len; i++)
    json_array_add_element (array, to_json (items->pdata[i]));
  json_object_set_array_member (object, member, array);
  json_node_take_object (root, object);
  respond_json (req, 200, root);
}

static void
respond_ok (RhHttpRequest *req)
{
  g_autoptr(JsonNode) root = json_node_new (JSON_NODE_OBJECT);

  json_node_take_object (root, json_object_new ());
  respond_json (req, 200, root);
}

/* Writes answer an empty object on success and the operation's error otherwise. */
static void
respond_result (RhHttpRequest *req,
                gboolean       ok,
                const GError  *error)
{
  if (ok)
    respond_ok (req);
  else
    respond_error (req, error);
}

/* Collections take POST without a name and PUT with one; anything else
 * (DELETE and GET are handled before) is refused the same way everywhere. */
static gboolean
allow_write (RhHttpRequest *req,
             const char    *target)
{
  if ((is_method (req, "POST") && target == NULL) || (is_method (req, "PUT") && target != NULL))
    return TRUE;
  respond_code (req, RH_ERROR_CONSOLE_NOT_FOUND, NULL, "Method not allowed");
  return FALSE;
}

static void
api_roles (RhAdminConsole *self,
           RhHttpRequest  *req,
           Caller         *caller,
           const char     *name)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) permissions = NULL;
  const char *new_name = NULL, *description = NULL;
  JsonObject *body;
  gboolean ok;

  if (is_method (req, "GET") && name == NULL)
    {
      g_autoptr(GPtrArray) roles = rh_admin_role_list (self->store, &error);

      respond_list (req, "roles", roles,
                    (JsonNode *(*) (gconstpointer)) rh_admin_role_to_json, error);
      return;
    }
  if (is_method (req, "DELETE") && name != NULL)
    {
      ok = rh_admin_role_delete (self->store, caller->login, name, &error);
      respond_result (req, ok, error);
      return;
    }
  if (!allow_write (req, name))
    return;

  body = parse_body (req, parser, &error);
  if (body == NULL ||
      !get_optional_string (body, "name", &new_name, &error) ||
      !get_optional_string (body, "description", &description, &error) ||
      !get_optional_strv (body, "permissions", &permissions, &error))
    {
      respond_error (req, error);
      return;
    }
  if (name == NULL)
    ok = require_member (body, "name", new_name, &error) &&
         require_member (body, "permissions", permissions, &error) &&
         rh_admin_role_create (self->store, caller->login, new_name, description,
                               (const char *const *) permissions, &error);
  else
    ok = rh_admin_role_update (self->store, caller->login, name, new_name, description,
                               (const char *const *) permissions, &error);
  respond_result (req, ok, error);
}

static void
api_groups (RhAdminConsole *self,
            RhHttpRequest  *req,
            Caller         *caller,
            const char     *name)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) members = NULL;
  const char *new_name = NULL, *description = NULL;
  JsonObject *body;
  gboolean ok;

  if (is_method (req, "GET") && name == NULL)
    {
      g_autoptr(GPtrArray) groups = rh_admin_group_list (self->store, &error);

      respond_list (req, "groups", groups,
                    (JsonNode *(*) (gconstpointer)) rh_admin_group_to_json, error);
      return;
    }
  if (is_method (req, "DELETE") && name != NULL)
    {
      ok = rh_admin_group_delete (self->store, caller->login, name, &error);
      respond_result (req, ok, error);
      return;
    }
  if (!allow_write (req, name))
    return;

  body = parse_body (req, parser, &error);
  if (body == NULL ||
      !get_optional_string (body, "name", &new_name, &error) ||
      !get_optional_string (body, "description", &description, &error) ||
      !get_optional_strv (body, "members", &members, &error))
    {
      respond_error (req, error);
      return;
    }
  if (name == NULL)
    ok = require_member (body, "name", new_name, &error) &&
         rh_admin_group_create (self->store, caller->login, new_name, description,
                                (const char *const *) members, &error);
  else
    ok = rh_admin_group_update (self->store, caller->login, name, new_name, description,
                                (const char *const *) members, NULL, NULL, &error);
  respond_result (req, ok, error);
}

static void
api_assignments (RhAdminConsole *self,
                 RhHttpRequest  *req,
                 Caller         *caller,
                 const char     *id_text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) scope_groups = NULL;
  const char *role = NULL, *helper_group = NULL;
  RhAdminScope scope = RH_ADMIN_SCOPE_KEEP;
  JsonObject *body;
  JsonNode *scope_node;
  guint64 id = 0;
  gint64 new_id = 0;
  gboolean ok;

  if (is_method (req, "GET") && id_text == NULL)
    {
      g_autoptr(GPtrArray) list = rh_admin_assignment_list (self->store, &error);

      respond_list (req, "assignments", list,
                    (JsonNode *(*) (gconstpointer)) rh_admin_assignment_to_json, error);
      return;
    }
  if (id_text != NULL && !g_ascii_string_to_unsigned (id_text, 10, 1, G_MAXINT64, &id, NULL))
    {
      respond_code (req, RH_ERROR_CONSOLE_NOT_FOUND, NULL, "No such assignment");
      return;
    }
  if (is_method (req, "DELETE") && id_text != NULL)
    {
      ok = rh_admin_assignment_delete (self->store, caller->login, (gint64) id, &error);
      respond_result (req, ok, error);
      return;
    }
  if (!allow_write (req, id_text))
    return;

  body = parse_body (req, parser, &error);
  if (body == NULL ||
      !get_optional_string (body, "role", &role, &error) ||
      !get_optional_string (body, "helper_group", &helper_group, &error))
    {
      respond_error (req, error);
      return;
    }
  /* "scope": "all-users", or a list of group names. */
  scope_node = json_object_get_member (body, "scope");
  if (scope_node != NULL)
    {
      if (JSON_NODE_HOLDS_VALUE (scope_node) &&
          json_node_get_value_type (scope_node) == G_TYPE_STRING &&
          g_strcmp0 (json_node_get_string (scope_node), "all-users") == 0)
        scope = RH_ADMIN_SCOPE_ALL_USERS;
      else if (JSON_NODE_HOLDS_ARRAY (scope_node) &&
               get_optional_strv (body, "scope", &scope_groups, &error))
        scope = RH_ADMIN_SCOPE_GROUPS;
      else
        {
          g_clear_error (&error);
          respond_code (req, RH_ERROR_CONSOLE_INVALID_VALUE, "scope",
                        "“scope” must be \"all-users\" or a list of group names");
          return;
        }
    }

  if (id_text == NULL)
    ok = require_member (body, "role", role, &error) &&
         require_member (body, "helper_group", helper_group, &error) &&
         require_member (body, "scope", scope_node, &error) &&
         rh_admin_assignment_create (self->store, caller->login, role, helper_group, scope,
                                     (const char *const *) scope_groups, &new_id, &error);
  else
    ok = rh_admin_assignment_update (self->store, caller->login, (gint64) id, role,
                                     helper_group, scope, (const char *const *) scope_groups,
                                     &error);
  if (!ok)
    {
      respond_error (req, error);
      return;
    }
  if (id_text == NULL)
    {
      g_autoptr(JsonNode) root = json_node_new (JSON_NODE_OBJECT);
      JsonObject *object = json_object_new ();

      json_object_set_int_member (object, "id", new_id);
      json_node_take_object (root, object);
      respond_json (req, 200, root);
      return;
    }
  respond_ok (req);
}

/* Logins for the group member lists; no password hashes or photos. */
static void
api_users (RhAdminConsole *self,
           RhHttpRequest  *req,
           Caller         *caller,
           const char     *arg)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) users = rh_store_user_list (self->store, &error);

  if (users == NULL)
    {
      respond_error (req, error);
      return;
    }
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "users");
  json_builder_begin_array (builder);
  for (guint i = 0; i < users->len; i++)
    {
      RhUser *user = users->pdata[i];

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "login");
      json_builder_add_string_value (builder, user->login);
      add_string_or_null (builder, "display_name", user->display_name);
      json_builder_set_member_name (builder, "admin");
      json_builder_add_boolean_value (builder, user->admin);
      json_builder_set_member_name (builder, "disabled");
      json_builder_add_boolean_value (builder, user->disabled);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  respond_json (req, 200, root);
}

/* Routing */

typedef void (*ApiFunc) (RhAdminConsole *self,
                         RhHttpRequest  *req,
                         Caller         *caller,
                         const char     *arg);

/* A path ending in '/' is a prefix: the rest of the path is the handler's arg. Handlers
 * without a method check it themselves (create, edit and delete share one). */
typedef struct
{
  const char *method;
  const char *path;
  ApiFunc     func;
} Route;

static const Route routes[] = {
  { "GET", "me", api_me },
  { "POST", "sign-out", api_sign_out },
  { "GET", "settings", api_settings_get },
  { "PUT", "settings/", api_setting_put },
  { "GET", "monitor", api_monitor },
  { "GET", "sessions", api_sessions },
  { "GET", "sessions.csv", api_sessions_csv },
  { "GET", "audit", api_audit },
  { "GET", "audit.csv", api_audit_csv },
  { "GET", "users", api_users },
  { NULL, "roles", api_roles },
  { NULL, "roles/", api_roles },
  { NULL, "groups", api_groups },
  { NULL, "groups/", api_groups },
  { NULL, "assignments", api_assignments },
  { NULL, "assignments/", api_assignments },
};

static void
handle_api (RhAdminConsole *self,
            RhHttpRequest  *req,
            const char     *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(Caller) caller = NULL;
  gboolean reading = is_method (req, "GET");
  gboolean changing = is_method (req, "POST") || is_method (req, "PUT") ||
                      is_method (req, "DELETE");

  switch (rh_http_request_get_body_status (req))
    {
    case RH_HTTP_BODY_OK:
      break;
    case RH_HTTP_BODY_TOO_LARGE:
    case RH_HTTP_BODY_NO_LENGTH:
      respond_code (req, RH_ERROR_CONSOLE_TOO_LARGE, NULL,
                    "The request body is over 16 KiB or has no Content-Length");
      return;
    }

  if (!reading && !changing)
    {
      respond_code (req, RH_ERROR_CONSOLE_NOT_FOUND, NULL, "Method not allowed");
      return;
    }

  /* Signing in is the one change made without a session. */
  if (g_strcmp0 (path, "sign-in") == 0)
    {
      if (!is_method (req, "POST"))
        {
          respond_code (req, RH_ERROR_CONSOLE_NOT_FOUND, NULL, "Use POST to sign in");
          return;
        }
      api_sign_in (self, req);
      return;
    }

  caller = authenticate (self, req, &error);
  if (caller == NULL)
    {
      respond_error (req, error);
      return;
    }
  if (changing && !check_csrf (req, caller, &error))
    {
      respond_error (req, error);
      return;
    }

  for (gsize i = 0; i < G_N_ELEMENTS (routes); i++)
    {
      const Route *route = &routes[i];
      gsize len = strlen (route->path);
      gboolean prefix = route->path[len - 1] == '/';

      if (route->method != NULL && !is_method (req, route->method))
        continue;
      if (prefix ? strncmp (path, route->path, len) == 0 : strcmp (path, route->path) == 0)
        {
          route->func (self, req, caller, prefix ? path + len : NULL);
          return;
        }
    }

  respond_code (req, RH_ERROR_CONSOLE_NOT_FOUND, NULL, "No such API");
}

static const char *
asset_type (const char *name)
{
  if (g_str_has_suffix (name, ".html"))
    return "text/html; charset=utf-8";
  if (g_str_has_suffix (name, ".css"))
    return "text/css; charset=utf-8";
  if (g_str_has_suffix (name, ".js"))
    return "text/javascript; charset=utf-8";
  if (g_str_has_suffix (name, ".svg"))
    return "image/svg+xml";
  return NULL;
}

/* Only plain file names directly in the assets directory: no path can leave it. */
static gboolean
asset_name_ok (const char *name)
{
  if (name[0] == '\0' || name[0] == '.' || strlen (name) > 64)
    return FALSE;
  for (const char *p = name; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '.' && *p != '_')
      return FALSE;
  return strstr (name, "..") == NULL && asset_type (name) != NULL;
}

static void
handle_asset (RhAdminConsole *self,
              RhHttpRequest  *req,
              const char     *name)
{
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  char *contents = NULL;
  gsize len = 0;

  if (!is_method (req, "GET"))
    {
      respond_code (req, RH_ERROR_CONSOLE_NOT_FOUND, NULL, "Method not allowed");
      return;
    }
  if (!asset_name_ok (name))
    {
      respond_code (req, RH_ERROR_CONSOLE_NOT_FOUND, NULL, "No such page");
      return;
    }
  if (self->assets_dir == NULL || !g_file_test (self->assets_dir, G_FILE_TEST_IS_DIR))
    {
      g_warning ("The admin console files are missing (%s)",
                 self->assets_dir ? self->assets_dir : "no directory configured");
      respond_code (req, RH_ERROR_CONSOLE_ASSETS, NULL,
                           "The server cannot find the console's files");
      return;
    }
  path = g_build_filename (self->assets_dir, name, NULL);
  if (!g_file_get_contents (path, &contents, &len, &error))
    {
      respond_code (req, RH_ERROR_CONSOLE_NOT_FOUND, NULL, "No such page");
      return;
    }

  add_security_headers (req);
  rh_http_request_respond (req, 200, asset_type (name), g_bytes_new_take (contents, len));
}

static void
handle_request (RhHttpRequest *req,
                gpointer       user_data)
{
  RhAdminConsole *self = user_data;
  const char *path = rh_http_request_get_path (req);

  if (g_str_has_prefix (path, "/api/"))
    handle_api (self, req, path + strlen ("/api/"));
  else if (g_strcmp0 (path, "/") == 0)
    handle_asset (self, req, "index.html");
  else
    handle_asset (self, req, path + 1);
}

static void
rh_admin_console_finalize (GObject *object)
{
  RhAdminConsole *self = RH_ADMIN_CONSOLE (object);

  g_clear_object (&self->store);
  g_free (self->assets_dir);

  G_OBJECT_CLASS (rh_admin_console_parent_class)->finalize (object);
}

static void
rh_admin_console_class_init (RhAdminConsoleClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = rh_admin_console_finalize;
}

static void
rh_admin_console_init (RhAdminConsole *self)
{
}

RhAdminConsole *
rh_admin_console_new (RhStore    *store,
                      const char *assets_dir)
{
  RhAdminConsole *self;

  g_return_val_if_fail (RH_IS_STORE (store), NULL);

  self = g_object_new (RH_TYPE_ADMIN_CONSOLE, NULL);
  self->store = g_object_ref (store);
  self->assets_dir = g_strdup (assets_dir);
  return self;
}

void
rh_admin_console_attach (RhAdminConsole *self,
                         RhWsServer     *ws)
{
  g_return_if_fail (RH_IS_ADMIN_CONSOLE (self));
  g_return_if_fail (RH_IS_WS_SERVER (ws));

  /* The server keeps no reference: the owner keeps both alive together. */
  rh_ws_server_set_http_handler (ws, RH_CONSOLE_MAX_BODY, handle_request, self);
}
