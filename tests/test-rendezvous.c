/* test-rendezvous.c: pairing through a real remote-help-server on 127.0.0.1
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "rh-error.h"
#include "rh-fingerprint.h"
#include "rh-message.h"
#include "rh-pairing-code.h"
#include "rh-rendezvous-client.h"
#include "rh-test-proc.h"
#include "rh-test-server.h"
#include "rh-ws-client.h"

#define WAIT_MS 15000

typedef struct
{
  RhTestServer *server;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->server = rh_test_server_new ();
  rh_test_server_start (f->server, NULL);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_pointer (&f->server, rh_test_server_free);
}

static char *
request_code (RhRendezvousClient *helper)
{
  g_autoptr(GAsyncResult) r = NULL;
  g_autoptr(GError) error = NULL;
  char *code;
  gint64 expires_at = 0;

  rh_rendezvous_client_request_code_async (helper, NULL, rh_test_store_result, &r);
  code = rh_rendezvous_client_request_code_finish (helper, rh_test_wait_result (&r, WAIT_MS),
                                                   &expires_at, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (strlen (code), ==, 11);
  g_assert_cmpint (expires_at, >, g_get_real_time () / G_USEC_PER_SEC);
  return code;
}

static RhIdentityCard *
redeem (RhRendezvousClient  *sharer,
        const char          *code,
        GError             **error)
{
  g_autoptr(GAsyncResult) r = NULL;

  rh_rendezvous_client_redeem_code_async (sharer, code, NULL, rh_test_store_result, &r);
  return rh_rendezvous_client_redeem_code_finish (sharer, rh_test_wait_result (&r, WAIT_MS),
                                                  error);
}

/* The same code with one secret character changed. */
static char *
wrong_code (const char *code,
            int         variant)
{
  char *wrong = g_strdup (code);
  char *c = &wrong[10 - variant];
  const char *alphabet = RH_PAIRING_ALPHABET;

  *c = alphabet[(strchr (alphabet, *c) - alphabet + 1) % strlen (alphabet)];
  return wrong;
}

static void
on_attempt_failed (RhRendezvousClient *client,
                   int                 remaining,
                   gpointer            user_data)
{
  GArray *seen = user_data;

  g_array_append_val (seen, remaining);
}

static void
test_pairing (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(RhRendezvousClient) helper = rh_test_server_signed_in (f->server, "helen",
                                                                   "helen-password");
  g_autoptr(RhRendezvousClient) sharer = rh_test_server_signed_in (f->server, "sam",
                                                                   "sam-password");
  g_autoptr(GAsyncResult) wait = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(RhIdentityCard) helper_card = NULL;
  g_autoptr(RhIdentityCard) sharer_card = NULL;
  g_autofree char *code = request_code (helper);
  g_autofree char *lower = g_ascii_strdown (code, -1);
  g_auto(GStrv) parts = g_strsplit (lower, "-", -1);
  g_autofree char *typed = g_strjoinv ("  ", parts);

  rh_rendezvous_client_wait_for_sharer_async (helper, NULL, rh_test_store_result, &wait);
  /* The sharer types it in lower case with spaces. */
  helper_card = redeem (sharer, typed, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (helper_card->display_name, ==, "Helen Helper");
  g_assert_cmpstr (helper_card->login, ==, "helen");
  g_assert_cmpstr (helper_card->domain, ==, "example.com");
  g_assert_cmpstr (helper_card->role, ==, "helper");

  sharer_card = rh_rendezvous_client_wait_for_sharer_finish (helper,
                                                             rh_test_wait_result (&wait, WAIT_MS),
                                                             &error);
  g_assert_no_error (error);
  g_assert_cmpstr (sharer_card->display_name, ==, "Sam Sharer");
  g_assert_cmpstr (sharer_card->role, ==, "sharer");
  g_assert_true (rh_rendezvous_client_is_paired (helper));
  g_assert_true (rh_rendezvous_client_is_paired (sharer));

  /* Single use: a third party cannot join with the same code afterwards. */
  {
    g_autoptr(RhRendezvousClient) third = rh_test_server_signed_in (f->server, "sam",
                                                                    "sam-password");
    g_autoptr(RhIdentityCard) none = redeem (third, code, &error);

    g_assert_null (none);
    g_assert_error (error, RH_PROTOCOL_ERROR, RH_ERROR_CODE_INVALID);
  }
}

static void
peer_message_cb (RhRendezvousClient *client,
                 JsonObject         *msg,
                 gpointer            user_data)
{
  char **text = user_data;

  *text = g_strdup (json_object_get_string_member_with_default (msg, "text", ""));
}

static void
peer_left_cb (RhRendezvousClient *client,
              const char         *who,
              const char         *reason,
              gpointer            user_data)
{
  char **out = user_data;

  *out = g_strdup_printf ("%s:%s", who, reason);
}

static gboolean
wait_string (char **s)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_MS * 1000;

  while (*s == NULL && g_get_monotonic_time () < deadline)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  return *s != NULL;
}

