/* rh-tls-cert.c: not written yet */
