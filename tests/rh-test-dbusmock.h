/* rh-test-dbusmock.h: mock polkit and logind (python3-dbusmock) on a private bus for tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define RH_TEST_MOCK_IFACE "org.freedesktop.DBus.Mock"
#define RH_TEST_POLKIT_NAME "org.freedesktop.PolicyKit1"
#define RH_TEST_POLKIT_PATH "/org/freedesktop/PolicyKit1/Authority"
#define RH_TEST_LOGIND_NAME "org.freedesktop.login1"
#define RH_TEST_SESSION_ID "c7"
#define RH_TEST_SESSION_PATH "/org/freedesktop/login1/session/" RH_TEST_SESSION_ID

/* Call first in main(): re-executes the test inside dbus-run-session (unless already there)
 * and points DBUS_SYSTEM_BUS_ADDRESS at that private bus, so nothing reaches the real system
 * bus. Returns only inside the private bus. */
void       rh_test_dbusmock_enter_private_bus (int    argc,
                                               char **argv);
/* The "system" bus (the private one). */
GDBusConnection *rh_test_dbusmock_bus         (void);
/* Fresh mocks: polkitd (with RevokeTemporaryAuthorizations added) when asked, and logind with
 * the sharer's session RH_TEST_SESSION_ID of the current user. */
void       rh_test_dbusmock_start             (gboolean with_polkit);
void       rh_test_dbusmock_stop              (void);

/* Every method the mocks were called with ("PATH METHOD"), in order, from the MethodCalled
 * signals dbusmock emits before it answers. */
typedef struct
{
  GPtrArray *calls;
  GVariant  *revoke_subject;   /* the subject of the last RevokeTemporaryAuthorizations */
  guint      subscription;
  GDBusConnection *bus;        /* kept: the signals arrive only while it is open */
} RhTestCallLog;

RhTestCallLog *rh_test_call_log_new   (void);
void           rh_test_call_log_free  (RhTestCallLog *log);
/* The call's index, or G_MAXUINT. */
guint          rh_test_call_log_index (RhTestCallLog *log,
                                       const char    *call);
/* Spins the default main context until the call was logged or 5 s passed. */
gboolean       rh_test_call_log_wait  (RhTestCallLog *log,
                                       const char    *call);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RhTestCallLog, rh_test_call_log_free)

G_END_DECLS