static void
test_peer_channel (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(RhRendezvousClient) helper = rh_test_server_signed_in (f->server, "helen",
                                                                   "helen-password");
  g_autoptr(RhRendezvousClient) sharer = rh_test_server_signed_in (f->server, "sam",
                                                                   "sam-password");
  g_autoptr(GAsyncResult) wait = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(RhIdentityCard) card = NULL;
  g_autoptr(RhIdentityCard) card2 = NULL;
  g_autoptr(JsonObject) msg = rh_message_new ("chat");
  g_autofree char *code = request_code (helper);
  g_autofree char *received = NULL;
  g_autofree char *left = NULL;

  rh_rendezvous_client_wait_for_sharer_async (helper, NULL, rh_test_store_result, &wait);
  card = redeem (sharer, code, &error);
  g_assert_no_error (error);
  card2 = rh_rendezvous_client_wait_for_sharer_finish (helper, rh_test_wait_result (&wait, WAIT_MS),
                                                       &error);
  g_assert_no_error (error);

  g_signal_connect (sharer, "peer-message", G_CALLBACK (peer_message_cb), &received);
  json_object_set_string_member (msg, "text", "مرحبا 你好");
  g_assert_true (rh_rendezvous_client_send_peer (helper, msg, &error));
  g_assert_true (wait_string (&received));
  g_assert_cmpstr (received, ==, "مرحبا 你好");

  g_signal_connect (helper, "peer-left", G_CALLBACK (peer_left_cb), &left);
  rh_rendezvous_client_leave (sharer, "finished");
  g_assert_true (wait_string (&left));
  g_assert_cmpstr (left, ==, "sam:finished");
}

static void
test_wrong_code_burns (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(RhRendezvousClient) helper = rh_test_server_signed_in (f->server, "helen",
                                                                   "helen-password");
  g_autoptr(RhRendezvousClient) sharer = rh_test_server_signed_in (f->server, "sam",
                                                                   "sam-password");
  g_autoptr(GArray) seen = g_array_new (FALSE, FALSE, sizeof (int));
  g_autoptr(GAsyncResult) wait = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(RhIdentityCard) card = NULL;
  g_autofree char *code = request_code (helper);

  g_signal_connect (helper, "attempt-failed", G_CALLBACK (on_attempt_failed), seen);
  rh_rendezvous_client_wait_for_sharer_async (helper, NULL, rh_test_store_result, &wait);

  for (int i = 0; i < 3; i++)
    {
      g_autofree char *wrong = wrong_code (code, i);
      g_autoptr(RhIdentityCard) none = redeem (sharer, wrong, &error);

      g_assert_null (none);
      g_assert_error (error, RH_PROTOCOL_ERROR, (i < 2 ? RH_ERROR_CODE_INVALID
                                                       : RH_ERROR_CODE_BURNED));
      g_clear_error (&error);
    }

  /* The helper's app heard of every failure, and its wait ends with the burned code. */
  rh_rendezvous_client_wait_for_sharer_finish (helper, rh_test_wait_result (&wait, WAIT_MS),
                                               &error);
  g_assert_error (error, RH_PROTOCOL_ERROR, RH_ERROR_CODE_BURNED);
  g_clear_error (&error);
  g_assert_cmpuint (seen->len, ==, 3);
  g_assert_cmpint (g_array_index (seen, int, 0), ==, 2);
  g_assert_cmpint (g_array_index (seen, int, 1), ==, 1);
  g_assert_cmpint (g_array_index (seen, int, 2), ==, 0);

  /* Even the right code is useless now. */
  card = redeem (sharer, code, &error);
  g_assert_null (card);
  g_assert_error (error, RH_PROTOCOL_ERROR, RH_ERROR_CODE_BURNED);
}

