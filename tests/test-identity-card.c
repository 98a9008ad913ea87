/* test-identity-card.c: identity cards signed by the organisation key
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "rh-protocol"

#include "config.h"

#include <string.h>

#include <json-glib/json-glib.h>

#include "rh-error.h"
#include "rh-identity-card.h"
#include "rh-message.h"
#include "rh-org-key.h"

/* What rh-identity-card.c signs: this context with its NUL, then the JSON text. Kept here on
 * purpose rather than shared, so that a change to the signed form shows up as a test failure. */
#define SIGNING_CONTEXT "remote-help identity card v1"

#define NOW        G_GINT64_CONSTANT (1750000000)
#define ISSUED_AT  (NOW - 60)
#define EXPIRES_AT (NOW + 3600)
#define SLOT       "K7P4"

typedef struct
{
  RhOrgKey *key;
  RhOrgKey *other_key;
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->key = rh_org_key_generate (&error);
  g_assert_no_error (error);
  f->other_key = rh_org_key_generate (&error);
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_clear_object (&f->key);
  g_clear_object (&f->other_key);
}

/* Every byte value, several times over, so that base64 and JSON handling meet all of them. */
static GBytes *
arbitrary_photo (gsize len)
{
  guint8 *data = g_malloc (len);

  for (gsize i = 0; i < len; i++)
    data[i] = (guint8) ((i * 7 + i / 256) & 0xff);
  return g_bytes_new_take (data, len);
}

static RhIdentityCard *
make_card (const char *display_name)
{
  RhIdentityCard *card = rh_identity_card_new ();

  card->role = g_strdup ("helper");
  card->login = g_strdup ("helper.one@example.org");
  card->display_name = g_strdup (display_name);
  card->job_title = g_strdup ("IT-Support \xe2\x80\x94 \"Level 2\" \\ Desk");
  card->company = g_strdup ("M\xc3\xbcller & S\xc3\xb6hne GmbH");
  card->domain = g_strdup ("example.org");
  card->photo = arbitrary_photo (3000);
  card->slot = g_strdup (SLOT);
  card->issued_at = ISSUED_AT;
  card->expires_at = EXPIRES_AT;
  return card;
}

static void
sign_card (Fixture              *f,
           const RhIdentityCard *card,
           char                **out_json,
           GBytes              **out_signature)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (rh_identity_card_sign (card, f->key, out_json, out_signature, &error));
  g_assert_no_error (error);
  g_assert_nonnull (*out_json);
  g_assert_nonnull (*out_signature);
  g_assert_cmpuint (g_bytes_get_size (*out_signature), ==, RH_ORG_KEY_SIGNATURE_LEN);
}

/* Signs arbitrary JSON text exactly as the module would sign a card's JSON. */
static GBytes *
sign_raw (RhOrgKey   *key,
          const char *json)
{
  g_autoptr(GByteArray) buf = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  GBytes *sig;

  g_byte_array_append (buf, (const guint8 *) SIGNING_CONTEXT, sizeof SIGNING_CONTEXT);
  g_byte_array_append (buf, (const guint8 *) json, strlen (json));
  sig = rh_org_key_sign (key, buf->data, buf->len, &error);
  g_assert_no_error (error);
  g_assert_nonnull (sig);
  return sig;
}

static void
assert_cards_equal (const RhIdentityCard *a,
                    const RhIdentityCard *b)
{
  g_assert_cmpstr (a->role, ==, b->role);
  g_assert_cmpstr (a->login, ==, b->login);
  g_assert_cmpstr (a->display_name, ==, b->display_name);
  g_assert_cmpstr (a->job_title, ==, b->job_title);
  g_assert_cmpstr (a->company, ==, b->company);
  g_assert_cmpstr (a->domain, ==, b->domain);
  g_assert_cmpstr (a->slot, ==, b->slot);
  g_assert_cmpint (a->issued_at, ==, b->issued_at);
  g_assert_cmpint (a->expires_at, ==, b->expires_at);
  if (a->photo == NULL || b->photo == NULL)
    {
      g_assert_null (a->photo);
      g_assert_null (b->photo);
    }
  else
    {
      g_assert_cmpmem (g_bytes_get_data (a->photo, NULL), g_bytes_get_size (a->photo),
                       g_bytes_get_data (b->photo, NULL), g_bytes_get_size (b->photo));
    }
}

