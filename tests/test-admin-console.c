/* test-admin-console.c: the admin web console's HTTPS API against a real remote-help-server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Requests go over a real TLS connection (OpenSSL, the server's certificate pinned by the
 * fingerprint it printed) to a server on 127.0.0.1; what the API stored is checked through
 * the admin CLI and the SQLite file, not only through the API's own answers.
 */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include <json-glib/json-glib.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "rh-fingerprint.h"
#include "rh-settings.h"
#include "rh-store-sqlite.h"
#include "rh-test-server.h"

#define ADMIN_PASSWORD "root-password-1"

typedef struct
{
  guint       status;
  GHashTable *headers;   /* lower-case name → value */
  char       *body;
  gsize       body_len;
  JsonNode   *json;      /* when the body is JSON */
} Response;

static void
response_free (Response *r)
{
  g_hash_table_unref (r->headers);
  g_free (r->body);
  g_clear_pointer (&r->json, json_node_unref);
  g_free (r);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Response, response_free)

typedef struct
{
  RhTestServer *server;
  char         *cookie;   /* "__Host-rh-console=…" */
  char         *csrf;
} Fixture;

/* One request on its own connection ("Connection: close"), read to the end. */
static Response *
https_raw (Fixture    *f,
           const char *request,
           gsize       request_len)
{
  SSL_CTX *ctx = SSL_CTX_new (TLS_client_method ());
  g_autofree char *target = g_strdup_printf ("127.0.0.1:%d", f->server->port);
  g_autofree char *fingerprint = NULL;
  g_autoptr(GByteArray) in = g_byte_array_new ();
  Response *r = g_new0 (Response, 1);
  guint8 digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  const char *end, *line;
  X509 *cert;
  SSL *ssl = NULL;
  BIO *bio;
  gsize sent = 0;
  char buf[16384];
  int n;

  /* The certificate is self-signed: it is pinned by its fingerprint below instead. */
  SSL_CTX_set_verify (ctx, SSL_VERIFY_NONE, NULL);
  bio = BIO_new_ssl_connect (ctx);
  BIO_set_conn_hostname (bio, target);
  alarm (30);
  g_assert_cmpint (BIO_do_connect (bio), ==, 1);
  g_assert_cmpint (BIO_do_handshake (bio), ==, 1);
  BIO_get_ssl (bio, &ssl);
  cert = SSL_get1_peer_certificate (ssl);
  g_assert_nonnull (cert);
  g_assert_true (X509_digest (cert, EVP_sha256 (), digest, &digest_len));
  X509_free (cert);
  g_assert_cmpuint (digest_len, ==, RH_FINGERPRINT_LEN);
  fingerprint = rh_fingerprint_format (digest);
  g_assert_cmpstr (fingerprint, ==, f->server->tls_fingerprint);

  while (sent < request_len)
    {
      n = BIO_write (bio, request + sent, (int) MIN (request_len - sent, sizeof buf));
      g_assert_cmpint (n, >, 0);
      sent += (gsize) n;
    }
  while ((n = BIO_read (bio, buf, sizeof buf)) > 0)
    g_byte_array_append (in, (guint8 *) buf, (guint) n);
  alarm (0);
  BIO_free_all (bio);
  SSL_CTX_free (ctx);

  g_byte_array_append (in, (guint8 *) "", 1);
  end = strstr ((char *) in->data, "\r\n\r\n");
  g_assert_nonnull (end);
  g_assert_true (g_str_has_prefix ((char *) in->data, "HTTP/1.1 "));
  r->status = (guint) g_ascii_strtoull ((char *) in->data + 9, NULL, 10);
  r->headers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  line = strstr ((char *) in->data, "\r\n") + 2;
  while (line < end)
    {
      const char *eol = strstr (line, "\r\n");
      const char *colon = memchr (line, ':', (gsize) (eol - line));

      g_assert_nonnull (colon);
      g_hash_table_replace (r->headers, g_ascii_strdown (line, colon - line),
                            g_strstrip (g_strndup (colon + 1, (gsize) (eol - colon - 1))));
      line = eol + 2;
    }
  r->body_len = in->len - 1 - (gsize) (end + 4 - (char *) in->data);
  r->body = g_strndup (end + 4, r->body_len);
  if (g_hash_table_contains (r->headers, "content-length"))
    g_assert_cmpuint (g_ascii_strtoull (g_hash_table_lookup (r->headers, "content-length"),
                                        NULL, 10), ==, r->body_len);

  if (g_str_has_prefix (g_hash_table_lookup (r->headers, "content-type") ?: "",
                        "application/json"))
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autoptr(GError) error = NULL;

      g_assert_true (json_parser_load_from_data (parser, r->body, (gssize) r->body_len, &error));
      g_assert_no_error (error);
      r->json = json_node_ref (json_parser_get_root (parser));
    }
  return r;
}

static Response *
https (Fixture    *f,
       const char *method,
       const char *path,
       const char *cookie,
       const char *csrf,
       const char *content_type,
       const char *body)
{
  g_autoptr(GString) req = g_string_new (NULL);

  g_string_append_printf (req, "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n",
                          method, path, f->server->port);
  if (cookie != NULL)
    g_string_append_printf (req, "Cookie: %s\r\n", cookie);
  if (csrf != NULL)
    g_string_append_printf (req, "X-CSRF-Token: %s\r\n", csrf);
  if (content_type != NULL)
    g_string_append_printf (req, "Content-Type: %s\r\n", content_type);
  if (body != NULL)
    g_string_append_printf (req, "Content-Length: %zu\r\n", strlen (body));
  g_string_append (req, "\r\n");
  if (body != NULL)
    g_string_append (req, body);
  return https_raw (f, req->str, req->len);
}

