/* rh-log.c: where log messages go, for the server and the app
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "rh-app"

#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>

#include "rh-error.h"
#include "rh-log.h"

static gboolean log_installed;
static gboolean log_verbose;
static gboolean log_to_journal;

static const char *
find_domain (const GLogField *fields,
             gsize            n_fields)
{
  for (gsize i = 0; i < n_fields; i++)
    if (g_strcmp0 (fields[i].key, "GLIB_DOMAIN") == 0)
      return fields[i].length < 0 ? fields[i].value : NULL;
  return NULL;
}

static gboolean
is_our_domain (const char *domain)
{
  return domain != NULL && g_str_has_prefix (domain, "rh-");
}

static gboolean
should_drop (GLogLevelFlags  log_level,
             const char     *domain)
{
  /* Warnings, criticals, errors and messages are always shown. */
  if (!(log_level & (G_LOG_LEVEL_INFO | G_LOG_LEVEL_DEBUG)))
    return FALSE;
  if (log_verbose && is_our_domain (domain))
    return FALSE;
  /* Otherwise GLib's rule: only what G_MESSAGES_DEBUG names. */
  return g_log_writer_default_would_drop (log_level, domain);
}

static GLogWriterOutput
rh_log_writer (GLogLevelFlags   log_level,
               const GLogField *fields,
               gsize            n_fields,
               gpointer         user_data)
{
  if (should_drop (log_level, find_domain (fields, n_fields)))
    return G_LOG_WRITER_HANDLED;

  if (log_to_journal &&
      g_log_writer_journald (log_level, fields, n_fields, user_data) == G_LOG_WRITER_HANDLED)
    return G_LOG_WRITER_HANDLED;

  return g_log_writer_standard_streams (log_level, fields, n_fields, user_data);
}

void
rh_log_init (const char *program,
             gboolean    verbose)
{
  g_return_if_fail (program != NULL);

  log_verbose = verbose;
  if (log_installed)
    return;

  if (g_get_prgname () == NULL)
    g_set_prgname (program);
  log_to_journal = g_log_writer_is_journald (fileno (stderr));
  /* stdout belongs to the program's own output (the server prints lines scripts parse). */
  g_log_writer_default_set_use_stderr (TRUE);
  g_log_set_writer_func (rh_log_writer, NULL, NULL);
  log_installed = TRUE;
}

void
rh_print_error (const char   *program,
                const GError *error)
{
  g_autofree char *text = NULL;

  g_return_if_fail (error != NULL);

  text = rh_error_format (error);
  fprintf (stderr, "%s: %s\n", program != NULL ? program : g_get_prgname (), text);
  fflush (stderr);
  g_debug ("%s", text);
}
