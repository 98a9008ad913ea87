/* rh-test-xvfb.c: a private Xvfb for tests, bounded in time and stopped by the test
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rh-test-xvfb.h"

static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static gboolean
wait_pid (GPid pid,
          int  timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  int status;

  while (g_get_monotonic_time () < deadline)
    {
      pid_t r = waitpid (pid, &status, WNOHANG);

      if (r == pid || (r < 0 && errno != EINTR))
        return TRUE;
      g_usleep (20 * 1000);
    }
  return FALSE;
}

void
rh_test_xvfb_stop (GPid pid)
{
  if (pid <= 0)
    return;
  kill (pid, SIGTERM);
  if (!wait_pid (pid, 5000))
    {
      kill (pid, SIGKILL);
      wait_pid (pid, 5000);
    }
}

char *
rh_test_xvfb_start (const char *geometry,
                    GPid       *pid)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *fd_arg = NULL;
  char buf[32] = "";
  gsize len = 0;
  gint64 deadline;
  int fds[2];

  g_assert_no_errno (pipe (fds));
  fd_arg = g_strdup_printf ("%d", fds[1]);
  {
    const char *argv[] = { "Xvfb", "-displayfd", fd_arg, "-screen", "0", geometry,
                           "-noreset", "-nolisten", "tcp", NULL };
    GSpawnFlags flags = G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD |
                        G_SPAWN_LEAVE_DESCRIPTORS_OPEN | G_SPAWN_STDOUT_TO_DEV_NULL |
                        G_SPAWN_STDERR_TO_DEV_NULL;

    g_spawn_async (NULL, (char **) argv, NULL, flags, die_with_parent, NULL, pid, &error);
    g_assert_no_error (error);
  }
  close (fds[1]);

  /* Xvfb writes "N\n" once it accepts connections. */
  deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  while (!memchr (buf, '\n', len) && len < sizeof buf - 1)
    {
      struct pollfd p = { .fd = fds[0], .events = POLLIN };
      int left = (int) ((deadline - g_get_monotonic_time ()) / 1000);
      gssize r;

      g_assert_cmpint (left, >, 0);
      if (poll (&p, 1, left) <= 0)
        continue;
      r = read (fds[0], buf + len, sizeof buf - 1 - len);
      g_assert_cmpint (r, >, 0);
      len += r;
    }
  close (fds[0]);
  g_strstrip (buf);
  g_assert_cmpstr (buf, !=, "");
  return g_strdup_printf (":%s", buf);
}
