/* rh-ui.h: the desktop app's entry point
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Runs the GTK application; returns the process exit status. */
int rh_ui_run (int    argc,
               char **argv);

G_END_DECLS
