// What a child process must be given between fork() and exec(): a clean signal state and only the standard
// descriptors. Shared by exec credential plugins and the `demo` command's children (src/app/subprocess.cpp).
//
// Why: a forked child inherits the forking thread's signal mask (our signal thread blocks SIGTERM/SIGINT in
// every thread) and every ignored disposition (SIGPIPE), and both survive exec: a plugin would then ignore
// SIGTERM and SIGPIPE. It also inherits every descriptor not marked close-on-exec — sockets to the API
// server, other children's pipes opened by another thread between pipe() and fcntl() — which a plugin must
// not hold.
//
// Thread-safety: call only in the child after fork(); async-signal-safe (system calls only, no allocation).
#pragma once

namespace aar::kube {

// In the child: every signal's disposition back to SIG_DFL, an empty signal mask, and every descriptor from
// `first_to_close` upwards closed (close_range(2); on a kernel without it, each descriptor up to
// RLIMIT_NOFILE). Returns 0, or an errno value when the descriptors could not be closed.
int resetChildForExec(int first_to_close) noexcept;

}  // namespace aar::kube
