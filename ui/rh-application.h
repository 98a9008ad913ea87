/* rh-application.h: the desktop app
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "rh-notifier.h"

G_BEGIN_DECLS

#define RH_APPLICATION_ID "org.remotehelp.RemoteHelp"

#define RH_TYPE_APPLICATION (rh_application_get_type ())
G_DECLARE_FINAL_TYPE (RhApplication, rh_application, RH, APPLICATION, AdwApplication)

RhApplication *rh_application_new          (void);
/* Desktop notifications; clicking one presents the app's window. NULL before startup. */
RhNotifier    *rh_application_get_notifier (RhApplication *self);
/* TRUE when one of the app's windows has the focus: then nothing needs a notification. */
gboolean       rh_application_is_focused   (RhApplication *self);

G_END_DECLS
