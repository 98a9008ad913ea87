/* rh-test-server.c: not written yet */
