/* test-tls-cert.c: not written yet */
int main (void) { return 77; }
