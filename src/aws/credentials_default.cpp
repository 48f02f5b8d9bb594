#include "aws/credentials_default.hpp"

#include "aws/credentials_chain.hpp"
#include "aws/credentials_container.hpp"
#include "aws/credentials_environment.hpp"
#include "aws/credentials_imds.hpp"
#include "aws/credentials_profile.hpp"
#include "aws/credentials_web_identity.hpp"

namespace aar::aws {

std::unique_ptr<CachedCredentialsProvider> makeDefaultCredentialsProvider(const EnvLookup& env,
                                                                          net::HttpClient& http,
                                                                          base::Clock& clock) {
  std::vector<std::unique_ptr<CredentialsProvider>> chain;
  chain.push_back(std::make_unique<EnvironmentCredentialsProvider>(env));
  chain.push_back(std::make_unique<ProfileCredentialsProvider>(env));
  WebIdentityOptions web;
  web.clock = &clock;
  chain.push_back(std::make_unique<WebIdentityCredentialsProvider>(env, http, web));
  ContainerOptions container;
  container.clock = &clock;
  chain.push_back(std::make_unique<ContainerCredentialsProvider>(env, http, container));
  ImdsOptions imds;
  imds.clock = &clock;
  chain.push_back(std::make_unique<ImdsCredentialsProvider>(env, http, imds));
  CredentialsCacheOptions cache;
  cache.clock = &clock;
  return std::make_unique<CachedCredentialsProvider>(
      std::make_unique<ChainCredentialsProvider>(std::move(chain)), cache);
}

}  // namespace aar::aws