static void
test_expiry (void)
{
  RhTestServer *server = rh_test_server_new ();
  g_autoptr(RhRendezvousClient) helper = NULL;
  g_autoptr(RhRendezvousClient) sharer = NULL;
  g_autoptr(GAsyncResult) wait = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(RhIdentityCard) card = NULL;
  g_autofree char *code = NULL;

  rh_test_server_start (server, "--code-lifetime", "2", NULL);
  helper = rh_test_server_signed_in (server, "helen", "helen-password");
  sharer = rh_test_server_signed_in (server, "sam", "sam-password");
  code = request_code (helper);
  rh_rendezvous_client_wait_for_sharer_async (helper, NULL, rh_test_store_result, &wait);
  rh_rendezvous_client_wait_for_sharer_finish (helper, rh_test_wait_result (&wait, 5000),
                                               &error);
  g_assert_error (error, RH_PROTOCOL_ERROR, RH_ERROR_CODE_EXPIRED);
  g_clear_error (&error);

  card = redeem (sharer, code, &error);
  g_assert_null (card);
  g_assert_error (error, RH_PROTOCOL_ERROR, RH_ERROR_CODE_EXPIRED);

  g_clear_object (&helper);
  g_clear_object (&sharer);
  rh_test_server_free (server);
}

static void
test_backoff (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(RhRendezvousClient) sharer = rh_test_server_signed_in (f->server, "sam",
                                                                   "sam-password");
  g_autoptr(GError) error = NULL;
  char code[RH_PAIRING_CODE_LEN + 1];
  gint64 start;

  /* Five made-up codes: each one is a failure for this address. */
  for (int i = 0; i < 5; i++)
    {
      g_autoptr(RhIdentityCard) none = NULL;

      rh_pairing_code_random (code, RH_PAIRING_CODE_LEN);
      none = redeem (sharer, code, &error);
      g_assert_null (none);
      g_assert_error (error, RH_PROTOCOL_ERROR, RH_ERROR_CODE_INVALID);
      g_clear_error (&error);
    }

  /* The sixth is refused before the code is even looked at. */
  {
    g_autoptr(RhIdentityCard) none = redeem (sharer, code, &error);

    g_assert_null (none);
    g_assert_error (error, RH_PROTOCOL_ERROR, RH_ERROR_RATE_LIMITED);
    g_clear_error (&error);
  }

  /* After 10 s the address may try again (and fails normally). */
  start = g_get_monotonic_time ();
  while (g_get_monotonic_time () - start < 10500 * 1000)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (50000);
    }
  {
    g_autoptr(RhIdentityCard) none = redeem (sharer, code, &error);

    g_assert_null (none);
    g_assert_error (error, RH_PROTOCOL_ERROR, RH_ERROR_CODE_INVALID);
    g_clear_error (&error);
  }
  /* …and the next failure doubles the block to 20 s. */
  {
    g_autoptr(RhIdentityCard) none = redeem (sharer, code, &error);

    g_assert_null (none);
    g_assert_error (error, RH_PROTOCOL_ERROR, RH_ERROR_RATE_LIMITED);
    g_assert_nonnull (strstr (error->message, "seconds"));
  }
}

static void
test_disabled (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(RhRendezvousClient) helper = rh_test_server_signed_in (f->server, "helen",
                                                                   "helen-password");
  g_autoptr(RhRendezvousClient) other = rh_test_server_client (f->server);
  g_autoptr(GAsyncResult) r1 = NULL;
  g_autoptr(GAsyncResult) r2 = NULL;
  g_autoptr(GAsyncResult) r3 = NULL;
  g_autoptr(GError) error = NULL;

  /* The administrator switches Remote Help off while the server runs. */
  g_assert_cmpint (rh_test_server_admin (f->server, NULL, NULL, "settings", "set",
                                         "remote-help-enabled", "false", NULL), ==, 0);

  rh_rendezvous_client_request_code_async (helper, NULL, rh_test_store_result, &r1);
  g_assert_null (rh_rendezvous_client_request_code_finish (helper,
                                                           rh_test_wait_result (&r1, WAIT_MS),
                                                           NULL, &error));
  g_assert_error (error, RH_PROTOCOL_ERROR, RH_ERROR_SERVICE_DISABLED);
  g_clear_error (&error);

  rh_rendezvous_client_connect_async (other, NULL, rh_test_store_result, &r2);
  g_assert_true (rh_rendezvous_client_connect_finish (other, rh_test_wait_result (&r2, WAIT_MS),
                                                      &error));
  rh_rendezvous_client_sign_in_async (other, "sam", "sam-password", NULL, rh_test_store_result,
                                      &r3);
  g_assert_false (rh_rendezvous_client_sign_in_finish (other, rh_test_wait_result (&r3, WAIT_MS),
                                                       &error));
  g_assert_error (error, RH_PROTOCOL_ERROR, RH_ERROR_SERVICE_DISABLED);
}

