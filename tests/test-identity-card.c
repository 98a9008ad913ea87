/* test-identity-card.c: not written yet */
int main (void) { return 77; }