/* As the signed-in administrator, with the CSRF token. */
static Response *
admin_call (Fixture    *f,
            const char *method,
            const char *path,
            const char *body)
{
  return https (f, method, path, f->cookie, f->csrf, body ? "application/json" : NULL, body);
}

static const char *
error_code (Response *r)
{
  JsonObject *error;

  g_assert_nonnull (r->json);
  error = json_object_get_object_member (json_node_get_object (r->json), "error");
  g_assert_nonnull (error);
  g_assert_nonnull (json_object_get_string_member (error, "message"));
  return json_object_get_string_member (error, "code");
}

static void
assert_error (Response   *r,
              guint       status,
              const char *code)
{
  if (r->status != status)
    g_test_message ("Answer: %u %s", r->status, r->body);
  g_assert_cmpuint (r->status, ==, status);
  g_assert_cmpstr (error_code (r), ==, code);
}

static gint64
audit_count (Fixture *f)
{
  g_autofree char *path = g_build_filename (f->server->data_dir, "remote-help.db", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(RhStore) store = rh_store_sqlite_new (path, &error);
  g_autoptr(GPtrArray) list = NULL;

  g_assert_no_error (error);
  list = rh_store_audit_query (store, NULL, 0, &error);
  g_assert_no_error (error);
  return list->len;
}

static char *
cli_setting (Fixture    *f,
             const char *key)
{
  g_autofree char *out = NULL;

  g_assert_cmpint (rh_test_server_admin (f->server, &out, NULL, "settings", "get", key, NULL),
                   ==, 0);
  return g_strstrip (g_steal_pointer (&out));
}

static Response *
sign_in (Fixture    *f,
         const char *login,
         const char *password)
{
  g_autofree char *body = g_strdup_printf ("{\"login\":\"%s\",\"password\":\"%s\"}", login,
                                           password);

  return https (f, "POST", "/api/sign-in", NULL, NULL, "application/json", body);
}

static void
fixture_setup (Fixture      *f,
               gconstpointer user_data)
{
  g_autofree char *pw = NULL;
  g_autoptr(Response) r = NULL;
  const char *set_cookie;

  f->server = rh_test_server_new ();
  pw = g_build_filename (f->server->tmpdir, "root-pw", NULL);
  rh_test_write_file (pw, ADMIN_PASSWORD);
  g_assert_cmpint (rh_test_server_admin (f->server, NULL, NULL, "user", "add", "root",
                                         "--display-name", "Ada Admin",
                                         "--job-title", "Administrator",
                                         "--company", "Example Corp",
                                         "--domain", "example.com", "--admin",
                                         "--password-file", pw, NULL), ==, 0);
  rh_test_server_start (f->server, NULL);

  r = sign_in (f, "root", ADMIN_PASSWORD);
  g_assert_cmpuint (r->status, ==, 200);
  set_cookie = g_hash_table_lookup (r->headers, "set-cookie");
  g_assert_nonnull (set_cookie);
  f->cookie = g_strndup (set_cookie, strcspn (set_cookie, ";"));
  f->csrf = g_strdup (json_object_get_string_member (json_node_get_object (r->json),
                                                      "csrf_token"));
}

static void
fixture_teardown (Fixture      *f,
                  gconstpointer user_data)
{
  rh_test_server_stop (f->server);
  rh_test_server_free (f->server);
  g_free (f->cookie);
  g_free (f->csrf);
}

static void
assert_security_headers (Response *r)
{
  const char *csp = g_hash_table_lookup (r->headers, "content-security-policy");

  g_assert_nonnull (csp);
  g_assert_true (g_str_has_prefix (csp, "default-src 'self'"));
  g_assert_nonnull (strstr (csp, "frame-ancestors 'none'"));
  g_assert_null (strstr (csp, "unsafe-inline"));
  g_assert_null (strstr (csp, "unsafe-eval"));
  g_assert_cmpstr (g_hash_table_lookup (r->headers, "x-content-type-options"), ==, "nosniff");
  g_assert_cmpstr (g_hash_table_lookup (r->headers, "x-frame-options"), ==, "DENY");
}

static void
test_static_and_headers (Fixture      *f,
                         gconstpointer user_data)
{
  g_autoptr(Response) page = https (f, "GET", "/", NULL, NULL, NULL, NULL);
  g_autoptr(Response) script = https (f, "GET", "/console.js", NULL, NULL, NULL, NULL);
  g_autoptr(Response) missing = https (f, "GET", "/nothing.js", NULL, NULL, NULL, NULL);
  g_autoptr(Response) outside = https (f, "GET", "/%2e%2e/README.md", NULL, NULL, NULL, NULL);
  g_autoptr(Response) post = https (f, "POST", "/index.html", NULL, NULL, "text/plain", "x");
  g_autoptr(Response) api = https (f, "GET", "/api/nothing", f->cookie, NULL, NULL, NULL);

  g_assert_cmpuint (page->status, ==, 200);
  g_assert_true (g_str_has_prefix (g_hash_table_lookup (page->headers, "content-type"),
                                   "text/html"));
  assert_security_headers (page);
  /* No inline script or style in the page itself: the CSP would block it. */
  g_assert_null (strstr (page->body, "<script>"));
  g_assert_null (strstr (page->body, "style="));
  g_assert_null (strstr (page->body, "<style"));
  g_assert_false (g_regex_match_simple ("<[^>]*\\son[a-z]+\\s*=", page->body,
                                        G_REGEX_CASELESS, 0));
  g_assert_nonnull (strstr (page->body, "src=\"console.js\""));

  g_assert_cmpuint (script->status, ==, 200);
  g_assert_true (g_str_has_prefix (g_hash_table_lookup (script->headers, "content-type"),
                                   "text/javascript"));
  assert_security_headers (script);

  assert_error (missing, 404, "RH-6208");
  assert_error (outside, 404, "RH-6208");
  assert_error (post, 404, "RH-6208");
  assert_error (api, 404, "RH-6208");
  assert_security_headers (api);
}

static void
test_sign_in (Fixture      *f,
              gconstpointer user_data)
{
  g_autoptr(Response) ok = sign_in (f, "root", ADMIN_PASSWORD);
  g_autoptr(Response) wrong = sign_in (f, "root", "wrong-password");
  g_autoptr(Response) unknown = sign_in (f, "nobody", "whatever-password");
  g_autoptr(Response) helper = sign_in (f, "helen", "helen-password");
  g_autoptr(Response) me = NULL;
  g_autoptr(Response) helper_cookie = NULL;
  g_autoptr(Response) forged = NULL;
  const char *cookie = g_hash_table_lookup (ok->headers, "set-cookie");
  JsonObject *object;

  g_assert_cmpuint (ok->status, ==, 200);
  g_assert_true (g_str_has_prefix (cookie, "__Host-rh-console="));
  g_assert_nonnull (strstr (cookie, "; HttpOnly"));
  g_assert_nonnull (strstr (cookie, "; Secure"));
  g_assert_nonnull (strstr (cookie, "; SameSite=Strict"));
  g_assert_nonnull (strstr (cookie, "; Path=/"));
  g_assert_null (strstr (cookie, "Domain="));
  assert_security_headers (ok);
  object = json_node_get_object (ok->json);
  g_assert_cmpstr (json_object_get_string_member (object, "login"), ==, "root");
  g_assert_cmpstr (json_object_get_string_member (object, "display_name"), ==, "Ada Admin");
  /* The page can read the CSRF token; it is not the cookie. */
  g_assert_cmpuint (strlen (json_object_get_string_member (object, "csrf_token")), >=, 40);
  g_assert_null (strstr (cookie, json_object_get_string_member (object, "csrf_token")));

  assert_error (wrong, 401, "RH-6201");
  g_assert_null (g_hash_table_lookup (wrong->headers, "set-cookie"));
  assert_error (unknown, 401, "RH-6201");
  /* A valid account without the admin flag. */
  assert_error (helper, 403, "RH-6203");
  g_assert_null (g_hash_table_lookup (helper->headers, "set-cookie"));

  me = https (f, "GET", "/api/me", f->cookie, NULL, NULL, NULL);
  g_assert_cmpuint (me->status, ==, 200);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (me->json),
                                                  "csrf_token"), ==, f->csrf);

  /* Made-up and missing cookies. */
  helper_cookie = https (f, "GET", "/api/me", NULL, NULL, NULL, NULL);
  assert_error (helper_cookie, 401, "RH-6202");
  forged = https (f, "GET", "/api/settings", "__Host-rh-console=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                  NULL, NULL, NULL);
  assert_error (forged, 401, "RH-6202");
}

