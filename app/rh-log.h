/* rh-log.h: where log messages go, for the server and the app
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Installs the process's log writer: to the journal when stderr is connected to it, else to
 * stderr. Info and debug messages of our "rh-*" domains are shown only when verbose (or when
 * G_MESSAGES_DEBUG asks for them). May be called again to change verbose. */
void rh_log_init    (const char   *program,
                     gboolean      verbose);
/* Prints "<program>: RH-NNNN: <summary>: <detail>" to stderr (and logs it at debug level). */
void rh_print_error (const char   *program,
                     const GError *error);

G_END_DECLS