static void
test_sign_in_errors (Fixture       *f,
                     gconstpointer  data)
{
  const struct { const char *login, *password; int code; } cases[] = {
    { "sam", "wrong-password", RH_ERROR_SIGN_IN_FAILED },
    { "nobody", "whatever-password", RH_ERROR_SIGN_IN_FAILED },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(RhRendezvousClient) c = rh_test_server_client (f->server);
      g_autoptr(GAsyncResult) r1 = NULL;
      g_autoptr(GAsyncResult) r2 = NULL;
      g_autoptr(GError) error = NULL;

      rh_rendezvous_client_connect_async (c, NULL, rh_test_store_result, &r1);
      g_assert_true (rh_rendezvous_client_connect_finish (c, rh_test_wait_result (&r1, WAIT_MS),
                                                          &error));
      rh_rendezvous_client_sign_in_async (c, cases[i].login, cases[i].password, NULL,
                                          rh_test_store_result, &r2);
      g_assert_false (rh_rendezvous_client_sign_in_finish (c, rh_test_wait_result (&r2, WAIT_MS),
                                                           &error));
      g_assert_error (error, RH_PROTOCOL_ERROR, cases[i].code);
    }

  /* A disabled account is told so, but only once the password was right. */
  g_assert_cmpint (rh_test_server_admin (f->server, NULL, NULL, "user", "disable", "sam", NULL),
                   ==, 0);
  {
    g_autoptr(RhRendezvousClient) c = rh_test_server_client (f->server);
    g_autoptr(GAsyncResult) r1 = NULL;
    g_autoptr(GAsyncResult) r2 = NULL;
    g_autoptr(GError) error = NULL;

    rh_rendezvous_client_connect_async (c, NULL, rh_test_store_result, &r1);
    g_assert_true (rh_rendezvous_client_connect_finish (c, rh_test_wait_result (&r1, WAIT_MS),
                                                        &error));
    rh_rendezvous_client_sign_in_async (c, "sam", "sam-password", NULL, rh_test_store_result,
                                        &r2);
    g_assert_false (rh_rendezvous_client_sign_in_finish (c, rh_test_wait_result (&r2, WAIT_MS),
                                                         &error));
    g_assert_error (error, RH_PROTOCOL_ERROR, RH_ERROR_ACCOUNT_DISABLED);
  }
}

static void
test_tampered_card (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(RhRendezvousClient) helper = rh_test_server_signed_in (f->server, "helen",
                                                                   "helen-password");
  g_autoptr(RhRendezvousClient) sharer = rh_test_server_signed_in (f->server, "sam",
                                                                   "sam-password");
  g_autoptr(JsonObject) req = rh_message_new ("code-request");
  g_autoptr(GAsyncResult) r = NULL;
  g_autoptr(GAsyncResult) wait = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(GBytes) sig = NULL;
  g_autoptr(RhIdentityCard) card = NULL;
  g_autoptr(GString) forged = NULL;
  g_autofree char *code = NULL;

  /* A genuine card, then the same card claiming another name. */
  rh_rendezvous_client_request_async (helper, req, NULL, rh_test_store_result, &r);
  reply = rh_rendezvous_client_request_finish (helper, rh_test_wait_result (&r, WAIT_MS), &error);
  g_assert_no_error (error);
  sig = rh_message_get_bytes (reply, "card_sig", 64, 0, &error);
  g_assert_no_error (error);
  forged = g_string_new (json_object_get_string_member (reply, "card"));
  g_assert_cmpuint (g_string_replace (forged, "Helen Helper", "Chief Security", 1), ==, 1);
  rh_rendezvous_client_override_card_for_testing (helper, forged->str, sig);

  code = request_code (helper);
  rh_rendezvous_client_wait_for_sharer_async (helper, NULL, rh_test_store_result, &wait);
  card = redeem (sharer, code, &error);
  g_assert_null (card);
  g_assert_error (error, RH_CRYPTO_ERROR, RH_ERROR_CARD_SIGNATURE);
  g_clear_error (&error);

  /* The sharer walked away, and the helper is told. */
  g_assert_null (rh_rendezvous_client_wait_for_sharer_finish (helper,
                                                              rh_test_wait_result (&wait, WAIT_MS),
                                                              &error));
  g_assert_error (error, RH_PROTOCOL_ERROR, RH_ERROR_PEER_LEFT);
}