/* A helper's rendezvous sign-in token is not a console session, even for an admin. */
static void
test_rendezvous_token_is_not_a_cookie (Fixture      *f,
                                       gconstpointer user_data)
{
  const char *value = strchr (f->cookie, '=') + 1;
  g_autofree char *path = g_build_filename (f->server->data_dir, "remote-help.db", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(RhStore) store = rh_store_sqlite_new (path, &error);
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  guint8 hash[RH_STORE_TOKEN_HASH_LEN];
  gsize len = sizeof hash;
  g_autofree char *login = NULL;

  /* The cookie's plain SHA-256 (what the rendezvous service looks up) is unknown. */
  g_checksum_update (sum, (const guchar *) value, -1);
  g_checksum_get_digest (sum, hash, &len);
  g_assert_true (rh_store_token_lookup (store, hash, g_get_real_time () / G_USEC_PER_SEC,
                                        &login, &error));
  g_assert_no_error (error);
  g_assert_null (login);
}

static void
test_unauthenticated (Fixture      *f,
                      gconstpointer user_data)
{
  const char *const paths[] = { "/api/settings", "/api/monitor", "/api/sessions",
                                "/api/sessions.csv", "/api/audit", "/api/audit.csv",
                                "/api/me" };
  gint64 before = audit_count (f);
  g_autoptr(Response) put = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autoptr(Response) r = https (f, "GET", paths[i], NULL, NULL, NULL, NULL);

      assert_error (r, 401, "RH-6202");
    }
  put = https (f, "PUT", "/api/settings/chat-disabled", NULL, f->csrf, "application/json",
               "{\"value\":true}");
  assert_error (put, 401, "RH-6202");
  g_assert_cmpint (audit_count (f), ==, before);
  g_assert_cmpstr (cli_setting (f, "chat-disabled"), ==, "false");
}

