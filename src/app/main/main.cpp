// The executable: everything it does lives in the aar_app library, which the tests link too.
#include "app/cli.hpp"
#include "net/thread_guard.hpp"

// The controller loop runs on this thread: whatever escapes it is logged and ends the process with
// net::kThreadFailureExitCode, like every other thread of ours, instead of std::terminate's silent abort.
int main(int argc, char** argv) {
  int rc = 1;
  aar::net::runGuarded("main", [&] { rc = aar::app::runCli(argc, argv); });
  return rc;
}
