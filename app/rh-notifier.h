/* rh-notifier.h: desktop notifications (libnotify) for what needs the user's attention
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

typedef enum
{
  RH_NOTIFICATION_SHARER_JOINED,
  RH_NOTIFICATION_CONTROL_REQUESTED,
  RH_NOTIFICATION_CHAT_MESSAGE,
  RH_NOTIFICATION_SESSION_ENDED,
} RhNotification;

#define RH_N_NOTIFICATIONS (RH_NOTIFICATION_SESSION_ENDED + 1)

/* Called on the main thread when the user clicks a notification (its "default" action):
 * the app presents its window. */
typedef void (*RhNotifierActivateFunc) (RhNotification kind,
                                        gpointer       user_data);

#define RH_TYPE_NOTIFIER (rh_notifier_get_type ())
G_DECLARE_FINAL_TYPE (RhNotifier, rh_notifier, RH, NOTIFIER, GObject)

RhNotifier *rh_notifier_new               (const char             *app_name);
void        rh_notifier_set_activate_func (RhNotifier             *self,
                                           RhNotifierActivateFunc  func,
                                           gpointer                user_data,
                                           GDestroyNotify          destroy);

/* Each returns TRUE when a notification server took the notification. A failure (no session
 * bus, no server) is logged and changes nothing else. */

/* Helper: the person being helped typed the code and the pairing is verified. */
gboolean    rh_notifier_sharer_joined     (RhNotifier *self,
                                           const char *sharer_name);
/* Sharer: the helper asks to see (control FALSE) or to control the screen; needs an answer. */
gboolean    rh_notifier_control_requested (RhNotifier *self,
                                           const char *helper_name,
                                           gboolean    control);
/* Sharer: the helper asks for administrator access; needs an answer. */
gboolean    rh_notifier_elevation_requested (RhNotifier *self,
                                             const char *helper_name);
/* Either side: a chat message arrived while the window is not focused. */
gboolean    rh_notifier_chat_message      (RhNotifier *self,
                                           const char *title,
                                           const char *body);
/* Either side: the session ended; reason (may be NULL) says why, for example an RH- error. */
gboolean    rh_notifier_session_ended     (RhNotifier *self,
                                           const char *reason);
/* Withdraws every notification this notifier showed (for example when the window is focused). */
void        rh_notifier_withdraw_all      (RhNotifier *self);

G_END_DECLS
