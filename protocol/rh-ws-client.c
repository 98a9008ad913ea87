/* rh-ws-client.c: not written yet */