static RhIdentityCard *
verify_ok (Fixture    *f,
           const char *json,
           GBytes     *sig,
           const char *role,
           const char *slot,
           gint64      now)
{
  g_autoptr(GError) error = NULL;
  RhIdentityCard *card = rh_identity_card_verify (json, sig, f->key, role, slot, now, &error);

  g_assert_no_error (error);
  g_assert_nonnull (card);
  return card;
}

static void
assert_verify_fails (RhOrgKey   *key,
                     const char *json,
                     GBytes     *sig,
                     const char *role,
                     const char *slot,
                     gint64      now,
                     int         code)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RhIdentityCard) card = rh_identity_card_verify (json, sig, key, role, slot, now,
                                                            &error);

  g_assert_null (card);
  g_assert_error (error, RH_CRYPTO_ERROR, code);
}

/* Round trips */

static void
test_round_trip (Fixture       *f,
                 gconstpointer  data)
{
  static const char *const names[] = {
    "\xe6\x9d\x8e\xe5\xb0\x8f\xe9\xbe\x99",  /* 李小龙 */
    "\xd9\x85\xd8\xad\xd9\x85\xd8\xaf",      /* محمد */
    "Zo\xc3\xab O'Brien-\xc3\x85str\xc3\xb6m \xf0\x9f\x91\x8b",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr(RhIdentityCard) card = make_card (names[i]);
      g_autofree char *json = NULL;
      g_autoptr(GBytes) sig = NULL;
      g_autoptr(RhIdentityCard) back = NULL;

      sign_card (f, card, &json, &sig);
      g_assert_true (g_utf8_validate (json, -1, NULL));
      back = verify_ok (f, json, sig, "helper", SLOT, NOW);
      assert_cards_equal (back, card);
    }
}

static void
test_round_trip_sharer_no_photo (Fixture       *f,
                                 gconstpointer  data)
{
  g_autoptr(RhIdentityCard) card = make_card ("Sam Sharer");
  g_autofree char *json = NULL;
  g_autoptr(GBytes) sig = NULL;
  g_autoptr(RhIdentityCard) back = NULL;

  g_free (card->role);
  card->role = g_strdup ("sharer");
  g_clear_pointer (&card->photo, g_bytes_unref);
  sign_card (f, card, &json, &sig);
  g_assert_null (strstr (json, "\"photo\""));

  back = verify_ok (f, json, sig, "sharer", SLOT, NOW);
  assert_cards_equal (back, card);
  g_assert_null (back->photo);
}

static void
test_round_trip_photo_sizes (Fixture       *f,
                             gconstpointer  data)
{
  static const gsize sizes[] = { 1, 2, 3, 255, 256, 257, RH_IDENTITY_CARD_MAX_PHOTO };

  for (gsize i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      g_autoptr(RhIdentityCard) card = make_card ("P");
      g_autofree char *json = NULL;
      g_autoptr(GBytes) sig = NULL;
      g_autoptr(RhIdentityCard) back = NULL;

      g_bytes_unref (card->photo);
      card->photo = arbitrary_photo (sizes[i]);
      sign_card (f, card, &json, &sig);
      back = verify_ok (f, json, sig, "helper", SLOT, NOW);
      assert_cards_equal (back, card);
    }
}

static void
test_round_trip_public_key (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(RhIdentityCard) card = make_card ("Pat");
  g_autofree char *json = NULL;
  g_autoptr(GBytes) sig = NULL;
  g_autoptr(GBytes) raw = rh_org_key_get_public_raw (f->key);
  g_autoptr(GError) error = NULL;
  g_autoptr(RhOrgKey) public_key = NULL;
  g_autoptr(RhIdentityCard) back = NULL;

  sign_card (f, card, &json, &sig);
  /* The apps verify with the public half only, as configured by org-key=. */
  public_key = rh_org_key_new_public (g_bytes_get_data (raw, NULL), g_bytes_get_size (raw),
                                      &error);
  g_assert_no_error (error);
  back = rh_identity_card_verify (json, sig, public_key, "helper", SLOT, NOW, &error);
  g_assert_no_error (error);
  g_assert_nonnull (back);
  assert_cards_equal (back, card);
}

