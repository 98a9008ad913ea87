/* rh-bench-net.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <linux/tcp.h>
#include <unistd.h>

#include <gio/gio.h>

#include "rh-bench-net.h"

guint64
rh_bench_tcp_bytes_received (void)
{
  guint64 total = 0;
  DIR *dir = opendir ("/proc/self/fd");
  struct dirent *d;

  if (dir == NULL)
    return 0;
  while ((d = readdir (dir)) != NULL)
    {
      struct tcp_info info;
      socklen_t len = sizeof info;
      int fd = atoi (d->d_name);

      if (d->d_name[0] == '.' || fd == dirfd (dir))
        continue;
      memset (&info, 0, sizeof info);
      /* Fails with ENOTSOCK/EOPNOTSUPP for everything that is not a TCP socket. */
      if (getsockopt (fd, IPPROTO_TCP, TCP_INFO, &info, &len) == 0 &&
          len >= offsetof (struct tcp_info, tcpi_bytes_received) + sizeof (guint64))
        total += info.tcpi_bytes_received;
    }
  closedir (dir);
  return total;
}

static gint64 connected_at;

gint64
rh_bench_bridge_connected_at (void)
{
  return __atomic_load_n (&connected_at, __ATOMIC_ACQUIRE);
}

typedef struct
{
  int listen_fd;
  int tcp_port;
  gint64 deadline_us;
} Bridge;

static gboolean
copy_some (int from, int to)
{
  char buf[65536];
  ssize_t n = read (from, buf, sizeof buf);

  if (n <= 0)
    return FALSE;
  for (ssize_t off = 0; off < n;)
    {
      ssize_t w = write (to, buf + off, (size_t) (n - off));

      if (w < 0 && errno == EINTR)
        continue;
      if (w <= 0)
        return FALSE;
      off += w;
    }
  return TRUE;
}

static gpointer
bridge_thread (gpointer data)
{
  Bridge *b = data;
  int client = accept (b->listen_fd, NULL, NULL);
  int server = -1;
  struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons ((guint16) b->tcp_port) };

  close (b->listen_fd);
  if (client < 0)
    goto out;
  sin.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  while (g_get_monotonic_time () < b->deadline_us)
    {
      int one = 1;

      server = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (connect (server, (struct sockaddr *) &sin, sizeof sin) == 0)
        {
          setsockopt (server, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          __atomic_store_n (&connected_at, g_get_monotonic_time (), __ATOMIC_RELEASE);
          break;
        }
      close (server);
      server = -1;
      g_usleep (2000);
    }
  if (server < 0)
    goto out;
  for (;;)
    {
      struct pollfd p[2] = { { client, POLLIN, 0 }, { server, POLLIN, 0 } };

      if (poll (p, 2, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          break;
        }
      if ((p[0].revents & (POLLIN | POLLHUP | POLLERR)) && !copy_some (client, server))
        break;
      if ((p[1].revents & (POLLIN | POLLHUP | POLLERR)) && !copy_some (server, client))
        break;
    }
out:
  if (client >= 0)
    close (client);
  if (server >= 0)
    close (server);
  g_free (b);
  return NULL;
}

gboolean
rh_bench_bridge_start (const char *unix_path,
                       int         tcp_port,
                       gint64      deadline_us,
                       GError    **error)
{
  struct sockaddr_un sun = { .sun_family = AF_UNIX };
  Bridge *b;
  int fd;

  if (strlen (unix_path) >= sizeof sun.sun_path)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "socket path too long");
      return FALSE;
    }
  strcpy (sun.sun_path, unix_path);
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || bind (fd, (struct sockaddr *) &sun, sizeof sun) < 0 || listen (fd, 1) < 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "bridge: %s",
                   g_strerror (errno));
      if (fd >= 0)
        close (fd);
      return FALSE;
    }
  b = g_new0 (Bridge, 1);
  b->listen_fd = fd;
  b->tcp_port = tcp_port;
  b->deadline_us = deadline_us;
  g_thread_unref (g_thread_new ("rh-bench-bridge", bridge_thread, b));
  return TRUE;
}