static void
test_non_admin_session (Fixture      *f,
                        gconstpointer user_data)
{
  g_autoptr(Response) r = NULL;
  g_autofree char *out = NULL;

  /* Disabling the account ends its console session at once. */
  g_assert_cmpint (rh_test_server_admin (f->server, &out, NULL, "user", "disable", "root", NULL),
                   ==, 0);
  r = https (f, "GET", "/api/settings", f->cookie, NULL, NULL, NULL);
  assert_error (r, 401, "RH-6202");
}

static void
test_csrf (Fixture      *f,
           gconstpointer user_data)
{
  gint64 before = audit_count (f);
  g_autoptr(Response) none = https (f, "PUT", "/api/settings/chat-disabled", f->cookie, NULL,
                                    "application/json", "{\"value\":true}");
  g_autoptr(Response) wrong = https (f, "PUT", "/api/settings/chat-disabled", f->cookie,
                                     "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                                     "application/json", "{\"value\":true}");
  g_autoptr(Response) out = https (f, "POST", "/api/sign-out", f->cookie, NULL, NULL, NULL);
  g_autoptr(Response) still = https (f, "GET", "/api/me", f->cookie, NULL, NULL, NULL);
  g_autoptr(Response) ok = NULL;
  g_autoptr(Response) gone = NULL;

  assert_error (none, 403, "RH-6204");
  assert_error (wrong, 403, "RH-6204");
  assert_error (out, 403, "RH-6204");
  g_assert_cmpuint (still->status, ==, 200);
  g_assert_cmpstr (cli_setting (f, "chat-disabled"), ==, "false");
  g_assert_cmpint (audit_count (f), ==, before);

  /* Signing out with the token ends the session. */
  ok = admin_call (f, "POST", "/api/sign-out", NULL);
  g_assert_cmpuint (ok->status, ==, 200);
  g_assert_nonnull (strstr (g_hash_table_lookup (ok->headers, "set-cookie"), "Max-Age=0"));
  gone = https (f, "GET", "/api/me", f->cookie, NULL, NULL, NULL);
  assert_error (gone, 401, "RH-6202");
}

static void
test_settings (Fixture      *f,
               gconstpointer user_data)
{
  g_autoptr(Response) list = admin_call (f, "GET", "/api/settings", NULL);
  g_autoptr(Response) set = NULL;
  g_autoptr(Response) audit = NULL;
  JsonArray *settings;
  JsonObject *entry;
  gint64 before;

  g_assert_cmpuint (list->status, ==, 200);
  settings = json_object_get_array_member (json_node_get_object (list->json), "settings");
  g_assert_cmpuint (json_array_get_length (settings), ==, g_strv_length ((GStrv) rh_settings_list_keys ()));
  /* The test server enabled Remote Help; the others keep the CLI's defaults. */
  for (guint i = 0; i < json_array_get_length (settings); i++)
    {
      const char *key;

      entry = json_array_get_object_element (settings, i);
      key = json_object_get_string_member (entry, "key");
      if (g_strcmp0 (json_object_get_string_member (entry, "type"), "integer") == 0)
        {
          g_assert_cmpint (json_object_get_int_member (entry, "value"), ==,
                           g_ascii_strtoll (rh_settings_get_default (key), NULL, 10));
          continue;
        }
      if (g_strcmp0 (key, "remote-help-enabled") == 0)
        g_assert_true (json_object_get_boolean_member (entry, "value"));
      else
        g_assert_false (json_object_get_boolean_member (entry, "value"));
      g_assert_false (json_object_get_boolean_member (entry, "default"));
    }

  before = audit_count (f);
  set = admin_call (f, "PUT", "/api/settings/chat-disabled", "{\"value\":true}");
  g_assert_cmpuint (set->status, ==, 200);
  g_assert_true (json_object_get_boolean_member (json_node_get_object (set->json), "value"));
  g_assert_cmpstr (cli_setting (f, "chat-disabled"), ==, "true");
  g_assert_cmpint (audit_count (f), ==, before + 1);

  {
    g_autoptr(Response) days = admin_call (f, "PUT", "/api/settings/audit-retention-days",
                                           "{\"value\":45}");

    g_assert_cmpuint (days->status, ==, 200);
    g_assert_cmpint (json_object_get_int_member (json_node_get_object (days->json), "value"),
                     ==, 45);
    g_assert_cmpstr (cli_setting (f, "audit-retention-days"), ==, "45");
  }

  audit = admin_call (f, "GET", "/api/audit?q=chat-disabled", NULL);
  g_assert_cmpuint (audit->status, ==, 200);
  entry = json_array_get_object_element (
    json_object_get_array_member (json_node_get_object (audit->json), "entries"), 0);
  g_assert_cmpstr (json_object_get_string_member (entry, "actor"), ==, "root");
  g_assert_cmpstr (json_object_get_string_member (entry, "action"), ==, "setting.changed");
  g_assert_nonnull (strstr (json_object_get_string_member (entry, "detail"), "\"after\""));
}

static void
test_bad_input (Fixture      *f,
                gconstpointer user_data)
{
  static const struct
  {
    const char *path;
    const char *content_type;
    const char *body;
    guint       status;
    const char *code;
  } cases[] = {
    { "/api/settings/chat-disabled", "application/json", "{\"value\":tru", 400, "RH-6205" },
    { "/api/settings/chat-disabled", "application/json", "[true]", 400, "RH-6205" },
    { "/api/settings/chat-disabled", "application/json", "", 400, "RH-6205" },
    { "/api/settings/chat-disabled", "application/json", "\xff\xfe{}", 400, "RH-6205" },
    { "/api/settings/chat-disabled", "text/plain", "{\"value\":true}", 400, "RH-6205" },
    { "/api/settings/chat-disabled", "application/json", "{\"value\":\"yes\"}", 400, "RH-6207" },
    { "/api/settings/chat-disabled", "application/json", "{\"value\":1}", 400, "RH-6207" },
    { "/api/settings/chat-disabled", "application/json", "{\"value\":null}", 400, "RH-6207" },
    { "/api/settings/chat-disabled", "application/json", "{}", 400, "RH-6207" },
    { "/api/settings/no-such-key", "application/json", "{\"value\":true}", 404, "RH-6001" },
    { "/api/settings/audit-retention-days", "application/json", "{\"value\":0}", 400, "RH-6002" },
    { "/api/settings/audit-retention-days", "application/json", "{\"value\":99999}", 400,
      "RH-6002" },
    { "/api/settings/audit-retention-days", "application/json", "{\"value\":\"30\"}", 400,
      "RH-6207" },
    { "/api/settings/audit-retention-days", "application/json", "{\"value\":true}", 400,
      "RH-6207" },
  };
  gint64 before = audit_count (f);
  g_autofree char *big_body = NULL;
  g_autoptr(Response) big = NULL;
  g_autoptr(Response) chunked = NULL;
  g_autoptr(Response) after = NULL;
  const char *chunked_request;

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(Response) r = https (f, "PUT", cases[i].path, f->cookie, f->csrf,
                                     cases[i].content_type, cases[i].body);

      g_test_message ("case %zu: %s", i, cases[i].body);
      assert_error (r, cases[i].status, cases[i].code);
    }

  /* 20 KiB of valid JSON is still over the 16 KiB limit. */
  big_body = g_strdup_printf ("{\"value\":true,\"pad\":\"%0*d\"}", 20 * 1024, 0);
  big = https (f, "PUT", "/api/settings/chat-disabled", f->cookie, f->csrf, "application/json",
               big_body);
  assert_error (big, 413, "RH-6206");

  /* A body without Content-Length is refused without being read. */
  chunked_request = "PUT /api/settings/chat-disabled HTTP/1.1\r\nHost: x\r\n"
                    "Transfer-Encoding: chunked\r\nContent-Type: application/json\r\n";
  {
    g_autofree char *req = g_strdup_printf ("%sCookie: %s\r\nX-CSRF-Token: %s\r\n\r\n"
                                            "e\r\n{\"value\":true}\r\n0\r\n\r\n",
                                            chunked_request, f->cookie, f->csrf);

    chunked = https_raw (f, req, strlen (req));
    assert_error (chunked, 413, "RH-6206");
  }

  /* Nothing was stored or audited, and the server still answers. */
  g_assert_cmpstr (cli_setting (f, "chat-disabled"), ==, "false");
  g_assert_cmpint (audit_count (f), ==, before);
  after = admin_call (f, "GET", "/api/settings", NULL);
  g_assert_cmpuint (after->status, ==, 200);

  /* Query parameters are validated too. */
  {
    g_autoptr(Response) sort = admin_call (f, "GET", "/api/sessions?sort=password", NULL);
    g_autoptr(Response) order = admin_call (f, "GET", "/api/sessions?order=sideways", NULL);
    g_autoptr(Response) limit = admin_call (f, "GET", "/api/audit?limit=0", NULL);
    g_autofree char *long_q = g_strdup_printf ("/api/sessions?q=%0*d", 200, 0);
    g_autoptr(Response) q = admin_call (f, "GET", long_q, NULL);

    assert_error (sort, 400, "RH-6207");
    assert_error (order, 400, "RH-6207");
    assert_error (limit, 400, "RH-6207");
    assert_error (q, 400, "RH-6207");
  }
}