static void
test_signed_form (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(RhIdentityCard) card = make_card ("Form");
  g_autofree char *json = NULL;
  g_autoptr(GBytes) sig = NULL;
  g_autoptr(GBytes) raw_sig = NULL;
  g_autoptr(GBytes) bare_sig = NULL;
  g_autoptr(RhIdentityCard) back = NULL;
  g_autoptr(GError) error = NULL;

  sign_card (f, card, &json, &sig);
  /* Ed25519 is deterministic: the test's idea of the signed bytes is exactly the module's. */
  raw_sig = sign_raw (f->key, json);
  g_assert_true (g_bytes_equal (raw_sig, sig));
  back = verify_ok (f, json, raw_sig, "helper", SLOT, NOW);

  /* Domain separation: the key's signature over the bare JSON is not a card signature. */
  bare_sig = rh_org_key_sign (f->key, (const guint8 *) json, strlen (json), &error);
  g_assert_no_error (error);
  assert_verify_fails (f->key, json, bare_sig, "helper", SLOT, NOW, RH_ERROR_CARD_SIGNATURE);
}

/* Signatures */

static void
test_changed_json_byte (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(RhIdentityCard) card = make_card ("\xe6\x9d\x8e\xe5\xb0\x8f\xe9\xbe\x99");
  g_autofree char *json = NULL;
  g_autoptr(GBytes) sig = NULL;
  gsize len;

  g_clear_pointer (&card->photo, g_bytes_unref);
  card->photo = arbitrary_photo (48);
  sign_card (f, card, &json, &sig);
  len = strlen (json);

  for (gsize i = 0; i < len; i++)
    {
      g_autofree char *changed = g_strdup (json);
      static const guint8 flips[] = { 0x01, 0x20, 0x80 };

      for (gsize j = 0; j < G_N_ELEMENTS (flips); j++)
        {
          changed[i] = (char) (json[i] ^ flips[j]);
          if (changed[i] == '\0')
            continue;
          assert_verify_fails (f->key, changed, sig, "helper", SLOT, NOW,
                               RH_ERROR_CARD_SIGNATURE);
        }
    }

  /* One byte more or less. */
  {
    g_autofree char *longer = g_strconcat (json, " ", NULL);
    g_autofree char *shorter = g_strndup (json, len - 1);
    g_autofree char *prefixed = g_strconcat (" ", json, NULL);

    assert_verify_fails (f->key, longer, sig, "helper", SLOT, NOW, RH_ERROR_CARD_SIGNATURE);
    assert_verify_fails (f->key, shorter, sig, "helper", SLOT, NOW, RH_ERROR_CARD_SIGNATURE);
    assert_verify_fails (f->key, prefixed, sig, "helper", SLOT, NOW, RH_ERROR_CARD_SIGNATURE);
    assert_verify_fails (f->key, "", sig, "helper", SLOT, NOW, RH_ERROR_CARD_SIGNATURE);
  }
}

