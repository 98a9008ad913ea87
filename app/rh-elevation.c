/* rh-elevation.c: the sharer's side of administrator access (issue #6)
 *
 * Tools run as `pkexec remote-help-elevated --grace-ms=N -- PROGRAM ARGS`: pkexec shows the
 * system's authentication prompt on the sharer's screen, and the launcher (root once
 * authorised) keeps the tool in a process group that it ends when its stdin closes. We cannot
 * signal a root process ourselves, so the pipe is how the unprivileged app ends what it
 * started; it also ends the tools if the app dies. Ending the elevation then revokes polkit's
 * temporary authorisations, clears the sharer's sudo timestamps and signs out or locks the
 * session through logind, so nothing elevated outlives the help session.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "rh-app"

#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "rh-elevation.h"
#include "rh-error.h"

#ifndef RH_LIBEXECDIR
#define RH_LIBEXECDIR "/usr/libexec"
#endif

#define MAX_TOOLS 32
#define MAX_ENTRY 1024
#define DBUS_TIMEOUT_MS 10000

typedef struct
{
  GPid pid;
  int  stdin_fd;   /* closing it tells the launcher to end the tool */
  char *name;
} RunningTool;

struct _RhElevation
{
  char           **launcher;
  char           **sudo_argv;
  GDBusConnection *bus;
  char            *session_id;
  guint            grace_ms;
  gboolean         granted;
  gboolean         used;
  gboolean         ending;
  GArray          *running;   /* RunningTool */
};

static void
running_tool_clear (RunningTool *tool)
{
  if (tool->stdin_fd >= 0)
    close (tool->stdin_fd);
  tool->stdin_fd = -1;
  g_clear_pointer (&tool->name, g_free);
}

void
rh_elevated_tool_free (RhElevatedTool *tool)
{
  if (tool == NULL)
    return;
  g_free (tool->name);
  g_strfreev (tool->argv);
  g_free (tool);
}

static gboolean
has_control_chars (const char *s)
{
  for (; *s; s++)
    if ((guchar) *s < 0x20 || *s == 0x7f)
      return TRUE;
  return FALSE;
}

static gboolean
find_name (GPtrArray  *tools,
           const char *name)
{
  for (guint i = 0; i < tools->len; i++)
    if (g_utf8_collate (((RhElevatedTool *) g_ptr_array_index (tools, i))->name, name) == 0)
      return TRUE;
  return FALSE;
}

