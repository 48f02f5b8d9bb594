// FUZZ_CHECK(cond): an invariant of a fuzz target. When it fails, the input is a finding: say which
// invariant (file and line) on stderr and abort, which libFuzzer and the replay binaries both report.
#pragma once

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond)                                                                     \
  do {                                                                                       \
    if (!(cond)) {                                                                           \
      std::fprintf(stderr, "%s:%d: fuzz invariant failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                          \
    }                                                                                        \
  } while (false)
