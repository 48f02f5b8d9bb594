// Listing 10,000 IAM users (10 pages of 1,000) from FakeIam on loopback, next to parsing the same XML alone.
//
// BM_IamListUsers: the whole client path per iteration (credentials, SigV4, libcurl, XML parse, pagination).
//   Its CPU time is the calling thread's: the client's own cost (the fake serves on other threads).
// BM_IamParsePagesOnly: parseIamListPageInto over the same 10 response bodies, captured once beforehand.
// Counters: peak RSS of the process (includes the fake's user store, its server threads and the captured
// pages) and the listing's own size in memory (result_KiB). Target: the client's CPU time at most 2x the bare
// parse's.
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <string>
#include <vector>

#include "aws/iam_client.hpp"
#include "aws/sigv4.hpp"
#include "fakes/aws/fake_iam.hpp"
#include "net/url_encode.hpp"

namespace {

using namespace aar;

constexpr int kUsers = 10000;
constexpr char kAkid[] = "AKIABENCH00000000001";
constexpr char kSecret[] = "bench/secret/key/0000000000000000000000";

class StaticCredentials : public aws::CredentialsProvider {
 public:
  Result<aws::Credentials> get() override {
    return aws::Credentials{kAkid, kSecret, "", std::nullopt, "bench"};
  }
  const char* name() const override { return "bench"; }
};

struct Env {
  fakes::FakeIam fake;
  net::HttpClient http;
  StaticCredentials credentials;
  std::vector<std::string> pages;  // the raw XML of each page, for the parse-only benchmark

  Env() {
    fake.start();
    fake.allowCredentials(kAkid, kSecret);
    fake.addUsers(kUsers, "bench-user-", "/bench/");
    // Capture the pages exactly as the client receives them: a listing whose HTTP layer records bodies.
    std::string marker;
    do {
      std::string body = "Action=ListUsers&Version=2010-05-08&MaxItems=1000";
      if (!marker.empty()) body += "&Marker=" + net::urlEncode(marker);
      aws::sigv4::Request r{"POST",
                            "/",
                            "",
                            {{"Host", "127.0.0.1:" + std::to_string(fake.port())},
                             {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}},
                            body};
      net::HttpRequest req;
      req.method = "POST";
      req.url = fake.url() + "/";
      req.headers = r.headers;
      for (auto& h :
           aws::sigv4::sign(r, *credentials.get(), {"us-east-1", "iam", std::chrono::system_clock::now()})) {
        req.headers.push_back(h);
      }
      req.body = body;
      req.max_response_bytes = size_t{16} << 20;  // as IamClient: one page of up to 1000 users
      auto resp = http.perform(req);
      if (!resp.ok() || resp->status != 200) break;
      pages.push_back(resp->body);
      std::vector<aws::IamEntity> sink;
      auto page = aws::parseIamListPageInto(resp->body, aws::IamListKind::kUsers, sink);
      if (!page.ok() || !page->truncated) break;
      marker = page->marker;
    } while (true);
  }
};

Env& env() {
  static Env e;
  return e;
}

void reportRss(benchmark::State& state) {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  state.counters["peak_rss_MiB"] = static_cast<double>(ru.ru_maxrss) / 1024.0;
}

void BM_IamListUsers(benchmark::State& state) {
  Env& e = env();
  aws::IamClientOptions options;
  options.endpoint = aws::Endpoint{e.fake.url(), "us-east-1", "aws"};
  aws::IamClient client(e.http, e.credentials, options);
  size_t n = 0, result_bytes = 0;
  for (auto _ : state) {
    auto users = client.listUsers();
    if (!users.ok()) {
      state.SkipWithError(users.error().toString().c_str());
      return;
    }
    n = users->size();
    result_bytes = users->capacity() * sizeof(aws::IamEntity);
    for (const auto& u : *users) {
      // Heap blocks of strings beyond the small-string buffer.
      if (u.arn.capacity() > 15) result_bytes += u.arn.capacity() + 1;
      if (u.name.capacity() > 15) result_bytes += u.name.capacity() + 1;
    }
    benchmark::DoNotOptimize(users->data());
  }
  state.counters["users"] = static_cast<double>(n);
  state.counters["result_KiB"] = static_cast<double>(result_bytes) / 1024.0;
  state.counters["pages"] = static_cast<double>(e.pages.size());
  reportRss(state);
}
BENCHMARK(BM_IamListUsers)->Unit(benchmark::kMillisecond)->UseRealTime()->MeasureProcessCPUTime();

void BM_IamListUsersThreadCpu(benchmark::State& state) {
  Env& e = env();
  aws::IamClientOptions options;
  options.endpoint = aws::Endpoint{e.fake.url(), "us-east-1", "aws"};
  aws::IamClient client(e.http, e.credentials, options);
  for (auto _ : state) {
    auto users = client.listUsers();
    if (!users.ok()) {
      state.SkipWithError(users.error().toString().c_str());
      return;
    }
    benchmark::DoNotOptimize(users->data());
  }
  reportRss(state);
}
// CPU time of the calling thread only: the client's share, without the fake's XML generation.
BENCHMARK(BM_IamListUsersThreadCpu)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_IamParsePagesOnly(benchmark::State& state) {
  Env& e = env();
  size_t bytes = 0;
  for (const auto& p : e.pages) bytes += p.size();
  size_t n = 0;
  for (auto _ : state) {
    std::vector<aws::IamEntity> users;
    for (const auto& p : e.pages) {
      auto page = aws::parseIamListPageInto(p, aws::IamListKind::kUsers, users);
      if (!page.ok()) {
        state.SkipWithError(page.error().toString().c_str());
        return;
      }
    }
    n = users.size();
    benchmark::DoNotOptimize(users.data());
  }
  state.counters["users"] = static_cast<double>(n);
  state.counters["xml_MiB"] = static_cast<double>(bytes) / (1024.0 * 1024.0);
  state.SetBytesProcessed(static_cast<int64_t>(bytes) * state.iterations());
  reportRss(state);
}
BENCHMARK(BM_IamParsePagesOnly)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
