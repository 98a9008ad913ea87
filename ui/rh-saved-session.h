/* rh-saved-session.h: the sign-in token kept between runs
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* $XDG_STATE_HOME/remote-help/session: the login and token of the last sign-in, 0600. */
char     *rh_saved_session_path   (void);
gboolean  rh_saved_session_load   (char       **out_login,
                                   char       **out_token);
gboolean  rh_saved_session_save   (const char  *login,
                                   const char  *token,
                                   GError     **error);
void      rh_saved_session_forget (void);

G_END_DECLS
