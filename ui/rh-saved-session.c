/* rh-saved-session.c: the sign-in token kept between runs
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "rh-ui"

#include "config.h"

#include <errno.h>
#include <string.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "rh-error.h"
#include "rh-saved-session.h"

#define GROUP "session"

char *
rh_saved_session_path (void)
{
  return g_build_filename (g_get_user_state_dir (), "remote-help", "session", NULL);
}

gboolean
rh_saved_session_load (char **out_login,
                       char **out_token)
{
  g_autofree char *path = rh_saved_session_path ();
  g_autoptr(GKeyFile) file = g_key_file_new ();
  g_autofree char *login = NULL;
  g_autofree char *token = NULL;

  if (!g_key_file_load_from_file (file, path, G_KEY_FILE_NONE, NULL))
    return FALSE;
  login = g_key_file_get_string (file, GROUP, "login", NULL);
  token = g_key_file_get_string (file, GROUP, "token", NULL);
  if (login == NULL || *login == '\0' || token == NULL || *token == '\0')
    return FALSE;
  *out_login = g_steal_pointer (&login);
  *out_token = g_steal_pointer (&token);
  return TRUE;
}

gboolean
rh_saved_session_save (const char  *login,
                       const char  *token,
                       GError     **error)
{
  g_autofree char *path = rh_saved_session_path ();
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(GKeyFile) file = g_key_file_new ();
  g_autofree char *data = NULL;
  g_autoptr(GError) local_error = NULL;
  gsize len;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, RH_CONFIG_ERROR, RH_ERROR_DATA_DIR,
                   _("Cannot create %s: %s"), dir, g_strerror (saved_errno));
      return FALSE;
    }
  g_key_file_set_string (file, GROUP, "login", login);
  g_key_file_set_string (file, GROUP, "token", token);
  data = g_key_file_to_data (file, &len, NULL);
  /* The token is as good as the password for a day: only its owner may read it. */
  if (!g_file_set_contents_full (path, data, len, G_FILE_SET_CONTENTS_CONSISTENT, 0600,
                                 &local_error))
    {
      g_set_error (error, RH_CONFIG_ERROR, RH_ERROR_DATA_DIR, "%s", local_error->message);
      explicit_bzero (data, len);
      return FALSE;
    }
  explicit_bzero (data, len);
  return TRUE;
}

void
rh_saved_session_forget (void)
{
  g_autofree char *path = rh_saved_session_path ();

  g_unlink (path);
}