static void
test_wrong_org_key (Fixture       *f,
                    gconstpointer  data)
{
  guint8 tls[32];
  guint8 bogus[32] = { 1, 2, 3 };
  g_autoptr(GBytes) tls_pin = NULL;
  g_autoptr(GBytes) org_pin = g_bytes_new (bogus, sizeof bogus);
  g_autoptr(RhRendezvousClient) c = NULL;
  g_autoptr(GAsyncResult) r = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (rh_fingerprint_parse (f->server->tls_fingerprint, tls, NULL));
  tls_pin = g_bytes_new (tls, sizeof tls);
  c = rh_rendezvous_client_new (f->server->url, tls_pin, NULL, org_pin);
  rh_rendezvous_client_connect_async (c, NULL, rh_test_store_result, &r);
  g_assert_false (rh_rendezvous_client_connect_finish (c, rh_test_wait_result (&r, WAIT_MS),
                                                       &error));
  g_assert_error (error, RH_CRYPTO_ERROR, RH_ERROR_ORG_KEY_MISMATCH);
}

static JsonObject *
raw_request (RhRendezvousClient *client,
             const char         *json)
{
  g_autoptr(JsonObject) req = rh_message_parse (json, strlen (json), 65536, NULL);
  g_autoptr(GAsyncResult) r = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *reply;

  g_assert_nonnull (req);
  rh_rendezvous_client_request_async (client, req, NULL, rh_test_store_result, &r);
  reply = rh_rendezvous_client_request_finish (client, rh_test_wait_result (&r, WAIT_MS),
                                               &error);
  if (error)
    {
      JsonObject *err = rh_message_new ("error");
      g_autofree char *code = g_strdup_printf ("RH-%04d", error->code);

      json_object_set_string_member (err, "code", code);
      return err;
    }
  return reply;
}

static void
assert_error_code (JsonObject *reply,
                   const char *code)
{
  g_assert_cmpstr (rh_message_get_type (reply), ==, "error");
  g_assert_cmpstr (json_object_get_string_member (reply, "code"), ==, code);
}

