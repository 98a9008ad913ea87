/* rh-headless.h: the scriptable helper and sharer used by tests, benchmarks and admins
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "rh-config.h"
#include "rh-session.h"

G_BEGIN_DECLS

typedef struct
{
  RhConfig   *config;
  const char *login;
  const char *password;
  const char *code;      /* get-help only */
  guint       timeout_s; /* get-help: give up pairing after this long (0: 120 s) */
  /* After pairing, run a session: the helper asks for session.requested_mode, the sharer
   * answers with session.allow. Without it the commands end once paired. */
  gboolean          with_session;
  RhSessionOptions  session;
  /* Sent once the screen is shared (helper: first frame; sharer: sharing). */
  const char       *chat_text;
} RhHeadlessOptions;

/* Both return a process exit status: 0 when paired, 1 on an error (printed with its RH-
 * code on stderr). Progress goes to stdout, one "key: value" line per fact. */
int rh_headless_give_help (const RhHeadlessOptions *options);
int rh_headless_get_help  (const RhHeadlessOptions *options);

G_END_DECLS
