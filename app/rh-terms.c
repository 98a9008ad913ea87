/* rh-terms.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "rh-app"

#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "rh-error.h"
#include "rh-terms.h"

#define TERMS_GROUP "terms"

const char *
rh_terms_text (void)
{
  return _("Remote Help — terms of use\n"
           "\n"
           "Remote Help connects you with a helper from your organisation's IT support.\n"
           "\n"
           "What the helper can see and do\n"
           "• Nothing happens until you type the security code the helper reads to you, and "
           "the app has verified the helper's identity card, signed by your organisation.\n"
           "• The helper asks to see your screen or to control it. You decide: you can allow "
           "view-only access, full control, or decline.\n"
           "• With view-only access the helper sees everything on your screen, including "
           "notifications and open documents, but cannot type or click.\n"
           "• With full control the helper can also use your keyboard and mouse, as you can.\n"
           "• You can end the session at any time; it also ends when either side leaves.\n"
           "• The screen travels end-to-end encrypted; the service relays it without being "
           "able to read it.\n"
           "\n"
           "What is logged, and for how long\n"
           "• Session records — who helped whom, when, for how long and with which access — "
           "and the audit log of administrative changes are kept for 30 days by default.\n"
           "• Chat messages go through your organisation's service, which keeps them with the "
           "session record for 90 days by default. Unlike the screen, chat is not end-to-end "
           "encrypted: your organisation's administrators can read it.\n"
           "• Your screen is not recorded. Security codes, passwords and keys are never "
           "logged.\n"
           "• Your organisation's administrator may configure other retention periods.\n");
}

char *
rh_terms_path (void)
{
  return g_build_filename (g_get_user_config_dir (), "remote-help", "terms-accepted", NULL);
}

static gboolean
user_accepted (void)
{
  g_autofree char *path = rh_terms_path ();
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  gint64 version;

  if (!g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, &error))
    {
      if (!g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        g_message ("Cannot read %s: %s", path, error->message);
      return FALSE;
    }
  version = g_key_file_get_int64 (kf, TERMS_GROUP, "version", &error);
  if (error != NULL)
    {
      g_message ("%s: %s", path, error->message);
      return FALSE;
    }
  if (version != RH_TERMS_VERSION)
    {
      g_debug ("Terms version %" G_GINT64_FORMAT " was accepted; this is version %d",
               version, RH_TERMS_VERSION);
      return FALSE;
    }
  return TRUE;
}

gboolean
rh_terms_accepted (RhConfig *config)
{
  if (config != NULL && config->accept_terms)
    return TRUE;
  return user_accepted ();
}

gboolean
rh_terms_check (RhConfig  *config,
                GError   **error)
{
  if (rh_terms_accepted (config))
    return TRUE;
  g_set_error_literal (error, RH_CONFIG_ERROR, RH_ERROR_TERMS_NOT_ACCEPTED,
                       _("Read and accept the terms of use first: in the app, or with "
                         "“remote-help accept-terms --headless”"));
  return FALSE;
}

gboolean
rh_terms_accept (GError **error)
{
  g_autofree char *path = rh_terms_path ();
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *when = g_date_time_format_iso8601 (now);
  g_autofree char *contents = NULL;
  g_autoptr(GError) local_error = NULL;
  gsize length;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, RH_CONFIG_ERROR, RH_ERROR_CONFIG_INVALID,
                   _("Cannot create %s: %s"), dir, g_strerror (saved_errno));
      return FALSE;
    }
  g_key_file_set_comment (kf, NULL, NULL,
                          " Remote Help: the version of the terms of use this user accepted",
                          NULL);
  g_key_file_set_int64 (kf, TERMS_GROUP, "version", RH_TERMS_VERSION);
  g_key_file_set_string (kf, TERMS_GROUP, "accepted", when);
  contents = g_key_file_to_data (kf, &length, NULL);
  if (!g_file_set_contents_full (path, contents, length, G_FILE_SET_CONTENTS_CONSISTENT, 0600,
                                 &local_error))
    {
      g_set_error (error, RH_CONFIG_ERROR, RH_ERROR_CONFIG_INVALID, "%s", local_error->message);
      return FALSE;
    }
  g_info ("Terms of use version %d accepted", RH_TERMS_VERSION);
  return TRUE;
}