static void
test_bad_requests (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(RhRendezvousClient) anon = rh_test_server_client (f->server);
  g_autoptr(RhRendezvousClient) sam = rh_test_server_signed_in (f->server, "sam",
                                                                "sam-password");
  g_autoptr(RhRendezvousClient) helper = NULL;
  g_autoptr(RhRendezvousClient) sharer = NULL;
  g_autoptr(GAsyncResult) r = NULL;
  g_autoptr(GAsyncResult) wait = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(RhIdentityCard) card = NULL;
  g_autoptr(RhIdentityCard) card2 = NULL;
  g_autofree char *code = NULL;
  const struct { RhRendezvousClient **client; const char *json; const char *code; } cases[] = {
    { &anon, "{\"type\":\"code-request\"}", "RH-3005" },
    { &anon, "{\"type\":\"code-request\",\"token\":\"forged-token\"}", "RH-3002" },
    { &anon, "{\"type\":\"code-request\",\"token\":42}", "RH-3005" },
    { &anon, "{\"type\":\"sign-in\",\"login\":[],\"password\":\"x\"}", "RH-5001" },
    { &anon, "{\"type\":\"no-such-thing\"}", "RH-5003" },
    { &sam, "{\"type\":\"code-redeem\",\"slot\":\"AAAA\",\"pake\":\"not base64!\"}", "RH-5001" },
    { &sam, "{\"type\":\"code-redeem\",\"slot\":7,\"pake\":\"AA==\"}", "RH-5001" },
    { &sam, "{\"type\":\"pake-confirm\",\"slot\":\"AAAA\",\"confirm\":\"AA==\"}", "RH-5004" },
    { &sam, "{\"type\":\"pake-result\",\"slot\":\"AAAA\",\"ok\":true}", "RH-5004" },
    { &sam, "{\"type\":\"peer\",\"pairing\":\"0123\",\"data\":\"AA==\"}", "RH-5004" },
    { &sam, "{\"type\":\"leave\",\"pairing\":\"0123\"}", "RH-5004" },
  };

  rh_rendezvous_client_connect_async (anon, NULL, rh_test_store_result, &r);
  g_assert_true (rh_rendezvous_client_connect_finish (anon, rh_test_wait_result (&r, WAIT_MS),
                                                      &error));
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(JsonObject) reply = raw_request (*cases[i].client, cases[i].json);

      g_test_message ("%s", cases[i].json);
      assert_error_code (reply, cases[i].code);
    }

  /* A paired couple. */
  helper = rh_test_server_signed_in (f->server, "helen", "helen-password");
  sharer = rh_test_server_signed_in (f->server, "sam", "sam-password");
  code = request_code (helper);
  rh_rendezvous_client_wait_for_sharer_async (helper, NULL, rh_test_store_result, &wait);
  card = redeem (sharer, code, &error);
  g_assert_no_error (error);
  card2 = rh_rendezvous_client_wait_for_sharer_finish (helper, rh_test_wait_result (&wait, WAIT_MS),
                                                       &error);
  g_assert_no_error (error);
  /* A third party (another connection of the same user, even) cannot speak for them. */
  {
    g_autoptr(JsonObject) reply = raw_request (sam, "{\"type\":\"leave\",\"pairing\":\"x\"}");

    assert_error_code (reply, "RH-5004");
  }
  /* The real pair is unaffected. */
  g_assert_true (rh_rendezvous_client_is_paired (helper));
  g_assert_true (rh_rendezvous_client_is_paired (sharer));
}

typedef struct
{
  GPtrArray *messages;
  gboolean   closed;
  GError    *error;
} RawState;

static void
raw_message_cb (RhWsClient *ws,
                GBytes     *data,
                gboolean    is_binary,
                gpointer    user_data)
{
  RawState *st = user_data;
  gsize len;
  const char *p = g_bytes_get_data (data, &len);

  g_ptr_array_add (st->messages, g_strndup (p, len));
}

static void
raw_closed_cb (RhWsClient   *ws,
               const GError *error,
               gpointer      user_data)
{
  RawState *st = user_data;

  st->closed = TRUE;
  st->error = error ? g_error_copy (error) : NULL;
}

static RhWsClient *
raw_connect (RhTestServer *server,
             RawState     *st)
{
  RhWsClient *ws = rh_ws_client_new ();
  guint8 tls[32];
  g_autoptr(GBytes) pin = NULL;
  g_autoptr(GAsyncResult) r = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (rh_fingerprint_parse (server->tls_fingerprint, tls, NULL));
  pin = g_bytes_new (tls, sizeof tls);
  st->messages = g_ptr_array_new_with_free_func (g_free);
  g_signal_connect (ws, "message", G_CALLBACK (raw_message_cb), st);
  g_signal_connect (ws, "closed", G_CALLBACK (raw_closed_cb), st);
  rh_ws_client_connect_async (ws, server->url, RH_SUBPROTOCOL, pin, NULL, NULL,
                              rh_test_store_result, &r);
  g_assert_true (rh_ws_client_connect_finish (ws, rh_test_wait_result (&r, WAIT_MS), &error));
  g_assert_no_error (error);
  return ws;
}

static gboolean
wait_messages (RawState *st,
               guint     n)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_MS * 1000;

  while (st->messages->len < n && g_get_monotonic_time () < deadline)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  return st->messages->len >= n;
}

