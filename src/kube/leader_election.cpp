#include "kube/leader_election.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <random>

#include "kube/encoding.hpp"
#include "net/http_client.hpp"
#include "net/thread_guard.hpp"

namespace aar::kube {
namespace {

constexpr double kJitterFactor = 1.2;  // client-go's JitterFactor: retries wait retry_period * [1, 1.2)

std::optional<std::chrono::system_clock::time_point> parseTime(const nlohmann::json& spec, const char* field,
                                                               bool* bad) {
  auto it = spec.find(field);
  if (it == spec.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) {
    *bad = true;
    return std::nullopt;
  }
  auto t = parseRfc3339(it->get<std::string>());
  if (!t) *bad = true;
  return t;
}

int wholeSeconds(std::chrono::milliseconds d) {
  const auto s = (d.count() + 999) / 1000;
  return static_cast<int>(std::max<int64_t>(1, s));
}

}  // namespace

Result<LeaseRecord> leaseRecordFromJson(const nlohmann::json& lease) {
  LeaseRecord r;
  if (!lease.is_object()) return makeError(ErrorKind::kParse, "Lease: not a JSON object");
  auto spec_it = lease.find("spec");
  if (spec_it == lease.end() || spec_it->is_null()) return r;
  const nlohmann::json& spec = *spec_it;
  if (!spec.is_object()) return makeError(ErrorKind::kParse, "Lease: spec is not an object");
  bool bad = false;
  if (auto h = spec.find("holderIdentity"); h != spec.end() && !h->is_null()) {
    if (!h->is_string()) return makeError(ErrorKind::kParse, "Lease: spec.holderIdentity is not a string");
    r.holder_identity = h->get<std::string>();
  }
  for (auto [field, out] : {std::pair{"leaseDurationSeconds", &r.lease_duration_seconds},
                            std::pair{"leaseTransitions", &r.lease_transitions}}) {
    auto it = spec.find(field);
    if (it == spec.end() || it->is_null()) continue;
    if (!it->is_number_integer())
      return makeError(ErrorKind::kParse, std::string("Lease: spec.") + field + " is not an integer");
    *out = it->get<int>();
  }
  r.acquire_time = parseTime(spec, "acquireTime", &bad);
  r.renew_time = parseTime(spec, "renewTime", &bad);
  if (bad)
    return makeError(ErrorKind::kParse, "Lease: spec.acquireTime or spec.renewTime is not a MicroTime");
  return r;
}

void leaseRecordToJson(const LeaseRecord& record, nlohmann::json* lease) {
  nlohmann::json& spec = (*lease)["spec"];
  if (!spec.is_object()) spec = nlohmann::json::object();
  spec["holderIdentity"] = record.holder_identity;
  spec["leaseDurationSeconds"] = record.lease_duration_seconds;
  spec["leaseTransitions"] = record.lease_transitions;
  if (record.acquire_time) spec["acquireTime"] = formatRfc3339Micro(*record.acquire_time);
  if (record.renew_time) spec["renewTime"] = formatRfc3339Micro(*record.renew_time);
}

std::string makeHolderIdentity(const std::string& hostname_env) {
  std::string host = hostname_env;
  if (host.empty()) {
    char buf[256] = {};
    if (::gethostname(buf, sizeof buf - 1) == 0) host = buf;
  }
  if (host.empty()) host = "aws-auth-refresher";
  std::random_device rd;
  char suffix[16];
  std::snprintf(suffix, sizeof suffix, "%08x", static_cast<unsigned>(rd()));
  return host + "_" + suffix;
}

LeaseDecision decideLease(const std::optional<LeaseRecord>& current, const std::string& identity,
                          std::chrono::steady_clock::time_point observed_since,
                          std::chrono::steady_clock::time_point now,
                          std::chrono::system_clock::time_point wall_now,
                          std::chrono::seconds lease_duration) {
  LeaseDecision d;
  d.record.holder_identity = identity;
  d.record.lease_duration_seconds = static_cast<int>(lease_duration.count());
  d.record.renew_time = wall_now;
  if (!current) {
    d.action = LeaseDecision::Action::kCreate;
    d.record.acquire_time = wall_now;
    return d;
  }
  const bool ours = current->holder_identity == identity;
  if (!ours && !current->holder_identity.empty() &&
      observed_since + std::chrono::seconds(current->lease_duration_seconds) > now) {
    d.action = LeaseDecision::Action::kWait;
    d.record = *current;
    return d;
  }
  d.action = LeaseDecision::Action::kUpdate;
  if (ours) {
    d.record.acquire_time = current->acquire_time ? current->acquire_time : wall_now;
    d.record.lease_transitions = current->lease_transitions;
  } else {
    d.record.acquire_time = wall_now;
    d.record.lease_transitions = current->lease_transitions + 1;
  }
  return d;
}

Result<std::unique_ptr<LeaderElector>> LeaderElector::create(RestClient& rest,
                                                             LeaderElectionOptions options) {
  if (options.retry_period <= std::chrono::milliseconds::zero() ||
      options.renew_deadline <= options.retry_period || options.lease_duration <= options.renew_deadline) {
    return makeError(ErrorKind::kInvalidArgument,
                     "leader election: need 0 < retry period < renew deadline < lease duration");
  }
  if (options.namespace_name.empty() || options.lease_name.empty()) {
    return makeError(ErrorKind::kInvalidArgument, "leader election: Lease namespace and name must be set");
  }
  if (options.identity.empty()) {
    const char* host = std::getenv("HOSTNAME");
    options.identity = makeHolderIdentity(host != nullptr ? host : "");
  }
  if (options.clock == nullptr) options.clock = &base::systemClock();
  return std::unique_ptr<LeaderElector>(new LeaderElector(rest, std::move(options)));
}

LeaderElector::LeaderElector(RestClient& rest, LeaderElectionOptions options)
    : rest_(rest.fork(std::min(rest.options().request_timeout,
                               std::max(options.retry_period, options.renew_deadline / 2)))),
      parent_(rest),
      options_(std::move(options)) {}

// stop() joins the thread and releases the Lease over the network: whatever that throws must not leave a
// destructor (std::terminate); it is logged and ends the process instead.
LeaderElector::~LeaderElector() {
  net::runGuarded("leader election shutdown", [this] { stop(); });
}

std::string LeaderElector::leasePath() const {
  return "/apis/coordination.k8s.io/v1/namespaces/" + net::urlEncode(options_.namespace_name) + "/leases/" +
         net::urlEncode(options_.lease_name);
}

bool LeaderElector::isLeader() const {
  std::lock_guard<std::mutex> lock(mu_);
  return leading_ && options_.clock->now() - last_renew_ < options_.renew_deadline;
}

std::string LeaderElector::leader() const {
  std::lock_guard<std::mutex> lock(mu_);
  return leader_;
}

bool LeaderElector::readLease(std::optional<LeaseRecord>* current, nlohmann::json* object) {
  auto got = rest_->get(leasePath());
  if (!got) {
    if (got.error().kind == ErrorKind::kNotFound) return true;
    spdlog::warn("leader election: cannot read the Lease: {}", got.error().message);
    return false;
  }
  auto rec = leaseRecordFromJson(*got);
  if (!rec) {
    spdlog::warn("leader election: Lease {}/{}: {}", options_.namespace_name, options_.lease_name,
                 rec.error().message);
    return false;
  }
  *current = *rec;
  *object = std::move(*got);
  return true;
}

base::Clock::SteadyTime LeaderElector::observe(const std::optional<LeaseRecord>& current,
                                               base::Clock::SteadyTime now) {
  std::string new_leader;
  base::Clock::SteadyTime observed_since;
  {
    std::lock_guard<std::mutex> lock(mu_);
    // A record unchanged since we last looked keeps its observation time: the holder has not renewed.
    if (current && (!observed_ || !(*observed_ == *current))) {
      observed_ = current;
      observed_time_ = now;
    }
    observed_since = observed_time_;
    if (current && current->holder_identity != leader_) {
      leader_ = current->holder_identity;
      new_leader = leader_;
    }
  }
  if (!new_leader.empty() && new_leader != options_.identity && options_.on_new_leader) {
    options_.on_new_leader(new_leader);
  }
  return observed_since;
}

Result<nlohmann::json> LeaderElector::writeLease(const LeaseDecision& decision, nlohmann::json object) {
  if (decision.action == LeaseDecision::Action::kCreate) {
    nlohmann::json lease = {
        {"apiVersion", "coordination.k8s.io/v1"},
        {"kind", "Lease"},
        {"metadata", {{"name", options_.lease_name}, {"namespace", options_.namespace_name}}}};
    leaseRecordToJson(decision.record, &lease);
    return rest_->post(
        "/apis/coordination.k8s.io/v1/namespaces/" + net::urlEncode(options_.namespace_name) + "/leases",
        lease);
  }
  leaseRecordToJson(decision.record, &object);  // carries metadata.resourceVersion: a lost race is a 409
  return rest_->put(leasePath(), object);
}

void LeaderElector::recordRenewal(const LeaseDecision& decision, const nlohmann::json& written) {
  bool announce = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    observed_ = decision.record;
    if (auto rec = leaseRecordFromJson(written)) observed_ = *rec;
    observed_time_ = options_.clock->now();
    last_renew_ = observed_time_;
    announce = leader_ != options_.identity;
    leader_ = options_.identity;
  }
  if (announce) {
    spdlog::info("leader election: {} holds Lease {}/{} (transitions {})", options_.identity,
                 options_.namespace_name, options_.lease_name, decision.record.lease_transitions);
  }
}

