/* rh-store-sqlite.h: the embedded SQLite store
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "rh-store.h"

G_BEGIN_DECLS

#define RH_TYPE_STORE_SQLITE (rh_store_sqlite_get_type ())
G_DECLARE_FINAL_TYPE (RhStoreSqlite, rh_store_sqlite, RH, STORE_SQLITE, GObject)

/* Opens or creates the database (file mode 0600) in WAL mode with synchronous=FULL and a busy
 * timeout, so that admin commands can write while the server runs; migrates the schema. */
RhStore *rh_store_sqlite_new (const char  *path,
                              GError     **error);

G_END_DECLS
