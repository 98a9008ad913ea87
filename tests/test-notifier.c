/* test-notifier.c: desktop notifications through a mock notification server on a private bus
 *
 * The test re-executes itself inside dbus-run-session, so it never touches the session bus of
 * whoever runs it, then starts python3-dbusmock's notification_daemon template on that bus and
 * reads back the Notify calls it logged.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <gio/gio.h>

#include "rh-notifier.h"

#define IN_BUS_ENV "RH_TEST_NOTIFIER_IN_PRIVATE_BUS"
#define NOTIFICATIONS_NAME "org.freedesktop.Notifications"
#define NOTIFICATIONS_PATH "/org/freedesktop/Notifications"
#define MOCK_IFACE "org.freedesktop.DBus.Mock"

typedef struct
{
  char *summary;
  char *body;
  guint replaces_id;
  guint id;           /* what the mock answered: it counts up from 1 for new ones */
  gboolean has_default_action;
  char *desktop_entry;
} NotifyCall;

static GSubprocess *mock;

static void
notify_call_free (NotifyCall *call)
{
  g_free (call->summary);
  g_free (call->body);
  g_free (call->desktop_entry);
  g_free (call);
}

static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

static GDBusConnection *
session_bus (void)
{
  g_autoptr(GError) error = NULL;
  GDBusConnection *bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);

  g_assert_no_error (error);
  return bus;
}

static gboolean
name_has_owner (GDBusConnection *bus,
                const char      *name)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  gboolean owned = FALSE;

  reply = g_dbus_connection_call_sync (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "NameHasOwner",
                                       g_variant_new ("(s)", name), G_VARIANT_TYPE ("(b)"),
                                       G_DBUS_CALL_FLAGS_NONE, 5000, NULL, &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(b)", &owned);
  return owned;
}

/* Starts the mock and waits, bounded, until it owns its bus name. */
static void
start_mock (void)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr(GDBusConnection) bus = session_bus ();
  g_autoptr(GError) error = NULL;
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  g_assert_null (mock);
  g_assert_false (name_has_owner (bus, NOTIFICATIONS_NAME));
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  mock = g_subprocess_launcher_spawn (launcher, &error, "/usr/bin/python3", "-m", "dbusmock",
                                      "--template", "notification_daemon",
                                      "--parameters", "{\"capabilities\": \"body actions\"}",
                                      NULL);
  g_assert_no_error (error);
  while (!name_has_owner (bus, NOTIFICATIONS_NAME))
    {
      if (g_subprocess_get_identifier (mock) == NULL)
        g_error ("The dbusmock notification daemon exited; is python3-dbusmock installed?");
      if (g_get_monotonic_time () > deadline)
        g_error ("The dbusmock notification daemon did not claim %s within 20 s",
                 NOTIFICATIONS_NAME);
      g_usleep (50 * 1000);
    }
}

static void
stop_mock (void)
{
  if (mock == NULL)
    return;
  g_subprocess_send_signal (mock, SIGTERM);
  g_subprocess_wait (mock, NULL, NULL);
  g_clear_object (&mock);
}

/* The Notify calls the mock logged, in order, with the ids it answered. */
static GPtrArray *
notify_calls (void)
{
  g_autoptr(GDBusConnection) bus = session_bus ();
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariantIter) iter = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *calls = g_ptr_array_new_with_free_func ((GDestroyNotify) notify_call_free);
  const char *method;
  GVariant *args;
  guint64 timestamp;
  guint next_id = 1;

  reply = g_dbus_connection_call_sync (bus, NOTIFICATIONS_NAME, NOTIFICATIONS_PATH, MOCK_IFACE,
                                       "GetCalls", NULL, G_VARIANT_TYPE ("(a(tsav))"),
                                       G_DBUS_CALL_FLAGS_NONE, 5000, NULL, &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(a(tsav))", &iter);
  while (g_variant_iter_next (iter, "(t&s@av)", &timestamp, &method, &args))
    {
      g_autoptr(GVariant) owned_args = args;
      g_autoptr(GVariant) summary = NULL, body = NULL, replaces = NULL, actions = NULL;
      g_autoptr(GVariant) hints = NULL;
      g_autofree const char **action_list = NULL;
      NotifyCall *call;

      if (!g_str_equal (method, "Notify"))
        continue;
      g_assert_cmpuint (g_variant_n_children (args), ==, 8);
      replaces = g_variant_get_variant (g_variant_get_child_value (args, 1));
      summary = g_variant_get_variant (g_variant_get_child_value (args, 3));
      body = g_variant_get_variant (g_variant_get_child_value (args, 4));
      actions = g_variant_get_variant (g_variant_get_child_value (args, 5));
      hints = g_variant_get_variant (g_variant_get_child_value (args, 6));

      call = g_new0 (NotifyCall, 1);
      call->summary = g_variant_dup_string (summary, NULL);
      call->body = g_variant_dup_string (body, NULL);
      call->replaces_id = g_variant_get_uint32 (replaces);
      call->id = call->replaces_id != 0 ? call->replaces_id : next_id++;
      action_list = g_variant_get_strv (actions, NULL);
      /* Pairs of identifier and label. */
      for (guint i = 0; action_list[i] != NULL && action_list[i + 1] != NULL; i += 2)
        if (g_str_equal (action_list[i], "default"))
          call->has_default_action = TRUE;
      g_variant_lookup (hints, "desktop-entry", "s", &call->desktop_entry);
      g_ptr_array_add (calls, call);
    }
  return calls;
}

