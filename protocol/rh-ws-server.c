/* rh-ws-server.c: not written yet */
