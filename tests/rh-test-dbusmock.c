/* rh-test-dbusmock.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "rh-test-dbusmock.h"

#define IN_BUS_ENV "RH_TEST_IN_PRIVATE_BUS"

static GSubprocess *polkit_mock, *logind_mock;

void
rh_test_dbusmock_enter_private_bus (int    argc,
                                    char **argv)
{
  if (g_getenv (IN_BUS_ENV) == NULL &&
      !g_strv_contains ((const char * const *) argv, "--GTestSubprocess"))
    {
      g_autoptr(GPtrArray) args = g_ptr_array_new ();
      g_autofree char *runner = g_find_program_in_path ("dbus-run-session");

      if (runner == NULL)
        {
          g_printerr ("dbus-run-session is missing: install dbus-daemon (scripts/deps.sh)\n");
          exit (1);
        }
      g_ptr_array_add (args, runner);
      g_ptr_array_add (args, (char *) "--");
      for (int i = 0; i < argc; i++)
        g_ptr_array_add (args, argv[i]);
      g_ptr_array_add (args, NULL);
      g_setenv (IN_BUS_ENV, "1", TRUE);
      execv (runner, (char **) args->pdata);
      g_printerr ("Cannot run %s: %s\n", runner, g_strerror (errno));
      exit (1);
    }
  /* The private session bus plays the system bus. */
  g_assert_nonnull (g_getenv ("DBUS_SESSION_BUS_ADDRESS"));
  g_setenv ("DBUS_SYSTEM_BUS_ADDRESS", g_getenv ("DBUS_SESSION_BUS_ADDRESS"), TRUE);
  g_unsetenv ("XDG_SESSION_ID");
}

static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

GDBusConnection *
rh_test_dbusmock_bus (void)
{
  g_autoptr(GError) error = NULL;
  GDBusConnection *c = g_bus_get_sync (G_BUS_TYPE_SYSTEM, NULL, &error);

  g_assert_no_error (error);
  return c;
}

static gboolean
name_has_owner (const char *name)
{
  g_autoptr(GDBusConnection) c = rh_test_dbusmock_bus ();
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  gboolean owned = FALSE;

  reply = g_dbus_connection_call_sync (c, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "NameHasOwner",
                                       g_variant_new ("(s)", name), G_VARIANT_TYPE ("(b)"),
                                       G_DBUS_CALL_FLAGS_NONE, 5000, NULL, &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(b)", &owned);
  return owned;
}

static GSubprocess *
start_mock (const char *template,
            const char *name)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr(GError) error = NULL;
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  GSubprocess *mock;

  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  mock = g_subprocess_launcher_spawn (launcher, &error, "/usr/bin/python3", "-m", "dbusmock",
                                      "--template", template, NULL);
  g_assert_no_error (error);
  while (!name_has_owner (name))
    {
      if (g_subprocess_get_identifier (mock) == NULL)
        g_error ("dbusmock %s exited; is python3-dbusmock installed?", template);
      if (g_get_monotonic_time () > deadline)
        g_error ("dbusmock %s did not claim %s within 20 s", template, name);
      g_usleep (50 * 1000);
    }
  return mock;
}

static void
stop_mock (GSubprocess **mock)
{
  if (*mock == NULL)
    return;
  g_subprocess_send_signal (*mock, SIGTERM);
  g_subprocess_wait (*mock, NULL, NULL);
  g_clear_object (mock);
}

static void
mock_call (const char *name,
           const char *path,
           const char *method,
           GVariant   *args)
{
  g_autoptr(GDBusConnection) c = rh_test_dbusmock_bus ();
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  reply = g_dbus_connection_call_sync (c, name, path, RH_TEST_MOCK_IFACE, method, args, NULL,
                                       G_DBUS_CALL_FLAGS_NONE, 5000, NULL, &error);
  g_assert_no_error (error);
}

void
rh_test_dbusmock_start (gboolean with_polkit)
{
  /* polkitd's template has no RevokeTemporaryAuthorizations, so it is added. */
  if (with_polkit)
    {
      polkit_mock = start_mock ("polkitd", RH_TEST_POLKIT_NAME);
      mock_call (RH_TEST_POLKIT_NAME, RH_TEST_POLKIT_PATH, "AddMethod",
                 g_variant_new ("(sssss)", "org.freedesktop.PolicyKit1.Authority",
                                "RevokeTemporaryAuthorizations", "(sa{sv})", "", ""));
    }
  logind_mock = start_mock ("logind", RH_TEST_LOGIND_NAME);
  mock_call (RH_TEST_LOGIND_NAME, "/org/freedesktop/login1", "AddSession",
             g_variant_new ("(ssusb)", RH_TEST_SESSION_ID, "seat0", (guint32) getuid (),
                            "sharer", TRUE));
}

void
rh_test_dbusmock_stop (void)
{
  stop_mock (&polkit_mock);
  stop_mock (&logind_mock);
}

static void
on_method_called (GDBusConnection *connection,
                  const char      *sender,
                  const char      *path,
                  const char      *iface,
                  const char      *signal,
                  GVariant        *params,
                  gpointer         user_data)
{
  RhTestCallLog *log = user_data;
  const char *method;
  g_autoptr(GVariant) args = NULL;

  g_variant_get (params, "(&s@av)", &method, &args);
  g_ptr_array_add (log->calls, g_strdup_printf ("%s %s", path, method));
  if (g_str_equal (method, "RevokeTemporaryAuthorizations"))
    {
      g_autoptr(GVariant) v = g_variant_get_child_value (args, 0);

      g_clear_pointer (&log->revoke_subject, g_variant_unref);
      log->revoke_subject = g_variant_get_variant (v);
    }
}

RhTestCallLog *
rh_test_call_log_new (void)
{
  RhTestCallLog *log = g_new0 (RhTestCallLog, 1);

  log->bus = rh_test_dbusmock_bus ();
  log->calls = g_ptr_array_new_with_free_func (g_free);
  log->subscription = g_dbus_connection_signal_subscribe (log->bus, NULL, RH_TEST_MOCK_IFACE,
                                                          "MethodCalled", NULL, NULL,
                                                          G_DBUS_SIGNAL_FLAGS_NONE,
                                                          on_method_called, log, NULL);
  return log;
}

void
rh_test_call_log_free (RhTestCallLog *log)
{
  if (log == NULL)
    return;
  g_dbus_connection_signal_unsubscribe (log->bus, log->subscription);
  g_clear_object (&log->bus);
  g_ptr_array_unref (log->calls);
  g_clear_pointer (&log->revoke_subject, g_variant_unref);
  g_free (log);
}

guint
rh_test_call_log_index (RhTestCallLog *log,
                        const char    *call)
{
  for (guint i = 0; i < log->calls->len; i++)
    if (g_str_equal (g_ptr_array_index (log->calls, i), call))
      return i;
  return G_MAXUINT;
}

gboolean
rh_test_call_log_wait (RhTestCallLog *log,
                       const char    *call)
{
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  while (rh_test_call_log_index (log, call) == G_MAXUINT && g_get_monotonic_time () < deadline)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (10 * 1000);
    }
  return rh_test_call_log_index (log, call) != G_MAXUINT;
}
