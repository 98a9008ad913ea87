/* rh-admin-console.h: the admin web console and its JSON API, on the server's HTTPS port
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

#include "rh-store.h"
#include "rh-ws-server.h"

G_BEGIN_DECLS

/* The session cookie; the __Host- prefix makes browsers insist on Secure, Path=/ and no
 * Domain. */
#define RH_CONSOLE_COOKIE          "__Host-rh-console"
#define RH_CONSOLE_SESSION_SECONDS (8 * 60 * 60)
#define RH_CONSOLE_MAX_BODY        (16 * 1024)

#define RH_TYPE_ADMIN_CONSOLE (rh_admin_console_get_type ())
G_DECLARE_FINAL_TYPE (RhAdminConsole, rh_admin_console, RH, ADMIN_CONSOLE, GObject)

/* assets_dir holds index.html, console.css, console.js…; a missing directory is reported
 * (RH-6210) to the browser, not at start-up, so that the rendezvous service still runs. */
RhAdminConsole *rh_admin_console_new    (RhStore        *store,
                                         const char     *assets_dir);
/* Serves every plain HTTPS request of ws from now on. */
void            rh_admin_console_attach (RhAdminConsole *self,
                                         RhWsServer     *ws);

G_END_DECLS
