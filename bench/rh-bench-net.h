/* rh-bench-net.h: bytes on the wire, counted by the kernel, and a counting-free TCP bridge
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

/* Sum of tcpi_bytes_received over this process's open TCP sockets: payload bytes that arrived
 * (after TCP, before TLS/WebSocket/RDP/RFB decoding), the same way for every client. */
guint64  rh_bench_tcp_bytes_received (void);

/* Listens on a Unix socket at unix_path and, for the first client that connects, connects to
 * 127.0.0.1:tcp_port (retrying until deadline_us, for a server that is still starting) and
 * copies bytes both ways on a thread. The RDP client only speaks to Unix sockets; this puts
 * the stock server behind a TCP connection like our direct path, so its bytes are counted by
 * rh_bench_tcp_bytes_received(). */
gboolean rh_bench_bridge_start       (const char *unix_path,
                                      int         tcp_port,
                                      gint64      deadline_us,
                                      GError    **error);
/* When the bridge's TCP connection to the server succeeded (monotonic µs), or 0. */
gint64   rh_bench_bridge_connected_at (void);
