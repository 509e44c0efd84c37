/* Dense switch statements (compiled to jump tables) in an interpreter for a
 * tiny stack machine, plus a character classifier. */
#include <stdint.h>
#include <stdio.h>

enum { OP_PUSH, OP_ADD, OP_SUB, OP_MUL, OP_DUP, OP_SWAP, OP_DROP, OP_JNZ, OP_DEC, OP_XOR,
       OP_SHL, OP_SHR, OP_OVER, OP_NOT, OP_INC, OP_HALT };

static int64_t run(const int64_t *code) {
  int64_t stack[64];
  int sp = 0;
  for (int pc = 0;;) {
    int64_t op = code[pc++];
    switch (op) {
      case OP_PUSH: stack[sp++] = code[pc++]; break;
      case OP_ADD: --sp; stack[sp - 1] += stack[sp]; break;
      case OP_SUB: --sp; stack[sp - 1] -= stack[sp]; break;
      case OP_MUL: --sp; stack[sp - 1] = (int64_t)((uint64_t)stack[sp - 1] * (uint64_t)stack[sp]); break;
      case OP_DUP: stack[sp] = stack[sp - 1]; ++sp; break;
      case OP_SWAP: { int64_t t = stack[sp - 1]; stack[sp - 1] = stack[sp - 2]; stack[sp - 2] = t; break; }
      case OP_DROP: --sp; break;
      case OP_JNZ: { int64_t target = code[pc++]; if (stack[--sp] != 0) pc = (int)target; break; }
      case OP_DEC: stack[sp - 1]--; break;
      case OP_XOR: --sp; stack[sp - 1] ^= stack[sp]; break;
      case OP_SHL: --sp; stack[sp - 1] = (int64_t)((uint64_t)stack[sp - 1] << (stack[sp] & 63)); break;
      case OP_SHR: --sp; stack[sp - 1] = (int64_t)((uint64_t)stack[sp - 1] >> (stack[sp] & 63)); break;
      case OP_OVER: stack[sp] = stack[sp - 2]; ++sp; break;
      case OP_NOT: stack[sp - 1] = ~stack[sp - 1]; break;
      case OP_INC: stack[sp - 1]++; break;
      case OP_HALT: return sp > 0 ? stack[sp - 1] : 0;
      default: return -1;
    }
  }
}

static const char *classify(int c) {
  switch (c) {
    case 'a': case 'e': case 'i': case 'o': case 'u': return "vowel";
    case 'b': case 'c': case 'd': case 'f': case 'g': case 'h': case 'j': case 'k':
    case 'l': case 'm': case 'n': case 'p': case 'q': case 'r': case 's': case 't':
    case 'v': case 'w': case 'x': case 'y': case 'z': return "consonant";
    case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7':
    case '8': case '9': return "digit";
    case ' ': return "space";
    case '.': case ',': case '!': case '?': return "punct";
    default: return "other";
  }
}

static int day_number(int month) {
  switch (month) {
    case 1: return 31; case 2: return 28; case 3: return 31; case 4: return 30;
    case 5: return 31; case 6: return 30; case 7: return 31; case 8: return 31;
    case 9: return 30; case 10: return 31; case 11: return 30; case 12: return 31;
    default: return 0;
  }
}

int main(void) {
  /* factorial(20) by a loop: acc n -> acc*n, n-1 until n == 0 */
  const int64_t fact[] = {OP_PUSH, 1, OP_PUSH, 20,
                          /* 4: */ OP_DUP, OP_JNZ, 9, OP_DROP, OP_HALT,
                          /* 9: */ OP_SWAP, OP_OVER, OP_MUL, OP_SWAP, OP_DEC, OP_PUSH, 1, OP_JNZ, 4};
  printf("fact(20) = %lld\n", (long long)run(fact));
  const int64_t bits[] = {OP_PUSH, 0x1234, OP_PUSH, 12, OP_SHL, OP_PUSH, 0xff, OP_XOR, OP_NOT,
                          OP_PUSH, 3, OP_SHR, OP_INC, OP_HALT};
  printf("bits = %lld\n", (long long)run(bits));
  const int64_t bad[] = {OP_PUSH, 5, 99};
  printf("bad opcode = %lld\n", (long long)run(bad));
  const char *text = "Hello, capvm 2024! switch tables?";
  int counts[6] = {0};
  for (const char *p = text; *p != '\0'; ++p) {
    const char *k = classify(*p);
    counts[k[0] == 'v' ? 0 : k[0] == 'c' ? 1 : k[0] == 'd' ? 2 : k[0] == 's' ? 3 : k[0] == 'p' ? 4 : 5]++;
  }
  printf("vowels %d consonants %d digits %d spaces %d punct %d other %d\n", counts[0], counts[1],
         counts[2], counts[3], counts[4], counts[5]);
  int total = 0;
  for (int m = 0; m <= 13; ++m) total += day_number(m);
  printf("days in year %d\n", total);
  return 0;
}
