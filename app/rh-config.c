/* rh-config.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "rh-app"

#include "config.h"

#include <glib/gi18n.h>

#include "rh-auth-prompt-watch.h"
#include "rh-config.h"
#include "rh-elevation.h"
#include "rh-error.h"
#include "rh-fingerprint.h"

RhConfig *
rh_config_new (void)
{
  RhConfig *config = g_new0 (RhConfig, 1);

  config->elevated_tools = g_ptr_array_new_with_free_func ((GDestroyNotify) rh_elevated_tool_free);
  config->elevated_end = RH_ELEVATED_END_SIGN_OUT;
  config->auth_prompt_classes = g_new0 (char *, 1);
  return config;
}

void
rh_config_free (RhConfig *config)
{
  if (config == NULL)
    return;
  g_free (config->server_url);
  g_clear_pointer (&config->server_fingerprint, g_bytes_unref);
  g_free (config->ca_file);
  g_clear_pointer (&config->org_key, g_bytes_unref);
  g_free (config->capture);
  g_clear_pointer (&config->elevated_tools, g_ptr_array_unref);
  g_strfreev (config->auth_prompt_classes);
  g_free (config);
}

gboolean
rh_config_set_server (RhConfig    *config,
                      const char  *url,
                      GError     **error)
{
  g_autoptr(GUri) uri = NULL;

  uri = url ? g_uri_parse (url, G_URI_FLAGS_NONE, NULL) : NULL;
  if (uri == NULL || g_strcmp0 (g_uri_get_scheme (uri), "wss") != 0 ||
      g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    {
      g_set_error (error, RH_CONFIG_ERROR, RH_ERROR_BAD_SERVER_URL,
                   _("“%s” is not a server address of the form wss://HOST:PORT/"),
                   url ? url : "");
      return FALSE;
    }
  g_free (config->server_url);
  config->server_url = g_strdup (url);
  return TRUE;
}

static gboolean
parse_fp (const char  *text,
          GBytes     **out,
          GError     **error)
{
  guint8 fp[RH_FINGERPRINT_LEN];

  if (!rh_fingerprint_parse (text, fp, error))
    return FALSE;
  g_clear_pointer (out, g_bytes_unref);
  *out = g_bytes_new (fp, sizeof fp);
  return TRUE;
}

gboolean
rh_config_set_server_fingerprint (RhConfig    *config,
                                  const char  *text,
                                  GError     **error)
{
  return parse_fp (text, &config->server_fingerprint, error);
}

gboolean
rh_config_set_org_key (RhConfig    *config,
                       const char  *text,
                       GError     **error)
{
  g_autoptr(GError) local_error = NULL;

  if (!parse_fp (text, &config->org_key, &local_error))
    {
      g_set_error (error, RH_CONFIG_ERROR, RH_ERROR_BAD_ORG_KEY, "%s", local_error->message);
      return FALSE;
    }
  return TRUE;
}

gboolean
rh_config_load_file (RhConfig    *config,
                     const char  *path,
                     gboolean     is_system,
                     GError     **error)
{
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autoptr(GError) local_error = NULL;
  g_autofree char *value = NULL;

  if (!g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return TRUE;
      g_set_error (error, RH_CONFIG_ERROR, RH_ERROR_CONFIG_INVALID, "%s: %s", path,
                   local_error->message);
      return FALSE;
    }

#define READ(key) (g_free (value), value = g_key_file_get_string (kf, RH_CONFIG_GROUP, key, NULL))
  if (READ ("server") && !rh_config_set_server (config, g_strstrip (value), &local_error))
    goto bad;
  if (READ ("server-fingerprint") &&
      !rh_config_set_server_fingerprint (config, g_strstrip (value), &local_error))
    goto bad;
  if (READ ("ca-file"))
    {
      g_free (config->ca_file);
      config->ca_file = g_strdup (g_strstrip (value));
    }
  if (READ ("org-key") && !rh_config_set_org_key (config, g_strstrip (value), &local_error))
    goto bad;
  /* Silent deployment is an administrator's decision: only the system policy counts, and
   * only with the key spelt exactly so. */
  if (is_system && READ ("acceptTerms"))
    config->accept_terms = g_strcmp0 (g_strstrip (value), "1") == 0;
  /* How the sharer captures its screen: ours, or FreeRDP's for comparison and as a fallback. */
  if (READ ("capture"))
    {
      g_strstrip (value);
      if (g_strcmp0 (value, "builtin") != 0 && g_strcmp0 (value, "stock") != 0)
        {
          g_set_error (&local_error, RH_CONFIG_ERROR, RH_ERROR_CONFIG_INVALID,
                       _("capture must be “builtin” or “stock”, not “%s”"), value);
          goto bad;
        }
      g_free (config->capture);
      config->capture = g_strdup (value);
    }
  if (READ ("elevated-tools"))
    {
      g_autoptr(GPtrArray) tools = NULL;

      if (!is_system)
        g_warning ("%s: elevated-tools= is ignored outside %s", path, RH_SYSTEM_CONFIG_PATH);
      else if ((tools = rh_elevated_tools_parse (value, &local_error)) == NULL)
        goto bad_keep_code;
      else
        {
          g_ptr_array_unref (config->elevated_tools);
          config->elevated_tools = g_steal_pointer (&tools);
        }
    }
  if (READ ("elevated-session-end"))
    {
      RhElevatedEnd end;

      if (!is_system)
        g_warning ("%s: elevated-session-end= is ignored outside %s", path,
                   RH_SYSTEM_CONFIG_PATH);
      else if (!rh_elevated_end_parse (g_strstrip (value), &end, &local_error))
        goto bad_keep_code;
      else
        config->elevated_end = end;
    }
  if (READ ("auth-prompt-classes"))
    {
      g_auto(GStrv) classes = rh_auth_prompt_classes_parse (value, &local_error);
      g_autoptr(GStrvBuilder) all = g_strv_builder_new ();

      if (classes == NULL)
        goto bad_keep_code;
      g_strv_builder_addv (all, (const char **) config->auth_prompt_classes);
      g_strv_builder_addv (all, (const char **) classes);
      g_strfreev (config->auth_prompt_classes);
      config->auth_prompt_classes = g_strv_builder_end (all);
    }
