/* rh-store-sqlite.c: not written yet */
