/* rh-server-admin.c: not written yet */
