/* rh-elevated-launcher.c: remote-help-elevated, run by pkexec as root for an elevated tool
 *
 * Usage: remote-help-elevated --grace-ms=N -- /absolute/program [args...]
 *
 * Starts the program in a process group of its own and watches stdin, a pipe from the
 * unprivileged Remote Help app: when it closes (the elevation ended, or the app died), the
 * group gets SIGTERM and, after the grace period, SIGKILL. The app cannot signal a root
 * process itself; this is how what it started always ends. Deliberately tiny: no GLib, no
 * environment use beyond what pkexec passes, no shell.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long
now_ms (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static int
usage (void)
{
  fprintf (stderr, "usage: remote-help-elevated --grace-ms=N -- /absolute/program [args...]\n");
  return 2;
}

/* Ends the group: SIGTERM, then SIGKILL once the grace period is over; returns the tool's
 * exit status as a shell would. */
static int
end_group (pid_t group,
           long  grace_ms)
{
  long deadline = now_ms () + grace_ms;
  int reaped = 0, status;

  kill (-group, SIGTERM);
  while (now_ms () < deadline)
    {
      if (!reaped && waitpid (group, &status, WNOHANG) == group)
        reaped = 1;
      /* Done when the tool is reaped and nothing else of its group is left. */
      if (reaped && kill (-group, 0) != 0)
        return 128 + SIGTERM;
      usleep (20000);
    }
  kill (-group, SIGKILL);
  if (!reaped)
    waitpid (group, &status, 0);
  return 128 + SIGKILL;
}

int
main (int   argc,
      char *argv[])
{
  long grace_ms = 3000;
  char **tool;
  pid_t child;
  int devnull;

  if (argc < 4 || strncmp (argv[1], "--grace-ms=", 11) != 0 || strcmp (argv[2], "--") != 0)
    return usage ();
  {
    char *end = NULL;

    errno = 0;
    grace_ms = strtol (argv[1] + 11, &end, 10);
    if (errno != 0 || *end != '\0' || grace_ms < 0 || grace_ms > 60000)
      return usage ();
  }
  tool = argv + 3;
  if (tool[0][0] != '/')
    return usage ();

  child = fork ();
  if (child < 0)
    {
      perror ("remote-help-elevated: fork");
      return 1;
    }
  if (child == 0)
    {
      setpgid (0, 0);
      /* The tool must not read or hold our watch pipe. */
      devnull = open ("/dev/null", O_RDONLY | O_CLOEXEC);
      if (devnull >= 0)
        dup2 (devnull, STDIN_FILENO);
      execv (tool[0], tool);
      fprintf (stderr, "remote-help-elevated: %s: %s\n", tool[0], strerror (errno));
      _exit (127);
    }
  setpgid (child, child);   /* also here: no race with the first kill (-child) */

  for (;;)
    {
      struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
      int status;
      pid_t r = waitpid (child, &status, WNOHANG);

      if (r == child)
        return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
      if (poll (&p, 1, 200) > 0)
        {
          char buf[64];
          ssize_t n = read (STDIN_FILENO, buf, sizeof buf);

          /* EOF or error: the app let go. Data is ignored: only closing means anything. */
          if (n <= 0 && !(n < 0 && errno == EINTR))
            return end_group (child, grace_ms);
        }
    }
}
