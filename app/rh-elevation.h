/* rh-elevation.h: the sharer's side of administrator access (issue #6)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The polkit action of data/org.remotehelp.RemoteHelp.policy; pkexec picks it because the
 * action's exec.path is our launcher. */
#define RH_ELEVATION_POLKIT_ACTION "org.remotehelp.RemoteHelp.run-elevated-tool"

typedef enum
{
  RH_ELEVATED_END_SIGN_OUT,
  RH_ELEVATED_END_LOCK,
} RhElevatedEnd;

typedef struct
{
  char  *name;   /* menu label, unique */
  char **argv;   /* argv[0] is an absolute path; no shell is ever involved */
} RhElevatedTool;

void            rh_elevated_tool_free        (RhElevatedTool *tool);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RhElevatedTool, rh_elevated_tool_free)

/* "Name=/abs/program args;Other=/abs/prog" (the elevated-tools= config value) → array of
 * RhElevatedTool; NULL or "" gives an empty array. RH-1101 on bad entries. */
GPtrArray      *rh_elevated_tools_parse      (const char     *value,
                                              GError        **error);
/* The built-in "Terminal" (first of x-terminal-emulator, gnome-terminal, xterm found in PATH;
 * left out when none is) followed by the configured tools, which may not reuse its name. */
GPtrArray      *rh_elevated_tools_menu       (GPtrArray      *configured);
/* "sign-out" | "lock"; NULL or "" is the default, sign-out. RH-1103 otherwise. */
gboolean        rh_elevated_end_parse        (const char     *value,
                                              RhElevatedEnd  *end,
                                              GError        **error);
const char     *rh_elevated_end_to_string    (RhElevatedEnd   end);

typedef struct
{
  char    *name;    /* "terminate-tools", "revoke-polkit", "invalidate-sudo", "sign-out"/"lock" */
  gboolean ok;
  gboolean skipped; /* nothing to do (no tools started, sudo not installed); ok stays TRUE */
  char    *detail;  /* one sentence for the session record and audit log; no secrets */
} RhElevationStep;

typedef struct
{
  GPtrArray    *steps;              /* RhElevationStep, in the order they ran */
  RhElevatedEnd end;
  guint         tools_started;
  guint         tools_killed;       /* needed SIGKILL after the grace period */
  gboolean      ok;                 /* every step ok */
} RhElevationResult;

void            rh_elevation_result_free     (RhElevationResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RhElevationResult, rh_elevation_result_free)
/* The failed steps as one RH-7204 GError, or NULL when result->ok. */
GError         *rh_elevation_result_to_error (const RhElevationResult *result);

typedef struct _RhElevation RhElevation;

RhElevation    *rh_elevation_new             (void);
void            rh_elevation_free            (RhElevation    *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RhElevation, rh_elevation_free)

/* Test seams; the product defaults are pkexec + our launcher, `sudo -K`, the system bus, the
 * session of XDG_SESSION_ID (or logind's "auto") and a 3 s grace period. */
void            rh_elevation_set_launcher    (RhElevation        *self,
                                              const char * const *prefix);
void            rh_elevation_set_sudo_argv   (RhElevation        *self,
                                              const char * const *argv);
void            rh_elevation_set_system_bus  (RhElevation        *self,
                                              GDBusConnection    *bus);
void            rh_elevation_set_session_id  (RhElevation        *self,
                                              const char         *session_id);
void            rh_elevation_set_grace_ms    (RhElevation        *self,
                                              guint               grace_ms);

/* The sharer said Allow. Tools can be started from then until the end. */
void            rh_elevation_grant           (RhElevation    *self);
gboolean        rh_elevation_is_granted      (RhElevation    *self);
/* TRUE once access was granted (the helper could then answer any system prompt, not only
 * start tools): the end then signs out or locks. */
gboolean        rh_elevation_was_used        (RhElevation    *self);

/* Starts @tool elevated (pkexec shows the system prompt on the sharer's screen). Returns the
 * launcher's PID, or 0 with RH-7203 (not granted) / RH-7202. */
GPid            rh_elevation_start_tool      (RhElevation           *self,
                                              const RhElevatedTool  *tool,
                                              GError               **error);
guint           rh_elevation_n_running       (RhElevation    *self);

/* Ends elevation: tools, polkit temporary authorisations, sudo timestamps, then logind
 * Terminate or Lock of the sharer's session. Every step runs even if an earlier one failed.
 * The result says what happened; finish returns NULL only when cancelled. */
void            rh_elevation_end_async       (RhElevation         *self,
                                              RhElevatedEnd        end,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
RhElevationResult *rh_elevation_end_finish   (RhElevation    *self,
                                              GAsyncResult   *result,
                                              GError        **error);
/* The same end in two halves, so that the app can report the clean-up to the service before
 * a sign-out ends the app: first tools, polkit and sudo (the result has no sign-out/lock
 * step)… */
void            rh_elevation_clean_up_async  (RhElevation         *self,
                                              RhElevatedEnd        end,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
/* …then logind Terminate or Lock alone (skipped when access was never granted). Both finish
 * with rh_elevation_end_finish(). */
void            rh_elevation_close_session_async (RhElevation         *self,
                                                  RhElevatedEnd        end,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);

G_END_DECLS