static void
test_malformed_frames (Fixture       *f,
                       gconstpointer  data)
{
  RawState st = { 0 };
  g_autoptr(RhWsClient) ws = raw_connect (f->server, &st);
  g_autofree char *huge = NULL;

  /* welcome */
  g_assert_true (wait_messages (&st, 1));
  g_assert_nonnull (strstr (st.messages->pdata[0], "\"welcome\""));

  rh_ws_client_send_text (ws, "this is not json", -1);
  g_assert_true (wait_messages (&st, 2));
  g_assert_nonnull (strstr (st.messages->pdata[1], "RH-5001"));

  rh_ws_client_send_text (ws, "[1,2,3]", -1);
  g_assert_true (wait_messages (&st, 3));
  g_assert_nonnull (strstr (st.messages->pdata[2], "RH-5001"));

  rh_ws_client_send_text (ws, "{\"type\":\"sign-in\",\"login\":\"\xff\xfe\",\"password\":\"x\"}", -1);
  g_assert_true (wait_messages (&st, 4));
  g_assert_nonnull (strstr (st.messages->pdata[3], "RH-5001"));

  /* Over 64 KiB: an error reply, then the connection is closed. */
  huge = g_strnfill (70 * 1024, 'a');
  rh_ws_client_send_text (ws, huge, -1);
  g_assert_true (rh_test_wait_flag (&st.closed, WAIT_MS));
  g_assert_cmpuint (st.messages->len, ==, 5);
  g_assert_nonnull (strstr (st.messages->pdata[4], "RH-5002"));
  g_clear_error (&st.error);
  g_ptr_array_unref (st.messages);

  /* The server is fine afterwards. */
  {
    g_autoptr(RhRendezvousClient) c = rh_test_server_signed_in (f->server, "sam",
                                                                "sam-password");
  }
}

static void
test_unauthenticated_dropped (void)
{
  RhTestServer *server = rh_test_server_new ();
  RawState st = { 0 };
  g_autoptr(RhWsClient) ws = NULL;
  gint64 start;

  rh_test_server_start (server, "--auth-timeout", "2", NULL);
  start = g_get_monotonic_time ();
  ws = raw_connect (server, &st);
  g_assert_true (rh_test_wait_flag (&st.closed, 6000));
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 1500 * 1000);
  g_assert_error (st.error, RH_PROTOCOL_ERROR, RH_ERROR_CONNECTION_LOST);
  g_clear_error (&st.error);
  g_ptr_array_unref (st.messages);
  g_clear_object (&ws);
  rh_test_server_free (server);
}

static void
test_restart_keeps_state (Fixture       *f,
                          gconstpointer  data)
{
  g_autofree char *tls_before = g_strdup (f->server->tls_fingerprint);
  g_autofree char *org_before = g_strdup (f->server->org_fingerprint);
  g_autofree char *out = NULL;

  rh_test_server_stop (f->server);
  rh_test_server_start (f->server, NULL);
  g_assert_cmpstr (f->server->tls_fingerprint, ==, tls_before);
  g_assert_cmpstr (f->server->org_fingerprint, ==, org_before);
  g_assert_cmpint (rh_test_server_admin (f->server, &out, NULL, "settings", "get",
                                         "remote-help-enabled", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "true"));
  {
    g_autoptr(RhRendezvousClient) c = rh_test_server_signed_in (f->server, "helen",
                                                                "helen-password");
  }
}