GPtrArray *
rh_elevated_tools_parse (const char  *value,
                         GError     **error)
{
  g_autoptr(GPtrArray) tools = g_ptr_array_new_with_free_func ((GDestroyNotify) rh_elevated_tool_free);
  g_auto(GStrv) entries = NULL;

  if (value == NULL)
    return g_steal_pointer (&tools);
  if (!g_utf8_validate (value, -1, NULL) || has_control_chars (value))
    {
      g_set_error (error, RH_CONFIG_ERROR, RH_ERROR_ELEVATED_TOOLS_INVALID,
                   _("elevated-tools is not printable UTF-8 text"));
      return NULL;
    }

  entries = g_strsplit (value, ";", -1);
  for (guint i = 0; entries[i] != NULL; i++)
    {
      g_autoptr(RhElevatedTool) tool = NULL;
      g_autoptr(GError) shell_error = NULL;
      char *entry = g_strstrip (entries[i]);
      char *eq;

      if (*entry == '\0')
        continue;   /* "a;b;" and blank entries are harmless */
      if (strlen (entry) > MAX_ENTRY)
        {
          g_set_error (error, RH_CONFIG_ERROR, RH_ERROR_ELEVATED_TOOLS_INVALID,
                       _("elevated-tools entry %u is longer than %d characters"), i + 1, MAX_ENTRY);
          return NULL;
        }
      eq = strchr (entry, '=');
      if (eq == NULL)
        {
          g_set_error (error, RH_CONFIG_ERROR, RH_ERROR_ELEVATED_TOOLS_INVALID,
                       _("elevated-tools entry %u has no “Name=command”"), i + 1);
          return NULL;
        }
      *eq = '\0';
      tool = g_new0 (RhElevatedTool, 1);
      tool->name = g_strdup (g_strstrip (entry));
      if (*tool->name == '\0' || g_utf8_strlen (tool->name, -1) > 64)
        {
          g_set_error (error, RH_CONFIG_ERROR, RH_ERROR_ELEVATED_TOOLS_INVALID,
                       _("elevated-tools entry %u has an empty or too long name"), i + 1);
          return NULL;
        }
      /* Quoting is honoured, but the words go to execve as they are: "|", ">" or "$(…)" in
       * an argument reach the program literally, never a shell. */
      if (!g_shell_parse_argv (eq + 1, NULL, &tool->argv, &shell_error))
        {
          g_set_error (error, RH_CONFIG_ERROR, RH_ERROR_ELEVATED_TOOLS_INVALID,
                       _("elevated-tools entry “%s”: %s"), tool->name, shell_error->message);
          return NULL;
        }
      if (!g_path_is_absolute (tool->argv[0]) || strstr (tool->argv[0], "/../") != NULL ||
          g_str_has_suffix (tool->argv[0], "/..") || g_str_has_suffix (tool->argv[0], "/"))
        {
          g_set_error (error, RH_CONFIG_ERROR, RH_ERROR_ELEVATED_TOOLS_INVALID,
                       _("elevated-tools entry “%s”: the program must be an absolute path"),
                       tool->name);
          return NULL;
        }
      if (find_name (tools, tool->name))
        {
          g_set_error (error, RH_CONFIG_ERROR, RH_ERROR_ELEVATED_TOOLS_INVALID,
                       _("elevated-tools names “%s” twice"), tool->name);
          return NULL;
        }
      if (tools->len >= MAX_TOOLS)
        {
          g_set_error (error, RH_CONFIG_ERROR, RH_ERROR_ELEVATED_TOOLS_INVALID,
                       _("elevated-tools has more than %d entries"), MAX_TOOLS);
          return NULL;
        }
      g_ptr_array_add (tools, g_steal_pointer (&tool));
    }
  return g_steal_pointer (&tools);
}

GPtrArray *
rh_elevated_tools_menu (GPtrArray *configured)
{
  static const char *terminals[] = { "x-terminal-emulator", "gnome-terminal", "xterm" };
  GPtrArray *menu = g_ptr_array_new_with_free_func ((GDestroyNotify) rh_elevated_tool_free);
  const char *terminal_name = _("Terminal");

  for (guint i = 0; i < G_N_ELEMENTS (terminals); i++)
    {
      char *path = g_find_program_in_path (terminals[i]);

      if (path != NULL)
        {
          RhElevatedTool *tool = g_new0 (RhElevatedTool, 1);

          tool->name = g_strdup (terminal_name);
          tool->argv = g_new0 (char *, 2);
          tool->argv[0] = path;
          g_ptr_array_add (menu, tool);
          break;
        }
    }
  for (guint i = 0; configured != NULL && i < configured->len; i++)
    {
      const RhElevatedTool *src = g_ptr_array_index (configured, i);
      RhElevatedTool *tool;

      if (find_name (menu, src->name))
        {
          g_warning ("elevated-tools: “%s” is the built-in terminal's name; entry ignored",
                     src->name);
          continue;
        }
      tool = g_new0 (RhElevatedTool, 1);
      tool->name = g_strdup (src->name);
      tool->argv = g_strdupv (src->argv);
      g_ptr_array_add (menu, tool);
    }
  return menu;
}

gboolean
rh_elevated_end_parse (const char     *value,
                       RhElevatedEnd  *end,
                       GError        **error)
{
  g_return_val_if_fail (end != NULL, FALSE);

  if (value == NULL || *value == '\0' || g_str_equal (value, "sign-out"))
    *end = RH_ELEVATED_END_SIGN_OUT;
  else if (g_str_equal (value, "lock"))
    *end = RH_ELEVATED_END_LOCK;
  else
    {
      g_set_error (error, RH_CONFIG_ERROR, RH_ERROR_ELEVATED_END_INVALID,
                   _("elevated-session-end must be sign-out or lock"));
      return FALSE;
    }
  return TRUE;
}