bool LeaderElector::tryAcquireOrRenew() {
  base::Clock& clock = *options_.clock;
  std::optional<LeaseRecord> current;
  nlohmann::json object;
  if (!readLease(&current, &object)) return false;
  const auto now = clock.now();
  const auto observed_since = observe(current, now);
  const auto decision = decideLease(current, options_.identity, observed_since, now, clock.wallNow(),
                                    std::chrono::seconds(wholeSeconds(options_.lease_duration)));
  if (decision.action == LeaseDecision::Action::kWait) return false;
  auto written = writeLease(decision, std::move(object));
  if (!written) {
    const auto kind = written.error().kind;
    // Losing a race to another candidate, or being stopped, is part of the protocol, not worth a warning.
    if (kind != ErrorKind::kConflict && kind != ErrorKind::kAlreadyExists && kind != ErrorKind::kCancelled) {
      spdlog::warn("leader election: cannot write the Lease: {}", written.error().message);
    }
    return false;
  }
  recordRenewal(decision, *written);
  return true;
}

bool LeaderElector::release() {
  auto got = parent_.get(leasePath());
  if (!got) return got.error().kind == ErrorKind::kNotFound;
  auto rec = leaseRecordFromJson(*got);
  if (!rec) return false;
  if (rec->holder_identity != options_.identity) return true;
  LeaseRecord released = *rec;
  released.holder_identity.clear();
  released.lease_duration_seconds = 1;
  released.renew_time = options_.clock->wallNow();
  released.acquire_time = released.renew_time;
  nlohmann::json object = std::move(*got);
  leaseRecordToJson(released, &object);
  auto put = parent_.put(leasePath(), object);
  if (!put) {
    spdlog::warn("leader election: could not release the Lease: {}", put.error().message);
    return false;
  }
  spdlog::info("leader election: released Lease {}/{}", options_.namespace_name, options_.lease_name);
  return true;
}

