/* rh-ui.c: the desktop app's entry point
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "rh-ui"

#include "config.h"

#include <glib/gi18n.h>
#include <adwaita.h>

#include "rh-error.h"
#include "rh-log.h"
#include "rh-ui.h"

int
rh_ui_run (int    argc,
           char **argv)
{
  g_autoptr(GError) error = g_error_new_literal (RH_CONFIG_ERROR, RH_ERROR_USAGE,
                                                 _("This build of Remote Help has no windows yet: use --headless"));

  rh_print_error ("remote-help", error);
  return 2;
}