const char *
rh_elevated_end_to_string (RhElevatedEnd end)
{
  return end == RH_ELEVATED_END_LOCK ? "lock" : "sign-out";
}

static void
step_free (RhElevationStep *step)
{
  g_free (step->name);
  g_free (step->detail);
  g_free (step);
}

void
rh_elevation_result_free (RhElevationResult *result)
{
  if (result == NULL)
    return;
  g_ptr_array_unref (result->steps);
  g_free (result);
}

GError *
rh_elevation_result_to_error (const RhElevationResult *result)
{
  g_autoptr(GString) failed = g_string_new (NULL);

  g_return_val_if_fail (result != NULL, NULL);
  if (result->ok)
    return NULL;
  for (guint i = 0; i < result->steps->len; i++)
    {
      const RhElevationStep *step = g_ptr_array_index (result->steps, i);

      if (!step->ok)
        g_string_append_printf (failed, "%s%s: %s", failed->len ? "; " : "", step->name,
                                step->detail);
    }
  return g_error_new (RH_CONFIG_ERROR, RH_ERROR_ELEVATION_CLEANUP, "%s", failed->str);
}

RhElevation *
rh_elevation_new (void)
{
  RhElevation *self = g_new0 (RhElevation, 1);
  const char *launcher[] = { "pkexec", RH_LIBEXECDIR "/remote-help-elevated", NULL };
  const char *sudo[] = { "sudo", "-K", NULL };

  self->launcher = g_strdupv ((char **) launcher);
  self->sudo_argv = g_strdupv ((char **) sudo);
  self->session_id = g_strdup (g_getenv ("XDG_SESSION_ID"));
  self->grace_ms = 3000;
  self->running = g_array_new (FALSE, TRUE, sizeof (RunningTool));
  g_array_set_clear_func (self->running, (GDestroyNotify) running_tool_clear);
  return self;
}

void
rh_elevation_free (RhElevation *self)
{
  if (self == NULL)
    return;
  /* Closing the pipes ends the tools even when nobody called end. */
  g_array_unref (self->running);
  g_strfreev (self->launcher);
  g_strfreev (self->sudo_argv);
  g_clear_object (&self->bus);
  g_free (self->session_id);
  g_free (self);
}

void
rh_elevation_set_launcher (RhElevation        *self,
                           const char * const *prefix)
{
  g_return_if_fail (prefix != NULL && prefix[0] != NULL);
  g_strfreev (self->launcher);
  self->launcher = g_strdupv ((char **) prefix);
}

void
rh_elevation_set_sudo_argv (RhElevation        *self,
                            const char * const *argv)
{
  g_return_if_fail (argv != NULL && argv[0] != NULL);
  g_strfreev (self->sudo_argv);
  self->sudo_argv = g_strdupv ((char **) argv);
}

void
rh_elevation_set_system_bus (RhElevation     *self,
                             GDBusConnection *bus)
{
  g_set_object (&self->bus, bus);
}

void
rh_elevation_set_session_id (RhElevation *self,
                             const char  *session_id)
{
  g_free (self->session_id);
  self->session_id = g_strdup (session_id);
}

void
rh_elevation_set_grace_ms (RhElevation *self,
                           guint        grace_ms)
{
  self->grace_ms = MIN (grace_ms, 60000);
}

void
rh_elevation_grant (RhElevation *self)
{
  g_return_if_fail (self != NULL);
  if (self->ending)
    return;
  self->granted = TRUE;
  /* With full control and administrator access the helper can type credentials into any
   * system prompt, not only start tools from the menu: a granted session counts as used. */
  self->used = TRUE;
}

gboolean
rh_elevation_is_granted (RhElevation *self)
{
  return self->granted;
}

gboolean
rh_elevation_was_used (RhElevation *self)
{
  return self->used;
}