#undef READ
  return TRUE;

bad_keep_code:
  /* The parser's own code (RH-1101..1103) says which key is wrong. */
  g_set_error (error, local_error->domain, local_error->code, "%s: %s", path,
               local_error->message);
  return FALSE;

bad:
  g_set_error (error, RH_CONFIG_ERROR, RH_ERROR_CONFIG_INVALID, "%s: %s", path,
               local_error->message);
  return FALSE;
}

RhConfig *
rh_config_load (GError **error)
{
  g_autoptr(RhConfig) config = rh_config_new ();
  const char *system_path = g_getenv ("RH_SYSTEM_CONFIG");
  g_autofree char *user_path = g_build_filename (g_get_user_config_dir (), "remote-help",
                                                 "remote-help.conf", NULL);

  if (!rh_config_load_file (config, system_path ? system_path : RH_SYSTEM_CONFIG_PATH, TRUE,
                            error))
    return NULL;
  if (!rh_config_load_file (config, user_path, FALSE, error))
    return NULL;
  return g_steal_pointer (&config);
}

gboolean
rh_config_check (RhConfig  *config,
                 GError   **error)
{
  if (config->server_url == NULL)
    {
      g_set_error_literal (error, RH_CONFIG_ERROR, RH_ERROR_BAD_SERVER_URL,
                           _("No server is configured: set server= in the configuration or "
                             "pass --server"));
      return FALSE;
    }
  if (config->server_fingerprint == NULL && config->ca_file == NULL)
    {
      g_set_error_literal (error, RH_CONFIG_ERROR, RH_ERROR_NO_TRUST,
                           _("No server fingerprint or CA file is configured; TLS is never "
                             "used without verification"));
      return FALSE;
    }
  if (config->org_key == NULL)
    {
      g_set_error_literal (error, RH_CONFIG_ERROR, RH_ERROR_BAD_ORG_KEY,
                           _("No organisation key is configured: set org-key= in the "
                             "configuration or pass --org-key"));
      return FALSE;
    }
  return TRUE;
}