void LeaderElector::setLeading(bool leading) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (leading_ == leading) return;
    leading_ = leading;
  }
  if (leading) {
    spdlog::info("leader election: started leading as {}", options_.identity);
    if (options_.on_started_leading) options_.on_started_leading();
  } else {
    spdlog::warn("leader election: stopped leading as {}", options_.identity);
    if (options_.on_stopped_leading) options_.on_stopped_leading();
  }
}

std::chrono::milliseconds LeaderElector::jittered(std::chrono::milliseconds d) {
  static thread_local std::mt19937 rng{std::random_device{}()};
  std::uniform_real_distribution<double> dist(1.0, kJitterFactor);
  return std::chrono::milliseconds(static_cast<int64_t>(static_cast<double>(d.count()) * dist(rng)));
}

bool LeaderElector::waitStop(std::chrono::milliseconds d) {
  base::Clock& clock = *options_.clock;
  std::unique_lock<std::mutex> lock(mu_);
  return clock.waitUntil(cv_, lock, clock.now() + d, [&] { return stopping_; });
}

void LeaderElector::start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (started_ || stopping_) return;
  started_ = true;
  thread_ = std::thread([this] { net::runGuarded("leader election", [this] { run(); }); });
}

void LeaderElector::run() {
  for (;;) {
    // Candidate: try every retry period (jittered) until we hold the Lease.
    if (!tryAcquireOrRenew()) {
      if (waitStop(jittered(options_.retry_period))) return;
      continue;
    }
    setLeading(true);
    // Leader: renew every retry period; give up leadership once renewals have failed for renew_deadline.
    for (;;) {
      if (waitStop(options_.retry_period)) return;
      if (tryAcquireOrRenew()) continue;
      std::chrono::steady_clock::time_point last;
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (stopping_) return;
        last = last_renew_;
      }
      if (options_.clock->now() - last >= options_.renew_deadline) {
        spdlog::warn("leader election: could not renew the Lease within {} ms",
                     options_.renew_deadline.count());
        setLeading(false);
        break;
      }
    }
  }
}

void LeaderElector::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  rest_->cancel();
  if (thread_.joinable()) thread_.join();
  bool was_leading = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    was_leading = leading_;
  }
  if (was_leading) {
    setLeading(false);
    if (options_.release_on_stop) release();
  }
}

}  // namespace aar::kube