static gboolean
reaped (GPid  pid,
        int  *status)
{
  int ignored;
  pid_t r = waitpid (pid, status != NULL ? status : &ignored, WNOHANG);

  return r == pid || (r < 0 && errno == ECHILD);
}

guint
rh_elevation_n_running (RhElevation *self)
{
  for (guint i = self->running->len; i > 0; i--)
    if (reaped (g_array_index (self->running, RunningTool, i - 1).pid, NULL))
      g_array_remove_index (self->running, i - 1);
  return self->running->len;
}

static void
child_setup (gpointer user_data)
{
  /* Its own group, so that the whole tree can be signalled when it is ours to signal. */
  setpgid (0, 0);
}

GPid
rh_elevation_start_tool (RhElevation           *self,
                         const RhElevatedTool  *tool,
                         GError               **error)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *program = NULL;
  RunningTool running = { .stdin_fd = -1 };
  GError *spawn_error = NULL;

  g_return_val_if_fail (self != NULL, 0);
  g_return_val_if_fail (tool != NULL && tool->argv != NULL && tool->argv[0] != NULL, 0);

  if (!self->granted || self->ending)
    {
      g_set_error (error, RH_CONFIG_ERROR, RH_ERROR_ELEVATION_NOT_GRANTED,
                   _("The sharer has not allowed administrator access"));
      return 0;
    }
  if (!g_path_is_absolute (tool->argv[0]) ||
      !g_file_test (tool->argv[0], G_FILE_TEST_IS_EXECUTABLE) ||
      g_file_test (tool->argv[0], G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, RH_CONFIG_ERROR, RH_ERROR_ELEVATED_TOOL_START,
                   _("“%s” is not an installed program"), tool->argv[0]);
      return 0;
    }
  program = g_find_program_in_path (self->launcher[0]);
  if (program == NULL)
    {
      g_set_error (error, RH_CONFIG_ERROR, RH_ERROR_ELEVATED_TOOL_START,
                   _("%s is not installed"), self->launcher[0]);
      return 0;
    }

  g_ptr_array_add (argv, g_steal_pointer (&program));
  for (guint i = 1; self->launcher[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (self->launcher[i]));
  g_ptr_array_add (argv, g_strdup_printf ("--grace-ms=%u", self->grace_ms));
  g_ptr_array_add (argv, g_strdup ("--"));
  for (guint i = 0; tool->argv[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (tool->argv[i]));
  g_ptr_array_add (argv, NULL);

  /* Not reaped by a child watch: rh_elevation_n_running and the end reap it, so that the end
   * can wait for it with a deadline from its worker thread. */
  if (!g_spawn_async_with_pipes (NULL, (char **) argv->pdata, NULL,
                                 G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_CLOEXEC_PIPES,
                                 child_setup, NULL, &running.pid, &running.stdin_fd, NULL, NULL,
                                 &spawn_error))
    {
      g_set_error (error, RH_CONFIG_ERROR, RH_ERROR_ELEVATED_TOOL_START,
                   _("Could not start “%s”: %s"), tool->name, spawn_error->message);
      g_error_free (spawn_error);
      return 0;
    }
  running.name = g_strdup (tool->name);
  g_array_append_val (self->running, running);
  self->used = TRUE;
  g_message ("Elevated tool “%s” started (%s, launcher PID %d)", tool->name, tool->argv[0],
             running.pid);
  return running.pid;
}

/* What the worker thread needs: a snapshot, so that the object is never touched off the main
 * thread. */
typedef struct
{
  GArray          *running;
  char           **sudo_argv;
  GDBusConnection *bus;
  char            *session_id;
  guint            grace_ms;
  RhElevatedEnd    end;
  gboolean         used;
  gboolean         clean_up;      /* tools, polkit, sudo */
  gboolean         close_session; /* logind Terminate or Lock */
} EndData;

static void
end_data_free (EndData *data)
{
  g_array_unref (data->running);
  g_strfreev (data->sudo_argv);
  g_clear_object (&data->bus);
  g_free (data->session_id);
  g_free (data);
}

static void
add_step (RhElevationResult *result,
          const char        *name,
          gboolean           ok,
          gboolean           skipped,
          const char        *format,
          ...) G_GNUC_PRINTF (5, 6);

static void
add_step (RhElevationResult *result,
          const char        *name,
          gboolean           ok,
          gboolean           skipped,
          const char        *format,
          ...)
{
  RhElevationStep *step = g_new0 (RhElevationStep, 1);
  va_list args;

  step->name = g_strdup (name);
  step->ok = ok;
  step->skipped = skipped;
  va_start (args, format);
  step->detail = g_strdup_vprintf (format, args);
  va_end (args);
  if (!ok)
    result->ok = FALSE;
  if (ok)
    g_message ("Elevation end, %s: %s", name, step->detail);
  else
    g_warning ("Elevation end, %s failed: %s", name, step->detail);
  g_ptr_array_add (result->steps, step);
}

/* Reaps the launchers until all are gone or the deadline passes; counts those that reported
 * (exit status 128 + SIGKILL) that their tool needed SIGKILL. */
static gboolean
wait_all (GArray *running,
          gint64  deadline,
          guint  *killed)
{
  for (;;)
    {
      gboolean all = TRUE;

      for (guint i = 0; i < running->len; i++)
        {
          RunningTool *tool = &g_array_index (running, RunningTool, i);
          int status = 0;

          if (tool->pid != 0 && reaped (tool->pid, &status))
            {
              tool->pid = 0;
              if (WIFEXITED (status) && WEXITSTATUS (status) == 128 + SIGKILL)
                (*killed)++;
            }
          all = all && tool->pid == 0;
        }
      if (all || g_get_monotonic_time () > deadline)
        return all;
      g_usleep (20 * 1000);
    }
}

static void
end_tools (EndData           *data,
           RhElevationResult *result)
{
  GArray *running = data->running;
  guint signalled = 0, refused = 0;

  result->tools_started = running->len;
  if (running->len == 0)
    {
      add_step (result, "terminate-tools", TRUE, TRUE, "no elevated tools were running");
      return;
    }
  /* The launcher sends SIGTERM to its tool's group, waits grace_ms, then SIGKILL. */
  for (guint i = 0; i < running->len; i++)
    {
      RunningTool *tool = &g_array_index (running, RunningTool, i);

      close (tool->stdin_fd);
      tool->stdin_fd = -1;
    }
  if (wait_all (running, g_get_monotonic_time () + (data->grace_ms + 2000) * G_TIME_SPAN_MILLISECOND,
                &result->tools_killed))
    {
      add_step (result, "terminate-tools", TRUE, FALSE,
                "%u elevated tool(s) ended, %u of them with SIGKILL", running->len,
                result->tools_killed);
      return;
    }
  /* A launcher that did not go: signal its group directly. This works when it runs as the
   * sharer; a root one refuses (EPERM), and the sign-out below is what ends it then. */
  for (guint i = 0; i < running->len; i++)
    {
      RunningTool *tool = &g_array_index (running, RunningTool, i);

      if (tool->pid == 0)
        continue;
      if (kill (-tool->pid, SIGKILL) == 0 || kill (tool->pid, SIGKILL) == 0)
        signalled++;
      else
        refused++;
    }
  result->tools_killed += signalled;
  if (wait_all (running, g_get_monotonic_time () + 2 * G_USEC_PER_SEC, &result->tools_killed))
    add_step (result, "terminate-tools", TRUE, FALSE,
              "%u elevated tool(s) ended, %u of them with SIGKILL", running->len,
              result->tools_killed);
  else
    add_step (result, "terminate-tools", FALSE, FALSE,
              "%u elevated tool(s) still running (%u refused a signal)", running->len, refused);
}

static char *
logind_session_path (EndData  *data,
                     GError  **error)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) id = NULL;
  char *path = NULL;

  /* "auto" is logind's name for the caller's own session. */
  reply = g_dbus_connection_call_sync (data->bus, "org.freedesktop.login1",
                                       "/org/freedesktop/login1",
                                       "org.freedesktop.login1.Manager", "GetSession",
                                       g_variant_new ("(s)", data->session_id != NULL &&
                                                      *data->session_id != '\0'
                                                      ? data->session_id : "auto"),
                                       G_VARIANT_TYPE ("(o)"), G_DBUS_CALL_FLAGS_NONE,
                                       DBUS_TIMEOUT_MS, NULL, error);
  if (reply == NULL)
    return NULL;
  g_variant_get (reply, "(o)", &path);
  g_clear_pointer (&reply, g_variant_unref);

  /* polkit's unix-session subject needs the real id, not "auto". */
  reply = g_dbus_connection_call_sync (data->bus, "org.freedesktop.login1", path,
                                       "org.freedesktop.DBus.Properties", "Get",
                                       g_variant_new ("(ss)", "org.freedesktop.login1.Session",
                                                      "Id"),
                                       G_VARIANT_TYPE ("(v)"), G_DBUS_CALL_FLAGS_NONE,
                                       DBUS_TIMEOUT_MS, NULL, error);
  if (reply == NULL)
    {
      g_free (path);
      return NULL;
    }
  g_variant_get (reply, "(v)", &id);
  if (!g_variant_is_of_type (id, G_VARIANT_TYPE_STRING))
    {
      g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_SIGNATURE,
                   "logind session Id is not a string");
      g_free (path);
      return NULL;
    }
  g_free (data->session_id);
  data->session_id = g_variant_dup_string (id, NULL);
  return path;
}