/* The headless CLI, as README and admins use it: two real processes. */
static void
test_headless_cli (Fixture       *f,
                   gconstpointer  data)
{
  const char *bin = g_getenv ("RH_CLIENT_BIN");
  g_autofree char *hp = g_build_filename (f->server->tmpdir, "helen.pw", NULL);
  g_autofree char *sp = g_build_filename (f->server->tmpdir, "sam.pw", NULL);
  g_autofree char *home = g_build_filename (f->server->tmpdir, "home", NULL);
  /* The policy of a silent deployment: the administrator accepted the terms for everyone. */
  g_autofree char *policy = g_build_filename (f->server->tmpdir, "policy.conf", NULL);
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                       G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GSubprocess) give = NULL;
  g_autoptr(GSubprocess) get = NULL;
  g_autoptr(GDataInputStream) in = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *code = NULL;
  g_autofree char *get_out = NULL;
  g_autofree char *get_err = NULL;
  g_autofree char *give_rest = NULL;
  g_autofree char *give_err = NULL;

  g_assert_nonnull (bin);
  rh_test_write_file (hp, "helen-password\n");
  rh_test_write_file (sp, "sam-password\n");
  g_subprocess_launcher_setenv (launcher, "HOME", home, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", home, TRUE);
  rh_test_write_file (policy, "[remote-help]\nacceptTerms=1\n");
  g_subprocess_launcher_setenv (launcher, "RH_SYSTEM_CONFIG", policy, TRUE);

  give = g_subprocess_launcher_spawn (launcher, &error, bin, "give-help", "--headless",
                                      "--server", f->server->url,
                                      "--server-fingerprint", f->server->tls_fingerprint,
                                      "--org-key", f->server->org_fingerprint,
                                      "--user", "helen", "--password-file", hp, NULL);
  g_assert_no_error (error);
  code = rh_test_read_code (give, &in);

  get = g_subprocess_launcher_spawn (launcher, &error, bin, "get-help", "--headless", code,
                                     "--server", f->server->url,
                                     "--server-fingerprint", f->server->tls_fingerprint,
                                     "--org-key", f->server->org_fingerprint,
                                     "--user", "sam", "--password-file", sp, NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (get, NULL, NULL, &get_out, &get_err, &error);
  g_assert_no_error (error);
  g_test_message ("get-help: %s %s", get_out, get_err);
  g_assert_cmpint (g_subprocess_get_exit_status (get), ==, 0);
  g_assert_nonnull (strstr (get_out, "paired: yes"));
  g_assert_nonnull (strstr (get_out, "name: Helen Helper"));
  g_assert_nonnull (strstr (get_out, "verified by your organisation"));

  {
    g_autoptr(GBytes) rest = NULL;

    /* stdout is partly read through `in`; read the remainder from the same stream. */
    rest = g_input_stream_read_bytes (G_INPUT_STREAM (in), 65536, NULL, &error);
    g_assert_no_error (error);
    give_rest = g_strndup (g_bytes_get_data (rest, NULL), g_bytes_get_size (rest));
  }
  g_subprocess_wait (give, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_subprocess_get_exit_status (give), ==, 0);
  g_assert_nonnull (strstr (give_rest, "name: Sam Sharer"));

  /* A mistyped code: the CLI says why, with its code, and fails. */
  {
    g_autoptr(GSubprocess) bad = g_subprocess_launcher_spawn (launcher, &error, bin, "get-help",
                                                              "--headless", "K7P-4XQ-M2",
                                                              "--server", f->server->url,
                                                              "--server-fingerprint",
                                                              f->server->tls_fingerprint,
                                                              "--org-key",
                                                              f->server->org_fingerprint,
                                                              "--user", "sam",
                                                              "--password-file", sp, NULL);
    g_autofree char *out = NULL, *err = NULL;

    g_assert_no_error (error);
    g_subprocess_communicate_utf8 (bad, NULL, NULL, &out, &err, &error);
    g_assert_cmpint (g_subprocess_get_exit_status (bad), ==, 1);
    g_assert_nonnull (strstr (err, "RH-4003"));
  }
  /* A wrong server fingerprint is refused, no fallback. */
  {
    g_autoptr(GSubprocess) bad = g_subprocess_launcher_spawn (launcher, &error, bin, "give-help",
                                                              "--headless",
                                                              "--server", f->server->url,
                                                              "--server-fingerprint",
                                                              f->server->org_fingerprint,
                                                              "--org-key",
                                                              f->server->org_fingerprint,
                                                              "--user", "helen",
                                                              "--password-file", hp, NULL);
    g_autofree char *out = NULL, *err = NULL;

    g_assert_no_error (error);
    g_subprocess_communicate_utf8 (bad, NULL, NULL, &out, &err, &error);
    g_assert_cmpint (g_subprocess_get_exit_status (bad), ==, 1);
    g_assert_nonnull (strstr (err, "RH-2002"));
    g_assert_null (strstr (out, "code:"));
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(name, func) g_test_add (name, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/rendezvous/pairing", test_pairing);
  ADD ("/rendezvous/peer-channel", test_peer_channel);
  ADD ("/rendezvous/wrong-code-burns", test_wrong_code_burns);
  g_test_add_func ("/rendezvous/expiry", test_expiry);
  ADD ("/rendezvous/backoff", test_backoff);
  ADD ("/rendezvous/disabled", test_disabled);
  ADD ("/rendezvous/sign-in-errors", test_sign_in_errors);
  ADD ("/rendezvous/tampered-card", test_tampered_card);
  ADD ("/rendezvous/wrong-org-key", test_wrong_org_key);
  ADD ("/rendezvous/bad-requests", test_bad_requests);
  ADD ("/rendezvous/malformed-frames", test_malformed_frames);
  g_test_add_func ("/rendezvous/unauthenticated-dropped", test_unauthenticated_dropped);
  ADD ("/rendezvous/restart-keeps-state", test_restart_keeps_state);
  ADD ("/rendezvous/headless-cli", test_headless_cli);
#undef ADD

  return g_test_run ();
}
