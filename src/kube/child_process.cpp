#include "kube/child_process.hpp"

#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace aar::kube {

int resetChildForExec(int first_to_close) noexcept {
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  for (int sig = 1; sig < NSIG; ++sig) {
    // SIGKILL and SIGSTOP (and the real-time signals glibc reserves) refuse: their disposition is fixed.
    (void)::sigaction(sig, &dfl, nullptr);
  }
  sigset_t none;
  sigemptyset(&none);
  (void)::sigprocmask(SIG_SETMASK, &none, nullptr);

  const auto first = static_cast<unsigned>(first_to_close);
  if (::syscall(SYS_close_range, first, ~0U, 0U) == 0) return 0;
  if (errno != ENOSYS) return errno;
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return errno;
  const rlim_t end = limit.rlim_cur == RLIM_INFINITY ? rlim_t{1} << 20 : limit.rlim_cur;
  for (rlim_t fd = first; fd < end; ++fd) (void)::close(static_cast<int>(fd));
  return 0;
}

}  // namespace aar::kube