static void
revoke_polkit (EndData           *data,
               const char        *session_path,
               const GError      *session_error,
               RhElevationResult *result)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;
  GVariantBuilder details;

  if (session_path == NULL)
    {
      add_step (result, "revoke-polkit", FALSE, FALSE, "the session is unknown: %s",
                session_error->message);
      return;
    }
  g_variant_builder_init (&details, G_VARIANT_TYPE ("a{sv}"));
  g_variant_builder_add (&details, "{sv}", "session-id",
                         g_variant_new_string (data->session_id));
  reply = g_dbus_connection_call_sync (data->bus, "org.freedesktop.PolicyKit1",
                                       "/org/freedesktop/PolicyKit1/Authority",
                                       "org.freedesktop.PolicyKit1.Authority",
                                       "RevokeTemporaryAuthorizations",
                                       g_variant_new ("((sa{sv}))", "unix-session", &details),
                                       NULL, G_DBUS_CALL_FLAGS_NONE, DBUS_TIMEOUT_MS, NULL,
                                       &error);
  if (reply == NULL)
    add_step (result, "revoke-polkit", FALSE, FALSE, "%s", error->message);
  else
    add_step (result, "revoke-polkit", TRUE, FALSE,
              "temporary authorisations of session %s revoked", data->session_id);
}

