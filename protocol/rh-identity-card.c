/* rh-identity-card.c
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

/* Domain separation: a signature over a card can never be replayed as a signature over
 * anything else the organisation key signs. */
#define SIGNING_CONTEXT "remote-help identity card v1"

RhIdentityCard *
rh_identity_card_new (void)
{
  return g_new0 (RhIdentityCard, 1);
}

void
rh_identity_card_free (RhIdentityCard *card)
{
  if (card == NULL)
    return;
  g_free (card->role);
  g_free (card->login);
  g_free (card->display_name);
  g_free (card->job_title);
  g_free (card->company);
  g_free (card->domain);
  g_clear_pointer (&card->photo, g_bytes_unref);
  g_free (card->slot);
  g_free (card->sharer);
  g_free (card);
}

static GBytes *
signed_bytes (const char *json)
{
  GByteArray *buf = g_byte_array_new ();

  g_byte_array_append (buf, (const guint8 *) SIGNING_CONTEXT, sizeof SIGNING_CONTEXT);
  g_byte_array_append (buf, (const guint8 *) json, strlen (json));
  return g_byte_array_free_to_bytes (buf);
}

static void
add_string (JsonObject *obj,
            const char *name,
            const char *value)
{
  json_object_set_string_member (obj, name, value ? value : "");
}

gboolean
rh_identity_card_sign (const RhIdentityCard  *card,
                       RhOrgKey              *key,
                       char                 **out_json,
                       GBytes               **out_signature,
                       GError               **error)
{
  g_autoptr(JsonObject) obj = json_object_new ();
  g_autofree char *json = NULL;
  g_autoptr(GBytes) data = NULL;
  GBytes *sig;

  g_return_val_if_fail (card != NULL, FALSE);
  g_return_val_if_fail (RH_IS_ORG_KEY (key), FALSE);

  json_object_set_int_member (obj, "v", 1);
  add_string (obj, "role", card->role);
  add_string (obj, "login", card->login);
  add_string (obj, "display_name", card->display_name);
  add_string (obj, "job_title", card->job_title);
  add_string (obj, "company", card->company);
  add_string (obj, "domain", card->domain);
  if (card->photo != NULL)
    {
      gsize len;
      const guint8 *p = g_bytes_get_data (card->photo, &len);

      rh_message_set_bytes (obj, "photo", p, len);
    }
  add_string (obj, "slot", card->slot);
  json_object_set_int_member (obj, "issued_at", card->issued_at);
  json_object_set_int_member (obj, "expires_at", card->expires_at);
  if (card->has_permissions)
    {
      g_auto(GStrv) names = rh_permissions_to_strv (card->permissions);
      JsonArray *array = json_array_new ();

      for (guint i = 0; names[i] != NULL; i++)
        json_array_add_string_element (array, names[i]);
      json_object_set_array_member (obj, "permissions", array);
      add_string (obj, "sharer", card->sharer);
    }

  json = rh_message_to_string (obj);
  data = signed_bytes (json);
  sig = rh_org_key_sign (key, g_bytes_get_data (data, NULL), g_bytes_get_size (data), error);
  if (sig == NULL)
    return FALSE;

  *out_json = g_steal_pointer (&json);
  *out_signature = sig;
  return TRUE;
}

static gboolean
invalid (GError     **error,
         const char  *why)
{
  g_set_error (error, RH_CRYPTO_ERROR, RH_ERROR_CARD_INVALID, "Identity card %s", why);
  return FALSE;
}

static gboolean
take_string (JsonObject  *obj,
             const char  *name,
             char       **out,
             GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  const char *s = rh_message_get_string (obj, name, 256, &local_error);

  if (s == NULL)
    return invalid (error, local_error->message);
  *out = g_strdup (s);
  return TRUE;
}

