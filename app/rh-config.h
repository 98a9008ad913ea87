/* rh-config.h: the app's configuration (system policy, user file, command line)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define RH_SYSTEM_CONFIG_PATH "/etc/remote-help/remote-help.conf"
#define RH_CONFIG_GROUP "remote-help"

typedef struct
{
  char     *server_url;
  GBytes   *server_fingerprint; /* 32 bytes, or NULL */
  char     *ca_file;
  GBytes   *org_key;            /* 32 bytes, or NULL */
  gboolean  accept_terms;       /* only from the system policy file */
  char     *capture;            /* "builtin" (ours) or "stock" (FreeRDP's); NULL: builtin */
  /* Administrator access (issue #6). The tools and the end action come only from the system
   * policy: a program named in the user's own file would run as root with the helper's
   * administrator password, and the user could soften the sign-out. */
  GPtrArray *elevated_tools;    /* RhElevatedTool from elevated-tools=, without the built-in */
  int        elevated_end;      /* an RhElevatedEnd from elevated-session-end=; sign-out */
  /* auth-prompt-classes= of both files, added to the built-in list (masking more is safe). */
  GStrv      auth_prompt_classes;
} RhConfig;

RhConfig *rh_config_new        (void);
void      rh_config_free       (RhConfig    *config);
/* Reads the system file (RH_SYSTEM_CONFIG overrides its path, for tests) and then the user's
 * ~/.config/remote-help/remote-help.conf; later values win. Missing files are fine; unreadable
 * or malformed ones are RH_ERROR_CONFIG_INVALID. */
RhConfig *rh_config_load       (GError     **error);
gboolean  rh_config_load_file  (RhConfig    *config,
                                const char  *path,
                                gboolean     is_system,
                                GError     **error);
gboolean  rh_config_set_server (RhConfig    *config,
                                const char  *url,
                                GError     **error);
gboolean  rh_config_set_server_fingerprint (RhConfig    *config,
                                            const char  *text,
                                            GError     **error);
gboolean  rh_config_set_org_key (RhConfig   *config,
                                 const char *text,
                                 GError    **error);
/* A server URL, and a fingerprint or CA to verify it by (never nothing), and an org key. */
gboolean  rh_config_check      (RhConfig    *config,
                                GError     **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RhConfig, rh_config_free)

G_END_DECLS
