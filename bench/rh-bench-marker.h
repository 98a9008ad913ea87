/* rh-bench-marker.h: the latency marker that the workload draws and the receivers detect
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A marker is a 16x16 square of 4x4 cells, 4 pixels each, black or white: 12 bits of a
 * sequence number and a 4-bit check. Black and white survive lossy codecs (RemoteFX, Tight
 * JPEG) when read with a threshold at each cell's centre, and the check rejects a square that
 * is half painted. Markers sit on a 16-pixel grid and never straddle a 64x64 tile, so a codec
 * that sends whole tiles sends a whole marker.
 */
#pragma once

#include <glib.h>

#define RH_MARKER_SIZE  16
#define RH_MARKER_CELLS 4
#define RH_MARKER_CELL  (RH_MARKER_SIZE / RH_MARKER_CELLS)
#define RH_MARKER_SEQ_MASK 0xfff

typedef enum
{
  RH_MARKER_FIXED,   /* one place near the bottom-right corner, redrawn every change */
  RH_MARKER_TYPING,  /* a new place for every change, like characters along text lines */
} RhMarkerLayout;

static inline guint
rh_marker_check (guint seq)
{
  seq &= RH_MARKER_SEQ_MASK;
  return ((seq ^ (seq >> 4) ^ (seq >> 8)) & 0xf) ^ 0xa;
}

/* The 16 bits as drawn, cell (i % 4, i / 4) for bit i. */
static inline guint
rh_marker_bits (guint seq)
{
  return (seq & RH_MARKER_SEQ_MASK) | (rh_marker_check (seq) << 12);
}

/* Where marker `seq` goes on a width x height screen. */
static inline void
rh_marker_position (RhMarkerLayout layout,
                    int            width,
                    int            height,
                    guint          seq,
                    int           *x,
                    int           *y)
{
  if (layout == RH_MARKER_FIXED)
    {
      *x = (width / 64 - 1) * 64 + 16;
      *y = (height / 64 - 1) * 64 + 16;
    }
  else
    {
      int cols = (width - 96) / 16;
      int rows = (height - 192) / 32;

      seq &= RH_MARKER_SEQ_MASK;
      *x = 32 + (int) (seq % (guint) cols) * 16;
      *y = 96 + (int) ((seq / (guint) cols) % (guint) rows) * 32;
    }
}

/* Reads the marker whose top-left corner is (x, y) in a 32-bit frame (any byte order: a
 * cell is white when the sum of its three colour bytes says so). Returns the sequence number,
 * or -1 when no valid marker is there. */
static inline int
rh_marker_read (const guint8 *frame,
                gsize         stride,
                int           width,
                int           height,
                int           x,
                int           y)
{
  guint bits = 0;
  guint seq;

  if (x < 0 || y < 0 || x + RH_MARKER_SIZE > width || y + RH_MARKER_SIZE > height)
    return -1;
  for (int i = 0; i < RH_MARKER_CELLS * RH_MARKER_CELLS; i++)
    {
      int cx = x + (i % RH_MARKER_CELLS) * RH_MARKER_CELL + RH_MARKER_CELL / 2;
      int cy = y + (i / RH_MARKER_CELLS) * RH_MARKER_CELL + RH_MARKER_CELL / 2;
      const guint8 *p = frame + (gsize) cy * stride + (gsize) cx * 4;

      if ((guint) p[0] + p[1] + p[2] > 3 * 128)
        bits |= 1u << i;
    }
  seq = bits & RH_MARKER_SEQ_MASK;
  if ((bits >> 12) != rh_marker_check (seq))
    return -1;
  return (int) seq;
}