static void
add_session (RhStore    *store,
             const char *helper,
             const char *sharer,
             const char *device,
             gint64      started,
             gint64      ended)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *pairing = g_strdup_printf ("%032" G_GINT64_MODIFIER "x", started);
  gint64 id;

  g_assert_true (rh_store_session_start (store, pairing, helper, sharer, device, "view",
                                         started, &id, &error));
  if (ended > 0)
    g_assert_true (rh_store_session_end (store, id, ended, 1000, "ended", &error));
  g_assert_no_error (error);
}

static void
test_monitor_and_sessions (Fixture      *f,
                           gconstpointer user_data)
{
  g_autofree char *path = g_build_filename (f->server->data_dir, "remote-help.db", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(RhStore) store = rh_store_sqlite_new (path, &error);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gint64 today = now - now % 86400;
  g_autoptr(Response) monitor = NULL;
  g_autoptr(Response) sessions = NULL;
  g_autoptr(Response) csv = NULL;
  g_autoptr(Response) csv_all = NULL;
  JsonObject *object;
  JsonArray *days, *list;

  g_assert_no_error (error);
  /* Two sessions yesterday (60 s and 180 s), one active today, one 40 days ago. */
  add_session (store, "helen", "sam", "laptop-7", today - 86400 + 100, today - 86400 + 160);
  add_session (store, "helen", "=cmd|' /C calc'!A0", NULL, today - 86400 + 200,
               today - 86400 + 380);
  add_session (store, "helen", "sam", "desk-2", MAX (today, now - 5), 0);
  add_session (store, "helen", "sam", "old-pc", today - 40 * 86400, today - 40 * 86400 + 10);

  monitor = admin_call (f, "GET", "/api/monitor", NULL);
  g_assert_cmpuint (monitor->status, ==, 200);
  object = json_node_get_object (monitor->json);
  g_assert_cmpint (json_object_get_int_member (object, "active_sessions"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (object, "sessions"), ==, 3);
  g_assert_cmpfloat (json_object_get_double_member (object, "average_duration"), ==, 120);
  days = json_object_get_array_member (object, "days");
  g_assert_cmpuint (json_array_get_length (days), ==, 30);
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (days, 28),
                                               "count"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (days, 29),
                                               "count"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (days, 0),
                                               "count"), ==, 0);

  sessions = admin_call (f, "GET", "/api/sessions?q=LAPTOP&sort=duration&order=asc", NULL);
  g_assert_cmpuint (sessions->status, ==, 200);
  list = json_object_get_array_member (json_node_get_object (sessions->json), "sessions");
  g_assert_cmpuint (json_array_get_length (list), ==, 1);
  object = json_array_get_object_element (list, 0);
  g_assert_cmpstr (json_object_get_string_member (object, "device"), ==, "laptop-7");
  g_assert_cmpint (json_object_get_int_member (object, "duration"), ==, 60);
  g_assert_false (json_object_get_boolean_member (object, "active"));

  csv = admin_call (f, "GET", "/api/sessions.csv?sort=started&order=asc", NULL);
  g_assert_cmpuint (csv->status, ==, 200);
  g_assert_true (g_str_has_prefix (g_hash_table_lookup (csv->headers, "content-type"),
                                   "text/csv"));
  g_assert_nonnull (strstr (g_hash_table_lookup (csv->headers, "content-disposition"),
                            "attachment"));
  g_assert_true (g_str_has_prefix (csv->body, "id,helper,sharer,device"));
  /* Oldest first as asked; the formula-looking sharer is defused. */
  g_assert_nonnull (strstr (csv->body, "\"old-pc\""));
  g_assert_true (strstr (csv->body, "\"old-pc\"") < strstr (csv->body, "\"laptop-7\""));
  g_assert_nonnull (strstr (csv->body, "\"'=cmd|' /C calc'!A0\""));
  csv_all = admin_call (f, "GET", "/api/audit.csv", NULL);
  g_assert_cmpuint (csv_all->status, ==, 200);
  g_assert_true (g_str_has_prefix (csv_all->body, "id,at,actor,action,detail\r\n"));
  g_assert_nonnull (strstr (csv_all->body, "\"console.signed-in\""));
}

