/* rh-rendezvous-server.c: not written yet */
