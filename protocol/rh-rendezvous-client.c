/* rh-rendezvous-client.c: not written yet */
