/* test-spake2.c: not written yet */
int main (void) { return 77; }
