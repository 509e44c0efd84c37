/* A program linked without the mitigations check_hardening.sh requires
 * (tests/invariants/CMakeLists.txt): the checker must name every one. */
int main(void) { return 0; }