RhIdentityCard *
rh_identity_card_verify (const char  *json,
                         GBytes      *signature,
                         RhOrgKey    *key,
                         const char  *expected_role,
                         const char  *expected_slot,
                         gint64       now,
                         GError     **error)
{
  g_autoptr(GBytes) data = NULL;
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(RhIdentityCard) card = rh_identity_card_new ();
  g_autoptr(GError) local_error = NULL;
  JsonNode *root;
  JsonObject *obj;
  gint64 version;

  g_return_val_if_fail (json != NULL, NULL);
  g_return_val_if_fail (signature != NULL, NULL);
  g_return_val_if_fail (RH_IS_ORG_KEY (key), NULL);

  /* The signature is checked over the exact bytes before anything in them is believed. */
  data = signed_bytes (json);
  if (!rh_org_key_verify (key, g_bytes_get_data (data, NULL), g_bytes_get_size (data),
                          g_bytes_get_data (signature, NULL), g_bytes_get_size (signature),
                          error))
    return NULL;

  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, json, -1, NULL) ||
      (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      invalid (error, "is not a JSON object");
      return NULL;
    }
  obj = json_node_get_object (root);

  if (!rh_message_get_int (obj, "v", 1, 1, &version, NULL))
    {
      invalid (error, "has an unknown version");
      return NULL;
    }
  if (!take_string (obj, "role", &card->role, error) ||
      !take_string (obj, "login", &card->login, error) ||
      !take_string (obj, "display_name", &card->display_name, error) ||
      !take_string (obj, "job_title", &card->job_title, error) ||
      !take_string (obj, "company", &card->company, error) ||
      !take_string (obj, "domain", &card->domain, error) ||
      !take_string (obj, "slot", &card->slot, error))
    return NULL;
  if (!rh_message_get_int (obj, "issued_at", 0, G_MAXINT64, &card->issued_at, &local_error) ||
      !rh_message_get_int (obj, "expires_at", 0, G_MAXINT64, &card->expires_at, &local_error))
    {
      invalid (error, local_error->message);
      return NULL;
    }
  if (json_object_has_member (obj, "photo"))
    {
      card->photo = rh_message_get_bytes (obj, "photo", 0, RH_IDENTITY_CARD_MAX_PHOTO,
                                          &local_error);
      if (card->photo == NULL)
        {
          invalid (error, local_error->message);
          return NULL;
        }
    }

  if (json_object_has_member (obj, "permissions"))
    {
      JsonNode *node = json_object_get_member (obj, "permissions");
      JsonArray *array;

      if (!JSON_NODE_HOLDS_ARRAY (node) ||
          json_array_get_length (array = json_node_get_array (node)) > 16)
        {
          invalid (error, "has malformed permissions");
          return NULL;
        }
      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *element = json_array_get_element (array, i);

          if (!JSON_NODE_HOLDS_VALUE (element) ||
              json_node_get_value_type (element) != G_TYPE_STRING)
            {
              invalid (error, "has malformed permissions");
              return NULL;
            }
          card->permissions |= rh_permission_from_string (json_node_get_string (element));
        }
      if (!take_string (obj, "sharer", &card->sharer, error))
        return NULL;
      card->has_permissions = TRUE;
    }

  if (g_strcmp0 (card->role, expected_role) != 0)
    {
      invalid (error, "was issued for another role");
      return NULL;
    }
  if (g_strcmp0 (card->slot, expected_slot) != 0)
    {
      invalid (error, "was issued for another security code");
      return NULL;
    }
  if (now + RH_IDENTITY_CARD_SKEW < card->issued_at || now > card->expires_at)
    {
      invalid (error, "is not valid at this time (check the computer's clock)");
      return NULL;
    }

  return g_steal_pointer (&card);
}

char *
rh_identity_card_describe (const RhIdentityCard *card)
{
  return g_strdup_printf ("name: %s\n"
                          "job-title: %s\n"
                          "company: %s\n"
                          "domain: %s (verified by your organisation)\n"
                          "login: %s\n"
                          "photo: %s",
                          card->display_name, card->job_title, card->company, card->domain,
                          card->login, card->photo ? "yes" : "no");
}
