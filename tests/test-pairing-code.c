/* test-pairing-code.c: not written yet */
int main (void) { return 77; }