/* Administrator access (issue #6) in the sessions API and its CSV. */
static void
test_sessions_elevation (Fixture      *f,
                         gconstpointer user_data)
{
  g_autofree char *path = g_build_filename (f->server->data_dir, "remote-help.db", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(RhStore) store = rh_store_sqlite_new (path, &error);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autoptr(Response) sessions = NULL;
  g_autoptr(Response) found = NULL;
  g_autoptr(Response) csv = NULL;
  JsonArray *list, *tools;
  JsonObject *object;
  gint64 id, plain;

  g_assert_no_error (error);
  g_assert_true (rh_store_session_start (store, "0000000000000000000000000000000a", "helen",
                                         "sam", "admin-pc", "control", now - 100, &id, &error));
  g_assert_true (rh_store_session_add_mode (store, id, "elevation", TRUE, &error));
  g_assert_true (rh_store_session_add_elevation_tool (store, id, "Terminal", TRUE, NULL,
                                                      &error));
  g_assert_true (rh_store_session_add_elevation_tool (store, id, "Disks", FALSE, "<b>no</b>",
                                                      &error));
  g_assert_true (rh_store_session_set_elevation_end (store, id, "sign-out: ok", TRUE, &error));
  g_assert_true (rh_store_session_end (store, id, now - 10, 5, "helper-left", &error));
  g_assert_true (rh_store_session_start (store, "0000000000000000000000000000000b", "helen",
                                         "sam", "plain-pc", "view", now - 50, &plain, &error));
  g_assert_no_error (error);

  sessions = admin_call (f, "GET", "/api/sessions?sort=started&order=asc", NULL);
  g_assert_cmpuint (sessions->status, ==, 200);
  list = json_object_get_array_member (json_node_get_object (sessions->json), "sessions");
  g_assert_cmpuint (json_array_get_length (list), ==, 2);
  object = json_array_get_object_element (list, 0);
  g_assert_true (json_object_get_boolean_member (object, "elevation_used"));
  g_assert_cmpstr (json_object_get_string_member (object, "elevation"), ==,
                   "Terminal, Disks (failed) · sign-out ok");
  g_assert_cmpstr (json_object_get_string_member (object, "elevation_end"), ==, "sign-out: ok");
  tools = json_object_get_array_member (object, "elevation_tools");
  g_assert_cmpuint (json_array_get_length (tools), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (tools, 1),
                                                  "error"), ==, "<b>no</b>");
  object = json_array_get_object_element (list, 1);
  g_assert_false (json_object_get_boolean_member (object, "elevation_used"));
  g_assert_true (json_object_get_null_member (object, "elevation"));
  g_assert_true (json_object_get_null_member (object, "elevation_end"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (object,
                                                                         "elevation_tools")),
                    ==, 0);

  /* The search finds a session by its tools. */
  found = admin_call (f, "GET", "/api/sessions?q=disks", NULL);
  g_assert_cmpuint (found->status, ==, 200);
  list = json_object_get_array_member (json_node_get_object (found->json), "sessions");
  g_assert_cmpuint (json_array_get_length (list), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (list, 0),
                                                  "device"), ==, "admin-pc");

  csv = admin_call (f, "GET", "/api/sessions.csv?sort=started&order=asc", NULL);
  g_assert_cmpuint (csv->status, ==, 200);
  g_test_message ("%s", csv->body);
  g_assert_true (g_str_has_prefix (csv->body, "id,helper,sharer,device,mode,started,ended,"
                                   "duration_seconds,bytes_relayed,end_reason,elevation_used,"
                                   "elevation_tools,elevation_end\r\n"));
  g_assert_nonnull (strstr (csv->body, "\"helper-left\",\"true\",\"Terminal; Disks (failed: "
                                       "<b>no</b>)\",\"sign-out: ok\"\r\n"));
  g_assert_nonnull (strstr (csv->body, "\"false\",\"\",\"\"\r\n"));
}