static void
invalidate_sudo (EndData           *data,
                 RhElevationResult *result)
{
  g_autofree char *program = g_find_program_in_path (data->sudo_argv[0]);
  g_autoptr(GError) error = NULL;
  g_autofree char *err_text = NULL;
  char **argv;
  int status = 0;

  if (program == NULL)
    {
      add_step (result, "invalidate-sudo", TRUE, TRUE, "sudo is not installed");
      return;
    }
  argv = g_strdupv (data->sudo_argv);
  g_free (argv[0]);
  argv[0] = g_steal_pointer (&program);
  /* stdin is /dev/null: -K never asks for a password, and must not wait for one. */
  if (!g_spawn_sync (NULL, argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, &err_text,
                     &status, &error) ||
      !g_spawn_check_wait_status (status, &error))
    add_step (result, "invalidate-sudo", FALSE, FALSE, "%s", error->message);
  else
    add_step (result, "invalidate-sudo", TRUE, FALSE, "sudo timestamps invalidated");
  g_strfreev (argv);
}

static void
end_session (EndData           *data,
             const char        *session_path,
             const GError      *session_error,
             RhElevationResult *result)
{
  const char *step = rh_elevated_end_to_string (data->end);
  const char *method = data->end == RH_ELEVATED_END_LOCK ? "Lock" : "Terminate";
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  if (session_path == NULL)
    {
      add_step (result, step, FALSE, FALSE, "the session is unknown: %s", session_error->message);
      return;
    }
  reply = g_dbus_connection_call_sync (data->bus, "org.freedesktop.login1", session_path,
                                       "org.freedesktop.login1.Session", method, NULL, NULL,
                                       G_DBUS_CALL_FLAGS_NONE, DBUS_TIMEOUT_MS, NULL, &error);
  if (reply == NULL)
    add_step (result, step, FALSE, FALSE, "%s", error->message);
  else
    add_step (result, step, TRUE, FALSE, "logind %s of session %s requested", method,
              data->session_id);
}