static const NotifyCall *
find_call (GPtrArray  *calls,
           const char *summary,
           guint       nth)
{
  for (guint i = 0; i < calls->len; i++)
    {
      const NotifyCall *call = g_ptr_array_index (calls, i);

      if (g_str_equal (call->summary, summary) && nth-- == 0)
        return call;
    }
  g_error ("No Notify call with summary “%s” was logged", summary);
  return NULL;
}

static void
emit_action_invoked (guint       id,
                     const char *action)
{
  g_autoptr(GDBusConnection) bus = session_bus ();
  g_autoptr(GError) error = NULL;
  GVariant *args[] = { g_variant_new_uint32 (id), g_variant_new_string (action) };

  g_dbus_connection_call_sync (bus, NOTIFICATIONS_NAME, NOTIFICATIONS_PATH, MOCK_IFACE,
                               "EmitSignal",
                               g_variant_new ("(sss@av)", NOTIFICATIONS_NAME, "ActionInvoked",
                                              "us", g_variant_new_array (G_VARIANT_TYPE_VARIANT,
                                              (GVariant *[]) { g_variant_new_variant (args[0]),
                                                               g_variant_new_variant (args[1]) },
                                              2)),
                               NULL, G_DBUS_CALL_FLAGS_NONE, 5000, NULL, &error);
  g_assert_no_error (error);
}

typedef struct
{
  int            count;
  RhNotification kind;
} Activations;

static void
on_activate (RhNotification kind,
             gpointer       user_data)
{
  Activations *a = user_data;

  a->count++;
  a->kind = kind;
}

static gboolean
wait_activations (Activations *a,
                  int          count)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (a->count < count && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE), g_usleep (10 * 1000);
  return a->count >= count;
}

/* No notification server on the bus: every call returns FALSE, logged, nothing else. */
static void
test_no_server (void)
{
  g_autoptr(RhNotifier) notifier = rh_notifier_new ("Remote Help test");
  g_autoptr(GDBusConnection) bus = session_bus ();

  g_assert_false (name_has_owner (bus, NOTIFICATIONS_NAME));
  g_assert_false (rh_notifier_sharer_joined (notifier, "Sam Sharer"));
  g_assert_false (rh_notifier_control_requested (notifier, "Helen Helper", TRUE));
  g_assert_false (rh_notifier_chat_message (notifier, "Helen Helper", "Hello"));
  g_assert_false (rh_notifier_session_ended (notifier, NULL));
  rh_notifier_withdraw_all (notifier);
}

