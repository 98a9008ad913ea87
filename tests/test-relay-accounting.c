/* test-relay-accounting.c: the relay's back-pressure accounting (RhWsFlowGate)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "rh-ws-server.h"

#define KIB 1024
#define MIB (1024 * 1024)

static void
test_thresholds (void)
{
  RhWsFlowGate gate;

  rh_ws_flow_gate_init (&gate, RH_WS_FLOW_HIGH_WATER, RH_WS_FLOW_LOW_WATER);
  g_assert_cmpuint (gate.high, ==, MIB);
  g_assert_cmpuint (gate.low, ==, 256 * KIB);
  g_assert_false (gate.paused);

  /* Up to and including the high-water mark the sender keeps going. */
  g_assert_false (rh_ws_flow_gate_update (&gate, 0));
  g_assert_false (rh_ws_flow_gate_update (&gate, MIB));
  g_assert_false (gate.paused);

  /* Above it: paused, reported once. */
  g_assert_true (rh_ws_flow_gate_update (&gate, MIB + 1));
  g_assert_true (gate.paused);
  g_assert_false (rh_ws_flow_gate_update (&gate, MIB + 64 * KIB));
  g_assert_true (gate.paused);

  /* Draining between the marks does not resume it (hysteresis). */
  g_assert_false (rh_ws_flow_gate_update (&gate, 512 * KIB));
  g_assert_false (rh_ws_flow_gate_update (&gate, 256 * KIB));
  g_assert_true (gate.paused);

  /* Below the low-water mark: resumed, reported once. */
  g_assert_true (rh_ws_flow_gate_update (&gate, 256 * KIB - 1));
  g_assert_false (gate.paused);
  g_assert_false (rh_ws_flow_gate_update (&gate, 0));
  g_assert_false (gate.paused);
}

/* A reader that never reads: a sender writing 64 KiB messages as long as it is allowed to
 * leaves at most high-water plus one message queued, however much it wants to send. */
static void
test_slow_reader_bounded (void)
{
  RhWsFlowGate gate;
  const gsize chunk = 64 * KIB;
  gsize queued = 0;
  gsize peak = 0;
  guint64 sent = 0;
  guint pauses = 0;

  rh_ws_flow_gate_init (&gate, RH_WS_FLOW_HIGH_WATER, RH_WS_FLOW_LOW_WATER);
  for (int round = 0; round < 10000; round++)
    {
      /* The sender writes while it is not paused. */
      if (!gate.paused)
        {
          queued += chunk;
          sent += chunk;
          if (rh_ws_flow_gate_update (&gate, queued) && gate.paused)
            pauses++;
        }
      peak = MAX (peak, queued);
      /* The reader takes a little every 100 rounds only. */
      if (round % 100 == 99)
        {
          queued -= MIN (queued, 16 * KIB);
          rh_ws_flow_gate_update (&gate, queued);
        }
    }

  g_assert_cmpuint (peak, <=, RH_WS_FLOW_HIGH_WATER + chunk);
  g_assert_cmpuint (pauses, >=, 1);
  /* What was sent is bounded by what was read plus the queue. */
  g_assert_cmpuint (sent, <=, 100 * 16 * KIB + RH_WS_FLOW_HIGH_WATER + chunk);
}

/* A reader that keeps up never pauses the sender. */
static void
test_fast_reader (void)
{
  RhWsFlowGate gate;

  rh_ws_flow_gate_init (&gate, RH_WS_FLOW_HIGH_WATER, RH_WS_FLOW_LOW_WATER);
  for (int i = 0; i < 1000; i++)
    {
      g_assert_false (rh_ws_flow_gate_update (&gate, 64 * KIB));
      g_assert_false (rh_ws_flow_gate_update (&gate, 0));
    }
  g_assert_false (gate.paused);
}

static void
test_custom_marks (void)
{
  RhWsFlowGate gate;

  rh_ws_flow_gate_init (&gate, 100, 100);
  g_assert_true (rh_ws_flow_gate_update (&gate, 101));
  g_assert_false (rh_ws_flow_gate_update (&gate, 100));
  g_assert_true (rh_ws_flow_gate_update (&gate, 99));
  g_assert_false (gate.paused);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/relay-accounting/thresholds", test_thresholds);
  g_test_add_func ("/relay-accounting/slow-reader-bounded", test_slow_reader_bounded);
  g_test_add_func ("/relay-accounting/fast-reader", test_fast_reader);
  g_test_add_func ("/relay-accounting/custom-marks", test_custom_marks);

  return g_test_run ();
}
