/* rh-window.h: the main window: sign in, then get help or give help
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "rh-application.h"

G_BEGIN_DECLS

#define RH_TYPE_WINDOW (rh_window_get_type ())
G_DECLARE_FINAL_TYPE (RhWindow, rh_window, RH, WINDOW, AdwApplicationWindow)

RhWindow *rh_window_new (RhApplication *app);

G_END_DECLS