static void
end_thread (GTask        *task,
            gpointer      source_object,
            gpointer      task_data,
            GCancellable *cancellable)
{
  EndData *data = task_data;
  g_autoptr(RhElevationResult) result = g_new0 (RhElevationResult, 1);
  g_autoptr(GError) error = NULL;
  g_autofree char *session_path = NULL;

  result->steps = g_ptr_array_new_with_free_func ((GDestroyNotify) step_free);
  result->end = data->end;
  result->ok = TRUE;

  if (data->clean_up)
    end_tools (data, result);
  if (data->bus == NULL)
    data->bus = g_bus_get_sync (G_BUS_TYPE_SYSTEM, NULL, &error);
  if (data->bus != NULL)
    session_path = logind_session_path (data, &error);
  if (data->clean_up)
    {
      revoke_polkit (data, session_path, error, result);
      invalidate_sudo (data, result);
    }
  if (data->close_session)
    {
      if (data->used)
        end_session (data, session_path, error, result);
      else
        add_step (result, rh_elevated_end_to_string (data->end), TRUE, TRUE,
                  "administrator access was never granted; the session stays open");
    }

  if (g_task_return_error_if_cancelled (task))
    return;
  g_task_return_pointer (task, g_steal_pointer (&result),
                         (GDestroyNotify) rh_elevation_result_free);
}

static void
start_end (RhElevation         *self,
           RhElevatedEnd        end,
           gboolean             clean_up,
           gboolean             close_session,
           GCancellable        *cancellable,
           GAsyncReadyCallback  callback,
           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  EndData *data;

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, rh_elevation_end_async);

  /* From here nothing new can be started, even while the end runs. */
  self->granted = FALSE;
  self->ending = TRUE;
  data = g_new0 (EndData, 1);
  if (clean_up)
    {
      data->running = g_steal_pointer (&self->running);
      self->running = g_array_new (FALSE, TRUE, sizeof (RunningTool));
      g_array_set_clear_func (self->running, (GDestroyNotify) running_tool_clear);
    }
  else
    {
      data->running = g_array_new (FALSE, TRUE, sizeof (RunningTool));
      g_array_set_clear_func (data->running, (GDestroyNotify) running_tool_clear);
    }
  data->sudo_argv = g_strdupv (self->sudo_argv);
  data->bus = self->bus != NULL ? g_object_ref (self->bus) : NULL;
  data->session_id = g_strdup (self->session_id);
  data->grace_ms = self->grace_ms;
  data->end = end;
  data->used = self->used;
  data->clean_up = clean_up;
  data->close_session = close_session;
  g_task_set_task_data (task, data, (GDestroyNotify) end_data_free);
  g_task_run_in_thread (task, end_thread);
}

void
rh_elevation_end_async (RhElevation         *self,
                        RhElevatedEnd        end,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_return_if_fail (self != NULL);
  start_end (self, end, TRUE, TRUE, cancellable, callback, user_data);
}

void
rh_elevation_clean_up_async (RhElevation         *self,
                             RhElevatedEnd        end,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_return_if_fail (self != NULL);
  start_end (self, end, TRUE, FALSE, cancellable, callback, user_data);
}

void
rh_elevation_close_session_async (RhElevation         *self,
                                  RhElevatedEnd        end,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_return_if_fail (self != NULL);
  start_end (self, end, FALSE, TRUE, cancellable, callback, user_data);
}

RhElevationResult *
rh_elevation_end_finish (RhElevation   *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
