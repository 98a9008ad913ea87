/* rh-identity-card-view.c: who is on the other end, as the organisation vouches for them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "rh-ui"

#include "config.h"

#include <glib/gi18n.h>

#include "rh-identity-card-view.h"

struct _RhIdentityCardView
{
  GtkBox     parent_instance;

  AdwAvatar *avatar;
  GtkLabel  *name_label;
  GtkLabel  *title_label;
  GtkLabel  *company_label;
  GtkLabel  *domain_label;
  GtkWidget *verified_box;
};

G_DEFINE_FINAL_TYPE (RhIdentityCardView, rh_identity_card_view, GTK_TYPE_BOX)

static void
set_line (GtkLabel   *label,
          const char *text)
{
  gtk_label_set_text (label, text ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (label), text != NULL && *text != '\0');
}

void
rh_identity_card_view_set_card (RhIdentityCardView   *self,
                                const RhIdentityCard *card,
                                gboolean              verified)
{
  g_autoptr(GdkTexture) texture = NULL;
  const char *name;

  g_return_if_fail (RH_IS_IDENTITY_CARD_VIEW (self));

  if (card == NULL)
    {
      adw_avatar_set_text (self->avatar, NULL);
      adw_avatar_set_custom_image (self->avatar, NULL);
      set_line (self->name_label, NULL);
      set_line (self->title_label, NULL);
      set_line (self->company_label, NULL);
      set_line (self->domain_label, NULL);
      gtk_widget_set_visible (self->verified_box, FALSE);
      return;
    }

  name = card->display_name && *card->display_name ? card->display_name : card->login;
  if (card->photo != NULL)
    {
      g_autoptr(GError) error = NULL;

      /* The photo was signed by the organisation, but its decoder still treats it as
       * untrusted bytes; a photo that does not decode leaves the initials. */
      texture = gdk_texture_new_from_bytes (card->photo, &error);
      if (texture == NULL)
        g_debug ("The card's photo does not decode: %s", error->message);
    }
  adw_avatar_set_text (self->avatar, name);
  adw_avatar_set_custom_image (self->avatar, GDK_PAINTABLE (texture));
  set_line (self->name_label, name);
  set_line (self->title_label, card->job_title);
  set_line (self->company_label, card->company);
  set_line (self->domain_label, card->domain);
  gtk_widget_set_visible (self->verified_box, verified);
}

static void
rh_identity_card_view_class_init (RhIdentityCardViewClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/remotehelp/RemoteHelp/rh-identity-card-view.ui");
  gtk_widget_class_bind_template_child (widget_class, RhIdentityCardView, avatar);
  gtk_widget_class_bind_template_child (widget_class, RhIdentityCardView, name_label);
  gtk_widget_class_bind_template_child (widget_class, RhIdentityCardView, title_label);
  gtk_widget_class_bind_template_child (widget_class, RhIdentityCardView, company_label);
  gtk_widget_class_bind_template_child (widget_class, RhIdentityCardView, domain_label);
  gtk_widget_class_bind_template_child (widget_class, RhIdentityCardView, verified_box);
}

static void
rh_identity_card_view_init (RhIdentityCardView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