static gint64
count_rows (Fixture    *f,
            const char *path,
            const char *member)
{
  g_autoptr(Response) r = admin_call (f, "GET", path, NULL);

  g_assert_cmpuint (r->status, ==, 200);
  return json_array_get_length (json_object_get_array_member (json_node_get_object (r->json),
                                                              member));
}

static void
test_roles_groups_assignments (Fixture      *f,
                               gconstpointer user_data)
{
  static const struct
  {
    const char *method;
    const char *path;
    const char *body;
    guint       status;
    const char *code;
  } refused[] = {
    /* Invalid names, unknown permissions, missing or mistyped fields. */
    { "POST", "/api/roles", "{\"name\":\"\",\"permissions\":[\"view-screen\"]}", 400, "RH-6106" },
    { "POST", "/api/roles", "{\"name\":\" padded \",\"permissions\":[\"view-screen\"]}", 400,
      "RH-6106" },
    { "POST", "/api/roles", "{\"name\":\"Viewers\",\"permissions\":[\"fly\"]}", 400, "RH-6107" },
    { "POST", "/api/roles", "{\"name\":\"Viewers\"}", 400, "RH-6207" },
    { "POST", "/api/roles", "{\"name\":\"Viewers\",\"permissions\":\"view-screen\"}", 400,
      "RH-6207" },
    { "POST", "/api/roles", "{\"name\":42,\"permissions\":[]}", 400, "RH-6207" },
    /* Duplicates (names are unique without regard to case). */
    { "POST", "/api/roles", "{\"name\":\"viewers\",\"permissions\":[\"view-screen\"]}", 409,
      "RH-6102" },
    { "POST", "/api/groups", "{\"name\":\"HELPDESK\"}", 409, "RH-6104" },
    /* Unknown references. */
    { "POST", "/api/groups", "{\"name\":\"Ghosts\",\"members\":[\"nobody\"]}", 400, "RH-6003" },
    { "POST", "/api/assignments",
      "{\"role\":\"No such role\",\"helper_group\":\"Helpdesk\",\"scope\":\"all-users\"}", 404,
      "RH-6101" },
    { "POST", "/api/assignments",
      "{\"role\":\"Viewers\",\"helper_group\":\"Helpdesk\",\"scope\":[\"Nowhere\"]}", 404,
      "RH-6103" },
    { "POST", "/api/assignments",
      "{\"role\":\"Viewers\",\"helper_group\":\"Helpdesk\",\"scope\":[]}", 400, "RH-6110" },
    { "POST", "/api/assignments",
      "{\"role\":\"Viewers\",\"helper_group\":\"Helpdesk\",\"scope\":7}", 400, "RH-6207" },
    { "PUT", "/api/assignments/999", "{\"role\":\"Viewers\"}", 404, "RH-6105" },
    { "DELETE", "/api/assignments/abc", NULL, 404, "RH-6208" },
    /* Percent-encoded bytes that are not UTF-8 in a path: still a valid JSON answer. */
    { "DELETE", "/api/roles/%ff%fe", NULL, 404, "RH-6101" },
    { "PUT", "/api/settings/%ff", "{\"value\":true}", 404, "RH-6001" },
    /* The built-in role, and a role still in use. */
    { "DELETE", "/api/roles/Help%20Desk%20Operator", NULL, 409, "RH-6108" },
    { "DELETE", "/api/roles/Viewers", NULL, 409, "RH-6109" },
    { "DELETE", "/api/groups/Helpdesk", NULL, 409, "RH-6109" },
  };
  g_autoptr(Response) role = NULL;
  g_autoptr(Response) group = NULL;
  g_autoptr(Response) assignment = NULL;
  g_autoptr(Response) no_csrf = NULL;
  g_autoptr(Response) update = NULL;
  g_autoptr(Response) audit = NULL;
  g_autofree char *path = NULL;
  g_autofree char *out = NULL;
  gint64 before, id;
  gint64 roles0 = count_rows (f, "/api/roles", "roles");
  gint64 groups0 = count_rows (f, "/api/groups", "groups");
  gint64 assignments0 = count_rows (f, "/api/assignments", "assignments");
  JsonObject *entry;

  /* The test server comes with a group and an assignment of its own. */
  before = audit_count (f);
  role = admin_call (f, "POST", "/api/roles",
                     "{\"name\":\"Viewers\",\"description\":\"Look, don't touch\","
                     "\"permissions\":[\"view-screen\"]}");
  g_assert_cmpuint (role->status, ==, 200);
  group = admin_call (f, "POST", "/api/groups",
                      "{\"name\":\"Helpdesk\",\"members\":[\"helen\"]}");
  g_assert_cmpuint (group->status, ==, 200);
  assignment = admin_call (f, "POST", "/api/assignments",
                           "{\"role\":\"Viewers\",\"helper_group\":\"Helpdesk\","
                           "\"scope\":\"all-users\"}");
  g_assert_cmpuint (assignment->status, ==, 200);
  id = json_object_get_int_member (json_node_get_object (assignment->json), "id");
  g_assert_cmpint (id, >, 0);
  g_assert_cmpint (audit_count (f), ==, before + 3);

  /* What the console created is what the CLI sees. */
  g_assert_cmpint (rh_test_server_admin (f->server, &out, NULL, "assignment", "list", NULL), ==,
                   0);
  g_assert_nonnull (strstr (out, "Viewers"));
  g_assert_nonnull (strstr (out, "Helpdesk"));

  no_csrf = https (f, "POST", "/api/roles", f->cookie, NULL, "application/json",
                   "{\"name\":\"Sneaky\",\"permissions\":[\"view-screen\"]}");
  assert_error (no_csrf, 403, "RH-6204");

  before = audit_count (f);
  for (gsize i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autoptr(Response) r = admin_call (f, refused[i].method, refused[i].path, refused[i].body);

      g_test_message ("case %zu: %s %s", i, refused[i].method, refused[i].path);
      assert_error (r, refused[i].status, refused[i].code);
    }
  /* Nothing partially written. */
  g_assert_cmpint (audit_count (f), ==, before);
  g_assert_cmpint (count_rows (f, "/api/roles", "roles"), ==, roles0 + 1);
  g_assert_cmpint (count_rows (f, "/api/groups", "groups"), ==, groups0 + 1);
  g_assert_cmpint (count_rows (f, "/api/assignments", "assignments"), ==, assignments0 + 1);

  /* Edit, then delete in dependency order; each change is audited with before and after. */
  update = admin_call (f, "PUT", "/api/roles/Viewers",
                       "{\"permissions\":[\"view-screen\",\"take-full-control\"]}");
  g_assert_cmpuint (update->status, ==, 200);
  audit = admin_call (f, "GET", "/api/audit?limit=1", NULL);
  entry = json_array_get_object_element (
    json_object_get_array_member (json_node_get_object (audit->json), "entries"), 0);
  g_assert_cmpstr (json_object_get_string_member (entry, "action"), ==, "role.updated");
  g_assert_cmpstr (json_object_get_string_member (entry, "actor"), ==, "root");
  g_assert_nonnull (strstr (json_object_get_string_member (entry, "detail"), "before"));

  path = g_strdup_printf ("/api/assignments/%" G_GINT64_FORMAT, id);
  {
    g_autoptr(Response) a = admin_call (f, "DELETE", path, NULL);
    g_autoptr(Response) r = admin_call (f, "DELETE", "/api/roles/Viewers", NULL);
    g_autoptr(Response) g = admin_call (f, "DELETE", "/api/groups/Helpdesk", NULL);
    g_autoptr(Response) again = admin_call (f, "DELETE", "/api/roles/Viewers", NULL);

    g_assert_cmpuint (a->status, ==, 200);
    g_assert_cmpuint (r->status, ==, 200);
    g_assert_cmpuint (g->status, ==, 200);
    assert_error (again, 404, "RH-6101");
  }
  g_assert_cmpint (count_rows (f, "/api/roles", "roles"), ==, roles0);
  g_assert_cmpint (count_rows (f, "/api/groups", "groups"), ==, groups0);
  g_assert_cmpint (count_rows (f, "/api/assignments", "assignments"), ==, assignments0);
  g_assert_cmpint (count_rows (f, "/api/users", "users"), ==, 3);
}