static void
test_changed_signature (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(RhIdentityCard) card = make_card ("Sig");
  g_autofree char *json = NULL;
  g_autoptr(GBytes) sig = NULL;
  const guint8 *sig_data;
  gsize sig_len;

  sign_card (f, card, &json, &sig);
  sig_data = g_bytes_get_data (sig, &sig_len);

  for (gsize i = 0; i < sig_len; i++)
    for (int bit = 0; bit < 8; bit++)
      {
        g_autofree guint8 *changed = g_memdup2 (sig_data, sig_len);
        g_autoptr(GBytes) changed_sig = NULL;

        changed[i] ^= (guint8) (1 << bit);
        changed_sig = g_bytes_new (changed, sig_len);
        assert_verify_fails (f->key, json, changed_sig, "helper", SLOT, NOW,
                             RH_ERROR_CARD_SIGNATURE);
      }

  /* Wrong lengths. */
  {
    g_autoptr(GBytes) empty = g_bytes_new (NULL, 0);
    g_autoptr(GBytes) short_sig = g_bytes_new (sig_data, sig_len - 1);
    g_autofree guint8 *long_data = g_malloc0 (sig_len + 1);
    g_autoptr(GBytes) long_sig = NULL;
    g_autoptr(GBytes) zeros = NULL;

    memcpy (long_data, sig_data, sig_len);
    long_sig = g_bytes_new (long_data, sig_len + 1);
    memset (long_data, 0, sig_len + 1);
    zeros = g_bytes_new (long_data, sig_len);

    assert_verify_fails (f->key, json, empty, "helper", SLOT, NOW, RH_ERROR_CARD_SIGNATURE);
    assert_verify_fails (f->key, json, short_sig, "helper", SLOT, NOW, RH_ERROR_CARD_SIGNATURE);
    assert_verify_fails (f->key, json, long_sig, "helper", SLOT, NOW, RH_ERROR_CARD_SIGNATURE);
    assert_verify_fails (f->key, json, zeros, "helper", SLOT, NOW, RH_ERROR_CARD_SIGNATURE);
  }
}

