/* test-peer-channel.c: the AES-GCM channel between helper and sharer
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "rh-protocol"

#include "config.h"

#include <string.h>

#include "rh-error.h"
#include "rh-peer-channel.h"

static const guint8 test_key[16] = {
  0x0e, 0x06, 0x72, 0xdc, 0x86, 0xf8, 0xe4, 0x55, 0x65, 0xd3, 0x38, 0xb0, 0x54, 0x0a, 0xbe, 0x69,
};
static const guint8 test_hash[32] = {
  0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10,
  0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20,
};

typedef struct
{
  RhPeerChannel *helper;
  RhPeerChannel *sharer;
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  f->helper = rh_peer_channel_new (test_key, sizeof test_key, test_hash, sizeof test_hash, TRUE);
  f->sharer = rh_peer_channel_new (test_key, sizeof test_key, test_hash, sizeof test_hash, FALSE);
  g_assert_nonnull (f->helper);
  g_assert_nonnull (f->sharer);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_clear_pointer (&f->helper, rh_peer_channel_free);
  g_clear_pointer (&f->sharer, rh_peer_channel_free);
}

static GBytes *
seal_str (RhPeerChannel *channel,
          const char    *text)
{
  return rh_peer_channel_seal (channel, (const guint8 *) text, strlen (text));
}

static gboolean
contains (GBytes     *haystack,
          const char *needle)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (haystack, &len);
  gsize needle_len = strlen (needle);

  for (gsize i = 0; i + needle_len <= len; i++)
    if (memcmp (data + i, needle, needle_len) == 0)
      return TRUE;
  return FALSE;
}

static void
assert_opens_to (RhPeerChannel *channel,
                 GBytes        *frame,
                 const char    *expected)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) plain = NULL;

  plain = rh_peer_channel_open (channel, g_bytes_get_data (frame, NULL),
                                g_bytes_get_size (frame), &error);
  g_assert_no_error (error);
  g_assert_nonnull (plain);
  g_assert_cmpmem (g_bytes_get_data (plain, NULL), g_bytes_get_size (plain),
                   expected, strlen (expected));
}

static void
assert_open_fails (RhPeerChannel *channel,
                   const guint8  *frame,
                   gsize          len)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) plain = NULL;

  plain = rh_peer_channel_open (channel, frame, len, &error);
  g_assert_null (plain);
  g_assert_error (error, RH_CRYPTO_ERROR, RH_ERROR_PEER_CHANNEL);
}

static void
test_round_trip (Fixture       *f,
                 gconstpointer  data)
{
  const char *messages[] = { "hello sharer", "", "second frame", "x" };

  for (gsize i = 0; i < G_N_ELEMENTS (messages); i++)
    {
      g_autoptr(GBytes) h2s = seal_str (f->helper, messages[i]);
      g_autoptr(GBytes) s2h = seal_str (f->sharer, messages[i]);
      guint8 counter_be[8] = { [7] = (guint8) i };

      /* counter || ciphertext || tag, ciphertext as long as the plaintext */
      g_assert_cmpuint (g_bytes_get_size (h2s), ==, 8 + strlen (messages[i]) + 16);
      g_assert_cmpmem (g_bytes_get_data (h2s, NULL), 8, counter_be, 8);
      if (strlen (messages[i]) > 0)
        g_assert_false (contains (h2s, messages[i]));

      /* The two directions use different keys, so equal plaintexts give different frames. */
      g_assert_false (g_bytes_equal (h2s, s2h));

      assert_opens_to (f->sharer, h2s, messages[i]);
      assert_opens_to (f->helper, s2h, messages[i]);
    }
}

static void
test_own_frame_rejected (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GBytes) frame = seal_str (f->helper, "reflected");

  /* A frame reflected back to its sender must not open (direction labels differ). */
  assert_open_fails (f->helper, g_bytes_get_data (frame, NULL), g_bytes_get_size (frame));
  assert_opens_to (f->sharer, frame, "reflected");
}