/* No session bus at all (a fresh process, so libnotify has no cached connection). */
static void
test_no_bus (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(RhNotifier) notifier = NULL;

      g_setenv ("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus", TRUE);
      g_unsetenv ("DISPLAY");
      notifier = rh_notifier_new ("Remote Help test");
      g_assert_false (rh_notifier_sharer_joined (notifier, "Sam Sharer"));
      g_assert_false (rh_notifier_session_ended (notifier, "The helper left."));
      return;
    }
  g_test_trap_subprocess (NULL, 30 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

static void
test_notify (void)
{
  g_autoptr(RhNotifier) notifier = rh_notifier_new ("Remote Help test");
  g_autoptr(GPtrArray) calls = NULL;
  const NotifyCall *call, *chat;
  Activations activations = { 0 };

  start_mock ();
  rh_notifier_set_activate_func (notifier, on_activate, &activations, NULL);

  g_assert_true (rh_notifier_sharer_joined (notifier, "Sam Sharer"));
  g_assert_true (rh_notifier_control_requested (notifier, "Helen Helper", TRUE));
  g_assert_true (rh_notifier_chat_message (notifier, "Helen Helper", "Can you open Settings?"));
  g_assert_true (rh_notifier_session_ended (notifier, "Helen Helper ended the session."));
  /* A second chat message updates the first notification instead of stacking up. */
  g_assert_true (rh_notifier_chat_message (notifier, "Helen Helper", "Thanks, all done."));
  g_assert_true (rh_notifier_elevation_requested (notifier, "Helen Helper"));

  calls = notify_calls ();
  g_assert_cmpuint (calls->len, ==, 6);
  for (guint i = 0; i < calls->len; i++)
    {
      call = g_ptr_array_index (calls, i);
      g_assert_true (call->has_default_action);
      g_assert_cmpstr (call->desktop_entry, ==, "org.remotehelp.RemoteHelp");
    }

  call = find_call (calls, "Connected", 0);
  g_assert_nonnull (strstr (call->body, "Sam Sharer typed the security code"));
  call = find_call (calls, "Request for control", 0);
  g_assert_cmpstr (call->body, ==,
                   "Helen Helper asks to control your screen. Open Remote Help to answer.");
  call = find_call (calls, "Request for administrator access", 0);
  g_assert_cmpstr (call->body, ==, "Helen Helper asks for administrator access to this computer. "
                                   "Open Remote Help to answer.");
  chat = find_call (calls, "Helen Helper", 0);
  g_assert_cmpstr (chat->body, ==, "Can you open Settings?");
  g_assert_cmpuint (chat->replaces_id, ==, 0);
  call = find_call (calls, "Helen Helper", 1);
  g_assert_cmpstr (call->body, ==, "Thanks, all done.");
  g_assert_cmpuint (call->replaces_id, ==, chat->id);
  call = find_call (calls, "Session ended", 0);
  g_assert_cmpstr (call->body, ==, "Helen Helper ended the session.");

  /* A click on the chat notification: the app is asked to present its window. */
  emit_action_invoked (chat->id, "default");
  g_assert_true (wait_activations (&activations, 1));
  g_assert_cmpint (activations.kind, ==, RH_NOTIFICATION_CHAT_MESSAGE);
  call = find_call (calls, "Request for control", 0);
  emit_action_invoked (call->id, "default");
  g_assert_true (wait_activations (&activations, 2));
  g_assert_cmpint (activations.kind, ==, RH_NOTIFICATION_CONTROL_REQUESTED);

  /* Without a reason, the session-ended notification still says something. */
  g_assert_true (rh_notifier_session_ended (notifier, NULL));
  g_clear_pointer (&calls, g_ptr_array_unref);
  calls = notify_calls ();
  call = find_call (calls, "Session ended", 1);
  g_assert_cmpstr (call->body, ==, "The remote help session ended.");

  rh_notifier_set_activate_func (notifier, NULL, NULL, NULL);
  rh_notifier_withdraw_all (notifier);
  stop_mock ();
}

int
main (int   argc,
      char *argv[])
{
  int status;

  /* Everything runs on a private session bus that ends with the test. */
  if (g_getenv (IN_BUS_ENV) == NULL && !g_strv_contains ((const char *const *) argv,
                                                        "--GTestSubprocess"))
    {
      g_autoptr(GPtrArray) args = g_ptr_array_new ();
      g_autofree char *runner = g_find_program_in_path ("dbus-run-session");

      if (runner == NULL)
        {
          g_printerr ("dbus-run-session is missing: install dbus-daemon (scripts/deps.sh)\n");
          return 1;
        }
      g_ptr_array_add (args, runner);
      g_ptr_array_add (args, (char *) "--");
      for (int i = 0; i < argc; i++)
        g_ptr_array_add (args, argv[i]);
      g_ptr_array_add (args, NULL);
      g_setenv (IN_BUS_ENV, "1", TRUE);
      g_unsetenv ("DISPLAY");
      execv (runner, (char **) args->pdata);
      g_printerr ("Cannot run %s: %s\n", runner, g_strerror (errno));
      return 1;
    }

  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  /* The order matters: no server first, then the mock. */
  g_test_add_func ("/notifier/no-server", test_no_server);
  g_test_add_func ("/notifier/no-bus", test_no_bus);
  g_test_add_func ("/notifier/notify", test_notify);
  status = g_test_run ();
  stop_mock ();
  return status;
}
