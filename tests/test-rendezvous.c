/* test-rendezvous.c: not written yet */
int main (void) { return 77; }