static void
test_tampering (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GBytes) frame = seal_str (f->helper, "move the mouse");
  gsize len = g_bytes_get_size (frame);
  g_autofree guint8 *copy = g_memdup2 (g_bytes_get_data (frame, NULL), len);

  /* Every single bit flip anywhere in the frame is caught: counter, ciphertext and tag. */
  for (gsize i = 0; i < len; i++)
    for (int bit = 0; bit < 8; bit++)
      {
        copy[i] ^= 1 << bit;
        assert_open_fails (f->sharer, copy, len);
        copy[i] ^= 1 << bit;
      }

  /* Truncated and too short frames. */
  assert_open_fails (f->sharer, copy, len - 1);
  assert_open_fails (f->sharer, copy, 23);
  assert_open_fails (f->sharer, copy, 0);

  /* None of that advanced the receive counter: the untouched frame still opens. */
  assert_opens_to (f->sharer, frame, "move the mouse");
}

static void
test_replay (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GBytes) first = seal_str (f->sharer, "one");
  g_autoptr(GBytes) second = seal_str (f->sharer, "two");

  assert_opens_to (f->helper, first, "one");
  assert_open_fails (f->helper, g_bytes_get_data (first, NULL), g_bytes_get_size (first));
  assert_opens_to (f->helper, second, "two");
  assert_open_fails (f->helper, g_bytes_get_data (first, NULL), g_bytes_get_size (first));
  assert_open_fails (f->helper, g_bytes_get_data (second, NULL), g_bytes_get_size (second));
}

static void
test_reordering (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GBytes) first = seal_str (f->sharer, "one");
  g_autoptr(GBytes) second = seal_str (f->sharer, "two");
  g_autoptr(GBytes) third = seal_str (f->sharer, "three");

  /* Out of order, and a skipped frame (drop), are both refused... */
  assert_open_fails (f->helper, g_bytes_get_data (second, NULL), g_bytes_get_size (second));
  assert_open_fails (f->helper, g_bytes_get_data (third, NULL), g_bytes_get_size (third));

  /* ...without moving the counter, so the right sequence still works. */
  assert_opens_to (f->helper, first, "one");
  assert_open_fails (f->helper, g_bytes_get_data (third, NULL), g_bytes_get_size (third));
  assert_opens_to (f->helper, second, "two");
  assert_opens_to (f->helper, third, "three");
}

static void
test_counter_rewrite (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GBytes) first = seal_str (f->sharer, "one");
  g_autoptr(GBytes) second = seal_str (f->sharer, "two");
  gsize len = g_bytes_get_size (second);
  g_autofree guint8 *copy = g_memdup2 (g_bytes_get_data (second, NULL), len);

  /* Frame 1 relabelled as frame 0 passes the counter check but not authentication, because
   * the counter is the nonce. */
  copy[7] = 0;
  assert_open_fails (f->helper, copy, len);
  assert_opens_to (f->helper, first, "one");
  assert_opens_to (f->helper, second, "two");
}

static void
test_mismatched_keys (void)
{
  guint8 other_hash[32];
  guint8 other_key[16];
  g_autoptr(RhPeerChannel) helper = NULL;
  g_autoptr(RhPeerChannel) sharer_hash = NULL;
  g_autoptr(RhPeerChannel) sharer_key = NULL;
  g_autoptr(RhPeerChannel) sharer_ok = NULL;
  g_autoptr(GBytes) frame = NULL;

  memcpy (other_hash, test_hash, sizeof other_hash);
  other_hash[31] ^= 0x80;
  memcpy (other_key, test_key, sizeof other_key);
  other_key[0] ^= 0x01;

  helper = rh_peer_channel_new (test_key, sizeof test_key, test_hash, sizeof test_hash, TRUE);
  sharer_hash = rh_peer_channel_new (test_key, sizeof test_key, other_hash, sizeof other_hash,
                                     FALSE);
  sharer_key = rh_peer_channel_new (other_key, sizeof other_key, test_hash, sizeof test_hash,
                                    FALSE);
  sharer_ok = rh_peer_channel_new (test_key, sizeof test_key, test_hash, sizeof test_hash, FALSE);

  frame = seal_str (helper, "hello");
  assert_open_fails (sharer_hash, g_bytes_get_data (frame, NULL), g_bytes_get_size (frame));
  assert_open_fails (sharer_key, g_bytes_get_data (frame, NULL), g_bytes_get_size (frame));
  assert_opens_to (sharer_ok, frame, "hello");
}

