/* rh-chat-view.c: the session's chat thread and a line to write in
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "rh-ui"

#include "config.h"

#include <glib/gi18n.h>

#include "rh-chat-view.h"
#include "rh-ui-session-resources.h"

struct _RhChatView
{
  GtkBox parent_instance;

  GtkScrolledWindow *scroller;
  GtkListBox *thread;
  GtkLabel *notice_label;
  GtkWidget *compose_box;
  GtkEntry *entry;

  char *own_role;
  guint n_messages;
  GtkToggleButton *toggle;   /* the window's Chat button, when attached (not owned) */
  GtkRevealer *revealer;
  guint unread;
  gboolean sending;
  gboolean enabled;
  gboolean ended;
};

enum
{
  SIGNAL_SEND,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (RhChatView, rh_chat_view, GTK_TYPE_BOX)

/* The paragraph direction of the first strong character, as the Unicode bidi algorithm picks
 * it: an Arabic or Hebrew message must be right-aligned even in a left-to-right window. */
static GtkTextDirection
text_direction (const char *text)
{
  for (const char *p = text; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (!g_unichar_isalpha (c))
        continue;
      switch (g_unichar_get_script (c))
        {
        case G_UNICODE_SCRIPT_ARABIC:
        case G_UNICODE_SCRIPT_HEBREW:
        case G_UNICODE_SCRIPT_SYRIAC:
        case G_UNICODE_SCRIPT_THAANA:
        case G_UNICODE_SCRIPT_NKO:
          return GTK_TEXT_DIR_RTL;
        default:
          return GTK_TEXT_DIR_LTR;
        }
    }
  return GTK_TEXT_DIR_NONE;
}

static void
update_toggle (RhChatView *self)
{
  g_autofree char *label = NULL;

  if (self->toggle == NULL)
    return;
  if (self->unread == 0)
    label = g_strdup (_("_Chat"));
  else
    /* Translators: the Chat button with the number of messages not read yet */
    label = g_strdup_printf (_("_Chat (%u)"), self->unread);
  gtk_button_set_label (GTK_BUTTON (self->toggle), label);
  if (self->unread > 0)
    gtk_widget_add_css_class (GTK_WIDGET (self->toggle), "suggested-action");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->toggle), "suggested-action");
}

static void
on_toggled (RhChatView *self)
{
  gboolean active = gtk_toggle_button_get_active (self->toggle);

  /* Revealed before the focus moves, so that what is typed next lands in the entry. */
  gtk_revealer_set_reveal_child (self->revealer, active);
  if (active)
    {
      self->unread = 0;
      update_toggle (self);
      gtk_widget_grab_focus (GTK_WIDGET (self->entry));
    }
}

void
rh_chat_view_attach_toggle (RhChatView      *self,
                            GtkToggleButton *toggle,
                            GtkRevealer     *revealer)
{
  g_return_if_fail (RH_IS_CHAT_VIEW (self));
  g_return_if_fail (GTK_IS_TOGGLE_BUTTON (toggle));
  g_return_if_fail (GTK_IS_REVEALER (revealer));

  self->toggle = toggle;
  self->revealer = revealer;
  g_signal_connect_object (toggle, "toggled", G_CALLBACK (on_toggled), self,
                           G_CONNECT_SWAPPED);
  update_toggle (self);
}

static void
update_sensitivity (RhChatView *self)
{
  gboolean can_write = self->enabled && !self->ended;

  gtk_widget_set_visible (self->compose_box, can_write);
  gtk_widget_set_sensitive (GTK_WIDGET (self->entry), can_write && !self->sending);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "chat.send", can_write && !self->sending);
  if (!self->enabled)
    {
      gtk_label_set_label (self->notice_label,
                           _("Chat is turned off by your organisation. Talk on the phone "
                             "instead."));
      gtk_widget_set_visible (GTK_WIDGET (self->notice_label), TRUE);
    }
  else if (self->ended)
    {
      gtk_label_set_label (self->notice_label, _("The session has ended."));
      gtk_widget_set_visible (GTK_WIDGET (self->notice_label), TRUE);
    }
}

static void
send_activated (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  RhChatView *self = RH_CHAT_VIEW (widget);
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->entry))));

  if (text[0] == '\0' || self->sending || !self->enabled || self->ended)
    return;
  self->sending = TRUE;
  gtk_widget_set_visible (GTK_WIDGET (self->notice_label), FALSE);
  update_sensitivity (self);
  g_signal_emit (self, signals[SIGNAL_SEND], 0, text);
}

static void
on_entry_activate (RhChatView *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "chat.send", NULL);
}

static gboolean
scroll_to_end (gpointer data)
{
  RhChatView *self = data;
  GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (self->scroller);

  gtk_adjustment_set_value (adj, gtk_adjustment_get_upper (adj));
  g_object_unref (self);
  return G_SOURCE_REMOVE;
}

