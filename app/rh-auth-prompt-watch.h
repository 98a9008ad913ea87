/* rh-auth-prompt-watch.h: is a system authentication prompt on the sharer's screen? (issue #6)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  int x, y, width, height;   /* root coordinates of the top-level window (with its frame) */
} RhAuthPromptRect;

/* Called on the main loop whenever the set of visible prompts changes: @visible is
 * rects->len > 0; @rects holds RhAuthPromptRect and is only valid during the call. */
typedef void (*RhAuthPromptFunc) (gboolean  visible,
                                  GArray   *rects,
                                  gpointer  user_data);

typedef struct _RhAuthPromptWatch RhAuthPromptWatch;

/* The built-in list: window classes (WM_CLASS name or class, case-insensitive) of known
 * polkit agents, keyring/askpass prompts and pinentry programs. */
const char * const *rh_auth_prompt_default_classes (void);

/* The auth-prompt-classes= config value: entries separated by ';', each a window class or
 * "title=Exact window title". NULL or "" gives an empty list. RH-1102 on bad entries. */
GStrv               rh_auth_prompt_classes_parse   (const char          *value,
                                                    GError             **error);

/* Watches @display_name (NULL: $DISPLAY) on its own X connection, driven by the default main
 * context: no thread, no polling. @extra_classes (may be NULL) extends the built-in list.
 * The callback is first called from an idle after creation with the initial state.
 * RH-7205 when the display cannot be opened. */
RhAuthPromptWatch  *rh_auth_prompt_watch_new       (const char          *display_name,
                                                    const char * const  *extra_classes,
                                                    RhAuthPromptFunc     callback,
                                                    gpointer             user_data,
                                                    GError             **error);
gboolean            rh_auth_prompt_watch_is_visible (RhAuthPromptWatch  *self);
/* The current prompts' rectangles (RhAuthPromptRect), owned by the watch. */
GArray             *rh_auth_prompt_watch_get_rects (RhAuthPromptWatch   *self);
void                rh_auth_prompt_watch_free      (RhAuthPromptWatch   *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RhAuthPromptWatch, rh_auth_prompt_watch_free)

G_END_DECLS