static void
test_derive (Fixture       *f,
             gconstpointer  data)
{
  guint8 a[64], b[64], c[64], d[32];
  guint8 other_hash[32];
  g_autoptr(RhPeerChannel) other = NULL;

  rh_peer_channel_derive (f->helper, "rh relay token v1", a, sizeof a);
  rh_peer_channel_derive (f->sharer, "rh relay token v1", b, sizeof b);
  g_assert_cmpmem (a, sizeof a, b, sizeof b);

  /* Deterministic: same object, same label, same output; a shorter output is a prefix. */
  rh_peer_channel_derive (f->helper, "rh relay token v1", c, sizeof c);
  g_assert_cmpmem (a, sizeof a, c, sizeof c);
  rh_peer_channel_derive (f->helper, "rh relay token v1", d, sizeof d);
  g_assert_cmpmem (a, sizeof d, d, sizeof d);

  /* Label separated, also from the traffic keys' labels. */
  rh_peer_channel_derive (f->helper, "rh relay token v2", c, sizeof c);
  g_assert_cmpint (memcmp (a, c, sizeof a), !=, 0);
  rh_peer_channel_derive (f->helper, "rh peer h2s v1", c, 32);
  rh_peer_channel_derive (f->helper, "rh peer s2h v1", d, 32);
  g_assert_cmpint (memcmp (c, d, 32), !=, 0);

  /* Bound to the transcript hash. */
  memcpy (other_hash, test_hash, sizeof other_hash);
  other_hash[0] ^= 0x01;
  other = rh_peer_channel_new (test_key, sizeof test_key, other_hash, sizeof other_hash, TRUE);
  rh_peer_channel_derive (other, "rh relay token v1", c, sizeof c);
  g_assert_cmpint (memcmp (a, c, sizeof a), !=, 0);
}

/* Pins the construction (HKDF labels, nonce layout, AAD) so that a change that breaks
 * compatibility between versions cannot slip through with both ends changed together.
 * The expected values come from an independent implementation (Python "cryptography"). */
#define KAT_FRAME "0000000000000000d3b132de8268af79ce9cf2a335e9f63cf98be9"
#define KAT_TOKEN "2f9a2d765742507e80d91da80d4924d8"

static void
test_known_answer (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GBytes) frame = seal_str (f->helper, "abc");
  g_autoptr(GString) hex = g_string_new (NULL);
  const guint8 *bytes = g_bytes_get_data (frame, NULL);
  guint8 token[16];
  g_autoptr(GString) token_hex = g_string_new (NULL);

  for (gsize i = 0; i < g_bytes_get_size (frame); i++)
    g_string_append_printf (hex, "%02x", bytes[i]);
  rh_peer_channel_derive (f->helper, "rh relay token v1", token, sizeof token);
  for (gsize i = 0; i < sizeof token; i++)
    g_string_append_printf (token_hex, "%02x", token[i]);

  g_assert_cmpstr (hex->str, ==, KAT_FRAME);
  g_assert_cmpstr (token_hex->str, ==, KAT_TOKEN);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/peer-channel/round-trip", test_round_trip);
  ADD ("/peer-channel/own-frame-rejected", test_own_frame_rejected);
  ADD ("/peer-channel/tampering", test_tampering);
  ADD ("/peer-channel/replay", test_replay);
  ADD ("/peer-channel/reordering", test_reordering);
  ADD ("/peer-channel/counter-rewrite", test_counter_rewrite);
  ADD ("/peer-channel/derive", test_derive);
  ADD ("/peer-channel/known-answer", test_known_answer);
#undef ADD
  g_test_add_func ("/peer-channel/mismatched-keys", test_mismatched_keys);

  return g_test_run ();
}