static void
test_other_org_key (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(RhIdentityCard) card = make_card ("Other");
  g_autofree char *json = NULL;
  g_autoptr(GBytes) sig = NULL;
  g_autofree char *other_json = NULL;
  g_autoptr(GBytes) other_sig = NULL;
  g_autoptr(GError) error = NULL;

  sign_card (f, card, &json, &sig);
  assert_verify_fails (f->other_key, json, sig, "helper", SLOT, NOW, RH_ERROR_CARD_SIGNATURE);

  /* A card the other organisation signed, checked against ours. */
  g_assert_true (rh_identity_card_sign (card, f->other_key, &other_json, &other_sig, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (other_json, ==, json);
  assert_verify_fails (f->key, other_json, other_sig, "helper", SLOT, NOW,
                       RH_ERROR_CARD_SIGNATURE);
}

/* Validity */

static void
test_wrong_role (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(RhIdentityCard) card = make_card ("Role");
  g_autofree char *json = NULL;
  g_autoptr(GBytes) sig = NULL;

  sign_card (f, card, &json, &sig);
  assert_verify_fails (f->key, json, sig, "sharer", SLOT, NOW, RH_ERROR_CARD_INVALID);
  assert_verify_fails (f->key, json, sig, "Helper", SLOT, NOW, RH_ERROR_CARD_INVALID);
  assert_verify_fails (f->key, json, sig, "", SLOT, NOW, RH_ERROR_CARD_INVALID);
  assert_verify_fails (f->key, json, sig, NULL, SLOT, NOW, RH_ERROR_CARD_INVALID);
}

static void
test_wrong_slot (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(RhIdentityCard) card = make_card ("Slot");
  g_autofree char *json = NULL;
  g_autoptr(GBytes) sig = NULL;

  sign_card (f, card, &json, &sig);
  assert_verify_fails (f->key, json, sig, "helper", "K7P5", NOW, RH_ERROR_CARD_INVALID);
  assert_verify_fails (f->key, json, sig, "helper", "k7p4", NOW, RH_ERROR_CARD_INVALID);
  assert_verify_fails (f->key, json, sig, "helper", "K7P", NOW, RH_ERROR_CARD_INVALID);
  assert_verify_fails (f->key, json, sig, "helper", "", NOW, RH_ERROR_CARD_INVALID);
  assert_verify_fails (f->key, json, sig, "helper", NULL, NOW, RH_ERROR_CARD_INVALID);
}

static void
test_validity_period (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(RhIdentityCard) card = make_card ("Time");
  g_autofree char *json = NULL;
  g_autoptr(GBytes) sig = NULL;
  g_autoptr(RhIdentityCard) at_expiry = NULL;
  g_autoptr(RhIdentityCard) at_skew = NULL;
  g_autoptr(RhIdentityCard) at_issue = NULL;

  sign_card (f, card, &json, &sig);

  /* Valid from issued_at - skew through expires_at, both ends included. */
  at_issue = verify_ok (f, json, sig, "helper", SLOT, ISSUED_AT);
  at_expiry = verify_ok (f, json, sig, "helper", SLOT, EXPIRES_AT);
  at_skew = verify_ok (f, json, sig, "helper", SLOT, ISSUED_AT - RH_IDENTITY_CARD_SKEW);

  /* Expired. */
  assert_verify_fails (f->key, json, sig, "helper", SLOT, EXPIRES_AT + 1, RH_ERROR_CARD_INVALID);
  assert_verify_fails (f->key, json, sig, "helper", SLOT, EXPIRES_AT + 86400,
                       RH_ERROR_CARD_INVALID);
  assert_verify_fails (f->key, json, sig, "helper", SLOT, G_MAXINT64 - RH_IDENTITY_CARD_SKEW,
                       RH_ERROR_CARD_INVALID);
  /* Not yet valid: issued_at > now + skew. */
  assert_verify_fails (f->key, json, sig, "helper", SLOT, ISSUED_AT - RH_IDENTITY_CARD_SKEW - 1,
                       RH_ERROR_CARD_INVALID);
  assert_verify_fails (f->key, json, sig, "helper", SLOT, 0, RH_ERROR_CARD_INVALID);
}

/* Validly signed but malformed */

static JsonObject *
card_object (Fixture *f)
{
  g_autoptr(RhIdentityCard) card = make_card ("Mal Formed");
  g_autofree char *json = NULL;
  g_autoptr(GBytes) sig = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();

  g_bytes_unref (card->photo);
  card->photo = arbitrary_photo (30);
  sign_card (f, card, &json, &sig);
  g_assert_true (json_parser_load_from_data (parser, json, -1, &error));
  g_assert_no_error (error);
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static char *
object_to_json (JsonObject *obj)
{
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), obj);

  return json_to_string (node, FALSE);
}

static void
assert_signed_text_invalid (Fixture    *f,
                            const char *json)
{
  g_autoptr(GBytes) sig = sign_raw (f->key, json);

  assert_verify_fails (f->key, json, sig, "helper", SLOT, NOW, RH_ERROR_CARD_INVALID);
}

static void
assert_signed_object_invalid (Fixture    *f,
                              JsonObject *obj)
{
  g_autofree char *json = object_to_json (obj);

  assert_signed_text_invalid (f, json);
}

static void
test_malformed_control (Fixture       *f,
                        gconstpointer  data)
{
  /* The base the malformed cases start from is a valid card when re-signed. */
  g_autoptr(JsonObject) obj = card_object (f);
  g_autofree char *json = object_to_json (obj);
  g_autoptr(GBytes) sig = sign_raw (f->key, json);
  g_autoptr(RhIdentityCard) card = verify_ok (f, json, sig, "helper", SLOT, NOW);

  g_assert_cmpstr (card->display_name, ==, "Mal Formed");
  g_assert_cmpuint (g_bytes_get_size (card->photo), ==, 30);
}

static const char *const card_fields[] = {
  "v", "role", "login", "display_name", "job_title", "company", "domain", "slot", "issued_at",
  "expires_at",
};
static const char *const card_string_fields[] = {
  "role", "login", "display_name", "job_title", "company", "domain", "slot",
};

static void
test_malformed_missing_field (Fixture       *f,
                              gconstpointer  data)
{
  for (gsize i = 0; i < G_N_ELEMENTS (card_fields); i++)
    {
      g_autoptr(JsonObject) obj = card_object (f);

      json_object_remove_member (obj, card_fields[i]);
      assert_signed_object_invalid (f, obj);
    }
}

static void
test_malformed_string_types (Fixture       *f,
                             gconstpointer  data)
{
  for (gsize i = 0; i < G_N_ELEMENTS (card_string_fields); i++)
    {
      const char *field = card_string_fields[i];

      for (int kind = 0; kind < 6; kind++)
        {
          g_autoptr(JsonObject) obj = card_object (f);

          switch (kind)
            {
            case 0:
              json_object_set_int_member (obj, field, 5);
              break;
            case 1:
              json_object_set_null_member (obj, field);
              break;
            case 2:
              json_object_set_boolean_member (obj, field, TRUE);
              break;
            case 3:
              json_object_set_object_member (obj, field, json_object_new ());
              break;
            case 4:
              {
                JsonArray *array = json_array_new ();

                json_array_add_string_element (array, "helper");
                json_object_set_array_member (obj, field, array);
              }
              break;
            default:
              {
                /* Far over any field limit. */
                g_autofree char *huge = g_strnfill (5000, 'x');

                json_object_set_string_member (obj, field, huge);
              }
              break;
            }
          assert_signed_object_invalid (f, obj);
        }
    }
}

static void
test_malformed_numbers (Fixture       *f,
                        gconstpointer  data)
{
  static const char *const time_fields[] = { "issued_at", "expires_at" };

  for (gsize i = 0; i < G_N_ELEMENTS (time_fields); i++)
    {
      const char *field = time_fields[i];

      for (int kind = 0; kind < 4; kind++)
        {
          g_autoptr(JsonObject) obj = card_object (f);

          switch (kind)
            {
            case 0:
              json_object_set_string_member (obj, field, "1750000000");
              break;
            case 1:
              json_object_set_double_member (obj, field, 1750000000.5);
              break;
            case 2:
              json_object_set_int_member (obj, field, -1);
              break;
            default:
              json_object_set_null_member (obj, field);
              break;
            }
          assert_signed_object_invalid (f, obj);
        }
    }
}

static void
test_malformed_version (Fixture       *f,
                        gconstpointer  data)
{
  for (int kind = 0; kind < 6; kind++)
    {
      g_autoptr(JsonObject) obj = card_object (f);

      switch (kind)
        {
        case 0:
          json_object_set_int_member (obj, "v", 2);
          break;
        case 1:
          json_object_set_int_member (obj, "v", 0);
          break;
        case 2:
          json_object_set_string_member (obj, "v", "1");
          break;
        case 3:
          json_object_set_double_member (obj, "v", 1.0);
          break;
        case 4:
          json_object_set_boolean_member (obj, "v", TRUE);
          break;
        default:
          json_object_set_int_member (obj, "v", -1);
          break;
        }
      assert_signed_object_invalid (f, obj);
    }
}

static void
test_malformed_photo (Fixture       *f,
                      gconstpointer  data)
{
  for (int kind = 0; kind < 7; kind++)
    {
      g_autoptr(JsonObject) obj = card_object (f);

      switch (kind)
        {
        case 0:
          {
            g_autoptr(GBytes) big = arbitrary_photo (RH_IDENTITY_CARD_MAX_PHOTO + 1);

            rh_message_set_bytes (obj, "photo", g_bytes_get_data (big, NULL),
                                  g_bytes_get_size (big));
          }
          break;
        case 1:
          {
            g_autoptr(GBytes) huge = arbitrary_photo (200 * 1024);

            rh_message_set_bytes (obj, "photo", g_bytes_get_data (huge, NULL),
                                  g_bytes_get_size (huge));
          }
          break;
        case 2:
          json_object_set_string_member (obj, "photo", "not base64!");
          break;
        case 3:
          json_object_set_string_member (obj, "photo", "AAECAw=");
          break;
        case 4:
          json_object_set_int_member (obj, "photo", 1);
          break;
        case 5:
          json_object_set_null_member (obj, "photo");
          break;
        default:
          json_object_set_array_member (obj, "photo", json_array_new ());
          break;
        }
      assert_signed_object_invalid (f, obj);
    }
}

static void
test_malformed_photo_via_sign (Fixture       *f,
                               gconstpointer  data)
{
  /* rh_identity_card_sign() itself does not limit the photo; the verifier must. */
  g_autoptr(RhIdentityCard) card = make_card ("Big Photo");
  g_autofree char *json = NULL;
  g_autoptr(GBytes) sig = NULL;

  g_bytes_unref (card->photo);
  card->photo = arbitrary_photo (RH_IDENTITY_CARD_MAX_PHOTO + 1);
  sign_card (f, card, &json, &sig);
  assert_verify_fails (f->key, json, sig, "helper", SLOT, NOW, RH_ERROR_CARD_INVALID);
}

static void
test_malformed_text (Fixture       *f,
                     gconstpointer  data)
{
  static const char *const texts[] = {
    "",
    "null",
    "[]",
    "\"helper\"",
    "42",
    "not json",
    "{",
    "{\"v\":1",
    "{}",
    "{\"v\":1}",
  };
  g_autoptr(JsonObject) obj = card_object (f);
  g_autofree char *json = object_to_json (obj);
  g_autofree char *trailing = g_strconcat (json, "x", NULL);
  g_autofree char *array = g_strconcat ("[", json, "]", NULL);
  g_autofree char *not_utf8 = g_strdup (json);
  char *name = strstr (not_utf8, "Mal Formed");

  for (gsize i = 0; i < G_N_ELEMENTS (texts); i++)
    assert_signed_text_invalid (f, texts[i]);
  assert_signed_text_invalid (f, trailing);
  assert_signed_text_invalid (f, array);

  /* Invalid UTF-8 inside a string. */
  g_assert_nonnull (name);
  name[3] = (char) 0xff;
  assert_signed_text_invalid (f, not_utf8);
}

/* describe */

static void
test_describe (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(RhIdentityCard) card = make_card ("\xd9\x85\xd8\xad\xd9\x85\xd8\xaf");
  g_autofree char *json = NULL;
  g_autoptr(GBytes) sig = NULL;
  g_autoptr(RhIdentityCard) back = NULL;
  g_autofree char *text = NULL;
  g_autofree char *no_photo_text = NULL;

  sign_card (f, card, &json, &sig);
  back = verify_ok (f, json, sig, "helper", SLOT, NOW);
  text = rh_identity_card_describe (back);

  g_assert_true (g_utf8_validate (text, -1, NULL));
  g_assert_nonnull (strstr (text, "\xd9\x85\xd8\xad\xd9\x85\xd8\xaf"));
  g_assert_nonnull (strstr (text, "example.org"));
  g_assert_nonnull (strstr (text, "M\xc3\xbcller & S\xc3\xb6hne GmbH"));
  g_assert_nonnull (strstr (text, "IT-Support"));
  g_assert_nonnull (strstr (text, "photo: yes"));

  g_clear_pointer (&back->photo, g_bytes_unref);
  no_photo_text = rh_identity_card_describe (back);
  g_assert_nonnull (strstr (no_photo_text, "photo: no"));
}

/* Permissions (issue #5) */

static void
test_permissions (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(RhIdentityCard) card = make_card ("Vic");
  g_autoptr(RhIdentityCard) back = NULL;
  g_autoptr(RhIdentityCard) plain_back = NULL;
  g_autoptr(RhIdentityCard) plain = make_card ("Pat");
  g_autofree char *json = NULL;
  g_autofree char *plain_json = NULL;
  g_autoptr(GBytes) sig = NULL;
  g_autoptr(GBytes) plain_sig = NULL;
  g_autofree char *tampered = NULL;
  g_autoptr(GBytes) tampered_sig = NULL;
  const char *bad[] = {
    "{\"v\":1,\"role\":\"helper\",\"login\":\"a\",\"display_name\":\"A\","
    "\"job_title\":\"\",\"company\":\"\",\"domain\":\"\",\"slot\":\"" SLOT "\","
    "\"issued_at\":1749999940,\"expires_at\":1750003600,\"permissions\":\"view-screen\","
    "\"sharer\":\"sam\"}",
    "{\"v\":1,\"role\":\"helper\",\"login\":\"a\",\"display_name\":\"A\","
    "\"job_title\":\"\",\"company\":\"\",\"domain\":\"\",\"slot\":\"" SLOT "\","
    "\"issued_at\":1749999940,\"expires_at\":1750003600,\"permissions\":[1],"
    "\"sharer\":\"sam\"}",
    /* Permissions without the sharer they are for. */
    "{\"v\":1,\"role\":\"helper\",\"login\":\"a\",\"display_name\":\"A\","
    "\"job_title\":\"\",\"company\":\"\",\"domain\":\"\",\"slot\":\"" SLOT "\","
    "\"issued_at\":1749999940,\"expires_at\":1750003600,\"permissions\":[]}",
  };

  card->has_permissions = TRUE;
  card->permissions = RH_PERMISSION_VIEW_SCREEN | RH_PERMISSION_TAKE_FULL_CONTROL;
  card->sharer = g_strdup ("sam");
  sign_card (f, card, &json, &sig);
  g_assert_nonnull (strstr (json, "\"permissions\":[\"view-screen\",\"take-full-control\"]"));
  back = verify_ok (f, json, sig, "helper", SLOT, NOW);
  assert_cards_equal (card, back);
  g_assert_true (back->has_permissions);
  g_assert_cmpint (back->permissions, ==, card->permissions);
  g_assert_cmpstr (back->sharer, ==, "sam");

  /* No permissions in the card: none granted. */
  sign_card (f, plain, &plain_json, &plain_sig);
  g_assert_null (strstr (plain_json, "permissions"));
  plain_back = verify_ok (f, plain_json, plain_sig, "helper", SLOT, NOW);
  g_assert_false (plain_back->has_permissions);
  g_assert_cmpint (plain_back->permissions, ==, RH_PERMISSION_NONE);

  /* Granting more needs the organisation's signature. */
  tampered = g_strdup (json);
  memcpy (strstr (tampered, "take-full-control"), "take-full-contro1", 17);
  assert_verify_fails (f->key, tampered, sig, "helper", SLOT, NOW, RH_ERROR_CARD_SIGNATURE);

  /* A name this app does not know grants nothing. */
  g_clear_pointer (&tampered, g_free);
  tampered = g_strdup (json);
  memcpy (strstr (tampered, "take-full-control"), "take-full-contro1", 17);
  tampered_sig = sign_raw (f->key, tampered);
  g_clear_pointer (&back, rh_identity_card_free);
  back = verify_ok (f, tampered, tampered_sig, "helper", SLOT, NOW);
  g_assert_cmpint (back->permissions, ==, RH_PERMISSION_VIEW_SCREEN);

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GBytes) bad_sig = sign_raw (f->key, bad[i]);

      assert_verify_fails (f->key, bad[i], bad_sig, "helper", SLOT, NOW, RH_ERROR_CARD_INVALID);
    }
}