void
rh_chat_view_add_message (RhChatView          *self,
                          const RhChatMessage *message)
{
  g_autoptr(GDateTime) when = NULL;
  g_autofree char *time = NULL;
  g_autofree char *header = NULL;
  GtkWidget *box, *head, *body;
  gboolean own;
  GtkTextDirection dir;

  g_return_if_fail (RH_IS_CHAT_VIEW (self));
  g_return_if_fail (message != NULL);

  own = g_strcmp0 (message->role, self->own_role) == 0;
  when = g_date_time_new_from_unix_local (message->at);
  time = when ? g_date_time_format (when, "%H:%M") : g_strdup ("");
  /* Translators: a chat message's header: the sender's name, then the time it was sent */
  header = own ? g_strdup_printf (_("You · %s"), time)
               : g_strdup_printf (_("%s · %s"), message->name, time);

  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  gtk_widget_add_css_class (box, "rh-chat-message");
  if (own)
    gtk_widget_add_css_class (box, "rh-chat-own");
  gtk_widget_set_margin_start (box, own ? 36 : 8);
  gtk_widget_set_margin_end (box, own ? 8 : 36);
  gtk_widget_set_margin_top (box, 4);
  gtk_widget_set_margin_bottom (box, 4);

  head = gtk_label_new (header);
  gtk_label_set_xalign (GTK_LABEL (head), 0);
  gtk_label_set_ellipsize (GTK_LABEL (head), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (head, "caption-heading");
  gtk_widget_add_css_class (head, "dim-label");
  gtk_box_append (GTK_BOX (box), head);

  body = gtk_label_new (message->text);
  gtk_label_set_wrap (GTK_LABEL (body), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (body), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_selectable (GTK_LABEL (body), TRUE);
  gtk_label_set_xalign (GTK_LABEL (body), 0);
  gtk_label_set_max_width_chars (GTK_LABEL (body), 40);
  gtk_widget_set_halign (body, GTK_ALIGN_FILL);
  dir = text_direction (message->text);
  if (dir != GTK_TEXT_DIR_NONE)
    gtk_widget_set_direction (body, dir);
  gtk_box_append (GTK_BOX (box), body);

  gtk_list_box_append (self->thread, box);
  self->n_messages++;
  if (!own && self->toggle != NULL && !gtk_toggle_button_get_active (self->toggle))
    {
      self->unread++;
      update_toggle (self);
    }
  g_idle_add (scroll_to_end, g_object_ref (self));
}

void
rh_chat_view_send_done (RhChatView   *self,
                        const GError *error)
{
  g_return_if_fail (RH_IS_CHAT_VIEW (self));

  self->sending = FALSE;
  if (error == NULL)
    {
      gtk_editable_set_text (GTK_EDITABLE (self->entry), "");
      gtk_widget_set_visible (GTK_WIDGET (self->notice_label), FALSE);
    }
  else
    {
      /* Translators: shown under the chat entry; %d is a stable error number, %s why */
      g_autofree char *text = g_strdup_printf (_("Not sent (RH-%04d): %s"), error->code,
                                               error->message);

      gtk_label_set_label (self->notice_label, text);
      gtk_widget_set_visible (GTK_WIDGET (self->notice_label), TRUE);
    }
  update_sensitivity (self);
  if (error == NULL || self->enabled)
    gtk_widget_grab_focus (GTK_WIDGET (self->entry));
}

void
rh_chat_view_set_own_role (RhChatView *self,
                           const char *role)
{
  g_return_if_fail (RH_IS_CHAT_VIEW (self));

  g_free (self->own_role);
  self->own_role = g_strdup (role);
}

void
rh_chat_view_set_enabled (RhChatView *self,
                          gboolean    enabled)
{
  g_return_if_fail (RH_IS_CHAT_VIEW (self));

  self->enabled = enabled;
  update_sensitivity (self);
  /* The organisation turned chat off: no button that leads to a dead end. */
  if (self->toggle != NULL)
    {
      gtk_widget_set_visible (GTK_WIDGET (self->toggle), enabled);
      if (!enabled)
        gtk_toggle_button_set_active (self->toggle, FALSE);
    }
}

void
rh_chat_view_set_ended (RhChatView *self)
{
  g_return_if_fail (RH_IS_CHAT_VIEW (self));

  self->ended = TRUE;
  update_sensitivity (self);
}

guint
rh_chat_view_get_n_messages (RhChatView *self)
{
  g_return_val_if_fail (RH_IS_CHAT_VIEW (self), 0);

  return self->n_messages;
}

void
rh_chat_view_focus_entry (RhChatView *self)
{
  g_return_if_fail (RH_IS_CHAT_VIEW (self));

  gtk_widget_grab_focus (GTK_WIDGET (self->entry));
}

static void
rh_chat_view_finalize (GObject *object)
{
  RhChatView *self = RH_CHAT_VIEW (object);

  g_free (self->own_role);

  G_OBJECT_CLASS (rh_chat_view_parent_class)->finalize (object);
}

static void
rh_chat_view_class_init (RhChatViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = rh_chat_view_finalize;

  signals[SIGNAL_SEND] =
    g_signal_new ("send", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  (void) rh_ui_session_get_resource ();
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/remotehelp/RemoteHelp/session/"
                                               "rh-chat-view.ui");
  gtk_widget_class_bind_template_child (widget_class, RhChatView, scroller);
  gtk_widget_class_bind_template_child (widget_class, RhChatView, thread);
  gtk_widget_class_bind_template_child (widget_class, RhChatView, notice_label);
  gtk_widget_class_bind_template_child (widget_class, RhChatView, compose_box);
  gtk_widget_class_bind_template_child (widget_class, RhChatView, entry);

  gtk_widget_class_install_action (widget_class, "chat.send", NULL, send_activated);
}

static void
rh_chat_view_init (RhChatView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->enabled = TRUE;
  g_signal_connect_swapped (self->entry, "activate", G_CALLBACK (on_entry_activate), self);
  update_sensitivity (self);
}

GtkWidget *
rh_chat_view_new (void)
{
  return g_object_new (RH_TYPE_CHAT_VIEW, NULL);
}
