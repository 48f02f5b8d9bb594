#include "aws/credentials_chain.hpp"

#include <spdlog/spdlog.h>

namespace aar::aws {

ChainCredentialsProvider::ChainCredentialsProvider(
    std::vector<std::unique_ptr<CredentialsProvider>> providers)
    : providers_(std::move(providers)) {}

Result<Credentials> ChainCredentialsProvider::get() {
  std::string tried;
  for (const auto& provider : providers_) {
    auto r = provider->get();
    if (r.ok()) {
      spdlog::debug("credentials: using provider {}", provider->name());
      return r;
    }
    if (!tried.empty()) tried += "; ";
    tried += r.error().message;
    if (r.error().kind != ErrorKind::kUnavailable) {
      spdlog::debug("credentials: provider {} is configured but failed; not trying the rest",
                    provider->name());
      return makeError(r.error().kind, "no AWS credentials: " + tried);
    }
    spdlog::trace("credentials: provider {} not configured", provider->name());
  }
  if (tried.empty()) tried = "no providers";
  return makeError(ErrorKind::kUnavailable, "no AWS credentials: " + tried);
}

}  // namespace aar::aws