#define ADD(path, func) \
  g_test_add ("/identity-card/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  ADD ("round-trip", test_round_trip);
  ADD ("permissions", test_permissions);
  ADD ("round-trip/sharer-no-photo", test_round_trip_sharer_no_photo);
  ADD ("round-trip/photo-sizes", test_round_trip_photo_sizes);
  ADD ("round-trip/public-key", test_round_trip_public_key);
  ADD ("signed-form", test_signed_form);
  ADD ("signature/changed-json-byte", test_changed_json_byte);
  ADD ("signature/changed-signature", test_changed_signature);
  ADD ("signature/other-org-key", test_other_org_key);
  ADD ("invalid/wrong-role", test_wrong_role);
  ADD ("invalid/wrong-slot", test_wrong_slot);
  ADD ("invalid/validity-period", test_validity_period);
  ADD ("malformed/control", test_malformed_control);
  ADD ("malformed/missing-field", test_malformed_missing_field);
  ADD ("malformed/string-types", test_malformed_string_types);
  ADD ("malformed/numbers", test_malformed_numbers);
  ADD ("malformed/version", test_malformed_version);
  ADD ("malformed/photo", test_malformed_photo);
  ADD ("malformed/photo-via-sign", test_malformed_photo_via_sign);
  ADD ("malformed/text", test_malformed_text);
  ADD ("describe", test_describe);

  return g_test_run ();
}