static void
test_sign_in_backoff (Fixture      *f,
                      gconstpointer user_data)
{
  g_autoptr(Response) blocked = NULL;
  g_autoptr(Response) good = NULL;

  /* Five failures from one address block it, even for the right password. */
  for (int i = 0; i < 5; i++)
    {
      g_autoptr(Response) r = sign_in (f, "root", "not-the-password");

      assert_error (r, 401, "RH-6201");
    }
  blocked = sign_in (f, "root", "not-the-password");
  assert_error (blocked, 429, "RH-6209");
  g_assert_nonnull (g_hash_table_lookup (blocked->headers, "retry-after"));
  good = sign_in (f, "root", ADMIN_PASSWORD);
  assert_error (good, 429, "RH-6209");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("/admin-console/static-and-headers", test_static_and_headers);
  ADD ("/admin-console/sign-in", test_sign_in);
  ADD ("/admin-console/rendezvous-token-is-not-a-cookie", test_rendezvous_token_is_not_a_cookie);
  ADD ("/admin-console/unauthenticated", test_unauthenticated);
  ADD ("/admin-console/disabled-account", test_non_admin_session);
  ADD ("/admin-console/csrf", test_csrf);
  ADD ("/admin-console/settings", test_settings);
  ADD ("/admin-console/bad-input", test_bad_input);
  ADD ("/admin-console/monitor-and-sessions", test_monitor_and_sessions);
  ADD ("/admin-console/sessions-elevation", test_sessions_elevation);
  ADD ("/admin-console/roles-groups-assignments", test_roles_groups_assignments);
  ADD ("/admin-console/sign-in-backoff", test_sign_in_backoff);

#undef ADD

  return g_test_run ();
}
