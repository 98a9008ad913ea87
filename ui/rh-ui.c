/* rh-ui.c: the desktop app's entry point
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "rh-ui"

#include "config.h"

#include <glib/gi18n.h>
#include <adwaita.h>

#include "rh-application.h"
#include "rh-ui.h"

int
rh_ui_run (int    argc,
           char **argv)
{
  g_autoptr(RhApplication) app = rh_application_new ();

  return g_application_run (G_APPLICATION (app), argc, argv);
}
