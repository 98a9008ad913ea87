/* rh-test-proc.c: child processes for tests (Xvfb, X clients, the headless client's output)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "rh-test-proc.h"

void
rh_test_die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

void
rh_test_run_ok (const char *const *argv)
{
  g_autoptr(GError) error = NULL;
  int status = -1;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
                &status, &error);
  g_assert_no_error (error);
  g_spawn_check_wait_status (status, &error);
  g_assert_no_error (error);
}

static gboolean
timeout_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

gboolean
rh_test_spin_flag (gboolean *flag,
                   guint     timeout_ms)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add (timeout_ms, timeout_cb, &timed_out);

  while (!*flag && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (id);
  return *flag;
}

void
rh_test_sleep_ms (guint ms)
{
  gboolean done = FALSE;

  g_timeout_add (ms, timeout_cb, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

void
rh_test_spin_ms (int ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) ms * 1000;

  while (g_get_monotonic_time () < deadline)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (2 * 1000);
}

char *
rh_test_make_private_dir (const char *template)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp (template, &error);

  g_assert_no_error (error);
  g_assert_no_errno (g_chmod (dir, 0700));
  return dir;
}

void
rh_test_private_home (char **runtime_dir,
                      char **home_dir)
{
  g_autofree char *config_dir = NULL;

  *runtime_dir = rh_test_make_private_dir ("rh-test-runtime-XXXXXX");
  *home_dir = rh_test_make_private_dir ("rh-test-home-XXXXXX");
  config_dir = g_build_filename (*home_dir, ".config", NULL);
  g_setenv ("XDG_RUNTIME_DIR", *runtime_dir, TRUE);
  g_setenv ("HOME", *home_dir, TRUE);
  g_setenv ("XDG_CONFIG_HOME", config_dir, TRUE);
}

void
rh_test_rm_rf (const char *path)
{
  const char *argv[] = { "rm", "-rf", path, NULL };

  if (path)
    g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL,
                  NULL);
}

GSubprocess *
rh_test_xvfb_spawn (const char  *geometry,
                    char       **display)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  GSubprocess *process;
  int fds[2];
  struct pollfd pfd;
  char buf[32] = { 0 };
  gsize len = 0;
  gint64 deadline = g_get_monotonic_time () + 15 * G_USEC_PER_SEC;

  g_assert_no_errno (pipe (fds));
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                        G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_subprocess_launcher_set_child_setup (launcher, rh_test_die_with_parent, NULL, NULL);
  g_subprocess_launcher_take_fd (launcher, fds[1], 3);
  process = g_subprocess_launcher_spawn (launcher, &error, "Xvfb", "-displayfd", "3",
                                         "-screen", "0", geometry, "-noreset",
                                         "-nolisten", "tcp", NULL);
  g_assert_no_error (error);

  /* Xvfb writes the display number and a newline once it accepts connections; closing the
   * pipe before that makes its write fail, and it exits. */
  pfd.fd = fds[0];
  pfd.events = POLLIN;
  while (len < sizeof buf - 1 && strchr (buf, '\n') == NULL)
    {
      int left_ms = (int) ((deadline - g_get_monotonic_time ()) / 1000);
      ssize_t n;

      g_assert_cmpint (left_ms, >, 0);
      if (poll (&pfd, 1, left_ms) <= 0)
        continue;
      n = read (fds[0], buf + len, sizeof buf - 1 - len);
      g_assert_cmpint (n, >, 0);
      len += (gsize) n;
    }
  close (fds[0]);
  g_strstrip (buf);
  g_assert_cmpstr (buf, !=, "");
  *display = g_strdup_printf (":%s", buf);
  return process;
}

void
rh_test_proc_kill (GSubprocess **process)
{
  if (*process == NULL)
    return;
  g_subprocess_force_exit (*process);
  g_subprocess_wait (*process, NULL, NULL);
  g_clear_object (process);
}

typedef struct
{
  gboolean done;
  GBytes *out;
  GError *error;
} Communicated;

static void
communicated_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      data)
{
  Communicated *c = data;

  g_subprocess_communicate_finish (G_SUBPROCESS (source), result, &c->out, NULL, &c->error);
  c->done = TRUE;
}

char *
rh_test_run_x (const char        *display,
               const char *const *argv)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  Communicated c = { 0 };
  char *out;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_subprocess_launcher_set_child_setup (launcher, rh_test_die_with_parent, NULL, NULL);
  g_subprocess_launcher_setenv (launcher, "DISPLAY", display, TRUE);
  process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);

  g_subprocess_communicate_async (process, NULL, NULL, communicated_cb, &c);
  if (!rh_test_spin_flag (&c.done, 20000))
    {
      g_subprocess_force_exit (process);
      g_error ("%s did not finish", argv[0]);
    }
  g_assert_no_error (c.error);
  g_subprocess_wait (process, NULL, NULL);
  g_assert_true (g_subprocess_get_successful (process));
  out = g_strndup (g_bytes_get_data (c.out, NULL), g_bytes_get_size (c.out));
  g_bytes_unref (c.out);
  return out;
}

void
rh_test_result_clear (RhTestResult *r)
{
  g_clear_pointer (&r->out, g_free);
  g_clear_pointer (&r->err, g_free);
}

char *
rh_test_read_code (GSubprocess       *helper,
                   GDataInputStream **out_stream)
{
  GDataInputStream *in = g_data_input_stream_new (g_subprocess_get_stdout_pipe (helper));
  g_autofree char *line = NULL;
  g_autoptr(GError) error = NULL;

  alarm (20);
  do
    {
      g_free (line);
      line = g_data_input_stream_read_line_utf8 (in, NULL, NULL, &error);
      g_assert_no_error (error);
      g_assert_nonnull (line);
    }
  while (!g_str_has_prefix (line, "code: "));
  alarm (0);
  *out_stream = in;
  return g_strdup (line + 6);
}

void
rh_test_collect (GSubprocess      *proc,
                 GDataInputStream *in,
                 RhTestResult     *r)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(GBytes) err = NULL;

  alarm (90);
  if (in)
    {
      char buf[4096];
      gssize n;

      while ((n = g_input_stream_read (G_INPUT_STREAM (in), buf, sizeof buf, NULL, &error)) > 0)
        g_string_append_len (out, buf, n);
      g_assert_no_error (error);
      err = g_input_stream_read_bytes (g_subprocess_get_stderr_pipe (proc), 1 << 20, NULL,
                                       &error);
      g_assert_no_error (error);
      g_subprocess_wait (proc, NULL, &error);
    }
  else
    {
      g_autofree char *o = NULL, *e = NULL;

      g_subprocess_communicate_utf8 (proc, NULL, NULL, &o, &e, &error);
      g_string_append (out, o);
      err = g_bytes_new (e, strlen (e));
    }
  alarm (0);
  g_assert_no_error (error);
  r->status = g_subprocess_get_exit_status (proc);
  r->out = g_string_free (g_steal_pointer (&out), FALSE);
  r->err = g_strndup (g_bytes_get_data (err, NULL), g_bytes_get_size (err));
  g_test_message ("exit %d\nstdout:\n%s\nstderr:\n%s", r->status, r->out, r->err);
}
